/* TCP output: building segments, sending queued data within the peer's window, retransmission
 * with an adaptive timeout (RFC 6298, Karn's rule), and the per-connection timers. */
#include <string.h>

#include "tcp.h"

static uint8_t seg[TCP_HLEN + 4 + TCP_MSS];

/* The window we advertise: what the app says it can take, capped to 16 bits (we do not offer
 * window scaling), and never shrunk below what was already promised (RFC 1122 4.2.2.16). */
uint32_t tcp_rcv_window(struct tcp_conn *c) {
    size_t w = TCP_DEFAULT_WND;
    if (c->app && c->h->rx_space) w = c->h->rx_space(c);
    uint32_t promised = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    if (w < promised) w = promised;
    return w > 65535 ? 65535 : (uint32_t)w; /* the header field has 16 bits */
}

static void emit_raw(uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                     uint8_t flags, uint16_t wnd, const uint8_t *data, size_t len, int mss_opt) {
    size_t hlen = TCP_HLEN + (mss_opt ? 4 : 0);
    put16(seg, sport);
    put16(seg + 2, dport);
    put32(seg + 4, seq);
    put32(seg + 8, ack);
    seg[12] = (uint8_t)(hlen / 4) << 4;
    seg[13] = flags;
    put16(seg + 14, wnd);
    put16(seg + 16, 0);
    put16(seg + 18, 0);
    if (mss_opt) {
        seg[20] = 2;
        seg[21] = 4;
        put16(seg + 22, TCP_MSS);
    }
    if (len) memcpy(seg + hlen, data, len);
    uint32_t sum = csum_pseudo(net_cfg.ip, dst, IP_PROTO_TCP, hlen + len);
    put16(seg + 16, csum_fold(csum_add(sum, seg, hlen + len)));
    ipv4_output(dst, IP_PROTO_TCP, seg, hlen + len);
}

void tcp_send_rst(uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                  int with_ack) {
    emit_raw(dst, sport, dport, seq, ack, TCP_RST | (with_ack ? TCP_ACK : 0), 0, NULL, 0, 0);
}

