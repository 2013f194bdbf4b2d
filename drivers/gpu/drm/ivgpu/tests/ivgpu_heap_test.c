// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit suite ivgpu_heap: the VRAM heap (ivgpu_vram.c) over a heap of its
 * own, without a device.  It checks the statistics GET_PARAM and debugfs
 * report (bytes used, largest free block, number of allocations) after
 * every step, the shape of allocations (contiguous, scattered, aligned,
 * trimmed to their size), the extents and their lookup, exhaustion, and
 * that freeing, in any order, gives the heap back whole.
 *
 * Every case must free what it allocated: the case's exit fails it if an
 * allocation is left, then frees it so the next case starts clean.
 */

#include <linux/sizes.h>

#include "ivgpu_kunit.h"

#define HEAP_SIZE	SZ_16M

struct heap_fixture {
	struct ivgpu_device *ivgpu;
	u64 next_owner;
};

static int heap_test_init(struct kunit *test)
{
	struct heap_fixture *fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);

	if (!fx)
		return -ENOMEM;
	fx->ivgpu = ivgpu_kunit_device(test);
	test->priv = fx;
	return ivgpu_vram_heap_init(&fx->ivgpu->vram, HEAP_SIZE);
}

/* Fail the case for anything left allocated, free it, tear the heap down. */
static void heap_release(struct kunit *test, struct ivgpu_device *ivgpu)
{
	struct ivgpu_vram *vram = &ivgpu->vram;
	struct ivgpu_vram_res *res, *next;

	KUNIT_EXPECT_EQ_MSG(test, vram->count, 0, "allocations left at the end of the case");
	list_for_each_entry_safe(res, next, &vram->allocations, link)
		ivgpu_vram_free(ivgpu, res);
	ivgpu_vram_heap_fini(vram);
}

static void heap_test_exit(struct kunit *test)
{
	struct heap_fixture *fx = test->priv;

	heap_release(test, fx->ivgpu);
}

static struct ivgpu_device *heap_dev(struct kunit *test)
{
	return ((struct heap_fixture *)test->priv)->ivgpu;
}

static struct ivgpu_vram_res *heap_try(struct kunit *test, struct ivgpu_device *ivgpu,
				       u64 size, u64 alignment, bool contiguous)
{
	struct heap_fixture *fx = test->priv;

	return ivgpu_vram_alloc(ivgpu, size, alignment, contiguous, ++fx->next_owner);
}

/* An allocation that must succeed. */
static struct ivgpu_vram_res *heap_get(struct kunit *test, struct ivgpu_device *ivgpu,
				       u64 size, u64 alignment, bool contiguous)
{
	struct ivgpu_vram_res *res = heap_try(test, ivgpu, size, alignment, contiguous);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(res), "alloc of %llu (align %llu%s): %ld", size,
			       alignment, contiguous ? ", contiguous" : "", PTR_ERR(res));
	KUNIT_EXPECT_EQ(test, res->size, size);
	return res;
}

static u64 heap_used(struct ivgpu_device *ivgpu)
{
	u64 used, largest;

	ivgpu_vram_stats(ivgpu, &used, &largest, NULL);
	return used;
}

static u64 heap_largest(struct ivgpu_device *ivgpu)
{
	u64 used, largest;

	ivgpu_vram_stats(ivgpu, &used, &largest, NULL);
	return largest;
}

static unsigned int heap_objects(struct ivgpu_device *ivgpu)
{
	unsigned int objects;
	u64 used, largest;

	ivgpu_vram_stats(ivgpu, &used, &largest, &objects);
	return objects;
}

