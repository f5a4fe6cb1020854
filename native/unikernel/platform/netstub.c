/* A stand-in for the network stack, linked into the boot-test image only: it counts frames so
 * the platform's driver and main loop can be tried without net/. */
#include <berth/os.h>
#include "arch.h"
#include "netif.h"

static unsigned long frames;

int net_config_from_cmdline(const char *cmdline, struct net_config *out) {
    (void)cmdline, (void)out;
    return 0;
}
void net_init(const struct net_config *c) {
    os_log("netstub: mac %02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1], c->mac[2], c->mac[3],
           c->mac[4], c->mac[5]);
}
void net_input(const void *frame, size_t len) {
    (void)frame;
    os_log("netstub: frame %lu, %lu bytes", ++frames, (unsigned long)len);
}
void net_poll(void) {}
