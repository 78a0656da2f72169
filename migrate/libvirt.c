/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "libvirt" migrate driver: libvirt C API, source and destination libvirtd.
 *
 * No call may hang. How:
 *  - virConnectOpenAuth runs in a worker thread; the caller waits for it with a deadline and, when it
 *    passes, abandons the thread (it closes its connection itself if it ever returns). A TCP probe of
 *    HOST:PORT before that gives the plain "connection refused" / "timed out" answer at once.
 *  - Every connection gets libvirt keepalive (KEEPALIVE_INTERVAL_S x KEEPALIVE_COUNT), driven by
 *    libvirt's default event loop in a thread of its own: a peer that dies or freezes fails every call
 *    in flight on that connection within ~20 s.
 *  - The migration call runs in a worker thread too; this thread polls the job (virDomainGetJobStats)
 *    and calls virDomainAbortJob on timeout, stall or interrupt, then waits a bounded time for the
 *    worker before giving up on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "canary.h"
#include "driver.h"
#include "libvirt-xml.h"
#include "macro.h"
#include "template.h"
#include "util.h"

#define CONNECT_TIMEOUT_US     (15 * USEC_PER_SEC)
#define PROBE_TIMEOUT_MS       5000
#define KEEPALIVE_INTERVAL_S   5
#define KEEPALIVE_COUNT        3
#define CANARY_BOOT_TIMEOUT_US (20 * USEC_PER_SEC)
#define ABORT_WAIT_US          (30 * USEC_PER_SEC)
#define MIB                    (1024ULL * 1024ULL)
#define MIGRATION_PORTS        "49152-49215"

struct lv_state {
        virConnectPtr src, dst;
        char *src_uri, *dst_uri;
        char *name;
        bool created;          /* the canary is ours: cleanup destroys and undefines it */
        bool guest_persistent; /* a named guest that is defined (not transient): it stays so */
        bool on_dst;           /* where the guest runs now */
        bool verified;         /* verify() after the last migration passed */
};

static struct lv_state *state(struct migrate_session *s)
{
        return s->priv;
}

static void silence(void *opaque, virErrorPtr e)
{
        /* libvirt prints errors to stderr by default; the driver reports them through the session */
}

/* ---- process-wide: error handler, event loop for keepalive ---- */

static pthread_once_t event_once = PTHREAD_ONCE_INIT;
static int event_ready = -1;

static void *event_loop(void *u)
{
        for (;;)
                if (virEventRunDefaultImpl() < 0)
                        usleep(100 * 1000);
        return NULL;
}

static void event_init(void)
{
        pthread_t t;

        virSetErrorFunc(NULL, silence);
        if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0)
                return;
        if (pthread_create(&t, NULL, event_loop, NULL) != 0)
                return;
        pthread_detach(t);
        event_ready = 0;
}

/* ---- errors ---- */

struct lv_error {
        int code, domain;
        char *message; /* NULL: libvirt gave none (or no memory was left to keep it) */
};

static void lv_error_done(struct lv_error *e)
{
        e->message = mfree(e->message);
}

/* libvirt's last error of this thread into e (replacing what e held), and reset. */
static void lv_error_take(struct lv_error *e)
{
        virErrorPtr v = virGetLastError();

        lv_error_done(e);
        e->code = v ? v->code : VIR_ERR_INTERNAL_ERROR;
        e->domain = v ? v->domain : 0;
        e->message = v && v->message ? strdup(v->message) : NULL;
        virResetLastError();
}

static const char *lv_error_message(const struct lv_error *e)
{
        return e->message ?: "unknown libvirt error";
}

static int lv_fail(struct migrate_session *s, int err, const char *what)
{
        _cleanup_(lv_error_done) struct lv_error e = {};

        lv_error_take(&e);
        return migrate_error(s, err, "%s: %s", what, lv_error_message(&e));
}

/* ---- connections with a deadline ---- */

struct open_job {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        char *uri;
        virConnectPtr conn;
        struct lv_error error;
        bool done, abandoned;
};

static void open_job_free(struct open_job *j)
{
        pthread_mutex_destroy(&j->lock);
        pthread_cond_destroy(&j->cond);
        lv_error_done(&j->error);
        free(j->uri);
        free(j);
}

static void *open_worker(void *u)
{
        struct open_job *j = u;
        virConnectPtr c = virConnectOpenAuth(j->uri, virConnectAuthPtrDefault, 0);
        bool abandoned;

        if (!c)
                lv_error_take(&j->error);
        pthread_mutex_lock(&j->lock);
        j->conn = c;
        j->done = true;
        abandoned = j->abandoned;
        pthread_cond_signal(&j->cond);
        pthread_mutex_unlock(&j->lock);
        if (abandoned) {
                if (c)
                        virConnectClose(c);
                open_job_free(j);
        }
        return NULL;
}

