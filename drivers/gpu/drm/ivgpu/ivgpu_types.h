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
#include <linux/ptrace.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <drm/drm_buddy.h>
#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/gpu_scheduler.h>

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
#include <linux/fault-inject.h>
#endif

#include "ivgpu_regs.h"

struct pci_dev;
struct ivgpu_device;

/*
 * Lock ordering.  Indentation shows nesting: a lock may be taken while
 * holding the locks above it on its own branch, never a sibling:
 *
 *   mmap_lock                 (the fault path and ->access() run under it)
 *     BO lock                 (&ivgpu_bo.base.resv, a dma_resv)
 *       &ivgpu_windows.lock   (small BAR: slides, window PTE insertion, reverse map)
 *         i_mmap_rwsem        (the zap of a window's old range)
 *       i_mmap_rwsem          (unmap_mapping_range(), the zap)
 *       &ivgpu_kmap_cache.lock
 *       &ivgpu_vram.lock
 *
 * &ivgpu_windows.lock may also be taken with no BO lock held (object
 * creation, and an object's free, which may run under mmap_lock).  Nothing
 * under it takes a BO lock, mmap_lock, or drops an object reference.
 *
 * The kmap cache lock is a spinlock.  It, &ivgpu_vram.lock,
 * &ivgpu_bo_list.lock, &ivgpu_bo_dump.lock and the per-file xarray's lock are leaves:
 * nothing else is taken under them.  An object's free may run under
 * mmap_lock (the last VMA's close); it takes only leaf locks.
 *
 * Nothing takes mmap_lock, or calls copy_to_user()/copy_from_user() (which
 * may fault, and so take mmap_lock and a BO lock), while holding a BO lock:
 * pread/pwrite copy through a kernel bounce buffer with the BO lock
 * dropped, and GEM_MAP's vm_mmap() runs with no BO lock held.
 *
 * The co-processor (ivgpu_ring.c) adds:
 *
 *   BO locks of a submission  (all of a job's objects, with a ww_acquire_ctx)
 *     &ivgpu_file.submit_lock (arm and push of the file's jobs)
 *   &ivgpu_ring.lock          (ring writes and resets: run_job, the timeout
 *                              handler, unplug)
 *     &ivgpu_windows.lock     (small BAR: run_job pins a window to write)
 *     &ivgpu_ring.fence_lock  (a spinlock taken from the interrupt; a leaf)
 *
 * A submission is the only path that holds several BO locks, always through
 * one ww_acquire_ctx; every other path holds one at a time.  The fence
 * signalling path (the interrupt, run_job, the timeout handler) takes no BO
 * lock and allocates nothing, so waiting for a job's fence under a BO lock
 * (GEM_MOVE, object creation) cannot deadlock.
 */

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
	/**
	 * @bo: the object whose VRAM this is, while the extent is in the
	 * windows' reverse map (small BAR); else NULL.  Under &ivgpu_windows.lock.
	 */
	struct ivgpu_bo *bo;
	/** @rb: node in &ivgpu_windows.rmap, under &ivgpu_windows.lock. */
	struct rb_node rb;
	/** @subtree_last: interval-tree bookkeeping of @rb. */
	u64 subtree_last;
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
 * struct ivgpu_window - one banked window of a small BAR
 *
 * Set up by ivgpu_window_init(); every member that changes is under
 * &ivgpu_windows.lock.
 */
struct ivgpu_window {
	/** @index: window number, 0 to WINDOW_COUNT - 1. */
	unsigned int index;
	/** @vaddr: kernel mapping of the window (write-combining). */
	void __iomem *vaddr;
	/** @phys: CPU physical address of the window in BAR2. */
	phys_addr_t phys;
	/** @bank: VRAM offset the window shows, or IVGPU_BANK_NONE. */
	u64 bank;
	/** @seq: WIN_REQ_SEQ of the last request made. */
	u32 seq;
	/** @pins: kernel users copying through the window; it cannot slide. */
	unsigned int pins;
	/** @lru_link: in &ivgpu_windows.lru, least recently used first. */
	struct list_head lru_link;
	/** @owner: task that last used the window (compared, never dereferenced). */
	const void *owner;
	/** @owned_since: when @owner started using it: its minimum residency runs from here. */
	ktime_t owned_since;
	/** @inserted: user page-table entries inserted since the last slide. */
	u64 inserted;
};

