/* ARP (RFC 826) for IPv4 over Ethernet: answers requests for our address, resolves next hops
 * through a small cache, and parks packets for a next hop that is still being resolved. */
#include <string.h>

#include "netpriv.h"

#define ARP_LEN 28
#define ARP_ENTRIES 16
#define ARP_PENDING 16        /* packets waiting for a resolution, all next hops together */
#define ARP_TTL_MS 300000     /* resolved entries are refreshed after 5 minutes */
#define ARP_RETRY_MS 1000
#define ARP_TRIES 3           /* then the waiting packets are dropped (TCP retransmits) */

enum { ARP_FREE, ARP_RESOLVING, ARP_RESOLVED };

struct arp_entry {
    uint32_t ip;
    uint8_t mac[6];
    uint8_t state, tries;
    uint64_t time; /* resolved: when learned; resolving: when the last request went out */
};

struct arp_pending {
    uint32_t next_hop; /* 0 = free slot */
    uint16_t len;
    uint8_t pkt[ETH_MTU];
};

static struct arp_entry cache[ARP_ENTRIES];
static struct arp_pending pending[ARP_PENDING];
static int link_heard; /* a frame has arrived since arp_init */

static void arp_send(uint16_t op, const uint8_t tha[6], uint32_t tpa, const uint8_t dst[6]) {
    uint8_t p[ARP_LEN];
    put16(p, 1);              /* hardware: Ethernet */
    put16(p + 2, ETHERTYPE_IPV4);
    p[4] = 6;
    p[5] = 4;
    put16(p + 6, op);
    memcpy(p + 8, net_cfg.mac, 6);
    put32(p + 14, net_cfg.ip);
    memcpy(p + 18, tha, 6);
    put32(p + 24, tpa);
    eth_send(dst, ETHERTYPE_ARP, p, sizeof p);
}

static const uint8_t zero_mac[6];

void arp_init(void) {
    memset(cache, 0, sizeof cache);
    for (int i = 0; i < ARP_PENDING; i++) pending[i].next_hop = 0;
    link_heard = 0;
    /* Announce ourselves (gratuitous ARP) so switches and the gateway learn us, and start
     * resolving the gateway now: the first reply to a client usually goes there. */
    arp_send(1, zero_mac, net_cfg.ip, eth_broadcast);
    if (net_cfg.gateway) arp_output(net_cfg.gateway, NULL, 0);
}

static void drop_pending(uint32_t ip) {
    for (int i = 0; i < ARP_PENDING; i++)
        if (pending[i].next_hop == ip) pending[i].next_hop = 0;
}

static struct arp_entry *lookup(uint32_t ip) {
    for (int i = 0; i < ARP_ENTRIES; i++)
        if (cache[i].state != ARP_FREE && cache[i].ip == ip) return &cache[i];
    return NULL;
}

/* A free entry, else the oldest one (evicting a resolving entry drops nothing: its packets
 * simply time out in the pending queue). */
static struct arp_entry *new_entry(uint32_t ip) {
    struct arp_entry *e = &cache[0];
    for (int i = 0; i < ARP_ENTRIES; i++) {
        if (cache[i].state == ARP_FREE) { e = &cache[i]; break; }
        if (cache[i].time < e->time) e = &cache[i];
    }
    if (e->state == ARP_RESOLVING) drop_pending(e->ip);
    memset(e, 0, sizeof *e);
    e->ip = ip;
    return e;
}

static void flush_pending(uint32_t ip, const uint8_t mac[6]) {
    for (int i = 0; i < ARP_PENDING; i++) {
        if (pending[i].next_hop != ip) continue;
        eth_send(mac, ETHERTYPE_IPV4, pending[i].pkt, pending[i].len);
        pending[i].next_hop = 0;
    }
}

void arp_input(const uint8_t *p, size_t len) {
    if (len < ARP_LEN || get16(p) != 1 || get16(p + 2) != ETHERTYPE_IPV4 || p[4] != 6 ||
        p[5] != 4) {
        net_stats.rx_dropped++;
        return;
    }
    uint16_t op = get16(p + 6);
    uint32_t spa = get32(p + 14), tpa = get32(p + 24);
    const uint8_t *sha = p + 8;
    if (spa == 0 || spa == net_cfg.ip || (sha[0] & 1)) return; /* probes, conflicts, bogus */
    /* RFC 826's merge: refresh a known sender; add it only if the packet is for us. */
    struct arp_entry *e = lookup(spa);
    if (!e && tpa == net_cfg.ip) e = new_entry(spa);
    if (e) {
        memcpy(e->mac, sha, 6);
        e->state = ARP_RESOLVED;
        e->time = os_now_ms();
        flush_pending(spa, sha);
    }
    if (op == 1 && tpa == net_cfg.ip) arp_send(2, sha, spa, sha);
}

void arp_output(uint32_t next_hop, const uint8_t *pkt, size_t len) {
    struct arp_entry *e = lookup(next_hop);
    if (e && e->state == ARP_RESOLVED) {
        if (pkt) eth_send(e->mac, ETHERTYPE_IPV4, pkt, len);
        return;
    }
    if (pkt && len <= ETH_MTU) {
        for (int i = 0; i < ARP_PENDING; i++) {
            if (pending[i].next_hop) continue;
            pending[i].next_hop = next_hop;
            pending[i].len = (uint16_t)len;
            memcpy(pending[i].pkt, pkt, len);
            break;
        } /* queue full: the packet is dropped, as a busy router would */
    }
    if (!e) {
        e = new_entry(next_hop);
        e->state = ARP_RESOLVING;
        e->tries = 1;
        e->time = os_now_ms();
        arp_send(1, zero_mac, next_hop, eth_broadcast);
    }
}

/* The first frame from the network proves that the link carries frames now; what we sent before
 * it may not have reached anyone. At boot that is the announcement and the gateway's resolution,
 * sent within milliseconds of the NIC's start, possibly before the host's end of the link forwards
 * (a tap's bridge port is enabled asynchronously once QEMU opens it). A host that already knows us
 * (a neighbour entry for an address reused with its MAC) sends the first client's SYN anyway, and
 * the SYN-ACK would wait in the queue for the gateway's retry, a second after boot (measured: ~1 s
 * with the boot's ARP dropped, ~20 ms with this). So: if anything is still being resolved when the
 * first frame arrives, announce ourselves again and ask again now, with a fresh retry schedule.
 * Called after every frame; only the first one counts. */
void arp_link_heard(void) {
    if (link_heard) return;
    link_heard = 1;
    int asked = 0;
    uint64_t now = os_now_ms();
    for (int i = 0; i < ARP_ENTRIES; i++) {
        struct arp_entry *e = &cache[i];
        if (e->state != ARP_RESOLVING) continue;
        if (!asked++) arp_send(1, zero_mac, net_cfg.ip, eth_broadcast);
        e->tries = 1;
        e->time = now;
        arp_send(1, zero_mac, e->ip, eth_broadcast);
    }
}

void arp_poll(uint64_t now) {
    for (int i = 0; i < ARP_ENTRIES; i++) {
        struct arp_entry *e = &cache[i];
        if (e->state == ARP_RESOLVED && now - e->time > ARP_TTL_MS) {
            e->state = ARP_FREE; /* the next packet re-resolves */
        } else if (e->state == ARP_RESOLVING && now - e->time >= ARP_RETRY_MS) {
            if (e->tries >= ARP_TRIES) {
                drop_pending(e->ip);
                e->state = ARP_FREE;
                continue;
            }
            e->tries++;
            e->time = now;
            arp_send(1, zero_mac, e->ip, eth_broadcast);
        }
    }
}
