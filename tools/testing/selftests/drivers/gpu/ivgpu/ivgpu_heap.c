// SPDX-License-Identifier: GPL-2.0
/*
 * The VRAM heap and buffer objects, without CPU access (so every test runs in
 * both BAR configurations): create/info/close for each kind, rounding to
 * pages, contiguous and scattered placement, alignment, VRAM_USED and
 * LARGEST_FREE accounting, exhaustion and recovery, bad sizes, kinds, flags,
 * padding and handles, and debugfs ivgpu_vram/ivgpu_objects.  Every test
 * checks in its teardown that VRAM_USED and the object count are back where
 * they were and that the kernel log stayed clean.
 */
#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define MAX_OBJS 2048

FIXTURE(heap) {
	IVGPU_FIXTURE_FIELDS;
	uint32_t h[MAX_OBJS];
	int n;
};

FIXTURE_SETUP(heap)
{
	IVGPU_FIXTURE_SETUP();
}

FIXTURE_TEARDOWN(heap)
{
	IVGPU_FIXTURE_TEARDOWN();
}

TEST_F(heap, create_info_close_each_kind)
{
	static const uint32_t kinds[] = { IVGPU_BO_GENERIC, IVGPU_BO_FRAMEBUFFER, IVGPU_BO_CMDBUF };
	struct drm_ivgpu_gem_info info[3];
	struct ivgpu_obj_line line;
	uint64_t size = 192 * IVGPU_KIB;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint64_t out = 0;

		ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, size, 0, kinds[i], 0,
						  &self->h[i], &out));
		EXPECT_EQ(size, out);
		EXPECT_NE(0u, self->h[i]);
		EXPECT_EQ(self->used0 + (i + 1) * size, ivgpu_vram_used(self->fd));
		ASSERT_EQ(0, ivgpu_bo_info(self->fd, self->h[i], &info[i]));
		EXPECT_EQ(size, info[i].size);
		EXPECT_EQ(kinds[i], info[i].kind);
		EXPECT_LE(1u, info[i].num_blocks);
		EXPECT_GE(size / IVGPU_PAGE, info[i].num_blocks);
		/* CONTIGUOUS is reported exactly when the object is one block. */
		EXPECT_EQ(info[i].num_blocks == 1 ? IVGPU_BO_CONTIGUOUS : 0u, info[i].flags);
		if (kinds[i] == IVGPU_BO_FRAMEBUFFER) {
			EXPECT_EQ(1u, info[i].num_blocks);
		}
		/* debugfs agrees. */
		ASSERT_EQ(0, ivgpu_debugfs_object(info[i].id, &line)) TH_LOG("id %llu",
			(unsigned long long)info[i].id);
		EXPECT_EQ(size, line.size);
		EXPECT_EQ(kinds[i], line.kind);
		EXPECT_EQ(info[i].flags, line.flags);
		EXPECT_EQ(info[i].num_blocks, line.num_blocks);
	}
	EXPECT_EQ(self->objects0 + 3, ivgpu_object_count());
	/* Handles and ids are distinct. */
	EXPECT_NE(self->h[0], self->h[1]);
	EXPECT_NE(self->h[1], self->h[2]);
	EXPECT_NE(info[0].id, info[1].id);
	EXPECT_NE(info[1].id, info[2].id);
	EXPECT_NE(info[0].id, info[2].id);

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, ivgpu_gem_close(self->fd, self->h[i]));
		EXPECT_EQ(self->used0 + (2 - i) * size, ivgpu_vram_used(self->fd));
		EXPECT_EQ(-ENOENT, ivgpu_bo_info(self->fd, self->h[i], &info[0]));
	}
	EXPECT_EQ(self->objects0, ivgpu_object_count());
}

