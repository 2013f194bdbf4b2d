// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu user mappings.
 *
 * mmap() of a DRM file at an object's fake offset (plus any page-aligned
 * offset into the object) maps that part of the object.  The DRM core's
 * drm_gem_mmap() only accepts a range that starts exactly at an object, so
 * this driver has its own: it accepts any range that lies inside one
 * object, for a file that holds a handle to it.
 *
 * Mappings are shared only, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP,
 * write-combined, and empty when made: the fault handler inserts the PTEs.
 * A fault maps the run of pages around the faulting address that lies in
 * the same VRAM extent and inside the VMA: the naturally aligned block of
 * prefault_pages virtual pages holding the address, so a sequential first
 * touch takes one fault per block and a random one still maps whole blocks.
 * Huge PMD entries for PFN maps are not safe on 6.1 and are not used.
 * With a small BAR the fault goes through a banked window instead, and
 * inserts what the window shows (ivgpu_window_fault()).
 *
 * Every VMA's file is a DRM file, whose f_mapping is the device's one
 * address space (drm_device.anon_inode), and its vm_pgoff is the fake
 * offset.  So one unmap_mapping_range() over an object's fake-offset range
 * removes its PTEs in every process that maps it, whatever part of it each
 * maps: that is the zap, used by revoke and move, and by the DRM core at
 * unplug for the whole device.
 *
 * Each VMA holds a reference to its object (taken at mmap, and in ->open()
 * when a VMA is split, copied by fork or moved by mremap), so the object
 * and its VRAM outlive GEM_CLOSE and close() while a mapping exists.
 */

#include <linux/align.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/overflow.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_vma_manager.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu_drv.h"

/* Offset in the object of the first byte of @vma. */
static u64 ivgpu_vma_offset(const struct vm_area_struct *vma, const struct ivgpu_bo *bo)
{
	return (u64)(vma->vm_pgoff - drm_vma_node_start(&bo->base.vma_node)) << PAGE_SHIFT;
}

/*
 * Take the BO lock in a fault.  The fault holds mmap_lock, and a BO lock
 * holder may be busy for a while (a move copies the whole object), so when
 * the lock is contended and the fault may be retried, drop mmap_lock, wait
 * for the lock holder to finish and have the fault retried.
 *
 * Return: 0 with the lock held, or what the fault handler must return.
 */
static vm_fault_t ivgpu_vm_lock(struct ivgpu_bo *bo, struct vm_fault *vmf)
{
	struct dma_resv *resv = bo->base.resv;

	if (dma_resv_trylock(resv))
		return 0;

	if (fault_flag_allow_retry_first(vmf->flags)) {
		if (!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
			/*
			 * Without mmap_lock the VMA, and its references, may go:
			 * take the object, and the VMA's file.  An object holds
			 * no reference to its device; the file does (and to the
			 * module).  Were the file's last reference to go while
			 * this waits, after an unplug, the device would be
			 * released with the object still alive, and the object's
			 * free below would then use a freed device.  fput()
			 * releases the file after the object, from task work.
			 */
			struct file *filp = get_file(vmf->vma->vm_file);

			drm_gem_object_get(&bo->base);
			mmap_read_unlock(vmf->vma->vm_mm);
			if (!dma_resv_lock_interruptible(resv, NULL))
				dma_resv_unlock(resv);
			drm_gem_object_put(&bo->base);
			fput(filp);
		}
		return VM_FAULT_RETRY;
	}

	/* No retry allowed: wait with mmap_lock held, as the lock order permits. */
	if (dma_resv_lock_interruptible(resv, NULL))
		return VM_FAULT_NOPAGE;
	return 0;
}

static unsigned long ivgpu_prefault_pages(void)
{
	return clamp(READ_ONCE(ivgpu_modparams.prefault_pages), 1u, IVGPU_PREFAULT_MAX);
}

