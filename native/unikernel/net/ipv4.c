/* IPv4 (RFC 791): header validation on input, header construction and routing on output.
 * No fragmentation: fragments are dropped and we never send packets above the MTU. */
#include <string.h>

#include "netpriv.h"

static uint16_t ip_id;

void ipv4_input(const uint8_t *p, size_t len) {
    if (len < IP_HLEN || (p[0] >> 4) != 4) goto drop;
    size_t hlen = (size_t)(p[0] & 15) * 4;
    size_t total = get16(p + 2);
    /* Every length is checked against what we actually received before it is used. The frame
     * may be longer than the packet (Ethernet padding): trim to the header's total length. */
    if (hlen < IP_HLEN || total < hlen || total > len) goto drop;
    if (csum_fold(csum_add(0, p, hlen)) != 0) goto drop;
    if ((get16(p + 6) & 0x3fff) != 0) goto drop; /* MF set or an offset: a fragment */
    uint32_t src = get32(p + 12), dst = get32(p + 16);
    if (dst != net_cfg.ip) goto drop; /* no broadcast or multicast services here */
    /* A source that is broadcast, multicast, zero or ourselves cannot be answered sensibly. */
    if (src == 0 || src == 0xffffffffu || (src >> 28) == 14 || src == net_cfg.ip) goto drop;
    if (net_cfg.netmask && (src | net_cfg.netmask) == 0xffffffffu) goto drop;
    switch (p[9]) {
    case IP_PROTO_ICMP: icmp_input(src, p + hlen, total - hlen); return;
    case IP_PROTO_TCP: tcp_input(src, dst, p + hlen, total - hlen); return;
    default: break;
    }
drop:
    net_stats.rx_dropped++;
}

void ipv4_output(uint32_t dst, uint8_t proto, const uint8_t *payload, size_t len) {
    static uint8_t pkt[ETH_MTU];
    if (len > ETH_MTU - IP_HLEN) return;
    pkt[0] = 0x45;
    pkt[1] = 0;
    put16(pkt + 2, (uint16_t)(IP_HLEN + len));
    put16(pkt + 4, ip_id++);
    put16(pkt + 6, 0x4000); /* DF: we do path MTU by MSS, never fragment */
    pkt[8] = 64;
    pkt[9] = proto;
    put16(pkt + 10, 0);
    put32(pkt + 12, net_cfg.ip);
    put32(pkt + 16, dst);
    put16(pkt + 10, csum_fold(csum_add(0, pkt, IP_HLEN)));
    memcpy(pkt + IP_HLEN, payload, len);
    /* Route: on-link destinations directly, everything else through the gateway. */
    uint32_t hop = dst;
    if ((dst & net_cfg.netmask) != (net_cfg.ip & net_cfg.netmask)) {
        if (!net_cfg.gateway) return; /* no route */
        hop = net_cfg.gateway;
    }
    arp_output(hop, pkt, IP_HLEN + len);
}
