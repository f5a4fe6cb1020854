/* The lib/ subset of <stdio.h>: formatting into buffers only (the console is os_log). Formats:
 * %d %i %u %x %X %o %s %c %p %%, flags - 0 + space, width and precision (also *), and the
 * length modifiers hh h l ll z t j. */
#ifndef BERTH_STDIO_H
#define BERTH_STDIO_H
#include <stdarg.h>
#include <stddef.h>

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
