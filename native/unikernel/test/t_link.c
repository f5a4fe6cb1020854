/* ARP, IPv4 validation, ICMP echo and the netdev.ip= parser. */
#include <string.h>

#include "harness.h"

static size_t arp_frame(uint8_t *f, uint16_t op, uint32_t spa, uint32_t tpa) {
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    memcpy(f + 6, peer_mac, 6);
    f[12] = 0x08, f[13] = 0x06;
    f[14] = 0, f[15] = 1, f[16] = 8, f[17] = 0, f[18] = 6, f[19] = 4, f[20] = 0;
    f[21] = (uint8_t)op;
    memcpy(f + 22, peer_mac, 6);
    f[28] = (uint8_t)(spa >> 24), f[29] = (uint8_t)(spa >> 16), f[30] = (uint8_t)(spa >> 8);
    f[31] = (uint8_t)spa;
    f[38] = (uint8_t)(tpa >> 24), f[39] = (uint8_t)(tpa >> 16), f[40] = (uint8_t)(tpa >> 8);
    f[41] = (uint8_t)tpa;
    return 60;
}

static void test_arp(void) {
    uint8_t f[60];
    struct pkt k;
    stack_reset();
    net_input(f, arp_frame(f, 1, 0x0a000209u, US_IP));
    const struct frame *r = cap_take();
    CHECK(r && parse_frame(r, &k) == 0 && k.arp);
    CHECK(k.arp_op == 2 && k.arp_spa == US_IP && k.arp_tpa == 0x0a000209u);
    CHECK(memcmp(k.arp_sha, us_mac, 6) == 0 && memcmp(k.eth_dst, peer_mac, 6) == 0);
    CHECK(memcmp(k.arp_tha, peer_mac, 6) == 0);
    net_input(f, arp_frame(f, 1, 0x0a000209u, 0x0a000263u)); /* for someone else */
    CHECK(cap_take() == NULL);
    net_input(f, 41); /* truncated ARP */
    CHECK(cap_take() == NULL);

    /* Resolving a peer: an ICMP request from an unknown on-link host makes us ask for it,
     * the reply waits in the queue and goes out once the answer arrives. */
    uint8_t ping[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
    uint16_t c = t_csum(ping, sizeof ping, 0);
    ping[2] = (uint8_t)(c >> 8), ping[3] = (uint8_t)c;
    uint8_t b[200];
    net_input(b, build_ip(b, 0x0a000263u, US_IP, 1, ping, sizeof ping));
    r = cap_take();
    CHECK(r && parse_frame(r, &k) == 0 && k.arp && k.arp_op == 1 && k.arp_tpa == 0x0a000263u);
    CHECK(r && memcmp(k.eth_dst, "\xff\xff\xff\xff\xff\xff", 6) == 0);
    CHECK(cap_take() == NULL);
    net_input(f, arp_frame(f, 2, 0x0a000263u, US_IP));
    r = cap_take();
    CHECK(r && parse_frame(r, &k) == 0 && k.ip && k.proto == 1 && k.dst == 0x0a000263u);
    /* Unanswered resolution: three requests a second apart, then the packet is dropped. */
    net_input(b, build_ip(b, 0x0a000264u, US_IP, 1, ping, sizeof ping));
    int requests = 0;
    for (int i = 0; i < 500; i++) {
        advance(10);
        while ((r = cap_take()))
            if (parse_frame(r, &k) == 0 && k.arp && k.arp_op == 1) requests++;
    }
    CHECK(requests == 3);
    /* An off-link source is answered through the gateway (whose MAC we learned). */
    net_input(b, build_ip(b, 0x08080808u, US_IP, 1, ping, sizeof ping));
    r = cap_take();
    CHECK(r && parse_frame(r, &k) == 0 && k.ip && k.dst == 0x08080808u &&
          memcmp(k.eth_dst, peer_mac, 6) == 0);
}

/* A boot whose first frames are lost, as when the host's end of the link is not forwarding yet:
 * the announcement and the gateway's resolution go nowhere. The host still sends to us (its
 * neighbour entry outlives the previous instance with our address and MAC), so the first client's
 * SYN arrives while the gateway entry waits for its retry a second after boot. On that first frame
 * the stack must ask again at once, and the SYN-ACK go out with the answer, not a second later.
 * client: the gateway's own address (the host's masqueraded connections) or an off-link one. */
static void boot_with_lost_frames(uint32_t client) {
    struct net_config c;
    struct pkt k;
    const struct frame *r;
    uint8_t f[60], b[200];
    memset(&c, 0, sizeof c);
    memcpy(c.mac, us_mac, 6);
    CHECK(net_config_from_cmdline(os_cmdline(), &c) == 0);
    net_init(&c);
    echo_listen();
    int announce = 0, ask = 0, synack = 0, other = 0;
#define COUNT()                                                                               \
    announce = ask = synack = other = 0;                                                      \
    while ((r = cap_take())) {                                                                \
        if (parse_frame(r, &k) != 0) other++;                                                 \
        else if (k.arp && k.arp_op == 1 && k.arp_tpa == US_IP && k.arp_spa == US_IP) announce++; \
        else if (k.arp && k.arp_op == 1 && k.arp_tpa == GW_IP) ask++;                          \
        else if (k.ip && k.proto == 6 && k.flags == (F_SYN | F_ACK)) synack++;                 \
        else other++;                                                                         \
    }
    COUNT(); /* boot: announced and asked, and both lost */
    CHECK(announce == 1 && ask == 1 && synack == 0 && other == 0);
    advance(40);
    CHECK(cap_take() == NULL); /* the retry is not due yet */
    net_input(b, build_tcp(b, client, 41000, 7, 5000, 0, F_SYN, 65535, NULL, 0, 1460));
    COUNT(); /* the first frame: announce and ask again now; the SYN-ACK waits for the answer */
    CHECK(announce == 1 && ask == 1 && synack == 0 && other == 0);
    net_input(f, arp_frame(f, 2, GW_IP, US_IP));
    r = cap_take();
    CHECK(r && parse_frame(r, &k) == 0 && k.ip && k.proto == 6 && k.flags == (F_SYN | F_ACK));
    CHECK(r && k.dst == client && k.ack == 5001 && memcmp(k.eth_dst, peer_mac, 6) == 0);
    CHECK(cap_take() == NULL);
    /* Only the first frame does it: later ones (a repeated SYN) ask nothing. */
    net_input(b, build_tcp(b, client, 41000, 7, 5000, 0, F_SYN, 65535, NULL, 0, 1460));
    COUNT();
    CHECK(announce == 0 && ask == 0 && synack == 1 && other == 0);
#undef COUNT
}

/* When the boot's frames did get through, the first frame (the gateway's reply) asks nothing
 * again; and an unanswered resolution still gives up after its three requests. */
static void boot_with_answered_frames(void) {
    struct net_config c;
    struct pkt k;
    const struct frame *r;
    uint8_t f[60];
    memset(&c, 0, sizeof c);
    memcpy(c.mac, us_mac, 6);
    CHECK(net_config_from_cmdline(os_cmdline(), &c) == 0);
    net_init(&c);
    cap_clear();
    advance(20);
    net_input(f, arp_frame(f, 2, GW_IP, US_IP));
    CHECK(cap_take() == NULL);
    int requests = 0;
    for (int i = 0; i < 300; i++) {
        advance(10);
        while ((r = cap_take())) requests += parse_frame(r, &k) == 0 && k.arp;
    }
    CHECK(requests == 0);
}

static void test_boot(void) {
    boot_with_lost_frames(GW_IP);
    boot_with_lost_frames(0x08080808u);
    boot_with_answered_frames();
}

static void test_icmp(void) {
    uint8_t ping[64], b[200];
    struct pkt k;
    stack_reset();
    for (int i = 0; i < 64; i++) ping[i] = (uint8_t)(i * 7);
    ping[0] = 8, ping[1] = 0, ping[2] = ping[3] = 0, ping[4] = 0xbe, ping[5] = 0xef;
    ping[6] = 0, ping[7] = 42;
    uint16_t c = t_csum(ping, sizeof ping, 0);
    ping[2] = (uint8_t)(c >> 8), ping[3] = (uint8_t)c;
    net_input(b, build_ip(b, GW_IP, US_IP, 1, ping, sizeof ping));
    const struct frame *r = cap_take();
    CHECK(r && parse_frame(r, &k) == 0 && k.ip && k.proto == 1);
    CHECK(k.ip_csum_ok && k.l4_csum_ok && k.icmp_type == 0 && k.dst == GW_IP && k.src == US_IP);
    CHECK(k.len == 64 && k.data && memcmp(k.data + 4, ping + 4, 60) == 0);
    /* A bad checksum, another destination, or a fragment: silence. */
    ping[10] ^= 1;
    net_input(b, build_ip(b, GW_IP, US_IP, 1, ping, sizeof ping));
    ping[10] ^= 1;
    net_input(b, build_ip(b, GW_IP, 0x0a000210u, 1, ping, sizeof ping));
    size_t n = build_ip(b, GW_IP, US_IP, 1, ping, sizeof ping);
    b[14 + 6] |= 0x20; /* more fragments */
    b[14 + 10] = b[14 + 11] = 0;
    uint16_t ic = t_csum(b + 14, 20, 0);
    b[24] = (uint8_t)(ic >> 8), b[25] = (uint8_t)ic;
    net_input(b, n);
    n = build_ip(b, GW_IP, US_IP, 1, ping, sizeof ping);
    b[14 + 3] += 4; /* total length beyond the frame */
    net_input(b, n);
    CHECK(cap_take() == NULL);
}

static void test_config(void) {
    struct net_config c;
    memset(&c, 0xaa, sizeof c);
    CHECK(net_config_from_cmdline("console=ttyS0 netdev.ip=10.0.2.15/24:10.0.2.2 x=y", &c) == 0);
    CHECK(c.ip == US_IP && c.netmask == 0xffffff00u && c.gateway == GW_IP && c.mac[0] == 0xaa);
    CHECK(net_config_from_cmdline("netdev.ip=192.168.1.7/16", &c) == 0);
    CHECK(c.ip == 0xc0a80107u && c.netmask == 0xffff0000u && c.gateway == 0);
    CHECK(net_config_from_cmdline("netdev.ip=172.16.0.2/30:172.16.0.1:8.8.8.8:1.1.1.1:h:d", &c) ==
          0);
    CHECK(c.ip == 0xac100002u && c.netmask == 0xfffffffcu && c.gateway == 0xac100001u);
    const char *bad[] = {"", "console=ttyS0", "netdev.ip=10.0.2.15", "netdev.ip=10.0.2.256/24",
                         "netdev.ip=10.0.2/24", "netdev.ip=10.0.2.15/33", "netdev.ip=/24",
                         "xnetdev.ip=10.0.2.15/24", "netdev.ip=10.0.2.15/24:10.0.2",
                         "netdev.ip=10.0.2.15/24x", "netdev.ip=0.0.0.0/0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(net_config_from_cmdline(bad[i], &c) == -1);
    CHECK(net_config_from_cmdline(NULL, &c) == -1);
}

void test_link(void) {
    test_arp();
    test_boot();
    test_icmp();
    test_config();
}
