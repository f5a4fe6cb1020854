/* Entry from the hypervisor through the PVH boot protocol, and the switch to 64-bit long mode.
 *
 * QEMU finds the entry in the Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY and jumps there in 32-bit
 * protected mode with paging off, flat segments, and %ebx holding the physical address of
 * struct hvm_start_info (command line, memory map). Long mode needs paging, so we build page
 * tables that identity-map the first 4 GiB with 2 MiB pages: RAM, and the devices at the top of
 * the 32-bit space (virtio-mmio at 0xfeb00000, IOAPIC 0xfec00000, LAPIC 0xfee00000). One address
 * space, virtual = physical: a unikernel needs no more. The first 2 MiB, which hold the image,
 * use 4 KiB pages instead, so that idt.c can unmap one page below the stack: an overflow then
 * faults (and is reported) instead of silently overwriting what lies below. */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define CR4_PAE (1 << 5)
#define CR0_PE_PG 0x80000001
#define PDE_2M 0x83        /* present, writable, 2 MiB page */
#define PDE_UNCACHED 0x18  /* PWT|PCD: the top GiB holds only device registers */

    .section .note.Xen, "a"
    .p2align 2
    .long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY /* name size, descriptor size, type */
    .asciz "Xen"
    .long pvh_entry

    .section .boot, "ax"
    .code32
    .globl pvh_entry
pvh_entry:
    cli
    cld
    mov %ebx, %esi              /* keep start_info across what follows */

    /* .bss holds the page tables and the stack; the loader may not have cleared it. */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl

    /* PML4[0] -> PDPT; PDPT[0..3] -> the four page directories. */
    mov $pdpt + 3, %eax
    mov %eax, pml4
    mov $pd + 3, %eax
    mov $pdpt, %edi
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 1b

    /* 2048 directory entries of 2 MiB each: 0 .. 4 GiB. */
    mov $PDE_2M, %eax
    mov $pd, %edi
    mov $2048, %ecx
2:  mov %eax, (%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 2b
    /* ... except the first, which points to 512 page-table entries of 4 KiB: 0 .. 2 MiB. */
    mov $pt0 + 3, %eax
    mov %eax, pd
    mov $3, %eax
    mov $pt0, %edi
    mov $512, %ecx
5:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 5b
    mov $pd + 3 * 4096, %edi
    mov $512, %ecx
3:  orl $PDE_UNCACHED, (%edi)
    add $8, %edi
    loop 3b

    mov $pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $CR0_PE_PG, %eax
    mov %eax, %cr0
    lgdt gdt_ptr
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    mov $stack_top, %rsp
    mov %esi, %edi              /* kmain(struct hvm_start_info *), zero-extended */
    call kmain
4:  cli
    hlt
    jmp 4b

    .section .data
    .p2align 3
    .globl gdt
gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff    /* 0x10: data, ring 0 */
    .quad 0, 0                  /* 0x18: the TSS, filled in by idt.c */
gdt_end:
    .globl gdt_ptr
gdt_ptr:
    .word gdt_end - gdt - 1
    .quad gdt

    .section .bss
    .p2align 12
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4 * 4096
    .globl pt0, stack_guard, fault_stack_top
pt0:  .skip 4096
stack_guard: .skip 4096         /* unmapped by idt.c */
    .skip 64 * 1024
stack_top:
    .skip 8 * 1024              /* where fatal exceptions run (IST1): the main stack may be bad */
fault_stack_top:
