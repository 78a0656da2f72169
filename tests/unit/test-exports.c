/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for lib/exports.c: the grammar by table (input -> rendered clients and errors), then the
 * matcher, is_wide, exports.d selection, name tables, and parsing several files into one table. */

#include <stdarg.h>
#include <stdbool.h>

#include "exports.h"

static unsigned failures;

_printf_(2, 3) static void check(bool ok, const char *fmt, ...)
{
        va_list ap;

        if (ok)
                return;
        failures++;
        fputs("FAIL: ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
}

/* ---- rendering a table as compact text: only what differs from the defaults ---- */

static void render_sec_flags(FILE *f, const struct export_sec_flags *s)
{
        fputs(s->read_only ? "ro" : "rw", f);
        if (s->insecure)
                fputs(",insecure", f);
        if (!s->root_squash)
                fputs(",no_root_squash", f);
        if (s->all_squash)
                fputs(",all_squash", f);
}

static void render_options(FILE *f, const struct export_options *o)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *g = open_memstream(&buf, &len);

        if (!o->flags.read_only)
                fputs(",rw", g);
        if (o->flags.insecure)
                fputs(",insecure", g);
        if (!o->flags.root_squash)
                fputs(",no_root_squash", g);
        if (o->flags.all_squash)
                fputs(",all_squash", g);
        if (o->async)
                fputs(o->sync_explicit ? ",async" : ",async?", g);
        else if (o->sync_explicit)
                fputs(",sync!", g);
        if (!o->wdelay)
                fputs(",no_wdelay", g);
        if (o->nohide)
                fputs(",nohide", g);
        if (o->crossmnt)
                fputs(",crossmnt", g);
        if (o->subtree_check)
                fputs(",subtree_check", g);
        if (o->insecure_locks)
                fputs(",insecure_locks", g);
        if (o->no_acl)
                fputs(",no_acl", g);
        if (o->nordirplus)
                fputs(",nordirplus", g);
        if (o->security_label)
                fputs(",security_label", g);
        if (o->sign_fh)
                fputs(",sign_fh", g);
        if (o->pnfs)
                fputs(",pnfs", g);
        if (o->anonuid != EXPORTS_ANON_ID_DEFAULT)
                fprintf(g, ",anonuid=%u", o->anonuid);
        if (o->anongid != EXPORTS_ANON_ID_DEFAULT)
                fprintf(g, ",anongid=%u", o->anongid);
        if (o->fsid_set)
                fprintf(g, ",fsid=%u", o->fsid);
        if (o->fsid_uuid)
                fprintf(g, ",fsid=%s", o->fsid_uuid);
        if (o->mountpoint)
                fprintf(g, ",mp=%s", o->mountpoint);
        if (o->fsloc != EXPORT_FSLOC_NONE)
                fprintf(g, ",%s=%s", export_fsloc_to_string(o->fsloc), o->fsloc_data);
        if (o->reexport != EXPORT_REEXPORT_NONE)
                fprintf(g, ",reexport=%s", export_reexport_to_string(o->reexport));
        for (size_t i = 0; i < o->n_sec; i++) {
                fprintf(g, ",sec=%s[", export_sec_flavor_to_string(o->sec[i].flavor));
                render_sec_flags(g, &o->sec[i].flags);
                fputc(']', g);
        }
        for (size_t i = 0; i < o->n_xprtsec; i++)
                fprintf(g, "%s%s", i == 0 ? ",xprtsec=" : ":", export_xprtsec_to_string(o->xprtsec[i]));
        for (size_t i = 0; i < o->n_squash_uids; i++)
                fprintf(g, ",squash_uids=%ld-%ld", o->squash_uids[i].first, o->squash_uids[i].last);
        for (size_t i = 0; i < o->n_squash_gids; i++)
                fprintf(g, ",squash_gids=%ld-%ld", o->squash_gids[i].first, o->squash_gids[i].last);
        fclose(g);
        if (len > 0)
                fprintf(f, "(%s)", buf + 1);
        free(buf);
}

static char *render_table(const struct exports_table *t)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        for (size_t i = 0; i < t->n_entries; i++) {
                const struct export_entry *e = &t->entries[i];

                for (size_t j = 0; j < e->n_clients; j++) {
                        const struct export_client *c = &e->clients[j];

                        fprintf(f, "%s%u %s %s:%s", ftell(f) > 0 ? "\n" : "", e->line, e->path,
                                export_client_kind_to_string(c->kind), c->name);
                        if (c->kind == EXPORT_CLIENT_SUBNET_V4 || c->kind == EXPORT_CLIENT_SUBNET_V6)
                                fprintf(f, "/%d", c->prefixlen);
                        render_options(f, &c->options);
                        if (c->unnamed)
                                fputs(" unnamed", f);
                        if (c->space_before_paren)
                                fputs(" space", f);
                        if (c->after_error)
                                fputs(" after_error", f);
                        if (c->duplicate)
                                fputs(" dup", f);
                        if (c->line != e->line || c->file != e->file)
                                fputs(" BAD-LOCATION", f);
                }
        }
        fclose(f);
        return buf;
}