/* The extents of @res describe exactly @res->size bytes, in object order. */
static void heap_check_extents(struct kunit *test, const struct ivgpu_vram_res *res)
{
	u64 offset = 0;
	unsigned int i;

	KUNIT_ASSERT_GE(test, res->num_extents, 1u);
	for (i = 0; i < res->num_extents; i++) {
		const struct ivgpu_vram_extent *ext = &res->extents[i];

		KUNIT_EXPECT_EQ(test, ext->offset, offset);
		KUNIT_EXPECT_GT(test, ext->size, 0ull);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(ext->size, PAGE_SIZE));
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(ext->start, PAGE_SIZE));
		KUNIT_EXPECT_LE(test, ext->start + ext->size, (u64)HEAP_SIZE);
		/* Adjacent runs of VRAM are one extent. */
		if (i)
			KUNIT_EXPECT_NE(test, ext[-1].start + ext[-1].size, ext->start);
		offset += ext->size;
	}
	KUNIT_EXPECT_EQ(test, offset, res->size);
}

/*
 * Free the 1 MiB allocations of @res that sit at an even MiB of VRAM (and
 * clear their slots): the holes left are never adjacent, and no two of
 * them are buddies.
 */
static void heap_punch_holes(struct ivgpu_device *ivgpu, struct ivgpu_vram_res **res,
			     unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (res[i] && !((res[i]->extents[0].start / SZ_1M) & 1)) {
			ivgpu_vram_free(ivgpu, res[i]);
			res[i] = NULL;
		}
	}
}

static void heap_free_all(struct ivgpu_device *ivgpu, struct ivgpu_vram_res **res,
			  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (res[i])
			ivgpu_vram_free(ivgpu, res[i]);
		res[i] = NULL;
	}
}

static void heap_empty(struct kunit *test)
{
	struct ivgpu_device *ivgpu = heap_dev(test);

	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), 0ull);
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), (u64)HEAP_SIZE);
	KUNIT_EXPECT_EQ(test, heap_objects(ivgpu), 0u);
}

/* Used bytes are exact after every allocation and every free. */
static void heap_used_exact(struct kunit *test)
{
	static const u64 sizes[] = {
		PAGE_SIZE, 3 * PAGE_SIZE, SZ_1M + PAGE_SIZE, 7 * PAGE_SIZE, SZ_2M,
		SZ_4M - PAGE_SIZE,
	};
	/* Freed in an order unrelated to the allocation order. */
	static const unsigned int free_order[] = { 2, 0, 5, 3, 1, 4 };
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *res[ARRAY_SIZE(sizes)];
	u64 used = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		res[i] = heap_get(test, ivgpu, sizes[i], 0, i & 1);
		used += sizes[i];
		KUNIT_EXPECT_EQ(test, heap_used(ivgpu), used);
		KUNIT_EXPECT_EQ(test, heap_objects(ivgpu), i + 1);
	}
	for (i = 0; i < ARRAY_SIZE(free_order); i++) {
		ivgpu_vram_free(ivgpu, res[free_order[i]]);
		used -= sizes[free_order[i]];
		KUNIT_EXPECT_EQ(test, heap_used(ivgpu), used);
		KUNIT_EXPECT_EQ(test, heap_objects(ivgpu), (unsigned int)ARRAY_SIZE(sizes) - i - 1);
	}
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), (u64)HEAP_SIZE);
}

/*
 * A contiguous object is one extent of exactly its size: the power-of-two
 * block it came from is trimmed, and the tail is free again at once.
 */
static void heap_contiguous_trimmed(struct kunit *test)
{
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *res = heap_get(test, ivgpu, SZ_4M + SZ_1M, 0, true);

	KUNIT_EXPECT_EQ(test, res->num_extents, 1u);
	KUNIT_EXPECT_EQ(test, res->extents[0].size, (u64)(SZ_4M + SZ_1M));
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), (u64)(SZ_4M + SZ_1M));
	/* The other 8 MiB half stays whole. */
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), (u64)SZ_8M);
	/* The trimmed 3 MiB is usable: 8 + 3 MiB more fit. */
	ivgpu_vram_free(ivgpu, heap_get(test, ivgpu, SZ_8M + SZ_2M + SZ_1M, 0, false));
	ivgpu_vram_free(ivgpu, res);
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), (u64)HEAP_SIZE);
}

