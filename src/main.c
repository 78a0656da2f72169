/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hostprep: checks and prepares hosts for VM live migration. The verb table, the global options, help and
 * the dispatcher; each verb lives in verb-NAME.c with its own options. */
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>

#include "config.h"
#include "profile.h"
#include "strv.h"
#include "verbs.h"

const char *arg_profile = PROFILE_DEFAULT;
const char *arg_profile_path = NULL;
char **arg_set = NULL;
char **arg_roles = NULL;
const char *arg_root = "/";
const char *arg_host = NULL;
usec_t arg_timeout = 0;
enum format arg_format = FORMAT_HUMAN;
bool arg_quiet = false;
int arg_color = -1;
const char *arg_output = NULL;
bool arg_journal = false;
static bool arg_help = false;

static const char *const format_names[] = {
        [FORMAT_HUMAN] = "human",
        [FORMAT_JSON] = "json",
        [FORMAT_JUNIT] = "junit",
        [FORMAT_PROMETHEUS] = "prometheus",
};
_Static_assert(ELEMENTSOF(format_names) == _FORMAT_MAX, "format_names out of step");

enum {
        ARG_PROFILE = 0x100,
        ARG_PROFILE_PATH,
        ARG_SET,
        ARG_ROLE,
        ARG_HOST,
        ARG_FORMAT,
        ARG_JSON,
        ARG_ROOT,
        ARG_TIMEOUT,
        ARG_NO_COLOR,
        ARG_VERSION,
        ARG_OUTPUT,
        ARG_JOURNAL,
};

static const struct verb_option global_options[] = {
        {"profile", required_argument, ARG_PROFILE, "NAME|FILE",
         "profile to use (default: " PROFILE_DEFAULT ")"},
        {"profile-path", required_argument, ARG_PROFILE_PATH, "DIRS",
         "colon-separated directories searched before the built-in ones"},
        {"set", required_argument, ARG_SET, "SECTION.KEY=V", "override a profile key (repeatable)"},
        {"role", required_argument, ARG_ROLE, "ROLE",
         "give this host ROLE, whatever the profile's [hosts] says (repeatable)"},
        {"host", required_argument, ARG_HOST, "NAME",
         "act as host NAME (default: the root's /etc/hostname)"},
        {"root", required_argument, ARG_ROOT, "DIR",
         "the host's files are below DIR (a chroot, an image, a fixture)"},
        {"timeout", required_argument, ARG_TIMEOUT, "SECONDS",
         "deadline for the checks (default: the profile's [check] timeout)"},
        {"format", required_argument, ARG_FORMAT, "FMT",
         "human, json, junit or prometheus (default: human)"},
        {"json", no_argument, ARG_JSON, NULL, "same as --format json"},
        {"quiet", no_argument, 'q', NULL, "show only what did not pass"},
        {"no-color", no_argument, ARG_NO_COLOR, NULL, "no colour, even on a terminal"},
        {"help", no_argument, 'h', NULL, "show help (for the verb)"},
        {"version", no_argument, ARG_VERSION, NULL, "print the version"},
        {"output", required_argument, ARG_OUTPUT, "FILE", "write the report to FILE (replaced atomically)"},
        {"journal", no_argument, ARG_JOURNAL, NULL, "send the results to the systemd journal too"},
        {},
};

static int verb_version(char **args)
{
        printf("hostprep %s\n", HOSTPREP_VERSION);
        return 0;
}

static int verb_help(char **args);

