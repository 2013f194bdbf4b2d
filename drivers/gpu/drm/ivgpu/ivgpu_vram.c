// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu VRAM heap.
 *
 * All of VRAM is one drm_buddy allocator with page-sized chunks.  An object
 * gets a list of buddy blocks that together hold exactly its (page-rounded)
 * size:
 *
 * - scattered (the default): the buddy allocator's own policy, largest
 *   blocks first, none smaller than the alignment; the size is rounded up to
 *   the alignment for the allocator and the last block trimmed back, so an
 *   object never holds more VRAM than its size.
 * - contiguous: one block of the power of two at or above the size (and at
 *   least the alignment), trimmed to the size.  drm_buddy of 6.1 has no
 *   contiguous mode; the trim gives the tail back at once, so the cost is
 *   that a contiguous object larger than half of the largest free block
 *   fails even when a long enough unaligned free run exists.  For the same
 *   reason the largest free block is exactly the largest object that can be
 *   created contiguous, which is what IVGPU_PARAM_VRAM_LARGEST_FREE reports.
 *
 * Blocks that follow each other in VRAM are merged into extents; the fault
 * handler and the kernel mappings work on extents, and an object's "number
 * of blocks" in the uAPI is its number of extents.
 *
 * With a large BAR the CPU reaches VRAM through ivgpu_vram_cpu_phys(): VRAM
 * sits in BAR2.  With a small BAR it is behind banked windows, and every
 * CPU access path goes through ivgpu_window.c instead.
 */

#include <linux/align.h>
#include <linux/device.h>
#include <linux/io.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/bsearch.h>
#include <linux/pci.h>

#include <drm/drm_buddy.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "ivgpu_drv.h"

static u64 ivgpu_vram_max_block(const struct ivgpu_vram *vram)
{
	return vram->mm.chunk_size << vram->mm.max_order;
}

/* Bytes of the largest free block; the caller holds the heap lock. */
static u64 ivgpu_vram_largest_free_locked(const struct ivgpu_vram *vram)
{
	int order;

	/* drm_buddy keeps one free list per order; the first non-empty one wins. */
	for (order = vram->mm.max_order; order >= 0; order--)
		if (!list_empty(&vram->mm.free_list[order]))
			return vram->mm.chunk_size << order;
	return 0;
}

static int ivgpu_vram_build_extents(struct ivgpu_vram *vram, struct ivgpu_vram_res *res)
{
	struct ivgpu_vram_extent *ext = NULL;
	struct drm_buddy_block *block;
	unsigned int n = 0, count = 0;
	u64 offset = 0;

	list_for_each_entry(block, &res->blocks, link)
		count++;

	res->extents = kcalloc(count, sizeof(*res->extents), GFP_KERNEL);
	if (!res->extents)
		return -ENOMEM;

	list_for_each_entry(block, &res->blocks, link) {
		u64 start = drm_buddy_block_offset(block);
		u64 size = drm_buddy_block_size(&vram->mm, block);

		if (ext && ext->start + ext->size == start) {
			ext->size += size;
		} else {
			ext = &res->extents[n++];
			ext->start = start;
			ext->size = size;
			ext->offset = offset;
		}
		offset += size;
	}
	res->num_extents = n;
	return 0;
}

/*
 * Give back the part of the last block beyond @size: the allocator handed
 * out @allocated bytes (a multiple of its unit), the object wants @size.
 */
static int ivgpu_vram_trim_tail(struct ivgpu_vram *vram, struct list_head *blocks,
				u64 allocated, u64 size)
{
	struct drm_buddy_block *last;
	LIST_HEAD(tail);
	int ret;

	if (allocated == size)
		return 0;

	last = list_last_entry(blocks, struct drm_buddy_block, link);
	list_move(&last->link, &tail);
	ret = drm_buddy_block_trim(&vram->mm,
				   drm_buddy_block_size(&vram->mm, last) - (allocated - size),
				   &tail);
	/* On failure the untrimmed block is back on @tail; either way, put it back. */
	list_splice_tail(&tail, blocks);
	return ret;
}

static int ivgpu_vram_alloc_locked(struct ivgpu_vram *vram, u64 size, u64 alignment,
				   bool contiguous, struct list_head *blocks)
{
	u64 unit = max_t(u64, alignment, vram->mm.chunk_size);
	u64 allocated;
	int ret;

	if (contiguous) {
		unit = max_t(u64, unit, roundup_pow_of_two(size));
		/* drm_buddy BUG()s on a block above its largest order. */
		if (unit > ivgpu_vram_max_block(vram))
			return -ENOSPC;
		allocated = unit;
	} else {
		allocated = round_up(size, unit);
		if (allocated > vram->size)
			return -ENOSPC;
	}

	ret = drm_buddy_alloc_blocks(&vram->mm, 0, vram->size, allocated, unit, blocks, 0);
	if (ret)
		return ret;

	ret = ivgpu_vram_trim_tail(vram, blocks, allocated, size);
	if (ret)
		drm_buddy_free_list(&vram->mm, blocks);
	return ret;
}

