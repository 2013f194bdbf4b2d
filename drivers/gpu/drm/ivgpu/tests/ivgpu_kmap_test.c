// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit suite ivgpu_kmap: the kernel-mapping cache (ivgpu_kmap.c) with
 * mapping operations that map nothing, on buffer objects that are bare GEM
 * objects of a fake device.  It checks that a request inside a live mapping
 * of the same object reuses it and any other request maps anew, the users
 * and object references a mapping holds, the idle LRU and its limit (the
 * kmap_cache_limit module parameter), the eviction order, and that an
 * object's free and ivgpu_kmap_drop_idle() unmap its idle mappings only.
 *
 * The fake map allocates a byte and the fake unmap frees it, so a mapping
 * unmapped twice is a KASAN report and one never unmapped a kmemleak one.
 * The module parameter is the device's: the suite saves it and puts it
 * back after each case (nothing else uses the cache's limit meanwhile in
 * the test VM).
 */

#include <linux/dma-resv.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include <drm/drm_gem.h>

#include "ivgpu_kunit.h"

#define KMAP_LOG_MAX	32

struct kmap_fixture {
	/* The fake device: only its kernel-mapping cache is used. */
	struct ivgpu_device *ivgpu;
	struct kunit *test;
	unsigned int saved_limit;
	/* Fake map calls, unmap calls, objects freed. */
	unsigned int maps, unmaps, frees;
	/* Errno the next fake map returns, 0 to succeed. */
	int fail_next;
	/* Object offset of each unmapped mapping, in unmap order. */
	u64 unmapped[KMAP_LOG_MAX];
};

/* One fixture at a time: KUnit runs the cases of a suite one after another. */
static struct kmap_fixture *kmap_fx;

static int kmap_fake_map(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res,
			 u64 offset, u64 size, struct ivgpu_kmap *map)
{
	struct kmap_fixture *fx = kmap_fx;
	void *cookie;

	KUNIT_EXPECT_PTR_EQ(fx->test, ivgpu, fx->ivgpu);
	if (fx->fail_next) {
		int ret = fx->fail_next;

		fx->fail_next = 0;
		return ret;
	}
	cookie = kzalloc(1, GFP_KERNEL);
	if (!cookie)
		return -ENOMEM;
	map->vaddr = (void __force __iomem *)cookie;
	map->vmapped = false;
	fx->maps++;
	return 0;
}

static void kmap_fake_unmap(struct ivgpu_kmap *map)
{
	struct kmap_fixture *fx = kmap_fx;

	if (fx->unmaps < KMAP_LOG_MAX)
		fx->unmapped[fx->unmaps] = map->offset;
	fx->unmaps++;
	kfree((void __force *)map->vaddr);
}

static const struct ivgpu_kmap_ops kmap_fake_ops = {
	.map = kmap_fake_map,
	.unmap = kmap_fake_unmap,
};

/* What the driver's object free does for the cache, then the bare GEM object goes. */
static void kmap_fake_bo_free(struct drm_gem_object *obj)
{
	struct ivgpu_bo *bo = to_ivgpu_bo(obj);

	ivgpu_kmap_drop_idle(bo);
	KUNIT_EXPECT_TRUE_MSG(kmap_fx->test, list_empty(&bo->kmaps),
			      "object freed with mappings in use");
	kmap_fx->frees++;
	dma_resv_fini(&obj->_resv);
	kfree(bo);
}

static const struct drm_gem_object_funcs kmap_fake_bo_funcs = {
	.free = kmap_fake_bo_free,
};

static struct ivgpu_bo *kmap_bo(struct kunit *test, u64 size)
{
	struct ivgpu_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, bo);
	bo->base.funcs = &kmap_fake_bo_funcs;
	drm_gem_private_object_init(&kmap_fx->ivgpu->drm, &bo->base, size);
	INIT_LIST_HEAD(&bo->kmaps);
	return bo;
}

static struct ivgpu_kmap *kmap_try(struct ivgpu_bo *bo, u64 offset, u64 size, bool *reused)
{
	struct ivgpu_kmap *map;

	dma_resv_lock(bo->base.resv, NULL);
	map = ivgpu_kmap(bo, offset, size, reused);
	dma_resv_unlock(bo->base.resv);
	return map;
}

