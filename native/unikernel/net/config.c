/* Network configuration from the kernel command line, Unikraft style:
 *   netdev.ip=10.0.2.15/24:10.0.2.2[:dns0[:dns1[:hostname[:domain]]]]
 * Only address, prefix and gateway are used. */
#include "netpriv.h"

/* Parses a dotted quad at *s, advancing *s past it. Rejects octets > 255 and leading junk. */
static int parse_ipv4(const char **s, uint32_t *out) {
    const char *p = *s;
    uint32_t ip = 0;
    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            if (*p != '.') return -1;
            p++;
        }
        if (*p < '0' || *p > '9') return -1;
        uint32_t v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (uint32_t)(*p++ - '0');
            if (++digits > 3 || v > 255) return -1;
        }
        ip = ip << 8 | v;
    }
    *s = p;
    *out = ip;
    return 0;
}

static int at_end(char c) { return c == 0 || c == ' ' || c == '\t' || c == '\n'; }

int net_config_from_cmdline(const char *cmdline, struct net_config *out) {
    static const char key[] = "netdev.ip=";
    if (!cmdline || !out) return -1;
    const char *p = cmdline;
    /* Find the key at the start of a word (so "xnetdev.ip=" does not count). */
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) return -1;
        const char *k = key;
        const char *q = p;
        while (*k && *q == *k) q++, k++;
        if (!*k) {
            p = q;
            break;
        }
        while (*p && !at_end(*p)) p++;
    }
    uint32_t ip, gw = 0;
    if (parse_ipv4(&p, &ip) != 0 || *p != '/') return -1;
    p++;
    if (*p < '0' || *p > '9') return -1;
    uint32_t prefix = 0;
    while (*p >= '0' && *p <= '9') {
        prefix = prefix * 10 + (uint32_t)(*p++ - '0');
        if (prefix > 32) return -1;
    }
    if (*p == ':') {
        p++;
        if (!at_end(*p) && *p != ':' && parse_ipv4(&p, &gw) != 0) return -1;
        if (!at_end(*p) && *p != ':') return -1;
    } else if (!at_end(*p)) {
        return -1;
    }
    if (ip == 0) return -1;
    out->ip = ip;
    out->netmask = prefix ? 0xffffffffu << (32 - prefix) : 0;
    out->gateway = gw;
    return 0;
}
