/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ivgpu driver: constants, register accessors and the functions the
 * driver's files share.
 */
#ifndef _IVGPU_DRV_H_
#define _IVGPU_DRV_H_

#include <linux/export.h>
#include <linux/io.h>
#include <linux/mm_types.h>
#include <linux/kconfig.h>
#include <linux/sizes.h>
#include <linux/types.h>

#include "ivgpu_regs.h"
#include "ivgpu_types.h"

struct drm_device;
struct drm_file;
struct drm_ivgpu_cmd;
struct drm_ivgpu_gem_map;
struct drm_minor;
struct drm_printer;
struct file;
struct pci_dev;
struct vm_area_struct;
struct vm_fault;

#define IVGPU_DRIVER_NAME	"ivgpu"
#define IVGPU_DRIVER_DESC	"ivshmem-backed GPU with device memory"
#define IVGPU_DRIVER_DATE	"20261122"
#define IVGPU_DRIVER_MAJOR	0
#define IVGPU_DRIVER_MINOR	1

/* Round trips tried at probe before giving up on the device's interrupts. */
#define IVGPU_PROBE_PING_ATTEMPTS	3
/* Upper bound of the ping_timeout_ms module parameter. */
#define IVGPU_PING_TIMEOUT_MAX_MS	60000u
/* Upper bound of the prefault_pages module parameter: 4 MiB per fault. */
#define IVGPU_PREFAULT_MAX		1024u
/* Upper bound of the kmap_per_file module parameter. */
#define IVGPU_KMAP_PER_FILE_MAX		4096u
/* Upper bound of the bank_timeout_ms module parameter. */
#define IVGPU_BANK_TIMEOUT_MAX_MS	60000u
/* Upper bound of the window_residency_us module parameter: 100 ms. */
#define IVGPU_WINDOW_RESIDENCY_MAX_US	100000u
/* Upper bound of the job_timeout_ms module parameter. */
#define IVGPU_JOB_TIMEOUT_MAX_MS	60000u
/* Largest dump debugfs ivgpu_bo_dump makes. */
#define IVGPU_BO_DUMP_MAX		SZ_64K

/**
 * struct ivgpu_modparams - module parameters
 *
 * Set at module load or, where the parameter is writable, through sysfs at
 * any time: readers use READ_ONCE() and sanitize the value.
 */
struct ivgpu_modparams {
	/**
	 * @ping_timeout_ms: milliseconds to wait for the device to answer one
	 * interrupt round trip, clamped to 1..IVGPU_PING_TIMEOUT_MAX_MS.
	 */
	unsigned int ping_timeout_ms;
	/**
	 * @prefault_pages: page-table entries a user fault inserts at most:
	 * the naturally aligned run of that many pages around the faulting
	 * address, clamped to the VMA and to the VRAM extent of the fault.
	 * Clamped to 1..IVGPU_PREFAULT_MAX; 1 disables prefaulting.
	 */
	unsigned int prefault_pages;
	/**
	 * @kmap_cache_limit: idle kernel mappings kept cached for reuse; the
	 * least recently used beyond it are unmapped.  0 unmaps a mapping as
	 * soon as its last user lets go.
	 */
	unsigned int kmap_cache_limit;
	/**
	 * @kmap_per_file: kernel mappings one file may hold through
	 * DRM_IOCTL_IVGPU_GEM_MAP (more get -ENOSPC); clamped to
	 * 1..IVGPU_KMAP_PER_FILE_MAX.
	 */
	unsigned int kmap_per_file;
	/**
	 * @bank_timeout_ms: milliseconds to wait for the device to acknowledge
	 * one bank switch (small BAR), clamped to 1..IVGPU_BANK_TIMEOUT_MAX_MS.
	 */
	unsigned int bank_timeout_ms;
	/**
	 * @window_residency_us: microseconds a window keeps its bank before
	 * another task may slide it away (small BAR), clamped to
	 * 0..IVGPU_WINDOW_RESIDENCY_MAX_US; 0 lets any fault steal at once.
	 */
	unsigned int window_residency_us;
	/**
	 * @job_timeout_ms: milliseconds a co-processor job may run before it
	 * is timed out and the engine reset, clamped to
	 * 1..IVGPU_JOB_TIMEOUT_MAX_MS; a change applies from the next job
	 * that starts.
	 */
	unsigned int job_timeout_ms;
	/**
	 * @use_coproc: the driver zeroes new objects and copies moved ones
	 * with the co-processor when the device has one; else the CPU does.
	 */
	bool use_coproc;
};