/* All of the heap fits in one contiguous object, and then nothing else. */
static void heap_whole_contiguous(struct kunit *test)
{
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *res = heap_get(test, ivgpu, HEAP_SIZE, 0, true);

	KUNIT_EXPECT_EQ(test, res->num_extents, 1u);
	KUNIT_EXPECT_EQ(test, res->extents[0].start, 0ull);
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), (u64)HEAP_SIZE);
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), 0ull);
	KUNIT_EXPECT_EQ(test, PTR_ERR(heap_try(test, ivgpu, PAGE_SIZE, 0, false)), -ENOSPC);
	ivgpu_vram_free(ivgpu, res);
}

/* Every extent starts at a multiple of the alignment; the size is kept exact. */
static void heap_alignment(struct kunit *test)
{
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *small, *res;
	unsigned int i;

	/* A page, so that what follows cannot start at 0 by luck. */
	small = heap_get(test, ivgpu, PAGE_SIZE, 0, false);

	res = heap_get(test, ivgpu, PAGE_SIZE, SZ_4M, true);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(res->extents[0].start, SZ_4M));
	ivgpu_vram_free(ivgpu, res);

	/* Rounded up to 6 MiB for the allocator, trimmed back to 5. */
	res = heap_get(test, ivgpu, SZ_4M + SZ_1M, SZ_2M, false);
	heap_check_extents(test, res);
	for (i = 0; i < res->num_extents; i++)
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(res->extents[i].start, SZ_2M));
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), (u64)(SZ_4M + SZ_1M + PAGE_SIZE));
	ivgpu_vram_free(ivgpu, res);
	ivgpu_vram_free(ivgpu, small);
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), 0ull);
}

/*
 * With every other MiB held, a scattered object takes the free holes, one
 * extent each; a contiguous one larger than a hole cannot be made, and the
 * largest free block says so.
 */
static void heap_fragmented(struct kunit *test)
{
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *res[HEAP_SIZE / SZ_1M], *scattered;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(res); i++)
		res[i] = heap_get(test, ivgpu, SZ_1M, 0, false);
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), 0ull);
	heap_punch_holes(ivgpu, res, ARRAY_SIZE(res));
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), (u64)SZ_8M);
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), (u64)SZ_1M);

	KUNIT_EXPECT_EQ(test, PTR_ERR(heap_try(test, ivgpu, SZ_1M + PAGE_SIZE, 0, true)),
			-ENOSPC);
	scattered = heap_get(test, ivgpu, SZ_4M, 0, false);
	KUNIT_EXPECT_EQ(test, scattered->num_extents, 4u);
	heap_check_extents(test, scattered);
	for (i = 0; i < scattered->num_extents; i++)
		KUNIT_EXPECT_EQ(test, scattered->extents[i].size, (u64)SZ_1M);
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), (u64)SZ_8M + SZ_4M);

	ivgpu_vram_free(ivgpu, scattered);
	heap_free_all(ivgpu, res, ARRAY_SIZE(res));
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), 0ull);
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), (u64)HEAP_SIZE);
}

/*
 * The largest free block is exactly the largest contiguous object that can
 * be made: it fits, a page more does not.  Checked at several states.
 */
static void heap_largest_free_fits(struct kunit *test)
{
	static const u64 sizes[] = {
		SZ_1M, SZ_2M + PAGE_SIZE, SZ_4M, PAGE_SIZE, SZ_1M - PAGE_SIZE,
	};
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *res[ARRAY_SIZE(sizes)];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u64 largest;
		struct ivgpu_vram_res *probe;

		res[i] = heap_get(test, ivgpu, sizes[i], 0, true);
		if (i & 1) {
			ivgpu_vram_free(ivgpu, res[i - 1]);
			res[i - 1] = NULL;
		}
		largest = heap_largest(ivgpu);
		KUNIT_ASSERT_GT(test, largest, 0ull);
		probe = heap_get(test, ivgpu, largest, 0, true);
		ivgpu_vram_free(ivgpu, probe);
		probe = heap_try(test, ivgpu, largest + PAGE_SIZE, 0, true);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(probe), -ENOSPC, "largest free %llu", largest);
	}
	for (i = 0; i < ARRAY_SIZE(res); i++)
		if (res[i])
			ivgpu_vram_free(ivgpu, res[i]);
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), 0ull);
}