/* A mapping that must succeed and be reused (or not) as @want_reused says. */
static struct ivgpu_kmap *kmap_get(struct kunit *test, struct ivgpu_bo *bo, u64 offset,
				   u64 size, bool want_reused)
{
	bool reused = !want_reused;
	struct ivgpu_kmap *map = kmap_try(bo, offset, size, &reused);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(map), "kmap [%llu, +%llu): %ld", offset, size,
			       PTR_ERR(map));
	KUNIT_EXPECT_EQ_MSG(test, reused, want_reused, "kmap [%llu, +%llu)", offset, size);
	KUNIT_EXPECT_LE(test, map->offset, offset);
	KUNIT_EXPECT_GE(test, map->offset + map->size, offset + size);
	return map;
}

static struct ivgpu_kmap_cache *kmap_cache(void)
{
	return &kmap_fx->ivgpu->kmap_cache;
}

static void kmap_set_limit(unsigned int limit)
{
	WRITE_ONCE(ivgpu_modparams.kmap_cache_limit, limit);
}

static int kmap_test_init(struct kunit *test)
{
	struct kmap_fixture *fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);

	if (!fx)
		return -ENOMEM;
	fx->test = test;
	fx->ivgpu = ivgpu_kunit_device(test);
	ivgpu_kmap_cache_init(&fx->ivgpu->kmap_cache, &kmap_fake_ops);
	fx->saved_limit = READ_ONCE(ivgpu_modparams.kmap_cache_limit);
	kmap_set_limit(8);
	kmap_fx = fx;
	test->priv = fx;
	return 0;
}

/* Every case lets go of everything: the cache must be empty and all unmapped. */
static void kmap_test_exit(struct kunit *test)
{
	struct kmap_fixture *fx = test->priv;
	struct ivgpu_kmap_cache *cache = &fx->ivgpu->kmap_cache;

	KUNIT_EXPECT_EQ(test, cache->live, 0ull);
	KUNIT_EXPECT_EQ(test, cache->in_use, 0ull);
	KUNIT_EXPECT_EQ(test, cache->idle, 0u);
	KUNIT_EXPECT_EQ(test, cache->bytes_mapped, 0ull);
	KUNIT_EXPECT_TRUE(test, list_empty(&cache->lru));
	KUNIT_EXPECT_EQ(test, fx->unmaps, fx->maps);
	kmap_set_limit(fx->saved_limit);
	kmap_fx = NULL;
}

/* A miss maps; the same range again, idle or in use, is a hit on the same mapping. */
static void kmap_miss_then_hit(struct kunit *test)
{
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_16M);
	struct ivgpu_kmap *a, *b, *c;

	a = kmap_get(test, bo, 0, SZ_4M, false);
	KUNIT_EXPECT_EQ(test, kmap_fx->maps, 1u);
	KUNIT_EXPECT_EQ(test, atomic64_read(&cache->misses), 1ll);
	b = kmap_get(test, bo, 0, SZ_4M, true);
	KUNIT_EXPECT_PTR_EQ(test, b, a);
	ivgpu_kunmap(b);
	ivgpu_kunmap(a);
	/* Idle now, still mapped, and found again. */
	KUNIT_EXPECT_EQ(test, kmap_fx->unmaps, 0u);
	c = kmap_get(test, bo, 0, SZ_4M, true);
	KUNIT_EXPECT_PTR_EQ(test, c, a);
	KUNIT_EXPECT_EQ(test, kmap_fx->maps, 1u);
	KUNIT_EXPECT_EQ(test, atomic64_read(&cache->hits), 2ll);
	KUNIT_EXPECT_EQ(test, atomic64_read(&cache->misses), 1ll);
	ivgpu_kunmap(c);
	drm_gem_object_put(&bo->base);
	KUNIT_EXPECT_EQ(test, kmap_fx->frees, 1u);
}