TEST_F(heap, size_rounded_to_pages)
{
	static const struct { uint64_t in, out; } sizes[] = {
		{ 1, 4096 }, { 4095, 4096 }, { 4096, 4096 }, { 4097, 8192 },
		{ 65535, 65536 }, { 3 * 4096 + 7, 4 * 4096 },
	};
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < IVGPU_ARRAY_SIZE(sizes); i++) {
		struct drm_ivgpu_gem_info info;
		uint64_t out = 0;

		ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, sizes[i].in, 0, IVGPU_BO_GENERIC, 0,
						  &self->h[i], &out)) TH_LOG("size %llu",
						  (unsigned long long)sizes[i].in);
		EXPECT_EQ(sizes[i].out, out) TH_LOG("size %llu", (unsigned long long)sizes[i].in);
		ASSERT_EQ(0, ivgpu_bo_info(self->fd, self->h[i], &info));
		EXPECT_EQ(sizes[i].out, info.size);
		total += sizes[i].out;
		EXPECT_EQ(self->used0 + total, ivgpu_vram_used(self->fd));
	}
	for (i = 0; i < IVGPU_ARRAY_SIZE(sizes); i++) {
		ASSERT_EQ(0, ivgpu_gem_close(self->fd, self->h[i]));
	}
	EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));
}

TEST_F(heap, contiguous_is_one_block)
{
	static const struct { uint32_t kind, flags; uint64_t size; } objs[] = {
		{ IVGPU_BO_GENERIC, IVGPU_BO_CONTIGUOUS, 8 * IVGPU_MIB },
		{ IVGPU_BO_GENERIC, IVGPU_BO_CONTIGUOUS, 3 * IVGPU_MIB + 5 * IVGPU_PAGE },
		{ IVGPU_BO_FRAMEBUFFER, 0, 3 * IVGPU_MIB },	/* implied */
		{ IVGPU_BO_FRAMEBUFFER, IVGPU_BO_CONTIGUOUS, 1200 * IVGPU_KIB },
		{ IVGPU_BO_CMDBUF, IVGPU_BO_CONTIGUOUS, 256 * IVGPU_KIB },
	};
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < IVGPU_ARRAY_SIZE(objs); i++) {
		struct drm_ivgpu_gem_info info;

		ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, objs[i].size, 0, objs[i].kind,
						  objs[i].flags, &self->h[i], NULL)) TH_LOG("obj %u", i);
		ASSERT_EQ(0, ivgpu_bo_info(self->fd, self->h[i], &info));
		EXPECT_EQ(1u, info.num_blocks) TH_LOG("obj %u", i);
		EXPECT_EQ(IVGPU_BO_CONTIGUOUS, info.flags) TH_LOG("obj %u", i);
		EXPECT_EQ(objs[i].kind, info.kind);
		EXPECT_EQ(objs[i].size, info.size);
		total += objs[i].size;
	}
	EXPECT_EQ(self->used0 + total, ivgpu_vram_used(self->fd));
	for (i = 0; i < IVGPU_ARRAY_SIZE(objs); i++) {
		ASSERT_EQ(0, ivgpu_gem_close(self->fd, self->h[i]));
	}
}

/*
 * Fill VRAM with 1 MiB objects, free every other one: the free space is in
 * holes, so a scattered object as large as all of it is made of several
 * blocks, and no contiguous object that large fits.  LARGEST_FREE is exactly
 * the largest contiguous object that can be created.
 */
