/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libblkid through fsprobe_fd on real filesystem images made with mkfs.ext4 and mkswap. */
#include <fcntl.h>
#include <sys/wait.h>

#include "fsprobe.h"
#include "util.h"

static int failures;

static int run(const char *cmd)
{
        int r = system(cmd);
        return r == -1 ? -1 : WEXITSTATUS(r);
}

static void probe(const char *path, const char *want_type, const char *want_uuid)
{
        _cleanup_free_ char *type = NULL, *uuid = NULL;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        int r = fd < 0 ? -errno : fsprobe_fd(fd, &type, &uuid);

        if (!want_type) {
                if (r != -ENODATA) {
                        fprintf(stderr, "FAIL %s: expected nothing recognised, got r=%d type=%s\n", path, r,
                                strna(type));
                        failures++;
                }
                return;
        }
        if (r < 0 || !type || !streq(type, want_type) || !uuid || !streq(uuid, want_uuid)) {
                fprintf(stderr, "FAIL %s: r=%d type=%s uuid=%s, expected %s %s\n", path, r, strna(type),
                        strna(uuid), want_type, want_uuid);
                failures++;
        }
}

int main(void)
{
        char dir[] = "/tmp/hostprep-test-fsprobe-XXXXXX";
        _cleanup_free_ char *ext4 = NULL, *swap = NULL, *zero = NULL, *cmd = NULL;
        const char *uuid = "1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b";

        if (run("command -v mkfs.ext4 >/dev/null && command -v mkswap >/dev/null") != 0) {
                printf("SKIP: mkfs.ext4 or mkswap missing (e2fsprogs, util-linux)\n");
                return 77;
        }
        if (!mkdtemp(dir))
                return 1;
        ext4 = strdup_printf("%s/ext4.img", dir);
        swap = strdup_printf("%s/swap.img", dir);
        zero = strdup_printf("%s/zero.img", dir);
        cmd = strdup_printf(
                "truncate -s 8M %s %s %s && mkfs.ext4 -q -F -U %s %s && mkswap -q -U %s %s >/dev/null", ext4,
                swap, zero, uuid, ext4, uuid, swap);
        if (!cmd || run(cmd) != 0) {
                fprintf(stderr, "FAIL: making the images failed\n");
                return 1;
        }
        probe(ext4, "ext4", uuid);
        probe(swap, "swap", uuid);
        probe(zero, NULL, NULL);

        free(cmd);
        cmd = strdup_printf("rm -rf %s", dir);
        (void)run(cmd);
        return failures ? 1 : 0;
}
