/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "selinux-boolean.h"

#include <selinux/selinux.h>
#include <semanage/boolean_record.h>
#include <semanage/booleans_active.h>
#include <semanage/booleans_local.h>
#include <semanage/booleans_policy.h>
#include <semanage/debug.h>
#include <semanage/handle.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spawn.h"

/* What the child is asked to do, and what it found. */
struct sebool_call {
        const char *root, *name;
        bool write, local, value, active;
        char error[512]; /* libsemanage's last message, in the child */
};

static bool is_live_root(const char *root)
{
        return !root || streq(root, "/");
}

static _printf_(3, 4) void sebool_message(void *varg, semanage_handle_t *sh, const char *fmt, ...)
{
        struct sebool_call *c = varg;
        va_list ap;

        /* only the errors: they are what the operator needs to read */
        if (semanage_msg_get_level(sh) != SEMANAGE_MSG_ERR)
                return;
        va_start(ap, fmt);
        vsnprintf(c->error, sizeof(c->error), fmt, ap);
        va_end(ap);
}

static int sebool_fail(int fd, struct sebool_call *c, const char *what)
{
        char *s = strdup_printf("error %s%s%s", what, c->error[0] ? ": " : "", c->error);

        if (s)
                (void)spawn_reply(fd, s, strlen(s));
        free(s);
        return 1;
}

/* In a transaction: the local value set or removed, the active one set when SELinux runs. */
static int sebool_change(semanage_handle_t *sh, struct sebool_call *c, semanage_bool_key_t *key)
{
        semanage_bool_t *b = NULL;
        int r;

        if (semanage_bool_create(sh, &b) < 0 || semanage_bool_set_name(sh, b, c->name) < 0)
                return -ENOMEM;
        semanage_bool_set_value(b, c->value);
        r = c->local ? semanage_bool_modify_local(sh, key, b) : semanage_bool_del_local(sh, key);
        if (r >= 0 && is_live_root(c->root) && is_selinux_enabled() > 0) {
                semanage_bool_set_value(b, c->active);
                r = semanage_bool_set_active(sh, key, b);
        }
        semanage_bool_free(b);
        return r;
}

static int sebool_read(int fd, semanage_handle_t *sh, struct sebool_call *c, semanage_bool_key_t *key)
{
        semanage_bool_t *b = NULL;
        int local = 0, value = 0, running = is_live_root(c->root) && is_selinux_enabled() > 0, active = 0;
        char reply[64];

        if (semanage_bool_exists_local(sh, key, &local) < 0)
                return sebool_fail(fd, c, "cannot read the store");
        if (local && semanage_bool_query_local(sh, key, &b) >= 0) {
                value = semanage_bool_get_value(b);
                semanage_bool_free(b);
        }
        if (running) {
                active = security_get_boolean_active(c->name);
                if (active < 0)
                        return spawn_reply(fd, "noent", 5) < 0 ? 1 : 0;
        }
        snprintf(reply, sizeof(reply), "ok %d %d %d %d", local, value > 0, running, active > 0);
        return spawn_reply(fd, reply, strlen(reply)) < 0 ? 1 : 0;
}

static int sebool_child(void *userdata, int fd)
{
        struct sebool_call *c = userdata;
        semanage_handle_t *sh;
        semanage_bool_key_t *key = NULL;
        int exists = 0;

        if (!is_live_root(c->root) && semanage_set_root(c->root) < 0)
                return sebool_fail(fd, c, "cannot use the root");
        sh = semanage_handle_create();
        if (!sh)
                return sebool_fail(fd, c, "cannot create a libsemanage handle");
        semanage_msg_set_callback(sh, sebool_message, c);
        if (semanage_is_managed(sh) != 1)
                return sebool_fail(fd, c, "Cannot set persistent booleans without managed policy.");
        if (semanage_connect(sh) < 0)
                return sebool_fail(fd, c, "cannot connect to the policy store");
        if (semanage_bool_key_create(sh, c->name, &key) < 0)
                return sebool_fail(fd, c, "out of memory");
        if (semanage_bool_exists(sh, key, &exists) < 0 || !exists)
                return spawn_reply(fd, "noent", 5) < 0 ? 1 : 0;
        if (!c->write)
                return sebool_read(fd, sh, c, key);
        if (!is_live_root(c->root))
                semanage_set_reload(sh, 0); /* the kernel's policy is not the root's */
        if (semanage_begin_transaction(sh) < 0 || sebool_change(sh, c, key) < 0 || semanage_commit(sh) < 0)
                return sebool_fail(fd, c, "cannot set the boolean");
        /* the child exits: the handle, the key and the store's lock go with it */
        return spawn_reply(fd, "ok", 2) < 0 ? 1 : 0;
}

static int sebool_call(struct sebool_call *c, usec_t deadline, char **ret_reply, char **ret_error)
{
        _cleanup_free_ char *out = NULL;
        int r, status = 0;

        r = spawn_call(deadline, sebool_child, c, 0, &out, NULL, &status);
        if (r < 0)
                return r;
        if (out && streq(out, "noent"))
                return -ENOENT;
        if (!out || !startswith(out, "ok")) {
                if (ret_error)
                        *ret_error = out && startswith(out, "error ") ? strdup(out + strlen("error "))
                                                                      : strdup("libsemanage gave no answer");
                return -EIO;
        }
        if (ret_reply)
                *ret_reply = TAKE_PTR(out);
        return 0;
}

int selinux_boolean_read(const char *root, const char *name, usec_t deadline,
                         struct selinux_boolean_state *ret, char **ret_error)
{
        struct sebool_call c = {.root = root, .name = name};
        _cleanup_free_ char *reply = NULL;
        int local, value, running, active, r;

        r = sebool_call(&c, deadline, &reply, ret_error);
        if (r < 0)
                return r;
        if (sscanf(reply, "ok %d %d %d %d", &local, &value, &running, &active) != 4)
                return -EBADMSG;
        *ret = (struct selinux_boolean_state){local, value, running, active};
        return 0;
}

int selinux_boolean_write(const char *root, const char *name, bool local, bool value, bool active,
                          usec_t deadline, char **ret_error)
{
        struct sebool_call c = {
                .root = root, .name = name, .write = true, .local = local, .value = value, .active = active};

        return sebool_call(&c, deadline, NULL, ret_error);
}
