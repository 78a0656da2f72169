/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "xen-guests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "pathlookup.h"
#include "pathnames.h"
#include "strv.h"

#if HAVE_LIBXLUTIL
#include <dlfcn.h>
#include <libxl.h>
#include <libxlutil.h>
#endif

#define XL_DEFAULT_BRIDGE "xenbr0" /* libxl's default when neither the vif nor xl.conf names one */

static const char *const xen_guest_type_names[] = {
        [XEN_GUEST_PV] = "pv",
        [XEN_GUEST_PVH] = "pvh",
        [XEN_GUEST_HVM] = "hvm",
};
_Static_assert(ELEMENTSOF(xen_guest_type_names) == _XEN_GUEST_TYPE_MAX, "a name for every guest type");

const char *xen_guest_type_to_string(enum xen_guest_type t)
{
        return t >= 0 && t < _XEN_GUEST_TYPE_MAX ? xen_guest_type_names[t] : NULL;
}

enum xen_guest_type xen_guest_type_from_string(const char *s)
{
        for (int t = 0; t < _XEN_GUEST_TYPE_MAX; t++)
                if (streq(xen_guest_type_names[t], s))
                        return t;
        return _XEN_GUEST_TYPE_INVALID;
}

bool check_xen_host(const struct check_ctx *ctx, const char **ret_why)
{
        const char *toolstack = conf_get(ctx->profile, "hypervisor", "toolstack");
        _cleanup_free_ char *xl = NULL;

        if (streq_ptr(toolstack, "xl"))
                return true;
        if (streq_ptr(toolstack, "libvirt")) {
                *ret_why = "the profile's toolstack is libvirt (hypervisor.toolstack)";
                return false;
        }
        if (path_find_executable(ctx->fs, PATH_DAEMON_SEARCH ":" PATH_COMMAND_SEARCH, "xl", &xl) >= 0)
                return true;
        *ret_why = "xl is not installed, and the profile does not say toolstack = xl";
        return false;
}

bool check_xen_runtime(const struct check_ctx *ctx)
{
        struct stat st;

        return hostfs_is_live(ctx->fs) || hostfs_stat(ctx->fs, "/proc", &st) >= 0;
}

static void xen_guest_done(struct xen_guest *g)
{
        free(g->path);
        free(g->name);
        free(g->error);
        free(g->kernel);
        free(g->ramdisk);
        strv_free(g->disks);
        strv_free(g->bridges);
}

void xen_guests_done(struct xen_guests *g)
{
        for (size_t i = 0; i < g->n; i++)
                xen_guest_done(&g->items[i]);
        free(g->items);
        *g = (struct xen_guests){0};
}

#if HAVE_LIBXLUTIL

/* libxlutil and libxenlight, loaded when a Xen host's configs are read rather than linked: a host
 * without Xen's libraries (every KVM host) runs hostprep too, and a Xen host has them with xl. */
static struct {
        __typeof__(xlu_cfg_init) *cfg_init;
        __typeof__(xlu_cfg_readdata) *cfg_readdata;
        __typeof__(xlu_cfg_destroy) *cfg_destroy;
        __typeof__(xlu_cfg_get_string) *cfg_get_string;
        __typeof__(xlu_cfg_get_long) *cfg_get_long;
        __typeof__(xlu_cfg_get_list) *cfg_get_list;
        __typeof__(xlu_cfg_get_listitem) *cfg_get_listitem;
        __typeof__(xlu_disk_parse) *disk_parse;
        __typeof__(libxl_device_disk_init) *disk_init;
        __typeof__(libxl_device_disk_dispose) *disk_dispose;
} xlu;
static char xlu_error[256];

static bool xlu_sym(void *lib, void **fn, const char *name)
{
        *fn = dlsym(lib, name);
        if (!*fn)
                snprintf(xlu_error, sizeof(xlu_error), "%s", dlerror());
        return *fn != NULL;
}

