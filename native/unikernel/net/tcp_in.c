/* TCP input: validation of every received segment and the state machine of RFC 793 section
 * 3.9 ("SEGMENT ARRIVES") for passive opens, with RFC 5961's defences against blind resets
 * and SYNs. Out-of-order segments are not queued: they are dropped and the expected sequence
 * number is acknowledged again, so the peer retransmits from there. */
#include <string.h>

#include "tcp.h"

struct segment {
    uint32_t src;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd, mss; /* mss: from the option, 0 if absent */
    const uint8_t *data;
    uint32_t len;
};

/* Walks the options, checking every length against the header; only MSS is used. */
static int parse_options(const uint8_t *o, size_t n, uint16_t *mss) {
    size_t i = 0;
    while (i < n) {
        if (o[i] == 0) break;       /* end of list */
        if (o[i] == 1) { i++; continue; } /* no-op padding */
        if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) return -1;
        if (o[i] == 2 && o[i + 1] == 4) *mss = get16(o + i + 2);
        i += o[i + 1];
    }
    return 0;
}

/* A SYN for a listening port: take a slot (or refuse with RST), answer with SYN-ACK. */
static void passive_open(const struct segment *s, uint16_t lport, const tcp_handlers *h) {
    struct tcp_conn *c = tcp_new_slot();
    if (!c) {
        net_stats.tcp_syn_refused++;
        net_stats.tcp_reset_sent++;
        tcp_send_rst(s->src, lport, s->sport, 0, s->seq + 1, 1);
        return;
    }
    uint64_t now = os_now_ms();
    memset(c, 0, sizeof *c);
    c->state = TCP_SYN_RCVD;
    c->lport = lport;
    c->rport = s->sport;
    c->rip = s->src;
    c->h = h;
    c->irs = s->seq;
    c->rcv_nxt = c->rcv_adv = s->seq + 1; /* rcv_adv: nothing promised yet */
    c->iss = net_random();
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    c->snd_wnd = s->wnd;
    c->mss = s->mss ? (s->mss < TCP_MSS ? s->mss : TCP_MSS) : TCP_DEFAULT_MSS;
    if (c->mss < 64) c->mss = 64; /* a tiny MSS would only multiply our segments */
    c->rto = TCP_RTO_INIT;
    c->last_rx = c->since = now;
    net_stats.tcp_active++;
    tcp_emit(c, c->iss, TCP_SYN, NULL, 0);
}

/* RFC 793's acceptability test: does any part of the segment fall in the receive window? */
static int acceptable(struct tcp_conn *c, const struct segment *s, uint32_t seglen) {
    uint32_t wnd = tcp_rcv_window(c);
    uint32_t end = c->rcv_nxt + wnd;
    if (seglen == 0)
        return wnd == 0 ? s->seq == c->rcv_nxt : seq_ge(s->seq, c->rcv_nxt) && seq_lt(s->seq, end);
    if (wnd == 0) return 0;
    uint32_t last = s->seq + seglen - 1;
    return (seq_ge(s->seq, c->rcv_nxt) && seq_lt(s->seq, end)) ||
           (seq_ge(last, c->rcv_nxt) && seq_lt(last, end));
}

/* The third segment of the handshake: the connection exists for the app from here on. */
static int establish(struct tcp_conn *c, const struct segment *s) {
    c->snd_buf = os_alloc(TCP_SNDBUF);
    if (!c->snd_buf) { /* out of memory: refuse rather than limp on */
        tcp_abort(c);
        return -1;
    }
    c->snd_una = c->snd_nxt = s->ack;
    c->snd_wnd = s->wnd;
    c->snd_wl1 = s->seq;
    c->snd_wl2 = s->ack;
    c->cwnd = 10u * c->mss; /* RFC 6928's initial window */
    if (c->rtt_start && c->retries == 0) /* the SYN-ACK's round trip: the first RTT sample */
        tcp_rtt_sample(c, (uint32_t)(os_now_ms() - c->rtt_start));
    c->rtt_start = 0;
    c->retries = 0;
    c->rto_at = 0;
    c->state = TCP_ESTABLISHED;
    c->since = os_now_ms();
    c->app = 1;
    net_stats.tcp_accepted++;
    if (c->h->on_accept) c->h->on_accept(c);
    return c->state == TCP_CLOSED ? -1 : 0;
}

