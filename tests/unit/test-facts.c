/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The parsers behind `hostprep facts`: libvirt's config grammar (lib/libvirt-conf.c; more cases in
 * test-libvirt-conf.c), host UUIDs as libvirt reads and picks them (lib/uuid.c), programs' version lines,
 * /proc/cpuinfo. */
#include "facts.h"
#include "test-util.h"

#include <ctype.h>

#include "libvirt-conf.h"
#include "uuid.h"

/* The string value of key in text, as a unit would ask for it. */
static int conf_string(const char *text, const char *key, char **ret)
{
        struct libvirt_conf *c = NULL;
        int r = libvirt_conf_parse("test.conf", text, strlen(text), &c, NULL);

        if (r >= 0)
                r = libvirt_conf_get_string(c, key, ret);
        libvirt_conf_free(c);
        return r;
}

/* want: the string, or NULL when want_r < 0 */
static void conf_case(const char *text, const char *key, int want_r, const char *want)
{
        char *got = (char *)"untouched";
        int r = conf_string(text, key, &got);

        CHECK(r == want_r, "%s in [%s]: r=%d, want %d", key, text, r, want_r);
        if (r == 0 && want_r == 0)
                CHECK(streq(got, want), "%s in [%s]: '%s', want '%s'", key, text, got, want);
        if (r < 0)
                CHECK(streq(got, "untouched"), "%s in [%s]: ret changed on failure", key, text);
        if (r == 0)
                free(got);
}

static void test_libvirt_conf(void)
{
        conf_case("", "host_uuid", -ENOENT, NULL);
        conf_case("host_uuid = \"2f8a41c6-7e3b-4d0a-9b1c-5e6f7a8b9c0d\"\n", "host_uuid", 0,
                  "2f8a41c6-7e3b-4d0a-9b1c-5e6f7a8b9c0d");
        conf_case("#host_uuid = \"00000000-0000-0000-0000-000000000000\"\n", "host_uuid", -ENOENT, NULL);
        conf_case("   \thost_uuid\t=   'abc'   # set by hand\n", "host_uuid", 0, "abc");
        conf_case("host_uuid=\"abc\"#no space before the comment", "host_uuid", 0, "abc");
        conf_case("a = 1; host_uuid = \"x\" ; b = -2\n", "host_uuid", 0, "x");
        conf_case("host_uuid = \"\"\"multi\nline\"\"\"\n", "host_uuid", 0, "multi\nline");
        conf_case("host_uuid = \"first\"\nhost_uuid = \"second\"\n", "host_uuid", 0, "first");
        conf_case("host_uuid_source = \"machine-id\"\n", "host_uuid", -ENOENT, NULL);
        conf_case("host_uuid_source = \"machine-id\"\n", "host_uuid_source", 0, "machine-id");
        conf_case("host = \"h\"\n", "host_uuid", -ENOENT, NULL);
        conf_case("access_drivers = [ \"polkit\",\n   \"nop\", ]\nhost_uuid = \"x\"\n", "host_uuid", 0, "x");
        conf_case("host_uuid = \"x\"\r\nlisten_tls = 0\r\n", "host_uuid", 0, "x");
        conf_case("host_uuid = \"it's # not a comment\"\n", "host_uuid", 0, "it's # not a comment");
        conf_case("host_uuid = \"\"\n", "host_uuid", 0, "");
        /* set, but not a string */
        conf_case("host_uuid = 5\n", "host_uuid", -EINVAL, NULL);
        conf_case("host_uuid = [\"a\"]\n", "host_uuid", -EINVAL, NULL);
        /* libvirt refuses the whole file on any syntax error, even after the key */
        conf_case("host_uuid = \"x\"\nthis is not a statement\n", "host_uuid", -EBADMSG, NULL);
        conf_case("host_uuid = \"x\" trailing\n", "host_uuid", -EBADMSG, NULL);
        conf_case("host_uuid = \"unterminated\n", "host_uuid", -EBADMSG, NULL);
        conf_case("host_uuid = 'no\nnewline inside'\n", "host_uuid", -EBADMSG, NULL);
        conf_case("host_uuid = unquoted\n", "host_uuid", -EBADMSG, NULL);
        conf_case("host_uuid\n", "host_uuid", -EBADMSG, NULL);
        conf_case("host_uuid =\n", "host_uuid", -EBADMSG, NULL);
        conf_case("_x = 1\n", "host_uuid", -EBADMSG, NULL);
        conf_case("l = [ \"a\" \"b\" ]\n", "host_uuid", -EBADMSG, NULL);
        conf_case("l = [ \"a\"\n", "host_uuid", -EBADMSG, NULL);
        conf_case("n = -\n", "host_uuid", -EBADMSG, NULL);
        {
                char deep[4096];

                memset(deep, '[', sizeof(deep) - 1);
                deep[sizeof(deep) - 1] = '\0';
                memcpy(deep, "l = ", 4);
                conf_case(deep, "host_uuid", -EBADMSG, NULL);
        }
}