static const struct verb verbs[] = {
        {
                .name = "check",
                .run = verb_check,
                .parse = check_parse,
                .options = check_options,
                .done = check_done,
                .usage = "check [--peer HOST].. [--all-hosts] [--only ID,..] [--skip ID,..] [OPTIONS]",
                .summary = "check this host against a profile (changes nothing)",
        },
        {
                .name = "apply",
                .run = verb_apply,
                .parse = apply_parse,
                .options = apply_options,
                .done = apply_done,
                .usage = "apply [--dry-run] [--force] [--peer HOST].. [--all-hosts] [OPTIONS]",
                .summary = "fix what check finds, then check again",
        },
        {
                .name = "migrate",
                .run = verb_migrate,
                .parse = migrate_parse,
                .options = migrate_options,
                .usage = "migrate --to HOST [--driver libvirt|qemu] [--round-trip] [--guest NAME]",
                .summary = "live-migrate a canary guest (or NAME) to HOST to prove the pair",
        },
        {
                .name = "audit",
                .run = verb_audit,
                .parse = audit_parse,
                .options = audit_options,
                .done = audit_done,
                .usage = "audit [--peer HOST].. [--guest NAME] [OPTIONS]",
                .summary = "can this host be drained now? every guest against every peer",
        },
        {
                .name = "rollback",
                .run = verb_rollback,
                .parse = rollback_parse,
                .options = rollback_options,
                .max_args = 1,
                .usage = "rollback [RUN] [--list] [--force]",
                .summary = "undo the last apply (or RUN)",
        },
        {
                .name = "list",
                .run = verb_list,
                .usage = "list [OPTIONS]",
                .summary = "list the units and the ids of their checks",
        },
        {
                .name = "facts",
                .run = verb_facts,
                .usage = "facts [--json] [OPTIONS]",
                .summary = "print what peers compare about this host",
        },
        {.name = "version", .run = verb_version, .usage = "version", .summary = "print the version"},
        {.name = "help", .run = verb_help, .max_args = 1, .usage = "help [VERB]", .summary = "show help"},
        /* hidden (no summary): what net.firewall runs on a peer to connect back to the checked host */
        {.name = "probe", .run = verb_probe, .max_args = 1 + PROBE_MAX_PORTS, .usage = PROBE_USAGE},
};

static const struct verb *arg_verb = NULL;

static const struct verb *verb_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

static const struct verb_option *option_find(const struct verb_option *options, const char *name)
{
        for (const struct verb_option *o = options; o && o->name; o++)
                if (streq(o->name, name))
                        return o;
        return NULL;
}

