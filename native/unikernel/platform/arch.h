/* x86-64 instructions and the platform's internal interfaces (not part of os.h). */
#ifndef PLATFORM_ARCH_H
#define PLATFORM_ARCH_H

#include <stdint.h>
#include <stddef.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
/* sti takes effect after the next instruction, so an interrupt that arrives between the check
 * before this call and the hlt still wakes the hlt: no lost wake-ups. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

/* Device registers: volatile accesses of the exact width. x86 keeps stores in order, so a
 * compiler barrier is enough between filling a ring and telling the device. */
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint8_t mmio_read8(uintptr_t a) { return *(volatile uint8_t *)a; }

/* serial.c */
void serial_init(void);
void serial_write(const char *s, size_t n);

/* idt.c: interrupts. Vectors 32.. are for devices; handlers run with interrupts off. */
#define VEC_TIMER 32
#define VEC_NET 33
#define VEC_SPURIOUS 255
void idt_init(void);
void irq_set_handler(int vector, void (*fn)(void));

/* apic.c */
void lapic_init(void);
void lapic_eoi(void);
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
void ioapic_route(unsigned gsi, int vector, int level_triggered);
int ioapic_present(unsigned gsi);

/* timer.c */
void timer_init(unsigned tick_ms);
void timer_set_tick(unsigned tick_ms);

/* alloc.c */
void heap_init(uintptr_t start, uintptr_t end);
size_t heap_free_bytes(void);

/* virtio_net.c */
int virtio_net_init(const char *cmdline, uint8_t mac[6]);
unsigned virtio_net_poll(void (*deliver)(const void *frame, size_t len)); /* frames delivered */
extern unsigned long virtio_net_sent; /* frames handed to the device so far */
int virtio_net_pending(void);

#endif