/* Any range inside a live mapping reuses it, up to and including both of its ends. */
static void kmap_hit_inside(struct kunit *test)
{
	static const struct { u64 offset, size; } inside[] = {
		{ SZ_4M, PAGE_SIZE },			/* its first page */
		{ SZ_4M + PAGE_SIZE, PAGE_SIZE },
		{ SZ_8M + SZ_4M - PAGE_SIZE, PAGE_SIZE },	/* its last page */
		{ SZ_8M, SZ_4M },			/* its second half */
		{ SZ_4M, SZ_8M },			/* all of it */
	};
	struct ivgpu_bo *bo = kmap_bo(test, SZ_16M);
	struct ivgpu_kmap *big, *m[ARRAY_SIZE(inside)];
	unsigned int i;

	big = kmap_get(test, bo, SZ_4M, SZ_8M, false);
	for (i = 0; i < ARRAY_SIZE(inside); i++) {
		m[i] = kmap_get(test, bo, inside[i].offset, inside[i].size, true);
		KUNIT_EXPECT_PTR_EQ(test, m[i], big);
	}
	KUNIT_EXPECT_EQ(test, big->users, (unsigned int)ARRAY_SIZE(inside) + 1);
	KUNIT_EXPECT_EQ(test, kmap_fx->maps, 1u);
	for (i = 0; i < ARRAY_SIZE(inside); i++)
		ivgpu_kunmap(m[i]);
	ivgpu_kunmap(big);
	drm_gem_object_put(&bo->base);
}

/* A range that is not entirely inside a live mapping maps anew, even if it overlaps. */
static void kmap_miss_overlap(struct kunit *test)
{
	static const struct { u64 offset, size; } outside[] = {
		{ SZ_4M - PAGE_SIZE, 2 * PAGE_SIZE },	/* starts one page before */
		{ SZ_8M - PAGE_SIZE, 2 * PAGE_SIZE },	/* ends one page after */
		{ 0, SZ_16M },				/* around it */
		{ SZ_8M, PAGE_SIZE },			/* just after it */
	};
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_16M);
	struct ivgpu_kmap *live, *m;
	unsigned int i;

	kmap_set_limit(0);
	live = kmap_get(test, bo, SZ_4M, SZ_4M, false);
	for (i = 0; i < ARRAY_SIZE(outside); i++) {
		m = kmap_get(test, bo, outside[i].offset, outside[i].size, false);
		KUNIT_EXPECT_PTR_NE(test, m, live);
		KUNIT_EXPECT_EQ(test, m->offset, outside[i].offset);
		KUNIT_EXPECT_EQ(test, m->size, outside[i].size);
		ivgpu_kunmap(m);
	}
	KUNIT_EXPECT_EQ(test, kmap_fx->maps, 1u + (unsigned int)ARRAY_SIZE(outside));
	KUNIT_EXPECT_EQ(test, atomic64_read(&cache->hits), 0ll);
	ivgpu_kunmap(live);
	drm_gem_object_put(&bo->base);
}

/* Mappings belong to one object: the same range of another object is a miss. */
static void kmap_per_object(struct kunit *test)
{
	struct ivgpu_bo *a = kmap_bo(test, SZ_4M), *b = kmap_bo(test, SZ_4M);
	struct ivgpu_kmap *ma, *mb;

	ma = kmap_get(test, a, 0, SZ_4M, false);
	mb = kmap_get(test, b, 0, SZ_4M, false);
	KUNIT_EXPECT_PTR_NE(test, ma, mb);
	KUNIT_EXPECT_PTR_EQ(test, ma->bo, a);
	KUNIT_EXPECT_PTR_EQ(test, mb->bo, b);
	ivgpu_kunmap(ma);
	ivgpu_kunmap(mb);
	drm_gem_object_put(&a->base);
	drm_gem_object_put(&b->base);
	KUNIT_EXPECT_EQ(test, kmap_fx->frees, 2u);
}

/*
 * Users are counted per mapping; it goes idle with its last user only.  A
 * mapping in use holds one reference to its object however many users it
 * has; an idle one holds none.
 */