int usage_error(const char *fmt, ...)
{
        va_list ap;

        fputs("hostprep: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        if (arg_verb && arg_verb->run != verb_help)
                fprintf(stderr, "\nTry 'hostprep %s --help'.\n", arg_verb->name);
        else
                fputs("\nTry 'hostprep --help'.\n", stderr);
        return -EINVAL;
}

int log_oom(void)
{
        fprintf(stderr, "hostprep: out of memory\n");
        return EXIT_UNDECIDED;
}

/* --- help ---------------------------------------------------------------------------------------------- */

/* One line per option; an id below 0x100 is the option's short letter too (-q, -h). */
static void help_option_lines(const struct verb_option *options)
{
        for (const struct verb_option *o = options; o && o->name; o++) {
                _cleanup_free_ char *name = o->id < 0x100 ? strdup_printf("-%c, --%s", o->id, o->name)
                                                          : strdup_printf("--%s", o->name);
                _cleanup_free_ char *left = name && o->arg ? strdup_printf("%s %s", name, o->arg) : NULL;

                printf("  %-21s %s\n", left ? left : strna(name), o->help);
        }
}

static void help_exit_codes(void)
{
        printf("\nExit codes:\n  0  nothing failed (warnings allowed)\n  1  something failed\n  2  usage or configuration error; nothing was changed\n  3  a check could not decide (ERROR), and nothing failed\n");
}

/* One verb: its usage, its own options, then the global ones. */
static void help_verb(const struct verb *v)
{
        printf("Usage: hostprep %s\n%s.\n", v->usage, v->summary ? v->summary : "an internal verb");
        if (v->options) {
                printf("\nOptions:\n");
                help_option_lines(v->options);
        }
        printf("\nGlobal options:\n");
        help_option_lines(global_options);
        help_exit_codes();
}

static int verb_help(char **args)
{
        printf("Usage: hostprep VERB [OPTIONS]\nCheck that hosts are ready for VM live migration.\n\nVerbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i].summary)
                        printf("  %-9s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nGlobal options (before or after the verb):\n");
        help_option_lines(global_options);
        help_exit_codes();
        printf("\nEach verb's own options: hostprep help VERB. See hostprep(8) and hostprep.profile(5).\n");
        return 0;
}

/* --- options ------------------------------------------------------------------------------------------- */

/* A global option: <0 usage error, 0 exit successfully (--version), >0 go on. */
static int global_parse(int id, const char *arg)
{
        switch (id) {
        case ARG_PROFILE:
                arg_profile = arg;
                return 1;
        case ARG_PROFILE_PATH:
                arg_profile_path = arg;
                return 1;
        case ARG_SET:
                return strv_push_dup(&arg_set, arg) < 0 ? -ENOMEM : 1;
        case ARG_ROLE:
                if (role_from_string(arg) < 0)
                        return usage_error("--role %s: unknown role (known: nfs-server, hypervisor)", arg);
                return strv_push_dup(&arg_roles, arg) < 0 ? -ENOMEM : 1;
        case ARG_HOST:
                if (!*arg)
                        return usage_error("--host needs a name");
                arg_host = arg;
                return 1;
        case ARG_FORMAT:
                for (int i = 0; i < _FORMAT_MAX; i++)
                        if (streq(arg, format_names[i])) {
                                arg_format = (enum format)i;
                                return 1;
                        }
                return usage_error("--format %s: expected human, json, junit or prometheus", arg);
        case ARG_JSON:
                arg_format = FORMAT_JSON;
                return 1;
        case ARG_ROOT:
                arg_root = arg;
                return 1;
        case ARG_TIMEOUT:
                if (parse_seconds(arg, &arg_timeout) < 0)
                        return usage_error("--timeout %s: expected seconds, more than 0", arg);
                return 1;
        case 'q':
                arg_quiet = true;
                return 1;
        case ARG_NO_COLOR:
                arg_color = 0;
                return 1;
        case 'h':
                arg_help = true;
                return 1;
        case ARG_VERSION:
                verb_version(NULL);
                return 0;
        case ARG_OUTPUT:
                if (!*arg)
                        return usage_error("--output needs a file name");
                arg_output = arg;
                return 1;
        case ARG_JOURNAL:
                arg_journal = true;
                return 1;
        default:
                return -EINVAL;
        }
}

/* What getopt returns for an option of a verb (longindex says which). */
#define ARG_VERB_OPTION 0x1000

static bool long_option_seen(const struct option *v, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(v[i].name, name))
                        return true;
        return false;
}

/* Every long option any verb or the global table has, once: getopt sees one namespace, and which verb an
 * option belongs to is decided once the verb is known. */
static int long_options(struct option **ret)
{
        size_t n = 0, max = ELEMENTSOF(global_options);
        _cleanup_free_ struct option *v = NULL;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                for (const struct verb_option *o = verbs[i].options; o && o->name; o++)
                        max++;
        v = calloc(max, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (const struct verb_option *o = global_options; o->name; o++)
                v[n++] = (struct option){o->name, o->has_arg, NULL, o->id};
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                for (const struct verb_option *o = verbs[i].options; o && o->name; o++)
                        if (!long_option_seen(v, n, o->name))
                                v[n++] = (struct option){o->name, o->has_arg, NULL, ARG_VERB_OPTION};
        *ret = TAKE_PTR(v);
        return 0;
}

/* The verbs an option belongs to, as "'a', 'b' and 'c'"; NULL on -ENOMEM. */
static char *option_owners(const char *name)
{
        _cleanup_free_ char *list = NULL;
        size_t n = 0, k = 0;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                n += option_find(verbs[i].options, name) != NULL;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                char *next;

                if (!option_find(verbs[i].options, name))
                        continue;
                k++;
                next = strdup_printf("%s%s'%s'", strempty(list),
                                     k == 1   ? ""
                                     : k == n ? " and "
                                              : ", ",
                                     verbs[i].name);
                free(list);
                list = next;
                if (!list)
                        return NULL;
        }
        return TAKE_PTR(list);
}

/* The options of the verb (recorded while getopt ran, in order) to the verb's parse function. An option of
 * another verb is a usage error naming the verb it belongs to: it must not be silently ignored. */
static int parse_verb_options(char *const *names, char *const *values, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct verb_option *o = arg_verb ? option_find(arg_verb->options, names[i]) : NULL;
                _cleanup_free_ char *owners = NULL;
                int r;

                if (o) {
                        r = arg_verb->parse(o->id, values[i]);
                        if (r < 0)
                                return r;
                        continue;
                }
                owners = option_owners(names[i]);
                if (!owners)
                        return -ENOMEM;
                if (!arg_verb)
                        return usage_error("--%s is an option of %s", names[i], owners);
                return usage_error("--%s is an option of %s, not '%s'", names[i], owners, arg_verb->name);
        }
        return 0;
}