/**
 * ivgpu_mmap_prefault_span - the pages one user fault maps
 * @addr: page-aligned faulting address
 * @vm_start: first address of the VMA
 * @vm_end: first address after the VMA
 * @in_ext: offset of the faulting page in its VRAM extent
 * @ext_size: bytes of that extent
 * @block: pages in a prefault block, at least 1
 * @before: set to the pages mapped below @addr
 * @after: set to the pages mapped from @addr on, at least 1
 *
 * The naturally aligned block of @block virtual pages that holds @addr,
 * clamped to the VMA and to the extent, so that the pages' PFNs are
 * consecutive.
 */
void ivgpu_mmap_prefault_span(unsigned long addr, unsigned long vm_start,
			      unsigned long vm_end, u64 in_ext, u64 ext_size,
			      unsigned long block, unsigned long *before,
			      unsigned long *after)
{
	unsigned long b, a;

	/* Pages before the fault and from it on, in its aligned block... */
	b = (addr >> PAGE_SHIFT) % block;
	a = block - b;
	/* ...that are in the VMA... */
	b = min(b, (addr - vm_start) >> PAGE_SHIFT);
	a = min(a, (vm_end - addr) >> PAGE_SHIFT);
	/* ...and in the extent, so that their PFNs are consecutive. */
	*before = min_t(u64, b, in_ext >> PAGE_SHIFT);
	*after = min_t(u64, a, (ext_size - in_ext) >> PAGE_SHIFT);
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_mmap_prefault_span);

/* Insert the PTEs around the fault; the BO lock is held. */
static vm_fault_t ivgpu_vm_insert(struct ivgpu_bo *bo, struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ivgpu_device *ivgpu = ivgpu_of_bo(bo);
	unsigned long addr = vmf->address & PAGE_MASK;
	unsigned long block = ivgpu_prefault_pages();
	const struct ivgpu_vram_extent *ext;
	unsigned long before, after, first, i;
	vm_fault_t ret = VM_FAULT_NOPAGE;
	u64 offset, in_ext;
	phys_addr_t phys;

	offset = ivgpu_vma_offset(vma, bo) + (addr - vma->vm_start);
	/* Small BAR: through a banked window, see ivgpu_window.c. */
	if (!ivgpu_vram_cpu_visible(ivgpu))
		return ivgpu_window_fault(bo, vmf, offset);

	ext = offset < bo->base.size ? ivgpu_vram_res_find(bo->vram, offset) : NULL;
	if (!ext)
		return VM_FAULT_SIGBUS;
	in_ext = offset - ext->offset;

	ivgpu_mmap_prefault_span(addr, vma->vm_start, vma->vm_end, in_ext, ext->size, block,
				 &before, &after);

	if (ivgpu_vram_cpu_phys(ivgpu, ext->start + in_ext - ((u64)before << PAGE_SHIFT),
				(u64)(before + after) << PAGE_SHIFT, &phys))
		return VM_FAULT_SIGBUS;

	first = addr - (before << PAGE_SHIFT);
	for (i = 0; i < before + after; i++) {
		vm_fault_t r = vmf_insert_pfn_prot(vma, first + (i << PAGE_SHIFT),
						   PHYS_PFN(phys) + i, vma->vm_page_prot);

		if (r & VM_FAULT_ERROR) {
			/* Only the faulting page has to be there. */
			if (i <= before)
				ret = r;
			break;
		}
	}

	atomic64_inc(&ivgpu->mm_stats.faults);
	atomic64_add(i, &ivgpu->mm_stats.pages_inserted);
	return ret;
}

static vm_fault_t ivgpu_vm_fault(struct vm_fault *vmf)
{
	struct ivgpu_bo *bo = vmf->vma->vm_private_data;
	vm_fault_t ret;
	int idx;

	ret = ivgpu_vm_lock(bo, vmf);
	if (ret)
		return ret;

	/* After unplug BAR2 is gone: nothing may be mapped from it. */
	if (drm_dev_enter(bo->base.dev, &idx)) {
		ret = ivgpu_vm_insert(bo, vmf);
		drm_dev_exit(idx);
	} else {
		ret = VM_FAULT_SIGBUS;
	}

	dma_resv_unlock(bo->base.resv);
	return ret;
}

