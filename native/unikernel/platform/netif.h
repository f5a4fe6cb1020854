/* What main.c needs from the network stack (include/berth/net.h, written by net/) and from the
 * virtio-net driver. Until net/ exists, boot-test images link platform/netstub.c instead. */
#ifndef PLATFORM_NETIF_H
#define PLATFORM_NETIF_H

#if __has_include(<berth/net.h>)
#include <berth/net.h>
#else
struct net_config { uint8_t mac[6]; uint32_t ip, netmask, gateway; };
int net_config_from_cmdline(const char *cmdline, struct net_config *out);
void net_init(const struct net_config *c);
void net_input(const void *frame, size_t len);
void net_poll(void);
#endif

extern int netif_up;
void virtio_net_mac(uint8_t mac[6]);

#endif