/* A TCP connect to HOST:PORT with a deadline, for a clear message before libvirt tries. */
static int tcp_probe(const char *host, const char *port, char **ret_why)
{
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
        int r, err = ETIMEDOUT;

        r = getaddrinfo(host, port, &hints, &ai);
        if (r != 0) {
                *ret_why = strdup_printf("cannot resolve %s: %s", host, gai_strerror(r));
                return -EHOSTUNREACH;
        }
        for (struct addrinfo *a = ai; a; a = a->ai_next) {
                _cleanup_close_ int fd =
                        socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                struct pollfd p;
                socklen_t l = sizeof(err);

                if (fd < 0)
                        continue;
                if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
                        freeaddrinfo(ai);
                        return 0;
                }
                if (errno != EINPROGRESS) {
                        err = errno;
                        continue;
                }
                p = (struct pollfd){.fd = fd, .events = POLLOUT};
                if (poll(&p, 1, PROBE_TIMEOUT_MS) <= 0) {
                        err = ETIMEDOUT;
                        continue;
                }
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
                        err = errno;
                if (err == 0) {
                        freeaddrinfo(ai);
                        return 0;
                }
        }
        freeaddrinfo(ai);
        *ret_why = strdup(err == ETIMEDOUT ? "no answer within 5 s (packets dropped?)" : strerror(err));
        return -err;
}

static int lv_open(struct migrate_session *s, const char *uri, const char *role, virConnectPtr *ret)
{
        _cleanup_free_ char *host = NULL, *port = NULL, *why = NULL;
        struct open_job *j;
        struct timespec ts;
        usec_t deadline;
        int r = 0;

        pthread_once(&event_once, event_init);
        if (event_ready < 0)
                return migrate_error(s, EIO, "cannot start libvirt's event loop");
        r = libvirt_uri_endpoint(uri, &host, &port);
        if (r < 0)
                return r;
        if (r > 0) {
                r = tcp_probe(host, port, &why);
                if (r < 0)
                        return migrate_error(s, r, "%s libvirtd unreachable at %s:%s: %s", role, host, port,
                                             strna(why));
        }

        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        pthread_mutex_init(&j->lock, NULL);
        pthread_cond_init(&j->cond, NULL);
        j->uri = strdup(uri);
        pthread_t t;
        if (!j->uri || pthread_create(&t, NULL, open_worker, j) != 0) {
                open_job_free(j);
                return -ENOMEM;
        }
        pthread_detach(t);

        deadline = now_usec() + CONNECT_TIMEOUT_US;
        pthread_mutex_lock(&j->lock);
        while (!j->done) {
                usec_t now = now_usec();
                struct timespec rt;

                if (now >= deadline || s->interrupted)
                        break;
                clock_gettime(CLOCK_REALTIME, &rt);
                /* wake at least every 100 ms to notice an interrupt */
                usec_t step = deadline - now < 100 * USEC_PER_MSEC ? deadline - now : 100 * USEC_PER_MSEC;
                uint64_t ns = (uint64_t)rt.tv_nsec + step * 1000;
                ts.tv_sec = rt.tv_sec + (time_t)(ns / 1000000000);
                ts.tv_nsec = (long)(ns % 1000000000);
                pthread_cond_timedwait(&j->cond, &j->lock, &ts);
        }
        if (!j->done) {
                j->abandoned = true; /* the worker frees the job */
                pthread_mutex_unlock(&j->lock);
                if (s->interrupted)
                        return migrate_error(s, ECANCELED, "interrupted while connecting to %s", uri);
                return migrate_error(s, ETIMEDOUT, "%s libvirtd at %s did not answer within %u s", role, uri,
                                     (unsigned)(CONNECT_TIMEOUT_US / USEC_PER_SEC));
        }
        pthread_mutex_unlock(&j->lock);
        if (!j->conn) {
                r = migrate_error(s, ECONNREFUSED, "cannot connect to the %s libvirtd (%s): %s", role, uri,
                                  lv_error_message(&j->error));
                open_job_free(j);
                return r;
        }
        virConnectPtr c = j->conn;
        open_job_free(j);
        virConnSetErrorFunc(c, NULL, silence);
        /* remote connections only; a local one (unix socket) answers -1 and needs none */
        (void)virConnectSetKeepAlive(c, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT);
        virResetLastError();
        *ret = c;
        return 0;
}

/* ---- helpers ---- */

/* The canary's domain XML (templates/canary-domain.xml); a bad template or disk is the session's error. */
static int canary_xml(struct migrate_session *s, const char *name, char **ret)
{
        const struct migrate_params *p = &s->params;
        const struct canary_domain d = {
                .name = name,
                .kernel = p->canary_kernel,
                .cmdline = p->canary_cmdline,
                .disk = p->disk,
                .mem_mib = p->canary_mem_mib,
        };
        _cleanup_free_ char *error = NULL;
        int r;

        r = canary_domain_xml(template_default_dirs(), &d, ret, &error);
        if (r < 0 && error)
                return migrate_error(s, r, "cannot write the canary's domain XML: %s", error);
        return r;
}

static int peek_block(virDomainPtr dom, struct canary_block *ret)
{
        uint8_t raw[CANARY_BLOCK_SIZE];

        if (virDomainMemoryPeek(dom, CANARY_BLOCK_ADDR, sizeof(raw), raw, VIR_MEMORY_PHYSICAL) < 0)
                return -EIO;
        canary_block_decode(raw, ret);
        return 0;
}

/* The host UUID libvirt reports (its capabilities' /capabilities/host/uuid), NULL if none. */
static char *host_uuid(virConnectPtr c)
{
        _cleanup_free_ char *caps = virConnectGetCapabilities(c);
        char *uuid = NULL;

        if (!caps || capabilities_host_uuid(caps, &uuid) < 0)
                return NULL;
        return uuid;
}

static virConnectPtr conn_here(struct lv_state *st)
{
        return st->on_dst ? st->dst : st->src;
}

static virConnectPtr conn_there(struct lv_state *st)
{
        return st->on_dst ? st->src : st->dst;
}

