/* The lib/ subset of <stdlib.h>: malloc and friends are os_alloc/os_free underneath. */
#ifndef BERTH_STDLIB_H
#define BERTH_STDLIB_H
#include <stddef.h>

void *malloc(size_t n);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
int atoi(const char *s);
long strtol(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
int abs(int x);

#endif
