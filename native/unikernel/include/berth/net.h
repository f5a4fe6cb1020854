/* The network stack's API (net/): Ethernet, ARP, IPv4, ICMP echo and a server-side TCP.
 * Everything is single-threaded and event driven: the platform hands received frames to
 * net_input and calls net_poll for timers; callbacks run inside those two calls. */
#ifndef BERTH_NET_H
#define BERTH_NET_H

#include <stddef.h>
#include <stdint.h>

struct net_config {
    uint8_t mac[6];
    uint32_t ip, netmask, gateway; /* host byte order; gateway 0 = none */
};

/* Parses `netdev.ip=A.B.C.D/PREFIX[:GATEWAY[:...]]` (Unikraft's syntax; later fields such as DNS
 * are ignored). Fills ip, netmask and gateway only: mac is left as the caller set it. */
int net_config_from_cmdline(const char *cmdline, struct net_config *out);

void net_init(const struct net_config *c); /* may be called again: resets all state */
void net_input(const void *frame, size_t len);
void net_poll(void); /* timers: call every ~10 ms and after input */
const struct net_config *net_get_config(void);

/* ---- TCP (passive open only: this is a server stack) ---- */
struct tcp_conn;
typedef struct {
    /* The connection is established; its pointer is valid until on_close or tcp_close. */
    void (*on_accept)(struct tcp_conn *c);
    /* In-order bytes; the app must take all of them (it never gets more than rx_space said). */
    void (*on_data)(struct tcp_conn *c, const uint8_t *data, size_t len);
    /* The peer closed its side, reset, or the connection timed out. The stack sends what is
     * queued and then its FIN by itself: the app forgets the connection and must not call
     * tcp_close. Not called after the app's own tcp_close. */
    void (*on_close)(struct tcp_conn *c);
    /* Optional (NULL = not interested): acknowledged bytes freed send-buffer space. */
    void (*on_sent)(struct tcp_conn *c);
    /* Optional: how many more bytes on_data may hand over; the advertised receive window.
     * NULL = TCP_DEFAULT_WND. Must shrink only by the bytes the app was handed. */
    size_t (*rx_space)(struct tcp_conn *c);
} tcp_handlers;

#define TCP_MAX_CONNS 256
#define TCP_SNDBUF 16384
#define TCP_DEFAULT_WND 8192

int tcp_listen(uint16_t port, const tcp_handlers *h); /* 0, or -1 when no listener slot */
/* Queues bytes for sending; returns how many were queued (0..len), or -1 when the connection
 * can no longer send. */
int tcp_send(struct tcp_conn *c, const void *data, size_t len);
size_t tcp_send_space(const struct tcp_conn *c);
/* Graceful close: queued data, then FIN. The app detaches: no more callbacks. */
void tcp_close(struct tcp_conn *c);
/* Hard close: RST to the peer, the slot freed. The app detaches as with tcp_close. */
void tcp_abort(struct tcp_conn *c);
/* The app freed receive space (rx_space grew): tell the peer if the window opened enough. */
void tcp_window_update(struct tcp_conn *c);
void *tcp_user(const struct tcp_conn *c);
void tcp_set_user(struct tcp_conn *c, void *user);
uint16_t tcp_local_port(const struct tcp_conn *c);
uint32_t tcp_remote_ip(const struct tcp_conn *c);
/* Counters for logs and tests. */
struct net_stats {
    uint32_t rx_frames, rx_dropped, tx_frames, tcp_active, tcp_accepted, tcp_reset_sent,
        tcp_retransmits, tcp_syn_refused;
};
const struct net_stats *net_get_stats(void);

#endif