/**
 * struct ivgpu_window_stats - counters of the banked windows
 *
 * Monotonic since probe; shown in debugfs ivgpu_windows.
 */
struct ivgpu_window_stats {
	/** @slides: bank switches to a new VRAM range. */
	atomic64_t slides;
	/** @detaches: windows detached to make room for another (no overlap). */
	atomic64_t detaches;
	/** @steals: slides of a window another task had used last. */
	atomic64_t steals;
	/** @zaps: range zaps made by slides (one per object shown). */
	atomic64_t zaps;
	/** @pages_zapped: pages of the ranges those zaps covered. */
	atomic64_t pages_zapped;
	/** @entries_zapped: entries inserted through windows and zapped by slides. */
	atomic64_t entries_zapped;
	/** @faults: user faults served through a window. */
	atomic64_t faults;
	/** @fault_hits: of those, faults into a part a window already showed. */
	atomic64_t fault_hits;
	/** @pages_inserted: entries inserted by those faults. */
	atomic64_t pages_inserted;
	/** @pins: kernel accesses that pinned a window. */
	atomic64_t pins;
	/** @splits: kernel requests split because they crossed a window. */
	atomic64_t splits;
	/** @residency_waits: slides that waited for a window's minimum residency. */
	atomic64_t residency_waits;
	/** @pin_waits: times a user of the windows waited for a pin to go. */
	atomic64_t pin_waits;
	/** @bounced: kernel copies between objects bounced through system memory. */
	atomic64_t bounced;
	/** @switch_ns: nanoseconds spent waiting for bank-switch acknowledgements. */
	atomic64_t switch_ns;
	/** @switch_max_ns: the longest of those waits. */
	atomic64_t switch_max_ns;
	/** @errors: switches refused or not acknowledged in time. */
	atomic64_t errors;
	/** @stuck: user accesses found needing more VRAM at once than the windows show. */
	atomic64_t stuck;
	/** @compactions: of those, objects moved into one extent to let the access complete. */
	atomic64_t compactions;
};

/**
 * struct ivgpu_window_pingpong - the last two user faults that needed a slide
 *
 * One instruction can need two pages that no arrangement of the windows
 * shows at once; see ivgpu_window_stuck_locked().  Under
 * &ivgpu_windows.lock.
 */
struct ivgpu_window_pingpong {
	/** @task: the task that faulted (compared, never dereferenced). */
	const void *task;
	/** @addr: exact faulting addresses, the latest first. */
	unsigned long addr[2];
	/** @regs: the task's user registers at the latest. */
	struct pt_regs regs;
	/** @turns: faults in a row that alternated between @addr with @regs unchanged. */
	unsigned int turns;
	/** @used: &ivgpu_windows.pingpong_clock at the task's last such fault. */
	u64 used;
};

/* Tasks whose faults are followed at once; more replace the least recent. */
#define IVGPU_WINDOW_PINGPONG_TASKS	8

/**
 * struct ivgpu_windows - the banked windows of a small BAR
 *
 * With a large BAR @count is 0 and nothing else is used.  See
 * ivgpu_window.c and docs/windows.md.
 */
struct ivgpu_windows {
	/**
	 * @lock: protects the windows' state, @lru and @rmap; held across a
	 * slide (zap, switch, wait) and across the insertion of user entries
	 * that point into a window, so a slide's zap always covers them.
	 */
	struct mutex lock;
	/** @ack_wq: woken by the bank interrupt. */
	wait_queue_head_t ack_wq;
	/** @pin_wq: woken when a pin goes. */
	wait_queue_head_t pin_wq;
	/** @unpins: pins released since probe, under @lock (wakes @pin_wq waiters). */
	u64 unpins;
	/** @win: the windows. */
	struct ivgpu_window *win;
	/** @count: windows; 0 with a large BAR. */
	unsigned int count;
	/** @size: bytes per window. */
	u64 size;
	/** @granule: bank offset alignment. */
	u64 granule;
	/** @lru: the windows, least recently used first. */
	struct list_head lru;
	/** @rmap: &ivgpu_vram_extent of every object, by VRAM range. */
	struct rb_root_cached rmap;
	/** @base: kernel mapping of all the windows. */
	void __iomem *base;
	/** @wc_cookie: arch_phys_wc_add() handle of the windows. */
	int wc_cookie;
	/** @stats: counters. */
	struct ivgpu_window_stats stats;
	/** @pingpong: recent user faults that slid a window, per task, under @lock. */
	struct ivgpu_window_pingpong pingpong[IVGPU_WINDOW_PINGPONG_TASKS];
	/** @pingpong_clock: counts those faults, under @lock. */
	u64 pingpong_clock;
};