TEST_F_TIMEOUT(heap, scattered_after_fragmentation, 90)
{
	uint64_t free_bytes, largest, used;
	uint32_t big, h2;
	int i, n1, freed = 0;
	struct drm_ivgpu_gem_info info;

	n1 = ivgpu_fill_heap(self->fd, IVGPU_MIB, self->h, &self->n, MAX_OBJS);
	ASSERT_LE(8, n1) TH_LOG("only %d objects of 1 MiB fit", n1);
	EXPECT_EQ(0ull, ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE));
	EXPECT_EQ(-ENOSPC, ivgpu_bo_create(self->fd, IVGPU_PAGE, 0, &h2));
	for (i = 0; i < n1; i += 2) {
		ASSERT_EQ(0, ivgpu_gem_close(self->fd, self->h[i]));
		self->h[i] = 0;
		freed++;
	}
	used = ivgpu_vram_used(self->fd);
	free_bytes = self->vram - used;
	EXPECT_LE((uint64_t)freed * IVGPU_MIB, free_bytes);
	largest = ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE);
	ASSERT_LT(largest, free_bytes) TH_LOG("the holes merged: largest free %llu of %llu",
		(unsigned long long)largest, (unsigned long long)free_bytes);
	EXPECT_LE(IVGPU_MIB, largest);

	/* Contiguous: exactly LARGEST_FREE fits, a page more does not. */
	EXPECT_EQ(-ENOSPC, ivgpu_bo_create(self->fd, free_bytes, IVGPU_BO_CONTIGUOUS, &h2));
	EXPECT_EQ(-ENOSPC, ivgpu_bo_create(self->fd, largest + IVGPU_PAGE,
					   IVGPU_BO_CONTIGUOUS, &h2));
	EXPECT_EQ(-ENOSPC, ivgpu_bo_create_full(self->fd, largest + IVGPU_PAGE, 0,
						IVGPU_BO_FRAMEBUFFER, 0, &h2, NULL));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, largest, IVGPU_BO_CONTIGUOUS, &h2));
	EXPECT_EQ(1u, ivgpu_bo_num_blocks(self->fd, h2));
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h2));
	EXPECT_EQ(used, ivgpu_vram_used(self->fd));

	/* Scattered: all of the free space, in several blocks. */
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, free_bytes, 0, &big));
	ASSERT_EQ(0, ivgpu_bo_info(self->fd, big, &info));
	EXPECT_EQ(free_bytes, info.size);
	EXPECT_LT(1u, info.num_blocks);
	EXPECT_LE(free_bytes / largest, info.num_blocks);
	EXPECT_EQ(0u, info.flags);
	EXPECT_EQ(self->vram, ivgpu_vram_used(self->fd));
	EXPECT_EQ(0ull, ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE));
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, big));

	for (i = 0; i < self->n; i++)
		if (self->h[i]) {
			ASSERT_EQ(0, ivgpu_gem_close(self->fd, self->h[i]));
		}
	self->n = 0;
	EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));
}

/*
 * Every block of an object with alignment A starts at a multiple of A, so at
 * most VRAM/A such objects can exist at once, and each of them occupies the
 * start of its A-sized slice of VRAM: no free run can then be longer than
 * A - 4 KiB.  Without the alignment, small objects keep fitting.
 */
TEST_F(heap, alignment_limits_placement)
{
	uint64_t aligns[] = { self->vram / 4, self->vram / 16 };
	unsigned int a;

	for (a = 0; a < IVGPU_ARRAY_SIZE(aligns); a++) {
		uint64_t align = aligns[a], slots = self->vram / align;
		uint32_t extra = 0;
		int ret = 0, n = 0;

		while ((uint64_t)n <= slots) {
			ret = ivgpu_bo_create_full(self->fd, IVGPU_PAGE, align, IVGPU_BO_GENERIC, 0,
						   &self->h[n], NULL);
			if (ret)
				break;
			n++;
		}
		EXPECT_EQ(-ENOSPC, ret) TH_LOG("alignment %llu: %d objects",
			(unsigned long long)align, n);
		EXPECT_GE(slots, (uint64_t)n);
		if (!self->used0) {
			EXPECT_EQ(slots, (uint64_t)n) TH_LOG("alignment %llu",
				(unsigned long long)align);
		}
		if ((uint64_t)n == slots) {
			EXPECT_GE(align - IVGPU_PAGE,
				  ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE))
				TH_LOG("alignment %llu", (unsigned long long)align);
		}
		/* Not for lack of space: an unaligned page still fits. */
		EXPECT_EQ(0, ivgpu_bo_create(self->fd, IVGPU_PAGE, 0, &extra));
		EXPECT_EQ(0, ivgpu_gem_close(self->fd, extra));
		self->n = n;
		ivgpu_close_all(self->fd, self->h, &self->n);
		EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));
	}
}

/*
 * The largest alignment that still leaves room: with an empty heap the VRAM
 * size (only offset 0 qualifies); with only the driver's ring in the upper
 * half, half of it (only offset 0 qualifies, the upper half being split).
 */
