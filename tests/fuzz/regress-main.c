/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plain build's stand-in for libFuzzer's main: feeds every file of the directories given (the seed
 * corpus, the regressions: inputs that once crashed a target) to LLVMFuzzerTestOneInput(), in name
 * order, so every build runs them in the unit suite and the sanitizer build checks them too. A missing
 * directory is no error (git keeps no empty ones); no input at all is a skip (77).
 */
#include <dirent.h>

#include "fuzz.h"

static int run_file(const char *path)
{
        _cleanup_free_ uint8_t *data = NULL;
        size_t size = 0, cap = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n;

                if (cap - size < 65536) {
                        uint8_t *d = realloc(data, cap + 65536);
                        if (!d) {
                                close(fd);
                                return -ENOMEM;
                        }
                        data = d;
                        cap += 65536;
                }
                n = read(fd, data + size, cap - size);
                if (n < 0) {
                        int e = -errno;
                        close(fd);
                        return e;
                }
                if (n == 0)
                        break;
                size += (size_t)n;
        }
        close(fd);
        LLVMFuzzerTestOneInput(data, size);
        return 0;
}

static int run_dir(const char *dir, unsigned *count)
{
        struct dirent **names = NULL;
        int n = scandir(dir, &names, NULL, alphasort), r = 0;

        if (n < 0)
                return errno == ENOENT ? 0 : -errno;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (r >= 0 && names[i]->d_name[0] != '.' &&
                    asprintf(&path, "%s/%s", dir, names[i]->d_name) >= 0 && stat(path, &st) == 0 &&
                    S_ISREG(st.st_mode)) {
                        r = run_file(path);
                        if (r < 0)
                                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                        else
                                (*count)++;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char *argv[])
{
        unsigned count = 0;

        for (int i = 1; i < argc; i++)
                if (run_dir(argv[i], &count) < 0)
                        return EXIT_FAILURE;
        printf("%u inputs, no crash\n", count);
        return count ? EXIT_SUCCESS : 77;
}
