/* TCP timers and limits: retransmission with backoff and giving up, the peer's window
 * (including zero-window probes), half-open and idle timeouts, a full connection table, and
 * running out of memory. */
#include <string.h>

#include "harness.h"

static struct peer P, *PP[1] = {&P};

static void setup(uint16_t port) {
    stack_reset();
    echo_listen();
    peer_init(&P, port);
    P.lport = 7;
    peers_register(PP, 1);
}

/* Counts data segments the stack sends during ms of fake time, without ACKing them. */
static int data_segments(uint64_t ms, uint32_t *first_seq) {
    int n = 0;
    for (uint64_t t = 0; t < ms; t += 10) {
        advance(10);
        const struct frame *f;
        struct pkt k;
        while ((f = cap_take()))
            if (parse_frame(f, &k) == 0 && k.ip && k.len) {
                if (first_seq) *first_seq = k.seq;
                n++;
            }
    }
    return n;
}

static void test_retransmission(void) {
    struct pkt k;
    setup(41000);
    CHECK(peer_connect(&P) == 0);
    P.autoack = 0;
    peer_send(&P, F_ACK, "hello", 5);
    const struct frame *f = cap_take();
    CHECK(f && parse_frame(f, &k) == 0 && k.len == 5);
    uint32_t seq = k.seq, rseq = 0;
    /* The handshake measured a ~0 ms RTT, so the RTO is at its 200 ms floor. */
    CHECK(data_segments(190, NULL) == 0);
    CHECK(data_segments(20, &rseq) == 1 && rseq == seq); /* the same bytes again */
    CHECK(data_segments(380, NULL) == 0);                /* backoff: now 400 ms */
    CHECK(data_segments(30, NULL) == 1);
    CHECK(net_get_stats()->tcp_retransmits == 2);
    /* The ACK arrives: no more retransmissions. */
    P.rcv_nxt = seq + 5;
    peer_send(&P, F_ACK, NULL, 0);
    CHECK(data_segments(10000, NULL) == 0);

    /* A peer that never answers: the stack gives up, resets and frees the slot. */
    peer_send(&P, F_ACK, "again", 5);
    cap_clear();
    int sent = data_segments(300000, NULL);
    CHECK(sent == 8); /* TCP_MAX_RETRIES */
    CHECK(net_get_stats()->tcp_active == 0 && echo_closes == 1);
}

static void test_peer_window(void) {
    setup(41001);
    P.wnd = 100;
    CHECK(peer_connect(&P) == 0);
    P.autoack = 0;
    peer_send(&P, F_ACK, "BIG 1000", 8);
    pump();
    CHECK(P.rxlen == 100); /* no more than the window */
    for (int i = 0; i < 20 && P.rxlen < 1000; i++) {
        size_t before = P.rxlen;
        peer_send(&P, F_ACK, NULL, 0); /* ACK opens another 100 bytes */
        pump();
        CHECK(P.rxlen - before <= 100);
    }
    CHECK(P.rxlen == 1000);

    /* Zero window: nothing is sent until a probe after the RTO; reopening resumes. */
    P.wnd = 0;
    peer_reset_rx(&P);
    peer_send(&P, F_ACK, "BIG 3000", 8);
    pump();
    CHECK(P.rxlen == 0);
    int probes = 0;
    for (int i = 0; i < 150; i++) {
        advance(10);
        const struct frame *f;
        struct pkt k;
        while ((f = cap_take()))
            if (parse_frame(f, &k) == 0 && k.len == 1) probes++;
    }
    CHECK(probes >= 1 && probes <= 3); /* at 200 ms, then its retransmissions at 600, 1400 */
    P.wnd = 65535;
    peer_send(&P, F_ACK, NULL, 0);
    for (int i = 0; i < 10; i++) {
        pump();
        peer_send(&P, F_ACK, NULL, 0);
    }
    pump();
    CHECK(P.rxlen == 3000);
    CHECK(net_get_stats()->tcp_active == 1);
}

