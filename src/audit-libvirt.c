/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `hostprep audit` asks libvirt: the guests of this host (their definitions and the running ones'
 * live XML, through provision/libvirt-domain.h), libvirt.domains' judgement of each, the dirty rate of
 * the running ones (virDomainStartDirtyRateCalc), and each peer's libvirtd about the guests' CPUs
 * (cross.cpu's question, virConnectCompareHypervisorCPU, asked on the peer's connection). Every libvirt
 * call runs in a child abandoned at its deadline: libvirt's calls have no timeout of their own.
 */
#include "audit-libvirt.h"

#include <time.h>

#include "checks/cross.h"
#include "checks/libvirt-domains.h"
#include "config.h"
#include "domainxml.h"
#include "json-util.h"
#include "provision/libvirt-domain.h"
#include "spawn.h"
#include "strv.h"

#if HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

#define LOCAL_URI "qemu:///system"

/* --- the guests ------------------------------------------------------------------------------------- */

static bool path_below(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        return path && strneq(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* The files of def a destination's QEMU opens at the same path: below the mountpoint, they need the
 * same mount there. */
static int shared_paths(const struct domain_def *def, const char *mountpoint, char ***ret)
{
        int r = 0;

        for (size_t i = 0; mountpoint && i < def->n_disks && r >= 0; i++)
                if (streq_ptr(def->disks[i].type, "file") && path_below(def->disks[i].source, mountpoint))
                        r = strv_push_dup(ret, def->disks[i].source);
        for (size_t i = 0; mountpoint && i < def->n_chardevs && r >= 0; i++)
                if (path_below(def->chardevs[i].path, mountpoint))
                        r = strv_push_dup(ret, def->chardevs[i].path);
        return r;
}

static const struct libvirt_domain_xml *find_running(const struct libvirt_domain_xml *live, size_t n,
                                                     const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(live[i].name, name))
                        return &live[i];
        return NULL;
}

/* One domain: what it is, and libvirt.domains' results for it (on its live XML when it runs). */
static int guest_load(struct check_ctx *ctx, const struct libvirt_domain_xml *d,
                      const struct libvirt_domain_xml *live, struct audit_guest *g)
{
        _cleanup_(domain_def_freep) struct domain_def *def = NULL, *running = NULL;
        _cleanup_free_ char *error = NULL;
        const char *xml = live ? live->xml : d->xml;
        int r;

        r = audit_guest_from_xml(xml, d->persistent ? d->xml : NULL, live != NULL, g);
        if (r >= 0)
                r = domain_xml_parse(d->name, d->xml, strlen(d->xml), &def, &error);
        if (r >= 0 && live)
                r = domain_xml_parse(d->name, live->xml, strlen(live->xml), &running, &error);
        if (r == -EBADMSG) {
                if (!g->name && !(g->name = strdup(d->name)))
                        return -ENOMEM;
                return result_list_add_def(
                        &g->checks, &audit_results[A_GUEST_UNCHECKED], NULL, HINT_VALUES("GUEST", d->name),
                        NULL, "%s: its XML does not parse (%s): not judged", d->name, strna(error));
        }
        if (r >= 0)
                r = shared_paths(running ? running : def, conf_get(ctx->profile, "nfs", "mountpoint"),
                                 &g->shared_paths);
        if (r < 0)
                return r;
        ctx->results = &g->checks;
        return libvirt_domains_check_one(ctx, running ? running : def, running != NULL,
                                         running && d->persistent ? def : NULL);
}

int audit_guests_load(struct check_ctx *ctx, const char *only, struct audit_guest **ret, size_t *ret_n,
                      char **ret_error)
{
        const struct libvirt_listing all = {.uri = LOCAL_URI, .read_only = true},
                                     running = {.uri = LOCAL_URI, .running_only = true, .read_only = true};
        struct libvirt_domain_xml *d = NULL, *live = NULL;
        struct audit_guest *g = NULL;
        size_t n = 0, n_live = 0, k = 0;
        int r;

        r = libvirt_domains_read(&all, ctx->deadline, &d, &n, ret_error);
        if (r >= 0)
                r = libvirt_domains_read(&running, ctx->deadline, &live, &n_live, ret_error);
        g = r >= 0 ? calloc(n + 1, sizeof(*g)) : NULL;
        if (r >= 0 && !g)
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (only && !streq(d[i].name, only))
                        continue;
                r = guest_load(ctx, &d[i], find_running(live, n_live, d[i].name), &g[k++]);
        }
        libvirt_domain_xml_free_many(d, n);
        libvirt_domain_xml_free_many(live, n_live);
        if (r < 0) {
                audit_guests_free(g, k);
                return r;
        }
        *ret = g;
        *ret_n = k;
        return 0;
}

