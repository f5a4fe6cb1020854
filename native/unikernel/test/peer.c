/* Frames as a client's stack would build them, an independent parser for what the stack under
 * test sends (it re-verifies every checksum), and a scripted TCP client. */
#include <string.h>

#include "harness.h"

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)(v >> 16)), w16(p + 2, (uint16_t)v); }
static uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t r32(const uint8_t *p) { return (uint32_t)r16(p) << 16 | r16(p + 2); }

uint16_t t_csum(const uint8_t *p, size_t len, uint32_t sum) {
    for (size_t i = 0; i < len; i++) sum += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len) {
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;
}

size_t build_ip(uint8_t *b, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
                size_t n) {
    memcpy(b, us_mac, 6);
    memcpy(b + 6, peer_mac, 6);
    w16(b + 12, 0x0800);
    uint8_t *ip = b + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    w16(ip + 2, (uint16_t)(20 + n));
    w16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = proto;
    w32(ip + 12, src);
    w32(ip + 16, dst);
    w16(ip + 10, t_csum(ip, 20, 0));
    memcpy(ip + 20, l4, n);
    return 34 + n;
}

size_t build_tcp(uint8_t *b, uint32_t src, uint16_t sport, uint16_t dport, uint32_t seq,
                 uint32_t ack, uint8_t flags, uint16_t wnd, const void *data, size_t len,
                 uint16_t mss) {
    uint8_t t[1600];
    size_t h = mss ? 24 : 20;
    memset(t, 0, h);
    w16(t, sport);
    w16(t + 2, dport);
    w32(t + 4, seq);
    w32(t + 8, ack);
    t[12] = (uint8_t)(h / 4 << 4);
    t[13] = flags;
    w16(t + 14, wnd);
    if (mss) t[20] = 2, t[21] = 4, w16(t + 22, mss);
    if (len) memcpy(t + h, data, len);
    w16(t + 16, t_csum(t, h + len, pseudo(src, US_IP, 6, h + len)));
    return build_ip(b, src, US_IP, 6, t, h + len);
}

int parse_frame(const struct frame *f, struct pkt *p) {
    const uint8_t *d = f->data;
    memset(p, 0, sizeof *p);
    if (f->len < 60) return -1; /* the stack pads to the Ethernet minimum */
    memcpy(p->eth_dst, d, 6);
    if (memcmp(d + 6, us_mac, 6) != 0) return -1;
    if (r16(d + 12) == 0x0806) {
        p->arp = 1;
        p->arp_op = r16(d + 20);
        memcpy(p->arp_sha, d + 22, 6);
        p->arp_spa = r32(d + 28);
        memcpy(p->arp_tha, d + 32, 6);
        p->arp_tpa = r32(d + 38);
        return 0;
    }
    if (r16(d + 12) != 0x0800) return -1;
    const uint8_t *ip = d + 14;
    size_t total = r16(ip + 2);
    if (ip[0] != 0x45 || total + 14 > f->len || total < 20) return -1;
    p->ip = 1;
    p->ip_csum_ok = t_csum(ip, 20, 0) == 0;
    p->proto = ip[9];
    p->ttl = ip[8];
    p->src = r32(ip + 12);
    p->dst = r32(ip + 16);
    const uint8_t *l4 = ip + 20;
    size_t n = total - 20;
    if (p->proto == 1) {
        p->l4_csum_ok = t_csum(l4, n, 0) == 0;
        p->icmp_type = l4[0];
        p->data = l4;
        p->len = n;
    } else if (p->proto == 6) {
        p->l4_csum_ok = t_csum(l4, n, pseudo(p->src, p->dst, 6, n)) == 0;
        size_t h = (size_t)(l4[12] >> 4) * 4;
        if (h < 20 || h > n) return -1;
        p->sport = r16(l4);
        p->dport = r16(l4 + 2);
        p->seq = r32(l4 + 4);
        p->ack = r32(l4 + 8);
        p->flags = l4[13];
        p->wnd = r16(l4 + 14);
        if (h >= 24 && l4[20] == 2 && l4[21] == 4) p->mss = r16(l4 + 22);
        p->data = l4 + h;
        p->len = n - h;
    }
    return 0;
}