static void test_half_open_and_full_table(void) {
    struct pkt k;
    setup(42000);
    /* 256 half-open connections (a SYN flood): the table is full of SYN_RCVD. */
    struct peer q;
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        peer_init(&q, (uint16_t)(42000 + i));
        q.lport = 7;
        peer_send(&q, F_SYN, NULL, 0);
    }
    cap_clear();
    CHECK(net_get_stats()->tcp_active == TCP_MAX_CONNS);
    /* A real client still gets in: the oldest half-open slot is recycled. */
    peer_init(&P, 50000);
    P.lport = 7;
    CHECK(peer_connect(&P) == 0 && echo_accepts == 1);
    /* Half-open slots expire after their SYN-ACK retries (1+2+4+8 s). */
    advance(16000);
    cap_clear();
    CHECK(net_get_stats()->tcp_active == 1);

    /* 256 established connections: the next SYN is refused with a RST, nothing crashes. */
    setup(43000);
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        peer_init(&q, (uint16_t)(43000 + i));
        q.lport = 7;
        CHECK(peer_connect(&q) == 0);
    }
    CHECK(net_get_stats()->tcp_active == TCP_MAX_CONNS && echo_accepts == TCP_MAX_CONNS);
    cap_clear();
    peer_init(&q, 60000);
    q.lport = 7;
    peer_send(&q, F_SYN, NULL, 0);
    const struct frame *f = cap_take();
    CHECK(f && parse_frame(f, &k) == 0 && (k.flags & F_RST));
    CHECK(net_get_stats()->tcp_syn_refused == 1);
    /* Once they have been quiet for 2 s, the longest-idle one makes room for a newcomer. */
    advance(2500);
    cap_clear();
    int closes = echo_closes, synack = 0, rst = 0;
    peer_send(&q, F_SYN, NULL, 0);
    while ((f = cap_take())) {
        if (parse_frame(f, &k) != 0 || !k.ip) continue;
        synack += k.dport == q.port && k.flags == (F_SYN | F_ACK);
        rst += k.dport == 43000 && (k.flags & F_RST); /* the first one connected */
    }
    CHECK(synack == 1 && rst == 1 && echo_closes == closes + 1);
    CHECK(net_get_stats()->tcp_active == TCP_MAX_CONNS);
    /* Idle connections are reset after a minute, freeing the table. */
    advance(61000);
    CHECK(net_get_stats()->tcp_active == 0 && echo_closes == TCP_MAX_CONNS); /* 255 idle + 1 evicted */
    cap_clear();
}

static void test_out_of_memory(void) {
    setup(44000);
    fake_alloc_fail = 1; /* the send buffer at the third segment */
    CHECK(peer_connect(&P) == 0);
    struct pkt k;
    const struct frame *f = cap_take();
    CHECK(f && parse_frame(f, &k) == 0 && (k.flags & F_RST));
    CHECK(net_get_stats()->tcp_active == 0 && echo_accepts == 0);
    fake_alloc_fail = 0;
}

/* FIN_WAIT_2 does not wait forever for a peer that never closes; a new SYN for a pair still
 * in TIME_WAIT starts a fresh connection. */
static void test_close_timers(void) {
    setup(44100);
    CHECK(peer_connect(&P) == 0);
    P.autoack = 0;
    peer_send(&P, F_ACK, "CLOSE", 5);
    pump();
    peer_send(&P, F_ACK, NULL, 0); /* our FIN acknowledged: FIN_WAIT_2 */
    advance(29000);
    CHECK(net_get_stats()->tcp_active == 1);
    advance(2000);
    CHECK(net_get_stats()->tcp_active == 0);

    setup(44101);
    CHECK(peer_connect(&P) == 0);
    P.autoack = 0;
    peer_send(&P, F_ACK, "CLOSE", 5);
    pump();
    peer_send(&P, F_ACK | F_FIN, NULL, 0); /* TIME_WAIT */
    cap_clear();
    P.snd_nxt += 100000;
    P.autoack = 1;
    int accepts = echo_accepts;
    CHECK(peer_connect(&P) == 0 && echo_accepts == accepts + 1);
    CHECK(net_get_stats()->tcp_active == 1);
}

void test_tcp_more(void) {
    test_close_timers();
    test_retransmission();
    test_peer_window();
    test_half_open_and_full_table();
    test_out_of_memory();
}
