/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The canary guest (see canary.h for its status block and command line). 32-bit protected mode as the
 * multiboot loader leaves it: flat segments, no paging, interrupts off. Time comes from polling PIT
 * channel 0 (1193182 Hz, reprogrammed as a free-running rate generator), so the guest's clock stops
 * while the VM is paused and no interrupt handling is needed. The main loop must read the PIT at least
 * every 55 ms (one wrap of its 16-bit counter): a pass dirties at most DIRTY_BURST pages.
 *
 * Preprocessed by the C compiler (for canary.h), assembled with `as --32`, linked with `ld -m elf_i386`.
 */
#include "canary.h"

#define MB_MAGIC        0x1badb002
#define MB_FLAGS        0x00000003 /* modules page-aligned, memory information wanted */
#define MB_BOOT_MAGIC   0x2badb002
#define MBI_FLAG_MEM    0x01
#define MBI_FLAG_CMDLINE 0x04
#define COM1            0x3f8
#define PIT_CH0         0x40
#define PIT_CMD         0x43
#define PIT_TICKS_PER_MS 1193
#define DIRTY_BURST     256
#define CREDIT_MAX      100000000 /* 100000 pages of backlog: beyond that the guest just falls behind */

#define BLK(off) (CANARY_BLOCK_ADDR + (off))

        .code32
        .text
        .globl _start
        .align 4
multiboot_header:
        .long MB_MAGIC
        .long MB_FLAGS
        .long (0 - MB_MAGIC - MB_FLAGS) & 0xffffffff

_start:
        cli
        cld
        movl $stack_top, %esp
        movl %ebx, %esi                 /* multiboot information */
        cmpl $MB_BOOT_MAGIC, %eax
        je 1f
        xorl %esi, %esi                 /* not booted by multiboot: no information, defaults only */
1:
        /* clear the status block; the magic is written last, when every field is valid */
        movl $CANARY_BLOCK_ADDR, %edi
        movl $(CANARY_BLOCK_SIZE / 4), %ecx
        xorl %eax, %eax
        rep stosl

        /* RAM size: mem_upper (KiB above 1 MiB) + 1 MiB; without it assume the minimum */
        movl $(CANARY_MIN_MEM_MIB * 1024), %eax
        testl %esi, %esi
        jz 2f
        testl $MBI_FLAG_MEM, (%esi)
        jz 2f
        movl 8(%esi), %eax
        addl $1024, %eax
2:      movl %eax, BLK(CANARY_OFF_MEM_KIB)

        /* the largest span: all pages from CANARY_DIRTY_BASE to the end of RAM */
        shrl $2, %eax                   /* KiB -> pages */
        subl $(CANARY_DIRTY_BASE / CANARY_PAGE_SIZE), %eax
        jae 3f
        xorl %eax, %eax
3:      movl %eax, max_span
        movl %eax, BLK(CANARY_OFF_SPAN_PAGES)

        /* command line */
        testl %esi, %esi
        jz 5f
        testl $MBI_FLAG_CMDLINE, (%esi)
        jz 5f
        movl 16(%esi), %ebx
        movl %ebx, cmdline

        movl $key_dirty, %edi
        movl $6, %ecx
        call find_option
        testl %eax, %eax
        jz 4f
        call parse_rate_kib             /* eax = KiB/s */
        shrl $2, %eax                   /* pages/s */
        movl %eax, BLK(CANARY_OFF_RATE)
4:
        movl cmdline, %ebx
        movl $key_span, %edi
        movl $5, %ecx
        call find_option
        testl %eax, %eax
        jz 5f
        movl %eax, %esi
        call parse_uint
        shll $8, %eax                   /* MiB -> pages */
        cmpl max_span, %eax
        jbe 6f
        movl max_span, %eax
6:      movl %eax, BLK(CANARY_OFF_SPAN_PAGES)
5:
        cmpl $0, BLK(CANARY_OFF_SPAN_PAGES)
        jne 7f
        movl $0, BLK(CANARY_OFF_RATE)   /* nothing to dirty */
7:
        /* PIT channel 0: lobyte/hibyte, mode 2 (rate generator), binary, reload 65536 */
        movb $0x34, %al
        outb %al, $PIT_CMD
        xorl %eax, %eax
        outb %al, $PIT_CH0
        outb %al, $PIT_CH0
        call pit_read
        movl %eax, pit_last
        movl $1000, ms_to_second

        movl $CANARY_VERSION, BLK(CANARY_OFF_VERSION)
        movl $CANARY_MAGIC1, BLK(CANARY_OFF_MAGIC1)
        movl $CANARY_MAGIC0, BLK(CANARY_OFF_MAGIC0)

        movl $msg_up, %esi
        call puts
        movl BLK(CANARY_OFF_MEM_KIB), %eax
        call putu
        movl $msg_rate, %esi
        call puts
        movl BLK(CANARY_OFF_RATE), %eax
        call putu
        movl $msg_span, %esi
        call puts
        movl BLK(CANARY_OFF_SPAN_PAGES), %eax
        call putu
        movb $'\n', %al
        call putc

main_loop:
        incl BLK(CANARY_OFF_LOOPS)
        call pit_read
        movl pit_last, %edx
        movl %eax, pit_last
        subl %eax, %edx                 /* the counter counts down */
        andl $0xffff, %edx
        addl %edx, pit_acc