static void ivgpu_vm_open(struct vm_area_struct *vma)
{
	struct ivgpu_bo *bo = vma->vm_private_data;

	drm_gem_object_get(&bo->base);
}

static void ivgpu_vm_close(struct vm_area_struct *vma)
{
	struct ivgpu_bo *bo = vma->vm_private_data;

	ivgpu_bo_put(bo);
}

/*
 * ptrace() and /proc/PID/mem: copy through a kernel mapping.  Called with
 * the target's mmap_lock held; returns the bytes copied or a negative errno.
 * The permissions are those get_user_pages() applies to a shared mapping
 * with FOLL_FORCE: a read needs VM_MAYREAD, a write needs VM_WRITE (there
 * is no private copy to write to).
 */
static int ivgpu_vm_access(struct vm_area_struct *vma, unsigned long addr, void *buf,
			   int len, int write)
{
	struct ivgpu_bo *bo = vma->vm_private_data;
	u64 offset = ivgpu_vma_offset(vma, bo) + (addr - vma->vm_start);
	int ret;

	if (len < 1 || addr < vma->vm_start || addr >= vma->vm_end ||
	    offset >= bo->base.size)
		return -EIO;
	if (!(vma->vm_flags & (write ? VM_WRITE : VM_MAYREAD)))
		return -EIO;

	len = min_t(u64, len, bo->base.size - offset);
	len = min_t(unsigned long, len, vma->vm_end - addr);

	ret = ivgpu_kmap_access(bo, offset, buf, len, write);
	return ret ? ret : len;
}

static const struct vm_operations_struct ivgpu_vm_ops = {
	.fault = ivgpu_vm_fault,
	.open = ivgpu_vm_open,
	.close = ivgpu_vm_close,
	.access = ivgpu_vm_access,
};

/**
 * ivgpu_mmap - &file_operations.mmap of the DRM files
 * @filp: the DRM file
 * @vma: the new mapping; vm_pgoff is a fake offset inside an object
 *
 * Maps any page-aligned range that lies inside one object, for a file that
 * has a handle to it.  No PTE is made here; see ivgpu_vm_fault().
 *
 * Return: 0, -EINVAL for a private mapping or a range that is not inside
 * one object, -EACCES for a file without a handle to the object, -ENODEV
 * after unplug.
 */
int ivgpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct drm_file *file = filp->private_data;
	struct drm_device *drm = file->minor->dev;
	struct drm_vma_offset_manager *mgr = drm->vma_offset_manager;
	struct drm_gem_object *obj = NULL;
	struct drm_vma_offset_node *node;
	int ret;
	int idx;

	/* A private mapping would get copies on write: refuse it. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	drm_vma_offset_lock_lookup(mgr);
	node = drm_vma_offset_lookup_locked(mgr, vma->vm_pgoff, vma_pages(vma));
	if (node) {
		obj = container_of(node, struct drm_gem_object, vma_node);
		/* An object whose last reference is gone is being freed. */
		if (!kref_get_unless_zero(&obj->refcount))
			obj = NULL;
	}
	drm_vma_offset_unlock_lookup(mgr);

	if (!obj) {
		ret = -EINVAL;
		goto out_exit;
	}

	if (!drm_vma_node_is_allowed(node, file)) {
		ret = -EACCES;
		goto err_put;
	}

	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_page_prot = pgprot_writecombine(vm_get_page_prot(vma->vm_flags));
	vma->vm_ops = &ivgpu_vm_ops;
	/* The lookup's reference is the VMA's now; ivgpu_vm_close() drops it. */
	vma->vm_private_data = to_ivgpu_bo(obj);
	drm_dev_exit(idx);
	return 0;

err_put:
	drm_gem_object_put(obj);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