/* Random text from the grammar's own characters: any answer but a crash, and ret only on success. */
static void test_random_input(void)
{
        static const char alphabet[] = "ab_ =\"'#;[],\n\r\t-+0123456789:.ABCDEFabcdef";
        char text[256];
        unsigned seed = 1;

        for (int round = 0; round < 20000; round++) {
                size_t n = (size_t)(rand_r(&seed) % (sizeof(text) - 1));
                json_object *o = NULL;
                char *s = NULL;
                int r;

                for (size_t i = 0; i < n; i++)
                        text[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
                text[n] = '\0';
                r = conf_string(text, "ab", &s);
                CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -EBADMSG, "r=%d for [%s]", r, text);
                CHECK(r == 0 || !s, "ret set on failure for [%s]", text);
                free(s);
                s = NULL;
                (void)uuid_is_usable(text);
                if (uuid_normalize(text, &s) == 0)
                        CHECK(strlen(s) == 36, "normalized '%s'", s);
                free(s);
                s = NULL;
                if (facts_version_parse(text, &s) == 0)
                        CHECK(strchr(s, '.') && isdigit((unsigned char)s[strlen(s) - 1]), "version '%s'", s);
                free(s);
                CHECK(facts_host_uuid(text, 0, text, text, &o) == 0 && o, "host_uuid for [%s]", text);
                json_object_put(o);
                o = NULL;
                CHECK(facts_cpuinfo_parse(text, &o) == 0 && o, "cpuinfo [%s]", text);
                json_object_put(o);
        }
}

static void uuid_case(const char *in, const char *want)
{
        char *got = NULL;
        int r = uuid_normalize(in, &got);

        if (!want)
                CHECK(r == -EINVAL && !got, "'%s' is no UUID: r=%d", in, r);
        else
                CHECK(r == 0 && got && streq(got, want), "'%s' -> '%s', want '%s'", in, strna(got), want);
        free(got);
}