static void kmap_users_and_references(struct kunit *test)
{
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_4M);
	struct ivgpu_kmap *m[3];
	unsigned int i;

	KUNIT_EXPECT_EQ(test, kref_read(&bo->base.refcount), 1u);
	for (i = 0; i < ARRAY_SIZE(m); i++)
		m[i] = kmap_get(test, bo, 0, PAGE_SIZE, i > 0);
	KUNIT_EXPECT_EQ(test, m[0]->users, 3u);
	KUNIT_EXPECT_EQ(test, kref_read(&bo->base.refcount), 2u);
	KUNIT_EXPECT_EQ(test, cache->in_use, 1ull);

	ivgpu_kunmap(m[0]);
	ivgpu_kunmap(m[1]);
	KUNIT_EXPECT_EQ(test, m[2]->users, 1u);
	KUNIT_EXPECT_EQ(test, cache->in_use, 1ull);
	KUNIT_EXPECT_EQ(test, cache->idle, 0u);
	KUNIT_EXPECT_EQ(test, kref_read(&bo->base.refcount), 2u);

	ivgpu_kunmap(m[2]);
	KUNIT_EXPECT_EQ(test, cache->in_use, 0ull);
	KUNIT_EXPECT_EQ(test, cache->idle, 1u);
	KUNIT_EXPECT_EQ(test, cache->live, 1ull);
	KUNIT_EXPECT_EQ(test, kref_read(&bo->base.refcount), 1u);

	/* Reused from idle: in use again, off the LRU, holding a reference again. */
	m[0] = kmap_get(test, bo, 0, PAGE_SIZE, true);
	KUNIT_EXPECT_EQ(test, cache->idle, 0u);
	KUNIT_EXPECT_EQ(test, cache->in_use, 1ull);
	KUNIT_EXPECT_TRUE(test, list_empty(&cache->lru));
	KUNIT_EXPECT_EQ(test, kref_read(&bo->base.refcount), 2u);
	ivgpu_kunmap(m[0]);
	drm_gem_object_put(&bo->base);
}

/* With a limit of 0 a mapping is unmapped as soon as its last user goes. */
static void kmap_limit_zero(struct kunit *test)
{
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_4M);
	struct ivgpu_kmap *m;

	kmap_set_limit(0);
	m = kmap_get(test, bo, 0, SZ_4M, false);
	ivgpu_kunmap(m);
	KUNIT_EXPECT_EQ(test, kmap_fx->unmaps, 1u);
	KUNIT_EXPECT_EQ(test, cache->live, 0ull);
	KUNIT_EXPECT_EQ(test, atomic64_read(&cache->released), 1ll);
	/* Gone: the same range maps anew. */
	m = kmap_get(test, bo, 0, SZ_4M, false);
	KUNIT_EXPECT_EQ(test, kmap_fx->maps, 2u);
	ivgpu_kunmap(m);
	drm_gem_object_put(&bo->base);
}

/*
 * Beyond the limit the least recently used idle mapping is unmapped first;
 * reusing a mapping makes it the most recently used when it goes idle again.
 */
static void kmap_lru_order(struct kunit *test)
{
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_16M);
	struct ivgpu_kmap *a, *b, *c, *d;

	kmap_set_limit(2);
	a = kmap_get(test, bo, 0, PAGE_SIZE, false);
	b = kmap_get(test, bo, SZ_1M, PAGE_SIZE, false);
	c = kmap_get(test, bo, SZ_2M, PAGE_SIZE, false);
	ivgpu_kunmap(a);
	ivgpu_kunmap(b);
	KUNIT_EXPECT_EQ(test, kmap_fx->unmaps, 0u);
	ivgpu_kunmap(c);
	/* Three idle, limit two: a, idle the longest, goes. */
	KUNIT_ASSERT_EQ(test, kmap_fx->unmaps, 1u);
	KUNIT_EXPECT_EQ(test, kmap_fx->unmapped[0], 0ull);
	KUNIT_EXPECT_EQ(test, cache->idle, 2u);

	/* b is used again, so c is now the least recently used. */
	b = kmap_get(test, bo, SZ_1M, PAGE_SIZE, true);
	ivgpu_kunmap(b);
	d = kmap_get(test, bo, SZ_4M, PAGE_SIZE, false);
	ivgpu_kunmap(d);
	KUNIT_ASSERT_EQ(test, kmap_fx->unmaps, 2u);
	KUNIT_EXPECT_EQ(test, kmap_fx->unmapped[1], (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, cache->idle, 2u);
	KUNIT_EXPECT_EQ(test, cache->live, 2ull);

	/* b and d remain, and are hits. */
	b = kmap_get(test, bo, SZ_1M, PAGE_SIZE, true);
	d = kmap_get(test, bo, SZ_4M, PAGE_SIZE, true);
	ivgpu_kunmap(b);
	ivgpu_kunmap(d);
	drm_gem_object_put(&bo->base);
}

