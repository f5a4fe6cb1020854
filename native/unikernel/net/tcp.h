/* TCP internals shared by tcp.c (table and API), tcp_in.c (segment arrival) and tcp_out.c
 * (segment output, retransmission, timers). */
#ifndef BERTH_TCP_H
#define BERTH_TCP_H

#include "netpriv.h"

enum tcp_state {
    TCP_CLOSED, /* a free slot */
    TCP_SYN_RCVD, TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_LAST_ACK,
    TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSING, TCP_TIME_WAIT,
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_HLEN 20

#define TCP_MSS 1460              /* Ethernet MTU - IP and TCP headers */
#define TCP_DEFAULT_MSS 536       /* RFC 1122: when the peer sends no MSS option */
#define TCP_RTO_INIT 1000         /* RFC 6298 */
#define TCP_RTO_MIN 200
#define TCP_RTO_MAX 60000
#define TCP_MAX_RETRIES 8         /* data/FIN retransmissions before giving up (~2 minutes) */
#define TCP_SYN_RETRIES 3         /* SYN-ACKs: a half-open slot lives ~7 s at most */
#define TCP_IDLE_MS 60000         /* nothing from the peer for this long: reset */
#define TCP_EVICT_IDLE_MS 2000    /* table full: an established connection this quiet may go */
#define TCP_FIN_WAIT_2_MS 30000
#define TCP_TIME_WAIT_MS 2000     /* short 2*MSL: our peers are clients; slots are precious */
#define TCP_MAX_LISTENERS 8

struct tcp_conn {
    uint8_t state;
    uint8_t app;          /* the app is attached: callbacks are delivered */
    uint8_t fin_queued;   /* send FIN after the queued data */
    uint8_t ack_pending;  /* an ACK must go out (piggybacked on data if any) */
    uint8_t retries;
    uint8_t probe;        /* the next output may send 1 byte into a zero window */
    uint16_t lport, rport;
    uint32_t rip;
    const tcp_handlers *h;
    void *user;
    /* Send side. snd_buf[0] is the byte at snd_una (once the SYN is acknowledged). */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, cwnd;
    uint16_t mss;
    uint8_t *snd_buf;
    uint32_t snd_len;
    /* Receive side. rcv_adv is the right edge of the last advertised window. */
    uint32_t irs, rcv_nxt, rcv_adv;
    /* Timers (ms). rto_at == 0: no retransmission timer. */
    uint64_t rto_at, last_rx, since; /* since: when the current state began */
    uint32_t rto, srtt, rttvar, rtt_seq;
    uint64_t rtt_start;   /* 0: no segment being timed */
};

/* Sequence arithmetic modulo 2^32 (RFC 793 3.3): compare through the signed difference. */
static inline int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline int seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline int seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

/* tcp.c */
extern struct tcp_conn *tcp_table;
extern struct tcp_conn *tcp_current; /* the connection whose segment is being processed */
struct tcp_conn *tcp_find(uint32_t rip, uint16_t rport, uint16_t lport);
const tcp_handlers *tcp_listener(uint16_t port);
struct tcp_conn *tcp_new_slot(void);
void tcp_free(struct tcp_conn *c);
void tcp_notify_close(struct tcp_conn *c); /* on_close once, if the app is attached */

/* tcp_out.c */
uint32_t tcp_rcv_window(struct tcp_conn *c);
void tcp_emit(struct tcp_conn *c, uint32_t seq, uint8_t flags, const uint8_t *data, size_t len);
void tcp_send_rst(uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                  int with_ack);
void tcp_output(struct tcp_conn *c);
void tcp_acked(struct tcp_conn *c, uint32_t ack); /* ack is within (snd_una, snd_max] */
void tcp_timer(struct tcp_conn *c, uint64_t now);
void tcp_rtt_sample(struct tcp_conn *c, uint32_t ms);

#endif