extern struct ivgpu_modparams ivgpu_modparams;

/*
 * EXPORT_SYMBOL_FOR_IVGPU_KUNIT - export @sym to the KUnit test module
 * (drivers/gpu/drm/ivgpu/tests), in the IVGPU_KUNIT namespace, when the
 * kernel has KUnit; without it the symbol stays private to ivgpu.ko.
 */
#if IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_FOR_IVGPU_KUNIT(sym)	EXPORT_SYMBOL_NS_GPL(sym, IVGPU_KUNIT)
#else
#define EXPORT_SYMBOL_FOR_IVGPU_KUNIT(sym)
#endif

/**
 * ivgpu_rd32 - read a 32-bit device register
 * @ivgpu: the device
 * @reg: offset in the register block, IVGPU_REG_*
 *
 * Return: the register's value.
 */
static inline u32 ivgpu_rd32(const struct ivgpu_device *ivgpu, u32 reg)
{
	return ioread32(ivgpu->regs + reg);
}

/**
 * ivgpu_wr32 - write a 32-bit device register
 * @ivgpu: the device
 * @reg: offset in the register block, IVGPU_REG_*
 * @val: value to write
 */
static inline void ivgpu_wr32(const struct ivgpu_device *ivgpu, u32 reg, u32 val)
{
	iowrite32(val, ivgpu->regs + reg);
}

/**
 * ivgpu_rd64 - read a 64-bit device register
 * @ivgpu: the device
 * @reg: offset in the register block, IVGPU_REG_*, 8-byte aligned
 *
 * As the register contract requires, the low half is read first.  The two
 * halves are not read atomically: a register the device changes may tear.
 *
 * Return: the register's value.
 */
static inline u64 ivgpu_rd64(const struct ivgpu_device *ivgpu, u32 reg)
{
	u64 lo = ioread32(ivgpu->regs + reg);
	u64 hi = ioread32(ivgpu->regs + reg + 4);

	return hi << 32 | lo;
}

/**
 * ivgpu_doorbell - notify the device
 * @ivgpu: the device
 * @vector: what happened, IVGPU_DB_*
 *
 * Rings ivshmem's doorbell of the device's peer.  Callers that want the
 * device to see register writes made before the doorbell order them with
 * wmb() first.
 */
static inline void ivgpu_doorbell(const struct ivgpu_device *ivgpu, u16 vector)
{
	iowrite32(IVSHMEM_DOORBELL(ivgpu->config.dev_peer_id, vector),
		  ivgpu->ivshmem + IVSHMEM_REG_DOORBELL);
}

/* ivgpu_config.c */
int ivgpu_config_detect(struct pci_dev *pdev, void __iomem **regs);
int ivgpu_config_init(struct ivgpu_device *ivgpu);
u64 ivgpu_config_cpu_visible_size(const struct ivgpu_config *config);
const char *ivgpu_size_str(u64 bytes, char *buf, size_t len);

/* ivgpu_irq.c */
int ivgpu_irq_init(struct ivgpu_device *ivgpu);
int ivgpu_ping(struct ivgpu_device *ivgpu, unsigned int attempts,
	       u32 *seq, u64 *latency_ns);

/* ivgpu_vram.c */
int ivgpu_vram_heap_init(struct ivgpu_vram *vram, u64 size);
void ivgpu_vram_heap_fini(struct ivgpu_vram *vram);
int ivgpu_vram_init(struct ivgpu_device *ivgpu);
struct ivgpu_vram_res *ivgpu_vram_alloc(struct ivgpu_device *ivgpu, u64 size,
					u64 alignment, bool contiguous, u64 owner_id);
