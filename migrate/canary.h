/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The canary guest: a multiboot (v1) ELF32 kernel of a few KB, assembled from canary.S. It never enables
 * interrupts or paging; it polls the PIT for time, keeps a status block at a fixed guest-physical address,
 * prints "canary tick N" on COM1 once a second and dirties guest pages at the rate given on its command
 * line. This header is shared by canary.S (through the C preprocessor) and by the drivers' C code.
 *
 * Command line (multiboot cmdline, libvirt <cmdline>, qemu -append), words separated by spaces:
 *   dirty=RATE   pages to dirty per second of guest time, as a byte rate: a number with an optional
 *                suffix K, M or G (KiB/s, MiB/s, GiB/s); no suffix means MiB/s. dirty=0 (default): none.
 *   span=MIB     size of the region that is dirtied, from CANARY_DIRTY_BASE (default and upper bound:
 *                all RAM above CANARY_DIRTY_BASE). A small span with a high rate dirties the same pages
 *                again and again, as a busy database does.
 * One 32-bit store per 4 KiB page is enough to dirty it; the stored value changes every pass so the
 * page is never a zero page for the migration code.
 */

#define CANARY_BLOCK_ADDR  0x00200000 /* guest-physical address of the status block (2 MiB) */
#define CANARY_DIRTY_BASE  0x00400000 /* the dirtied region starts here (4 MiB) */
#define CANARY_PAGE_SIZE   4096
#define CANARY_MIN_MEM_MIB 8 /* the guest needs at least this much RAM */

/* "HPCANARY" as two little-endian 32-bit words, so that `xp /2wx` shows 0x41435048 0x5952414e */
#define CANARY_MAGIC0  0x41435048
#define CANARY_MAGIC1  0x5952414e
#define CANARY_VERSION 1

/* Offsets of the 32-bit little-endian fields of the status block. */
#define CANARY_OFF_MAGIC0  0x00 /* CANARY_MAGIC0, written once at boot */
#define CANARY_OFF_MAGIC1  0x04 /* CANARY_MAGIC1 */
#define CANARY_OFF_VERSION 0x08 /* CANARY_VERSION */
#define CANARY_OFF_HEARTBEAT                                                                                \
        0x0c                       /* milliseconds of guest run time (PIT), +1 per ms, wraps after 49 days  \
                                    */
#define CANARY_OFF_SECONDS    0x10 /* whole seconds of guest run time: the N of "canary tick N" */
#define CANARY_OFF_RATE       0x14 /* dirty rate asked for, in pages per second */
#define CANARY_OFF_DIRTIED    0x18 /* pages dirtied since boot (wraps) */
#define CANARY_OFF_SPAN_PAGES 0x1c /* pages in the dirtied region */
#define CANARY_OFF_MEM_KIB    0x20 /* RAM size seen at boot, KiB (multiboot mem_upper + 1024) */
#define CANARY_OFF_LOOPS      0x24 /* main-loop passes (wraps): shows the vCPU runs between PIT ticks */
#define CANARY_BLOCK_SIZE     0x28

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

struct canary_block {
        uint32_t magic0;
        uint32_t magic1;
        uint32_t version;
        uint32_t heartbeat;
        uint32_t seconds;
        uint32_t rate_pages;
        uint32_t dirtied;
        uint32_t span_pages;
        uint32_t mem_kib;
        uint32_t loops;
};
_Static_assert(sizeof(struct canary_block) == CANARY_BLOCK_SIZE, "canary block layout");

/* Decodes CANARY_BLOCK_SIZE bytes read from guest memory at CANARY_BLOCK_ADDR (little-endian). */
static inline void canary_block_decode(const uint8_t *raw, struct canary_block *ret)
{
        uint32_t *out = (uint32_t *)ret;

        for (unsigned i = 0; i < CANARY_BLOCK_SIZE / 4; i++)
                out[i] = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
                         (uint32_t)raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
}

static inline bool canary_magic_ok(const struct canary_block *b)
{
        return b->magic0 == CANARY_MAGIC0 && b->magic1 == CANARY_MAGIC1 && b->version == CANARY_VERSION;
}
#endif