void tcp_emit(struct tcp_conn *c, uint32_t seq, uint8_t flags, const uint8_t *data, size_t len) {
    uint32_t wnd = tcp_rcv_window(c);
    c->rcv_adv = c->rcv_nxt + wnd;
    c->ack_pending = 0; /* every segment we send carries the current ACK */
    emit_raw(c->rip, c->lport, c->rport, seq, c->rcv_nxt, flags | TCP_ACK, (uint16_t)wnd, data,
             len, (flags & TCP_SYN) != 0);
    uint32_t end = seq + (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
    int fresh = end != seq && seq_ge(seq, c->snd_max); /* never sent before */
    if (seq_gt(end, c->snd_nxt)) c->snd_nxt = end;
    if (seq_gt(end, c->snd_max)) c->snd_max = end;
    if (c->snd_nxt != c->snd_una && !c->rto_at) c->rto_at = os_now_ms() + c->rto;
    /* Time one segment at a time, and only one sent for the first time (Karn). */
    if (!c->rtt_start && fresh) {
        c->rtt_start = os_now_ms();
        c->rtt_seq = end;
    }
}

/* Sends what the windows allow: new data in MSS-sized segments, then the FIN once all queued
 * data has gone out; otherwise a pure ACK if one is owed. */
void tcp_output(struct tcp_conn *c) {
    if (c->state == TCP_CLOSED || c->state == TCP_SYN_RCVD) return;
    if (c->state == TCP_FIN_WAIT_2 || c->state == TCP_TIME_WAIT) { /* our FIN is acked */
        if (c->ack_pending) tcp_emit(c, c->snd_nxt, 0, NULL, 0);
        return;
    }
    for (;;) {
        uint32_t off = c->snd_nxt - c->snd_una; /* bytes (and maybe the FIN) already in flight */
        int fin_sent = off > c->snd_len;
        if (fin_sent) break;
        uint32_t wnd = c->snd_wnd < c->cwnd ? c->snd_wnd : c->cwnd;
        if (c->probe && wnd == 0) wnd = 1; /* zero-window probe: one byte (RFC 1122 4.2.2.17) */
        uint32_t room = wnd > off ? wnd - off : 0;
        uint32_t n = c->snd_len - off;
        if (n > room) n = room;
        if (n > c->mss) n = c->mss;
        uint8_t flags = 0;
        if (c->fin_queued && off + n == c->snd_len) flags |= TCP_FIN;
        if (n == 0 && !(flags & TCP_FIN)) break;
        if (n && off + n == c->snd_len) flags |= TCP_PSH;
        tcp_emit(c, c->snd_nxt, flags, c->snd_buf + off, n);
        c->probe = 0;
        if (flags & TCP_FIN) {
            if (c->state == TCP_ESTABLISHED) c->state = TCP_FIN_WAIT_1;
            else if (c->state == TCP_CLOSE_WAIT) c->state = TCP_LAST_ACK;
            c->since = os_now_ms();
        }
    }
    /* Data waiting behind a zero window with nothing in flight: the retransmission timer
     * doubles as the persist timer, so the window reopening is never missed. */
    if (c->snd_nxt == c->snd_una && c->snd_len && !c->rto_at) c->rto_at = os_now_ms() + c->rto;
    if (c->ack_pending) tcp_emit(c, c->snd_nxt, 0, NULL, 0);
}

void tcp_rtt_sample(struct tcp_conn *c, uint32_t r) {
    if (!c->srtt) {
        c->srtt = r;
        c->rttvar = r / 2;
    } else {
        uint32_t d = c->srtt > r ? c->srtt - r : r - c->srtt;
        c->rttvar = (3 * c->rttvar + d) / 4;
        c->srtt = (7 * c->srtt + r) / 8;
    }
    uint32_t rto = c->srtt + (4 * c->rttvar > 10 ? 4 * c->rttvar : 10);
    c->rto = rto < TCP_RTO_MIN ? TCP_RTO_MIN : rto > TCP_RTO_MAX ? TCP_RTO_MAX : rto;
}

/* New data (or our FIN) acknowledged: drop it from the buffer, restart the timer, grow cwnd. */
void tcp_acked(struct tcp_conn *c, uint32_t ack) {
    uint32_t n = ack - c->snd_una;
    uint32_t data = n > c->snd_len ? c->snd_len : n;
    if (data) memmove(c->snd_buf, c->snd_buf + data, c->snd_len - data);
    c->snd_len -= data;
    c->snd_una = ack;
    if (seq_lt(c->snd_nxt, ack)) c->snd_nxt = ack;
    if (c->rtt_start && seq_ge(ack, c->rtt_seq)) {
        tcp_rtt_sample(c, (uint32_t)(os_now_ms() - c->rtt_start));
        c->rtt_start = 0;
    }
    c->retries = 0;
    c->rto_at = c->snd_nxt != c->snd_una ? os_now_ms() + c->rto : 0;
    if (c->cwnd < 65535) c->cwnd += c->mss; /* slow start; there is no loss-based backoff */
}

void tcp_timer(struct tcp_conn *c, uint64_t now) {
    if (c->state == TCP_TIME_WAIT) {
        if (now - c->since >= TCP_TIME_WAIT_MS) tcp_free(c);
        return;
    }
    if ((c->state == TCP_FIN_WAIT_2 && now - c->since >= TCP_FIN_WAIT_2_MS) ||
        (now - c->last_rx >= TCP_IDLE_MS && !c->rto_at)) {
        /* An idle or vanished peer: reset it so it does not keep the slot forever. (With
         * data in flight the retransmission limit decides instead.) */
        tcp_notify_close(c);
        tcp_abort(c);
        return;
    }
    if (!c->rto_at || now < c->rto_at) return;
    c->rto_at = 0;
    if (c->state == TCP_SYN_RCVD) {
        if (++c->retries > TCP_SYN_RETRIES) { /* half-open for too long: forget it quietly */
            tcp_free(c);
            return;
        }
        c->rto = c->rto * 2 > TCP_RTO_MAX ? TCP_RTO_MAX : c->rto * 2;
        net_stats.tcp_retransmits++;
        c->snd_nxt = c->iss;
        tcp_emit(c, c->iss, TCP_SYN, NULL, 0);
        return;
    }
    int persist = c->snd_nxt == c->snd_una && c->snd_wnd == 0;
    if (!persist && ++c->retries > TCP_MAX_RETRIES) {
        tcp_notify_close(c);
        tcp_abort(c);
        return;
    }
    /* Go back to the oldest unacknowledged byte and send one segment (cwnd = 1 MSS); the
     * following ACKs clock out the rest. Karn: a retransmitted segment is never timed. */
    c->rto = c->rto * 2 > TCP_RTO_MAX ? TCP_RTO_MAX : c->rto * 2;
    c->rtt_start = 0;
    c->snd_nxt = c->snd_una;
    c->cwnd = c->mss;
    c->probe = c->snd_wnd == 0;
    if (!persist) net_stats.tcp_retransmits++;
    tcp_output(c);
    if (!c->rto_at && c->state != TCP_CLOSED && c->snd_nxt != c->snd_una)
        c->rto_at = now + c->rto;
}