/* Exhaustion is ENOSPC, changes nothing, and the same allocations fit again after a free. */
static void heap_exhaustion(struct kunit *test)
{
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *res[HEAP_SIZE / SZ_2M];
	unsigned int i, round;

	for (round = 0; round < 2; round++) {
		for (i = 0; i < ARRAY_SIZE(res); i++)
			res[i] = heap_get(test, ivgpu, SZ_2M, 0, round);
		KUNIT_EXPECT_EQ(test, heap_used(ivgpu), (u64)HEAP_SIZE);
		KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), 0ull);
		KUNIT_EXPECT_EQ(test, PTR_ERR(heap_try(test, ivgpu, PAGE_SIZE, 0, false)), -ENOSPC);
		KUNIT_EXPECT_EQ(test, PTR_ERR(heap_try(test, ivgpu, PAGE_SIZE, 0, true)), -ENOSPC);
		KUNIT_EXPECT_EQ(test, heap_used(ivgpu), (u64)HEAP_SIZE);
		KUNIT_EXPECT_EQ(test, heap_objects(ivgpu), (unsigned int)ARRAY_SIZE(res));
		for (i = 0; i < ARRAY_SIZE(res); i++)
			ivgpu_vram_free(ivgpu, res[i]);
		KUNIT_EXPECT_EQ(test, heap_used(ivgpu), 0ull);
	}
}

/* A request that cannot fit fails without taking anything. */
static void heap_enospc_takes_nothing(struct kunit *test)
{
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *held = heap_get(test, ivgpu, SZ_8M + SZ_2M, 0, false);
	u64 largest = heap_largest(ivgpu);

	/* Scattered, more than is free. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(heap_try(test, ivgpu, SZ_8M, 0, false)), -ENOSPC);
	/* Scattered, more than the heap. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(heap_try(test, ivgpu, HEAP_SIZE + PAGE_SIZE, 0, false)),
			-ENOSPC);
	/* Contiguous, above the largest block the allocator has. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(heap_try(test, ivgpu, HEAP_SIZE + PAGE_SIZE, 0, true)),
			-ENOSPC);
	/* Fits once rounded to the alignment?  6 MiB free, 4 MiB aligned to 8 MiB: no. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(heap_try(test, ivgpu, SZ_4M, SZ_8M, false)), -ENOSPC);
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), (u64)(SZ_8M + SZ_2M));
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), largest);
	KUNIT_EXPECT_EQ(test, heap_objects(ivgpu), 1u);
	ivgpu_vram_free(ivgpu, held);
}

/* The extent lookup finds the extent of every byte, and nothing outside. */
static void heap_extent_lookup(struct kunit *test)
{
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *hold[8], *res;
	unsigned int i;

	/* Holes of 1 MiB, so that the object is scattered over several extents. */
	for (i = 0; i < ARRAY_SIZE(hold); i++)
		hold[i] = heap_get(test, ivgpu, SZ_1M, 0, false);
	heap_punch_holes(ivgpu, hold, ARRAY_SIZE(hold));
	res = heap_get(test, ivgpu, SZ_8M + SZ_2M + PAGE_SIZE, 0, false);
	heap_check_extents(test, res);
	KUNIT_EXPECT_GT(test, res->num_extents, 1u);

	for (i = 0; i < res->num_extents; i++) {
		const struct ivgpu_vram_extent *ext = &res->extents[i];

		KUNIT_EXPECT_PTR_EQ(test, ivgpu_vram_res_find(res, ext->offset), ext);
		KUNIT_EXPECT_PTR_EQ(test, ivgpu_vram_res_find(res, ext->offset + 1), ext);
		KUNIT_EXPECT_PTR_EQ(test, ivgpu_vram_res_find(res, ext->offset + ext->size - 1),
				    ext);
	}
	KUNIT_EXPECT_NULL(test, ivgpu_vram_res_find(res, res->size));
	KUNIT_EXPECT_NULL(test, ivgpu_vram_res_find(res, U64_MAX));

	ivgpu_vram_free(ivgpu, res);
	heap_free_all(ivgpu, hold, ARRAY_SIZE(hold));
}

/*
 * A heap whose size is not a power of two: the largest block is the
 * largest power of two in it, a contiguous object cannot be larger even
 * with the rest free, and all of it can still be allocated.
 */
static void heap_not_power_of_two(struct kunit *test)
{
	struct ivgpu_device *ivgpu = ivgpu_kunit_device(test);
	struct ivgpu_vram_res *a, *b;

	KUNIT_ASSERT_EQ(test, ivgpu_vram_heap_init(&ivgpu->vram, SZ_16M + SZ_8M), 0);
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), (u64)SZ_16M);
	KUNIT_EXPECT_EQ(test, PTR_ERR(heap_try(test, ivgpu, SZ_16M + PAGE_SIZE, 0, true)),
			-ENOSPC);
	a = heap_try(test, ivgpu, SZ_16M, 0, true);
	b = heap_try(test, ivgpu, SZ_8M, 0, true);
	KUNIT_EXPECT_FALSE(test, IS_ERR(a));
	KUNIT_EXPECT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), (u64)(SZ_16M + SZ_8M));
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), 0ull);
	if (!IS_ERR(a))
		ivgpu_vram_free(ivgpu, a);
	if (!IS_ERR(b))
		ivgpu_vram_free(ivgpu, b);
	/* And as one scattered object. */
	a = heap_try(test, ivgpu, SZ_16M + SZ_8M, 0, false);
	KUNIT_EXPECT_FALSE(test, IS_ERR(a));
	if (!IS_ERR(a))
		ivgpu_vram_free(ivgpu, a);
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), 0ull);
	heap_release(test, ivgpu);
}

