/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ivgpu driver data structures.
 *
 * Every structure the driver's files share lives here, with every member
 * documented: what it holds, who writes it and what protects it.
 */
#ifndef _IVGPU_TYPES_H_
#define _IVGPU_TYPES_H_

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <drm/drm_buddy.h>
#include <drm/drm_device.h>

#include "ivgpu_regs.h"

struct pci_dev;
struct ivgpu_device;

/**
 * struct ivgpu_config - device configuration, read and validated at probe
 *
 * Filled once by ivgpu_config_init() before the DRM device is registered and
 * never changed afterwards, so it may be read without locking.  Fields that
 * do not apply to the device's BAR configuration are zero, whatever the
 * device's registers hold.
 */
struct ivgpu_config {
	/** @version: register-contract version, major << 16 | minor. */
	u32 version;
	/** @caps: IVGPU_CAP_* bits as the device reports them. */
	u64 caps;
	/** @vram_size: bytes of VRAM. */
	u64 vram_size;
	/** @bar_config: IVGPU_BAR_CONFIG_LARGE or IVGPU_BAR_CONFIG_SMALL. */
	u32 bar_config;
	/** @num_vectors: interrupt vectors per peer the device provides. */
	u32 num_vectors;
	/** @bar_size: bytes of BAR2 the device lays out (<= @mem_len). */
	u64 bar_size;
	/** @vram_bar_offset: offset of VRAM in BAR2 with a large BAR, else 0. */
	u64 vram_bar_offset;
	/** @window_bar_offset: offset of window 0 in BAR2 with a small BAR, else 0. */
	u64 window_bar_offset;
	/** @window_size: bytes per banked window with a small BAR, else 0. */
	u64 window_size;
	/** @window_count: banked windows with a small BAR, else 0. */
	u32 window_count;
	/** @bank_granule: alignment of a bank offset with a small BAR, else 0. */
	u64 bank_granule;
	/** @dev_peer_id: ivshmem peer ID of the device; target of doorbells. */
	u32 dev_peer_id;
	/** @guest_peer_id: ivshmem peer ID the device gave this guest. */
	u32 guest_peer_id;
	/** @regs_size: bytes of the register block at the start of BAR2. */
	u32 regs_size;
	/** @mem_start: CPU physical address of BAR2. */
	resource_size_t mem_start;
	/** @mem_len: bytes of BAR2 as the PCI core sized it. */
	resource_size_t mem_len;
};

/**
 * struct ivgpu_irq_vector - one MSI-X vector of the device
 *
 * Passed as the dev_id of the vector's handler.  Set up by ivgpu_irq_init();
 * only @count changes afterwards.
 */
struct ivgpu_irq_vector {
	/** @ivgpu: the device this vector belongs to. */
	struct ivgpu_device *ivgpu;
	/** @name: short name of the vector ("ping", "bank", ...). */
	const char *name;
	/** @index: MSI-X vector number, one of IVGPU_IRQ_*. */
	unsigned int index;
	/** @irq: Linux interrupt number of the vector. */
	int irq;
	/** @count: interrupts taken on this vector since probe. */
	atomic64_t count;
};

/**
 * struct ivgpu_irq - interrupt state of the device
 */
struct ivgpu_irq {
	/** @vec: the MSI-X vectors, indexed by IVGPU_IRQ_*. */
	struct ivgpu_irq_vector vec[IVGPU_NUM_VECTORS];
	/** @error_lock: protects @errors, @last_error_code and @last_error_arg. */
	spinlock_t error_lock;
	/** @errors: error interrupts handled since probe. */
	u64 errors;
	/** @last_error_code: IVGPU_ERROR_* of the last error interrupt. */
	u32 last_error_code;
	/** @last_error_arg: argument of the last error interrupt. */
	u64 last_error_arg;
};

/**
 * struct ivgpu_ping - state of the doorbell/interrupt round trip
 *
 * A round trip writes a fresh sequence number to IVGPU_REG_PING_SEQ and rings
 * IVGPU_DB_PING; the device copies it to IVGPU_REG_PONG_SEQ and raises
 * IVGPU_IRQ_PING, whose handler records what it read in @pong and wakes @wq.
 */
