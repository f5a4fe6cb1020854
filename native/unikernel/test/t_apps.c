/* The HTTP server and both apps through TCP: keep-alive, pipelining, Connection: close, errors
 * that close the connection, flow control from the request buffer, 200 concurrent clients. */
#include <stdlib.h>
#include <string.h>

#include <berth/env.h>

#include "harness.h"

void hello_app_main(void);
void kv_app_main(void);

static struct peer P, *PP[1] = {&P};

static void setup(void (*app)(void), uint16_t port) {
    stack_reset();
    app();
    peer_init(&P, port);
    peers_register(PP, 1);
    CHECK(peer_connect(&P) == 0);
}

/* Sends s in segments of at most 1000 bytes and returns everything received since. */
static const char *exchange(struct peer *p, const char *s, size_t n) {
    peer_reset_rx(p);
    for (size_t off = 0; off < n; off += 1000) {
        size_t k = n - off < 1000 ? n - off : 1000;
        peer_send(p, F_ACK | F_PSH, s + off, k);
        pump();
    }
    pump();
    p->rx[p->rxlen < sizeof p->rx ? p->rxlen : sizeof p->rx - 1] = 0;
    return (const char *)p->rx;
}
#define EX(s) exchange(&P, s, strlen(s))

static int count(const char *s, const char *needle) {
    int n = 0;
    for (const char *q = s; (q = strstr(q, needle)); q++) n++;
    return n;
}

