/* Time. os_now_ms reads the TSC (it counts at a constant rate; under QEMU TCG it is the host's
 * TSC), and a periodic LAPIC timer interrupt wakes the idle loop's hlt every few milliseconds
 * so the network stack's timers run. Both rates are unknown at boot, so we measure them against
 * the i8254 PIT, whose input clock is fixed at 1.193182 MHz, by reading its count down. The
 * PIT's own interrupt is never used (its line stays masked). */
#include <berth/os.h>
#include "arch.h"

#define PIT_HZ 1193182u
#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_INIT_COUNT 0x380
#define LAPIC_CUR_COUNT 0x390
#define LAPIC_DIVIDE 0x3e0
#define LVT_PERIODIC (1u << 17)
#define LVT_MASKED (1u << 16)

static uint64_t tsc_start, tsc_per_ms, lapic_per_ms;

static uint16_t pit_count(void) {
    outb(PIT_CMD, 0x00); /* latch channel 0's count, then read it low byte first */
    uint8_t lo = inb(PIT_CH0);
    return (uint16_t)(lo | inb(PIT_CH0) << 8);
}

uint64_t os_now_ms(void) { return (rdtsc() - tsc_start) / tsc_per_ms; }

static void on_tick(void) {} /* the interrupt itself is the point: it ends the hlt */

void timer_init(unsigned tick_ms) {
    /* PIT channel 0, mode 0 (count down once from 0xffff, ~55 ms), both bytes. */
    outb(PIT_CMD, 0x30);
    outb(PIT_CH0, 0xff);
    outb(PIT_CH0, 0xff);
    lapic_write(LAPIC_DIVIDE, 0x3); /* LAPIC timer at bus clock / 16 */
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_INIT_COUNT, 0xffffffff);

    /* Measure over ~10 ms (11932 PIT ticks). A machine without a PIT reads 0xffff forever:
     * give up after a bounded number of reads and assume rates rather than hang. */
    uint16_t c0 = pit_count(), c = c0;
    uint64_t t0 = rdtsc();
    uint32_t l0 = lapic_read(LAPIC_CUR_COUNT);
    unsigned long spins = 0;
    while ((uint16_t)(c0 - c) < 11932 && ++spins < 50000000ul) c = pit_count();
    uint64_t t1 = rdtsc();
    uint32_t l1 = lapic_read(LAPIC_CUR_COUNT);
    uint64_t pit_ticks = (uint16_t)(c0 - c);

    if (pit_ticks >= 11932) {
        tsc_per_ms = (t1 - t0) * PIT_HZ / (pit_ticks * 1000);
        lapic_per_ms = (uint64_t)(l0 - l1) * PIT_HZ / (pit_ticks * 1000);
    } else {
        os_log("unikernel: no PIT to calibrate against; assuming a 2.5 GHz TSC, 1 GHz APIC bus");
        tsc_per_ms = 2500000, lapic_per_ms = 1000000 / 16;
    }
    if (!tsc_per_ms) tsc_per_ms = 1;
    if (!lapic_per_ms) lapic_per_ms = 1;
    tsc_start = t0;
    os_log("unikernel: tsc %lu kHz, lapic timer %lu kHz, tick %u ms", tsc_per_ms, lapic_per_ms, tick_ms);

    irq_set_handler(VEC_TIMER, on_tick);
    lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | LVT_PERIODIC);
    timer_set_tick(tick_ms);
}

/* Writing the initial count restarts the periodic countdown with the new period. */
void timer_set_tick(unsigned tick_ms) { lapic_write(LAPIC_INIT_COUNT, (uint32_t)(lapic_per_ms * tick_ms)); }
