/* The heap: first fit over a free list kept in address order, so that a freed block merges with
 * its free neighbours (no fragmentation creep from the network stack's many small buffers).
 * Every block starts with a 16-byte header; payloads are 16-byte aligned. */
#include <berth/os.h>
#include "arch.h"

#define ALIGN 16
#define HDR sizeof(struct block)
#define USED_MAGIC ((struct block *)0x75736564u) /* "used", in place of next */

struct block {
    size_t size; /* whole block, header included, multiple of ALIGN */
    struct block *next;
};

static struct block *free_list;
static size_t free_bytes;

void heap_init(uintptr_t start, uintptr_t end) {
    start = (start + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    end &= ~(uintptr_t)(ALIGN - 1);
    free_list = (struct block *)start;
    free_list->size = end - start;
    free_list->next = NULL;
    free_bytes = end - start;
}

size_t heap_free_bytes(void) { return free_bytes; }

void *os_alloc(size_t n) {
    if (n > ((size_t)1 << 40)) return NULL;
    size_t need = ((n + ALIGN - 1) & ~(size_t)(ALIGN - 1)) + HDR;
    for (struct block **link = &free_list; *link; link = &(*link)->next) {
        struct block *b = *link;
        if (b->size < need) continue;
        if (b->size - need >= 2 * HDR) { /* split: the rest stays in the list, in place */
            struct block *rest = (struct block *)((char *)b + need);
            rest->size = b->size - need;
            rest->next = b->next;
            *link = rest;
            b->size = need;
        } else {
            *link = b->next;
        }
        free_bytes -= b->size;
        b->next = USED_MAGIC;
        return (char *)b + HDR;
    }
    return NULL;
}

size_t os_alloc_size(void *p) { return ((struct block *)((char *)p - HDR))->size - HDR; }

void os_free(void *p) {
    if (!p) return;
    struct block *b = (struct block *)((char *)p - HDR);
    if (b->next != USED_MAGIC) {
        os_log("unikernel: os_free(%p): not an allocated block (double free?)", p);
        os_halt(3);
    }
    free_bytes += b->size;
    struct block *prev = NULL, *next = free_list;
    while (next && next < b) prev = next, next = next->next;
    b->next = next;
    if (next && (char *)b + b->size == (char *)next) { /* merge with the block after */
        b->size += next->size;
        b->next = next->next;
    }
    if (prev && (char *)prev + prev->size == (char *)b) { /* and with the block before */
        prev->size += b->size;
        prev->next = b->next;
    } else if (prev) {
        prev->next = b;
    } else {
        free_list = b;
    }
}