/* 0, or -ENOPKG with the loader's message in xlu_error */
static int xlu_load(void)
{
        static int state; /* 0: not tried, 1: loaded, -1: failed */
        void *light, *util;

        if (state)
                return state > 0 ? 0 : -ENOPKG;
        state = -1;
        light = dlopen(XENLIGHT_SONAME, RTLD_NOW | RTLD_GLOBAL);
        util = light ? dlopen(XLUTIL_SONAME, RTLD_NOW) : NULL;
        if (!util) {
                snprintf(xlu_error, sizeof(xlu_error), "%s", dlerror());
                return -ENOPKG;
        }
        if (!xlu_sym(util, (void **)&xlu.cfg_init, "xlu_cfg_init") ||
            !xlu_sym(util, (void **)&xlu.cfg_readdata, "xlu_cfg_readdata") ||
            !xlu_sym(util, (void **)&xlu.cfg_destroy, "xlu_cfg_destroy") ||
            !xlu_sym(util, (void **)&xlu.cfg_get_string, "xlu_cfg_get_string") ||
            !xlu_sym(util, (void **)&xlu.cfg_get_long, "xlu_cfg_get_long") ||
            !xlu_sym(util, (void **)&xlu.cfg_get_list, "xlu_cfg_get_list") ||
            !xlu_sym(util, (void **)&xlu.cfg_get_listitem, "xlu_cfg_get_listitem") ||
            !xlu_sym(util, (void **)&xlu.disk_parse, "xlu_disk_parse") ||
            !xlu_sym(light, (void **)&xlu.disk_init, "libxl_device_disk_init") ||
            !xlu_sym(light, (void **)&xlu.disk_dispose, "libxl_device_disk_dispose"))
                return -ENOPKG;
        state = 1;
        return 0;
}

const char *xen_guests_parser_error(void)
{
        return xlu_error;
}

/* xl's parser reports to a FILE: a memory stream, so its message becomes the guest's error. */
struct xlu_parse {
        XLU_Config *cfg;
        FILE *report;
        char *text;
        size_t len;
};

static void xlu_parse_done(struct xlu_parse *p)
{
        if (p->cfg)
                xlu.cfg_destroy(p->cfg);
        if (p->report)
                fclose(p->report);
        free(p->text);
}

/* Parses data as xl reads a config named name. 0, or -EBADMSG with *ret_error xl's message. */
static int xlu_parse(struct xlu_parse *p, const char *name, const char *data, char **ret_error)
{
        int r;

        p->report = open_memstream(&p->text, &p->len);
        if (!p->report)
                return -ENOMEM;
        p->cfg = xlu.cfg_init(p->report, name);
        if (!p->cfg)
                return -ENOMEM;
        r = xlu.cfg_readdata(p->cfg, data, (int)strlen(data));
        if (r == 0)
                return 0;
        fflush(p->report);
        *ret_error = p->len ? strdup(strip(p->text)) : strdup_printf("%s: %s", name, strerror(r));
        return *ret_error ? -EBADMSG : -ENOMEM;
}

static char *cfg_string(const XLU_Config *cfg, const char *key)
{
        const char *v = NULL;

        return xlu.cfg_get_string(cfg, key, &v, 1) == 0 && v ? strdup(v) : NULL;
}

/* xl's parse_config_data(): type =, else builder = "hvm", else PV. */
static enum xen_guest_type cfg_type(const XLU_Config *cfg)
{
        const char *v = NULL;

        if (xlu.cfg_get_string(cfg, "type", &v, 1) == 0 && v)
                return xen_guest_type_from_string(v);
        if (xlu.cfg_get_string(cfg, "builder", &v, 1) == 0 && v && streq(v, "hvm"))
                return XEN_GUEST_HVM;
        return XEN_GUEST_PV;
}

