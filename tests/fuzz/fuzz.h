/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the fuzz targets share. A target is one file fuzz-NAME.c defining LLVMFuzzerTestOneInput(); it is
 * linked with libFuzzer in the fuzz build (-Dfuzz=true) and with regress-main.c everywhere else, which
 * feeds it the seed corpus and the regression inputs (tests/fuzz/README.md). Targets return 0 whatever
 * the parser says: only crashes, sanitizer reports, leaks and hangs are findings.
 */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are skipped: the parsers' own caps are tested by the unit tests, and libFuzzer
 * finds more per second in small inputs. */
#define FUZZ_MAX_INPUT (256u * 1024u)

/* The input as a NUL-terminated string (what the text parsers take; an embedded NUL ends it early, as
 * reading the file with a C string would). NULL for an oversized input or out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
        char *s;

        if (size > FUZZ_MAX_INPUT)
                return NULL;
        s = malloc(size + 1);
        if (!s)
                return NULL;
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* A private directory for the targets that read files (made once per process, removed by nobody: it
 * lives under $TMPDIR, else /dev/shm, and holds a few small files). NULL when it cannot be made. */
static inline const char *fuzz_dir(void)
{
        static char *dir;

        if (!dir) {
                const char *tmp = getenv("TMPDIR");
                char *d = NULL;

                /* memory, where there is: a file system on disk costs a journal commit now and then */
                if (!tmp || !*tmp)
                        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
                if (asprintf(&d, "%s/hostprep-fuzz.XXXXXX", tmp) < 0)
                        return NULL;
                if (!mkdtemp(d)) {
                        free(d);
                        return NULL;
                }
                dir = d;
        }
        return dir;
}

/* Writes data to DIR/rel (fuzz_dir(), parent directories made): 0, or a negative errno. */
static inline int fuzz_write_file(const char *rel, const uint8_t *data, size_t size)
{
        const char *dir = fuzz_dir();
        _cleanup_free_ char *path = NULL;
        int fd, r = 0;

        if (!dir || asprintf(&path, "%s/%s", dir, rel) < 0)
                return -ENOMEM;
        for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                (void)mkdir(path, 0700);
                *p = '/';
        }
        /* a new file each time: ext4 flushes a file truncated and written again (auto_da_alloc) at close,
         * which costs milliseconds an input */
        (void)unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        while (size > 0 && r == 0) {
                ssize_t n = write(fd, data, size);
                if (n <= 0)
                        r = n < 0 ? -errno : -EIO;
                else {
                        data += n;
                        size -= (size_t)n;
                }
        }
        close(fd);
        return r;
}