/**
 * ivgpu_mmap_zap - remove the user PTEs of a range of an object
 * @bo: the object; the caller holds the BO lock
 * @offset: page-aligned offset in the object
 * @size: page-aligned bytes
 *
 * One unmap_mapping_range() over the fake-offset range, on the device-wide
 * address space: every process, every VMA, whatever part of the object it
 * maps.  With the BO lock held, no fault can put a PTE back until the
 * caller lets go.
 */
void ivgpu_mmap_zap(struct ivgpu_bo *bo, u64 offset, u64 size)
{
	struct ivgpu_device *ivgpu = ivgpu_of_bo(bo);
	struct drm_device *drm = &ivgpu->drm;

	dma_resv_assert_held(bo->base.resv);

	unmap_mapping_range(drm->anon_inode->i_mapping,
			    drm_vma_node_offset_addr(&bo->base.vma_node) + offset, size, 1);
	atomic64_inc(&ivgpu->mm_stats.zaps);
	atomic64_add(size >> PAGE_SHIFT, &ivgpu->mm_stats.pages_zapped);
}

/**
 * ivgpu_mmap_user - map a range of an object into the calling process
 * @file: the caller's DRM file, which has a handle to @bo
 * @bo: the object
 * @offset: page-aligned offset in the object
 * @size: page-aligned bytes, inside the object
 * @addr: set to the user address of the mapping
 *
 * Exactly what mmap() of the fake offset does, shared and read-write.  The
 * caller holds no BO lock: this takes mmap_lock.
 *
 * Return: 0 or a negative errno (-ENOMEM when address space runs out).
 */
int ivgpu_mmap_user(struct drm_file *file, struct ivgpu_bo *bo, u64 offset, u64 size,
		    u64 *addr)
{
	unsigned long ret;

	ret = vm_mmap(file->filp, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      drm_vma_node_offset_addr(&bo->base.vma_node) + offset);
	if (IS_ERR_VALUE(ret))
		return (int)ret;

	*addr = ret;
	return 0;
}

/**
 * ivgpu_ioctl_gem_mmap_offset - DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_mmap_offset
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_mmap_offset
 * documents.
 */
int ivgpu_ioctl_gem_mmap_offset(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ivgpu_gem_mmap_offset *args = data;
	struct ivgpu_bo *bo;
	int ret = 0;
	int idx;

	if (args->flags)
		return -EINVAL;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	bo = ivgpu_bo_lookup(file, args->handle);
	if (!bo) {
		ret = -ENOENT;
		goto out_exit;
	}

	/* Made at creation, so it is stable for the object's life. */
	args->offset = drm_vma_node_offset_addr(&bo->base.vma_node);
	ivgpu_bo_put(bo);

out_exit:
	drm_dev_exit(idx);
	return ret;
}

/**
 * ivgpu_ioctl_gem_revoke - DRM_IOCTL_IVGPU_GEM_REVOKE
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_revoke
 * @file: the caller's file
 *
 * One zap of the range under the BO lock; the mappings stay and fault back.
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_revoke documents.
 */
int ivgpu_ioctl_gem_revoke(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ivgpu_gem_revoke *args = data;
	struct ivgpu_bo *bo;
	u64 size;
	int ret;
	int idx;

	if (args->flags || !IS_ALIGNED(args->offset, PAGE_SIZE) ||
	    !IS_ALIGNED(args->size, PAGE_SIZE))
		return -EINVAL;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	bo = ivgpu_bo_lookup(file, args->handle);
	if (!bo) {
		ret = -ENOENT;
		goto out_exit;
	}

	size = args->size;
	ret = ivgpu_bo_range_resolve(bo->base.size, args->offset, &size);
	if (ret)
		goto out_put;

	ret = dma_resv_lock_interruptible(bo->base.resv, NULL);
	if (ret)
		goto out_put;
	ivgpu_mmap_zap(bo, args->offset, size);
	dma_resv_unlock(bo->base.resv);
	atomic64_inc(&to_ivgpu(drm)->mm_stats.revokes);

out_put:
	ivgpu_bo_put(bo);
out_exit:
	drm_dev_exit(idx);
	return ret;
}
