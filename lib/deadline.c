/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "deadline.h"

#include "spawn.h"

struct deadline_call {
        int (*fn)(void *userdata, void *out);
        void *userdata;
        size_t out_size;
};

/* In the child: fn's return value, then its out, through the pipe. */
static int deadline_child(void *userdata, int fd)
{
        const struct deadline_call *c = userdata;
        _cleanup_free_ char *buf = calloc(1, sizeof(int) + c->out_size);
        size_t want = sizeof(int) + c->out_size;
        int r;

        if (!buf)
                return 1;
        r = c->fn(c->userdata, buf + sizeof(int));
        memcpy(buf, &r, sizeof(int));
        return spawn_reply(fd, buf, want) < 0 ? 1 : 0;
}

int run_with_deadline(usec_t deadline, int (*fn)(void *userdata, void *out), void *userdata, void *out,
                      size_t out_size)
{
        struct deadline_call c = {.fn = fn, .userdata = userdata, .out_size = out_size};
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r;

        r = spawn_call(deadline, deadline_child, &c, sizeof(int) + out_size, &buf, &len, NULL);
        if (r < 0)
                return r;
        if (len != sizeof(int) + out_size)
                return -EPIPE; /* the child died without answering */
        memcpy(&r, buf, sizeof(int));
        memcpy(out, buf + sizeof(int), out_size);
        return r;
}

usec_t deadline_leave_margin(usec_t deadline, usec_t margin)
{
        return deadline > now_usec() + 2 * margin ? deadline - margin : deadline;
}