/* Mappings in use never count against the limit and are never evicted. */
static void kmap_in_use_not_evicted(struct kunit *test)
{
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_16M);
	struct ivgpu_kmap *m[6];
	unsigned int i;

	kmap_set_limit(1);
	for (i = 0; i < ARRAY_SIZE(m); i++)
		m[i] = kmap_get(test, bo, i * SZ_1M, PAGE_SIZE, false);
	KUNIT_EXPECT_EQ(test, cache->live, (u64)ARRAY_SIZE(m));
	KUNIT_EXPECT_EQ(test, kmap_fx->unmaps, 0u);
	for (i = 0; i < ARRAY_SIZE(m); i++) {
		ivgpu_kunmap(m[i]);
		/* Only idle ones beyond the one allowed go, oldest first. */
		KUNIT_EXPECT_EQ(test, cache->idle, 1u);
		KUNIT_EXPECT_EQ(test, kmap_fx->unmaps, i);
		if (i)
			KUNIT_EXPECT_EQ(test, kmap_fx->unmapped[i - 1], (u64)(i - 1) * SZ_1M);
	}
	drm_gem_object_put(&bo->base);
}

/* Lowering the limit at run time trims the idle list at the next release. */
static void kmap_limit_lowered(struct kunit *test)
{
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_16M);
	struct ivgpu_kmap *m[5];
	unsigned int i;

	kmap_set_limit(8);
	for (i = 0; i < ARRAY_SIZE(m); i++)
		m[i] = kmap_get(test, bo, i * SZ_1M, PAGE_SIZE, false);
	for (i = 0; i < ARRAY_SIZE(m) - 1; i++)
		ivgpu_kunmap(m[i]);
	KUNIT_EXPECT_EQ(test, cache->idle, 4u);

	kmap_set_limit(2);
	ivgpu_kunmap(m[4]);
	KUNIT_EXPECT_EQ(test, cache->idle, 2u);
	KUNIT_ASSERT_EQ(test, kmap_fx->unmaps, 3u);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, kmap_fx->unmapped[i], (u64)i * SZ_1M);
	/* The two most recent stayed. */
	m[3] = kmap_get(test, bo, 3 * SZ_1M, PAGE_SIZE, true);
	m[4] = kmap_get(test, bo, 4 * SZ_1M, PAGE_SIZE, true);
	ivgpu_kunmap(m[3]);
	ivgpu_kunmap(m[4]);
	drm_gem_object_put(&bo->base);
}

/* ivgpu_kmap_drop_idle() unmaps the object's idle mappings, not those in use, not others'. */
static void kmap_drop_idle(struct kunit *test)
{
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_16M), *other = kmap_bo(test, SZ_4M);
	struct ivgpu_kmap *busy, *idle1, *idle2, *theirs;

	busy = kmap_get(test, bo, 0, SZ_1M, false);
	idle1 = kmap_get(test, bo, SZ_2M, SZ_1M, false);
	idle2 = kmap_get(test, bo, SZ_4M, SZ_1M, false);
	theirs = kmap_get(test, other, 0, SZ_1M, false);
	ivgpu_kunmap(idle1);
	ivgpu_kunmap(idle2);
	ivgpu_kunmap(theirs);
	KUNIT_EXPECT_EQ(test, cache->idle, 3u);

	dma_resv_lock(bo->base.resv, NULL);
	ivgpu_kmap_drop_idle(bo);
	dma_resv_unlock(bo->base.resv);
	KUNIT_EXPECT_EQ(test, kmap_fx->unmaps, 2u);
	KUNIT_EXPECT_EQ(test, cache->idle, 1u);
	KUNIT_EXPECT_EQ(test, cache->live, 2ull);
	KUNIT_EXPECT_EQ(test, busy->users, 1u);
	/* The one in use is still found; the dropped ones map anew. */
	KUNIT_EXPECT_PTR_EQ(test, kmap_get(test, bo, 0, PAGE_SIZE, true), busy);
	ivgpu_kunmap(busy);
	ivgpu_kunmap(kmap_get(test, bo, SZ_2M, SZ_1M, false));
	ivgpu_kunmap(busy);
	drm_gem_object_put(&bo->base);
	drm_gem_object_put(&other->base);
}

/*
 * Idle mappings hold no reference, so an object with only idle mappings
 * is freed by its last reference, and its free unmaps them.
 */