/**
 * ivgpu_vram_alloc - allocate VRAM for an object
 * @ivgpu: the device
 * @size: bytes, a non-zero multiple of the page size, at most the VRAM size
 * @alignment: 0, or a power of two from the page size to the VRAM size:
 *	every extent starts at a multiple of it
 * @contiguous: one extent
 * @owner_id: id of the object, named by the leak report
 *
 * Return: the allocation, ERR_PTR(-ENOSPC) when VRAM cannot hold it now,
 * ERR_PTR(-ENOMEM) when kernel memory runs out.
 */
struct ivgpu_vram_res *ivgpu_vram_alloc(struct ivgpu_device *ivgpu, u64 size,
					u64 alignment, bool contiguous, u64 owner_id)
{
	struct ivgpu_vram *vram = &ivgpu->vram;
	struct ivgpu_vram_res *res;
	int ret;

	if (ivgpu_fault_vram_alloc(ivgpu, size))
		return ERR_PTR(-ENOSPC);

	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&res->blocks);
	res->size = size;
	res->owner_id = owner_id;

	mutex_lock(&vram->lock);
	ret = ivgpu_vram_alloc_locked(vram, size, alignment, contiguous, &res->blocks);
	if (ret)
		goto err_unlock;

	ret = ivgpu_vram_build_extents(vram, res);
	if (ret)
		goto err_free_blocks;

	list_add_tail(&res->link, &vram->allocations);
	vram->count++;
	mutex_unlock(&vram->lock);
	return res;

err_free_blocks:
	drm_buddy_free_list(&vram->mm, &res->blocks);
err_unlock:
	mutex_unlock(&vram->lock);
	kfree(res);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_vram_alloc);

/**
 * ivgpu_vram_free - give an allocation back to the heap
 * @ivgpu: the device
 * @res: from ivgpu_vram_alloc(); nothing may map it any more
 */
void ivgpu_vram_free(struct ivgpu_device *ivgpu, struct ivgpu_vram_res *res)
{
	struct ivgpu_vram *vram = &ivgpu->vram;

	mutex_lock(&vram->lock);
	drm_buddy_free_list(&vram->mm, &res->blocks);
	list_del(&res->link);
	vram->count--;
	mutex_unlock(&vram->lock);

	kfree(res->extents);
	kfree(res);
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_vram_free);

static int ivgpu_vram_extent_cmp(const void *key, const void *elt)
{
	u64 offset = *(const u64 *)key;
	const struct ivgpu_vram_extent *ext = elt;

	if (offset < ext->offset)
		return -1;
	if (offset >= ext->offset + ext->size)
		return 1;
	return 0;
}

/**
 * ivgpu_vram_res_find - the extent holding a byte of an object
 * @res: the object's VRAM
 * @offset: offset in the object, below @res->size
 *
 * Return: the extent, or NULL when @offset is outside the object.
 */
const struct ivgpu_vram_extent *ivgpu_vram_res_find(const struct ivgpu_vram_res *res,
						    u64 offset)
{
	return bsearch(&offset, res->extents, res->num_extents, sizeof(*res->extents),
		       ivgpu_vram_extent_cmp);
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_vram_res_find);

/**
 * ivgpu_vram_cpu_visible - whether the CPU can reach VRAM directly
 * @ivgpu: the device
 *
 * Return: true with a large BAR.  With a small BAR VRAM is reachable only
 * through banked windows (ivgpu_window.c).
 */
bool ivgpu_vram_cpu_visible(const struct ivgpu_device *ivgpu)
{
	return ivgpu->config.bar_config == IVGPU_BAR_CONFIG_LARGE;
}

/**
 * ivgpu_vram_cpu_phys - CPU physical address of a range of VRAM
 * @ivgpu: the device
 * @vram_offset: VRAM offset of the first byte
 * @size: bytes of the range
 * @phys: set to the CPU physical address of @vram_offset
 *
 * The one place where the driver turns VRAM offsets into CPU addresses
 * with a large BAR; with a small BAR the windows of ivgpu_window.c do.
 *
 * Return: 0, -EOPNOTSUPP when the CPU cannot reach VRAM directly, -EINVAL
 * for a range outside VRAM.
 */
int ivgpu_vram_cpu_phys(const struct ivgpu_device *ivgpu, u64 vram_offset, u64 size,
			phys_addr_t *phys)
{
	const struct ivgpu_config *c = &ivgpu->config;
	u64 end;

	if (!ivgpu_vram_cpu_visible(ivgpu))
		return -EOPNOTSUPP;
	if (check_add_overflow(vram_offset, size, &end) || end > c->vram_size)
		return -EINVAL;
	*phys = c->mem_start + c->vram_bar_offset + vram_offset;
	return 0;
}

/**
 * ivgpu_vram_stats - heap statistics
 * @ivgpu: the device
 * @used: set to the bytes allocated
 * @largest_free: set to the bytes of the largest free block
 * @objects: set to the number of allocations; may be NULL
 */