/* ---- the grammar, by table ---- */

typedef struct ErrorExpect {
        unsigned line;
        bool stops;
        const char *substring;
} ErrorExpect;

typedef struct GrammarCase {
        const char *name;
        const char *input;
        const char *expected;
        ErrorExpect errors[8];
} GrammarCase;

static const GrammarCase grammar_cases[] = {
        {"host with options", "/srv host(rw,sync)\n", "1 /srv hostname:host(rw,sync!)", {}},
        {"host without options gets the defaults", "/srv host\n", "1 /srv hostname:host", {}},
        {"no trailing newline", "/srv host(rw)", "1 /srv hostname:host(rw)", {}},
        {"leading blanks before the path", "   \t/srv host\n", "1 /srv hostname:host", {}},
        {"empty input", "", "", {}},
        {"only comments and blank lines", "# a\n\n   # b\n\t\n", "", {}},
        {"comments, blank lines, line numbers",
         "# c\n\n/srv a(rw) # trailing\n  # indented\n/b b\n",
         "3 /srv hostname:a(rw)\n5 /b hostname:b",
         {}},
        {"'#' inside a token is ordinary", "/srv/a#b h#c\n", "1 /srv/a#b hostname:h#c", {}},
        {"backslash-newline continues the entry",
         "/srv a(rw) \\\n   b(ro)\n/x y\n",
         "1 /srv hostname:a(rw)\n1 /srv hostname:b\n3 /x hostname:y",
         {}},
        {"continuation right after the path", "/srv\\\nh(rw)\n", "1 /srv hostname:h(rw)", {}},
        {"a comment does not continue", "/a h # note \\\n/b c\n", "1 /a hostname:h\n2 /b hostname:c", {}},
        {"backslash not before a newline is literal", "/a\\b h\n", "1 /a\\b hostname:h", {}},
        {"double-quoted path", "\"/srv/my dir\" h\n", "1 /srv/my dir hostname:h", {}},
        {"quotes in the middle of a token", "/srv/\"a b\"/c h\n", "1 /srv/a b/c hostname:h", {}},
        {"quoted client with blanks in the list",
         "/srv \"h(rw, sync)\"\n",
         "1 /srv hostname:h(rw,sync!)",
         {}},
        {"octal escape in the path", "/srv/a\\040b h\n", "1 /srv/a b hostname:h", {}},
        {"octal escape 0400 and above stays", "/a\\777 h\n", "1 /a\\777 hostname:h", {}},
        {"octal escape can make the paren", "/srv h\\050rw)\n", "1 /srv hostname:h(rw)", {}},
        {"-options apply to the clients after them",
         "/srv -rw,async a b(ro) c\n",
         "1 /srv hostname:a(rw,async)\n1 /srv hostname:b(async)\n1 /srv hostname:c(rw,async)",
         {}},
        {"a bare '-' is an empty default list", "/srv - h\n", "1 /srv hostname:h", {}},
        {"-options alone export to the world", "/srv -rw\n", "1 /srv anonymous:(rw)", {}},
        {"path alone exports to the world", "/srv\n", "1 /srv anonymous:", {}},
        {"path alone after a trailing blank", "/srv \n/b\n", "1 /srv anonymous:\n2 /b anonymous:", {}},
        {"* alone", "/srv *(rw)\n", "1 /srv world:*(rw)", {}},
        {"(options) without a name", "/srv (rw)\n", "1 /srv anonymous:*(rw) unnamed", {}},
        {"space before the parenthesis",
         "/srv host (rw)\n",
         "1 /srv hostname:host\n1 /srv anonymous:*(rw) unnamed space",
         {}},
        {"space before the parenthesis across a continuation",
         "/a h \\\n (rw)\n/b c\n",
         "1 /a hostname:h\n1 /a anonymous:*(rw) unnamed space\n3 /b hostname:c",
         {}},
        {"(options) after a client with options is not the typo",
         "/srv a(ro) (rw)\n",
         "1 /srv hostname:a\n1 /srv anonymous:*(rw) unnamed",
         {}},
        {"wildcards",
         "/srv *.example.com(rw) h?st web[1-3]\n",
         "1 /srv wildcard:*.example.com(rw)\n1 /srv wildcard:h?st\n1 /srv wildcard:web[1-3]",
         {}},
        {"addresses", "/srv 10.0.0.1 fe80::1(rw)\n", "1 /srv ipv4:10.0.0.1\n1 /srv ipv6:fe80::1(rw)", {}},
        {"networks",
         "/srv 10.0.0.0/24 10.1.0.0/255.255.0.0 fd00::/64 10.2.0.0/255.0.255.0 10.3.0.0/\n",
         "1 /srv subnet-v4:10.0.0.0/24/24\n1 /srv subnet-v4:10.1.0.0/255.255.0.0/16\n1 /srv subnet-v6:fd00::/64/64\n1 /srv subnet-v4:10.2.0.0/255.0.255.0/-1\n1 /srv subnet-v4:10.3.0.0//0",
         {}},
        {"IPv6 netmask spelled out",
         "/srv fd00::/ffff:ffff::\n",
         "1 /srv subnet-v6:fd00::/ffff:ffff::/32",
         {}},
        {"netgroup and gss",
         "/srv @trusted(rw) gss/krb5\n",
         "1 /srv netgroup:@trusted(rw)\n1 /srv gss:gss/krb5",
         {}},
        {"a name that only looks like an address",
         "/srv 10.1 host.example\n",
         "1 /srv hostname:10.1\n1 /srv hostname:host.example",
         {}},
        {"every flag set",
         "/srv h(rw,async,no_wdelay,nohide,crossmnt,insecure,subtree_check,no_root_squash,all_squash,insecure_locks,no_acl,nordirplus,security_label,sign_fh,pnfs)\n",
         "1 /srv hostname:h(rw,insecure,no_root_squash,all_squash,async,no_wdelay,nohide,crossmnt,subtree_check,insecure_locks,no_acl,nordirplus,security_label,sign_fh,pnfs)",
         {}},
        {"every flag set and cleared again",
         "/srv h(rw,ro,async,sync,no_wdelay,wdelay,nohide,hide,crossmnt,nocrossmnt,insecure,secure,subtree_check,no_subtree_check,no_root_squash,root_squash,all_squash,no_all_squash,no_auth_nlm,auth_nlm,insecure_locks,secure_locks,no_acl,acl,pnfs,no_pnfs)\n",
         "1 /srv hostname:h(sync!)",
         {}},
        {"no_auth_nlm is insecure_locks", "/srv h(no_auth_nlm)\n", "1 /srv hostname:h(insecure_locks)", {}},
        {"trailing comma", "/srv h(rw,)\n", "1 /srv hostname:h(rw)", {}},
        {"empty list", "/srv h()\n", "1 /srv hostname:h", {}},
        {"ids",
         "/srv h(anonuid=1000,anongid=-2)\n",
         "1 /srv hostname:h(anonuid=1000,anongid=4294967294)",
         {}},
        {"fsid forms",
         "/a h(fsid=root)\n/b h(fsid=0x10)\n/c h(fsid=7)\n",
         "1 /a hostname:h(fsid=0)\n2 /b hostname:h(fsid=16)\n3 /c hostname:h(fsid=7)",
         {}},
        {"fsid uuid",
         "/a h(fsid=2e1b7a40-1c6f-4b8e-9a1e-0d6b2c3f4a5b)\n",
         "1 /a hostname:h(fsid=2e1b7a40-1c6f-4b8e-9a1e-0d6b2c3f4a5b)",
         {}},
        {"mountpoint spellings",
         "/a h(mp)\n/b h(mountpoint=/m)\n/c h(mp=)\n/d h(mountpoint)\n",
         "1 /a hostname:h(mp=)\n2 /b hostname:h(mp=/m)\n3 /c hostname:h(mp=)\n4 /d hostname:h(mp=)",
         {}},
        {"refer and replicas, last wins",
         "/a h(refer=/x@srv1)\n/b h(refer=/x@a,replicas=/y@b)\n",
         "1 /a hostname:h(refer=/x@srv1)\n2 /b hostname:h(replicas=/y@b)",
         {}},
        {"sec= with flags per flavor",
         "/srv h(sec=sys,rw,sec=krb5,ro)\n",
         "1 /srv hostname:h(sec=sys[rw],sec=krb5[ro])",
         {}},
        {"sec= aliases and duplicates",
         "/srv h(sec=krb5p:unix:sys:null:none,rw)\n",
         "1 /srv hostname:h(rw,sec=krb5p[rw],sec=sys[rw],sec=none[rw])",
         {}},
        {"client flags after -sec= leave the flavor alone",
         "/srv -sec=krb5 h(rw)\n",
         "1 /srv hostname:h(rw,sec=krb5[ro])",
         {}},
        {"xprtsec", "/srv h(xprtsec=tls:mtls:tls)\n", "1 /srv hostname:h(xprtsec=tls:mtls)", {}},
        {"reexport",
         "/srv h(fsid=5,reexport=auto-fsidnum)\n/b h(reexport=none)\n",
         "1 /srv hostname:h(fsid=5,reexport=auto-fsidnum)\n2 /b hostname:h",
         {}},
        {"squash ranges",
         "/srv h(squash_uids=0-10,squash_gids=5,squash_uids=)\n",
         "1 /srv hostname:h(squash_uids=0-10,squash_uids=0-0,squash_gids=5-5)",
         {}},
        {"duplicates",
         "/srv h(rw)\n/srv/ H(ro)\n/srv *(ro) (rw)\n",
         "1 /srv hostname:h(rw)\n2 /srv/ hostname:H dup\n3 /srv world:*\n3 /srv anonymous:*(rw) unnamed dup",
         {}},
        {"same name, other path is no duplicate", "/a h\n/b h\n", "1 /a hostname:h\n2 /b hostname:h", {}},

        /* errors that stop exportfs */
        {"CRLF blank line stops exportfs",
         "/a h(rw)\r\n\r\n/b h\r\n",
         "1 /a hostname:h(rw)\n3 /b hostname:h after_error",
         {{2, true, "no path at the start of the line"}}},
        {"CRLF without blank lines is fine",
         "/a h(rw)\r\n/b h\r\n/c\r\n",
         "1 /a hostname:h(rw)\n2 /b hostname:h\n3 /c anonymous:",
         {}},
        {"bad option list",
         "/srv h(rw)x\n/b c\n",
         "2 /b hostname:c after_error",
         {{1, true, "bad option list in \"h(rw)x\""}}},
        {"unclosed option list", "/srv h(rw\n", "", {{1, true, "bad option list"}}},
        {"blank inside the list splits the token",
         "/srv h(rw, sync)\n",
         "",
         {{1, true, "bad option list in \"h(rw,\""}}},
        {"unknown option",
         "/srv h(rw,bogus) i\n/b c\n",
         "2 /b hostname:c after_error",
         {{1, true, "unknown export option \"bogus\""}}},
        {"clients before the bad one stay",
         "/srv a(rw) b(bogus) c\n",
         "1 /srv hostname:a(rw)",
         {{1, true, "unknown export option \"bogus\""}}},
        {"error on a continued line reports that line",
         "/srv a(rw) \\\n b(bogus)\n",
         "1 /srv hostname:a(rw)",
         {{2, true, "unknown export option"}}},
        {"bad -options drop the line",
         "/srv -bogus h\n/b c\n",
         "2 /b hostname:c after_error",
         {{1, true, "unknown export option \"bogus\""}}},
        {"double comma", "/srv h(rw,,sync)\n", "", {{1, true, "unknown export option \"\""}}},
        {"blank after the option",
         "/srv \"h(rw ,sync)\"\n",
         "",
         {{1, true, "unknown export option \"rw \""}}},
        {"no_security_label is not an nfs-utils option",
         "/srv h(no_security_label)\n",
         "",
         {{1, true, "unknown export option \"no_security_label\""}}},
        {"rdirplus is not an option", "/srv h(rdirplus)\n", "", {{1, true, "unknown export option"}}},
        {"mountpoint needs '=' for a value",
         "/srv h(mountpointX)\n",
         "",
         {{1, true, "unknown export option \"mountpointX\""}}},
        {"keywords are case sensitive", "/srv h(RW)\n", "", {{1, true, "unknown export option \"RW\""}}},
        {"bad anonuid", "/srv h(anonuid=abc)\n", "", {{1, true, "bad anonuid value \"abc\""}}},
        {"empty anongid", "/srv h(anongid=)\n", "", {{1, true, "bad anongid value"}}},
        {"bad fsid", "/srv h(fsid=xyz)\n", "", {{1, true, "bad fsid \"xyz\""}}},
        {"empty fsid", "/srv h(fsid=)\n", "", {{1, true, "bad fsid"}}},
        {"unknown sec flavor", "/srv h(sec=foo)\n", "", {{1, true, "unknown security flavor \"foo\""}}},
        {"empty sec", "/srv h(sec=)\n", "", {{1, true, "unknown security flavor \"\""}}},
        {"trailing colon in sec", "/srv h(sec=sys:)\n", "", {{1, true, "unknown security flavor \"\""}}},
        {"unknown xprtsec", "/srv h(xprtsec=ssl)\n", "", {{1, true, "unknown xprtsec mode \"ssl\""}}},
        {"unknown reexport", "/srv h(reexport=bogus)\n", "", {{1, true, "unknown reexport mode \"bogus\""}}},
        {"two reexport=",
         "/srv h(reexport=none,reexport=none)\n",
         "",
         {{1, true, "only one reexport= is allowed"}}},
        {"fsid after reexport",
         "/srv h(reexport=auto-fsidnum,fsid=1)\n",
         "",
         {{1, true, "fsid= must come before reexport="}}},
        {"squash -1", "/srv h(squash_uids=-1)\n", "", {{1, true, "-1 is not permitted"}}},
        {"squash garbage", "/srv h(squash_gids=1x)\n", "", {{1, true, "bad uid/gid list"}}},
        {"squash list continues as keywords",
         "/srv h(squash_uids=0-10,20)\n",
         "",
         {{1, true, "unknown export option \"20\""}}},
        {"unterminated quote", "/srv \"h(rw)\n/b c\n", "", {{1, true, "unterminated double quote"}}},
        {"unterminated quote in the path", "\"/srv h\n", "", {{1, true, "unterminated double quote"}}},

        /* errors that only drop the client */
        {"bad networks",
         "/srv 10.0.0.0/33 10.0.0.300/24 host/24 10.0.0.0/24x fd00::/129 10.0.0.0/255.255.0.x ok\n",
         "1 /srv hostname:ok",
         {{1, false, "invalid prefix length \"33\""},
          {1, false, "invalid IP address \"10.0.0.300\""},
          {1, false, "invalid IP address \"host\""},
          {1, false, "invalid prefix length \"24x\""},
          {1, false, "invalid prefix length \"129\""},
          {1, false, "invalid netmask \"255.255.0.x\""}}},
        {"-options later on the line",
         "/srv a -rw b\n",
         "1 /srv hostname:a\n1 /srv hostname:b",
         {{1, false, "\"-rw\": default options are only recognised right after the path"}}},
        {"only a bad client: no world export",
         "/srv 10.0.0.0/40\n",
         "",
         {{1, false, "invalid prefix length"}}},
};

