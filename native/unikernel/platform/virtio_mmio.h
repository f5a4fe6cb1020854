/* virtio over MMIO: register offsets (virtio 1.1 section 4.2.2; "legacy" is the version 1
 * layout of section 4.2.4, which QEMU presents unless told virtio-mmio.force-legacy=off) and
 * the split virtqueue's ring structures. */
#ifndef PLATFORM_VIRTIO_MMIO_H
#define PLATFORM_VIRTIO_MMIO_H
#include <stdint.h>

#define VIRTIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_DEV_NET 1

enum {
    VM_MAGIC = 0x000, VM_VERSION = 0x004, VM_DEVICE_ID = 0x008,
    VM_DEV_FEATURES = 0x010, VM_DEV_FEATURES_SEL = 0x014,
    VM_DRV_FEATURES = 0x020, VM_DRV_FEATURES_SEL = 0x024,
    VM_GUEST_PAGE_SIZE = 0x028, /* legacy */
    VM_QUEUE_SEL = 0x030, VM_QUEUE_NUM_MAX = 0x034, VM_QUEUE_NUM = 0x038,
    VM_QUEUE_ALIGN = 0x03c, VM_QUEUE_PFN = 0x040, /* legacy */
    VM_QUEUE_READY = 0x044, VM_QUEUE_NOTIFY = 0x050,
    VM_INTERRUPT_STATUS = 0x060, VM_INTERRUPT_ACK = 0x064, VM_STATUS = 0x070,
    VM_QUEUE_DESC_LO = 0x080, VM_QUEUE_DESC_HI = 0x084, /* modern */
    VM_QUEUE_AVAIL_LO = 0x090, VM_QUEUE_AVAIL_HI = 0x094,
    VM_QUEUE_USED_LO = 0x0a0, VM_QUEUE_USED_HI = 0x0a4,
    VM_CONFIG = 0x100,
};

enum { ST_ACK = 1, ST_DRIVER = 2, ST_DRIVER_OK = 4, ST_FEATURES_OK = 8, ST_FAILED = 128 };

#define VIRTIO_NET_F_MAC 5      /* the device has a MAC address in its config space */
#define VIRTIO_F_VERSION_1 32   /* modern device: little-endian, 12-byte net header */

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};
#define VRING_DESC_F_WRITE 2 /* the device writes this buffer (receive) */

struct vring_avail {
    uint16_t flags, idx;
    uint16_t ring[];
};
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_used_elem {
    uint32_t id, len;
};
struct vring_used {
    uint16_t flags, idx;
    struct vring_used_elem ring[];
};

#endif