/* Data and FIN of an acceptable segment, for the states that still receive. */
static void receive(struct tcp_conn *c, const struct segment *s) {
    const uint8_t *data = s->data;
    uint32_t len = s->len, seq = s->seq;
    int fin = (s->flags & TCP_FIN) != 0;
    if (seq_lt(seq, c->rcv_nxt)) { /* trim what we already have */
        uint32_t skip = c->rcv_nxt - seq;
        if (skip > len) { /* all old, a FIN too (it sits at seq + len): acknowledge again */
            c->ack_pending = 1;
            return;
        }
        data += skip;
        len -= skip;
        seq += skip;
    }
    if (seq != c->rcv_nxt) { /* a gap before it: out of order */
        c->ack_pending = 1;
        return;
    }
    uint32_t wnd = tcp_rcv_window(c);
    if (len > wnd) { /* beyond the window: keep the front, and the FIN is not ours yet */
        len = wnd;
        fin = 0;
    }
    int receiving = c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
                    c->state == TCP_FIN_WAIT_2;
    if (len && receiving) {
        c->rcv_nxt += len;
        c->ack_pending = 1;
        if (c->app && c->h->on_data) {
            c->h->on_data(c, data, len);
            if (c->state == TCP_CLOSED) return;
        }
    }
    if (!fin) return;
    if (receiving) c->rcv_nxt++;
    c->ack_pending = 1;
    switch (c->state) {
    case TCP_ESTABLISHED:
        c->state = TCP_CLOSE_WAIT;
        c->fin_queued = 1; /* we close our side by ourselves once our data is out */
        tcp_notify_close(c);
        break;
    case TCP_FIN_WAIT_1: /* our FIN not yet acknowledged: simultaneous close */
        c->state = TCP_CLOSING;
        break;
    case TCP_FIN_WAIT_2:
        c->state = TCP_TIME_WAIT;
        c->since = os_now_ms();
        break;
    default: break; /* a FIN we already have: just acknowledge it again */
    }
}

/* The ACK field of a segment on a synchronized connection. Returns -1 if the segment must be
 * dropped, 1 if the connection is gone, 0 to go on with its data. */
static int process_ack(struct tcp_conn *c, const struct segment *s) {
    if (seq_gt(s->ack, c->snd_max)) { /* acknowledges what we never sent */
        c->ack_pending = 1;
        return -1;
    }
    int fresh = seq_gt(s->ack, c->snd_una);
    /* The send window comes from the most recent segment (RFC 793's SND.WL1/WL2 rule). */
    if (seq_lt(c->snd_wl1, s->seq) || (c->snd_wl1 == s->seq && seq_le(c->snd_wl2, s->ack))) {
        /* A zero window reopened while a probe byte is out: send from snd_una again now
         * instead of waiting for the probe's retransmission timeout. */
        if (c->snd_wnd == 0 && s->wnd && !fresh) c->snd_nxt = c->snd_una;
        c->snd_wnd = s->wnd;
        c->snd_wl1 = s->seq;
        c->snd_wl2 = s->ack;
    }
    if (!fresh) return 0;
    /* Our FIN is acknowledged when the ACK covers everything including it. */
    int fin_acked = c->fin_queued && s->ack == c->snd_una + c->snd_len + 1;
    tcp_acked(c, s->ack);
    if (fin_acked) {
        c->rto_at = 0;
        switch (c->state) {
        case TCP_FIN_WAIT_1: c->state = TCP_FIN_WAIT_2; c->since = os_now_ms(); break;
        case TCP_CLOSING: c->state = TCP_TIME_WAIT; c->since = os_now_ms(); break;
        case TCP_LAST_ACK: tcp_free(c); return 1;
        default: break;
        }
    } else if (c->app && c->h->on_sent) {
        c->h->on_sent(c);
        if (c->state == TCP_CLOSED) return 1;
    }
    return 0;
}

