// A third-party unikernel in miniature for the driver test: a 32-bit multiboot (v1) ELF, not the
// library OS, that prints the two console lines the format asks for on COM1 and halts QEMU
// (-no-reboot) with a triple fault: an empty IDT, then int3.
.section .multiboot, "a"
.align 4
.long 0x1BADB002
.long 0
.long -(0x1BADB002)
.text
.globl _start
.code32
_start:
  mov $msg, %esi
1: lodsb
  test %al, %al
  jz 2f
  mov $0x3f8, %dx
  out %al, %dx
  jmp 1b
2: lidt idtr
  int $3
idtr: .word 0
  .long 0
msg: .asciz "unikernel: mb booting\nunikernel: halted code=0\n"
