// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu buffer objects.
 *
 * A buffer object is a GEM object backed by VRAM only (no shmem).  It is
 * created zeroed, with an mmap offset in the device-wide address space, and
 * lives while anything references it: a handle, a dma-buf, a VMA (each user
 * mapping holds a reference, taken at mmap and in vm_ops->open), or an
 * in-use kernel mapping.  Its VRAM goes back to the heap when the last
 * reference goes, and no sooner: a mapping outlives GEM_CLOSE and close().
 *
 * The BO lock is the GEM object's dma_resv.  It protects &ivgpu_bo.vram
 * against a move and serialises the fault handler, the zap, the kernel
 * mappings and the move; see ivgpu_types.h for the lock ordering.
 *
 * PRIME: an object can be exported as a dma-buf and imported back into any
 * file of the same device, which gets the same object (the DRM core's
 * self-import).  Foreign dma-bufs are refused by the core (this driver has
 * no gem_prime_import_sg_table), and no other device may attach to ours
 * (the pin callback refuses).  mmap() of the dma-buf itself is refused:
 * such a VMA would belong to the dma-buf's file, outside the device-wide
 * address space that zaps work on, so a revoke or move could not reach it.
 */

#include <linux/align.h>
#include <linux/dma-resv.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu_drv.h"

static void ivgpu_bo_free(struct drm_gem_object *obj)
{
	struct ivgpu_bo *bo = to_ivgpu_bo(obj);
	struct ivgpu_device *ivgpu = ivgpu_of_bo(bo);

	/* Idle kernel mappings hold no reference: they go with the object. */
	ivgpu_kmap_drop_idle(bo);
	drm_WARN_ON(obj->dev, !list_empty(&bo->kmaps));

	mutex_lock(&ivgpu->bos.lock);
	list_del(&bo->link);
	mutex_unlock(&ivgpu->bos.lock);

	/* No VMA references the object any more, so no PTE points into its VRAM. */
	ivgpu_window_untrack(ivgpu, bo->vram);
	ivgpu_vram_free(ivgpu, bo->vram);
	drm_gem_object_release(obj);
	kfree(bo);
}

/*
 * The dma-buf attach path pins; refusing it keeps other devices from
 * mapping VRAM through a dma-buf, which nothing supports yet.
 */
static int ivgpu_bo_pin(struct drm_gem_object *obj)
{
	return -EOPNOTSUPP;
}

static const struct drm_gem_object_funcs ivgpu_bo_funcs = {
	.free = ivgpu_bo_free,
	.pin = ivgpu_bo_pin,
};

/**
 * ivgpu_bo_prime_mmap - &drm_driver.gem_prime_mmap: refuse mmap of a dma-buf
 * @obj: the exported object
 * @vma: the mapping asked for, of the dma-buf's file
 *
 * A mapping of the dma-buf's file would escape the device-wide address
 * space, so revoke and move could not zap it.  Userspace maps the object
 * through a DRM file instead: import the dma-buf there and use its mmap
 * offset.
 *
 * Return: -EOPNOTSUPP.
 */
int ivgpu_bo_prime_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma)
{
	return -EOPNOTSUPP;
}

static struct ivgpu_bo *ivgpu_bo_create(struct ivgpu_device *ivgpu, u64 size,
					u64 alignment, u32 kind, u32 flags)
{
	struct ivgpu_vram_res *res;
	struct ivgpu_bo *bo;
	int ret;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);

	bo->id = atomic64_inc_return(&ivgpu->bos.next_id);
	bo->kind = kind;
	bo->placement = flags;
	if (kind == IVGPU_BO_FRAMEBUFFER)
		bo->placement |= IVGPU_BO_CONTIGUOUS;
	bo->alignment = alignment;
	INIT_LIST_HEAD(&bo->kmaps);

	res = ivgpu_vram_alloc(ivgpu, size, alignment, bo->placement & IVGPU_BO_CONTIGUOUS,
			       bo->id);
	if (IS_ERR(res)) {
		ret = PTR_ERR(res);
		goto err_free_bo;
	}

	/*
	 * New VRAM reads as zeros: the co-processor clears it when there is
	 * one, else (or if its jobs failed) the CPU does, through banked
	 * windows with a small BAR.
	 */
	ret = ivgpu_ring_clear_vram(ivgpu, res);
	if (ret) {
		ret = ivgpu_kmap_clear_vram(ivgpu, res);
		if (ret)
			goto err_free_vram;
		atomic64_inc(&ivgpu->ring.stats.clears_cpu);
	}
	bo->vram = res;
	bo->num_blocks = res->num_extents;

	bo->base.funcs = &ivgpu_bo_funcs;
	drm_gem_private_object_init(&ivgpu->drm, &bo->base, size);
	ret = drm_gem_create_mmap_offset(&bo->base);
	if (ret)
		goto err_release_object;

	/* Small BAR: window slides find the object's entries through this. */
	ivgpu_window_track(bo, res);

	mutex_lock(&ivgpu->bos.lock);
	list_add_tail(&bo->link, &ivgpu->bos.list);
	mutex_unlock(&ivgpu->bos.lock);
	return bo;