static int cfg_disks(XLU_Config *cfg, char ***ret)
{
        XLU_ConfigList *list = NULL;
        int n = 0;

        if (xlu.cfg_get_list(cfg, "disk", &list, &n, 1) != 0)
                return 0;
        for (int i = 0; i < n; i++) {
                const char *spec = xlu.cfg_get_listitem(list, i);
                libxl_device_disk disk;
                int r = 0;

                xlu.disk_init(&disk);
                /* an empty CD-ROM drive has no target; a bad spec is xl create's error, not ours */
                if (spec && xlu.disk_parse(cfg, 1, &spec, &disk) == 0 && disk.pdev_path && *disk.pdev_path)
                        r = strv_push_dup(ret, disk.pdev_path);
                xlu.disk_dispose(&disk);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* 'bridge=xenbr0,mac=00:16:3e:..' (xl-network-configuration(5)); '' takes the default bridge. */
static int cfg_bridges(const XLU_Config *cfg, const char *default_bridge, char ***ret)
{
        XLU_ConfigList *list = NULL;
        int n = 0;

        if (xlu.cfg_get_list(cfg, "vif", &list, &n, 1) != 0)
                return 0;
        for (int i = 0; i < n; i++) {
                _cleanup_(strv_freep) char **words = NULL;
                const char *spec = xlu.cfg_get_listitem(list, i), *bridge = default_bridge;

                if (strv_split(strempty(spec), ",", &words) < 0)
                        return -ENOMEM;
                STRV_FOREACH (w, words) {
                        char *k = strip(*w);

                        if (startswith(k, "bridge="))
                                bridge = strip(k + strlen("bridge="));
                }
                if (!strv_contains(*ret, bridge) && strv_push_dup(ret, bridge) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int guest_read(const struct check_ctx *ctx, const char *default_bridge, struct xen_guest *g)
{
        _cleanup_(xlu_parse_done) struct xlu_parse p = {0};
        _cleanup_free_ char *data = NULL;
        long memory;
        int r;

        r = hostfs_read_file(ctx->fs, g->path, &data, NULL);
        if (r < 0) {
                g->error = strdup_printf("%s: %s", g->path, strerror(-r));
                return g->error ? 0 : -ENOMEM;
        }
        r = xlu_parse(&p, g->path, data, &g->error);
        if (r < 0)
                return r == -EBADMSG ? 0 : r;
        g->name = cfg_string(p.cfg, "name");
        g->type = cfg_type(p.cfg);
        if (g->type < 0) {
                g->error = strdup_printf("%s: type is none of pv, pvh, hvm", g->path);
                return g->error ? 0 : -ENOMEM;
        }
        if (xlu.cfg_get_long(p.cfg, "memory", &memory, 1) == 0 && memory > 0 && memory <= UINT32_MAX)
                g->memory = (unsigned)memory;
        g->kernel = cfg_string(p.cfg, "kernel");
        g->ramdisk = cfg_string(p.cfg, "ramdisk");
        r = cfg_disks(p.cfg, &g->disks);
        if (r >= 0)
                r = cfg_bridges(p.cfg, default_bridge, &g->bridges);
        return r;
}

/* vif.default.bridge of xl.conf, else libxl's xenbr0. */
static char *default_bridge(const struct check_ctx *ctx)
{
        _cleanup_(xlu_parse_done) struct xlu_parse p = {0};
        _cleanup_free_ char *data = NULL, *error = NULL;
        char *bridge = NULL;

        if (hostfs_read_file(ctx->fs, PATH_XL_CONF, &data, NULL) >= 0 &&
            xlu_parse(&p, PATH_XL_CONF, data, &error) == 0)
                bridge = cfg_string(p.cfg, "vif.default.bridge");
        return bridge ? bridge : strdup(XL_DEFAULT_BRIDGE);
}

int xen_guests_load(const struct check_ctx *ctx, struct xen_guests *ret)
{
        _cleanup_(xen_guests_done) struct xen_guests g = {.dir = conf_get(ctx->profile, "xen", "configs")
                                                                         ?: PATH_XEN_CONFIG_DIR};
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_free_ char *bridge = NULL;
        int r;

        r = xlu_load();
        if (r < 0)
                return r;
        r = hostfs_list_dir(ctx->fs, g.dir, &names);
        if (r < 0)
                return r;
        bridge = default_bridge(ctx);
        if (!bridge)
                return -ENOMEM;
        STRV_FOREACH (n, names) {
                struct xen_guest *items;

                if (!endswith(*n, ".cfg"))
                        continue;
                items = realloc(g.items, (g.n + 1) * sizeof(*items));
                if (!items)
                        return -ENOMEM;
                g.items = items;
                g.items[g.n] = (struct xen_guest){.path = strdup_printf("%s/%s", g.dir, *n)};
                if (!g.items[g.n++].path)
                        return -ENOMEM;
                r = guest_read(ctx, bridge, &g.items[g.n - 1]);
                if (r < 0)
                        return r;
        }
        *ret = g;
        g = (struct xen_guests){0};
        return 0;
}

#else

const char *xen_guests_parser_error(void)
{
        return "hostprep was built without libxlutil";
}

int xen_guests_load(const struct check_ctx *ctx, struct xen_guests *ret)
{
        (void)ctx;
        *ret = (struct xen_guests){0};
        return -EOPNOTSUPP;
}

#endif
