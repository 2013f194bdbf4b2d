// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu kernel mappings.
 *
 * ivgpu_kmap() maps a page-aligned range of an object into kernel virtual
 * space, write-combined: with one ioremap_wc() when the range lies in one
 * VRAM extent, else with vmap_pfn() of the pages of every extent it
 * crosses, so that a scattered object still reads as one contiguous range.
 *
 * Mappings are cached.  A request that lies entirely inside a live mapping
 * of the same object reuses it (a hit, the mapping's user count goes up);
 * any other request maps anew (a miss).  When its last user lets go a
 * mapping stays mapped but idle, on an LRU list; beyond kmap_cache_limit
 * idle mappings, the least recently used are unmapped.  An idle mapping
 * holds no reference to its object (else GEM_CLOSE would never free VRAM):
 * the object's free, and its move, drop its idle mappings instead.  A
 * mapping in use holds a reference.
 *
 * A mapping's address is valid while its object's VRAM does not change, so
 * users either hold the BO lock while they touch it (pread/pwrite, ptrace,
 * the debugfs dump), or are mappings a file holds through GEM_MAP, which
 * make a move fail with -EBUSY (&ivgpu_bo.kmap_pins).  Creating a mapping
 * takes the BO lock too, so two misses on one object never race.
 *
 * Unplug: the BAR goes away with the device, so no kernel mapping of it may
 * outlive it, though files holding GEM_MAP mappings may stay open long
 * after.  ivgpu_kmap_unplug() runs in remove once drm_dev_unplug() has
 * waited for every drm_dev_enter() section, which is where every user of a
 * mapping's address runs: it frees the idle mappings and unmaps the ones
 * in use, which stay as empty bookkeeping (vaddr NULL) until their users
 * let go.  Nothing maps anew afterwards.
 *
 * Clearing new objects and copying during a move map the VRAM involved the
 * same way but outside the cache: neither would be reused, and the old
 * VRAM of a move is freed right after.  Their mappings are not counted.
 *
 * pread/pwrite never hold a BO lock while they touch user memory: they copy
 * in chunks through a kernel bounce buffer, so a user buffer that is itself
 * a mapping of an ivgpu object (even the same one) faults normally.  Kernel
 * users map the IVGPU_KMAP_WINDOW-aligned window around what they touch, so
 * that the next chunk, or the next access nearby, hits the cache.
 *
 * With a small BAR there is no kernel address for VRAM to map: a mapping
 * is "windowed" (&ivgpu_kmap.windowed), cached, reused and counted the
 * same way, and holding it (GEM_MAP) still keeps the object from moving,
 * but each access through it pins a banked window for its duration (see
 * ivgpu_window.c).  Pinning a window for as long as a file holds a mapping
 * would let a few files starve every fault of windows.  Clearing and
 * moving go through the windows too.
 */

#include <linux/align.h>
#include <linux/dma-resv.h>
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu_drv.h"

/* Granule of the kernel-internal mappings: pread/pwrite, ptrace, dump, clear, move. */
#define IVGPU_KMAP_WINDOW	SZ_4M
/* Bytes pread/pwrite and move copy per step through their bounce buffer. */
#define IVGPU_KMAP_CHUNK	SZ_64K

/* Map [offset, offset + size) of @res; fills @map's vaddr and vmapped. */
static int ivgpu_kmap_map(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res,
			  u64 offset, u64 size, struct ivgpu_kmap *map)
{
	const struct ivgpu_vram_extent *ext = ivgpu_vram_res_find(res, offset);
	unsigned int i, n = size >> PAGE_SHIFT;
	unsigned long *pfns;
	phys_addr_t phys;
	void *vaddr;
	int ret;

	if (!ext)
		return -EINVAL;

	/* Small BAR: no address; each access borrows windows (ivgpu_window_rw()). */
	if (!ivgpu_vram_cpu_visible(ivgpu)) {
		if (ivgpu_fault_kmap(ivgpu, size))
			return -ENOMEM;
		map->vaddr = NULL;
		map->windowed = true;
		return 0;
	}

	if (offset + size <= ext->offset + ext->size) {
		ret = ivgpu_vram_cpu_phys(ivgpu, ext->start + offset - ext->offset, size, &phys);
		if (ret)
			return ret;
		map->vaddr = ivgpu_fault_kmap(ivgpu, size) ? NULL : ioremap_wc(phys, size);
		map->vmapped = false;
		return map->vaddr ? 0 : -ENOMEM;
	}

	pfns = kvmalloc_array(n, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;

	for (i = 0; i < n; ext++) {
		u64 in_ext = offset + ((u64)i << PAGE_SHIFT) - ext->offset;
		unsigned int j, pages = min_t(u64, n - i, (ext->size - in_ext) >> PAGE_SHIFT);

		ret = ivgpu_vram_cpu_phys(ivgpu, ext->start + in_ext, (u64)pages << PAGE_SHIFT,
					  &phys);
		if (ret)
			goto out_free_pfns;
		for (j = 0; j < pages; j++)
			pfns[i++] = PHYS_PFN(phys) + j;
	}

	vaddr = ivgpu_fault_kmap(ivgpu, size) ? NULL :
		vmap_pfn(pfns, n, pgprot_writecombine(PAGE_KERNEL));
	ret = vaddr ? 0 : -ENOMEM;
	/* vmap_pfn() maps I/O memory: the address is one. */
	map->vaddr = (void __force __iomem *)vaddr;
	map->vmapped = true;

out_free_pfns:
	kvfree(pfns);
	return ret;
}

static void ivgpu_kmap_unmap(struct ivgpu_kmap *map)
{
	/* Windowed (small BAR), or already unmapped at unplug. */
	if (!map->vaddr)
		return;
	if (map->vmapped)
		vunmap((void __force *)map->vaddr);
	else
		iounmap(map->vaddr);
}

/* What the cache maps with on a device: VRAM through BAR2. */
static const struct ivgpu_kmap_ops ivgpu_kmap_io_ops = {
	.map = ivgpu_kmap_map,
	.unmap = ivgpu_kmap_unmap,
};

/* Unmap and free the mappings on @list (linked by lru_link). */
static void ivgpu_kmap_release_list(struct ivgpu_kmap_cache *cache, struct list_head *list)
{
	struct ivgpu_kmap *map, *next;

	list_for_each_entry_safe(map, next, list, lru_link) {
		cache->ops->unmap(map);
		kfree(map);
		atomic64_inc(&cache->released);
	}
}

/* Take an idle mapping out of the cache, onto @out; the cache lock is held. */
static void ivgpu_kmap_evict_locked(struct ivgpu_kmap_cache *cache, struct ivgpu_kmap *map,
				    struct list_head *out)
{
	list_del(&map->bo_link);
	list_move_tail(&map->lru_link, out);
	cache->idle--;
	cache->live--;
	/* Unplug took the bytes of what it unmapped off already. */
	if (map->vaddr || map->windowed)
		cache->bytes_mapped -= map->size;
}

/**
 * ivgpu_kmap - map a range of an object into kernel space, through the cache
 * @bo: the object; the caller holds the BO lock and a reference
 * @offset: page-aligned offset in the object
 * @size: page-aligned bytes, non-zero, inside the object
 * @reused: set to whether a live mapping was reused
 *
 * The mapping covers at least the range; ivgpu_kmap_addr() gives the
 * address of a byte.  It stays valid until ivgpu_kunmap() and while the
 * object is not moved (see the top of this file).
 *
 * With a small BAR the mapping has no address: it is windowed, and
 * ivgpu_kmap_access() copies through banked windows instead.
 *
 * The caller is inside drm_dev_enter(): after unplug there is no BAR to map.
 *
 * Return: the mapping, or an ERR_PTR(): -ENOMEM when address space or
 * memory runs out, -ENODEV (with a warning: the caller is wrong) after
 * unplug.
 */
struct ivgpu_kmap *ivgpu_kmap(struct ivgpu_bo *bo, u64 offset, u64 size, bool *reused)
{
	struct ivgpu_device *ivgpu = ivgpu_of_bo(bo);
	struct ivgpu_kmap_cache *cache = &ivgpu->kmap_cache;
	struct ivgpu_kmap *map;
	int ret;

	dma_resv_assert_held(bo->base.resv);

	spin_lock(&cache->lock);
	if (drm_WARN_ON_ONCE(&ivgpu->drm, cache->unplugged)) {
		spin_unlock(&cache->lock);
		return ERR_PTR(-ENODEV);
	}
	list_for_each_entry(map, &bo->kmaps, bo_link) {
		if (offset < map->offset || offset + size > map->offset + map->size)
			continue;
		if (!map->users++) {
			list_move(&map->lru_link, &cache->busy);
			cache->idle--;
			cache->in_use++;
			drm_gem_object_get(&bo->base);
		}
		spin_unlock(&cache->lock);
		atomic64_inc(&cache->hits);
		*reused = true;
		return map;
	}
	spin_unlock(&cache->lock);

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return ERR_PTR(-ENOMEM);

	ret = cache->ops->map(ivgpu, bo->vram, offset, size, map);
	if (ret) {
		kfree(map);
		return ERR_PTR(ret);
	}
	map->bo = bo;
	map->offset = offset;
	map->size = size;
	map->users = 1;

	spin_lock(&cache->lock);
	if (drm_WARN_ON_ONCE(&ivgpu->drm, cache->unplugged)) {
		spin_unlock(&cache->lock);
		cache->ops->unmap(map);
		kfree(map);
		return ERR_PTR(-ENODEV);
	}
	drm_gem_object_get(&bo->base);
	list_add(&map->bo_link, &bo->kmaps);
	list_add(&map->lru_link, &cache->busy);
	cache->live++;
	cache->in_use++;
	cache->bytes_mapped += size;
	spin_unlock(&cache->lock);

	atomic64_inc(&cache->misses);
	*reused = false;
	return map;
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_kmap);

/**
 * ivgpu_kmap_addr - kernel address of a byte of a mapped object
 * @map: from ivgpu_kmap()
 * @offset: offset in the object, inside @map
 *
 * Return: the address.
 */
static inline void __iomem *ivgpu_kmap_addr(const struct ivgpu_kmap *map, u64 offset)
{
	return map->vaddr + (offset - map->offset);
}

/**
 * ivgpu_kunmap - let go of a mapping from ivgpu_kmap()
 * @map: the mapping
 *
 * The last user leaves the mapping idle in the cache and drops its object
 * reference; the caller must hold a reference of its own if it holds the
 * BO lock.  Idle mappings beyond the cache limit are unmapped; after
 * unplug the limit is 0.
 */
void ivgpu_kunmap(struct ivgpu_kmap *map)
{
	struct ivgpu_bo *bo = map->bo;
	struct ivgpu_kmap_cache *cache = &ivgpu_of_bo(bo)->kmap_cache;
	unsigned int limit = READ_ONCE(ivgpu_modparams.kmap_cache_limit);
	LIST_HEAD(evicted);
	bool idle;

	spin_lock(&cache->lock);
	if (cache->unplugged)
		limit = 0;
	idle = !--map->users;
	if (idle) {
		cache->in_use--;
		cache->idle++;
		list_move_tail(&map->lru_link, &cache->lru);
		while (cache->idle > limit)
			ivgpu_kmap_evict_locked(cache, list_first_entry(&cache->lru,
									struct ivgpu_kmap,
									lru_link),
						&evicted);
	}
	spin_unlock(&cache->lock);

	ivgpu_kmap_release_list(cache, &evicted);
	if (idle)
		ivgpu_bo_put(bo);
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_kunmap);

/**
 * ivgpu_kmap_drop_idle - unmap the idle mappings of an object
 * @bo: the object, being freed or moved (with the BO lock held)
 *
 * Mappings in use are left alone; there are none when the object is freed
 * (they hold references) or moved (files' mappings make the move fail, the
 * others are used under the BO lock the move holds).
 */
void ivgpu_kmap_drop_idle(struct ivgpu_bo *bo)
{
	struct ivgpu_kmap_cache *cache = &ivgpu_of_bo(bo)->kmap_cache;
	struct ivgpu_kmap *map, *next;
	LIST_HEAD(evicted);

	spin_lock(&cache->lock);
	list_for_each_entry_safe(map, next, &bo->kmaps, bo_link)
		if (!map->users)
			ivgpu_kmap_evict_locked(cache, map, &evicted);
	spin_unlock(&cache->lock);

	ivgpu_kmap_release_list(cache, &evicted);
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_kmap_drop_idle);

/**
 * ivgpu_kmap_access - copy between a kernel buffer and an object
 * @bo: the object; the caller holds a reference, and no BO lock
 * @offset: offset in the object (any alignment)
 * @buf: kernel buffer
 * @len: bytes; [@offset, @offset + @len) lies inside the object
 * @write: copy @buf to the object, else the object to @buf
 *
 * Through the cache, under the BO lock, mapping the IVGPU_KMAP_WINDOW-
 * aligned window around the range so that neighbouring accesses hit.
 *
 * With a small BAR the copy goes through windows pinned for its duration,
 * split where it crosses one (ivgpu_window_rw()).
 *
 * Return: 0, -ENODEV after unplug, -EINTR on a signal, or another
 * negative errno.
 */
int ivgpu_kmap_access(struct ivgpu_bo *bo, u64 offset, void *buf, size_t len, bool write)
{
	struct ivgpu_device *ivgpu = ivgpu_of_bo(bo);
	u64 start = ALIGN_DOWN(offset, IVGPU_KMAP_WINDOW);
	u64 end = min_t(u64, ALIGN(offset + len, IVGPU_KMAP_WINDOW), bo->base.size);
	struct ivgpu_kmap *map;
	bool reused;
	int ret;
	int idx;

	if (!len)
		return 0;

	if (!drm_dev_enter(&ivgpu->drm, &idx))
		return -ENODEV;

	ret = dma_resv_lock_interruptible(bo->base.resv, NULL);
	if (ret)
		goto out_exit;

	map = ivgpu_kmap(bo, start, end - start, &reused);
	if (IS_ERR(map)) {
		ret = PTR_ERR(map);
		goto out_unlock;
	}

	if (map->windowed) {
		ret = ivgpu_window_rw(ivgpu, bo->vram, offset, buf, len, write);
	} else if (write) {
		memcpy_toio(ivgpu_kmap_addr(map, offset), buf, len);
		/* Out of the write-combining buffers before anyone else looks. */
		wmb();
	} else {
		memcpy_fromio(buf, ivgpu_kmap_addr(map, offset), len);
	}
	ivgpu_kunmap(map);

out_unlock:
	dma_resv_unlock(bo->base.resv);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

/**
 * ivgpu_kmap_clear_vram - zero an allocation through kernel mappings
 * @ivgpu: the device, with CPU access to VRAM
 * @res: the allocation, which nothing else uses yet
 *
 * Return: 0 or a negative errno.
 */
int ivgpu_kmap_clear_vram(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res)
{
	struct ivgpu_kmap map;
	u64 offset, n;
	int ret;

	if (!ivgpu_vram_cpu_visible(ivgpu))
		return ivgpu_window_clear(ivgpu, res);

	for (offset = 0; offset < res->size; offset += n) {
		n = min_t(u64, res->size - offset, IVGPU_KMAP_WINDOW);
		ret = ivgpu_kmap_map(ivgpu, res, offset, n, &map);
		if (ret)
			return ret;
		memset_io(map.vaddr, 0, n);
		ivgpu_kmap_unmap(&map);
	}
	/* The zeros leave the write-combining buffers before the object is used. */
	wmb();
	return 0;
}

/**
 * ivgpu_kmap_copy_vram - copy one allocation to another through kernel mappings
 * @ivgpu: the device, with CPU access to VRAM
 * @dst: the allocation copied to
 * @src: the allocation copied from, of the same size
 *
 * The caller keeps everyone else away from both (a move holds the BO lock,
 * after zapping the user PTEs).
 *
 * Return: 0 or a negative errno.
 */
int ivgpu_kmap_copy_vram(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *dst,
			 const struct ivgpu_vram_res *src)
{
	struct ivgpu_kmap from, to;
	u64 offset, n, done, chunk;
	void *bounce;
	int ret = 0;

	if (!ivgpu_vram_cpu_visible(ivgpu))
		return ivgpu_window_copy(ivgpu, dst, src);

	bounce = kvmalloc(IVGPU_KMAP_CHUNK, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;

	for (offset = 0; offset < src->size; offset += n) {
		n = min_t(u64, src->size - offset, IVGPU_KMAP_WINDOW);
		ret = ivgpu_kmap_map(ivgpu, src, offset, n, &from);
		if (ret)
			break;
		ret = ivgpu_kmap_map(ivgpu, dst, offset, n, &to);
		if (ret) {
			ivgpu_kmap_unmap(&from);
			break;
		}
		for (done = 0; done < n; done += chunk) {
			chunk = min_t(u64, n - done, IVGPU_KMAP_CHUNK);
			memcpy_fromio(bounce, from.vaddr + done, chunk);
			memcpy_toio(to.vaddr + done, bounce, chunk);
		}
		ivgpu_kmap_unmap(&to);
		ivgpu_kmap_unmap(&from);
	}
	/* The copy leaves the write-combining buffers before the new place is used. */
	wmb();

	kvfree(bounce);
	return ret;
}

/* Release a mapping a file held through GEM_MAP. */
static void ivgpu_kmap_unpin(struct ivgpu_kmap *map)
{
	struct ivgpu_bo *bo = map->bo;

	/* The mapping's reference may be the last: keep the object until done. */
	drm_gem_object_get(&bo->base);
	dma_resv_lock(bo->base.resv, NULL);
	bo->kmap_pins--;
	dma_resv_unlock(bo->base.resv);
	ivgpu_kunmap(map);
	ivgpu_bo_put(bo);
}

/* Map a range into kernel space on behalf of @file, under a new map id. */
static int ivgpu_kmap_pin(struct drm_file *file, struct ivgpu_bo *bo, u64 offset,
			  u64 size, u32 *map_id, bool *reused)
{
	struct ivgpu_file *ifile = file->driver_priv;
	u32 limit = clamp(READ_ONCE(ivgpu_modparams.kmap_per_file), 1u,
			  IVGPU_KMAP_PER_FILE_MAX);
	struct ivgpu_kmap *map;
	u32 id;
	int ret;

	/* Reserve the id first: a file at its limit maps nothing. */
	ret = xa_alloc(&ifile->kmaps, &id, NULL, XA_LIMIT(1, limit), GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -ENOSPC : ret;

	ret = dma_resv_lock_interruptible(bo->base.resv, NULL);
	if (ret)
		goto err_release_id;

	map = ivgpu_kmap(bo, offset, size, reused);
	if (IS_ERR(map)) {
		ret = PTR_ERR(map);
		goto err_unlock;
	}
	bo->kmap_pins++;
	dma_resv_unlock(bo->base.resv);

	ret = xa_err(xa_store(&ifile->kmaps, id, map, GFP_KERNEL));
	if (ret)
		goto err_unpin;

	*map_id = id;
	return 0;

err_unpin:
	ivgpu_kmap_unpin(map);
	goto err_release_id;
err_unlock:
	dma_resv_unlock(bo->base.resv);
err_release_id:
	xa_release(&ifile->kmaps, id);
	return ret;
}

/**
 * ivgpu_kmap_file_init - set up a file's kernel-mapping state
 * @ifile: the new file's driver state
 */
void ivgpu_kmap_file_init(struct ivgpu_file *ifile)
{
	xa_init_flags(&ifile->kmaps, XA_FLAGS_ALLOC1);
}

/**
 * ivgpu_kmap_file_fini - release the kernel mappings a closing file holds
 * @ifile: the file's driver state
 */
void ivgpu_kmap_file_fini(struct ivgpu_file *ifile)
{
	struct ivgpu_kmap *map;
	unsigned long id;

	xa_for_each(&ifile->kmaps, id, map) {
		xa_erase(&ifile->kmaps, id);
		ivgpu_kmap_unpin(map);
	}
	xa_destroy(&ifile->kmaps);
}

static int ivgpu_kmap_rw(struct drm_device *drm, struct drm_ivgpu_gem_rw *args,
			 struct drm_file *file, bool write)
{
	char __user *user = u64_to_user_ptr(args->data_ptr);
	struct ivgpu_bo *bo;
	u64 done, n;
	void *bounce;
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

	ret = ivgpu_bo_range_check(bo->base.size, args->offset, args->size);
	if (ret)
		goto out_put;
	if (!args->size)
		goto out_put;

	bounce = kvmalloc(min_t(u64, args->size, IVGPU_KMAP_CHUNK), GFP_KERNEL);
	if (!bounce) {
		ret = -ENOMEM;
		goto out_put;
	}

	/* No BO lock is held while user memory is touched. */
	for (done = 0; done < args->size; done += n) {
		n = min_t(u64, args->size - done, IVGPU_KMAP_CHUNK);

		if (write && copy_from_user(bounce, user + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = ivgpu_kmap_access(bo, args->offset + done, bounce, n, write);
		if (ret)
			break;
		if (!write && copy_to_user(user + done, bounce, n)) {
			ret = -EFAULT;
			break;
		}
	}

	kvfree(bounce);
out_put:
	ivgpu_bo_put(bo);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

/**
 * ivgpu_ioctl_gem_pread - DRM_IOCTL_IVGPU_GEM_PREAD
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_rw
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_rw documents.
 */
int ivgpu_ioctl_gem_pread(struct drm_device *drm, void *data, struct drm_file *file)
{
	return ivgpu_kmap_rw(drm, data, file, false);
}

/**
 * ivgpu_ioctl_gem_pwrite - DRM_IOCTL_IVGPU_GEM_PWRITE
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_rw
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_rw documents.
 */
int ivgpu_ioctl_gem_pwrite(struct drm_device *drm, void *data, struct drm_file *file)
{
	return ivgpu_kmap_rw(drm, data, file, true);
}

/**
 * ivgpu_kmap_check_map_args - check the arguments of GEM_MAP that need no object
 * @args: the request
 *
 * Return: 0, or -EINVAL for unknown flags, not exactly one of
 * IVGPU_MAP_KERNEL and IVGPU_MAP_USER, create fields set without
 * IVGPU_MAP_CREATE, or an offset or size that is not page-aligned.
 */
int ivgpu_kmap_check_map_args(const struct drm_ivgpu_gem_map *args)
{
	u32 where = args->flags & (IVGPU_MAP_KERNEL | IVGPU_MAP_USER);

	if (args->flags & ~IVGPU_MAP_FLAGS ||
	    (where != IVGPU_MAP_KERNEL && where != IVGPU_MAP_USER))
		return -EINVAL;
	/* Without CREATE the create fields are unused, so they must be zero. */
	if (!(args->flags & IVGPU_MAP_CREATE) &&
	    (args->create_size || args->create_kind || args->create_flags))
		return -EINVAL;
	if (!IS_ALIGNED(args->offset, PAGE_SIZE) || !IS_ALIGNED(args->size, PAGE_SIZE))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_kmap_check_map_args);

static int ivgpu_kmap_map_bo(struct drm_file *file, struct ivgpu_bo *bo,
			     struct drm_ivgpu_gem_map *args)
{
	u64 size = args->size;
	bool reused = false;
	u32 map_id = 0;
	u64 addr = 0;
	int ret;

	ret = ivgpu_bo_range_resolve(bo->base.size, args->offset, &size);
	if (ret)
		return ret;

	if (args->flags & IVGPU_MAP_KERNEL)
		ret = ivgpu_kmap_pin(file, bo, args->offset, size, &map_id, &reused);
	else
		ret = ivgpu_mmap_user(file, bo, args->offset, size, &addr);
	if (ret)
		return ret;

	args->addr = addr;
	args->map_id = map_id;
	args->out_flags = reused ? IVGPU_MAP_OUT_REUSED : 0;
	return 0;
}

/**
 * ivgpu_ioctl_gem_map - DRM_IOCTL_IVGPU_GEM_MAP
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_map
 * @file: the caller's file
 *
 * With CREATE, the handle is made first and deleted again if mapping
 * fails, so nothing stays allocated.  Without CREATE, the create fields
 * must be zero.
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_map documents.
 */
int ivgpu_ioctl_gem_map(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ivgpu_gem_map *args = data;
	bool create = args->flags & IVGPU_MAP_CREATE;
	u64 size = args->create_size;
	struct ivgpu_bo *bo;
	u32 handle;
	int ret;
	int idx;

	ret = ivgpu_kmap_check_map_args(args);
	if (ret)
		return ret;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	handle = args->handle;
	if (create) {
		ret = ivgpu_bo_create_handle(to_ivgpu(drm), file, &size, 0, args->create_kind,
					     args->create_flags, &handle);
		if (ret)
			goto out_exit;
	}

	bo = ivgpu_bo_lookup(file, handle);
	if (!bo) {
		ret = -ENOENT;
		goto err_delete_handle;
	}

	ret = ivgpu_kmap_map_bo(file, bo, args);
	ivgpu_bo_put(bo);
	if (ret)
		goto err_delete_handle;

	if (create) {
		args->handle = handle;
		args->create_size = size;
	}
	drm_dev_exit(idx);
	return 0;

err_delete_handle:
	if (create)
		drm_gem_handle_delete(file, handle);
out_exit:
	drm_dev_exit(idx);
	return ret;
}

/**
 * ivgpu_ioctl_gem_unmap - DRM_IOCTL_IVGPU_GEM_UNMAP
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_unmap
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_unmap documents.
 */
int ivgpu_ioctl_gem_unmap(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ivgpu_gem_unmap *args = data;
	struct ivgpu_file *ifile = file->driver_priv;
	struct ivgpu_kmap *map;
	int idx;

	if (args->pad)
		return -EINVAL;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	map = xa_erase(&ifile->kmaps, args->map_id);
	if (map)
		ivgpu_kmap_unpin(map);

	drm_dev_exit(idx);
	return map ? 0 : -ENOENT;
}

/**
 * ivgpu_kmap_unplug - unmap every kernel mapping of VRAM at unplug
 * @ivgpu: the device; drm_dev_unplug() has returned
 *
 * Frees the idle mappings and unmaps those in use (files hold them through
 * GEM_MAP; no one touches them outside drm_dev_enter(), and no one is
 * inside it any more).  Those stay on their lists, with a NULL address,
 * until their last user lets go, and are then freed.  From now on no
 * mapping is made.  Must run before the BAR is released.
 */
void ivgpu_kmap_unplug(struct ivgpu_device *ivgpu)
{
	struct ivgpu_kmap_cache *cache = &ivgpu->kmap_cache;
	struct ivgpu_kmap *map, *next;
	LIST_HEAD(evicted);
	LIST_HEAD(held);

	spin_lock(&cache->lock);
	cache->unplugged = true;
	list_for_each_entry_safe(map, next, &cache->lru, lru_link)
		ivgpu_kmap_evict_locked(cache, map, &evicted);
	/*
	 * Hold a use of each mapping in use, so that it stays while it is
	 * unmapped without the lock; users letting go meanwhile only count
	 * down, and no one can look a mapping up any more.
	 */
	list_for_each_entry(map, &cache->busy, lru_link)
		map->users++;
	list_splice_init(&cache->busy, &held);
	spin_unlock(&cache->lock);

	ivgpu_kmap_release_list(cache, &evicted);

	list_for_each_entry(map, &held, lru_link) {
		cache->ops->unmap(map);
		map->vaddr = NULL;
		map->windowed = false;
	}

	/* Back on the busy list, and let go of the use: the last user frees it. */
	while (!list_empty(&held)) {
		spin_lock(&cache->lock);
		map = list_first_entry(&held, struct ivgpu_kmap, lru_link);
		list_move(&map->lru_link, &cache->busy);
		cache->bytes_mapped -= map->size;
		spin_unlock(&cache->lock);
		ivgpu_kunmap(map);
	}
}

static void ivgpu_kmap_fini(struct drm_device *drm, void *data)
{
	struct ivgpu_kmap_cache *cache = data;
	struct ivgpu_kmap *map, *next;
	LIST_HEAD(evicted);

	/* Objects drop their idle mappings when freed; all are freed by now. */
	spin_lock(&cache->lock);
	list_for_each_entry_safe(map, next, &cache->lru, lru_link)
		ivgpu_kmap_evict_locked(cache, map, &evicted);
	spin_unlock(&cache->lock);
	ivgpu_kmap_release_list(cache, &evicted);

	if (cache->live)
		drm_err(drm, "kernel mapping leak: %llu mappings still in use at teardown\n",
			cache->live);
}

/**
 * ivgpu_kmap_cache_init - set up an empty kernel-mapping cache
 * @cache: the cache
 * @ops: how it makes and removes mappings
 *
 * The device's cache maps VRAM through BAR2 (see ivgpu_kmap_init()); the
 * KUnit tests give theirs ops that map nothing, to test the cache alone.
 */
void ivgpu_kmap_cache_init(struct ivgpu_kmap_cache *cache, const struct ivgpu_kmap_ops *ops)
{
	spin_lock_init(&cache->lock);
	INIT_LIST_HEAD(&cache->lru);
	INIT_LIST_HEAD(&cache->busy);
	cache->ops = ops;
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_kmap_cache_init);

/**
 * ivgpu_kmap_init - set up the kernel-mapping cache
 * @ivgpu: the device
 *
 * Return: 0 or a negative errno.
 */
int ivgpu_kmap_init(struct ivgpu_device *ivgpu)
{
	struct ivgpu_kmap_cache *cache = &ivgpu->kmap_cache;

	ivgpu_kmap_cache_init(cache, &ivgpu_kmap_io_ops);
	return drmm_add_action_or_reset(&ivgpu->drm, ivgpu_kmap_fini, cache);
}
