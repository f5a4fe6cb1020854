/* Ethernet: the stack's entry points (init, input, poll) and frame output. */
#include <string.h>

#include "netpriv.h"

struct net_config net_cfg;
struct net_stats net_stats;
const uint8_t eth_broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void net_init(const struct net_config *c) {
    net_cfg = *c;
    memset(&net_stats, 0, sizeof net_stats);
    net_random_seed(c->ip ^ get32(c->mac + 2) ^ (uint32_t)os_now_ms());
    arp_init();
    tcp_init();
}

const struct net_stats *net_get_stats(void) { return &net_stats; }
const struct net_config *net_get_config(void) { return &net_cfg; }

static void eth_input(const uint8_t *f, size_t len) {
    if (!f || len < ETH_HLEN || len > ETH_FRAME_MAX + 4) goto drop; /* +4: a stray FCS or tag */
    /* Only frames for us: our MAC or broadcast (ARP requests). Multicast is not joined. */
    if (memcmp(f, net_cfg.mac, 6) != 0 && memcmp(f, eth_broadcast, 6) != 0) goto drop;
    switch (get16(f + 12)) {
    case ETHERTYPE_ARP: arp_input(f + ETH_HLEN, len - ETH_HLEN); return;
    case ETHERTYPE_IPV4: ipv4_input(f + ETH_HLEN, len - ETH_HLEN); return;
    default: break; /* IPv6, VLAN tags, LLDP...: not ours */
    }
drop:
    net_stats.rx_dropped++;
}

void net_input(const void *frame, size_t len) {
    net_stats.rx_frames++;
    eth_input(frame, len);
    /* After the frame: when it is the answer to boot's request, nothing is left to ask again; when
     * it is a client's SYN, its SYN-ACK is already queued behind the request asked again now. */
    arp_link_heard();
}

void net_poll(void) {
    uint64_t now = os_now_ms();
    arp_poll(now);
    tcp_poll(now);
}

/* One static frame buffer: the stack is single-threaded and os_netif_send copies or transmits
 * the frame before returning. */
static uint8_t tx_frame[ETH_FRAME_MAX];

void eth_send(const uint8_t dst[6], uint16_t type, const uint8_t *payload, size_t len) {
    if (len > ETH_MTU) return; /* callers size their packets; never fragment */
    memcpy(tx_frame, dst, 6);
    memcpy(tx_frame + 6, net_cfg.mac, 6);
    put16(tx_frame + 12, type);
    memcpy(tx_frame + ETH_HLEN, payload, len);
    size_t n = ETH_HLEN + len;
    /* Pad to the 60-byte minimum; NICs usually do this, but not all virtual ones. */
    if (n < 60) {
        memset(tx_frame + n, 0, 60 - n);
        n = 60;
    }
    net_stats.tx_frames++;
    os_netif_send(tx_frame, n);
}