TEST_F(heap, alignment_whole_vram)
{
	uint64_t kernel = ivgpu_vram_kernel(self->fd), ring_base = 0, align = self->vram;
	uint32_t h, h2;

	if (kernel)
		ring_base = ivgpu_counter("ivgpu_ring", "base");
	if (self->used0 && (self->used0 != kernel || ring_base < self->vram / 2))
		SKIP(return, "VRAM in use below its upper half (%llu bytes used, ring at %llu)",
		     (unsigned long long)self->used0, (unsigned long long)ring_base);
	if (self->used0)
		align = self->vram / 2;
	ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, 2 * IVGPU_PAGE, align,
					  IVGPU_BO_GENERIC, 0, &h, NULL));
	EXPECT_EQ(-ENOSPC, ivgpu_bo_create_full(self->fd, IVGPU_PAGE, align,
						IVGPU_BO_GENERIC, 0, &h2, NULL));
	EXPECT_EQ(-ENOSPC, ivgpu_bo_create_full(self->fd, IVGPU_PAGE, align,
						IVGPU_BO_GENERIC, IVGPU_BO_CONTIGUOUS, &h2, NULL));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, IVGPU_PAGE, align,
					  IVGPU_BO_GENERIC, 0, &h, NULL));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

TEST_F(heap, alignment_valid_values)
{
	uint64_t aligns[] = { 0, IVGPU_PAGE, 2 * IVGPU_PAGE, 64 * IVGPU_KIB, 2 * IVGPU_MIB,
			      self->vram / 2 };
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < IVGPU_ARRAY_SIZE(aligns); i++) {
		uint64_t size = (i + 1) * IVGPU_PAGE, out = 0;

		ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, size, aligns[i], IVGPU_BO_GENERIC,
						  i & 1 ? IVGPU_BO_CONTIGUOUS : 0, &self->h[i], &out))
			TH_LOG("alignment %llu", (unsigned long long)aligns[i]);
		EXPECT_EQ(size, out);
		total += size;
	}
	EXPECT_EQ(self->used0 + total, ivgpu_vram_used(self->fd));
	for (i = 0; i < IVGPU_ARRAY_SIZE(aligns); i++) {
		EXPECT_EQ(0, ivgpu_gem_close(self->fd, self->h[i]));
	}
}

TEST_F(heap, alignment_invalid_rejected)
{
	uint64_t bad[] = { 1, 2, 512, 2048, IVGPU_PAGE + 1, 3 * IVGPU_PAGE, 12 * IVGPU_KIB,
			   IVGPU_MIB + IVGPU_PAGE, 2 * self->vram, 1ull << 40, 1ull << 63,
			   ~0ull, ~0ull << 12 };
	unsigned int i;
	uint32_t h;

	for (i = 0; i < IVGPU_ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, ivgpu_bo_create_full(self->fd, IVGPU_PAGE, bad[i],
							IVGPU_BO_GENERIC, 0, &h, NULL))
			TH_LOG("alignment %#llx", (unsigned long long)bad[i]);
		EXPECT_EQ(-EINVAL, ivgpu_bo_create_full(self->fd, IVGPU_PAGE, bad[i],
							IVGPU_BO_FRAMEBUFFER, 0, &h, NULL))
			TH_LOG("alignment %#llx", (unsigned long long)bad[i]);
	}
	EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));
	EXPECT_EQ(self->objects0, ivgpu_object_count());
}

TEST_F(heap, vram_used_exact)
{
	static const uint64_t sizes[] = { 4096, 12288, 1 << 20, 5 * 4096, 3 << 20, 4096 * 17 };
	static const int order[] = { 3, 0, 5, 1, 4, 2 };
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < IVGPU_ARRAY_SIZE(sizes); i++) {
		ASSERT_EQ(0, ivgpu_bo_create(self->fd, sizes[i], i == 4 ? IVGPU_BO_CONTIGUOUS : 0,
					     &self->h[i]));
		total += sizes[i];
		EXPECT_EQ(self->used0 + total, ivgpu_vram_used(self->fd));
	}
	/* Free in another order: each returns exactly its size. */
	for (i = 0; i < IVGPU_ARRAY_SIZE(order); i++) {
		ASSERT_EQ(0, ivgpu_gem_close(self->fd, self->h[order[i]]));
		total -= sizes[order[i]];
		EXPECT_EQ(self->used0 + total, ivgpu_vram_used(self->fd));
	}
}