err_release_object:
	drm_gem_object_release(&bo->base);
err_free_vram:
	ivgpu_vram_free(ivgpu, res);
err_free_bo:
	kfree(bo);
	return ERR_PTR(ret);
}

/**
 * ivgpu_bo_check_create - validate an object creation request
 * @vram_size: bytes of VRAM of the device
 * @size: bytes asked for
 * @alignment: 0 or a power of two from the page size to @vram_size
 * @kind: an &enum drm_ivgpu_bo_kind
 * @flags: IVGPU_BO_* placement flags
 * @rounded: set on success to @size rounded up to the page size
 *
 * The checks and errnos of &struct drm_ivgpu_gem_create, without the
 * allocation.
 *
 * Return: 0, -EINVAL for a bad request (a zero size, or one that overflows
 * when rounded), -E2BIG for a size beyond VRAM.
 */
int ivgpu_bo_check_create(u64 vram_size, u64 size, u64 alignment, u32 kind, u32 flags,
			  u64 *rounded)
{
	u64 r;

	if (kind > IVGPU_BO_CMDBUF || flags & ~IVGPU_BO_FLAGS || !size)
		return -EINVAL;
	if (check_add_overflow(size, (u64)PAGE_SIZE - 1, &r))
		return -EINVAL;
	r = ALIGN_DOWN(r, PAGE_SIZE);
	if (alignment && (!is_power_of_2(alignment) || alignment < PAGE_SIZE ||
			  alignment > vram_size))
		return -EINVAL;
	if (r > vram_size)
		return -E2BIG;
	*rounded = r;
	return 0;
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_bo_check_create);

/**
 * ivgpu_bo_range_check - check a byte range of an object (pread, pwrite)
 * @obj_size: bytes of the object
 * @offset: first byte of the range, any alignment
 * @size: bytes of the range; 0 is an empty range
 *
 * Return: 0 when [@offset, @offset + @size) lies inside the object (an
 * empty range may sit at its end), -EINVAL when it does not or overflows.
 */
int ivgpu_bo_range_check(u64 obj_size, u64 offset, u64 size)
{
	u64 end;

	if (check_add_overflow(offset, size, &end) || end > obj_size)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_bo_range_check);

/**
 * ivgpu_bo_range_resolve - resolve a mapping range of an object (GEM_MAP, revoke)
 * @obj_size: bytes of the object
 * @offset: first byte of the range
 * @size: in, bytes of the range, 0 for "from @offset to the end"; out on
 *	success, the bytes of the range
 *
 * Alignment is the caller's to check.
 *
 * Return: 0 for a non-empty range inside the object, -EINVAL for an empty
 * one, one that overflows or one that does not lie inside the object.
 */
int ivgpu_bo_range_resolve(u64 obj_size, u64 offset, u64 *size)
{
	u64 n = *size, end;

	if (!n && offset < obj_size)
		n = obj_size - offset;
	if (!n || check_add_overflow(offset, n, &end) || end > obj_size)
		return -EINVAL;
	*size = n;
	return 0;
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_bo_range_resolve);

/**
 * ivgpu_bo_create_handle - validate a creation request, create, make a handle
 * @ivgpu: the device
 * @file: the file that gets the handle
 * @size: in, bytes asked for; out on success, the object's size
 * @alignment: 0 or a power of two from the page size to the VRAM size
 * @kind: an &enum drm_ivgpu_bo_kind
 * @flags: IVGPU_BO_* placement flags
 * @handle: set to the new handle on success
 *
 * The checks and errnos are those of &struct drm_ivgpu_gem_create.
 *
 * Return: 0, -EINVAL for a bad request, -E2BIG for a size beyond VRAM,
 * -ENOSPC when VRAM cannot hold it now, or another negative errno.
 */
int ivgpu_bo_create_handle(struct ivgpu_device *ivgpu, struct drm_file *file, u64 *size,
			   u64 alignment, u32 kind, u32 flags, u32 *handle)
{
	struct ivgpu_bo *bo;
	u64 rounded;
	int ret;

	ret = ivgpu_bo_check_create(ivgpu->config.vram_size, *size, alignment, kind, flags,
				    &rounded);
	if (ret)
		return ret;

	bo = ivgpu_bo_create(ivgpu, rounded, alignment, kind, flags);
	if (IS_ERR(bo))
		return PTR_ERR(bo);

	ret = drm_gem_handle_create(file, &bo->base, handle);
	/* The handle holds the object now; without one, this frees it. */
	drm_gem_object_put(&bo->base);
	if (ret)
		return ret;

	*size = rounded;
	return 0;
}