void ivgpu_vram_free(struct ivgpu_device *ivgpu, struct ivgpu_vram_res *res);
const struct ivgpu_vram_extent *ivgpu_vram_res_find(const struct ivgpu_vram_res *res,
						    u64 offset);
bool ivgpu_vram_cpu_visible(const struct ivgpu_device *ivgpu);
int ivgpu_vram_cpu_phys(const struct ivgpu_device *ivgpu, u64 vram_offset, u64 size,
			phys_addr_t *phys);
void ivgpu_vram_stats(struct ivgpu_device *ivgpu, u64 *used, u64 *largest_free,
		      unsigned int *objects);
void ivgpu_vram_print(struct ivgpu_device *ivgpu, struct drm_printer *p);

/* ivgpu_bo.c */
void ivgpu_bo_init(struct ivgpu_device *ivgpu);
int ivgpu_bo_check_create(u64 vram_size, u64 size, u64 alignment, u32 kind, u32 flags,
			  u64 *rounded);
int ivgpu_bo_range_check(u64 obj_size, u64 offset, u64 size);
int ivgpu_bo_range_resolve(u64 obj_size, u64 offset, u64 *size);
int ivgpu_bo_create_handle(struct ivgpu_device *ivgpu, struct drm_file *file, u64 *size,
			   u64 alignment, u32 kind, u32 flags, u32 *handle);
struct ivgpu_bo *ivgpu_bo_lookup(struct drm_file *file, u32 handle);
struct ivgpu_bo *ivgpu_bo_find(struct ivgpu_device *ivgpu, u64 id);
void ivgpu_bo_put(struct ivgpu_bo *bo);
int ivgpu_bo_move_locked(struct ivgpu_bo *bo, bool contiguous);
void ivgpu_bo_print_all(struct ivgpu_device *ivgpu, struct drm_printer *p);
int ivgpu_bo_prime_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma);
int ivgpu_ioctl_gem_create(struct drm_device *drm, void *data, struct drm_file *file);
int ivgpu_ioctl_gem_info(struct drm_device *drm, void *data, struct drm_file *file);
int ivgpu_ioctl_gem_move(struct drm_device *drm, void *data, struct drm_file *file);

/* ivgpu_mmap.c */
void ivgpu_mmap_prefault_span(unsigned long addr, unsigned long vm_start,
			      unsigned long vm_end, u64 in_ext, u64 ext_size,
			      unsigned long block, unsigned long *before,
			      unsigned long *after);
int ivgpu_mmap(struct file *filp, struct vm_area_struct *vma);
void ivgpu_mmap_zap(struct ivgpu_bo *bo, u64 offset, u64 size);
int ivgpu_mmap_user(struct drm_file *file, struct ivgpu_bo *bo, u64 offset, u64 size,
		    u64 *addr);
int ivgpu_ioctl_gem_mmap_offset(struct drm_device *drm, void *data, struct drm_file *file);
int ivgpu_ioctl_gem_revoke(struct drm_device *drm, void *data, struct drm_file *file);

/* ivgpu_kmap.c */
void ivgpu_kmap_cache_init(struct ivgpu_kmap_cache *cache, const struct ivgpu_kmap_ops *ops);
int ivgpu_kmap_init(struct ivgpu_device *ivgpu);
int ivgpu_kmap_check_map_args(const struct drm_ivgpu_gem_map *args);
void ivgpu_kmap_unplug(struct ivgpu_device *ivgpu);
struct ivgpu_kmap *ivgpu_kmap(struct ivgpu_bo *bo, u64 offset, u64 size, bool *reused);
void ivgpu_kunmap(struct ivgpu_kmap *map);
void ivgpu_kmap_drop_idle(struct ivgpu_bo *bo);
int ivgpu_kmap_access(struct ivgpu_bo *bo, u64 offset, void *buf, size_t len, bool write);
int ivgpu_kmap_clear_vram(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res);
int ivgpu_kmap_copy_vram(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *dst,
			 const struct ivgpu_vram_res *src);
