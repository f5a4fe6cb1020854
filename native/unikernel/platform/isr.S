/* One 16-byte stub per interrupt vector. Each pushes a zero where the CPU pushes no error code
 * (so every frame has the same shape), then the vector number, and jumps to the common path,
 * which saves the registers and calls isr_dispatch(struct isr_frame *) in idt.c. */

    .section .text
    .code64
    .p2align 4
    .globl isr_stubs
isr_stubs:
    vec = 0
    .rept 256
    .p2align 4
    .if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
    push $0
    .endif
    push $vec
    jmp isr_common
    vec = vec + 1
    .endr

isr_common:
    /* The CPU aligned the stack to 16 before its 5-word frame; with the error code, the vector
     * and these 15 registers the call below is on a 16-byte boundary again. */
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call isr_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp               /* vector and error code */
    iretq
