/* HTTP/1.1 request heads (RFC 9112): strict where sloppiness enables request smuggling
 * (whitespace before ':', folded lines, conflicting Content-Length, Transfer-Encoding), lenient
 * only where it is harmless (LF-only line ends). */
#include <string.h>
#include <strings.h>

#include "http_parse.h"

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};

/* RFC 9110 token characters. */
static int tchar(char c) {
    if ((c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

size_t http_head_length(const uint8_t *b, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (b[i] != '\n') continue;
        if (i + 1 < len && b[i + 1] == '\n') return i + 2;
        if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n') return i + 3;
    }
    return 0;
}

/* Splits off the next line: returns it NUL-terminated (without CR LF) and advances *p. */
static char *next_line(char **p, char *end) {
    char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    if (!nl) return NULL;
    *p = nl + 1;
    if (nl > s && nl[-1] == '\r') nl--;
    *nl = 0;
    return s;
}

static int has_token(const char *list, const char *token) {
    size_t n = strlen(token);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        const char *s = p;
        while (*p && *p != ',') p++;
        const char *e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if ((size_t)(e - s) == n && strncasecmp(s, token, n) == 0) return 1;
    }
    return 0;
}

static int parse_request_line(char *line, struct http_request *req) {
    char *sp1 = strchr(line, ' ');
    if (!sp1) return 400;
    *sp1 = 0;
    char *target = sp1 + 1, *sp2 = strchr(target, ' ');
    if (!sp2) return 400;
    *sp2 = 0;
    char *version = sp2 + 1;
    if (!*line || strlen(line) > 16) return 400;
    for (char *m = line; *m; m++)
        if (!tchar(*m)) return 400;
    if (target[0] != '/') return 400; /* origin form only: no proxying, no "*" */
    for (char *t = target; *t; t++)
        if ((unsigned char)*t <= ' ' || *t == 0x7f) return 400;
    if (strncmp(version, "HTTP/", 5) != 0) return 400;
    if (strcmp(version + 5, "1.1") == 0) req->minor_version = 1;
    else if (strcmp(version + 5, "1.0") == 0) req->minor_version = 0;
    else return 505;
    req->method = NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(line, methods[i]) == 0) req->method = methods[i];
    if (!req->method) return 501;
    req->path = target;
    return 0;
}

/* A decimal Content-Length; duplicates must agree (RFC 9112 6.3). */
static int parse_length(const char *v, size_t *out, int *seen) {
    size_t n = 0;
    if (!*v) return 400;
    for (; *v; v++) {
        if (*v < '0' || *v > '9') return 400;
        n = n * 10 + (size_t)(*v - '0');
        if (n > HTTP_MAX_BODY) return 413; /* also stops any overflow */
    }
    if (*seen && n != *out) return 400;
    *seen = 1;
    *out = n;
    return 0;
}

int http_parse_head(char *head, size_t len, struct http_head *h) {
    char *p = head, *end = head + len;
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < len; i++)
        if (head[i] == 0) return 400; /* NUL bytes would truncate our strings */
    char *line = next_line(&p, end);
    if (!line) return 400;
    int st = parse_request_line(line, &h->req);
    if (st) return st;
    int n = 0, host = 0, have_len = 0;
    const char *conn = "";
    while ((line = next_line(&p, end)) && *line) {
        if (*line == ' ' || *line == '\t') return 400; /* obsolete line folding */
        char *colon = strchr(line, ':');
        if (!colon || colon == line) return 400;
        for (char *c = line; c < colon; c++)
            if (!tchar(*c)) return 400; /* includes whitespace before the colon */
        *colon = 0;
        char *v = colon + 1, *ve = v + strlen(v);
        while (*v == ' ' || *v == '\t') v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) *--ve = 0;
        for (char *c = v; *c; c++)
            if (((unsigned char)*c < ' ' && *c != '\t') || *c == 0x7f) return 400;
        if (n == HTTP_MAX_HEADERS) return 431;
        h->headers[n].name = line;
        h->headers[n++].value = v;
        if (strcasecmp(line, "Content-Length") == 0) {
            if ((st = parse_length(v, &h->content_length, &have_len))) return st;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            return 501; /* no chunked request bodies here */
        } else if (strcasecmp(line, "Host") == 0) {
            if (host++) return 400;
        } else if (strcasecmp(line, "Connection") == 0) {
            conn = v;
        }
    }
    if (h->req.minor_version == 1 && !host) return 400; /* RFC 9112 3.2 */
    h->req.headers = h->headers;
    h->req.nheaders = n;
    h->keep_alive = h->req.minor_version == 1 ? !has_token(conn, "close")
                                              : has_token(conn, "keep-alive");
    return 0;
}
