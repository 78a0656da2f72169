/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What `sshd -T` prints: sshd's effective settings, one "keyword value" a line, keywords in lowercase. The
 * settings ssh.root looks at; the last line of a keyword wins (sshd prints each once). */

struct sshd_settings {
        char *permit_root_login;       /* NULL: not said */
        char *password_authentication; /* NULL: not said */
};

int sshd_settings_parse(const char *text, struct sshd_settings *ret);
void sshd_settings_done(struct sshd_settings *s);