static void test_hello(void) {
    setup(hello_app_main, 45000);
    const char *r = EX("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(strstr(r, "Content-Type: text/html") && strstr(r, "Connection: keep-alive"));
    CHECK(strstr(r, "Hello from a Berth unikernel!") && strstr(r, "hello-unikernel"));
    CHECK(strstr(r, "request #1<"));
    const char *body = strstr(r, "\r\n\r\n");
    const char *cl = strstr(r, "Content-Length: ");
    CHECK(body && cl && (size_t)atoi(cl + 16) == strlen(body + 4));
    r = EX("GET / HTTP/1.1\r\nHost: t\r\n\r\n"); /* same connection: keep-alive */
    CHECK(strstr(r, "request #2<") != NULL);
    r = EX("GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
    r = EX("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0 && strstr(r, "Content-Length: ") &&
          strlen(strstr(r, "\r\n\r\n")) == 4); /* no body */
    /* Pipelined: three requests in one segment, three answers in order. */
    r = EX("GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /x HTTP/1.1\r\nHost: t\r\n\r\n"
           "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(count(r, "HTTP/1.1 ") == 3 && strstr(r, "request #4<") && strstr(r, "request #5<"));
    CHECK(strstr(r, "404") > strstr(r, "request #4<"));
    /* Split at every awkward place: the head arrives one byte at a time. */
    const char *req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    peer_reset_rx(&P);
    for (size_t i = 0; i < strlen(req); i++) {
        peer_send(&P, F_ACK, req + i, 1);
        pump();
    }
    P.rx[P.rxlen] = 0;
    CHECK(strstr((char *)P.rx, "request #6<") != NULL);
    /* Connection: close: the answer, then the server's FIN. */
    r = EX("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    CHECK(strstr(r, "Connection: close") && P.got_fin);
    peer_send(&P, F_ACK | F_FIN, NULL, 0);
    pump();
    advance(2100);
    CHECK(net_get_stats()->tcp_active == 0 && fake_allocs_live == 1 + 0); /* just the table */
}

/* GREETING from the env: shown HTML-escaped when set, no line at all when not. */
static void test_greeting(void) {
    setup(hello_app_main, 45050);
    const char *r = EX("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strstr(r, "request #") && !strstr(r, "greeting"));
    CHECK(env_parse("env.GREETING=\"hi there\"", NULL, 0, NULL, NULL) == 1);
    r = EX("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strstr(r, "<p>greeting: hi there</p>") != NULL);
    CHECK(env_parse("env.GREETING=\"<b>a & \\\"b\\\"</b>\"", NULL, 0, NULL, NULL) == 1);
    r = EX("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strstr(r, "<p>greeting: &lt;b&gt;a &amp; &quot;b&quot;&lt;/b&gt;</p>") && !strstr(r, "<b>a"));
    const char *body = strstr(r, "\r\n\r\n"), *cl = strstr(r, "Content-Length: ");
    CHECK(body && cl && (size_t)atoi(cl + 16) == strlen(body + 4));
    CHECK(env_parse("env.GREETINGS=x env.GREET=y", NULL, 0, NULL, NULL) == 2); /* not GREETING */
    r = EX("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strstr(r, "request #") && !strstr(r, "greeting"));
    env_parse("", NULL, 0, NULL, NULL);
}

static void test_errors(void) {
    static const struct {
        const char *req;
        const char *status;
    } cases[] = {
        {"GARBAGE\r\n\r\n", "400"},
        {"BREW / HTTP/1.1\r\nHost: t\r\n\r\n", "501"},
        {"GET / HTTP/3.0\r\nHost: t\r\n\r\n", "505"},
        {"PUT /kv/a HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n", "413"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup(hello_app_main, (uint16_t)(45100 + i));
        const char *r = EX(cases[i].req);
        CHECK(strncmp(r + 9, cases[i].status, 3) == 0 && strstr(r, "Connection: close"));
        CHECK(P.got_fin);
    }
    /* Headers that never end: 431 once the head limit is reached. */
    setup(hello_app_main, 45200);
    static char big[6000];
    strcpy(big, "GET / HTTP/1.1\r\nHost: t\r\nX-Long: ");
    memset(big + strlen(big), 'a', sizeof big - 1 - strlen(big));
    const char *r = exchange(&P, big, sizeof big - 1);
    CHECK(strncmp(r, "HTTP/1.1 431 ", 13) == 0 && P.got_fin);
}

/* The window we advertise is the request buffer's free space. */
static void test_flow_control(void) {
    setup(hello_app_main, 45300);
    char part[1000];
    memcpy(part, "GET / HTTP/1.1\r\nX: ", 19);
    memset(part + 19, 'b', sizeof part - 19);
    P.autoack = 1;
    peer_send(&P, F_ACK, part, sizeof part);
    const struct frame *f;
    struct pkt k;
    int wnd = -1;
    while ((f = cap_take()))
        if (parse_frame(f, &k) == 0 && k.ip) wnd = k.wnd;
    CHECK(wnd == HTTP_MAX_HEAD + HTTP_MAX_BODY - 1000);
    const char *r = EX("\r\nHost: t\r\n\r\n");
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0);
}

static void test_kv(void) {
    setup(kv_app_main, 46000);
    CHECK(strncmp(EX("PUT /kv/alpha HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nfirst"),
                  "HTTP/1.1 201 ", 13) == 0);
    const char *r = EX("GET /kv/alpha HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strncmp(r, "HTTP/1.1 200 ", 13) == 0 && strstr(r, "\r\n\r\nfirst"));
    /* A 3000-byte value split over segments (the body arrives after the head). */
    static char put[8000];
    int n = sprintf(put, "PUT /kv/beta HTTP/1.1\r\nHost: t\r\nContent-Length: 3000\r\n\r\n");
    memset(put + n, 'v', 3000);
    CHECK(strncmp(exchange(&P, put, (size_t)n + 3000), "HTTP/1.1 201 ", 13) == 0);
    /* Expect: 100-continue gets its interim answer once, then the final one. */
    r = EX("PUT /kv/gamma HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    CHECK(strcmp(r, "HTTP/1.1 100 Continue\r\n\r\n") == 0);
    r = EX("hi");
    CHECK(strncmp(r, "HTTP/1.1 201 ", 13) == 0 && !strstr(r, "100 Continue"));
    EX("DELETE /kv/gamma HTTP/1.1\r\nHost: t\r\n\r\n");
    r = EX("GET /kv/beta HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strstr(r, "Content-Length: 3000\r\n") != NULL);
    CHECK(strncmp(EX("PUT /kv/alpha HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\n2"),
                  "HTTP/1.1 200 ", 13) == 0);
    r = EX("GET /kv HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(strstr(r, "\r\n\r\nalpha\nbeta\n") != NULL);
    CHECK(strncmp(EX("DELETE /kv/alpha HTTP/1.1\r\nHost: t\r\n\r\n"), "HTTP/1.1 204 ", 13) == 0);
    CHECK(strncmp(EX("GET /kv/alpha HTTP/1.1\r\nHost: t\r\n\r\n"), "HTTP/1.1 404 ", 13) == 0);
    CHECK(strncmp(EX("DELETE /kv/alpha HTTP/1.1\r\nHost: t\r\n\r\n"), "HTTP/1.1 404 ", 13) == 0);
    CHECK(strncmp(EX("GET /kv/a%2fb HTTP/1.1\r\nHost: t\r\n\r\n"), "HTTP/1.1 400 ", 13) == 0);
    CHECK(strncmp(EX("POST /kv/x HTTP/1.1\r\nHost: t\r\n\r\n"), "HTTP/1.1 405 ", 13) == 0);
    n = sprintf(put, "PUT /kv/huge HTTP/1.1\r\nHost: t\r\nContent-Length: 4097\r\n\r\n");
    memset(put + n, 'h', 4097);
    CHECK(strncmp(exchange(&P, put, (size_t)n + 4097), "HTTP/1.1 413 ", 13) == 0);
    /* The store holds 128 keys; the 129th is refused. */
    int created = 0, full = 0;
    for (int i = 0; i < 130; i++) {
        char req[128];
        int m = sprintf(req, "PUT /kv/k%d HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx", i);
        r = exchange(&P, req, (size_t)m);
        created += strncmp(r, "HTTP/1.1 201 ", 13) == 0;
        full += strncmp(r, "HTTP/1.1 507 ", 13) == 0;
    }
    CHECK(created == 127 && full == 3); /* beta is still there */
    for (int i = 0; i < 130; i++) { /* empty it again for later runs */
        char req[64];
        int m = sprintf(req, "DELETE /kv/k%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
        exchange(&P, req, (size_t)m);
    }
    EX("DELETE /kv/beta HTTP/1.1\r\nHost: t\r\n\r\n");
}

/* 200 clients at once: all connect, then all send, then all are answered and closed. */
static void test_concurrent(void) {
    enum { N = 200 };
    stack_reset();
    hello_app_main();
    struct peer **ps = calloc(N, sizeof *ps);
    for (int i = 0; i < N; i++) {
        ps[i] = calloc(1, sizeof **ps);
        peer_init(ps[i], (uint16_t)(47000 + i));
        CHECK(peer_connect(ps[i]) == 0);
    }
    peers_register(ps, N);
    CHECK(net_get_stats()->tcp_active == N);
    const char *req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    for (int i = 0; i < N; i++) peer_send(ps[i], F_ACK, req, strlen(req));
    pump();
    /* The counter goes on from earlier tests: the N answers must carry N distinct numbers. */
    int ok = 0, lo = 1 << 30, hi = 0;
    static char seen[1 << 16];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < N; i++) {
        ps[i]->rx[ps[i]->rxlen] = 0;
        const char *r = (const char *)ps[i]->rx, *num = strstr(r, "request #");
        if (strncmp(r, "HTTP/1.1 200 ", 13) != 0 || !num) continue;
        int k = atoi(num + 9);
        if (k < 1 || k >= (int)sizeof seen || seen[k]++) continue;
        ok++;
        lo = k < lo ? k : lo;
        hi = k > hi ? k : hi;
    }
    CHECK(hi - lo == N - 1);
    CHECK(ok == N); /* every client got its own request number */
    for (int i = 0; i < N; i++) peer_send(ps[i], F_ACK | F_FIN, NULL, 0);
    pump();
    CHECK(net_get_stats()->tcp_active == 0);
    for (int i = 0; i < N; i++) free(ps[i]);
    free(ps);
    peers_register(PP, 1);
}

void test_apps(void) {
    test_hello();
    test_greeting();
    test_errors();
    test_flow_control();
    test_kv();
    test_concurrent();
}