static void test_grammar_case(const GrammarCase *c)
{
        _cleanup_(exports_table_freep) struct exports_table *t = NULL;
        _cleanup_free_ char *got = NULL;
        size_t n_expected = 0;
        int r;

        if (exports_table_new(&t) < 0) {
                check(false, "%s: exports_table_new() failed", c->name);
                return;
        }
        r = exports_parse(t, "test", c->input, strlen(c->input));
        got = render_table(t);
        check(streq(got, c->expected), "%s:\n--- expected\n%s\n--- got\n%s", c->name, c->expected, got);

        while (n_expected < ELEMENTSOF(c->errors) && c->errors[n_expected].substring)
                n_expected++;
        check(r == (int)n_expected, "%s: exports_parse() returned %d, expected %zu", c->name, r, n_expected);
        check(t->n_errors == n_expected, "%s: %zu errors, expected %zu", c->name, t->n_errors, n_expected);
        for (size_t i = 0; i < n_expected && i < t->n_errors; i++) {
                const struct exports_error *e = &t->errors[i];
                const ErrorExpect *x = &c->errors[i];

                check(e->line == x->line && e->stops_file == x->stops && strstr(e->message, x->substring) &&
                              streq(e->file, "test") && !strchr(e->message, '\n'),
                      "%s: error %zu is test:%u%s \"%s\", expected line %u%s containing \"%s\"", c->name, i,
                      e->line, e->stops_file ? " (stops)" : "", e->message, x->line,
                      x->stops ? " (stops)" : "", x->substring);
        }
        for (size_t i = n_expected; i < t->n_errors; i++)
                check(false, "%s: unexpected error test:%u: %s", c->name, t->errors[i].line,
                      t->errors[i].message);
}

