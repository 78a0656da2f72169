/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "libvirt-fix.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "envfile.h"
#include "libvirt-conf.h"
#include "template.h"
#include "util.h"

int conf_edit_begin(const struct check_ctx *ctx, const char *path, bool env_file, struct conf_edit *ret)
{
        _cleanup_free_ char *text = NULL;
        int r = hostfs_read_file(ctx->fs, path, &text, NULL);

        if (r < 0 && r != -ENOENT)
                return r;
        *ret = (struct conf_edit){.path = strdup(path), .env_file = env_file};
        ret->after = strdup(text ? text : "");
        ret->before = TAKE_PTR(text);
        if (!ret->path || !ret->after) {
                conf_edit_done(ret);
                return -ENOMEM;
        }
        return 0;
}

/* The template rendered, and its last line alone (the statement itself, for a replacement in place). */
static int render_setting(const struct check_ctx *ctx, const struct conf_edit *e, const char *name,
                          const char *value, const char *why, char **ret_block, char **ret_statement,
                          char **ret_error)
{
        const struct template_value v[] = {
                {"PROFILE", ctx->profile->name}, {"WHY", why}, {"NAME", name}, {"VALUE", value}};
        _cleanup_free_ char *block = NULL;
        const char *last;
        int r;

        r = template_render_file(template_default_dirs(),
                                 e->env_file ? "env-setting.conf" : "libvirt-setting.conf", v, ELEMENTSOF(v),
                                 &block, ret_error);
        if (r < 0)
                return r;
        if (!endswith(block, "\n")) {
                *ret_error = strdup("the setting's template must end with a line end");
                return -EINVAL;
        }
        block[strlen(block) - 1] = '\0';
        last = strrchr(block, '\n');
        *ret_statement = strdup(last ? last + 1 : block);
        if (!*ret_statement)
                return -ENOMEM;
        *ret_block = strdup_printf("%s\n", block);
        return *ret_block ? 0 : -ENOMEM;
}

int conf_edit_set(const struct check_ctx *ctx, struct conf_edit *e, const char *name, const char *value,
                  const char *why, char **ret_error)
{
        _cleanup_free_ char *block = NULL, *statement = NULL, *out = NULL;
        int r;

        r = render_setting(ctx, e, name, value, why, &block, &statement, ret_error);
        if (r < 0)
                return r;
        if (e->env_file)
                r = env_file_set(e->after, name, statement, block, &out);
        else
                r = libvirt_conf_edit(e->path, e->after, name, statement, block, &out, ret_error);
        if (r < 0 || !out)
                return r;
        free(e->after);
        e->after = TAKE_PTR(out);
        return 0;
}

int conf_edit_plan(const struct check_ctx *ctx, struct conf_edit *e, struct plan *plan, const char *unit_id,
                   const char *why)
{
        _cleanup_free_ char *dir = NULL;
        struct stat st;
        int r;

        if (streq(e->after, strempty(e->before)))
                return 0; /* unchanged, or still nothing to write to an absent file */
        dir = strndup(e->path, (size_t)(strrchr(e->path, '/') - e->path));
        if (!dir)
                return -ENOMEM;
        if (!e->before && *dir && hostfs_stat(ctx->fs, dir, &st) < 0) {
                r = plan_mkdir(plan, unit_id, dir, 0755, "the directory of a new file");
                if (r < 0)
                        return r;
        }
        r = plan_write_file(plan, unit_id, e->path, e->before, e->after, 0644, why);
        return r < 0 ? r : 1;
}

void conf_edit_done(struct conf_edit *e)
{
        free(e->path);
        free(e->before);
        free(e->after);
        *e = (struct conf_edit){0};
}

int libvirtd_plan_restart(const struct check_ctx *ctx, const struct libvirtd_model *m, const char *service,
                          struct plan *plan, const char *unit_id, const char *why)
{
        int r;

        if (m->activation == LIBVIRTD_ACTIVATION_MANUAL || !m->service.file_state || !*m->service.file_state)
                return hostfs_is_live(ctx->fs) ? -ENOENT : 0;
        if (!check_systemd_running(ctx))
                return 0;
        /* socket-activated and stopped: it reads everything anew when the next client comes */
        if (!service && m->activation == LIBVIRTD_ACTIVATION_SOCKET && m->service.active_state &&
            !streq(m->service.active_state, "active"))
                return 0;
        r = plan_service(plan, unit_id, service ? service : m->service.name, SERVICE_RESTART, why);
        return r < 0 ? r : 1;
}