ms_loop:
        cmpl $PIT_TICKS_PER_MS, pit_acc
        jb dirty
        subl $PIT_TICKS_PER_MS, pit_acc
        incl BLK(CANARY_OFF_HEARTBEAT)
        movl BLK(CANARY_OFF_RATE), %eax
        addl %eax, credit
        cmpl $CREDIT_MAX, credit
        jbe 1f
        movl $CREDIT_MAX, credit
1:      decl ms_to_second
        jnz ms_loop
        movl $1000, ms_to_second
        incl BLK(CANARY_OFF_SECONDS)
        movl $msg_tick, %esi
        call puts
        movl BLK(CANARY_OFF_SECONDS), %eax
        call putu
        movb $'\n', %al
        call putc
        jmp ms_loop

dirty:  /* credit is in thousandths of a page: the rate in pages/s is added once per millisecond */
        movl $DIRTY_BURST, %ecx
1:      cmpl $1000, credit
        jb main_loop
        subl $1000, credit
        call dirty_page
        decl %ecx
        jnz 1b
        jmp main_loop

/* Stores a fresh non-zero value into the next page of the span. Keeps ecx. */
dirty_page:
        movl page_next, %eax
        cmpl BLK(CANARY_OFF_SPAN_PAGES), %eax
        jb 1f
        xorl %eax, %eax
1:      leal 1(%eax), %edx
        movl %edx, page_next
        shll $12, %eax
        addl $CANARY_DIRTY_BASE, %eax
        movl BLK(CANARY_OFF_DIRTIED), %edx
        incl %edx
        movl %edx, BLK(CANARY_OFF_DIRTIED)
        orl $0x80000000, %edx
        movl %edx, (%eax)
        ret

/* eax = PIT channel 0 count (16 bits) */
pit_read:
        xorl %eax, %eax
        outb %al, $PIT_CMD              /* latch channel 0 */
        inb $PIT_CH0, %al
        movb %al, %ah
        inb $PIT_CH0, %al
        xchgb %al, %ah
        movzwl %ax, %eax
        ret

/* find_option: ebx = NUL-terminated command line, edi = key (with '='), ecx = key length.
 * Returns in eax the address just after the key where it starts a word, else 0. */
find_option:
        movl %ebx, %edx                 /* edx = current position */
1:      cmpb $0, (%edx)
        je 4f
        cmpl %ebx, %edx
        je 2f
        cmpb $' ', -1(%edx)
        jne 3f
2:      pushl %ecx
        pushl %esi
        pushl %edi
        movl %edx, %esi
        repe cmpsb
        popl %edi
        popl %esi
        popl %ecx
        jne 3f
        leal (%edx,%ecx), %eax
        ret
3:      incl %edx
        jmp 1b
4:      xorl %eax, %eax
        ret

/* parse_uint: esi = digits. Returns eax = value, esi = first byte after the digits. */
parse_uint:
        xorl %eax, %eax
1:      movzbl (%esi), %edx
        subl $'0', %edx
        cmpl $9, %edx
        ja 2f
        imull $10, %eax
        addl %edx, %eax
        incl %esi
        jmp 1b
2:      ret

/* parse_rate_kib: eax = address of NUMBER[K|M|G]. Returns eax = KiB per second (no suffix: MiB/s). */
parse_rate_kib:
        movl %eax, %esi
        call parse_uint
        movzbl (%esi), %edx
        orb $0x20, %dl                  /* lower case */
        cmpb $'k', %dl
        je 2f
        cmpb $'g', %dl
        je 1f
        shll $10, %eax                  /* M or nothing */
        ret
1:      shll $20, %eax
2:      ret

/* putc: al to COM1, once the transmitter holding register is empty */
putc:
        pushl %edx
        pushl %eax
        movw $(COM1 + 5), %dx
1:      inb %dx, %al
        testb $0x20, %al
        jz 1b
        popl %eax
        movw $COM1, %dx
        outb %al, %dx
        popl %edx
        ret

/* puts: esi = NUL-terminated string */
puts:
        pushl %eax
1:      lodsb
        testb %al, %al
        jz 2f
        call putc
        jmp 1b
2:      popl %eax
        ret

/* putu: eax in decimal. Keeps ecx. */
putu:
        pushl %ecx
        pushl %ebx
        movl $10, %ebx
        xorl %ecx, %ecx
1:      xorl %edx, %edx
        divl %ebx
        addb $'0', %dl
        pushl %edx
        incl %ecx
        testl %eax, %eax
        jnz 1b
2:      popl %eax
        call putc
        loop 2b
        popl %ebx
        popl %ecx
        ret

        .data
key_dirty:      .ascii "dirty="
key_span:       .ascii "span="
msg_up:         .asciz "canary up mem_kib="
msg_rate:       .asciz " dirty_pages_per_s="
msg_span:       .asciz " span_pages="
msg_tick:       .asciz "canary tick "

        .bss
        .align 4
cmdline:        .long 0
max_span:       .long 0
pit_last:       .long 0
pit_acc:        .long 0
ms_to_second:   .long 0
credit:         .long 0
page_next:      .long 0
        .align 16
stack:          .space 4096
stack_top:
