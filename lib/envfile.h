/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * systemd EnvironmentFile= texts (Debian's /etc/default/NAME, RHEL's /etc/sysconfig/NAME): KEY=VALUE
 * lines, '#' and ';' start comments, a value may be in single or double quotes. The last assignment of
 * a key wins, as systemd reads them.
 */

/* VAR's value (its quotes removed) and the line of its last assignment; -ENOENT when unset. */
int env_file_value(const char *text, const char *var, char **ret, unsigned *ret_line);

/* text with VAR set: every assignment line of VAR replaced by line (a whole line's text, without its
 * '\n'), or, without one, added (whole lines) put after the file's commented-out example of VAR, else
 * at the end. Every other line is kept. *ret is NULL when every assignment already reads line. */
int env_file_set(const char *text, const char *var, const char *line, const char *added, char **ret);
