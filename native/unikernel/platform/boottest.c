/* The platform's own smoke test, booted by `make boot-test`: the allocator, the clock and a
 * clean halt, without the network stack. */
#include <berth/os.h>
#include <string.h>
#include "arch.h"

const char *app_name = "boot-test";

/* An ARP request from 10.0.2.15 for QEMU user networking's gateway 10.0.2.2: its reply shows
 * that transmit and receive (and the receive interrupt) work. */
static void arp_who_has_gateway(void) {
    static const uint8_t frame[42] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06, /* eth */
        0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,                                          /* ARP */
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2,
    };
    os_netif_send(frame, sizeof frame);
}

/* Unbounded recursion, to check that a stack overflow is caught by the guard page. */
static int recurse(int n) {
    volatile char pad[256];
    pad[0] = (char)n;
    if (n == 0) return 0; /* never: n only grows until the stack runs out */
    return recurse(n + 1) + pad[0];
}

void app_main(void) {
    size_t before = heap_free_bytes();
    void *p[64];
    for (int i = 0; i < 64; i++) p[i] = os_alloc((size_t)(i * 97 % 3000) + 1);
    for (int i = 0; i < 64; i += 2) os_free(p[i]);
    for (int i = 1; i < 64; i += 2) os_free(p[i]);
    os_log("boot-test: heap %s after 64 allocations freed (%lu bytes free)",
           heap_free_bytes() == before ? "whole again" : "LEAKED", (unsigned long)heap_free_bytes());
    uint64_t t0 = os_now_ms();
    while (os_now_ms() - t0 < 100) __asm__ volatile("sti; hlt"); /* ~10 ticks */
    os_log("boot-test: slept 100 ms, uptime %lu ms", (unsigned long)os_now_ms());
    if (strstr(os_cmdline(), "boot-test.fault")) *(volatile int *)0x100000000ul = 1; /* unmapped */
    if (strstr(os_cmdline(), "boot-test.overflow")) recurse(1);
    if (strstr(os_cmdline(), "boot-test.wait")) { /* stay up in the main loop with the NIC */
        arp_who_has_gateway();
        return;
    }
    os_halt(heap_free_bytes() == before ? 0 : 1);
}
