/* <stdlib.h> for the image: the allocator is the platform's (os_alloc), numbers are parsed here. */
#include <berth/os.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void *malloc(size_t n) { return os_alloc(n); }
void free(void *p) { os_free(p); }

void *calloc(size_t count, size_t size) {
    if (size && count > (size_t)-1 / size) return NULL;
    void *p = os_alloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

/* The allocator keeps each block's size 16 bytes before it (platform/alloc.c), so realloc can
 * copy only what the old block held. */
size_t os_alloc_size(void *p);

void *realloc(void *p, size_t n) {
    if (!p) return os_alloc(n);
    if (!n) { os_free(p); return NULL; }
    size_t old = os_alloc_size(p);
    if (n <= old) return p;
    void *q = os_alloc(n);
    if (!q) return NULL;
    memcpy(q, p, old);
    os_free(p);
    return q;
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base) {
    unsigned long v = 0;
    while (isspace((unsigned char)*s)) s++;
    if (*s == '+') s++;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] | 32) == 'x' && isxdigit((unsigned char)s[2]))
        s += 2, base = 16;
    else if (base == 0)
        base = s[0] == '0' ? 8 : 10;
    for (;; s++) {
        int c = (unsigned char)*s, d;
        if (isdigit(c)) d = c - '0';
        else if (isalpha(c)) d = (c | 32) - 'a' + 10;
        else break;
        if (d >= base) break;
        v = v * (unsigned long)base + (unsigned long)d;
    }
    if (end) *end = (char *)s;
    return v;
}

long strtol(const char *restrict s, char **restrict end, int base) {
    while (isspace((unsigned char)*s)) s++;
    if (*s == '-') return -(long)strtoul(s + 1, end, base);
    return (long)strtoul(s, end, base);
}

int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
int abs(int x) { return x < 0 ? -x : x; }
