/* The virtio-net driver over MMIO: one receive and one transmit queue, no offloads, one
 * descriptor per frame (the virtio-net header and the frame side by side in one buffer).
 *
 * Discovery: with -M microvm,acpi=off QEMU appends `virtio_mmio.device=512@0xfeb00e00:12` to the
 * command line for each slot (size@address:GSI); without those we probe the slots at their
 * known addresses. With no IRQ at all, the timer tick still notices received frames. */
#include <berth/os.h>
#include <stdlib.h>
#include <string.h>
#include "arch.h"
#include "netif.h"
#include "virtio_mmio.h"

#define QMAX 256          /* descriptors per queue (QEMU offers 256): bursts from 200 clients */
#define BUF_SIZE 2048     /* header + a 1514-byte frame, rounded up */
#define RXQ 0
#define TXQ 1

struct queue {
    uint16_t num, free_top, last_used;
    struct vring_desc *desc;
    volatile struct vring_avail *avail;
    volatile struct vring_used *used;
    uint8_t *bufs;             /* num buffers of BUF_SIZE */
    uint16_t free_ids[QMAX];   /* transmit: descriptors not in flight */
};

static uintptr_t base;
static int modern, irq = -1;
static size_t hdr_len;
static struct queue rxq, txq;
int netif_up;
unsigned long virtio_net_sent;

static uint32_t rd(uint32_t reg) { return mmio_read32(base + reg); }
static void wr(uint32_t reg, uint32_t v) { mmio_write32(base + reg, v); }

/* Parse the next `virtio_mmio.device=SIZE@ADDR:IRQ` from *p; 0 when there is none left. */
static int next_slot(const char **p, uintptr_t *addr, int *gsi) {
    const char *s = strstr(*p, "virtio_mmio.device=");
    if (!s) return 0;
    char *e;
    s += strlen("virtio_mmio.device=");
    strtoul(s, &e, 0);
    if (*e == 'K' || *e == 'k') e++;
    *addr = *e == '@' ? (uintptr_t)strtoul(e + 1, &e, 0) : 0;
    *gsi = *e == ':' ? (int)strtol(e + 1, &e, 0) : -1;
    *p = e;
    return 1;
}

static int is_net(uintptr_t a) {
    return a && mmio_read32(a + VM_MAGIC) == VIRTIO_MAGIC && mmio_read32(a + VM_DEVICE_ID) == VIRTIO_DEV_NET;
}

static int find_device(const char *cmdline) {
    uintptr_t a;
    int gsi;
    for (const char *p = cmdline; next_slot(&p, &a, &gsi);)
        if (is_net(a)) return base = a, irq = gsi, 0;
    /* No slots on the command line (microvm with ACPI on): probe microvm's slots, 512 bytes
     * apart. Their GSIs are fixed by QEMU: 24 + slot when the second IOAPIC is there (24
     * slots), else 5 + slot (8 slots). */
    for (unsigned i = 0; i < 24; i++) {
        if (!is_net(0xfeb00000u + 512u * i)) continue;
        base = 0xfeb00000u + 512u * i;
        irq = ioapic_present(24) ? (int)(24 + i) : i < 8 ? (int)(5 + i) : -1;
        return 0;
    }
    return -1;
}

/* The split ring in one page-aligned block: descriptors, the driver's ring, then (on the next
 * page, as the legacy interface requires) the device's ring. */
static int queue_init(struct queue *q, unsigned sel) {
    wr(VM_QUEUE_SEL, sel);
    uint32_t max = rd(VM_QUEUE_NUM_MAX);
    if (!max) return -1;
    q->num = (uint16_t)(max < QMAX ? max : QMAX);
    size_t avail_end = 16u * q->num + 6 + 2u * q->num;
    size_t used_off = (avail_end + 4095) & ~(size_t)4095;
    size_t bytes = used_off + 6 + 8u * q->num;
    uint8_t *raw = os_alloc(bytes + 4096);
    q->bufs = os_alloc((size_t)q->num * BUF_SIZE);
    if (!raw || !q->bufs) return -1;
    uint8_t *ring = (uint8_t *)(((uintptr_t)raw + 4095) & ~(uintptr_t)4095);
    memset(ring, 0, bytes);
    q->desc = (struct vring_desc *)ring;
    q->avail = (struct vring_avail *)(ring + 16u * q->num);
    q->used = (struct vring_used *)(ring + used_off);
    wr(VM_QUEUE_NUM, q->num);
    if (modern) {
        wr(VM_QUEUE_DESC_LO, (uint32_t)(uintptr_t)q->desc), wr(VM_QUEUE_DESC_HI, 0);
        wr(VM_QUEUE_AVAIL_LO, (uint32_t)(uintptr_t)q->avail), wr(VM_QUEUE_AVAIL_HI, 0);
        wr(VM_QUEUE_USED_LO, (uint32_t)(uintptr_t)q->used), wr(VM_QUEUE_USED_HI, 0);
        wr(VM_QUEUE_READY, 1);
    } else {
        wr(VM_QUEUE_ALIGN, 4096);
        wr(VM_QUEUE_PFN, (uint32_t)((uintptr_t)ring >> 12));
    }
    for (uint16_t i = 0; i < q->num; i++) {
        q->desc[i].addr = (uint64_t)(uintptr_t)(q->bufs + (size_t)i * BUF_SIZE);
        q->desc[i].len = BUF_SIZE;
        q->free_ids[i] = i;
    }
    q->free_top = q->num;
    return 0;
}