/**
 * struct ivgpu_bo_list - every buffer object of a device
 *
 * For debugfs: the object listing and the dump, which finds objects by id.
 */
struct ivgpu_bo_list {
	/** @lock: protects @list; a leaf lock. */
	struct mutex lock;
	/** @list: &ivgpu_bo.link of every object not yet freed. */
	struct list_head list;
	/** @next_id: id of the next object; ids start at 1 and never repeat. */
	atomic64_t next_id;
};

/**
 * struct ivgpu_mm_stats - counters of the user-mapping paths
 *
 * Monotonic since probe; shown in debugfs ivgpu_mm.
 */
struct ivgpu_mm_stats {
	/** @faults: page faults that inserted page-table entries. */
	atomic64_t faults;
	/**
	 * @pages_inserted: pages the fault handler mapped (a page whose entry
	 * a partial revoke had left in place is mapped, and counted, again).
	 */
	atomic64_t pages_inserted;
	/** @zaps: range zaps of the device-wide address space. */
	atomic64_t zaps;
	/** @pages_zapped: pages of object ranges zapped. */
	atomic64_t pages_zapped;
	/** @revokes: successful DRM_IOCTL_IVGPU_GEM_REVOKE calls. */
	atomic64_t revokes;
	/** @moves: successful DRM_IOCTL_IVGPU_GEM_MOVE calls. */
	atomic64_t moves;
	/** @bytes_moved: bytes copied by moves. */
	atomic64_t bytes_moved;
};

struct ivgpu_kmap;

/**
 * struct ivgpu_kmap_ops - how a kernel-mapping cache maps and unmaps
 *
 * The device's cache maps VRAM through BAR2; the KUnit tests use fakes.
 */
struct ivgpu_kmap_ops {
	/**
	 * @map: map [@offset, @offset + @size) of @res, page-aligned and
	 * inside it, filling &ivgpu_kmap.vaddr and &ivgpu_kmap.vmapped of
	 * @map; 0 or a negative errno.  Called without the cache lock.
	 */
	int (*map)(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res,
		   u64 offset, u64 size, struct ivgpu_kmap *map);
	/** @unmap: undo @map.  Called without the cache lock. */
	void (*unmap)(struct ivgpu_kmap *map);
};

/**
 * struct ivgpu_kmap_cache - the kernel-mapping cache
 *
 * Every live &ivgpu_kmap is on its object's &ivgpu_bo.kmaps list, and on
 * one of two cache lists: @busy while it has users, @lru while it is idle.
 * Idle ones are unmapped, oldest first, once more than the
 * kmap_cache_limit module parameter of them exist.  At unplug every
 * mapping is unmapped (see ivgpu_kmap_unplug()).
 */
struct ivgpu_kmap_cache {
	/** @lock: protects the lists, refcounts, @unplugged and the non-atomic counters. */
	spinlock_t lock;
	/** @ops: how mappings are made and removed; constant. */
	const struct ivgpu_kmap_ops *ops;
	/** @lru: idle mappings, least recently used first. */
	struct list_head lru;
	/** @busy: mappings with users, in no order. */
	struct list_head busy;
	/**
	 * @unplugged: set by ivgpu_kmap_unplug(); from then on no mapping is
	 * made and a mapping whose last user lets go is freed at once.
	 */
	bool unplugged;
	/** @idle: entries on @lru. */
	unsigned int idle;
	/** @live: mappings currently mapped, idle or in use. */
	u64 live;
	/** @in_use: mappings with at least one user. */
	u64 in_use;
	/** @bytes_mapped: bytes of kernel address space currently mapped. */
	u64 bytes_mapped;
	/** @hits: requests served by a live mapping. */
	atomic64_t hits;
	/** @misses: requests that mapped anew. */
	atomic64_t misses;
	/** @released: mappings unmapped since probe. */
	atomic64_t released;
};

