/* The interrupt descriptor table. CPU exceptions (vectors 0-31) are fatal in a unikernel: print
 * what happened and halt the VM, so a bug shows on the console instead of a silent reboot loop.
 * Device vectors call the handler registered for them, then signal end of interrupt. */
#include <berth/os.h>
#include "arch.h"

struct isr_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

struct idt_entry {
    uint16_t off_lo, selector;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

/* The 64-bit TSS holds only stack pointers here; IST1 is a separate stack for the faults that
 * a stack overflow causes, so the report still gets printed. */
struct tss {
    uint32_t reserved0;
    uint64_t rsp[3], reserved1, ist[7], reserved2;
    uint16_t reserved3, iomap_base;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static void (*handlers[256])(void);
extern char isr_stubs[]; /* isr.S: 256 stubs, 16 bytes apart */
extern uint64_t gdt[], pt0[]; /* boot.S */
extern char stack_guard[], fault_stack_top[];

#define TSS_SELECTOR 0x18
#define FAULT_IST 1

/* Load a TSS whose IST1 is the fault stack, and unmap the guard page below the main stack. */
static void guard_stack(void) {
    uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof tss - 1;
    tss.ist[FAULT_IST - 1] = (uint64_t)(uintptr_t)fault_stack_top;
    tss.iomap_base = sizeof tss;
    gdt[TSS_SELECTOR / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 /* present, 64-bit TSS */ |
                            ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
    gdt[TSS_SELECTOR / 8 + 1] = base >> 32;
    __asm__ volatile("ltr %w0" ::"r"(TSS_SELECTOR));
    pt0[((uintptr_t)stack_guard >> 12) & 511] = 0;
    __asm__ volatile("invlpg (%0)" ::"r"(stack_guard) : "memory");
}

static const char *const names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid TSS",
    "segment not present", "stack fault", "general protection", "page fault", "reserved",
    "x87 error", "alignment check", "machine check", "SIMD error", "virtualization",
    "control protection",
};

void idt_init(void) {
    for (int v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)(isr_stubs + 16 * v);
        idt[v] = (struct idt_entry){(uint16_t)a, 0x08, 0, 0x8e /* present, interrupt gate */,
                                    (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0};
    }
    idt[8].ist = idt[14].ist = FAULT_IST; /* double fault, page fault */
    guard_stack();
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) ptr = {sizeof idt - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(ptr));
    /* The legacy 8259 PICs would deliver the PIT's ticks on vectors 8+ (CPU exceptions): mask
     * them all; devices come through the IOAPIC. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

void irq_set_handler(int vector, void (*fn)(void)) { handlers[vector] = fn; }

void isr_dispatch(struct isr_frame *f) {
    if (f->vector < 32) {
        uint64_t cr2;
        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
        const char *name = names[f->vector] ? names[f->vector] : "reserved";
        if ((f->vector == 14 || f->vector == 8) && cr2 - (uintptr_t)stack_guard < 4096)
            name = "stack overflow";
        os_log("unikernel: exception %lu (%s) error=%#lx rip=%#lx rsp=%#lx cr2=%#lx",
               f->vector, name, f->error, f->rip, f->rsp, cr2);
        os_log("unikernel: rax=%#lx rbx=%#lx rcx=%#lx rdx=%#lx rsi=%#lx rdi=%#lx rbp=%#lx",
               f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp);
        os_halt(128 + (int)f->vector);
    }
    if (f->vector == VEC_SPURIOUS) return; /* spurious LAPIC interrupts take no EOI */
    if (handlers[f->vector]) handlers[f->vector]();
    lapic_eoi();
}