void ivgpu_kmap_file_init(struct ivgpu_file *ifile);
void ivgpu_kmap_file_fini(struct ivgpu_file *ifile);
int ivgpu_ioctl_gem_pread(struct drm_device *drm, void *data, struct drm_file *file);
int ivgpu_ioctl_gem_pwrite(struct drm_device *drm, void *data, struct drm_file *file);
int ivgpu_ioctl_gem_map(struct drm_device *drm, void *data, struct drm_file *file);
int ivgpu_ioctl_gem_unmap(struct drm_device *drm, void *data, struct drm_file *file);

/* ivgpu_ring.c */
int ivgpu_ring_init(struct ivgpu_device *ivgpu);
void ivgpu_ring_unplug(struct ivgpu_device *ivgpu);
void ivgpu_ring_irq(struct ivgpu_device *ivgpu);
void ivgpu_ring_error(struct ivgpu_device *ivgpu, u32 code, u64 arg);
int ivgpu_ring_file_init(struct ivgpu_device *ivgpu, struct ivgpu_file *ifile);
void ivgpu_ring_file_fini(struct ivgpu_file *ifile);
int ivgpu_ring_clear_vram(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res);
int ivgpu_ring_copy_vram(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *dst,
			 const struct ivgpu_vram_res *src);
int ivgpu_submit_check_cmd(const struct drm_ivgpu_cmd *c, u64 dst_size, u64 src_size,
			   bool same);
void ivgpu_ring_print(struct ivgpu_device *ivgpu, struct drm_printer *p);
int ivgpu_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);
int ivgpu_ioctl_gem_wait(struct drm_device *drm, void *data, struct drm_file *file);

/* ivgpu_check.c */
int ivgpu_check_bo(struct ivgpu_bo *bo, u32 kind, u64 seed, u32 flags,
		   struct ivgpu_check_result *res);

/* ivgpu_window.c */
int ivgpu_window_init(struct ivgpu_device *ivgpu);
void ivgpu_window_irq(struct ivgpu_device *ivgpu);
void ivgpu_window_track(struct ivgpu_bo *bo, struct ivgpu_vram_res *res);
void ivgpu_window_untrack(struct ivgpu_device *ivgpu, struct ivgpu_vram_res *res);
vm_fault_t ivgpu_window_fault(struct ivgpu_bo *bo, struct vm_fault *vmf, u64 offset);
int ivgpu_window_rw(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res, u64 offset,
		    void *buf, u64 len, bool write);
int ivgpu_window_clear(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res);
int ivgpu_window_copy(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *dst,
		      const struct ivgpu_vram_res *src);
void ivgpu_window_print(struct ivgpu_device *ivgpu, struct drm_printer *p);

/* ivgpu_fault.c: the driver's own fault-injection points */
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
int ivgpu_fault_init(struct ivgpu_device *ivgpu);
void ivgpu_fault_debugfs_init(struct drm_minor *minor);
bool ivgpu_fault_vram_alloc(struct ivgpu_device *ivgpu, u64 size);
bool ivgpu_fault_kmap(struct ivgpu_device *ivgpu, u64 size);
#else
static inline int ivgpu_fault_init(struct ivgpu_device *ivgpu)
{
	return 0;
}

static inline void ivgpu_fault_debugfs_init(struct drm_minor *minor)
{
}

static inline bool ivgpu_fault_vram_alloc(struct ivgpu_device *ivgpu, u64 size)
{
	return false;
}

static inline bool ivgpu_fault_kmap(struct ivgpu_device *ivgpu, u64 size)
{
	return false;
}
#endif

/* ivgpu_debugfs.c */
#if IS_ENABLED(CONFIG_DEBUG_FS)
void ivgpu_debugfs_init(struct drm_minor *minor);
#else
static inline void ivgpu_debugfs_init(struct drm_minor *minor)
{
}
#endif

#endif /* _IVGPU_DRV_H_ */