/**
 * struct ivgpu_kmap - a kernel mapping of a range of a buffer object
 *
 * Made and reused by ivgpu_kmap(), released by ivgpu_kunmap().  While it
 * has users it holds a reference to its object; idle, it holds none, and
 * the object's free drops it (see ivgpu_kmap_drop_idle()).
 */
struct ivgpu_kmap {
	/** @bo: the object mapped. */
	struct ivgpu_bo *bo;
	/** @offset: page-aligned offset in the object of the first byte mapped. */
	u64 offset;
	/** @size: page-aligned bytes mapped. */
	u64 size;
	/**
	 * @vaddr: kernel address of the byte at @offset; NULL once the device
	 * is unplugged (the BAR is gone, so is the mapping).
	 */
	void __iomem *vaddr;
	/** @vmapped: made by vmap_pfn() (several extents), else ioremap_wc(). */
	bool vmapped;
	/**
	 * @windowed: small BAR: no kernel address (@vaddr is NULL); every
	 * access through the mapping borrows banked windows.
	 */
	bool windowed;
	/** @users: users; 0 while idle.  Under &ivgpu_kmap_cache.lock. */
	unsigned int users;
	/** @bo_link: in &ivgpu_bo.kmaps, under &ivgpu_kmap_cache.lock. */
	struct list_head bo_link;
	/**
	 * @lru_link: in &ivgpu_kmap_cache.lru while idle, in
	 * &ivgpu_kmap_cache.busy while in use; under the cache lock.
	 */
	struct list_head lru_link;
};

/**
 * struct ivgpu_bo - a buffer object in VRAM
 *
 * A GEM object without shmem backing.  It lives while a handle, a dma-buf,
 * a user mapping (each VMA holds a reference) or an in-use kernel mapping
 * references it; its VRAM returns to the heap when it is freed.
 */
struct ivgpu_bo {
	/** @base: the GEM object; its dma_resv lock is the BO lock. */
	struct drm_gem_object base;
	/** @id: device-wide id, for debugfs; constant. */
	u64 id;
	/** @kind: &enum drm_ivgpu_bo_kind; constant. */
	u32 kind;
	/**
	 * @placement: IVGPU_BO_* flags asked for or implied by @kind; a move
	 * keeps them.  Constant.
	 */
	u32 placement;
	/** @alignment: VRAM alignment of every extent; constant. */
	u64 alignment;
	/** @vram: the VRAM behind the object.  Under the BO lock. */
	struct ivgpu_vram_res *vram;
	/**
	 * @num_blocks: @vram's extent count, written under the BO lock, read
	 * without it (READ_ONCE()) by GEM_INFO and debugfs.
	 */
	u32 num_blocks;
	/**
	 * @kmap_pins: kernel mappings of the object held by files through
	 * DRM_IOCTL_IVGPU_GEM_MAP; a move is refused while non-zero.  Under
	 * the BO lock.
	 */
	unsigned int kmap_pins;
	/** @kmaps: live &ivgpu_kmap of the object, under &ivgpu_kmap_cache.lock. */
	struct list_head kmaps;
	/** @link: in &ivgpu_bo_list.list, under its lock. */
	struct list_head link;
};

/**
 * struct ivgpu_bo_dump - the request of debugfs ivgpu_bo_dump
 *
 * Written by a write to the file, used by later reads, through any open.
 */
struct ivgpu_bo_dump {
	/** @lock: protects the other members; a leaf lock. */
	struct mutex lock;
	/** @id: object to dump; 0 before the first request. */
	u64 id;
	/** @offset: first byte to dump. */
	u64 offset;
	/** @size: bytes to dump, 1 to IVGPU_BO_DUMP_MAX. */
	u64 size;
};