/* Many allocations of mixed shapes freed in a scrambled order leave the heap whole. */
static void heap_free_restores(struct kunit *test)
{
	struct ivgpu_device *ivgpu = heap_dev(test);
	struct ivgpu_vram_res *res[24];
	u64 used = 0;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(res); i++) {
		u64 size = (u64)(1 + (i * 7) % 61) * PAGE_SIZE;

		res[i] = heap_get(test, ivgpu, size, i % 3 == 2 ? SZ_64K : 0, i % 4 == 1);
		used += size;
	}
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), used);
	/* 24 and 7 are coprime: j visits every index once. */
	for (i = 0, j = 5; i < ARRAY_SIZE(res); i++, j = (j + 7) % ARRAY_SIZE(res)) {
		used -= res[j]->size;
		ivgpu_vram_free(ivgpu, res[j]);
		KUNIT_EXPECT_EQ(test, heap_used(ivgpu), used);
	}
	KUNIT_EXPECT_EQ(test, heap_used(ivgpu), 0ull);
	KUNIT_EXPECT_EQ(test, heap_largest(ivgpu), (u64)HEAP_SIZE);
	KUNIT_EXPECT_EQ(test, heap_objects(ivgpu), 0u);
	/* Whole again: all of it fits in one block. */
	ivgpu_vram_free(ivgpu, heap_get(test, ivgpu, HEAP_SIZE, 0, true));
}

static struct kunit_case ivgpu_heap_cases[] = {
	KUNIT_CASE(heap_empty),
	KUNIT_CASE(heap_used_exact),
	KUNIT_CASE(heap_contiguous_trimmed),
	KUNIT_CASE(heap_whole_contiguous),
	KUNIT_CASE(heap_alignment),
	KUNIT_CASE(heap_fragmented),
	KUNIT_CASE(heap_largest_free_fits),
	KUNIT_CASE(heap_exhaustion),
	KUNIT_CASE(heap_enospc_takes_nothing),
	KUNIT_CASE(heap_extent_lookup),
	KUNIT_CASE(heap_not_power_of_two),
	KUNIT_CASE(heap_free_restores),
	{}
};

static struct kunit_suite ivgpu_heap_suite = {
	.name = "ivgpu_heap",
	.init = heap_test_init,
	.exit = heap_test_exit,
	.test_cases = ivgpu_heap_cases,
};

kunit_test_suite(ivgpu_heap_suite);