static void test_uuid(void)
{
        uuid_case("2F8A41C6-7E3B-4D0A-9B1C-5E6F7A8B9C0D", "2f8a41c6-7e3b-4d0a-9b1c-5e6f7a8b9c0d");
        uuid_case("0a1b2c3d4e5f60718293a4b5c6d7e8f9\n", "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
        uuid_case("  0a1b2c3d 4e5f-6071-8293-a4b5c6d7e8f9  ", "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9");
        uuid_case("", NULL);
        uuid_case("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f", NULL);
        uuid_case("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9a", NULL);
        uuid_case("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8g9", NULL);
        uuid_case("0-a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", NULL);
        uuid_case("uninitialized", NULL);
        uuid_case("Not Settable", NULL);

        CHECK(uuid_is_usable("2f8a41c6-7e3b-4d0a-9b1c-5e6f7a8b9c0d"), "a real UUID");
        CHECK(!uuid_is_usable("00000000-0000-0000-0000-000000000000"), "zeros");
        CHECK(!uuid_is_usable("ffffffff-ffff-ffff-ffff-ffffffffffff"), "all ff");
        CHECK(!uuid_is_usable("abababab-abab-abab-abab-abababababab"), "one byte repeated");
        CHECK(uuid_is_usable("00000000-0000-0000-0000-000000000001"), "one byte differs");
        CHECK(uuid_is_usable("aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaab"), "the last digit differs");
        CHECK(!uuid_is_usable("a") && !uuid_is_usable("") && !uuid_is_usable("aa-"), "short strings");
}

static const char *field(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static bool same(const char *a, const char *b)
{
        return (!a && !b) || (a && b && streq(a, b));
}

static void host_uuid_case(int line, const char *conf, int conf_error, const char *smbios,
                           const char *machine_id, const char *want_libvirt, const char *want_effective,
                           const char *want_source)
{
        json_object *o = NULL;
        int r = facts_host_uuid(conf, conf_error, smbios, machine_id, &o);

        CHECK(r == 0 && o, "line %d: r=%d", line, r);
        if (!o)
                return;
        CHECK(same(field(o, "libvirt"), want_libvirt), "line %d: libvirt %s, want %s", line,
              strna(field(o, "libvirt")), strna(want_libvirt));
        CHECK(same(field(o, "effective"), want_effective), "line %d: effective %s, want %s", line,
              strna(field(o, "effective")), strna(want_effective));
        CHECK(same(field(o, "effective_source"), want_source), "line %d: source %s, want %s", line,
              strna(field(o, "effective_source")), strna(want_source));
        CHECK(same(field(o, "smbios"), smbios) && same(field(o, "machine_id"), machine_id),
              "line %d: smbios and machine_id as given", line);
        CHECK(json_object_object_length(o) == 5, "line %d: five fields", line);
        json_object_put(o);
}

static void test_host_uuid(void)
{
        const char *mid = "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                   *mid_uuid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
                   *dmi = "4c4c4544-0042-3510-8052-b4c04f563232",
                   *zeros = "00000000-0000-0000-0000-000000000000";

        /* host_uuid wins over every source */
        host_uuid_case(
                __LINE__,
                "host_uuid = \"2F8A41C6-7E3B-4D0A-9B1C-5E6F7A8B9C0D\"\nhost_uuid_source = 'machine-id'\n", 0,
                dmi, mid, "2F8A41C6-7E3B-4D0A-9B1C-5E6F7A8B9C0D", "2f8a41c6-7e3b-4d0a-9b1c-5e6f7a8b9c0d",
                "libvirt");
        /* a host_uuid libvirt refuses: the daemon does not start */
        host_uuid_case(__LINE__, "host_uuid = \"00000000-0000-0000-0000-000000000000\"\n", 0, dmi, mid,
                       zeros, NULL, NULL);
        host_uuid_case(__LINE__, "host_uuid = \"not-a-uuid\"\n", 0, dmi, mid, "not-a-uuid", NULL, NULL);
        host_uuid_case(__LINE__, "host_uuid = 42\n", 0, dmi, mid, NULL, NULL, NULL);
        /* machine-id as the source */
        host_uuid_case(__LINE__, "host_uuid_source = \"machine-id\"\n", 0, dmi, mid, NULL, mid_uuid,
                       "machine_id");
        host_uuid_case(__LINE__, "host_uuid_source = \"machine-id\"\n", 0, dmi, NULL, NULL, NULL, NULL);
        /* smbios, said or by default; no file means the defaults */
        host_uuid_case(__LINE__, "host_uuid_source = \"smbios\"\n", 0, dmi, mid, NULL, dmi, "smbios");
        host_uuid_case(__LINE__, "# nothing set\n", 0, "4C4C4544-0042-3510-8052-B4C04F563232", mid, NULL,
                       dmi, "smbios");
        host_uuid_case(__LINE__, NULL, -ENOENT, dmi, mid, NULL, dmi, "smbios");
        /* libvirt takes the firmware's UUID as it is, even all zeros: exactly what peers must compare */
        host_uuid_case(__LINE__, NULL, -ENOENT, zeros, mid, NULL, zeros, "smbios");
        /* no SMBIOS UUID: libvirt makes up a random one at each start, which nobody can know */
        host_uuid_case(__LINE__, NULL, -ENOENT, "Not Settable", mid, NULL, NULL, NULL);
        host_uuid_case(__LINE__, NULL, -ENOENT, NULL, mid, NULL, NULL, NULL);
        /* what makes libvirtd refuse to start */
        host_uuid_case(__LINE__, "host_uuid_source = \"firmware\"\n", 0, dmi, mid, NULL, NULL, NULL);
        host_uuid_case(__LINE__, "host_uuid_source = 3\n", 0, dmi, mid, NULL, NULL, NULL);
        host_uuid_case(__LINE__, "host_uuid = \"2f8a41c6-7e3b-4d0a-9b1c-5e6f7a8b9c0d\"\nbroken line\n", 0,
                       dmi, mid, NULL, NULL, NULL);
        /* a file hostprep cannot read: libvirt's choice is unknown */
        host_uuid_case(__LINE__, NULL, -EACCES, dmi, mid, NULL, NULL, NULL);
}

static void version_case(const char *out, const char *want)
{
        char *got = NULL;
        int r = facts_version_parse(out, &got);

        if (!want)
                CHECK(r == -ENOENT && !got, "no version in '%s': r=%d", out, r);
        else
                CHECK(r == 0 && got && streq(got, want), "'%s' -> '%s', want '%s'", out, strna(got), want);
        free(got);
}

static void test_versions(void)
{
        version_case("libvirtd (libvirt) 9.0.0\n", "9.0.0");
        version_case("virtqemud (libvirt) 10.10.0\n", "10.10.0");
        version_case(
                "QEMU emulator version 7.2.0 (Debian 1:7.2+dfsg-7+deb12u5)\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n",
                "7.2.0");
        version_case("QEMU emulator version 8.2.2 (qemu-8.2.2-1.fc40)\n", "8.2.2");
        version_case("tool v1.2\n", "1.2");
        version_case("QEMU emulator version 9 (odd)\n", NULL);
        version_case("abc1.2.3 x\n", NULL);
        version_case("version 7.\n", NULL);
        version_case("", NULL);
        version_case("\n2.0.0 on the second line only\n", NULL);
}

static void cpu_case(const char *text, const char *vendor, const char *model, const char *flags)
{
        json_object *o = NULL, *f = NULL;
        int r = facts_cpuinfo_parse(text, &o);
        char *joined = NULL;
        size_t len = 0;
        FILE *m;

        CHECK(r == 0 && o, "r=%d", r);
        if (!o)
                return;
        CHECK(same(field(o, "vendor"), vendor) && same(field(o, "model"), model), "vendor %s model %s",
              strna(field(o, "vendor")), strna(field(o, "model")));
        json_object_object_get_ex(o, "flags", &f);
        m = open_memstream(&joined, &len);
        for (size_t i = 0; f && m && i < json_object_array_length(f); i++)
                fprintf(m, "%s%s", i ? " " : "", json_object_get_string(json_object_array_get_idx(f, i)));
        if (m)
                fclose(m);
        if (!flags)
                CHECK(!f, "no flags line: flags null");
        else
                CHECK(f && joined && streq(joined, flags), "flags '%s', want '%s'", strna(joined), flags);
        free(joined);
        json_object_put(o);
}

static void test_cpuinfo(void)
{
        cpu_case(
                "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\nflags\t\t: vmx sse2 fpu sse2 avx512f\n\nprocessor\t: 1\nvendor_id\t: OtherVendor\nmodel name\t: other\nflags\t\t: only_on_cpu1\n",
                "GenuineIntel", "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", "avx512f fpu sse2 vmx");
        cpu_case(
                "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes\nCPU implementer\t: 0x41\n",
                NULL, NULL, "aes asimd evtstrm fp");
        cpu_case("processor : 0\nvendor_id : AuthenticAMD\nflags :\n", "AuthenticAMD", NULL, "");
        cpu_case("", NULL, NULL, NULL);
        cpu_case("garbage without colons\n\n\n", NULL, NULL, NULL);
        cpu_case("model name : no newline at the end", NULL, "no newline at the end", NULL);
}

int main(void)
{
        test_libvirt_conf();
        test_uuid();
        test_host_uuid();
        test_versions();
        test_cpuinfo();
        test_random_input();
        if (failures)
                fprintf(stderr, "%d failure(s)\n", failures);
        return failures ? 1 : 0;
}