static void test_lengths(void)
{
        char buf[4096];
        _cleanup_(exports_table_freep) struct exports_table *t = NULL;

        /* a path of exactly the maximum, then one byte more */
        buf[0] = '/';
        memset(buf + 1, 'p', EXPORTS_PATH_MAX - 1);
        strcpy(buf + EXPORTS_PATH_MAX, " h\n/");
        memset(buf + EXPORTS_PATH_MAX + 4, 'q', EXPORTS_PATH_MAX);
        strcpy(buf + 2 * EXPORTS_PATH_MAX + 4, " h\n");
        check(exports_table_new(&t) == 0, "exports_table_new");
        check(exports_parse(t, "long", buf, strlen(buf)) == 1, "long path: one error");
        check(t->n_entries == 1 && strlen(t->entries[0].path) == EXPORTS_PATH_MAX,
              "path of the maximum length kept");
        check(t->n_errors == 1 && t->errors[0].line == 2 &&
                      strstr(t->errors[0].message, "is longer than 1024"),
              "path too long reported on line 2");
        t = exports_table_free(t);

        /* a client of the maximum, then one more */
        strcpy(buf, "/srv ");
        memset(buf + 5, 'c', EXPORTS_CLIENT_MAX);
        strcpy(buf + 5 + EXPORTS_CLIENT_MAX, "\n/srv ");
        memset(buf + 11 + EXPORTS_CLIENT_MAX, 'd', EXPORTS_CLIENT_MAX + 1);
        strcpy(buf + 12 + 2 * EXPORTS_CLIENT_MAX, "\n");
        check(exports_table_new(&t) == 0, "exports_table_new");
        check(exports_parse(t, "long", buf, strlen(buf)) == 1, "long client: one error");
        check(t->n_entries == 1 && strlen(t->entries[0].clients[0].name) == EXPORTS_CLIENT_MAX,
              "client of the maximum length kept");
        check(t->n_errors == 1 && t->errors[0].line == 2 && t->errors[0].stops_file &&
                      strstr(t->errors[0].message, "is longer than 511"),
              "client too long reported on line 2");
}

