/* ICMP (RFC 792): echo replies only. Everything else (unreachables, redirects...) is ignored:
 * a server with static routes has no use for it, and redirects would only be an attack vector. */
#include <string.h>

#include "netpriv.h"

void icmp_input(uint32_t src, const uint8_t *p, size_t len) {
    static uint8_t reply[ETH_MTU - IP_HLEN];
    if (len < 8 || len > sizeof reply || csum_fold(csum_add(0, p, len)) != 0) {
        net_stats.rx_dropped++;
        return;
    }
    if (p[0] != 8 || p[1] != 0) return; /* echo request, code 0 */
    /* Same identifier, sequence and data; type 0; checksum recomputed over the whole message. */
    memcpy(reply, p, len);
    reply[0] = 0;
    put16(reply + 2, 0);
    put16(reply + 2, csum_fold(csum_add(0, reply, len)));
    ipv4_output(src, IP_PROTO_ICMP, reply, len);
}