void ivgpu_vram_stats(struct ivgpu_device *ivgpu, u64 *used, u64 *largest_free,
		      unsigned int *objects)
{
	struct ivgpu_vram *vram = &ivgpu->vram;

	mutex_lock(&vram->lock);
	*used = vram->mm.size - vram->mm.avail;
	*largest_free = ivgpu_vram_largest_free_locked(vram);
	if (objects)
		*objects = vram->count;
	mutex_unlock(&vram->lock);
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_vram_stats);

/**
 * ivgpu_vram_print - print the allocator's state
 * @ivgpu: the device
 * @p: where to print
 */
void ivgpu_vram_print(struct ivgpu_device *ivgpu, struct drm_printer *p)
{
	struct ivgpu_vram *vram = &ivgpu->vram;

	mutex_lock(&vram->lock);
	drm_buddy_print(&vram->mm, p);
	mutex_unlock(&vram->lock);
}

/**
 * ivgpu_vram_heap_fini - tear down a heap set up by ivgpu_vram_heap_init()
 * @vram: the heap, every allocation freed
 */
void ivgpu_vram_heap_fini(struct ivgpu_vram *vram)
{
	drm_buddy_fini(&vram->mm);
	mutex_destroy(&vram->lock);
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_vram_heap_fini);

static void ivgpu_vram_fini(struct drm_device *drm, void *data)
{
	struct ivgpu_vram *vram = data;
	struct ivgpu_vram_res *res, *next;

	/*
	 * Every object has been freed by now: they hold references to the
	 * files or dma-bufs that hold the DRM device.  Anything left is a bug;
	 * say so, and give the VRAM back so that drm_buddy_fini() finds the
	 * heap whole.
	 */
	mutex_lock(&vram->lock);
	list_for_each_entry_safe(res, next, &vram->allocations, link) {
		drm_err(drm, "VRAM leak: object %llu still holds %llu bytes at teardown\n",
			res->owner_id, res->size);
		drm_buddy_free_list(&vram->mm, &res->blocks);
		list_del_init(&res->link);
		vram->count--;
	}
	mutex_unlock(&vram->lock);
	ivgpu_vram_heap_fini(vram);
}

static void ivgpu_vram_release_wc(void *data)
{
	struct ivgpu_device *ivgpu = data;
	phys_addr_t phys;

	arch_phys_wc_del(ivgpu->vram.wc_cookie);
	if (!ivgpu_vram_cpu_phys(ivgpu, 0, ivgpu->vram.size, &phys))
		arch_io_free_memtype_wc(phys, ivgpu->vram.size);
}

/*
 * Declare VRAM in BAR2 write-combining: with PAT, the PTEs of user mappings
 * take the memory type reserved for their physical range (uncached without
 * a reservation); without PAT, an MTRR does the job.  Device-managed: it
 * goes when the driver lets go of the BAR.  Without it mappings still work,
 * uncached, so a failure is only worth a warning.
 */
static int ivgpu_vram_reserve_wc(struct ivgpu_device *ivgpu)
{
	struct ivgpu_vram *vram = &ivgpu->vram;
	phys_addr_t phys;
	int ret;

	if (ivgpu_vram_cpu_phys(ivgpu, 0, vram->size, &phys))
		return 0;

	ret = arch_io_reserve_memtype_wc(phys, vram->size);
	if (ret) {
		drm_warn(&ivgpu->drm, "VRAM cannot be made write-combining (%d): CPU mappings are uncached\n",
			 ret);
		return 0;
	}
	vram->wc_cookie = arch_phys_wc_add(phys, vram->size);
	return devm_add_action_or_reset(&ivgpu->pdev->dev, ivgpu_vram_release_wc, ivgpu);
}

/**
 * ivgpu_vram_heap_init - set up an empty heap
 * @vram: the heap
 * @size: bytes of VRAM it manages, a non-zero multiple of the page size
 *
 * Only the allocator: no device is involved, so the KUnit tests build
 * heaps of their own with it.  ivgpu_vram_heap_fini() undoes it.
 *
 * Return: 0 or a negative errno.
 */
int ivgpu_vram_heap_init(struct ivgpu_vram *vram, u64 size)
{
	int ret;

	mutex_init(&vram->lock);
	INIT_LIST_HEAD(&vram->allocations);
	vram->count = 0;
	vram->size = size;

	ret = drm_buddy_init(&vram->mm, size, PAGE_SIZE);
	if (ret)
		mutex_destroy(&vram->lock);
	return ret;
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_vram_heap_init);

/**
 * ivgpu_vram_init - set up the VRAM heap
 * @ivgpu: the device, configuration read
 *
 * The heap is torn down when the DRM device is released; see
 * ivgpu_vram_fini() for what happens to allocations still alive then.
 *
 * Return: 0 or a negative errno.
 */
int ivgpu_vram_init(struct ivgpu_device *ivgpu)
{
	struct ivgpu_vram *vram = &ivgpu->vram;
	int ret;

	ret = ivgpu_vram_heap_init(vram, ivgpu->config.vram_size);
	if (ret)
		return ret;
	ret = drmm_add_action_or_reset(&ivgpu->drm, ivgpu_vram_fini, vram);
	if (ret)
		return ret;

	return ivgpu_vram_reserve_wc(ivgpu);
}