static void test_flags_and_defaults(void)
{
        _cleanup_(exports_table_freep) struct exports_table *t = NULL;
        const char *text = "/srv a b(rw) c(sync) -x d(async)\n/e -async f\n";
        const struct export_options *o;

        check(exports_table_new(&t) == 0 && exports_parse(t, "f", text, strlen(text)) == 1, "parse");
        if (t->n_entries != 2) {
                check(false, "flags: expected 2 entries, got %zu", t->n_entries);
                return;
        }
        o = &t->entries[0].clients[0].options;
        check(o->flags.read_only && o->flags.root_squash && !o->flags.all_squash && !o->flags.insecure &&
                      o->wdelay && !o->async && !o->sync_explicit && !o->subtree_check && !o->nohide &&
                      !o->crossmnt && !o->insecure_locks && !o->no_acl && !o->pnfs && !o->nordirplus &&
                      !o->security_label && !o->sign_fh && o->anonuid == 65534 && o->anongid == 65534 &&
                      !o->fsid_set && !o->fsid_uuid && !o->mountpoint && o->fsloc == EXPORT_FSLOC_NONE &&
                      o->n_sec == 0 && o->n_xprtsec == 0 && o->reexport == EXPORT_REEXPORT_NONE,
              "defaults are ro,sync,wdelay,hide,no_subtree_check,secure,root_squash,...");
        check(!t->entries[0].has_default_options && t->entries[1].has_default_options,
              "has_default_options");
        check(!t->entries[0].clients[0].has_options && t->entries[0].clients[1].has_options, "has_options");
        check(!t->entries[0].clients[1].options.sync_explicit, "rw alone: sync not explicit");
        check(t->entries[0].clients[2].options.sync_explicit, "sync explicit");
        check(t->entries[0].clients[3].options.async && t->entries[0].clients[3].options.sync_explicit,
              "async explicit");
        check(t->entries[1].clients[0].options.sync_explicit, "async from -defaults counts as explicit");
        check(streq(t->entries[0].file, "f") && t->entries[1].line == 2, "entry location");
}