/**
 * ivgpu_bo_lookup - the object behind a handle
 * @file: the file the handle belongs to
 * @handle: the handle
 *
 * Return: the object with a reference the caller drops with ivgpu_bo_put(),
 * or NULL for an unknown handle.
 */
struct ivgpu_bo *ivgpu_bo_lookup(struct drm_file *file, u32 handle)
{
	struct drm_gem_object *obj = drm_gem_object_lookup(file, handle);

	return obj ? to_ivgpu_bo(obj) : NULL;
}

/**
 * ivgpu_bo_find - the object with a device-wide id
 * @ivgpu: the device
 * @id: &ivgpu_bo.id
 *
 * Return: the object with a reference the caller drops with ivgpu_bo_put(),
 * or NULL when no live object has that id.
 */
struct ivgpu_bo *ivgpu_bo_find(struct ivgpu_device *ivgpu, u64 id)
{
	struct ivgpu_bo *bo, *found = NULL;

	mutex_lock(&ivgpu->bos.lock);
	list_for_each_entry(bo, &ivgpu->bos.list, link) {
		/* An object being freed stays listed until its free runs. */
		if (bo->id == id && kref_get_unless_zero(&bo->base.refcount)) {
			found = bo;
			break;
		}
	}
	mutex_unlock(&ivgpu->bos.lock);
	return found;
}

/**
 * ivgpu_bo_put - drop a reference to an object
 * @bo: the object
 */
void ivgpu_bo_put(struct ivgpu_bo *bo)
{
	drm_gem_object_put(&bo->base);
}

static u32 ivgpu_bo_uapi_flags(const struct ivgpu_bo *bo)
{
	return READ_ONCE(bo->num_blocks) == 1 ? IVGPU_BO_CONTIGUOUS : 0;
}

/**
 * ivgpu_bo_print_all - one line per object: "id size kind flags num_blocks"
 * @ivgpu: the device
 * @p: where to print
 */
void ivgpu_bo_print_all(struct ivgpu_device *ivgpu, struct drm_printer *p)
{
	struct ivgpu_bo *bo;

	mutex_lock(&ivgpu->bos.lock);
	list_for_each_entry(bo, &ivgpu->bos.list, link)
		drm_printf(p, "%llu %zu %u %u %u\n", bo->id, bo->base.size, bo->kind,
			   ivgpu_bo_uapi_flags(bo), READ_ONCE(bo->num_blocks));
	mutex_unlock(&ivgpu->bos.lock);
}

/**
 * ivgpu_bo_init - set up the device's object bookkeeping
 * @ivgpu: the device
 */
void ivgpu_bo_init(struct ivgpu_device *ivgpu)
{
	mutex_init(&ivgpu->bos.lock);
	INIT_LIST_HEAD(&ivgpu->bos.list);
	atomic64_set(&ivgpu->bos.next_id, 0);
	mutex_init(&ivgpu->dump.lock);
	mutex_init(&ivgpu->check.lock);
	mutex_init(&ivgpu->check.mailbox);
}

/**
 * ivgpu_ioctl_gem_create - DRM_IOCTL_IVGPU_GEM_CREATE
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_create
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_create documents.
 */
int ivgpu_ioctl_gem_create(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ivgpu_gem_create *args = data;
	u64 size = args->size;
	u32 handle;
	int ret;
	int idx;

	if (args->pad)
		return -EINVAL;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	ret = ivgpu_bo_create_handle(to_ivgpu(drm), file, &size, args->alignment, args->kind,
				     args->flags, &handle);
	if (!ret) {
		args->size = size;
		args->handle = handle;
	}

	drm_dev_exit(idx);
	return ret;
}

/**
 * ivgpu_ioctl_gem_info - DRM_IOCTL_IVGPU_GEM_INFO
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_info
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_info documents.
 */
int ivgpu_ioctl_gem_info(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ivgpu_gem_info *args = data;
	struct ivgpu_bo *bo;
	int ret = 0;
	int idx;

	if (args->pad || args->pad2)
		return -EINVAL;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	bo = ivgpu_bo_lookup(file, args->handle);
	if (!bo) {
		ret = -ENOENT;
		goto out_exit;
	}

	args->size = bo->base.size;
	args->kind = bo->kind;
	args->num_blocks = READ_ONCE(bo->num_blocks);
	args->flags = ivgpu_bo_uapi_flags(bo);
	args->id = bo->id;
	ivgpu_bo_put(bo);

out_exit:
	drm_dev_exit(idx);
	return ret;
}