void peer_init(struct peer *p, uint16_t port) {
    memset(p, 0, sizeof *p);
    p->ip = GW_IP;
    p->port = port;
    p->lport = 8080;
    /* Initial sequence numbers spread over the whole 32-bit space, as real clients' are. */
    p->snd_nxt = (uint32_t)port * 2654435761u;
    p->wnd = 65535;
    p->autoack = 1;
}

void peer_send_raw(struct peer *p, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                   size_t len) {
    uint8_t b[1600];
    size_t n = build_tcp(b, p->ip, p->port, p->lport, seq, ack, flags, p->wnd, data, len,
                         (flags & F_SYN) ? 1460 : 0);
    net_input(b, n);
}

void peer_send(struct peer *p, uint8_t flags, const void *data, size_t len) {
    uint32_t seq = p->snd_nxt;
    p->snd_nxt += (uint32_t)len + ((flags & (F_SYN | F_FIN)) ? 1 : 0);
    peer_send_raw(p, flags, seq, p->rcv_nxt, data, len);
}

static struct peer **peers;
static int npeers;

void peers_register(struct peer **ps, int n) { peers = ps, npeers = n; }

void peer_reset_rx(struct peer *p) { p->rxlen = 0; }

/* One segment from the stack to peer p: take in-order data, note FIN/RST, ACK if asked. */
static void deliver(struct peer *p, const struct pkt *k) {
    p->segs++;
    if (k->flags & F_RST) {
        p->got_rst = 1;
        return;
    }
    if ((k->flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK)) {
        p->rcv_nxt = k->seq + 1;
        return;
    }
    int took = 0;
    uint32_t seq = k->seq;
    size_t len = k->len;
    const uint8_t *data = k->data;
    if ((int32_t)(p->rcv_nxt - seq) > 0 && (uint32_t)(p->rcv_nxt - seq) <= len) {
        size_t skip = p->rcv_nxt - seq; /* a retransmission overlapping what we have */
        seq += (uint32_t)skip, data += skip, len -= skip;
    }
    if (seq == p->rcv_nxt && len) {
        size_t room = sizeof p->rx - p->rxlen;
        if (len > room) len = room;
        memcpy(p->rx + p->rxlen, data, len);
        p->rxlen += len;
        p->rcv_nxt += (uint32_t)len;
        took = 1;
    }
    if ((k->flags & F_FIN) && k->seq + (uint32_t)k->len == p->rcv_nxt && !p->got_fin) {
        p->got_fin = 1;
        p->rcv_nxt++;
        took = 1;
    }
    if (took && p->autoack) peer_send(p, F_ACK, NULL, 0);
}

int pump(void) {
    const struct frame *f;
    int n = 0;
    while ((f = cap_take())) {
        struct pkt k;
        n++;
        if (parse_frame(f, &k) != 0 || !k.ip || k.proto != 6) continue;
        if (!k.ip_csum_ok || !k.l4_csum_ok) CHECK(k.ip_csum_ok && k.l4_csum_ok); /* counted when wrong */
        for (int i = 0; i < npeers; i++)
            if (peers[i] && peers[i]->port == k.dport && peers[i]->ip == k.dst) deliver(peers[i], &k);
    }
    return n;
}

int peer_connect(struct peer *p) {
    struct pkt k;
    cap_clear();
    peer_send(p, F_SYN, NULL, 0);
    const struct frame *f = cap_take();
    if (!f || parse_frame(f, &k) != 0 || k.flags != (F_SYN | F_ACK) || k.ack != p->snd_nxt)
        return -1;
    p->rcv_nxt = k.seq + 1;
    peer_send(p, F_ACK, NULL, 0);
    p->established = 1;
    return 0;
}