/* ---- driver steps ---- */

static int lv_prepare(struct migrate_session *s)
{
        const struct migrate_params *p = &s->params;
        struct lv_state *st;
        _cleanup_free_ char *u1 = NULL, *u2 = NULL;
        int r;

        if (s->priv)
                return 0;
        if (!p->dest_uri && !p->dest_host)
                return migrate_error(s, EINVAL, "no destination host given");
        if (!p->guest_name && !p->canary_kernel)
                return migrate_error(s, EINVAL, "no canary kernel given");
        if (p->canary_mem_mib < CANARY_MIN_MEM_MIB)
                return migrate_error(s, EINVAL, "the canary needs at least %d MiB of memory",
                                     CANARY_MIN_MEM_MIB);
        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        /* from here on the session owns it: lv_free() releases it whatever happens next */
        s->priv = st;
        st->src_uri = strdup(p->source_uri ?: "qemu:///system");
        if (p->dest_uri)
                st->dst_uri = strdup(p->dest_uri);
        else if (p->transport == MIGRATE_TRANSPORT_SSH)
                st->dst_uri = strdup_printf("qemu+ssh://root@%s/system", p->dest_host);
        else
                st->dst_uri = strdup_printf("qemu+%s://%s/system", migrate_transport_to_string(p->transport),
                                            p->dest_host);
        if (!st->src_uri || !st->dst_uri)
                return -ENOMEM;

        r = lv_open(s, st->src_uri, "source", &st->src);
        if (r < 0)
                return r;
        r = lv_open(s, st->dst_uri, "destination", &st->dst);
        if (r < 0)
                return r;

        /* libvirt refuses later with "Attempt to migrate guest to the same host"; say why now */
        u1 = host_uuid(st->src);
        u2 = host_uuid(st->dst);
        if (u1 && u2 && streq(u1, u2))
                return migrate_error_as(
                        s, MIGRATE_ERROR_SAME_HOST, EEXIST,
                        "source and destination report the same host UUID %s, so libvirt would refuse (\"Attempt to migrate guest to the same host\"): give each host its own host_uuid in libvirtd.conf (or distinct SMBIOS UUIDs)",
                        u1);
        return 0;
}

/* ---- the marker every canary carries, and the sweep of those an earlier run left ---- */

#define CANARY_PREFIX "hostprep-canary-"
#define CANARY_NS_URI "urn:hostprep:canary"

static char *this_boot_id(void)
{
        return read_first_line("/proc/sys/kernel/random/boot_id");
}

/* The run that made a canary is alive: same boot, its pid a hostprep process. */
static bool run_alive(const char *boot, long pid)
{
        _cleanup_free_ char *mine = this_boot_id();

        return mine && streq_ptr(boot, mine) && process_is_hostprep(pid);
}

/* <run host= pid= boot= disk=/> in libvirt's metadata, under the canary's own namespace */
static int canary_mark(virDomainPtr dom, const char *disk)
{
        _cleanup_free_ char *boot = this_boot_id(), *x = NULL;
        char host[256] = "";
        xmlChar *qdisk;

        if (gethostname(host, sizeof(host) - 1) < 0 || !boot)
                return -EIO;
        qdisk = xmlEncodeSpecialChars(NULL, BAD_CAST(disk ? disk : ""));
        x = strdup_printf("<run host='%s' pid='%d' boot='%s' disk='%s'/>", host, (int)getpid(), boot,
                          qdisk ? (const char *)qdisk : "");
        xmlFree(qdisk);
        if (!x)
                return -ENOMEM;
        return virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, x, "hostprep", CANARY_NS_URI,
                                    VIR_DOMAIN_AFFECT_CONFIG) < 0
                       ? -EIO
                       : 0;
}

struct canary_marker {
        char *host, *boot, *disk;
        long pid;
};

static void canary_marker_done(struct canary_marker *m)
{
        free(m->host);
        free(m->boot);
        free(m->disk);
}

static char *xml_prop(xmlNodePtr n, const char *name)
{
        xmlChar *v = xmlGetProp(n, BAD_CAST name);
        char *r = v ? strdup((const char *)v) : NULL;

        xmlFree(v);
        return r;
}

static int canary_marker_read(virDomainPtr d, struct canary_marker *ret)
{
        char *md = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, CANARY_NS_URI,
                                        VIR_DOMAIN_AFFECT_CONFIG);
        _cleanup_free_ char *pid = NULL;
        xmlDocPtr doc;
        xmlNodePtr root;

        if (!md)
                md = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, CANARY_NS_URI,
                                          VIR_DOMAIN_AFFECT_LIVE);
        virResetLastError();
        if (!md)
                return 0;
        doc = xmlReadMemory(md, (int)strlen(md), "metadata", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
        free(md);
        root = doc ? xmlDocGetRootElement(doc) : NULL;
        if (root) {
                ret->host = xml_prop(root, "host");
                ret->boot = xml_prop(root, "boot");
                ret->disk = xml_prop(root, "disk");
                pid = xml_prop(root, "pid");
                ret->pid = pid ? strtol(pid, NULL, 10) : 0;
        }
        xmlFreeDoc(doc);
        return ret->host && ret->boot ? 1 : 0;
}

/* A canary's disk goes with it when it is one of hostprep's own files */
static void remove_canary_disk(const char *disk)
{
        const char *base = disk ? strrchr(disk, '/') : NULL;
        struct stat st;

        if (base && startswith(base + 1, CANARY_PREFIX) && lstat(disk, &st) == 0 && S_ISREG(st.st_mode))
                (void)unlink(disk);
}

