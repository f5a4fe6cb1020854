/* The console: the first 16550 UART (COM1, I/O port 0x3f8), polled. QEMU's -serial stdio
 * shows it on the host; nothing reads from it. */
#include "arch.h"

#define COM1 0x3f8
#define LSR_THR_EMPTY 0x20

void serial_init(void) {
    outb(COM1 + 1, 0x00); /* no UART interrupts: we poll */
    outb(COM1 + 3, 0x80); /* DLAB on to set the divisor */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1, DLAB off */
    outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void serial_write(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        while (!(inb(COM1 + 5) & LSR_THR_EMPTY)) {}
        outb(COM1, (uint8_t)s[i]);
    }
}
