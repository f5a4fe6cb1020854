/* The contract between the library OS's hardware side (platform/) and everything above it
 * (net/, apps/). In the image platform/ provides these; on the host the tests provide fakes. */
#ifndef BERTH_OS_H
#define BERTH_OS_H

#include <stddef.h>
#include <stdint.h>

uint64_t os_now_ms(void);                          /* monotonic milliseconds since boot */
void *os_alloc(size_t n);                          /* 16-byte aligned, NULL when out of memory */
void os_free(void *p);                             /* NULL is allowed */
void os_log(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* one console line */
void os_netif_send(const void *frame, size_t len); /* one Ethernet frame, without FCS */
const char *os_cmdline(void);                      /* the kernel command line, never NULL */
/* The value of an `env.NAME=value` token of the command line (berth/env.h), NULL if unset. The
 * pointer stays valid: the table is filled once at boot. */
const char *os_getenv(const char *name);
void os_halt(int code) __attribute__((noreturn));  /* "unikernel: halted code=N", QEMU exits */

/* The application linked into the image (apps/<name>/main.c). */
extern const char *app_name;
void app_main(void);

#endif
