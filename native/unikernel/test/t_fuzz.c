/* Random and mutated frames must never crash the stack or read out of bounds (the tests run
 * under AddressSanitizer and UBSan, so any such read aborts the run). Valid-looking frames are
 * mutated so the fuzzing reaches past the checksums into ARP, ICMP, TCP and HTTP. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifndef FUZZ_FRAMES
#define FUZZ_FRAMES 100000
#endif

static uint32_t rnd_state = 12345;
static uint32_t rnd(void) {
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* Re-computes the IPv4 and TCP/ICMP checksums so a mutation is not simply dropped early. */
static void fix_checksums(uint8_t *f, size_t n) {
    if (n < 34 || f[12] != 8 || f[13] != 0 || (f[14] >> 4) != 4) return;
    size_t hl = (size_t)(f[14] & 15) * 4, total = (size_t)(f[16] << 8 | f[17]);
    if (hl < 20 || 14 + hl > n || total < hl || 14 + total > n) return;
    f[24] = f[25] = 0;
    uint16_t c = t_csum(f + 14, hl, 0);
    f[24] = (uint8_t)(c >> 8), f[25] = (uint8_t)c;
    uint8_t *l4 = f + 14 + hl;
    size_t len = total - hl;
    if (f[23] == 6 && len >= 20) {
        l4[16] = l4[17] = 0;
        uint32_t s = 0;
        for (int i = 0; i < 8; i += 2) s += (uint32_t)(f[26 + i] << 8 | f[27 + i]);
        c = t_csum(l4, len, s + 6 + (uint32_t)len);
        l4[16] = (uint8_t)(c >> 8), l4[17] = (uint8_t)c;
    } else if (f[23] == 1 && len >= 4) {
        l4[2] = l4[3] = 0;
        c = t_csum(l4, len, 0);
        l4[2] = (uint8_t)(c >> 8), l4[3] = (uint8_t)c;
    }
}

void hello_app_main(void);
void kv_app_main(void);

/* Random and mutated requests as in-order data on real connections: this is what reaches the
 * HTTP parser and the apps. A connection the server closes is replaced by a new one. */
static void fuzz_payloads(int rounds) {
    static const char *const reqs[] = {
        "GET / HTTP/1.1\r\nHost: t\r\n\r\n",
        "PUT /kv/key HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nvalue",
        "GET /kv/key HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "DELETE /kv/key HTTP/1.1\r\nHost: t\r\n\r\nGET /kv HTTP/1.1\r\nHost: t\r\n\r\n",
    };
    struct peer *p = calloc(1, sizeof *p), *pp[1] = {p};
    uint8_t d[1400];
    int served = 0, reconnects = 0;
    stack_reset();
    kv_app_main();
    peers_register(pp, 1);
    for (int i = 0; i < rounds; i++) {
        if (!p->established || p->got_fin || p->got_rst) {
            if (p->established) peer_send(p, F_ACK | F_FIN, NULL, 0), pump();
            peer_init(p, (uint16_t)(20000 + reconnects++ % 20000));
            CHECK(peer_connect(p) == 0);
        }
        size_t n;
        if (rnd() & 1) {
            n = rnd() % sizeof d;
            for (size_t j = 0; j < n; j++) d[j] = (uint8_t)rnd();
        } else {
            const char *r = reqs[rnd() % 4];
            n = strlen(r);
            memcpy(d, r, n);
            for (int m = (int)(rnd() % 3); m > 0; m--) d[rnd() % n] = (uint8_t)rnd();
        }
        peer_reset_rx(p);
        peer_send(p, F_ACK | F_PSH, d, n);
        pump();
        served += p->rxlen > 0;
        if (i % 100 == 0) advance(10);
    }
    if (p->established) peer_send(p, F_ACK | F_FIN, NULL, 0), pump();
    advance(5000);
    cap_clear();
    CHECK(served > rounds / 4 && net_get_stats()->tcp_active == 0);
    fprintf(stderr, "  payload fuzz: %d requests, %d answered, %d connections\n", rounds, served,
            reconnects);
    free(p);
}

void test_fuzz(void) {
    fuzz_payloads(FUZZ_FRAMES / 5);
    stack_reset();
    hello_app_main();
    struct peer p, *pp[1] = {&p};
    peers_register(pp, 1);
    static uint8_t seeds[6][1600];
    size_t seed_len[6];
    const char *req = "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc";
    seed_len[0] = build_tcp(seeds[0], GW_IP, 50001, 8080, 1, 0, F_SYN, 65535, NULL, 0, 1460);
    seed_len[1] = build_tcp(seeds[1], GW_IP, 50001, 8080, 2, 0, F_ACK | F_PSH, 65535, req,
                            strlen(req), 0);
    seed_len[2] = build_tcp(seeds[2], GW_IP, 50001, 8080, 2, 0, F_ACK | F_FIN, 100, NULL, 0, 0);
    uint8_t ping[40] = {8, 0, 0, 0, 1, 2, 3, 4};
    seed_len[3] = build_ip(seeds[3], GW_IP, US_IP, 1, ping, sizeof ping);
    memcpy(seeds[4], cap[0].data, 60); /* placeholder, replaced below by an ARP request */
    static const uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x55, 0x0a, 0, 2, 2,
                                    8, 6, 0, 1, 8, 0, 6, 4, 0, 1, 0x52, 0x55, 0x0a, 0, 2, 2, 10,
                                    0, 2, 2, 0, 0, 0, 0, 0, 0, 10, 0, 2, 15};
    memcpy(seeds[4], arp, sizeof arp);
    seed_len[4] = 60;
    seed_len[5] = build_tcp(seeds[5], GW_IP, 50001, 8080, 2, 0, F_RST, 0, NULL, 0, 0);
    uint8_t f[1600];
    long frames = 0;
    for (int i = 0; i < FUZZ_FRAMES; i++) {
        size_t n;
        uint32_t kind = rnd() % 4;
        if (kind == 0) { /* pure noise of any length, sometimes addressed to us */
            n = rnd() % 1600;
            for (size_t j = 0; j < n; j++) f[j] = (uint8_t)rnd();
            if (n >= 14 && (rnd() & 1)) memcpy(f, us_mac, 6), f[12] = 8, f[13] = (rnd() & 1) ? 0 : 6;
        } else { /* a valid frame with a few bytes flipped and maybe cut or extended */
            int s = (int)(rnd() % 6);
            n = seed_len[s];
            memcpy(f, seeds[s], n);
            for (int m = (int)(rnd() % 4) + 1; m > 0; m--) f[14 + rnd() % (n - 14)] = (uint8_t)rnd();
            if (rnd() % 4 == 0) n = rnd() % (n + 1);
            if (kind == 3) fix_checksums(f, n);
        }
        net_input(f, n);
        frames++;
        if (i % 64 == 0) {
            cap_clear();
            advance(10);
        }
        if (i % 20000 == 0) { /* a legitimate client still gets served */
            peer_init(&p, (uint16_t)(52000 + i / 20000));
            CHECK(peer_connect(&p) == 0);
            peer_send(&p, F_ACK, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 27);
            pump();
            CHECK(strncmp((char *)p.rx, "HTTP/1.1 200 ", 13) == 0);
        }
    }
    cap_clear();
    advance(200000); /* all timers run out: every slot comes back */
    cap_clear();
    CHECK(net_get_stats()->tcp_active == 0);
    CHECK(frames == FUZZ_FRAMES);
    fprintf(stderr, "  fuzz: %ld frames, %u dropped by validation\n", frames,
            net_get_stats()->rx_dropped);
}