/**
 * ivgpu_bo_move_locked - move an object to new VRAM
 * @bo: the object; the caller holds its BO lock
 * @contiguous: make the new VRAM one extent
 *
 * Allocate, zap every user PTE (the faults that follow wait for the BO lock
 * and then map the new place), drop the cached kernel mappings of the old
 * place, copy, switch, free the old VRAM.  An object created contiguous
 * (or a frame buffer) stays contiguous, and keeps its alignment.
 *
 * The co-processor copies when the device has one (the CPU if it fails).
 * No co-processor job may be using the object: its VRAM stays where it is
 * until their fences signal.
 *
 * Return: 0, -EAGAIN while a co-processor job uses the object (wait for
 * the fences in its reservation object, then try again), -EBUSY while a
 * file holds a kernel mapping of the object, or the allocation's or the
 * copy's error (the object is then unchanged).
 */
int ivgpu_bo_move_locked(struct ivgpu_bo *bo, bool contiguous)
{
	struct ivgpu_device *ivgpu = ivgpu_of_bo(bo);
	struct ivgpu_vram_res *old, *new;
	int ret;

	dma_resv_assert_held(bo->base.resv);

	if (!dma_resv_test_signaled(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP))
		return -EAGAIN;

	/* A kernel mapping a file holds must keep pointing at the data. */
	if (bo->kmap_pins)
		return -EBUSY;

	new = ivgpu_vram_alloc(ivgpu, bo->base.size, bo->alignment,
			       contiguous || bo->placement & IVGPU_BO_CONTIGUOUS, bo->id);
	if (IS_ERR(new))
		return PTR_ERR(new);

	old = bo->vram;
	ivgpu_mmap_zap(bo, 0, bo->base.size);
	ivgpu_kmap_drop_idle(bo);

	ret = ivgpu_ring_copy_vram(ivgpu, new, old);
	if (ret) {
		ret = ivgpu_kmap_copy_vram(ivgpu, new, old);
		if (ret) {
			ivgpu_vram_free(ivgpu, new);
			return ret;
		}
		atomic64_inc(&ivgpu->ring.stats.copies_cpu);
	}

	ivgpu_window_untrack(ivgpu, old);
	ivgpu_window_track(bo, new);
	bo->vram = new;
	WRITE_ONCE(bo->num_blocks, new->num_extents);

	ivgpu_vram_free(ivgpu, old);
	atomic64_inc(&ivgpu->mm_stats.moves);
	atomic64_add(bo->base.size, &ivgpu->mm_stats.bytes_moved);
	return 0;
}

static int ivgpu_bo_move(struct ivgpu_bo *bo, bool contiguous)
{
	int ret;

	ret = dma_resv_lock_interruptible(bo->base.resv, NULL);
	if (ret)
		return ret;
	ret = ivgpu_bo_move_locked(bo, contiguous);
	dma_resv_unlock(bo->base.resv);
	return ret;
}

/**
 * ivgpu_ioctl_gem_move - DRM_IOCTL_IVGPU_GEM_MOVE
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_move
 * @file: the caller's file
 *
 * An object created contiguous (or a frame buffer) stays contiguous, and
 * keeps its alignment.  The move waits for the object's co-processor jobs
 * first.  The co-processor copies, or the CPU (through banked windows with
 * a small BAR).
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_move documents.
 */
int ivgpu_ioctl_gem_move(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ivgpu_gem_move *args = data;
	struct ivgpu_bo *bo;
	long waited;
	int ret;
	int idx;

	if (args->flags & ~IVGPU_MOVE_FLAGS || args->pad)
		return -EINVAL;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	bo = ivgpu_bo_lookup(file, args->handle);
	drm_dev_exit(idx);
	if (!bo)
		return -ENOENT;

	do {
		/*
		 * Wait for the object's co-processor jobs with no lock held
		 * and outside drm_dev_enter(): a queued job may wait for a
		 * fence of someone else's (an in-syncobj), and neither a
		 * submission needing the BO lock nor drm_dev_unplug() may wait
		 * for that.
		 */
		waited = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, true,
					       MAX_SCHEDULE_TIMEOUT);
		if (waited < 0) {
			ret = waited;
			break;
		}
		if (!drm_dev_enter(drm, &idx)) {
			ret = -ENODEV;
			break;
		}
		ret = ivgpu_bo_move(bo, args->flags & IVGPU_MOVE_CONTIGUOUS);
		drm_dev_exit(idx);
	} while (ret == -EAGAIN);
	if (!ret)
		args->num_blocks = READ_ONCE(bo->num_blocks);

	ivgpu_bo_put(bo);
	return ret;
}