/* The interrupt only has to end the hlt; acknowledging it lowers the (level-triggered) line. */
static void on_irq(void) { wr(VM_INTERRUPT_ACK, rd(VM_INTERRUPT_STATUS)); }

void virtio_net_mac(uint8_t mac[6]) {
    for (int i = 0; i < 6; i++) mac[i] = mmio_read8(base + VM_CONFIG + (unsigned)i);
}

int virtio_net_init(const char *cmdline, uint8_t mac[6]) {
    if (find_device(cmdline) < 0) return -1;
    modern = rd(VM_VERSION) >= 2;
    hdr_len = modern ? 12 : 10;
    wr(VM_STATUS, 0); /* reset */
    wr(VM_STATUS, ST_ACK | ST_DRIVER);
    wr(VM_DEV_FEATURES_SEL, 0);
    uint32_t f0 = rd(VM_DEV_FEATURES) & (1u << VIRTIO_NET_F_MAC);
    wr(VM_DRV_FEATURES_SEL, 0), wr(VM_DRV_FEATURES, f0);
    if (modern) {
        wr(VM_DRV_FEATURES_SEL, 1), wr(VM_DRV_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
        wr(VM_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
        if (!(rd(VM_STATUS) & ST_FEATURES_OK)) goto fail;
    } else {
        wr(VM_GUEST_PAGE_SIZE, 4096);
    }
    if (queue_init(&rxq, RXQ) < 0 || queue_init(&txq, TXQ) < 0) goto fail;

    /* Every receive buffer goes to the device at once; transmit completions need no interrupt
     * (we reclaim them when sending). */
    for (uint16_t i = 0; i < rxq.num; i++) {
        rxq.desc[i].flags = VRING_DESC_F_WRITE;
        rxq.avail->ring[i] = i;
    }
    rxq.free_top = 0;
    barrier();
    rxq.avail->idx = rxq.num;
    txq.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;

    if (irq >= 0) {
        irq_set_handler(VEC_NET, on_irq);
        ioapic_route((unsigned)irq, VEC_NET, 1);
    }
    wr(VM_STATUS, rd(VM_STATUS) | ST_DRIVER_OK);
    wr(VM_QUEUE_NOTIFY, RXQ);
    virtio_net_mac(mac);
    os_log("unikernel: virtio-net at %#lx irq %d (%s), mac %02x:%02x:%02x:%02x:%02x:%02x",
           (unsigned long)base, irq, modern ? "virtio 1.0" : "legacy", mac[0], mac[1], mac[2],
           mac[3], mac[4], mac[5]);
    return 0;
fail:
    wr(VM_STATUS, ST_FAILED);
    os_log("unikernel: virtio-net at %#lx refused our setup", (unsigned long)base);
    return -1;
}

int virtio_net_pending(void) { return rxq.used && rxq.used->idx != rxq.last_used; }

unsigned virtio_net_poll(void (*deliver)(const void *frame, size_t len)) {
    uint16_t posted = 0, avail = rxq.avail->idx;
    while (rxq.used->idx != rxq.last_used) {
        barrier();
        struct vring_used_elem e = rxq.used->ring[rxq.last_used % rxq.num];
        rxq.last_used++;
        if (e.id < rxq.num && e.len > hdr_len && e.len <= BUF_SIZE)
            deliver(rxq.bufs + (size_t)e.id * BUF_SIZE + hdr_len, e.len - hdr_len);
        rxq.avail->ring[(uint16_t)(avail + posted++) % rxq.num] = (uint16_t)e.id; /* give it back */
    }
    if (posted) {
        barrier();
        rxq.avail->idx = (uint16_t)(avail + posted);
        wr(VM_QUEUE_NOTIFY, RXQ);
    }
    return posted;
}

static void tx_reclaim(void) {
    while (txq.used->idx != txq.last_used) {
        barrier();
        txq.free_ids[txq.free_top++] = (uint16_t)txq.used->ring[txq.last_used++ % txq.num].id;
    }
}

void os_netif_send(const void *frame, size_t len) {
    if (!netif_up || len > BUF_SIZE - hdr_len) return;
    tx_reclaim();
    /* A full ring means QEMU has not caught up yet (it sends from its own thread): wait a little,
     * then drop; TCP retransmits. */
    for (uint64_t t0 = os_now_ms(); !txq.free_top && os_now_ms() - t0 < 20;) tx_reclaim();
    if (!txq.free_top) return;
    uint16_t id = txq.free_ids[--txq.free_top];
    uint8_t *buf = txq.bufs + (size_t)id * BUF_SIZE;
    memset(buf, 0, hdr_len); /* no checksum offload, no segmentation */
    memcpy(buf + hdr_len, frame, len);
    txq.desc[id].len = (uint32_t)(hdr_len + len);
    txq.desc[id].flags = 0;
    txq.avail->ring[txq.avail->idx % txq.num] = id;
    barrier();
    txq.avail->idx++;
    wr(VM_QUEUE_NOTIFY, TXQ);
    virtio_net_sent++;
}