static void kmap_free_drops_idle(struct kunit *test)
{
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_16M);
	unsigned int i;

	for (i = 0; i < 3; i++)
		ivgpu_kunmap(kmap_get(test, bo, i * SZ_4M, SZ_4M, false));
	KUNIT_EXPECT_EQ(test, cache->idle, 3u);
	KUNIT_EXPECT_EQ(test, kref_read(&bo->base.refcount), 1u);
	drm_gem_object_put(&bo->base);
	KUNIT_EXPECT_EQ(test, kmap_fx->frees, 1u);
	KUNIT_EXPECT_EQ(test, kmap_fx->unmaps, 3u);
	KUNIT_EXPECT_EQ(test, cache->live, 0ull);
	KUNIT_EXPECT_EQ(test, atomic64_read(&cache->released), 3ll);
}

/* A failed map returns its errno and leaves no trace: no mapping, count or reference. */
static void kmap_map_failure(struct kunit *test)
{
	static const int errnos[] = { -ENOMEM, -EOPNOTSUPP, -EINVAL };
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_4M);
	struct ivgpu_kmap *m;
	unsigned int i;
	bool reused;

	for (i = 0; i < ARRAY_SIZE(errnos); i++) {
		kmap_fx->fail_next = errnos[i];
		m = kmap_try(bo, 0, SZ_4M, &reused);
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(m), errnos[i]);
	}
	KUNIT_EXPECT_EQ(test, cache->live, 0ull);
	KUNIT_EXPECT_EQ(test, cache->in_use, 0ull);
	KUNIT_EXPECT_EQ(test, cache->bytes_mapped, 0ull);
	KUNIT_EXPECT_EQ(test, atomic64_read(&cache->misses), 0ll);
	KUNIT_EXPECT_TRUE(test, list_empty(&bo->kmaps));
	KUNIT_EXPECT_EQ(test, kref_read(&bo->base.refcount), 1u);
	/* And the next attempt maps. */
	ivgpu_kunmap(kmap_get(test, bo, 0, SZ_4M, false));
	drm_gem_object_put(&bo->base);
}

/* bytes_mapped follows what is mapped, through hits, idling and eviction. */
static void kmap_bytes_mapped(struct kunit *test)
{
	struct ivgpu_kmap_cache *cache = kmap_cache();
	struct ivgpu_bo *bo = kmap_bo(test, SZ_16M);
	struct ivgpu_kmap *a, *b, *hit;

	kmap_set_limit(1);
	a = kmap_get(test, bo, 0, SZ_4M, false);
	b = kmap_get(test, bo, SZ_8M, SZ_2M, false);
	KUNIT_EXPECT_EQ(test, cache->bytes_mapped, (u64)(SZ_4M + SZ_2M));
	hit = kmap_get(test, bo, SZ_1M, SZ_1M, true);
	KUNIT_EXPECT_EQ(test, cache->bytes_mapped, (u64)(SZ_4M + SZ_2M));
	ivgpu_kunmap(hit);
	ivgpu_kunmap(a);
	KUNIT_EXPECT_EQ(test, cache->bytes_mapped, (u64)(SZ_4M + SZ_2M));
	/* Two idle, limit one: a goes. */
	ivgpu_kunmap(b);
	KUNIT_EXPECT_EQ(test, cache->bytes_mapped, (u64)SZ_2M);
	drm_gem_object_put(&bo->base);
	KUNIT_EXPECT_EQ(test, cache->bytes_mapped, 0ull);
}

static struct kunit_case ivgpu_kmap_cases[] = {
	KUNIT_CASE(kmap_miss_then_hit),
	KUNIT_CASE(kmap_hit_inside),
	KUNIT_CASE(kmap_miss_overlap),
	KUNIT_CASE(kmap_per_object),
	KUNIT_CASE(kmap_users_and_references),
	KUNIT_CASE(kmap_limit_zero),
	KUNIT_CASE(kmap_lru_order),
	KUNIT_CASE(kmap_in_use_not_evicted),
	KUNIT_CASE(kmap_limit_lowered),
	KUNIT_CASE(kmap_drop_idle),
	KUNIT_CASE(kmap_free_drops_idle),
	KUNIT_CASE(kmap_map_failure),
	KUNIT_CASE(kmap_bytes_mapped),
	{}
};

static struct kunit_suite ivgpu_kmap_suite = {
	.name = "ivgpu_kmap",
	.init = kmap_test_init,
	.exit = kmap_test_exit,
	.test_cases = ivgpu_kmap_cases,
};

kunit_test_suite(ivgpu_kmap_suite);