/* ---- matcher ---- */

typedef struct MatchCase {
        const char *spec; /* the client token; NULL: a path alone */
        const char *hostname;
        const char *addresses[3];
        int expected;
} MatchCase;

static const MatchCase match_cases[] = {
        {"host.example.com", "HOST.example.com.", {}, EXPORT_MATCH_YES},
        {"host.example.com", "other.example.com", {}, EXPORT_MATCH_NO},
        {"host.example.com", NULL, {"10.0.0.1"}, EXPORT_MATCH_UNKNOWN},
        {"*.example.com", "a.b.example.com", {}, EXPORT_MATCH_YES},
        {"*.example.com", "A.EXAMPLE.COM", {}, EXPORT_MATCH_YES},
        {"*.example.com", "a.example.org", {}, EXPORT_MATCH_NO},
        {"*.example.com", NULL, {}, EXPORT_MATCH_UNKNOWN},
        {"web[1-3].x", "web2.x", {}, EXPORT_MATCH_YES},
        {"web[1-3].x", "web4.x", {}, EXPORT_MATCH_NO},
        {"h?st", "host", {}, EXPORT_MATCH_YES},
        {"10.0.0.0/24", "x", {"10.0.0.77"}, EXPORT_MATCH_YES},
        {"10.0.0.0/24", "x", {"10.0.1.1"}, EXPORT_MATCH_NO},
        {"10.0.0.0/24", NULL, {"fd00::1", "10.0.0.9"}, EXPORT_MATCH_YES},
        {"10.0.0.5/24", NULL, {"10.0.0.200"}, EXPORT_MATCH_YES},
        {"10.1.0.0/255.255.0.0", NULL, {"10.1.200.3"}, EXPORT_MATCH_YES},
        {"10.1.0.0/255.255.0.0", NULL, {"10.2.0.3"}, EXPORT_MATCH_NO},
        {"10.0.0.0/", NULL, {"192.168.1.1"}, EXPORT_MATCH_YES},
        {"fd00:1::/64", NULL, {"fd00:1::5"}, EXPORT_MATCH_YES},
        {"fd00:1::/64", NULL, {"fd00:2::5", "10.0.0.1"}, EXPORT_MATCH_NO},
        {"10.0.0.5", "x", {"10.0.0.5"}, EXPORT_MATCH_YES},
        {"10.0.0.5", "10.0.0.5", {"10.0.0.6"}, EXPORT_MATCH_NO},
        {"::1", NULL, {"::1"}, EXPORT_MATCH_YES},
        {"@trusted", "host", {"10.0.0.1"}, EXPORT_MATCH_UNKNOWN},
        {"gss/krb5", "host", {"10.0.0.1"}, EXPORT_MATCH_NO},
        {"*", NULL, {}, EXPORT_MATCH_YES},
        {"(rw)", NULL, {}, EXPORT_MATCH_YES},
        {NULL, NULL, {}, EXPORT_MATCH_YES},
        {"10.0.0.0/24", NULL, {"10.0.0"}, -EINVAL},
        {"host", "host", {"not-an-address"}, -EINVAL},
};

