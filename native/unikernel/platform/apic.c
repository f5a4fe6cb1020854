/* The local APIC (the CPU's own interrupt controller: its timer, end of interrupt) and the I/O
 * APIC (routes device interrupt lines, GSIs, to vectors). QEMU's microvm has no PCI and no 8259
 * routing worth using; its virtio-mmio devices are wired to IOAPIC pins. Addresses are the
 * architectural defaults; microvm adds a second IOAPIC at 0xfec10000 for GSIs 24..47 when it
 * has more devices than the first one's pins. */
#include "arch.h"

#define LAPIC 0xfee00000u
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define IOAPIC0 0xfec00000u
#define IOAPIC1 0xfec10000u

uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC + reg); }
void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC + reg, v); }
void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

void lapic_init(void) {
    /* Software-enable the APIC (bit 8) and name the spurious vector. */
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
}

static void ioapic_write(uintptr_t base, uint32_t reg, uint32_t v) {
    mmio_write32(base, reg);        /* IOREGSEL */
    mmio_write32(base + 0x10, v);   /* IOWIN */
}

/* Whether an IOAPIC answers at the base serving this GSI: its version register (1) names how
 * many pins it has; an empty address reads as 0 (or all ones) under QEMU. */
int ioapic_present(unsigned gsi) {
    uintptr_t base = gsi < 24 ? IOAPIC0 : IOAPIC1;
    mmio_write32(base, 1);
    uint32_t pins = (mmio_read32(base + 0x10) >> 16) & 0xff;
    return pins != 0 && pins != 0xff;
}

/* Route one GSI to a vector on this CPU: fixed delivery, physical destination, active high.
 * virtio-mmio lines are level-triggered: they stay up until the driver acknowledges the
 * device's interrupt status, which the handler does before its EOI. */
void ioapic_route(unsigned gsi, int vector, int level_triggered) {
    uintptr_t base = gsi < 24 ? IOAPIC0 : IOAPIC1;
    unsigned pin = gsi % 24;
    uint32_t apic_id = lapic_read(LAPIC_ID) >> 24;
    ioapic_write(base, 0x11 + 2 * pin, apic_id << 24);
    ioapic_write(base, 0x10 + 2 * pin, (uint32_t)vector | (level_triggered ? 1u << 15 : 0));
}
