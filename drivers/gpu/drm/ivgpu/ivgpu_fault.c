// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu fault injection, built only with CONFIG_FAULT_INJECTION.
 *
 * Two of the driver's failure points do not go through the slab or page
 * allocator, so failslab and fail_page_alloc cannot reach them:
 *
 * - VRAM allocation (ivgpu_vram.c): the heap behaves as if it were full,
 *   and the allocation fails with -ENOSPC.
 * - kernel mapping creation (ivgpu_kmap.c): ioremap_wc() or vmap_pfn()
 *   behaves as if it returned NULL (-ENOMEM); with a small BAR, where kernel
 *   mappings are windowed and copies pin banked windows instead, making a
 *   windowed mapping and pinning a window fail the same way
 *   (ivgpu_window.c).
 *
 * Each is a fault attribute of the device, off by default, set up like any
 * other with CONFIG_FAULT_INJECTION_DEBUG_FS, in the primary node's debugfs
 * directory:
 *
 *   /sys/kernel/debug/dri/<minor>/fail_vram_alloc/{probability,interval,times,...}
 *   /sys/kernel/debug/dri/<minor>/fail_kmap/...
 *
 * They also count towards a task's /proc/<pid>/task/<tid>/fail-nth like every
 * fault attribute, which is how the kselftest ivgpu_faultinj walks every
 * failure point of an ioctl in turn (see docs/testing.md).
 */

#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/ratelimit.h>

#include <drm/drm_file.h>
#include <drm/drm_managed.h>

#include "ivgpu_drv.h"

static void ivgpu_fault_fini(struct drm_device *drm, void *data)
{
	struct ivgpu_fault *fault = data;

	/*
	 * Creating an attribute's directory took a reference to it for its
	 * messages; the directory itself went with the DRM minor's.
	 */
	dput(fault->vram_alloc.dname);
	dput(fault->kmap.dname);
}

/**
 * ivgpu_fault_init - set up the device's fault attributes, all off
 * @ivgpu: the device
 *
 * Return: 0 or a negative errno.
 */
int ivgpu_fault_init(struct ivgpu_device *ivgpu)
{
	struct ivgpu_fault *fault = &ivgpu->fault;

	fault->vram_alloc = (struct fault_attr)FAULT_ATTR_INITIALIZER;
	fault->kmap = (struct fault_attr)FAULT_ATTR_INITIALIZER;
	/* The initializer's lock is meant for static attributes: give them a lock class. */
	ratelimit_state_init(&fault->vram_alloc.ratelimit_state, 0, DEFAULT_RATELIMIT_BURST);
	ratelimit_state_init(&fault->kmap.ratelimit_state, 0, DEFAULT_RATELIMIT_BURST);
	return drmm_add_action_or_reset(&ivgpu->drm, ivgpu_fault_fini, fault);
}

/**
 * ivgpu_fault_debugfs_init - the fault attributes' debugfs directories
 * @minor: a DRM minor of the device; only the primary one gets them
 *
 * The DRM core removes them with the minor's directory.
 */
void ivgpu_fault_debugfs_init(struct drm_minor *minor)
{
	struct ivgpu_fault *fault = &to_ivgpu(minor->dev)->fault;

	/* One directory per attribute: each keeps a reference to its own. */
	if (minor->type != DRM_MINOR_PRIMARY)
		return;
	fault_create_debugfs_attr("fail_vram_alloc", minor->debugfs_root, &fault->vram_alloc);
	fault_create_debugfs_attr("fail_kmap", minor->debugfs_root, &fault->kmap);
}

/**
 * ivgpu_fault_vram_alloc - whether this VRAM allocation is to fail
 * @ivgpu: the device
 * @size: bytes asked for
 *
 * Return: true to fail it as if VRAM were full.
 */
bool ivgpu_fault_vram_alloc(struct ivgpu_device *ivgpu, u64 size)
{
	return should_fail(&ivgpu->fault.vram_alloc, size);
}

/**
 * ivgpu_fault_kmap - whether this kernel mapping is to fail
 * @ivgpu: the device
 * @size: bytes to map
 *
 * Return: true to fail it as if ioremap_wc() or vmap_pfn() returned NULL.
 */
bool ivgpu_fault_kmap(struct ivgpu_device *ivgpu, u64 size)
{
	return should_fail(&ivgpu->fault.kmap, size);
}
