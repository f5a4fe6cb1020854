// Network setup with plain ioctls (no ip binary in the guest): lo up, eth0 address, default route.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

/* The value of `key=` on the kernel command line, copied into out; false when absent. */
static int cmdline_value(const char *key, char *out, size_t size) {
  char line[4096];
  FILE *f = fopen("/proc/cmdline", "re");
  if (!f) return 0;
  size_t n = fread(line, 1, sizeof line - 1, f);
  fclose(f);
  line[n] = 0;
  size_t klen = strlen(key);
  for (char *tok = strtok(line, " \n"); tok; tok = strtok(NULL, " \n")) {
    if (strncmp(tok, key, klen) == 0 && tok[klen] == '=') {
      snprintf(out, size, "%s", tok + klen + 1);
      return 1;
    }
  }
  return 0;
}

static struct sockaddr inet_addr_of(const char *text, const char *what) {
  struct sockaddr_in sin = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, text, &sin.sin_addr) != 1) fail("bad %s address %s", what, text);
  struct sockaddr sa;
  memcpy(&sa, &sin, sizeof sin);
  return sa;
}

static void set_up(int sock, const char *ifname) {
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) fail("%s flags: %s", ifname, strerror(errno));
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) fail("%s up: %s", ifname, strerror(errno));
}

static void set_address(int sock, const char *ifname, const char *cidr) {
  char ip[64];
  snprintf(ip, sizeof ip, "%s", cidr);
  char *slash = strchr(ip, '/');
  int prefix = slash ? atoi(slash + 1) : 24;
  if (slash) *slash = 0;
  if (prefix < 0 || prefix > 32) fail("bad prefix length in berth.ip=%s", cidr);
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  ifr.ifr_addr = inet_addr_of(ip, "berth.ip");
  if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) fail("%s address %s: %s", ifname, ip, strerror(errno));
  char mask[INET_ADDRSTRLEN];
  struct in_addr m = {htonl(prefix ? ~0u << (32 - prefix) : 0)};
  inet_ntop(AF_INET, &m, mask, sizeof mask);
  ifr.ifr_netmask = inet_addr_of(mask, "netmask");
  if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0) fail("%s netmask: %s", ifname, strerror(errno));
}

static void add_default_route(int sock, const char *ifname, const char *gateway) {
  struct rtentry rt = {0};
  rt.rt_dst = inet_addr_of("0.0.0.0", "route");
  rt.rt_genmask = inet_addr_of("0.0.0.0", "route");
  rt.rt_gateway = inet_addr_of(gateway, "berth.gw");
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  rt.rt_dev = (char *)ifname;
  if (ioctl(sock, SIOCADDRT, &rt) < 0) fail("default route via %s: %s", gateway, strerror(errno));
}

void setup_network(void) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) fail("socket: %s", strerror(errno));
  set_up(sock, "lo");
  char ip[64], gw[64];
  if (cmdline_value("berth.ip", ip, sizeof ip)) {
    // virtio_net usually registers eth0 while its module loads; wait a little in case it did not.
    if (!wait_for("/sys/class/net/eth0", 5000)) fail("no eth0 after 5 s (virtio_net not loaded?)");
    set_address(sock, "eth0", ip);
    set_up(sock, "eth0");
    if (cmdline_value("berth.gw", gw, sizeof gw)) add_default_route(sock, "eth0", gw);
  }
  close(sock);
}