static void segment_arrives(struct tcp_conn *c, const struct segment *s) {
    uint32_t seglen = s->len + ((s->flags & TCP_SYN) ? 1 : 0) + ((s->flags & TCP_FIN) ? 1 : 0);
    if (c->state == TCP_SYN_RCVD) {
        if (s->flags & TCP_RST) {
            if (acceptable(c, s, seglen)) tcp_free(c); /* the client gave up: back to LISTEN */
            return;
        }
        if (s->flags & TCP_SYN) { /* our SYN-ACK was lost: the client repeats its SYN */
            if (s->seq == c->irs) tcp_emit(c, c->iss, TCP_SYN, NULL, 0);
            return;
        }
        if (!(s->flags & TCP_ACK)) return;
        if (s->ack != c->iss + 1) { /* not an ACK of our SYN: RFC 793 says reset it */
            tcp_send_rst(s->src, c->lport, s->sport, s->ack, 0, 0);
            net_stats.tcp_reset_sent++;
            return;
        }
        if (!acceptable(c, s, seglen)) return;
        if (establish(c, s) != 0) return;
    } else {
        if (!acceptable(c, s, seglen)) {
            if (!(s->flags & TCP_RST)) c->ack_pending = 1;
            goto out;
        }
        if (s->flags & TCP_RST) {
            /* RFC 5961: only the exact next sequence number resets; another in-window one gets
             * a challenge ACK, so a blind attacker must guess 1 in 2^32, not 1 in 2^32/window. */
            if (s->seq == c->rcv_nxt) {
                tcp_notify_close(c);
                tcp_free(c);
                return;
            }
            c->ack_pending = 1;
            goto out;
        }
        if (s->flags & TCP_SYN) { /* RFC 5961 4.2: a SYN on a live connection: challenge */
            c->ack_pending = 1;
            goto out;
        }
        if (!(s->flags & TCP_ACK)) return;
        int r = process_ack(c, s);
        if (r == 1) return;
        if (r < 0) goto out;
    }
    c->last_rx = os_now_ms();
    receive(c, s);
    if (c->state == TCP_CLOSED) return;
out:
    tcp_output(c);
}

void tcp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len) {
    struct segment s;
    if (len < TCP_HLEN) goto drop;
    size_t hlen = (size_t)(p[12] >> 4) * 4;
    if (hlen < TCP_HLEN || hlen > len) goto drop;
    if (csum_fold(csum_add(csum_pseudo(src, dst, IP_PROTO_TCP, len), p, len)) != 0) goto drop;
    s.src = src;
    s.sport = get16(p);
    s.dport = get16(p + 2);
    s.seq = get32(p + 4);
    s.ack = get32(p + 8);
    s.flags = p[13];
    s.wnd = get16(p + 14);
    s.mss = 0;
    s.data = p + hlen;
    s.len = (uint32_t)(len - hlen);
    if (!s.sport || !s.dport) goto drop;
    if (parse_options(p + TCP_HLEN, hlen - TCP_HLEN, &s.mss) != 0) goto drop;

    struct tcp_conn *c = tcp_find(src, s.sport, s.dport);
    if (c && c->state == TCP_TIME_WAIT && (s.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
        seq_gt(s.seq, c->rcv_nxt)) {
        tcp_free(c); /* a new incarnation of the same pair (RFC 1122 4.2.2.13) */
        c = NULL;
    }
    if (!c) {
        const tcp_handlers *h = tcp_listener(s.dport);
        if (h && (s.flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN) {
            passive_open(&s, s.dport, h);
        } else if (!(s.flags & TCP_RST)) {
            /* Nobody here (RFC 793 "CLOSED"): reset, with the sequence the sender expects. */
            net_stats.tcp_reset_sent++;
            if (s.flags & TCP_ACK)
                tcp_send_rst(src, s.dport, s.sport, s.ack, 0, 0);
            else
                tcp_send_rst(src, s.dport, s.sport, 0,
                             s.seq + s.len + ((s.flags & TCP_SYN) ? 1 : 0) +
                                 ((s.flags & TCP_FIN) ? 1 : 0), 1);
        }
        return;
    }
    tcp_current = c;
    segment_arrives(c, &s);
    tcp_current = NULL;
    return;
drop:
    net_stats.rx_dropped++;
}