/* --- dirty rates ------------------------------------------------------------------------------------ */

#if HAVE_LIBVIRT
static void libvirt_quiet(void *opaque, virErrorPtr e)
{
        /* libvirt prints its errors by default; the answer carries them */
}

static int reply_json(int fd, json_object *o)
{
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

        return text && spawn_reply(fd, text, strlen(text)) >= 0 ? 0 : 1;
}

struct dirty_job {
        char **names;
        unsigned seconds;
};

/* Starts the calculation on every guest at once; those it could not start get their error in o. */
static size_t dirty_start(virConnectPtr c, const struct dirty_job *j, virDomainPtr *doms, json_object *o)
{
        size_t n = 0;

        STRV_FOREACH (name, j->names) {
                virDomainPtr d = virDomainLookupByName(c, *name);

                if (d && virDomainStartDirtyRateCalc(d, (int)j->seconds, 0) == 0) {
                        doms[n++] = d;
                        continue;
                }
                (void)json_add_string(o, *name, virGetLastErrorMessage());
                if (d)
                        virDomainFree(d);
        }
        return n;
}

/* Polls until every guest's calculation is measured (or this child is killed at the deadline). */
static void dirty_collect(virDomainPtr *doms, size_t n, unsigned seconds, json_object *o)
{
        struct timespec wait = {.tv_sec = seconds};
        size_t done = 0;

        nanosleep(&wait, NULL);
        while (done < n) {
                virDomainStatsRecordPtr *stats = NULL;
                int k = virDomainListGetStats(doms, VIR_DOMAIN_STATS_DIRTYRATE, &stats, 0);

                done = 0;
                for (int i = 0; i < k; i++) {
                        int status = 0;
                        long long mib = 0;
                        const char *name = virDomainGetName(stats[i]->dom);

                        if (virTypedParamsGetInt(stats[i]->params, stats[i]->nparams,
                                                 "dirtyrate.calc_status", &status) == 1 &&
                            status == VIR_DOMAIN_DIRTYRATE_MEASURED &&
                            virTypedParamsGetLLong(stats[i]->params, stats[i]->nparams,
                                                   "dirtyrate.megabytes_per_second", &mib) == 1) {
                                (void)json_add_int(o, name, mib);
                                done++;
                        }
                }
                virDomainStatsRecordListFree(stats);
                if (k < 0)
                        return;
                nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
        }
}

/* In a child: {NAME: MiB/s, or libvirt's error}. Read-write: starting a calculation is a job. */
static int dirty_child(void *userdata, int fd)
{
        const struct dirty_job *j = userdata;
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        virDomainPtr *doms = calloc(strv_length(j->names) + 1, sizeof(*doms));
        virConnectPtr c;
        size_t n;

        virSetErrorFunc(NULL, libvirt_quiet);
        if (!o || !doms)
                return 1;
        c = virConnectOpen(LOCAL_URI);
        STRV_FOREACH (name, c ? NULL : j->names)
                (void)json_add_string(o, *name, virGetLastErrorMessage());
        n = c ? dirty_start(c, j, doms, o) : 0;
        if (n > 0)
                dirty_collect(doms, n, j->seconds, o);
        for (size_t i = 0; i < n; i++)
                virDomainFree(doms[i]);
        free(doms);
        if (c)
                virConnectClose(c);
        return reply_json(fd, o);
}
#endif

