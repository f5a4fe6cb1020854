/* Internal declarations shared by the files of net/. Frames are read and written byte by byte
 * through these helpers (network order, no struct overlays), so alignment never matters and a
 * short frame cannot make a misaligned or out-of-bounds load. */
#ifndef BERTH_NETPRIV_H
#define BERTH_NETPRIV_H

#include <berth/net.h>
#include <berth/os.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HLEN 14
#define ETH_MTU 1500
#define ETH_FRAME_MAX (ETH_HLEN + ETH_MTU)
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_HLEN 20

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* The stack's configuration and counters (eth.c). */
extern struct net_config net_cfg;
extern struct net_stats net_stats;
extern const uint8_t eth_broadcast[6];

/* util.c */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len); /* ones' complement partial sum */
uint16_t csum_fold(uint32_t sum);                              /* final, complemented */
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len);
uint32_t net_random(void);                                     /* xorshift, seeded in net_init */
void net_random_seed(uint32_t seed);

/* eth.c */
void eth_send(const uint8_t dst[6], uint16_t type, const uint8_t *payload, size_t len);

/* arp.c */
void arp_init(void);
void arp_input(const uint8_t *pkt, size_t len);
void arp_poll(uint64_t now);
void arp_link_heard(void); /* after every received frame: the first asks again what is unresolved */
/* Sends an IPv4 packet to next_hop, resolving it first (the packet waits in a small queue). */
void arp_output(uint32_t next_hop, const uint8_t *ip_pkt, size_t len);

/* ipv4.c */
void ipv4_input(const uint8_t *pkt, size_t len);
/* Prepends an IPv4 header to payload and routes it (on-link or via the gateway). */
void ipv4_output(uint32_t dst, uint8_t proto, const uint8_t *payload, size_t len);

/* icmp.c */
void icmp_input(uint32_t src, const uint8_t *pkt, size_t len);

/* tcp_*.c */
void tcp_init(void);
void tcp_input(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len);
void tcp_poll(uint64_t now);

#endif