/**
 * struct ivgpu_vram_check - the device's VRAM check, for debugfs ivgpu_vram_check
 *
 * The request is written to the file and used by later reads, through any
 * open; the device's check mailbox takes one request at a time.
 */
struct ivgpu_vram_check {
	/** @lock: protects @id, @kind, @seed and @flags; a leaf lock. */
	struct mutex lock;
	/** @mailbox: serialises uses of the mailbox; a leaf, taken under a BO lock. */
	struct mutex mailbox;
	/** @id: object to check; 0 before the first request. */
	u64 id;
	/** @kind: IVGPU_CHECK_KIND_*. */
	u32 kind;
	/** @flags: IVGPU_CHECK_F_*. */
	u32 flags;
	/** @seed: pattern seed, or the fill byte. */
	u64 seed;
};

/**
 * struct ivgpu_check_result - what the device found in an object's VRAM
 */
struct ivgpu_check_result {
	/** @status: IVGPU_CHECK_OK, _MISMATCH, or the first error status. */
	u32 status;
	/** @mismatches: bytes that differ, over all extents. */
	u64 mismatches;
	/** @first_mismatch: object offset of the first byte that differs, or ~0. */
	u64 first_mismatch;
	/** @from_windows: bytes the device read from windows. */
	u64 from_windows;
	/** @crc32: CRC-32 of the object when it is one extent, else 0. */
	u32 crc32;
	/** @extents: extents checked (one device check each). */
	unsigned int extents;
};

/**
 * struct ivgpu_file - per-file state of the driver
 *
 * &drm_file.driver_priv; made at open, freed after the file's handles are
 * released.
 */
struct ivgpu_file {
	/**
	 * @kmaps: kernel mappings held through DRM_IOCTL_IVGPU_GEM_MAP, by
	 * map id (from 1; at most the kmap_per_file module parameter).  Each
	 * entry is a &struct ivgpu_kmap this file holds one use of.
	 */
	struct xarray kmaps;
	/**
	 * @entity: the file's scheduler entity: its jobs run in submission
	 * order.  Set up only when the device has a co-processor.
	 */
	struct drm_sched_entity entity;
	/** @has_entity: @entity is set up. */
	bool has_entity;
	/** @submit_lock: arms and pushes the file's jobs, in order. */
	struct mutex submit_lock;
};

/**
 * struct ivgpu_ring_stats - counters of the co-processor
 *
 * Monotonic since probe; shown in debugfs ivgpu_ring.
 */
struct ivgpu_ring_stats {
	/** @jobs: jobs queued, the driver's own included. */
	atomic64_t jobs;
	/** @kernel_jobs: of those, the driver's own (clears and moves). */
	atomic64_t kernel_jobs;
	/** @cmds: commands written to the ring, fences included. */
	atomic64_t cmds;
	/** @fences: hardware fences signalled by the ring interrupt. */
	atomic64_t fences;
	/** @timeouts: jobs that timed out and had their fence set to an error. */
	atomic64_t timeouts;
	/** @resets: engine resets (at probe, after a timeout or an error). */
	atomic64_t resets;
	/** @errors: co-processor errors the device reported. */
	atomic64_t errors;
	/** @clears: new objects zeroed by the co-processor. */
	atomic64_t clears;
	/** @clears_cpu: new objects zeroed by the CPU. */
	atomic64_t clears_cpu;
	/** @copies: objects moved by the co-processor. */
	atomic64_t copies;
	/** @copies_cpu: objects moved by the CPU. */
	atomic64_t copies_cpu;
};

/**
 * struct ivgpu_ring - the co-processor: its ring in VRAM and its scheduler
 *
 * Set up by ivgpu_ring_init() when the device has IVGPU_CAP_COPROC; with no
 * co-processor @present is false and nothing else is used.  See
 * ivgpu_ring.c and docs/coprocessor.md.
 */