/* What the child said of g, into g. */
static int dirty_apply(json_object *o, struct audit_guest *g)
{
        json_object *v = json_get(o, g->name);

        if (v && json_object_is_type(v, json_type_int)) {
                g->dirty_known = true;
                g->dirty_mib_s = (double)json_object_get_int64(v);
                return 0;
        }
        free(g->dirty_error);
        g->dirty_error = v ? strdup(strna(json_object_get_string(v))) : strdup("not measured in time");
        return g->dirty_error ? 0 : -ENOMEM;
}

int audit_dirty_rates(struct audit_guest *g, size_t n, unsigned seconds, usec_t deadline)
{
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *out = NULL;
        const char *why = NULL;
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++)
                if (g[i].running)
                        r = strv_push_dup(&names, g[i].name);
        if (r < 0 || !names || seconds == 0)
                return r;
#if HAVE_LIBVIRT
        struct dirty_job j = {names, seconds};
        r = spawn_call(deadline, dirty_child, &j, 0, &out, NULL, NULL);
        if (r == -ENOMEM)
                return r;
        o = r >= 0 ? json_tokener_parse(out) : NULL;
        why = r == -ETIMEDOUT ? "libvirtd did not measure it before the deadline"
              : !o            ? "no answer from the child that asks libvirtd"
                              : NULL;
#else
        why = "hostprep is built without libvirt";
#endif
        for (size_t i = 0; i < n; i++) {
                if (!g[i].running)
                        continue;
                if (why) {
                        free(g[i].dirty_error);
                        if (!(g[i].dirty_error = strdup(why)))
                                return -ENOMEM;
                } else if (dirty_apply(o, &g[i]) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* --- the peers' CPUs ------------------------------------------------------------------------------------
 */

char *audit_peer_uri(const struct conf *profile, const char *peer)
{
        const char *t = conf_get(profile, "migrate", "transport"), *user = conf_get(profile, "ssh", "user");

        /* the connection hostprep migrate makes to a destination */
        if (streq_ptr(t, "ssh"))
                return strdup_printf("qemu+ssh://%s@%s/system", user ? user : "root", peer);
        return strdup_printf("qemu+%s://%s/system", streq_ptr(t, "tls") ? "tls" : "tcp", peer);
}

/* One peer's libvirtd, asked about every guest that has a CPU to compare. */
static int ask_peer(struct audit_peer *p, const struct audit_guest *g, size_t n, usec_t deadline)
{
        _cleanup_free_ struct cpu_question *q = calloc(n + 1, sizeof(*q));
        _cleanup_free_ size_t *which = calloc(n + 1, sizeof(*which));
        size_t k = 0;
        int r;

        p->cpu = calloc(n + 1, sizeof(*p->cpu));
        if (!q || !which || !p->cpu)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (g[i].cpu_xml) {
                        q[k] = (struct cpu_question){
                                .cpu_xml = g[i].cpu_xml, .arch = g[i].arch, .domain_type = g[i].domain_type};
                        which[k++] = i;
                }
        if (k == 0)
                return 0;
        r = cross_ask_cpu(p->uri, deadline, q, k, &p->cpu_error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                p->cpu_errno = r;
                return 0;
        }
        for (size_t i = 0; i < k; i++)
                p->cpu[which[i]] = (struct audit_cpu_answer){
                        .asked = true, .result = q[i].result, .message = TAKE_PTR(q[i].message)};
        return 0;
}

int audit_ask_cpus(struct audit_peer *p, size_t n_peers, const struct audit_guest *g, size_t n,
                   usec_t deadline)
{
        for (size_t i = 0; i < n_peers; i++) {
                usec_t now = now_usec(), left = deadline > now ? deadline - now : 0;
                /* a fair share of what is left: a dead peer costs its share, not the others' */
                usec_t share = left / (n_peers - i);
                int r;

                if (!p[i].facts)
                        continue;
                r = ask_peer(&p[i], g, n, now + (share < 2 * USEC_PER_SEC ? left : share));
                if (r < 0)
                        return r;
        }
        return 0;
}
