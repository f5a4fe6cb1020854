/* vsnprintf/snprintf for the image (C99 semantics: returns the length the full output would
 * have, writes at most size-1 characters and always terminates when size > 0). No floating
 * point: the image is built without SSE. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct out { char *buf; size_t size, len; };

static void put(struct out *o, char c) {
    if (o->len + 1 < o->size) o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n) {
    while (n-- > 0) put(o, c);
}

/* One field: prefix (sign or 0x) + zeros to the precision + the digits, padded to width. */
static void field(struct out *o, const char *prefix, const char *digits, int ndigits, int width,
                  int prec, int left, int zero) {
    int plen = (int)strlen(prefix), zeros = prec > ndigits ? prec - ndigits : 0;
    int total = plen + zeros + ndigits;
    if (!left && !zero) pad(o, ' ', width - total);
    for (const char *p = prefix; *p; p++) put(o, *p);
    if (!left && zero) pad(o, '0', width - total);
    pad(o, '0', zeros);
    for (int i = 0; i < ndigits; i++) put(o, digits[i]);
    if (left) pad(o, ' ', width - total);
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap) {
    struct out o = {buf, size, 0};
    for (; *fmt; fmt++) {
        if (*fmt != '%') { put(&o, *fmt); continue; }
        int left = 0, zero = 0, plus = 0, space = 0, alt = 0, width = 0, prec = -1, lng = 0;
        for (;; fmt++) { /* flags */
            if (fmt[1] == '-') left = 1;
            else if (fmt[1] == '0') zero = 1;
            else if (fmt[1] == '+') plus = 1;
            else if (fmt[1] == ' ') space = 1;
            else if (fmt[1] == '#') alt = 1;
            else break;
        }
        fmt++;
        if (*fmt == '*') { width = va_arg(ap, int); if (width < 0) left = 1, width = -width; fmt++; }
        else while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            fmt++, prec = 0;
            if (*fmt == '*') { prec = va_arg(ap, int); fmt++; }
            else while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0');
        }
        /* Length: 0 int, 1 long/size_t/ptrdiff_t/intmax_t, 2 long long; hh and h read an int. */
        for (;; fmt++) {
            if (*fmt == 'l') lng++;
            else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') lng = 1;
            else if (*fmt != 'h') break;
        }
        if (!*fmt) break;
        char c = *fmt, digits[24];
        if (c == '%') { put(&o, '%'); continue; }
        if (c == 'c') {
            char ch = (char)va_arg(ap, int);
            field(&o, "", &ch, 1, width, -1, left, 0);
            continue;
        }
        if (c == 's') {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int n = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
            field(&o, "", s, n, width, -1, left, 0);
            continue;
        }
        uint64_t v;
        const char *prefix = "";
        unsigned base = 10;
        if (c == 'd' || c == 'i') {
            int64_t s = lng == 0 ? va_arg(ap, int) : lng == 1 ? va_arg(ap, long) : va_arg(ap, long long);
            v = s < 0 ? -(uint64_t)s : (uint64_t)s;
            prefix = s < 0 ? "-" : plus ? "+" : space ? " " : "";
        } else if (c == 'u' || c == 'x' || c == 'X' || c == 'o' || c == 'p') {
            if (c == 'p') v = (uintptr_t)va_arg(ap, void *), lng = 1, alt = 1;
            else v = lng == 0 ? va_arg(ap, unsigned) : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned long long);
            base = c == 'o' ? 8 : c == 'u' ? 10 : 16;
            if (alt && base == 16) prefix = c == 'X' ? "0X" : "0x";
        } else { /* unknown conversion: print it as it was written */
            put(&o, '%'), put(&o, c);
            continue;
        }
        const char *set = c == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        char rev[24];
        int n = 0;
        do rev[n++] = set[v % base], v /= base; while (v);
        if (prec == 0 && n == 1 && rev[0] == '0') n = 0; /* "%.0d" of 0 prints nothing */
        for (int i = 0; i < n; i++) digits[i] = rev[n - 1 - i];
        field(&o, prefix, digits, n, width, prec, left, zero && prec < 0);
    }
    if (size) buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