TEST_F(heap, largest_free_sane)
{
	uint64_t largest = ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE), l2;
	uint32_t h;

	ASSERT_NE(~0ull, largest);
	EXPECT_LT(0ull, largest);
	EXPECT_GE(self->vram - self->used0, largest);
	EXPECT_EQ(0ull, largest % IVGPU_PAGE);
	if (!self->used0) {
		EXPECT_EQ(self->vram, largest);
	}
	/* It is creatable contiguous, and taking it shrinks LARGEST_FREE. */
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, largest, IVGPU_BO_CONTIGUOUS, &h));
	EXPECT_EQ(1u, ivgpu_bo_num_blocks(self->fd, h));
	l2 = ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE);
	EXPECT_GT(largest, l2);
	EXPECT_GE(self->vram - self->used0 - largest, l2);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(largest, ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE));
	/* A page taken from an empty heap leaves at least half of it. */
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, IVGPU_PAGE, 0, &h));
	if (!self->used0) {
		EXPECT_LE(self->vram / 2, ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE));
	}
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* Allocate until -ENOSPC, free everything, and the same allocation fits again. */
TEST_F_TIMEOUT(heap, exhaustion_and_recovery, 90)
{
	uint64_t chunk = 4 * IVGPU_MIB, used;
	int i, n_big = 0, ret = 0;
	uint32_t h;

	for (i = 0; i < 2; i++) {
		/* Round 1 of big objects, then the remainder page by page-ish. */
		while (self->n < MAX_OBJS) {
			ret = ivgpu_bo_create(self->fd, chunk, 0, &self->h[self->n]);
			if (ret)
				break;
			self->n++;
		}
		ASSERT_EQ(-ENOSPC, ret);
		if (!i) {
			n_big = self->n;
		} else {
			EXPECT_EQ(n_big, self->n) TH_LOG("second round fit a different number");
		}
		used = ivgpu_vram_used(self->fd);
		EXPECT_EQ(self->used0 + (uint64_t)self->n * chunk, used);
		EXPECT_GE(self->vram, used);
		EXPECT_GT(chunk, self->vram - used);
		/* Contiguous and framebuffer objects fail the same way. */
		EXPECT_EQ(-ENOSPC, ivgpu_bo_create(self->fd, chunk, IVGPU_BO_CONTIGUOUS, &h));
		EXPECT_EQ(-ENOSPC, ivgpu_bo_create_full(self->fd, chunk, 0, IVGPU_BO_FRAMEBUFFER,
							0, &h, NULL));
		EXPECT_EQ(used, ivgpu_vram_used(self->fd));
		EXPECT_EQ(self->objects0 + self->n, ivgpu_object_count());

		ret = ivgpu_fill_heap(self->fd, chunk / 2, self->h, &self->n, MAX_OBJS);
		ASSERT_LE(0, ret);
		EXPECT_EQ(self->vram, ivgpu_vram_used(self->fd));
		EXPECT_EQ(0ull, ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE));
		EXPECT_EQ(-ENOSPC, ivgpu_bo_create(self->fd, 1, 0, &h));

		ivgpu_close_all(self->fd, self->h, &self->n);
		EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));
		EXPECT_EQ(self->objects0, ivgpu_object_count());
		/* The allocation that failed succeeds again. */
		ASSERT_EQ(0, ivgpu_bo_create(self->fd, chunk, 0, &h));
		EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
		ASSERT_EQ(0, ivgpu_bo_create(self->fd, chunk, IVGPU_BO_CONTIGUOUS, &h));
		EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	}
}

/*
 * One object takes all the free VRAM: all of it on an idle device without a
 * co-processor, all but the driver's ring with one.
 */
TEST_F(heap, whole_vram)
{
	uint64_t free_bytes = self->vram - self->used0, largest;
	uint32_t h, h2;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, free_bytes, 0, &h));
	EXPECT_EQ(self->vram, ivgpu_vram_used(self->fd));
	EXPECT_EQ(0ull, ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE));
	EXPECT_EQ(-ENOSPC, ivgpu_bo_create(self->fd, IVGPU_PAGE, 0, &h2));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	largest = ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE);
	if (!self->used0) {
		EXPECT_EQ(self->vram, largest);
	}
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, largest, IVGPU_BO_CONTIGUOUS, &h));
	EXPECT_EQ(1u, ivgpu_bo_num_blocks(self->fd, h));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