struct ivgpu_ring {
	/** @present: the device has a co-processor and the ring is set up. */
	bool present;
	/** @vram: the ring's VRAM, from the heap; constant. */
	struct ivgpu_vram_res *vram;
	/** @base: VRAM offset of the ring; constant. */
	u64 base;
	/** @size: bytes of the ring, a power of two; constant. */
	u32 size;
	/** @job_cmds: commands one job may write, its fence included; constant. */
	u32 job_cmds;
	/** @map: large BAR: kernel mapping of the ring (device-managed), else NULL. */
	void __iomem *map;
	/**
	 * @lock: serialises writes to the ring and resets; protects @tail,
	 * @next_seq, @dead and @wedged.
	 */
	struct mutex lock;
	/** @tail: byte offset in the ring where the next command goes. */
	u32 tail;
	/** @next_seq: sequence number of the next hardware fence. */
	u64 next_seq;
	/** @dead: the device is gone (unplugged): nothing reaches it any more. */
	bool dead;
	/** @wedged: a reset was not acknowledged: every job fails with -EIO. */
	bool wedged;
	/**
	 * @resets: engine resets so far; a job whose commands were written
	 * before the last reset is no longer on the ring.
	 */
	u32 resets;
	/** @fence_lock: lock of the hardware fences; protects @fences and @error. */
	spinlock_t fence_lock;
	/** @fences: hardware fences of jobs on the ring, in sequence order. */
	struct list_head fences;
	/** @fence_context: dma_fence context of the hardware fences. */
	u64 fence_context;
	/** @error: IVGPU_ERROR_* the device reported since the last reset, or 0. */
	u32 error;
	/** @reset_wq: woken by the ring interrupt, which acknowledges resets. */
	wait_queue_head_t reset_wq;
	/** @sched: the GPU scheduler of the ring. */
	struct drm_gpu_scheduler sched;
	/** @sched_list: @sched, as drm_sched_entity_init() wants it. */
	struct drm_gpu_scheduler *sched_list[1];
	/** @kernel_entity: the driver's own jobs (clears and moves). */
	struct drm_sched_entity kernel_entity;
	/** @kernel_lock: arms and pushes the jobs of @kernel_entity. */
	struct mutex kernel_lock;
	/** @jobs: jobs not yet freed; teardown waits for 0. */
	atomic_t jobs;
	/** @jobs_wq: woken when @jobs drops to 0. */
	wait_queue_head_t jobs_wq;
	/** @stats: counters. */
	struct ivgpu_ring_stats stats;
};

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/**
 * struct ivgpu_fault - the driver's own fault-injection points
 *
 * Off unless set up through debugfs or a task's fail-nth; see ivgpu_fault.c.
 */
struct ivgpu_fault {
	/** @vram_alloc: fails VRAM allocations as if VRAM were full. */
	struct fault_attr vram_alloc;
	/** @kmap: fails kernel mappings of VRAM as if ioremap or vmap had. */
	struct fault_attr kmap;
};
#endif

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
	/** @bos: every buffer object, for debugfs. */
	struct ivgpu_bo_list bos;
	/** @mm_stats: user-mapping counters. */
	struct ivgpu_mm_stats mm_stats;
	/** @kmap_cache: the kernel-mapping cache. */
	struct ivgpu_kmap_cache kmap_cache;
	/** @windows: the banked windows (small BAR). */
	struct ivgpu_windows windows;
	/** @dump: the request of debugfs ivgpu_bo_dump. */
	struct ivgpu_bo_dump dump;
	/** @check: the request of debugfs ivgpu_vram_check. */
	struct ivgpu_vram_check check;
	/** @ring: the co-processor. */
	struct ivgpu_ring ring;
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
	/** @fault: the driver's own fault-injection points. */
	struct ivgpu_fault fault;
#endif
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

/**
 * to_ivgpu_bo - the ivgpu buffer object of a GEM object
 * @obj: a GEM object created by this driver
 *
 * Return: the &struct ivgpu_bo embedding @obj.
 */
static inline struct ivgpu_bo *to_ivgpu_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct ivgpu_bo, base);
}

/**
 * ivgpu_of_bo - the device of a buffer object
 * @bo: the object
 *
 * Return: the &struct ivgpu_device @bo belongs to.
 */
static inline struct ivgpu_device *ivgpu_of_bo(const struct ivgpu_bo *bo)
{
	return to_ivgpu(bo->base.dev);
}

#endif /* _IVGPU_TYPES_H_ */