static struct exports_table *parse_one_client(const char *spec)
{
        struct exports_table *t = NULL;
        char text[256];

        snprintf(text, sizeof(text), "/p %s\n", strempty(spec));
        if (exports_table_new(&t) < 0 || exports_parse(t, "m", text, strlen(text)) != 0 ||
            t->n_entries != 1 || t->entries[0].n_clients < 1) {
                check(false, "cannot parse client spec \"%s\"", strempty(spec));
                return exports_table_free(t);
        }
        return t;
}

static void test_matcher(void)
{
        for (size_t i = 0; i < ELEMENTSOF(match_cases); i++) {
                const MatchCase *m = &match_cases[i];
                _cleanup_(exports_table_freep) struct exports_table *t = parse_one_client(m->spec);
                const struct export_client *c;
                size_t n = 0;
                int r;

                if (!t)
                        continue;
                c = &t->entries[0].clients[t->entries[0].n_clients - 1];
                while (n < ELEMENTSOF(m->addresses) && m->addresses[n])
                        n++;
                r = export_client_matches(c, m->hostname, m->addresses, n);
                check(r == m->expected, "match \"%s\" against %s [%s%s%s]: got %d (%s), expected %d",
                      strempty(m->spec), strna(m->hostname), strempty(m->addresses[0]), n > 1 ? " " : "",
                      n > 1 ? m->addresses[1] : "", r, strna(export_match_to_string(r)), m->expected);
        }
}

static void test_is_wide(void)
{
        static const struct {
                const char *spec;
                bool wide;
        } cases[] = {
                {"*", true},           {NULL, true},        {"(rw)", true},         {"*.x", true},
                {"10.0.0.0/24", true}, {"fd00::/64", true}, {"10.0.0.1/32", false}, {"fd00::1/128", false},
                {"host", false},       {"@ng", false},      {"10.0.0.1", false},    {"gss/krb5", false},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(exports_table_freep) struct exports_table *t = parse_one_client(cases[i].spec);

                if (t)
                        check(export_client_is_wide(&t->entries[0].clients[0]) == cases[i].wide,
                              "is_wide(\"%s\") should be %s", strempty(cases[i].spec),
                              cases[i].wide ? "true" : "false");
        }
        check(!export_client_is_wide(NULL), "is_wide(NULL)");
}

/* ---- exports.d ---- */

static void test_dir_select(void)
{
        static const char *const names[] = {
                "b.exports",  ".hidden.exports", "a.exports", "exports",       ".exports", "x.exports~",
                "10.exports", "9.exports",       "c.EXPORTS", "z.exports.bak", "my.conf",
        };
        static const char *const expected[] = {"9.exports", "10.exports", "a.exports", "b.exports"};
        _cleanup_free_ const char **picked = NULL;
        int n;

        n = exports_dir_select(names, ELEMENTSOF(names), &picked);
        check(n == (int)ELEMENTSOF(expected), "exports_dir_select() picked %d names, expected %zu", n,
              ELEMENTSOF(expected));
        for (int i = 0; i < n && i < (int)ELEMENTSOF(expected); i++)
                check(streq(picked[i], expected[i]), "exports.d name %d is %s, expected %s", i, picked[i],
                      expected[i]);
        check(picked && picked[n] == NULL, "exports_dir_select() result is NULL-terminated");

        check(exports_dir_name_is_read("x.exports") && !exports_dir_name_is_read(".exports") &&
                      !exports_dir_name_is_read(".x.exports") && !exports_dir_name_is_read(NULL),
              "exports_dir_name_is_read()");
        check(exports_dir_select(NULL, 1, &picked) == -EINVAL, "exports_dir_select(NULL, 1)");
}

