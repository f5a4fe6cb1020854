/* TCP: the connection table, listeners and the API the applications use. The table is one
 * fixed array (TCP_MAX_CONNS slots from os_alloc): a flood can fill it but never make the
 * stack allocate without bound. Send buffers are allocated only once a handshake completes,
 * so half-open connections cost a slot and nothing else. */
#include <string.h>

#include "tcp.h"

struct tcp_conn *tcp_table;
struct tcp_conn *tcp_current;

static struct {
    uint16_t port;
    const tcp_handlers *h;
} listeners[TCP_MAX_LISTENERS];

void tcp_init(void) {
    if (tcp_table) { /* re-initialisation (tests): the apps let go, then the memory goes */
        for (int i = 0; i < TCP_MAX_CONNS; i++) {
            tcp_notify_close(&tcp_table[i]);
            os_free(tcp_table[i].snd_buf);
        }
        os_free(tcp_table);
    }
    tcp_table = os_alloc(sizeof(struct tcp_conn) * TCP_MAX_CONNS);
    if (!tcp_table) {
        os_log("net: no memory for the TCP table");
        return;
    }
    memset(tcp_table, 0, sizeof(struct tcp_conn) * TCP_MAX_CONNS);
    memset(listeners, 0, sizeof listeners);
    tcp_current = NULL;
}

int tcp_listen(uint16_t port, const tcp_handlers *h) {
    if (!h || !port) return -1;
    for (int i = 0; i < TCP_MAX_LISTENERS; i++) {
        if (listeners[i].port == port || listeners[i].port == 0) {
            listeners[i].port = port;
            listeners[i].h = h;
            return 0;
        }
    }
    return -1;
}

const tcp_handlers *tcp_listener(uint16_t port) {
    for (int i = 0; i < TCP_MAX_LISTENERS; i++)
        if (listeners[i].port == port) return listeners[i].h;
    return NULL;
}

struct tcp_conn *tcp_find(uint32_t rip, uint16_t rport, uint16_t lport) {
    if (!tcp_table) return NULL;
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct tcp_conn *c = &tcp_table[i];
        if (c->state != TCP_CLOSED && c->rport == rport && c->lport == lport && c->rip == rip)
            return c;
    }
    return NULL;
}

/* A free slot; when there is none, the oldest TIME_WAIT (harmless to forget), else the oldest
 * half-open connection (the SYN-flood case), else the connection idle the longest if it has
 * been quiet for TCP_EVICT_IDLE_MS with nothing in flight (a client holding connections open
 * without using them must not lock everyone else out for a whole idle timeout). NULL when all
 * slots are busy. */
struct tcp_conn *tcp_new_slot(void) {
    struct tcp_conn *tw = NULL, *half = NULL, *idle = NULL;
    if (!tcp_table) return NULL;
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct tcp_conn *c = &tcp_table[i];
        if (c->state == TCP_CLOSED) return c;
        if (c->state == TCP_TIME_WAIT && (!tw || c->since < tw->since)) tw = c;
        if (c->state == TCP_SYN_RCVD && (!half || c->since < half->since)) half = c;
        if (c->state == TCP_ESTABLISHED && !c->rto_at && !c->snd_len &&
            (!idle || c->last_rx < idle->last_rx))
            idle = c;
    }
    struct tcp_conn *victim = tw ? tw : half;
    if (victim) {
        tcp_free(victim);
        return victim;
    }
    if (idle && os_now_ms() - idle->last_rx >= TCP_EVICT_IDLE_MS) {
        tcp_notify_close(idle);
        tcp_abort(idle); /* RST: the client learns at once, not at its next request */
        return idle;
    }
    return NULL;
}

void tcp_free(struct tcp_conn *c) {
    if (c->state == TCP_CLOSED) return;
    os_free(c->snd_buf);
    memset(c, 0, sizeof *c);
    net_stats.tcp_active--;
}

void tcp_notify_close(struct tcp_conn *c) {
    if (!c->app) return;
    c->app = 0;
    if (c->h->on_close) c->h->on_close(c);
}

void tcp_poll(uint64_t now) {
    if (!tcp_table) return;
    for (int i = 0; i < TCP_MAX_CONNS; i++)
        if (tcp_table[i].state != TCP_CLOSED) tcp_timer(&tcp_table[i], now);
}

/* ---- the application's side ---- */

static int can_send(const struct tcp_conn *c) {
    return c && c->app && !c->fin_queued && c->snd_buf &&
           (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT);
}

size_t tcp_send_space(const struct tcp_conn *c) {
    return can_send(c) ? TCP_SNDBUF - c->snd_len : 0;
}

int tcp_send(struct tcp_conn *c, const void *data, size_t len) {
    if (!can_send(c)) return -1;
    size_t n = TCP_SNDBUF - c->snd_len;
    if (len < n) n = len;
    memcpy(c->snd_buf + c->snd_len, data, n);
    c->snd_len += (uint32_t)n;
    tcp_output(c);
    return (int)n;
}

void tcp_close(struct tcp_conn *c) {
    if (!c || !c->app) return;
    c->app = 0;
    c->fin_queued = 1;
    tcp_output(c);
}

void tcp_abort(struct tcp_conn *c) {
    if (!c || c->state == TCP_CLOSED) return;
    c->app = 0;
    tcp_send_rst(c->rip, c->lport, c->rport, c->snd_max, 0, 0);
    net_stats.tcp_reset_sent++;
    tcp_free(c); /* tcp_in.c checks the state after every callback, so this is safe there */
}

void tcp_window_update(struct tcp_conn *c) {
    if (!c || c->state == TCP_CLOSED) return;
    uint32_t wnd = tcp_rcv_window(c), old = c->rcv_adv - c->rcv_nxt;
    /* Announce only a real opening (receiver-side silly window avoidance, RFC 1122 4.2.3.3):
     * from below one MSS to at least one, or by two MSS. */
    if (seq_le(c->rcv_nxt + wnd, c->rcv_adv)) return;
    if ((old < c->mss && wnd >= c->mss) || wnd - old >= 2u * c->mss) {
        c->ack_pending = 1;
        if (c != tcp_current) tcp_output(c); /* inside input it goes out at the end */
    }
}

void *tcp_user(const struct tcp_conn *c) { return c ? c->user : NULL; }
void tcp_set_user(struct tcp_conn *c, void *user) { if (c) c->user = user; }
uint16_t tcp_local_port(const struct tcp_conn *c) { return c ? c->lport : 0; }
uint32_t tcp_remote_ip(const struct tcp_conn *c) { return c ? c->rip : 0; }
