/* Boot and the main loop: what runs between the PVH entry (boot.S) and the application.
 *
 * kmain sets up the console, interrupts, the heap and time, finds the virtio-net device,
 * configures the network stack from the command line, lets the app register its listeners, then
 * loops forever: hand received frames to the stack, run its timers, and hlt until the next
 * interrupt (a frame, or the timer tick) so an idle unikernel costs the host nothing. */
#include <berth/env.h>
#include <berth/os.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "arch.h"
#include "netif.h"

/* net_poll wants to run at least every ~10 ms while there is traffic. After a second without a
 * frame in or out nothing is waiting on a short timer (a retransmission that late is on a
 * backed-off timeout of a second or more), so the tick slows down, and an idle unikernel wakes
 * its host 10 times a second instead of 100. The next frame brings the fast tick back. */
#define TICK_MS 10
#define IDLE_TICK_MS 100
#define IDLE_AFTER_MS 1000

/* What the PVH loader hands us (Xen's public arch-x86/hvm/start_info.h, version 1). */
struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};
struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};
#define HVM_START_MAGIC 0x336ec578u
#define MEMMAP_RAM 1

extern char __image_start[], __image_end[];
static char cmdline[ENV_CMDLINE_MAX];
/* The command line without its env tokens: what netdev.ip= and virtio_mmio.device= are looked
 * for in, so a value that holds such a word is not taken for the real one. */
static char params[ENV_CMDLINE_MAX];

const char *os_cmdline(void) { return cmdline; }

void os_log(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2; /* cut long lines, keep the newline */
    line[n++] = '\n';
    serial_write(line, (size_t)n);
}

void os_halt(int code) {
    cli();
    os_log("unikernel: halted code=%d", code);
    /* With `-device isa-debug-exit` QEMU exits here with status code*2+1. Without it the write
     * goes nowhere, and a triple fault (no IDT, then an exception) resets the machine, which
     * QEMU's -no-reboot turns into exiting. */
    outb(0xf4, (uint8_t)code);
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) none = {0, 0};
    __asm__ volatile("lidt %0; int3" ::"m"(none));
    for (;;) __asm__ volatile("hlt");
}

/* The heap is the largest RAM range of the memory map above the image. Everything we need from
 * the start_info (the command line) has been copied out before the heap can overwrite it. */
static void memory_init(const struct hvm_start_info *si) {
    uintptr_t lo = (uintptr_t)__image_end, best_lo = 0, best_hi = 0;
    const struct hvm_memmap_entry *m = (const void *)(uintptr_t)si->memmap_paddr;
    for (uint32_t i = 0; si->version >= 1 && i < si->memmap_entries; i++) {
        if (m[i].type != MEMMAP_RAM) continue;
        uint64_t a = m[i].addr, b = m[i].addr + m[i].size;
        if (b > 0x100000000ull) b = 0x100000000ull; /* only the first 4 GiB are mapped */
        if (a < lo) a = lo;
        if (b > a && b - a > best_hi - best_lo) best_lo = (uintptr_t)a, best_hi = (uintptr_t)b;
    }
    if (!best_hi) {
        os_log("unikernel: no usable RAM in the PVH memory map (%u entries)", si->memmap_entries);
        os_halt(2);
    }
    heap_init(best_lo, best_hi);
    os_log("unikernel: image %lu KiB at %p, heap %lu KiB at %#lx",
           (unsigned long)(__image_end - __image_start) / 1024, (void *)__image_start,
           (unsigned long)(best_hi - best_lo) / 1024, (unsigned long)best_lo);
}

static void net_setup(void) {
    struct net_config c;
    memset(&c, 0, sizeof c);
    if (virtio_net_init(params, c.mac) < 0) {
        os_log("unikernel: no virtio-net device: running without a network");
        return;
    }
    if (net_config_from_cmdline(params, &c) < 0) {
        os_log("unikernel: bad or missing netdev.ip= on the command line (want netdev.ip=A.B.C.D/PREFIX:GATEWAY)");
        os_halt(2);
    }
    virtio_net_mac(c.mac); /* the parser may have cleared the struct: the device's MAC wins */
    /* Up before net_init, which sends the boot's ARP announcement and the gateway's resolution:
     * with netif_up still 0, os_netif_send dropped both. They are how the host learns our MAC
     * without asking. When its own request went nowhere (a late retransmission to our reused
     * address made its neighbour entry while our tap was enslaved but not yet carrying frames), it
     * asks again only a second later, and every client's SYN waits for that: the ~1 s tail that
     * bench:unikernel measured from create to the first HTTP 200. */
    netif_up = 1;
    net_init(&c);
}

void kmain(const struct hvm_start_info *si) {
    serial_init();
    idt_init();
    if (si->magic != HVM_START_MAGIC) {
        os_log("unikernel: not started through PVH (start_info magic %#x)", si->magic);
        os_halt(2);
    }
    size_t cmdline_len = 0;
    if (si->cmdline_paddr) {
        const char *src = (const char *)(uintptr_t)si->cmdline_paddr;
        while (cmdline_len < sizeof cmdline && src[cmdline_len]) cmdline_len++;
        strncpy(cmdline, src, sizeof cmdline - 1);
    }
    os_log("unikernel: %s booting", app_name);
    if (cmdline_len >= sizeof cmdline) {
        /* Cut, it could lose a variable or the network: refuse rather than run without them. */
        os_log("unikernel: the command line is longer than %u bytes", (unsigned)sizeof cmdline - 1);
        os_halt(2);
    }
    const char *why = "";
    size_t at = 0;
    int nenv = env_parse(cmdline, params, sizeof params, &why, &at);
    /* The values stay off the console (one line is cut at 512 bytes, and they are the app's). */
    os_log("unikernel: command line: %s", params);
    if (nenv < 0) {
        os_log("unikernel: bad env token at byte %u of the command line: %s", (unsigned)at, why);
        os_halt(2);
    }
    if (nenv > 0) {
        char names[400];
        size_t n = 0;
        for (int i = 0; i < nenv; i++) {
            const char *name = env_name(i);
            size_t len = strlen(name);
            if (n + len + 6 >= sizeof names) {
                memcpy(names + n, " ...", 4);
                n += 4;
                break;
            }
            if (i) names[n++] = ' ';
            memcpy(names + n, name, len);
            n += len;
        }
        names[n] = 0;
        os_log("unikernel: env: %d variable%s: %s", nenv, nenv == 1 ? "" : "s", names);
    }
    memory_init(si);
    lapic_init();
    timer_init(TICK_MS);
    net_setup();
    app_main();
    sti();
    uint64_t last_traffic = os_now_ms();
    unsigned long sent = 0, tick = TICK_MS;
    for (;;) {
        if (netif_up) {
            if (virtio_net_poll(net_input)) last_traffic = os_now_ms();
            net_poll();
            if (virtio_net_sent != sent) sent = virtio_net_sent, last_traffic = os_now_ms();
            unsigned long want = os_now_ms() - last_traffic < IDLE_AFTER_MS ? TICK_MS : IDLE_TICK_MS;
            if (want != tick) timer_set_tick((unsigned)(tick = want));
        }
        cli();
        if (netif_up && virtio_net_pending()) sti();
        else sti_hlt();
    }
}