/* Canaries this host's earlier runs left on one hypervisor (killed before their cleanup): destroyed,
 * undefined, their disks removed. Only those with this host's marker whose run is gone; a guest without
 * the marker is never touched. */
static void sweep_stale(struct migrate_session *s, virConnectPtr c, const char *role)
{
        virDomainPtr *doms = NULL;
        char host[256] = "";
        int n;

        if (!c || gethostname(host, sizeof(host) - 1) < 0)
                return;
        n = virConnectListAllDomains(c, &doms, 0);
        for (int i = 0; i < n; i++) {
                struct canary_marker m = {};
                const char *name = virDomainGetName(doms[i]);

                if (name && startswith(name, CANARY_PREFIX) && canary_marker_read(doms[i], &m) > 0 &&
                    streq(m.host, host) && !run_alive(m.boot, m.pid)) {
                        if (virDomainIsActive(doms[i]) == 1)
                                (void)virDomainDestroy(doms[i]);
                        if (virDomainIsPersistent(doms[i]) == 1)
                                (void)virDomainUndefineFlags(doms[i],
                                                             VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                                                     VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
                        remove_canary_disk(m.disk);
                        s->stats.stale_removed++;
                        fprintf(stderr,
                                "hostprep: removed the canary %s that an earlier run (pid %ld, gone) left on the %s\n",
                                name, m.pid, role);
                }
                canary_marker_done(&m);
                virDomainFree(doms[i]);
        }
        free(doms);
        virResetLastError();
}

static int lv_start(struct migrate_session *s)
{
        struct lv_state *st = state(s);
        const struct migrate_params *p = &s->params;
        _cleanup_free_ char *xml = NULL;
        struct canary_block b = {};
        virDomainPtr dom;
        usec_t deadline;
        int r;

        if (p->guest_name) {
                st->name = strdup(p->guest_name);
                if (!st->name)
                        return -ENOMEM;
                dom = virDomainLookupByName(st->src, st->name);
                if (!dom)
                        return lv_fail(s, ENOENT, "guest on the source");
                int active = virDomainIsActive(dom);
                st->guest_persistent = virDomainIsPersistent(dom) == 1;
                virDomainFree(dom);
                virResetLastError();
                /* a live migration needs a running guest; hostprep never starts someone else's */
                if (active != 1)
                        return migrate_error(
                                s, EINVAL,
                                "the guest %s is not running on the source (%s): start it first, hostprep migrates running guests only",
                                st->name, st->src_uri);
                return 0;
        }

        sweep_stale(s, st->src, "source");
        sweep_stale(s, st->dst, "destination");
        st->name = strdup_printf(CANARY_PREFIX "%d-%" PRIx64, (int)getpid(), (uint64_t)now_usec());
        if (!st->name)
                return -ENOMEM;
        r = canary_xml(s, st->name, &xml);
        if (r < 0)
                return r;
        dom = virDomainDefineXML(st->src, xml);
        if (!dom)
                return lv_fail(s, EIO, "defining the canary on the source");
        st->created = true;
        if (canary_mark(dom, p->disk) < 0) {
                virDomainFree(dom);
                return lv_fail(s, EIO, "marking the canary as hostprep's (libvirt metadata)");
        }
        if (virDomainCreate(dom) < 0) {
                r = lv_fail(s, EIO, "starting the canary on the source");
                virDomainFree(dom);
                return r;
        }
        deadline = now_usec() + CANARY_BOOT_TIMEOUT_US;
        for (;;) {
                if (peek_block(dom, &b) >= 0 && canary_magic_ok(&b) && b.heartbeat > 0)
                        break;
                if (now_usec() >= deadline) {
                        virDomainFree(dom);
                        return migrate_error(s, ETIMEDOUT, "the canary did not come up within %u s",
                                             (unsigned)(CANARY_BOOT_TIMEOUT_US / USEC_PER_SEC));
                }
                if (migrate_session_sleep(s, 50) < 0) {
                        virDomainFree(dom);
                        return migrate_error(s, ECANCELED, "interrupted while the canary was booting");
                }
        }
        virResetLastError();
        virDomainFree(dom);
        return 0;
}

struct migrate_job {
        pthread_mutex_t lock;
        virDomainPtr dom;    /* own reference */
        virConnectPtr dconn; /* own reference, for Migrate3 */
        char *uri;           /* for MigrateToURI3, else NULL */
        virTypedParameterPtr params;
        int nparams;
        unsigned flags;
        int result;
        struct lv_error error;
        bool done, abandoned;
};

static void migrate_job_free(struct migrate_job *j)
{
        virDomainFree(j->dom);
        if (j->dconn)
                virConnectClose(j->dconn);
        virTypedParamsFree(j->params, j->nparams);
        free(j->uri);
        lv_error_done(&j->error);
        pthread_mutex_destroy(&j->lock);
        free(j);
}

static void *migrate_worker(void *u)
{
        struct migrate_job *j = u;
        int r;
        bool abandoned;

        if (j->uri)
                r = virDomainMigrateToURI3(j->dom, j->uri, j->params, j->nparams, j->flags);
        else {
                virDomainPtr d = virDomainMigrate3(j->dom, j->dconn, j->params, j->nparams, j->flags);
                r = d ? 0 : -1;
                if (d)
                        virDomainFree(d);
        }
        pthread_mutex_lock(&j->lock);
        j->result = r;
        if (r < 0)
                lv_error_take(&j->error);
        j->done = true;
        abandoned = j->abandoned;
        pthread_mutex_unlock(&j->lock);
        if (abandoned)
                migrate_job_free(j);
        return NULL;
}

static bool job_done(struct migrate_job *j)
{
        bool d;

        pthread_mutex_lock(&j->lock);
        d = j->done;
        pthread_mutex_unlock(&j->lock);
        return d;
}

/* Turns a failed migration's libvirt error into a message that names the cause. */
static int explain(struct migrate_session *s, const struct lv_error *e, const char *dst_uri)
{
        const char *m = lv_error_message(e);
        _cleanup_free_ char *host = NULL, *port = NULL;

        if (e->code == VIR_ERR_MIGRATE_UNSAFE || strstr(m, "Migration without shared storage is unsafe"))
                return migrate_error_as(
                        s, MIGRATE_ERROR_UNSAFE_STORAGE, EPERM,
                        "libvirt refuses to migrate: the guest's disk (%s) is not on storage libvirt recognises as shared (NFS, GlusterFS, Ceph, CIFS, or a network disk such as NBD/iSCSI), so the destination could read stale data. Put the disk on the profile's shared mount with cache='none' (libvirt said: %s)",
                        strna(s->params.disk), m);
        if (e->code == VIR_ERR_CPU_INCOMPATIBLE ||
            (strstr(m, "CPU") &&
             (strstr(m, "incompatible") || strstr(m, "does not match") || strstr(m, "doesn't match"))))
                return migrate_error_as(
                        s, MIGRATE_ERROR_CPU_INCOMPATIBLE, ENOTSUP,
                        "the destination's CPU cannot run the guest's CPU model: give the guest a model both hosts support (virsh hypervisor-cpu-baseline on both) (libvirt said: %s)",
                        m);
        if (strstr(m, "Attempt to migrate guest to the same host"))
                return migrate_error_as(
                        s, MIGRATE_ERROR_SAME_HOST, EEXIST,
                        "source and destination libvirtd report the same host UUID, so libvirt takes them for one host: give each its own host_uuid in libvirtd.conf (libvirt said: %s)",
                        m);
        if (strstr(m, "unable to connect to server at")) {
                const char *a = strstr(m, "at '"), *b2 = a ? strchr(a + 4, '\'') : NULL;
                return migrate_error_as(
                        s, MIGRATE_ERROR_DEST_UNREACHABLE, ECONNREFUSED,
                        "the destination libvirtd at %.*s is unreachable from the source (%s): %s",
                        b2 ? (int)(b2 - a - 4) : 0, b2 ? a + 4 : "", dst_uri,
                        strstr(m, "refused")
                                ? "connection refused: is libvirtd running and listening (listen_tcp / libvirtd-tcp.socket)?"
                                : m);
        }
        if (libvirt_uri_endpoint(dst_uri, &host, &port) > 0 &&
            (strstr(m, "Failed to connect") || strstr(m, "migration") || strstr(m, "Connection refused")) &&
            strstr(m, "refused"))
                return migrate_error_as(
                        s, MIGRATE_ERROR_PORTS_BLOCKED, ECONNREFUSED,
                        "the source QEMU cannot open the migration connection to %s (ports " MIGRATION_PORTS
                        " by default): %s",
                        host, m);
        if (strstr(m, "closed") || strstr(m, "End of file") || strstr(m, "keepalive"))
                return migrate_error_as(s, MIGRATE_ERROR_CONNECTION_LOST, ECONNRESET,
                                        "lost the connection to a libvirtd during migration: %s", m);
        return migrate_error(s, EIO, "migration failed: %s", m);
}

/* The job's statistics into *ret (a completed job's) and/or *ret_info (one in progress; phase untouched). */
/* false: libvirt gave no statistics (an error, or no job: one that is just ending) */
static bool job_stats(virDomainPtr dom, unsigned flags, struct migrate_stats *ret,
                      struct migrate_progress_info *ret_info)
{
        virTypedParameterPtr par = NULL;
        int type = 0, n = 0;
        unsigned long long v, page = 4096;

        if (virDomainGetJobStats(dom, &type, &par, &n, flags) < 0) {
                virResetLastError();
                return false;
        }
        if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_PAGE_SIZE, &v) == 1 && v)
                page = v;
        if (ret) {
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
                        ret->total_time_ms = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1)
                        ret->downtime_ms = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_SETUP_TIME, &v) == 1)
                        ret->setup_time_ms = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &v) == 1)
                        ret->bytes_transferred = v;
                else if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &v) == 1)
                        ret->bytes_transferred = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_BPS, &v) == 1)
                        ret->throughput_bps = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_ITERATION, &v) == 1)
                        ret->iterations = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, &v) == 1 &&
                    v * page > ret->dirty_rate_bps)
                        ret->dirty_rate_bps = v * page;
        }
        if (ret_info) {
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_ITERATION, &v) == 1)
                        ret_info->pass = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_REMAINING, &v) == 1)
                        ret_info->remaining = v;
                /* whichever counter says more: memory alone, or everything the stream carried */
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &v) == 1)
                        ret_info->transferred = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &v) == 1 &&
                    v > ret_info->transferred)
                        ret_info->transferred = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_TOTAL, &v) == 1)
                        ret_info->total = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_BPS, &v) == 1)
                        ret_info->throughput_bps = v;
                if (virTypedParamsGetULLong(par, n, VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, &v) == 1)
                        ret_info->dirty_rate_bps = v * page;
        }
        virTypedParamsFree(par, n);
        return type != VIR_DOMAIN_JOB_NONE;
}

