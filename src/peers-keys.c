/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The root-key hand-over of `apply --peer`: a controller that reaches every host collects every host's root
 * public key and puts them, as one file, on every host, where ssh.root's fix appends what each lacks. */
#include <fcntl.h>
#include <sys/stat.h>

#include "pathnames.h"
#include "peers.h"
#include "profile.h"
#include "strv.h"
#include "template.h"

#define KEYS_DIR         PATH_HOSTPREP_RUNTIME_DIR
#define KEYS_FILE_PREFIX PATH_HOSTPREP_KEYS_PREFIX

/* The first line of text (stripped in place); NULL on -ENOMEM. */
static char *first_key(char *text)
{
        const char *s = strip(text);

        return strndup(s, strcspn(s, "\n"));
}

/* Root's public key on every host (this one through the root, the peers over SSH), one per line. */
static int gather_root_keys(const struct conf *profile, const struct hostfs *fs, char *const *peers,
                            usec_t timeout, char **ret)
{
        static const char *const names[] = {PATH_ROOT_ID_ED25519 ".pub", PATH_ROOT_ID_ECDSA ".pub",
                                            PATH_ROOT_ID_RSA ".pub"};
        _cleanup_free_ char *script = NULL, *error = NULL;
        _cleanup_(strv_freep) char **keys = NULL;
        _cleanup_(peers_exec_done) struct peers_exec e = {0};
        struct ssh_options o;
        int r;

        r = template_render_file(template_default_dirs(), "peer-root-key.sh", NULL, 0, &script, &error);
        if (r < 0)
                return r;
        char *remote[] = {(char *)"sh", (char *)"-c", script, NULL};

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *k = NULL;
                if (hostfs_read_file(fs, names[i], &k, NULL) >= 0) {
                        r = strv_push(&keys, first_key(k));
                        break;
                }
        }
        if (r >= 0)
                r = peers_ssh_options(profile, &o);
        if (r >= 0)
                r = peers_exec(&o, peers, remote, NULL, now_usec() + timeout, &e);
        for (size_t i = 0; r >= 0 && i < e.n; i++)
                if (e.jobs[i].exit_status == 0 && e.jobs[i].out) {
                        _cleanup_free_ char *k = first_key(e.jobs[i].out);
                        if (k && *k && !strv_contains(keys, k))
                                r = strv_push(&keys, TAKE_PTR(k));
                }
        if (r < 0)
                return r;
        if (strv_push_dup(&keys, "") < 0)
                return -ENOMEM;
        *ret = strv_join(keys, "\n");
        return *ret ? 0 : -ENOMEM;
}

/* Puts text at path on every peer (a private file under /run/hostprep), or removes it (text NULL). */
static int ship_file(const struct conf *profile, char *const *peers, const char *path, const char *text,
                     usec_t timeout)
{
        _cleanup_free_ char *script = NULL, *error = NULL;
        _cleanup_(peers_exec_done) struct peers_exec e = {0};
        struct ssh_options o;
        int r;

        /* the path is an argument ($1) of the script, never pasted into it */
        r = template_render_file(template_default_dirs(), text ? "peer-ship-file.sh" : "peer-remove-file.sh",
                                 NULL, 0, &script, &error);
        if (r < 0)
                return r;
        char *remote[] = {(char *)"sh", (char *)"-c", script, (char *)"sh", (char *)path, NULL};
        r = peers_ssh_options(profile, &o);
        if (r >= 0)
                r = peers_exec(&o, peers, remote, text, now_usec() + timeout, &e);
        return r;
}

static int write_local(const char *path, const char *text)
{
        _cleanup_close_ int fd = -EBADF;

        (void)mkdir(KEYS_DIR, 0700);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
                return -EIO;
        return 0;
}

int peers_keys_share(struct conf *profile, const struct hostfs *fs, char *const *peers, usec_t timeout,
                     char **ret_path)
{
        _cleanup_free_ char *path = strdup_printf("%s.%d", KEYS_FILE_PREFIX, (int)getpid()), *keys = NULL,
                            *assignment = NULL, *error = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = gather_root_keys(profile, fs, peers, timeout, &keys);
        if (r < 0)
                return r;
        r = ship_file(profile, peers, path, keys, timeout);
        if (r >= 0)
                r = write_local(path, keys);
        assignment = strdup_printf("ssh.authorized_keys=%s", path);
        if (r >= 0)
                r = assignment ? profile_set(profile, assignment, &error) : -ENOMEM;
        if (r < 0) {
                peers_keys_remove(profile, peers, path, timeout);
                return r;
        }
        *ret_path = TAKE_PTR(path);
        return 0;
}

void peers_keys_remove(const struct conf *profile, char *const *peers, const char *path, usec_t timeout)
{
        (void)unlink(path);
        (void)ship_file(profile, peers, path, NULL, timeout);
}