/* ---- name tables ---- */

static void test_names(void)
{
        for (int i = 0; i < _EXPORT_CLIENT_KIND_MAX; i++)
                check(export_client_kind_from_string(export_client_kind_to_string(i)) == i, "client kind %d",
                      i);
        for (int i = 0; i < _EXPORT_SEC_FLAVOR_MAX; i++)
                check(export_sec_flavor_from_string(export_sec_flavor_to_string(i)) == i, "sec flavor %d",
                      i);
        for (int i = 0; i < _EXPORT_XPRTSEC_MAX; i++)
                check(export_xprtsec_from_string(export_xprtsec_to_string(i)) == i, "xprtsec %d", i);
        for (int i = 0; i < _EXPORT_REEXPORT_MAX; i++)
                check(export_reexport_from_string(export_reexport_to_string(i)) == i, "reexport %d", i);
        for (int i = 0; i < _EXPORT_FSLOC_MAX; i++)
                check(export_fsloc_to_string(i) != NULL, "fsloc %d", i);
        for (int i = 0; i < _EXPORT_MATCH_MAX; i++)
                check(export_match_to_string(i) != NULL, "match %d", i);
        check(!export_client_kind_to_string(_EXPORT_CLIENT_KIND_MAX) && !export_client_kind_to_string(-1) &&
                      !export_match_to_string(-EINVAL),
              "out-of-range names are NULL");
        check(export_client_kind_from_string("bogus") < 0 && export_sec_flavor_from_string(NULL) < 0,
              "unknown names are rejected");
        check(export_sec_flavor_from_string("unix") == EXPORT_SEC_SYS &&
                      export_sec_flavor_from_string("null") == EXPORT_SEC_NONE,
              "sec flavor aliases");
}

/* ---- several files into one table ---- */

static void test_several_files(void)
{
        _cleanup_(exports_table_freep) struct exports_table *t = NULL;
        const char *main_file = "/srv h(rw)\n";
        const char *d1 = "/srv h(ro)\n/x y(bogus)\n/z z\n";
        const char *d2 = "/q q\n";

        check(exports_table_new(&t) == 0, "exports_table_new");
        check(exports_parse(t, "exports", main_file, strlen(main_file)) == 0, "main file parses");
        check(exports_parse(t, "exports.d/a.exports", d1, strlen(d1)) == 1, "a.exports has one error");
        check(exports_parse(t, "exports.d/b.exports", d2, strlen(d2)) == 0, "b.exports parses");
        if (t->n_entries != 4 || t->n_errors != 1) {
                check(false, "several files: %zu entries, %zu errors", t->n_entries, t->n_errors);
                return;
        }
        check(streq(t->entries[0].file, "exports") && streq(t->entries[1].file, "exports.d/a.exports") &&
                      streq(t->entries[3].file, "exports.d/b.exports"),
              "entries know their files");
        check(t->entries[1].clients[0].duplicate, "duplicate across files");
        check(streq(t->errors[0].file, "exports.d/a.exports") && t->errors[0].line == 2, "error location");
        check(t->entries[2].clients[0].after_error && !t->entries[3].clients[0].after_error,
              "after_error is per file");
        check(t->n_files == 3, "three file names kept");

        check(exports_parse(NULL, "x", "", 0) == -EINVAL && exports_parse(t, NULL, "", 0) == -EINVAL &&
                      exports_parse(t, "x", NULL, 1) == -EINVAL,
              "bad arguments");
        check(exports_parse(t, "empty", NULL, 0) == 0 && t->n_entries == 4, "an empty buffer adds nothing");
        check(exports_table_free(NULL) == NULL, "exports_table_free(NULL)");
}

int main(void)
{
        for (size_t i = 0; i < ELEMENTSOF(grammar_cases); i++)
                test_grammar_case(&grammar_cases[i]);
        test_lengths();
        test_flags_and_defaults();
        test_matcher();
        test_is_wide();
        test_dir_select();
        test_names();
        test_several_files();

        if (failures > 0) {
                printf("%u check(s) failed\n", failures);
                return 1;
        }
        printf("all %zu grammar cases and the API checks passed\n", ELEMENTSOF(grammar_cases));
        return 0;
}