/* The migration job as the session's parameters ask for it: flags, bandwidth, the destination. */
static int job_new(struct migrate_session *s, struct migrate_job **ret)
{
        struct lv_state *st = state(s);
        const struct migrate_params *p = &s->params;
        virConnectPtr there = conn_there(st);
        const char *there_uri = st->on_dst ? st->src_uri : st->dst_uri;
        _cleanup_free_ char *host = NULL, *port = NULL;
        struct migrate_job *j;
        int r, maxp = 0;

        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        pthread_mutex_init(&j->lock, NULL);
        j->dom = virDomainLookupByName(conn_here(st), st->name);
        if (!j->dom) {
                migrate_job_free(j);
                return lv_fail(s, ENOENT, "the guest is not on the host it should run on");
        }
        /* the canary, and a defined guest, move with their definition; a transient guest stays
         * transient */
        if (st->created || st->guest_persistent)
                j->flags = VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE;
        j->flags |= (p->live ? VIR_MIGRATE_LIVE : 0) | (p->unsafe ? VIR_MIGRATE_UNSAFE : 0) |
                    (p->auto_converge ? VIR_MIGRATE_AUTO_CONVERGE : 0) |
                    (p->postcopy ? VIR_MIGRATE_POSTCOPY : 0) |
                    (p->transport == MIGRATE_TRANSPORT_TLS ? VIR_MIGRATE_TLS : 0);
        if (p->bandwidth_mib)
                virTypedParamsAddULLong(&j->params, &j->nparams, &maxp, VIR_MIGRATE_PARAM_BANDWIDTH,
                                        p->bandwidth_mib);
        /* peer-to-peer needs a URI the other libvirtd can reach; a local one (qemu:///system) it cannot */
        if (p->peer2peer && libvirt_uri_endpoint(there_uri, &host, &port) > 0) {
                j->flags |= VIR_MIGRATE_PEER2PEER;
                j->uri = strdup(there_uri);
                if (!j->uri) {
                        migrate_job_free(j);
                        return -ENOMEM;
                }
        } else {
                j->dconn = there;
                virConnectRef(there);
        }
        if (p->downtime_limit_ms && virDomainMigrateSetMaxDowntime(j->dom, p->downtime_limit_ms, 0) < 0) {
                r = lv_fail(s, EIO, "setting the downtime limit");
                migrate_job_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

/* What watching a running job keeps between looks. */
struct job_watch {
        struct migrate_progress progress;
        struct canary_block b0;
        bool have_canary, postcopy_started;
        usec_t t0, sample_t, deadline;
        uint64_t canary_rate;
};

/* One look at the running job: its progress reported, the dirty rate (QEMU's and the canary's) kept.
 * False when libvirt gave no statistics this time. */
static bool job_sample(struct migrate_session *s, struct migrate_job *j, struct job_watch *w, usec_t now,
                       struct migrate_progress_info *pi)
{
        struct canary_block b;
        int dstate = 0, reason = 0;
        bool have_stats = job_stats(j->dom, 0, NULL, pi);

        if (w->have_canary && now - w->sample_t >= USEC_PER_SEC && peek_block(j->dom, &b) >= 0 &&
            b.heartbeat != w->b0.heartbeat) {
                w->canary_rate = (uint64_t)(b.dirtied - w->b0.dirtied) * CANARY_PAGE_SIZE * 1000 /
                                 (uint32_t)(b.heartbeat - w->b0.heartbeat);
                w->b0 = b;
                w->sample_t = now;
        }
        virResetLastError();
        if (pi->dirty_rate_bps > s->stats.dirty_rate_bps)
                s->stats.dirty_rate_bps = pi->dirty_rate_bps;
        if (w->canary_rate > s->stats.dirty_rate_bps)
                s->stats.dirty_rate_bps = w->canary_rate;
        /* libvirt names no phase: no data yet is set-up; paused for migration is the switch-over */
        if (virDomainGetState(j->dom, &dstate, &reason, 0) == 0 && dstate == VIR_DOMAIN_PAUSED &&
            reason == VIR_DOMAIN_PAUSED_MIGRATION && pi->transferred > 0)
                pi->phase = MIGRATE_PHASE_SWITCHOVER;
        else
                pi->phase = pi->transferred > 0 ? MIGRATE_PHASE_COPYING : MIGRATE_PHASE_SETUP;
        virResetLastError();
        if (w->canary_rate > pi->dirty_rate_bps)
                pi->dirty_rate_bps = w->canary_rate;
        pi->elapsed_ms = (now - w->t0) / USEC_PER_MSEC;
        migrate_report_progress(s, pi);
        return have_stats;
}

/* One turn of the wait: 0 go on, <0 the error that ends the job (it is then aborted). A stalled job
 * switches to post-copy once when the profile allows it. */
static int job_watch_step(struct migrate_session *s, struct migrate_job *j, struct job_watch *w)
{
        const struct migrate_params *p = &s->params;
        struct migrate_progress_info pi = {};
        bool have_stats;
        usec_t now;

        if (migrate_session_sleep(s, MIGRATE_POLL_MS) < 0)
                return migrate_error(s, ECANCELED, "interrupted");
        if (job_done(j))
                return 0;
        now = now_usec();
        have_stats = job_sample(s, j, w, now, &pi);
        if (now >= w->deadline)
                return migrate_error(
                        s, ETIMEDOUT,
                        "migration did not complete within %.1f s (%.1f MiB left, dirty rate %.1f MiB/s, bandwidth %u MiB/s)",
                        p->completion_timeout_ms / 1000.0, pi.remaining / (double)MIB,
                        s->stats.dirty_rate_bps / (double)MIB, p->bandwidth_mib);
        /* no statistics this time is no evidence of a stall: the completion deadline still bounds the job */
        if (!have_stats || !migrate_progress_update(&w->progress, now, p->stall_timeout_ms, pi.pass,
                                                    pi.remaining, pi.transferred))
                return 0;
        if (p->postcopy && !w->postcopy_started) {
                if (virDomainMigrateStartPostCopy(j->dom, 0) < 0)
                        return lv_fail(s, EIO, "switching to post-copy");
                w->postcopy_started = true;
                s->stats.postcopy_used = true;
                return 0;
        }
        return migrate_error_no_progress(
                s, &w->progress,
                &(struct migrate_no_progress){
                        .now_us = now,
                        .dirty_rate_bps = s->stats.dirty_rate_bps,
                        .bandwidth_bps = (uint64_t)p->bandwidth_mib * MIB,
                        .remaining = pi.remaining,
                        .ports = MIGRATION_PORTS " by default, qemu.conf migration_port_min/max",
                });
}

/* Ends a job that failed while running (r): aborted, the guest stays where it was; a libvirt that does not
 * return after the abort keeps the job, and its worker frees it. */
static int job_abort(struct migrate_session *s, struct migrate_job *j, int r)
{
        const struct lv_state *st = state(s);
        usec_t until = now_usec() + ABORT_WAIT_US;
        bool done;

        (void)virDomainAbortJob(j->dom);
        virResetLastError();
        while (!job_done(j) && now_usec() < until)
                usleep(50 * 1000);
        pthread_mutex_lock(&j->lock);
        done = j->done;
        if (!done)
                j->abandoned = true;
        pthread_mutex_unlock(&j->lock);
        if (!done) {
                migrate_error_append(s, "; libvirt did not return within %u s after the job was aborted",
                                     (unsigned)(ABORT_WAIT_US / USEC_PER_SEC));
                return r;
        }
        migrate_error_append(s, "; migration aborted, the guest stays on the %s",
                             st->on_dst ? "destination" : "source");
        migrate_job_free(j);
        return r;
}

/* After a completed migration: the job's statistics as the host the guest went to keeps them. */
static void job_completed(struct migrate_session *s, usec_t t0)
{
        struct lv_state *st = state(s);
        struct migrate_progress_info done = {.phase = MIGRATE_PHASE_DONE};
        virDomainPtr d;

        s->stats.wall_time_ms = (now_usec() - t0) / USEC_PER_MSEC;
        st->on_dst = !st->on_dst;
        st->verified = false;
        d = virDomainLookupByName(conn_here(st), st->name);
        if (d) {
                job_stats(d, VIR_DOMAIN_JOB_STATS_COMPLETED, &s->stats, &done);
                virDomainFree(d);
        }
        virResetLastError();
        done.elapsed_ms = s->stats.wall_time_ms;
        done.remaining = 0;
        if (s->stats.dirty_rate_bps > done.dirty_rate_bps)
                done.dirty_rate_bps = s->stats.dirty_rate_bps;
        migrate_report_progress(s, &done);
        s->stats.migrations++;
}

/* The migration runs in a worker thread (libvirt's call blocks); this one watches it, reports progress,
 * and ends it on a deadline, a stall or an interrupt. */
static int lv_migrate(struct migrate_session *s)
{
        struct lv_state *st = state(s);
        const char *there_uri = st->on_dst ? st->src_uri : st->dst_uri;
        struct job_watch w = {};
        struct migrate_job *j = NULL;
        pthread_t t;
        int r;

        if (!conn_here(st) || !conn_there(st))
                return migrate_error(s, ENOTCONN, "not connected to both hosts");
        r = job_new(s, &j);
        if (r < 0)
                return r;
        w.have_canary = st->created && peek_block(j->dom, &w.b0) >= 0 && canary_magic_ok(&w.b0);
        virResetLastError();
        s->stats.heartbeat_before = w.b0.heartbeat;
        w.sample_t = w.t0 = now_usec();
        w.deadline = w.t0 + (usec_t)s->params.completion_timeout_ms * USEC_PER_MSEC;
        if (pthread_create(&t, NULL, migrate_worker, j) != 0) {
                migrate_job_free(j);
                return -ENOMEM;
        }
        pthread_detach(t);

        migrate_progress_init(&w.progress, w.t0);
        migrate_report_progress(s, &(struct migrate_progress_info){.phase = MIGRATE_PHASE_SETUP});
        r = 0;
        while (r >= 0 && !job_done(j))
                r = job_watch_step(s, j, &w);
        if (r < 0 && !job_done(j))
                return job_abort(s, j, r);
        if (r >= 0 && j->result < 0)
                r = explain(s, &j->error, there_uri);
        migrate_job_free(j);
        if (r < 0)
                return r;
        job_completed(s, w.t0);
        return 0;
}

static int lv_verify(struct migrate_session *s)
{
        struct lv_state *st = state(s);
        virDomainPtr d, o;
        struct canary_block b = {};
        int state = 0, reason = 0;
        usec_t deadline;
        int r = 0;

        d = virDomainLookupByName(conn_here(st), st->name);
        if (!d)
                return lv_fail(s, ENOENT, "the guest is not defined where it was migrated to");
        if (virDomainGetState(d, &state, &reason, 0) < 0 || state != VIR_DOMAIN_RUNNING) {
                virDomainFree(d);
                return migrate_error(s, EIO, "the guest is not running where it was migrated to (state %d)",
                                     state);
        }
        if (st->created) {
                deadline = now_usec() + 5 * USEC_PER_SEC;
                for (;;) {
                        if (peek_block(d, &b) < 0) {
                                r = lv_fail(s, EIO, "reading the canary's memory");
                                break;
                        }
                        s->stats.magic_ok = canary_magic_ok(&b);
                        s->stats.heartbeat_after = b.heartbeat;
                        s->stats.heartbeat_advanced = (int32_t)(b.heartbeat - s->stats.heartbeat_before) > 0;
                        if (!s->stats.magic_ok) {
                                r = migrate_error(s, EIO,
                                                  "canary memory damaged after migration: magic 0x%08" PRIx32
                                                  " 0x%08" PRIx32,
                                                  b.magic0, b.magic1);
                                break;
                        }
                        if (s->stats.heartbeat_advanced)
                                break;
                        if (now_usec() >= deadline) {
                                r = migrate_error(
                                        s, EIO,
                                        "the canary's heartbeat does not advance after migration (%" PRIu32
                                        " before, %" PRIu32 " after)",
                                        s->stats.heartbeat_before, b.heartbeat);
                                break;
                        }
                        if (migrate_session_sleep(s, 20) < 0) {
                                r = migrate_error(s, ECANCELED, "interrupted");
                                break;
                        }
                }
        }
        virDomainFree(d);
        if (r < 0)
                return r;

        /* gone from the other host: neither running nor defined (VIR_MIGRATE_UNDEFINE_SOURCE) */
        o = virDomainLookupByName(conn_there(st), st->name);
        if (o) {
                int active = virDomainIsActive(o);
                virDomainFree(o);
                return migrate_error(s, EIO, "the guest is still %s on the host it left",
                                     active == 1 ? "running" : "defined");
        }
        virResetLastError();
        st->verified = true;
        return 0;
}

/* Destroys and undefines the canary on one host. 1: removed, 0: not there, <0: could not check. */
static int remove_canary(struct migrate_session *s, virConnectPtr *c, const char *uri, const char *role)
{
        struct lv_state *st = state(s);
        virDomainPtr d;
        int r = 0;

        if (*c && virConnectIsAlive(*c) != 1) {
                virConnectClose(*c);
                *c = NULL;
        }
        if (!*c) {
                /* once more, briefly: the host may be back (or never was reachable) */
                _cleanup_free_ char *saved = TAKE_PTR(s->error);
                enum migrate_error_kind saved_kind = s->error_kind;

                r = lv_open(s, uri, role, c);
                free(s->error);
                s->error = TAKE_PTR(saved);
                s->error_kind = saved_kind;
                if (r < 0)
                        return r;
        }
        d = virDomainLookupByName(*c, st->name);
        if (!d) {
                virErrorPtr e = virGetLastError();
                bool missing = e && e->code == VIR_ERR_NO_DOMAIN;

                virResetLastError();
                return missing ? 0 : -EIO;
        }
        if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0)
                r = -EIO;
        if (virDomainIsPersistent(d) == 1 &&
            virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                              VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) < 0)
                r = -EIO;
        virDomainFree(d);
        virResetLastError();
        return r < 0 ? r : 1;
}