TEST_F(heap, size_larger_than_vram_e2big)
{
	/* 0xfffffffffffff000 is page-aligned: it does not overflow, it is too big. */
	uint64_t sizes[] = { self->vram + 1, self->vram + IVGPU_PAGE, 2 * self->vram,
			     1ull << 40, 1ull << 63, ~0ull << 12 };
	unsigned int i;
	uint32_t h;

	for (i = 0; i < IVGPU_ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(-E2BIG, ivgpu_bo_create(self->fd, sizes[i], 0, &h))
			TH_LOG("size %#llx", (unsigned long long)sizes[i]);
		EXPECT_EQ(-E2BIG, ivgpu_bo_create(self->fd, sizes[i], IVGPU_BO_CONTIGUOUS, &h))
			TH_LOG("size %#llx", (unsigned long long)sizes[i]);
	}
	EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));
	EXPECT_EQ(self->objects0, ivgpu_object_count());
}

TEST_F(heap, bad_sizes_einval)
{
	/* Zero, and sizes that overflow when rounded up to a page. */
	static const uint64_t sizes[] = { 0, ~0ull, ~0ull - 1, ~0ull - 4094, (~0ull << 12) + 1 };
	unsigned int i;
	uint32_t h;

	for (i = 0; i < IVGPU_ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(-EINVAL, ivgpu_bo_create(self->fd, sizes[i], 0, &h))
			TH_LOG("size %#llx", (unsigned long long)sizes[i]);
		EXPECT_EQ(-EINVAL, ivgpu_bo_create_full(self->fd, sizes[i], 0,
							IVGPU_BO_FRAMEBUFFER, 0, &h, NULL))
			TH_LOG("size %#llx", (unsigned long long)sizes[i]);
	}
	EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));
	EXPECT_EQ(self->objects0, ivgpu_object_count());
}

TEST_F(heap, unknown_kind_flags_padding)
{
	static const uint32_t kinds[] = { 3, 4, 0x100, 0x80000000, 0xffffffff };
	static const uint32_t flags[] = { 1u << 1, 1u << 2, 1u << 31, 0xffffffff };
	struct drm_ivgpu_gem_create c;
	unsigned int i;
	uint32_t h;

	for (i = 0; i < IVGPU_ARRAY_SIZE(kinds); i++) {
		EXPECT_EQ(-EINVAL, ivgpu_bo_create_full(self->fd, IVGPU_PAGE, 0, kinds[i], 0,
							&h, NULL)) TH_LOG("kind %#x", kinds[i]);
	}
	for (i = 0; i < IVGPU_ARRAY_SIZE(flags); i++) {
		EXPECT_EQ(-EINVAL, ivgpu_bo_create_full(self->fd, IVGPU_PAGE, 0, IVGPU_BO_GENERIC,
							flags[i], &h, NULL)) TH_LOG("flags %#x", flags[i]);
	}
	memset(&c, 0, sizeof(c));
	c.size = IVGPU_PAGE;
	c.pad = 1;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_CREATE, &c));
	c.pad = 0x80000000;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_CREATE, &c));
	/* An input handle is ignored (it is out only), and a good request works. */
	c.pad = 0;
	c.handle = 0xdeadbeef;
	ASSERT_EQ(0, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_CREATE, &c));
	EXPECT_NE(0xdeadbeef, c.handle);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, c.handle));
	EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));
	EXPECT_EQ(self->objects0, ivgpu_object_count());
}

TEST_F(heap, info_and_mmap_offset_padding)
{
	struct drm_ivgpu_gem_info info;
	struct drm_ivgpu_gem_mmap_offset mo;
	uint64_t again = 0;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, IVGPU_PAGE, 0, &h));
	memset(&info, 0, sizeof(info));
	info.handle = h;
	info.pad = 1;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_INFO, &info));
	info.pad = 0;
	info.pad2 = 1;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_INFO, &info));
	info.pad2 = 0;
	EXPECT_EQ(0, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_INFO, &info));

	memset(&mo, 0, sizeof(mo));
	mo.handle = h;
	mo.flags = 1;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &mo));
	mo.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &mo));
	mo.flags = 0;
	EXPECT_EQ(0, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &mo));
	EXPECT_NE(0ull, mo.offset);
	EXPECT_EQ(0ull, mo.offset % IVGPU_PAGE);
	/* The offset is stable. */
	EXPECT_EQ(0, ivgpu_mmap_offset(self->fd, h, &again));
	EXPECT_EQ(mo.offset, again);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* Handles that do not exist: ENOENT from every ioctl that takes one. */
