/* The host tests' harness: fake os_* (fake_os.c), a tiny check framework, and a scripted TCP
 * peer that builds frames the way a client's stack would and parses what the stack sends. */
#ifndef TEST_HARNESS_H
#define TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <berth/http.h>
#include <berth/net.h>
#include <berth/os.h>

/* ---- checks ---- */
extern int checks_run, checks_failed;
#define CHECK(cond)                                                                     \
    do {                                                                                \
        checks_run++;                                                                   \
        if (!(cond)) {                                                                  \
            checks_failed++;                                                            \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
        }                                                                               \
    } while (0)

/* ---- fake OS ---- */
extern uint64_t fake_now;
extern int fake_alloc_fail;    /* > 0: the next os_alloc calls fail */
extern long fake_allocs_live;  /* os_alloc minus os_free */
struct frame {
    uint8_t data[1600];
    size_t len;
};
#define CAP_MAX 4096
extern struct frame cap[CAP_MAX];
extern int cap_head, cap_count;
const struct frame *cap_take(void); /* oldest captured frame, NULL if none */
void cap_clear(void);
void advance(uint64_t ms);          /* moves the clock in 10 ms steps, calling net_poll */

/* Our side: 10.0.2.15/24 via 10.0.2.2, port 8080 served by the app under test. */
#define US_IP 0x0a00020fu
#define GW_IP 0x0a000202u
extern const uint8_t us_mac[6], peer_mac[6];
void stack_reset(void);             /* net_init + the peer's ARP entry, capture cleared */

/* ---- frames ---- */
struct pkt {
    int arp, ip;                    /* which kind */
    uint8_t eth_dst[6];
    uint16_t arp_op;
    uint8_t arp_sha[6], arp_tha[6];
    uint32_t arp_spa, arp_tpa;
    uint32_t src, dst;
    uint8_t proto, ttl;
    int ip_csum_ok, l4_csum_ok;
    uint16_t sport, dport, wnd, mss;
    uint32_t seq, ack;
    uint8_t flags;
    uint8_t icmp_type;
    const uint8_t *data;            /* TCP payload or the whole ICMP message */
    size_t len;
};
int parse_frame(const struct frame *f, struct pkt *p);
size_t build_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
                size_t l4len);      /* Ethernet + IPv4 around l4, to us; returns frame length */
size_t build_tcp(uint8_t *buf, uint32_t src, uint16_t sport, uint16_t dport, uint32_t seq,
                 uint32_t ack, uint8_t flags, uint16_t wnd, const void *data, size_t len,
                 uint16_t mss);
uint16_t t_csum(const uint8_t *p, size_t len, uint32_t init);

/* ---- a scripted TCP client ---- */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
struct peer {
    uint32_t ip;
    uint16_t port, lport;           /* port: the client's; lport: ours (8080) */
    uint32_t snd_nxt, rcv_nxt;
    uint16_t wnd;
    int autoack;                    /* ACK every in-order segment at once */
    int established, got_fin, got_rst, segs;
    uint8_t rx[65536];
    size_t rxlen;
};
void peer_init(struct peer *p, uint16_t port);
void peer_send(struct peer *p, uint8_t flags, const void *data, size_t len);
void peer_send_raw(struct peer *p, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                   size_t len);
int peer_connect(struct peer *p);   /* SYN, SYN-ACK, ACK; 0 on success */
void peers_register(struct peer **ps, int n); /* who pump() delivers segments to */
int pump(void);                     /* drains the capture into the peers; returns frames seen */
void peer_reset_rx(struct peer *p);

/* The test files' entry points. */
void test_link(void);
void test_tcp(void);
void test_tcp_more(void);
void test_http(void);
void test_apps(void);
void test_fuzz(void);
void test_env(void);



/* t_tcp.c's echo app on port 7: echoes data; "CLOSE" closes, "BIG n" sends n bytes. */
void echo_listen(void);
extern int echo_accepts, echo_closes;
extern size_t echo_rx_space; /* the window the app offers (0 = default) */
#endif
