/* The os_* contract faked for the host: a NIC that captures frames, a clock the tests move,
 * malloc with a live count (leaks show up) and injectable failures; and the test runner. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

const char *app_name = "net-tests";
int checks_run, checks_failed;
uint64_t fake_now = 1000000;
int fake_alloc_fail;
long fake_allocs_live;
struct frame cap[CAP_MAX];
int cap_head, cap_count;
static int verbose;

uint64_t os_now_ms(void) { return fake_now; }

void *os_alloc(size_t n) {
    if (fake_alloc_fail > 0) {
        fake_alloc_fail--;
        return NULL;
    }
    void *p = malloc(n);
    if (p) fake_allocs_live++;
    return p;
}

void os_free(void *p) {
    if (p) fake_allocs_live--;
    free(p);
}

void os_log(const char *fmt, ...) {
    if (!verbose) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void os_netif_send(const void *frame, size_t len) {
    if (len > sizeof cap[0].data) {
        fprintf(stderr, "  FAIL: the stack sent a %zu-byte frame\n", len);
        checks_failed++;
        return;
    }
    if (cap_count == CAP_MAX) { /* a stuck test: drop the oldest rather than grow */
        cap_head = (cap_head + 1) % CAP_MAX;
        cap_count--;
    }
    struct frame *f = &cap[(cap_head + cap_count++) % CAP_MAX];
    memcpy(f->data, frame, len);
    f->len = len;
}

const char *os_cmdline(void) { return "netdev.ip=10.0.2.15/24:10.0.2.2"; }

void os_halt(int code) {
    fprintf(stderr, "os_halt(%d)\n", code);
    exit(100 + code);
}

const struct frame *cap_take(void) {
    if (!cap_count) return NULL;
    const struct frame *f = &cap[cap_head];
    cap_head = (cap_head + 1) % CAP_MAX;
    cap_count--;
    return f;
}

void cap_clear(void) { cap_head = cap_count = 0; }

void advance(uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 10) {
        fake_now += ms - t < 10 ? ms - t : 10;
        net_poll();
    }
}

const uint8_t us_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
const uint8_t peer_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

void stack_reset(void) {
    struct net_config c;
    memcpy(c.mac, us_mac, 6);
    CHECK(net_config_from_cmdline(os_cmdline(), &c) == 0);
    net_init(&c);
    /* The gateway asks for us: the stack answers and learns the gateway's MAC on the way. */
    uint8_t f[60] = {0};
    memset(f, 0xff, 6);
    memcpy(f + 6, peer_mac, 6);
    f[12] = 0x08, f[13] = 0x06;
    uint8_t a[] = {0, 1, 8, 0, 6, 4, 0, 1};
    memcpy(f + 14, a, 8);
    memcpy(f + 22, peer_mac, 6);
    f[28] = 10, f[29] = 0, f[30] = 2, f[31] = 2;
    f[38] = 10, f[39] = 0, f[40] = 2, f[41] = 15;
    net_input(f, sizeof f);
    cap_clear();
}

int main(int argc, char **argv) {
    verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    static const struct {
        const char *name;
        void (*fn)(void);
    } suites[] = {{"link (ARP, IPv4, ICMP, config)", test_link},
                  {"tcp", test_tcp},
                  {"tcp timers and limits", test_tcp_more},
                  {"http parsing", test_http},
                  {"env from the command line", test_env},
                  {"apps over TCP", test_apps},
                  {"fuzz", test_fuzz}};
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        int before_run = checks_run, before_failed = checks_failed;
        suites[i].fn();
        fprintf(stderr, "%-32s %5d checks, %d failed\n", suites[i].name,
                checks_run - before_run, checks_failed - before_failed);
    }
    fprintf(stderr, "total: %d checks, %d failed\n", checks_run, checks_failed);
    return checks_failed ? 1 : 0;
}
