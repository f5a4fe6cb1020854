/* The HTTP/1.1 head parser on its own: good heads, and every class of bad one. */
#include <string.h>

#include "harness.h"
#include "http_parse.h"

static struct http_head h;
static char buf[8192];

static int parse(const char *s) {
    size_t n = strlen(s);
    memcpy(buf, s, n + 1);
    return http_parse_head(buf, n, &h);
}

static void test_good(void) {
    CHECK(parse("GET /a/b?c=d HTTP/1.1\r\nHost: x\r\nUser-Agent: t  \r\nX-Empty:\r\n\r\n") == 0);
    CHECK(strcmp(h.req.method, "GET") == 0 && strcmp(h.req.path, "/a/b?c=d") == 0);
    CHECK(h.req.minor_version == 1 && h.keep_alive == 1 && h.req.nheaders == 3);
    CHECK(strcmp(http_header(&h.req, "user-agent"), "t") == 0);
    CHECK(strcmp(http_header(&h.req, "x-empty"), "") == 0 && !http_header(&h.req, "nope"));
    CHECK(parse("PUT /k HTTP/1.1\nHost: x\nContent-Length: 12\n\n") == 0); /* LF-only */
    CHECK(h.content_length == 12 && strcmp(h.req.method, "PUT") == 0);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Close\r\n\r\n") == 0);
    CHECK(h.keep_alive == 0);
    CHECK(parse("GET / HTTP/1.0\r\n\r\n") == 0 && h.keep_alive == 0); /* no Host needed */
    CHECK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == 0 && h.keep_alive == 1);
    CHECK(parse("DELETE /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n") ==
          0);
    /* The head's length: complete only once the blank line is there. */
    const char *r = "GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY";
    CHECK(http_head_length((const uint8_t *)r, strlen(r)) == strlen(r) - 4);
    CHECK(http_head_length((const uint8_t *)r, 20) == 0);
    CHECK(http_head_length((const uint8_t *)"GET / HTTP/1.0\n\n", 16) == 16);
    CHECK(http_head_length((const uint8_t *)"\n", 1) == 0);
}

static void test_bad(void) {
    static const struct {
        const char *head;
        int status;
    } cases[] = {
        {"GET /\r\n\r\n", 400},
        {"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        {"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        {"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501},
        {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        {"GET / FTP/1.1\r\nHost: x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n\r\n", 400},                          /* no Host */
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},               /* space before ':' */
        {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999999999999999\r\n\r\n", 413},
        {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8193\r\n\r\n", 413},
        {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
        {"GET http://a/ HTTP/1.1\r\nHost: x\r\n\r\n", 400},       /* no proxying */
        {"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\x7f\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", 400},
        {"VERYLONGMETHODNAMEX / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st = parse(cases[i].head);
        if (st != cases[i].status) fprintf(stderr, "  case %zu: got %d\n", i, st);
        CHECK(st == cases[i].status);
    }
    /* A NUL inside the head. */
    memcpy(buf, "GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n", 30);
    CHECK(http_parse_head(buf, 29, &h) == 400);
    /* Too many headers. */
    char *p = buf;
    p += sprintf(p, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < HTTP_MAX_HEADERS; i++) p += sprintf(p, "X-%d: %d\r\n", i, i);
    sprintf(p, "\r\n");
    CHECK(http_parse_head(buf, strlen(buf), &h) == 431);
}

void test_http(void) {
    test_good();
    test_bad();
}