/* The verb, with "help VERB" meaning VERB with --help; its words after it. <0 usage error, >0 go on. */
static int parse_verb(int argc, char *argv[], char ***ret_args)
{
        size_t n;

        if (optind < argc) {
                arg_verb = verb_find(argv[optind]);
                if (!arg_verb)
                        return usage_error("unknown verb '%s'", argv[optind]);
                optind++;
        }
        if (arg_verb && arg_verb->run == verb_help && optind < argc) {
                const struct verb *v = verb_find(argv[optind]);
                if (!v)
                        return usage_error("help: unknown verb '%s'", argv[optind]);
                arg_verb = v;
                arg_help = true;
                optind++;
        }
        n = (size_t)(argc - optind);
        if (arg_verb && n > arg_verb->max_args)
                return usage_error("unexpected argument '%s'", argv[optind + arg_verb->max_args]);
        if (!arg_verb && n > 0)
                return usage_error("unexpected argument '%s'", argv[optind]);
        *ret_args = argv + optind;
        return 1;
}

/* <0 error (usage), 0 exit successfully, >0 go on with *ret_args, the verb's words. */
static int parse_argv(int argc, char *argv[], char ***ret_args)
{
        _cleanup_free_ struct option *options = NULL;
        _cleanup_free_ char **names = calloc(argc, sizeof(char *)), **values = calloc(argc, sizeof(char *));
        size_t n = 0;
        int c, index, r;

        if (!names || !values || long_options(&options) < 0)
                return -ENOMEM;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":qh", options, &index)) >= 0) {
                switch (c) {
                case ARG_VERB_OPTION:
                        /* the verb decides, once it is known (it may come after its options) */
                        names[n] = (char *)options[index].name;
                        values[n++] = optarg;
                        break;
                case ':':
                        return usage_error("option '%s' needs an argument", argv[optind - 1]);
                case '?':
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                default:
                        r = global_parse(c, optarg);
                        if (r <= 0)
                                return r;
                }
        }
        r = parse_verb(argc, argv, ret_args);
        if (r <= 0)
                return r;
        r = parse_verb_options(names, values, n);
        return r < 0 ? r : 1;
}

static int run(int argc, char *argv[])
{
        char **args = NULL;
        int r;

        r = parse_argv(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        if (arg_help) {
                if (arg_verb && arg_verb->run != verb_help)
                        help_verb(arg_verb);
                else
                        verb_help(NULL);
                return 0;
        }
        if (!arg_verb) {
                usage_error(
                        "a verb is needed (check, apply, migrate, audit, rollback, list, facts, version, help)");
                return EXIT_USAGE;
        }
        return arg_verb->run(args);
}

/* Error text stays English whatever the locale: hostprep's own (strerror, %m) and that of the programs it
 * runs, whose messages end up in results (and of hostprep on the peers: ssh passes LC_* on), so a report
 * reads the same on every host and scripts may match what it quotes. C.UTF-8 keeps UTF-8 where the C
 * library has it; LANGUAGE would still pick a translation for a program in another locale. */
static void locale_english(void)
{
        const char *l = setlocale(LC_ALL, "C.UTF-8") ? "C.UTF-8" : "C";

        (void)setlocale(LC_ALL, l);
        (void)setenv("LC_ALL", l, 1);
        (void)unsetenv("LANGUAGE");
}

int main(int argc, char *argv[])
{
        int r;

        locale_english();
        r = run(argc, argv);

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i].done)
                        verbs[i].done();
        strv_free(arg_set);
        strv_free(arg_roles);
        return r;
}