struct ivgpu_ping {
	/** @lock: serializes round trips; protects @seq and @last_latency_ns. */
	struct mutex lock;
	/** @pong_lock: protects @pong and @pong_time against the handler. */
	spinlock_t pong_lock;
	/** @wq: woken by the ping handler. */
	wait_queue_head_t wq;
	/** @seq: sequence number of the last ping sent. */
	u32 seq;
	/** @pong: last IVGPU_REG_PONG_SEQ value the handler read. */
	u32 pong;
	/** @pong_time: when the handler read @pong. */
	ktime_t pong_time;
	/** @last_latency_ns: duration of the last completed round trip. */
	u64 last_latency_ns;
	/** @completed: round trips completed since probe. */
	atomic64_t completed;
};

/**
 * struct ivgpu_vram_extent - a run of contiguous VRAM backing part of an object
 *
 * Adjacent blocks of the buddy allocator are merged into one extent, so an
 * object allocated contiguous has exactly one.
 */
struct ivgpu_vram_extent {
	/** @start: VRAM offset of the first byte. */
	u64 start;
	/** @size: bytes, a multiple of the page size. */
	u64 size;
	/** @offset: offset in the object of the first byte. */
	u64 offset;
};

/**
 * struct ivgpu_vram_res - the VRAM behind one buffer object
 *
 * Made by ivgpu_vram_alloc(), given back by ivgpu_vram_free(); immutable in
 * between, except @link.  An object's current one is &ivgpu_bo.vram.
 */
struct ivgpu_vram_res {
	/** @blocks: the &drm_buddy_block list, in object order. */
	struct list_head blocks;
	/** @extents: runs of contiguous VRAM, in object order. */
	struct ivgpu_vram_extent *extents;
	/** @num_extents: entries in @extents. */
	unsigned int num_extents;
	/** @size: bytes of VRAM held: the object's size. */
	u64 size;
	/** @owner_id: &ivgpu_bo.id of the owner, for the leak report. */
	u64 owner_id;
	/** @link: in &ivgpu_vram.allocations, under &ivgpu_vram.lock. */
	struct list_head link;
};

/**
 * struct ivgpu_vram - the VRAM heap
 *
 * A drm_buddy allocator over all of VRAM with page-sized chunks.  Set up at
 * probe, torn down when the DRM device is released (a DRM-managed action),
 * at which point every allocation must have been freed.
 */
struct ivgpu_vram {
	/** @lock: protects @mm, @allocations and @count. */
	struct mutex lock;
	/** @mm: the buddy allocator. */
	struct drm_buddy mm;
	/** @allocations: every live &ivgpu_vram_res, for the leak report. */
	struct list_head allocations;
	/** @count: entries in @allocations. */
	unsigned int count;
	/** @size: bytes of VRAM managed; constant. */
	u64 size;
	/** @wc_cookie: arch_phys_wc_add() handle of VRAM in BAR2 (large BAR). */
	int wc_cookie;
};

/**
 * struct ivgpu_device - an ivgpu device
 *
 * Allocated by devm_drm_dev_alloc(), so it lives until the last reference
 * to @drm is dropped, which may be after the PCI device was removed.  The
 * register mappings are device-managed and go away at removal: every access
 * to them outside probe is guarded by drm_dev_enter()/drm_dev_exit().
 */
struct ivgpu_device {
	/** @drm: the DRM device; the first member, see to_ivgpu(). */
	struct drm_device drm;
	/** @pdev: the PCI function (ivshmem-doorbell, 1af4:1110). */
	struct pci_dev *pdev;
	/** @ivshmem: ivshmem's registers in BAR0 (doorbell, IVPosition). */
	void __iomem *ivshmem;
	/** @regs: the ivgpu register block, the first bytes of BAR2 only. */
	void __iomem *regs;
	/** @config: configuration read from @regs at probe. */
	struct ivgpu_config config;
	/** @irq: MSI-X vectors and interrupt statistics. */
	struct ivgpu_irq irq;
	/** @ping: doorbell/interrupt round trip. */
	struct ivgpu_ping ping;
	/** @vram: the VRAM heap. */
	struct ivgpu_vram vram;
};

/**
 * to_ivgpu - the ivgpu device of a DRM device
 * @drm: a DRM device created by this driver
 *
 * Return: the &struct ivgpu_device embedding @drm.
 */
static inline struct ivgpu_device *to_ivgpu(struct drm_device *drm)
{
	return container_of(drm, struct ivgpu_device, drm);
}

#endif /* _IVGPU_TYPES_H_ */
