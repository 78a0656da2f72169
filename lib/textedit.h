/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Small edits of configuration text that keep everything else as the operator wrote it: one statement
 * replaced in place, or a new one put where the file's own commented-out example of it is.
 */

#include <stddef.h>

/* text with its bytes [start, end) replaced by s (start == end: s inserted). When s goes at the end of a
 * text whose last line has no '\n', one is put before it. NULL on -ENOMEM. */
char *text_splice(const char *text, size_t start, size_t end, const char *s);

/* Where a new setting of name goes: just after the last line that shows it commented out ("#name = ...",
 * "# name=..."), as the packaged files document their settings; else the end of the text. A byte
 * offset into text. */
size_t text_example_end(const char *text, const char *name);

/* text with added (whole lines) put at text_example_end(text, name); NULL on -ENOMEM. */
char *text_add_setting(const char *text, const char *name, const char *added);
