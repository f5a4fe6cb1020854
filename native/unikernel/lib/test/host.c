/* Host test of lib/: built with the host's gcc against lib/include, linked with lib/ (whose
 * definitions take precedence over the host libc's), so it checks our formatting and string
 * functions, not glibc's. `make -C native/unikernel lib-test`; exits non-zero on a failure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int printf(const char *fmt, ...); /* the host's, for the report only */
void *os_alloc(size_t n);
void os_free(void *p);
size_t os_alloc_size(void *p);

/* A tiny bump allocator standing in for platform/alloc.c (realloc needs os_alloc_size). */
static _Alignas(16) unsigned char arena[1 << 16];
static size_t arena_used;
void *os_alloc(size_t n) {
    size_t need = 16 + ((n + 15) & ~(size_t)15);
    if (arena_used + need > sizeof arena) return NULL;
    unsigned char *p = arena + arena_used + 16;
    *(size_t *)(p - 16) = n;
    arena_used += need;
    return p;
}
void os_free(void *p) { (void)p; }
size_t os_alloc_size(void *p) { return *(size_t *)((unsigned char *)p - 16); }

static int fails;

#define FMT(want, ...)                                                          \
    do {                                                                        \
        char got[128];                                                          \
        snprintf(got, sizeof got, __VA_ARGS__);                                 \
        if (strcmp(got, want)) printf("FAIL %s: [%s] != [%s]\n", #__VA_ARGS__, got, want), fails++; \
    } while (0)
#define CHECK(cond) \
    do { if (!(cond)) printf("FAIL line %d: %s\n", __LINE__, #cond), fails++; } while (0)

int main(void) {
    FMT("42 -7 ff FF 0x1f 17", "%d %i %x %X %#x %o", 42, -7, 255, 255, 31, 15);
    FMT("[   ab] [ab   ] [00042] [-0042] [+5] [ 5]", "[%5s] [%-5s] [%05d] [%05d] [%+d] [% d]", "ab", "ab", 42, -42, 5, 5);
    FMT("18446744073709551615 -9223372036854775808", "%llu %lld", 18446744073709551615ull, (long long)INT64_MIN);
    FMT("4294967295 -2147483648", "%u %d", 4294967295u, (int)INT32_MIN);
    FMT("abc|xy|%|c|  z", "%.3s|%.*s|%%|%c|%3c", "abcdef", 2, "xyz", 'c', 'z');
    const char *volatile null = NULL; /* hidden from gcc's format check */
    FMT("(null) 0x10", "%s %p", null, (void *)16);
    FMT("  007|7  |", "%5.3d|%-3d|", 7, 7);
    FMT("123456 -3 255", "%zu %ld %hhu", (size_t)123456, -3L, 255);
    FMT("[    x]", "[%*s]", 5, "x");

    char small[4];
    CHECK(snprintf(small, sizeof small, "%s", "hello") == 5 && !strcmp(small, "hel"));
    CHECK(snprintf(NULL, 0, "%d", 12345) == 5);

    CHECK(strtoul("0x1F", NULL, 0) == 31 && strtoul("017", NULL, 0) == 15 && strtoul("99", NULL, 10) == 99);
    char *end;
    CHECK(strtol(" -77z", &end, 10) == -77 && *end == 'z');
    CHECK(atoi("-12") == -12 && abs(-3) == 3);

    char m[10] = "abcdefghi";
    memmove(m + 2, m, 5);
    CHECK(!memcmp(m, "ababcdehi", 9));
    memmove(m, m + 2, 5);
    CHECK(!memcmp(m, "abcdedehi", 9));
    memset(m, 'x', 3);
    CHECK(!memcmp(m, "xxxdedehi", 9) && memchr(m, 'h', 9) == m + 7 && !memchr(m, 'q', 9));
    CHECK(!strcasecmp("Content-Length", "content-length") && strncasecmp("abc", "abd", 3) < 0);
    CHECK(!strcmp(strstr("hello world", "o w"), "o world") && !strstr("abc", "abd"));
    CHECK(strchr("a=b", '=')[1] == 'b' && !strcmp(strrchr("a/b/c", '/'), "/c") && strlen("four") == 4);
    CHECK(strncmp("abc", "abd", 2) == 0 && strcmp("b", "a") > 0 && strnlen("abc", 2) == 2);

    char *p = calloc(4, 4);
    CHECK(p && !p[15]);
    memcpy(p, "0123456789abcdef", 16);
    p = realloc(p, 64);
    CHECK(p && !memcmp(p, "0123456789abcdef", 16));

    printf("lib host test: %d failures\n", fails);
    return fails != 0;
}