TEST_F(heap, bad_handles_enoent)
{
	uint32_t h, bad[3];
	unsigned int i;
	uint8_t buf[16];

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 2 * IVGPU_PAGE, 0, &h));
	bad[0] = 0;
	bad[1] = 0xdeadbeef;
	bad[2] = h + 1;
	for (i = 0; i < 3; i++) {
		struct drm_ivgpu_gem_info info;
		struct drm_ivgpu_gem_map m = {
			.handle = bad[i], .flags = IVGPU_MAP_KERNEL, .size = IVGPU_PAGE,
		};
		uint64_t off;
		int dmabuf = -1;

		EXPECT_EQ(-ENOENT, ivgpu_bo_info(self->fd, bad[i], &info)) TH_LOG("%#x", bad[i]);
		EXPECT_EQ(-ENOENT, ivgpu_mmap_offset(self->fd, bad[i], &off)) TH_LOG("%#x", bad[i]);
		EXPECT_EQ(-ENOENT, ivgpu_bo_revoke(self->fd, bad[i], 0, 0)) TH_LOG("%#x", bad[i]);
		EXPECT_EQ(-ENOENT, drmPrimeHandleToFD(self->fd, bad[i], DRM_CLOEXEC, &dmabuf) ?
			  -errno : 0) TH_LOG("%#x", bad[i]);
		/* DRM core: GEM_CLOSE of a handle that is not there. */
		EXPECT_EQ(-EINVAL, ivgpu_gem_close(self->fd, bad[i])) TH_LOG("%#x", bad[i]);
		EXPECT_EQ(-ENOENT, ivgpu_bo_pread(self->fd, bad[i], 0, buf, sizeof(buf)));
		EXPECT_EQ(-ENOENT, ivgpu_bo_pwrite(self->fd, bad[i], 0, buf, sizeof(buf)));
		EXPECT_EQ(-ENOENT, ivgpu_bo_move(self->fd, bad[i], 0, NULL));
		EXPECT_EQ(-ENOENT, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MAP, &m));
		m.flags = IVGPU_MAP_USER;
		EXPECT_EQ(-ENOENT, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MAP, &m));
	}
	/* The real object is untouched. */
	EXPECT_EQ(2u * IVGPU_PAGE, ivgpu_vram_used(self->fd) - self->used0);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

TEST_F(heap, double_close_einval)
{
	uint32_t h, h2;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, IVGPU_PAGE, 0, &h));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, IVGPU_PAGE, 0, &h2));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(-EINVAL, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(-EINVAL, ivgpu_gem_close(self->fd, h));
	/* The other object is unaffected. */
	EXPECT_EQ(self->used0 + IVGPU_PAGE, ivgpu_vram_used(self->fd));
	EXPECT_EQ(1u, ivgpu_bo_num_blocks(self->fd, h2));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h2));
	EXPECT_EQ(-EINVAL, ivgpu_gem_close(self->fd, h2));
}

/* Handles belong to a file; closing the file frees what it held. */
TEST_F(heap, handles_are_per_file)
{
	struct drm_ivgpu_gem_info info;
	uint32_t h, h2;

	self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd2, 3 * IVGPU_PAGE, 0, &h2));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, IVGPU_PAGE, 0, &h));
	/* fd2's handle means nothing (or another object) in self->fd. */
	if (h2 != h) {
		EXPECT_EQ(-ENOENT, ivgpu_bo_info(self->fd, h2, &info));
	}
	ASSERT_EQ(0, ivgpu_bo_info(self->fd2, h2, &info));
	EXPECT_EQ(3 * IVGPU_PAGE, info.size);
	EXPECT_EQ(self->used0 + 4 * IVGPU_PAGE, ivgpu_vram_used(self->fd));
	EXPECT_EQ(self->objects0 + 2, ivgpu_object_count());
	/* Closing fd2 without GEM_CLOSE frees its object, not ours. */
	close(self->fd2);
	self->fd2 = -1;
	EXPECT_EQ(self->used0 + IVGPU_PAGE, ivgpu_vram_used(self->fd));
	EXPECT_EQ(self->objects0 + 1, ivgpu_object_count());
	ASSERT_EQ(0, ivgpu_bo_info(self->fd, h, &info));
	EXPECT_EQ(IVGPU_PAGE, info.size);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

