/* Checksums and a small pseudo-random generator for the stack. */
#include "netpriv.h"

/* RFC 1071 ones' complement sum over 16-bit big-endian words, an odd last byte padded. A
 * 32-bit accumulator cannot overflow for frames (at most ~760 words of 0xffff per call plus the
 * carry folded in by the caller's later calls is far below 2^32). */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len) {
    size_t i = 0;
    for (; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (i < len) sum += (uint32_t)p[i] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint16_t csum_fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The TCP/UDP pseudo-header: addresses, protocol and segment length. */
uint32_t csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, size_t len) {
    uint32_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
    return sum + proto + (uint32_t)len;
}

/* Initial sequence numbers must not be guessable from outside (RFC 6528); without a hardware
 * random source we mix the clock, our address and a per-connection counter through xorshift. */
static uint32_t rng_state = 0x9e3779b9u;

void net_random_seed(uint32_t seed) { rng_state ^= seed ? seed : 0x2545f491u; }

uint32_t net_random(void) {
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x ? x : 1;
    return x ^ (uint32_t)os_now_ms() * 2654435761u;
}
