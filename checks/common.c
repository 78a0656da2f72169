/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "common.h"
#include "pathnames.h"

#include <arpa/inet.h>
#include <libmount.h>
#include <sys/stat.h>

#include "accounts.h"
#include "etchosts.h"
#include "lineiter.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table)

int check_nfs_server(const struct check_ctx *ctx, char **ret)
{
        _cleanup_(strv_freep) char **servers = NULL;
        const char *s = conf_get(ctx->profile, "nfs", "server");
        int r;

        if (!s) {
                r = check_hosts_with_role(ctx, ROLE_NFS_SERVER, &servers);
                if (r < 0)
                        return r;
                s = servers[0];
        }
        if (!s)
                return -ENOENT;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int check_peers_with_role(const struct check_ctx *ctx, enum role r, char ***ret)
{
        _cleanup_(strv_freep) char **named = NULL, **peers = NULL;
        int k = check_hosts_with_role(ctx, r, &named);

        if (k < 0)
                return k;
        STRV_FOREACH (p, ctx->peers) {
                bool in_profile = conf_get(ctx->profile, "hosts", *p) != NULL;

                if ((!in_profile || strv_contains(named, *p)) && strv_push_dup(&peers, *p) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(peers);
        return 0;
}

bool check_overlay_wanted(const struct conf *profile, const char *name)
{
        _cleanup_(strv_freep) char **words = NULL;
        const char *o = conf_get(profile, "network", "overlay");

        if (streq(name, "vxlan") && conf_get(profile, "network", "vxlan_vni"))
                return true;
        return o && strv_split(o, ", \t", &words) >= 0 && strv_contains(words, name);
}

int check_host_addresses(const struct check_ctx *ctx, const char *name, char ***ret)
{
        _cleanup_free_ char *hosts = NULL;
        unsigned char buf[sizeof(struct in6_addr)];
        char **v = NULL;
        int r;

        if (inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1) {
                r = strv_push_dup(&v, name);
                if (r < 0)
                        return r;
                *ret = v;
                return 0;
        }
        if (hostfs_read_file(ctx->fs, PATH_ETC_HOSTS, &hosts, NULL) < 0)
                return strv_split("", " ", ret);
        return etchosts_addresses(hosts, name, ret);
}

bool check_same_path(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);

        while (la > 1 && a[la - 1] == '/')
                la--;
        while (lb > 1 && b[lb - 1] == '/')
                lb--;
        return la == lb && strncmp(a, b, la) == 0;
}

int check_exports_load(const struct check_ctx *ctx, struct exports_table *t, char ***ret_files,
                       char **ret_unreadable)
{
        _cleanup_(strv_freep) char **files = NULL, **names = NULL;
        _cleanup_free_ const char **picked = NULL;
        bool any = false;
        int r, n;

        r = hostfs_list_dir(ctx->fs, EXPORTS_DIR, &names);
        if (r < 0 && r != -ENOENT && r != -ENOTDIR) {
                *ret_unreadable = strdup(EXPORTS_DIR);
                return r;
        }

        if (strv_push_dup(&files, EXPORTS_FILE) < 0)
                return -ENOMEM;
        n = names ? exports_dir_select((const char *const *)names, strv_length(names), &picked) : 0;
        if (n < 0)
                return n;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = strdup_printf("%s/%s", EXPORTS_DIR, picked[i]);
                struct stat st;

                if (!path)
                        return -ENOMEM;
                /* exportfs reads regular files (and links to them) only */
                if (hostfs_stat(ctx->fs, path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (strv_push(&files, TAKE_PTR(path)) < 0)
                        return -ENOMEM;
        }

        STRV_FOREACH (f, files) {
                _cleanup_free_ char *buf = NULL;
                size_t len;

                r = hostfs_read_file(ctx->fs, *f, &buf, &len);
                if (r == -ENOENT && f == files)
                        continue; /* no /etc/exports: exports.d alone is fine */
                if (r < 0) {
                        *ret_unreadable = strdup(*f);
                        return r;
                }
                any = true;
                r = exports_parse(t, *f, buf, len);
                if (r < 0)
                        return r;
        }
        if (!any)
                files = strv_free(files);
        *ret_files = TAKE_PTR(files);
        return 0;
}

int check_passwd_lookup(const struct check_ctx *ctx, const char *const *names, char **ret_name,
                        uid_t *ret_uid, gid_t *ret_gid)
{
        return accounts_find_user(ctx->fs, names, ret_name, ret_uid, ret_gid);
}

/* Whether a /proc/net/tcp table lists port in state LISTEN. Its lines read
 * "  0: 00000000:0801 00000000:0000 0A ...": local address:port (hex), remote, state (0A = LISTEN). */
static bool tcp_table_listens(const char *table, unsigned port)
{
        LINE_FOREACH(l, table)
        {
                _cleanup_free_ char *line = line_iter_dup(&l), *local = NULL;
                unsigned lport, state;

                if (line && sscanf(line, " %*u: %m[0-9A-Fa-f]:%x %*s %x", &local, &lport, &state) == 3 &&
                    lport == port && state == 0x0A)
                        return true;
        }
        return false;
}

int check_tcp_listening(unsigned port, bool *ret)
{
        const char *const files[] = {PATH_PROC_NET_TCP, PATH_PROC_NET_TCP6};
        _cleanup_(hostfs_freep) struct hostfs *live = NULL;
        bool found = false, any = false;
        int r;

        /* the sockets of the network namespace hostprep runs in, whatever root is checked */
        r = hostfs_new("/", &live);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(files) && !found; i++) {
                _cleanup_free_ char *table = NULL;

                if (hostfs_read_file(live, files[i], &table, NULL) < 0)
                        continue;
                any = true;
                found = tcp_table_listens(table, port);
        }
        if (!any)
                return -ENOENT;
        *ret = found;
        return 0;
}

bool check_systemd_running(const struct check_ctx *ctx)
{
        struct stat st;

        /* /run/systemd/system exists only while systemd runs the host: never in an image, but in a booted
         * container seen through /proc/PID/root */
        return hostfs_stat(ctx->fs, PATH_RUN_SYSTEMD_SYSTEM, &st) == 0 && S_ISDIR(st.st_mode);
}

char *check_bus_address(const struct check_ctx *ctx)
{
        if (hostfs_is_live(ctx->fs))
                return NULL; /* the default system bus */
        return strdup_printf("unix:path=%s" PATH_DBUS_SYSTEM_SOCKET, hostfs_root(ctx->fs));
}

bool check_failed(const struct check_ctx *ctx, const char *id)
{
        for (size_t i = 0; i < ctx->results->n; i++) {
                const struct result *r = &ctx->results->items[i];
                if ((r->status == STATUS_FAIL || r->status == STATUS_WARN) && (!id || streq(r->id, id)))
                        return true;
        }
        return false;
}

bool check_gave(const struct check_ctx *ctx, const struct result_def *def)
{
        for (size_t i = 0; i < ctx->results->n; i++)
                if (result_defs_contain(def, 1, &ctx->results->items[i]))
                        return true;
        return false;
}

struct table_errors {
        const char *file;
        unsigned first_line;
};

static int table_parse_error(struct libmnt_table *tb, const char *filename, int line)
{
        struct table_errors *e = mnt_table_get_userdata(tb);

        if (e && !e->first_line)
                e->first_line = (unsigned)line;
        return 1; /* skip the line and go on, as mount(8) does */
}

int check_mount_table_read(const struct check_ctx *ctx, const char *path, struct libmnt_table **ret,
                           unsigned *ret_bad_line)
{
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        struct table_errors errs = {.file = path};
        int r;

        r = hostfs_fopen(ctx->fs, path, &f);
        if (r < 0)
                return r;
        tb = mnt_new_table();
        if (!tb)
                return -ENOMEM;
        mnt_table_set_userdata(tb, &errs);
        mnt_table_set_parser_errcb(tb, table_parse_error);
        r = mnt_table_parse_stream(tb, f, path);
        mnt_table_set_userdata(tb, NULL);
        if (r < 0)
                return r;
        *ret_bad_line = errs.first_line;
        *ret = TAKE_PTR(tb);
        return 0;
}

void check_mount_done(struct check_mount *m)
{
        free(m->target);
        free(m->source);
        free(m->fstype);
        free(m->options);
        *m = (struct check_mount){0};
}

int check_mount_of(const struct check_ctx *ctx, const char *path, struct check_mount *ret)
{
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        _cleanup_free_ char *dir = NULL;
        struct libmnt_fs *fs;
        unsigned bad_line = 0;
        int r;

        r = check_mount_table_read(ctx, PATH_PROC_MOUNTINFO, &tb, &bad_line);
        if (r < 0)
                return r;
        /* by name, walking up the path: mnt_table_find_mountpoint() would stat it on this machine, and
         * without a cache mnt_table_find_target() compares strings only. The last mount on a target is
         * the one paths resolve to. */
        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        for (;;) {
                char *slash;

                fs = mnt_table_find_target(tb, *dir ? dir : "/", MNT_ITER_BACKWARD);
                slash = strrchr(dir, '/');
                if (fs || !slash)
                        break;
                *slash = '\0';
        }
        if (!fs)
                return -ENXIO;
        *ret = (struct check_mount){
                strdup(strempty(mnt_fs_get_target(fs))), strdup(strempty(mnt_fs_get_source(fs))),
                strdup(strempty(mnt_fs_get_fstype(fs))), strdup(strempty(mnt_fs_get_options(fs)))};
        if (!ret->target || !ret->source || !ret->fstype || !ret->options) {
                check_mount_done(ret);
                return -ENOMEM;
        }
        return 0;
}