TEST_F(heap, debugfs_objects_match)
{
	static struct ivgpu_obj_line objs[MAX_OBJS];
	uint64_t sizes[] = { IVGPU_PAGE, 5 * IVGPU_PAGE, IVGPU_MIB };
	uint32_t kinds[] = { IVGPU_BO_CMDBUF, IVGPU_BO_GENERIC, IVGPU_BO_FRAMEBUFFER };
	int i, j, n;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, sizes[i], 0, kinds[i], 0,
						  &self->h[i], NULL));
		EXPECT_EQ(self->objects0 + i + 1, ivgpu_object_count());
	}
	n = ivgpu_debugfs_objects(objs, MAX_OBJS);
	EXPECT_EQ(self->objects0 + 3, n);
	for (i = 0; i < 3; i++) {
		struct drm_ivgpu_gem_info info;
		int found = 0;

		ASSERT_EQ(0, ivgpu_bo_info(self->fd, self->h[i], &info));
		for (j = 0; j < n && j < MAX_OBJS; j++) {
			if (objs[j].id != info.id)
				continue;
			found++;
			EXPECT_EQ(info.size, objs[j].size);
			EXPECT_EQ(info.kind, objs[j].kind);
			EXPECT_EQ(info.flags, objs[j].flags);
			EXPECT_EQ(info.num_blocks, objs[j].num_blocks);
		}
		EXPECT_EQ(1, found) TH_LOG("object id %llu", (unsigned long long)info.id);
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, ivgpu_gem_close(self->fd, self->h[i]));
		EXPECT_EQ(self->objects0 + 2 - i, ivgpu_object_count());
	}
}

TEST_F(heap, debugfs_vram_matches_params)
{
	uint64_t kernel;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 3 * IVGPU_MIB, 0, &h));
	EXPECT_EQ(self->vram, ivgpu_counter("ivgpu_vram", "total"));
	EXPECT_EQ(ivgpu_vram_used(self->fd), ivgpu_counter("ivgpu_vram", "used"));
	EXPECT_EQ(self->used0 + 3 * IVGPU_MIB, ivgpu_counter("ivgpu_vram", "used"));
	EXPECT_EQ(ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE),
		  ivgpu_counter("ivgpu_vram", "largest_free"));
	/* The heap's allocations: the objects, and the driver's own (the ring). */
	kernel = ivgpu_counter("ivgpu_vram", "kernel_allocations");
	EXPECT_EQ(ivgpu_vram_kernel(self->fd), ivgpu_counter("ivgpu_vram", "kernel_bytes"));
	EXPECT_EQ(kernel ? 1ull : 0ull, kernel);
	EXPECT_EQ((uint64_t)ivgpu_object_count() + kernel, ivgpu_counter("ivgpu_vram", "objects"));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(self->used0, ivgpu_counter("ivgpu_vram", "used"));
	EXPECT_EQ((uint64_t)self->objects0 + kernel, ivgpu_counter("ivgpu_vram", "objects"));
}

/* Many small objects in a loop: create/close churn leaves nothing behind. */
TEST_F_TIMEOUT(heap, create_close_churn, 60)
{
	int i;

	for (i = 0; i < 2000; i++) {
		uint32_t h;
		uint64_t size = ((i * 7919) % 64 + 1) * IVGPU_PAGE;

		ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, size, i % 3 ? 0 : 64 * IVGPU_KIB,
						  i % 3, i % 5 ? 0 : IVGPU_BO_CONTIGUOUS, &h, NULL))
			TH_LOG("iteration %d", i);
		if (i % 2) {
			ASSERT_EQ(0, ivgpu_gem_close(self->fd, h));
		} else {
			self->h[self->n++] = h;
		}
		if (self->n == 128)
			ivgpu_close_all(self->fd, self->h, &self->n);
	}
	ivgpu_close_all(self->fd, self->h, &self->n);
	EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));
}

TEST_HARNESS_MAIN