static int lv_cleanup(struct migrate_session *s)
{
        struct lv_state *st = state(s);
        int r, k;

        if (!st || !st->created || !st->name)
                return 0;
        r = remove_canary(s, &st->src, st->src_uri, "source");
        k = remove_canary(s, &st->dst, st->dst_uri, "destination");
        /* an unreachable host matters only when the canary may be there */
        if (r < 0 && !st->on_dst)
                return migrate_error(s, r, "could not remove the canary %s from the source", st->name);
        if (k < 0 && st->on_dst)
                return migrate_error(s, k, "could not remove the canary %s from the destination", st->name);
        st->created = false;
        return 0;
}

static int lv_peek(struct migrate_session *s, struct canary_block *ret)
{
        struct lv_state *st = state(s);
        virDomainPtr d;
        int r;

        if (!conn_here(st) || !st->name)
                return migrate_error(s, ESRCH, "no guest");
        d = virDomainLookupByName(conn_here(st), st->name);
        if (!d)
                return lv_fail(s, ENOENT, "looking up the guest");
        r = peek_block(d, ret);
        if (r < 0)
                r = lv_fail(s, r, "reading the canary's memory");
        virDomainFree(d);
        return r;
}

static void lv_free(struct migrate_session *s)
{
        struct lv_state *st = state(s);

        if (!st)
                return;
        if (st->src)
                virConnectClose(st->src);
        if (st->dst)
                virConnectClose(st->dst);
        free(st->src_uri);
        free(st->dst_uri);
        free(st->name);
        s->priv = mfree(st);
}

const struct migrate_driver migrate_driver_libvirt = {
        .name = "libvirt",
        .prepare = lv_prepare,
        .start = lv_start,
        .migrate = lv_migrate,
        .verify = lv_verify,
        .cleanup = lv_cleanup,
        .peek = lv_peek,
        .free = lv_free,
};
