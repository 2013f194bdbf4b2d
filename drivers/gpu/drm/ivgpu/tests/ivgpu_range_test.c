// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit suite ivgpu_range: the size and range checks of the uAPI, as pure
 * functions, at their edges: zero, one page either side of a limit, and
 * values near 2^64 that overflow when added or rounded.  Object sizes and
 * alignments (GEM_CREATE and GEM_MAP with CREATE), byte ranges (pread,
 * pwrite), mapping ranges (GEM_MAP, GEM_REVOKE, where size 0 means "to the
 * end"), GEM_MAP's flags, the span of pages a user fault maps, and the
 * checks of each co-processor command of DRM_IOCTL_IVGPU_SUBMIT.
 *
 * Each case walks a table; a failure names the row.
 */

#include <linux/sizes.h>

#include <drm/ivgpu_drm.h>

#include "ivgpu_kunit.h"

#define VRAM	((u64)SZ_64M)
#define PG	((u64)PAGE_SIZE)
/* Object sizes of the range cases. */
#define OBJ3	(3 * PG)
#define OBJ4	(4 * PG)
/* A user address aligned to any prefault block. */
#define BASE	0x7f0000000000ul

/* Sizes are rounded up to pages; zero, and sizes that overflow when rounded, are refused. */
static void range_create_size(struct kunit *test)
{
	static const struct { u64 size; int ret; u64 rounded; } rows[] = {
		{ 0, -EINVAL, 0 },
		{ 1, 0, PG },
		{ PG - 1, 0, PG },
		{ PG, 0, PG },
		{ PG + 1, 0, 2 * PG },
		{ VRAM - PG + 1, 0, VRAM },
		{ VRAM, 0, VRAM },
		{ VRAM + 1, -E2BIG, 0 },
		{ VRAM + PG, -E2BIG, 0 },
		{ 1ull << 63, -E2BIG, 0 },
		/* The largest size that rounds without overflowing. */
		{ U64_MAX - PG + 1, -E2BIG, 0 },
		{ U64_MAX - PG + 2, -EINVAL, 0 },
		{ U64_MAX - 1, -EINVAL, 0 },
		{ U64_MAX, -EINVAL, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		u64 rounded = 0xdead;
		int ret = ivgpu_bo_check_create(VRAM, rows[i].size, 0, IVGPU_BO_GENERIC, 0,
						&rounded);

		KUNIT_EXPECT_EQ_MSG(test, ret, rows[i].ret, "size %#llx", rows[i].size);
		if (!rows[i].ret)
			KUNIT_EXPECT_EQ_MSG(test, rounded, rows[i].rounded, "size %#llx",
					    rows[i].size);
		else
			KUNIT_EXPECT_EQ_MSG(test, rounded, 0xdeadull,
					    "size %#llx: written on failure", rows[i].size);
	}
}

/* Alignments: 0, or a power of two from the page size to the VRAM size. */
static void range_create_alignment(struct kunit *test)
{
	static const struct { u64 alignment; int ret; } rows[] = {
		{ 0, 0 },
		{ PG, 0 },
		{ 2 * PG, 0 },
		{ SZ_2M, 0 },
		{ VRAM, 0 },
		{ 1, -EINVAL },
		{ PG / 2, -EINVAL },
		{ 3 * PG, -EINVAL },
		{ PG + 1, -EINVAL },
		{ 2 * VRAM, -EINVAL },
		{ 1ull << 63, -EINVAL },
		{ U64_MAX, -EINVAL },
	};
	unsigned int i;
	u64 rounded;

	for (i = 0; i < ARRAY_SIZE(rows); i++)
		KUNIT_EXPECT_EQ_MSG(test, ivgpu_bo_check_create(VRAM, PG, rows[i].alignment,
								IVGPU_BO_GENERIC, 0, &rounded),
				    rows[i].ret, "alignment %#llx", rows[i].alignment);
}

/* Every kind and placement flag the uAPI has is accepted; anything else is not. */
static void range_create_kind_flags(struct kunit *test)
{
	u64 rounded;
	u32 bit;

	KUNIT_EXPECT_EQ(test, ivgpu_bo_check_create(VRAM, PG, 0, IVGPU_BO_GENERIC, 0, &rounded), 0);
	KUNIT_EXPECT_EQ(test, ivgpu_bo_check_create(VRAM, PG, 0, IVGPU_BO_FRAMEBUFFER, 0,
						    &rounded), 0);
	KUNIT_EXPECT_EQ(test, ivgpu_bo_check_create(VRAM, PG, 0, IVGPU_BO_CMDBUF,
						    IVGPU_BO_CONTIGUOUS, &rounded), 0);
	KUNIT_EXPECT_EQ(test, ivgpu_bo_check_create(VRAM, PG, 0, IVGPU_BO_CMDBUF + 1, 0,
						    &rounded), -EINVAL);
	KUNIT_EXPECT_EQ(test, ivgpu_bo_check_create(VRAM, PG, 0, U32_MAX, 0, &rounded), -EINVAL);
	for (bit = 0; bit < 32; bit++) {
		if (BIT(bit) & IVGPU_BO_FLAGS)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, ivgpu_bo_check_create(VRAM, PG, 0, IVGPU_BO_GENERIC,
								BIT(bit), &rounded),
				    -EINVAL, "flag bit %u", bit);
	}
	/* A bad request is refused before its size is looked at. */
	KUNIT_EXPECT_EQ(test, ivgpu_bo_check_create(VRAM, VRAM * 2, 0, IVGPU_BO_GENERIC, 1u << 31,
						    &rounded), -EINVAL);
}

/* pread/pwrite: any byte range inside the object; empty ranges up to its end. */
static void range_rw(struct kunit *test)
{
	static const struct { u64 offset, size; int ret; } rows[] = {
		{ 0, 0, 0 },
		{ 0, 1, 0 },
		{ 0, OBJ3, 0 },
		{ 1, OBJ3 - 1, 0 },
		{ OBJ3 - 1, 1, 0 },
		{ OBJ3, 0, 0 },			/* empty, at the end */
		{ OBJ3 + 1, 0, -EINVAL },	/* empty, past the end */
		{ 0, OBJ3 + 1, -EINVAL },
		{ 1, OBJ3, -EINVAL },
		{ OBJ3, 1, -EINVAL },
		{ U64_MAX, 0, -EINVAL },
		{ U64_MAX, 1, -EINVAL },	/* wraps to 0 */
		{ 1, U64_MAX, -EINVAL },	/* wraps to 0 */
		{ PG, U64_MAX - PG + 1, -EINVAL },	/* wraps to exactly 0 */
		{ 1ull << 63, 1ull << 63, -EINVAL },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++)
		KUNIT_EXPECT_EQ_MSG(test, ivgpu_bo_range_check(OBJ3, rows[i].offset, rows[i].size),
				    rows[i].ret, "offset %#llx size %#llx", rows[i].offset,
				    rows[i].size);
}

/* GEM_MAP, GEM_REVOKE: size 0 is "to the end"; the range is never empty. */
static void range_resolve(struct kunit *test)
{
	static const struct { u64 offset, size; int ret; u64 resolved; } rows[] = {
		{ 0, 0, 0, OBJ4 },
		{ PG, 0, 0, 3 * PG },
		{ OBJ4 - PG, 0, 0, PG },
		{ OBJ4, 0, -EINVAL, 0 },		/* "to the end" from the end: empty */
		{ OBJ4 + PG, 0, -EINVAL, 0 },
		{ 0, OBJ4, 0, OBJ4 },
		{ PG, 2 * PG, 0, 2 * PG },
		{ OBJ4 - PG, PG, 0, PG },
		{ OBJ4 - PG, 2 * PG, -EINVAL, 0 },
		{ 0, OBJ4 + PG, -EINVAL, 0 },
		{ OBJ4, PG, -EINVAL, 0 },
		{ U64_MAX - PG + 1, 0, -EINVAL, 0 },
		{ U64_MAX - PG + 1, PG, -EINVAL, 0 },	/* wraps to exactly 0 */
		{ PG, U64_MAX - PG + 1, -EINVAL, 0 },	/* wraps to exactly 0 */
		{ PG, U64_MAX & PAGE_MASK, -EINVAL, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		u64 size = rows[i].size;
		int ret = ivgpu_bo_range_resolve(OBJ4, rows[i].offset, &size);

		KUNIT_EXPECT_EQ_MSG(test, ret, rows[i].ret, "offset %#llx size %#llx",
				    rows[i].offset, rows[i].size);
		KUNIT_EXPECT_EQ_MSG(test, size, rows[i].ret ? rows[i].size : rows[i].resolved,
				    "offset %#llx size %#llx", rows[i].offset, rows[i].size);
	}
}

/* GEM_MAP's own checks: exactly one of kernel and user, known flags, page alignment. */
static void range_map_args(struct kunit *test)
{
	static const struct { struct drm_ivgpu_gem_map args; int ret; const char *what; } rows[] = {
		{ { .flags = IVGPU_MAP_KERNEL }, 0, "kernel" },
		{ { .flags = IVGPU_MAP_USER, .offset = PG, .size = 2 * PG }, 0, "user" },
		{ { .flags = IVGPU_MAP_KERNEL | IVGPU_MAP_CREATE, .create_size = 1,
		    .create_kind = IVGPU_BO_CMDBUF, .create_flags = IVGPU_BO_CONTIGUOUS },
		  0, "create" },
		{ { .flags = 0 }, -EINVAL, "neither kernel nor user" },
		{ { .flags = IVGPU_MAP_CREATE }, -EINVAL, "create alone" },
		{ { .flags = IVGPU_MAP_KERNEL | IVGPU_MAP_USER }, -EINVAL, "kernel and user" },
		{ { .flags = IVGPU_MAP_KERNEL | 1u << 31 }, -EINVAL, "unknown flag" },
		{ { .flags = IVGPU_MAP_USER, .create_size = PG }, -EINVAL, "create_size alone" },
		{ { .flags = IVGPU_MAP_USER, .create_kind = 1 }, -EINVAL, "create_kind alone" },
		{ { .flags = IVGPU_MAP_USER, .create_flags = 1 }, -EINVAL, "create_flags alone" },
		{ { .flags = IVGPU_MAP_KERNEL, .offset = 1 }, -EINVAL, "offset 1" },
		{ { .flags = IVGPU_MAP_KERNEL, .offset = PG - 1 }, -EINVAL, "offset page - 1" },
		{ { .flags = IVGPU_MAP_KERNEL, .size = PG + 1 }, -EINVAL, "size page + 1" },
		{ { .flags = IVGPU_MAP_KERNEL, .size = U64_MAX }, -EINVAL, "size 2^64 - 1" },
		{ { .flags = IVGPU_MAP_KERNEL, .offset = U64_MAX & PAGE_MASK,
		    .size = U64_MAX & PAGE_MASK }, 0, "aligned, near 2^64" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++)
		KUNIT_EXPECT_EQ_MSG(test, ivgpu_kmap_check_map_args(&rows[i].args), rows[i].ret,
				    "%s", rows[i].what);
}

struct span_row {
	const char *what;
	unsigned long addr, vm_start, vm_end;
	u64 in_ext, ext_size;
	unsigned long block, before, after;
};

static void range_check_spans(struct kunit *test, const struct span_row *rows, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct span_row *r = &rows[i];
		unsigned long before = ~0ul, after = ~0ul;

		ivgpu_mmap_prefault_span(r->addr, r->vm_start, r->vm_end, r->in_ext, r->ext_size,
					 r->block, &before, &after);
		KUNIT_EXPECT_EQ_MSG(test, before, r->before, "%s: pages before", r->what);
		KUNIT_EXPECT_EQ_MSG(test, after, r->after, "%s: pages from the fault on", r->what);
	}
}

/* A fault maps the naturally aligned block of pages around it. */
static void range_prefault_block(struct kunit *test)
{
	static const struct span_row rows[] = {
		{ "first page of a block", BASE, BASE, BASE + 64 * PG, 0, SZ_1G, 16, 0, 16 },
		{ "middle of a block", BASE + 5 * PG, BASE, BASE + 64 * PG, 5 * PG, SZ_1G,
		  16, 5, 11 },
		{ "last page of a block", BASE + 15 * PG, BASE, BASE + 64 * PG, 15 * PG, SZ_1G,
		  16, 15, 1 },
		{ "second block", BASE + 17 * PG, BASE, BASE + 64 * PG, 17 * PG, SZ_1G,
		  16, 1, 15 },
		{ "block of one page", BASE + 17 * PG, BASE, BASE + 64 * PG, 17 * PG, SZ_1G,
		  1, 0, 1 },
		{ "whole VMA in one block", BASE + 3 * PG, BASE, BASE + 8 * PG, 3 * PG, SZ_1G,
		  1024, 3, 5 },
	};

	range_check_spans(test, rows, ARRAY_SIZE(rows));
}

/* The block is clamped to the VMA and to the VRAM extent, whichever is tighter. */
static void range_prefault_clamped(struct kunit *test)
{
	static const struct span_row rows[] = {
		{ "VMA starts inside the block", BASE + 6 * PG, BASE + 4 * PG, BASE + 64 * PG,
		  2 * PG, SZ_1G, 16, 2, 10 },
		{ "VMA ends inside the block", BASE + 6 * PG, BASE, BASE + 9 * PG,
		  6 * PG, SZ_1G, 16, 6, 3 },
		{ "one-page VMA", BASE + 6 * PG, BASE + 6 * PG, BASE + 7 * PG,
		  0, SZ_1G, 16, 0, 1 },
		{ "extent starts inside the block", BASE + 6 * PG, BASE, BASE + 64 * PG,
		  PG, SZ_1G, 16, 1, 10 },
		{ "extent ends inside the block", BASE + 6 * PG, BASE, BASE + 64 * PG,
		  6 * PG, 8 * PG, 16, 6, 2 },
		{ "one-page extent", BASE + 6 * PG, BASE, BASE + 64 * PG, 0, PG, 16, 0, 1 },
		{ "VMA at the top of the address space", ~0ul - 2 * PG + 1, ~0ul - 4 * PG + 1,
		  ~0ul - PG + 1, 2 * PG, SZ_1G, 16, 2, 1 },
	};

	range_check_spans(test, rows, ARRAY_SIZE(rows));
}

#define OP(o, ...)	((struct drm_ivgpu_cmd){ .opcode = IVGPU_OP_##o, __VA_ARGS__ })

/*
 * One co-processor command against objects of OBJ4 (destination) and OBJ3
 * (source) bytes, or one object when "same": opcodes, flags, fields a
 * command does not use, ranges at and past the end and near 2^64, CRC
 * results, BLIT pitches and spans, overlaps.
 */
static void range_submit_cmd(struct kunit *test)
{
	static const struct {
		struct drm_ivgpu_cmd c;
		bool same;
		int ret;
	} rows[] = {
		{ OP(NOP), false, 0 },
		{ OP(HANG), false, 0 },
		{ OP(NOP, .flags = 1), false, -EINVAL },
		{ OP(NOP, .size = 1), false, -EINVAL },
		{ OP(HANG, .dst_handle = 1), false, -EINVAL },
		{ { .opcode = 5 }, false, -EINVAL },	/* FENCE is the kernel's */
		{ { .opcode = 8 }, false, -EINVAL },
		{ { .opcode = U32_MAX }, false, -EINVAL },
		{ OP(STALL, .arg = IVGPU_STALL_MAX_NS), false, 0 },
		{ OP(STALL, .arg = IVGPU_STALL_MAX_NS + 1), false, -EINVAL },
		{ OP(STALL, .arg = 1, .dst_pitch = 1), false, -EINVAL },
		/* FILL: the whole object, empty at the end, one past, near 2^64. */
		{ OP(FILL, .size = OBJ4, .arg = U32_MAX), false, 0 },
		{ OP(FILL, .dst_offset = OBJ4), false, 0 },
		{ OP(FILL, .dst_offset = OBJ4 + 1), false, -EINVAL },
		{ OP(FILL, .dst_offset = 1, .size = OBJ4), false, -EINVAL },
		{ OP(FILL, .dst_offset = U64_MAX, .size = 2), false, -EINVAL },
		{ OP(FILL, .dst_offset = 8, .size = U64_MAX - 7), false, -EINVAL },
		{ OP(FILL, .size = 4, .arg = 1ull << 32), false, -EINVAL },
		{ OP(FILL, .size = 4, .src_offset = 1), false, -EINVAL },
		{ OP(FILL, .size = 4, .flags = IVGPU_CMD_CRC32_CONTINUE), false, -EINVAL },
		/* COPY: each side against its own object. */
		{ OP(COPY, .size = OBJ3), false, 0 },
		{ OP(COPY, .size = OBJ3 + 1), false, -EINVAL },
		{ OP(COPY, .dst_offset = PG, .size = OBJ3), false, 0 },
		{ OP(COPY, .src_offset = 1, .size = OBJ3), false, -EINVAL },
		{ OP(COPY, .src_offset = 1ull << 63, .size = 1ull << 63), false, -EINVAL },
		{ OP(COPY, .size = 4, .arg = 1), false, -EINVAL },
		{ OP(COPY, .dst_offset = 1, .size = OBJ4 - 1), true, 0 },	/* memmove */
		/* CRC32: the result is 4 aligned bytes inside, outside the range. */
		{ OP(CRC32, .size = OBJ3, .dst_offset = OBJ4 - 4), false, 0 },
		{ OP(CRC32, .size = OBJ3, .dst_offset = OBJ4 - 2), false, -EINVAL },
		{ OP(CRC32, .size = OBJ3, .dst_offset = 2), false, -EINVAL },
		{ OP(CRC32, .size = OBJ3, .dst_offset = U64_MAX - 3), false, -EINVAL },
		{ OP(CRC32, .size = 16, .dst_offset = 16), true, 0 },
		{ OP(CRC32, .size = 16, .dst_offset = 12), true, -EINVAL },
		{ OP(CRC32, .size = 0, .dst_offset = 0), true, 0 },
		{ OP(CRC32, .size = 4, .flags = 2), false, -EINVAL },
		/* BLIT: pitches, spans to the last byte, overflows, overlaps. */
		{ OP(BLIT, .size = 16, .arg = 3, .dst_pitch = 16, .src_pitch = 16), false, 0 },
		{ OP(BLIT, .size = PG, .arg = 3, .dst_pitch = PG, .src_pitch = PG), false, 0 },
		{ OP(BLIT, .size = PG, .arg = 4, .dst_pitch = PG, .src_pitch = PG), false,
		  -EINVAL },
		{ OP(BLIT, .size = 16, .arg = 2, .dst_pitch = 15, .src_pitch = 16), false,
		  -EINVAL },
		{ OP(BLIT, .size = 1, .arg = U64_MAX, .dst_pitch = 1, .src_pitch = 1), false,
		  -EINVAL },
		{ OP(BLIT, .size = 1, .arg = 3, .dst_pitch = 1ull << 63, .src_pitch = 1), false,
		  -EINVAL },
		{ OP(BLIT, .size = 16, .arg = 2, .dst_pitch = U64_MAX, .src_pitch = 16), false,
		  -EINVAL },
		{ OP(BLIT, .size = 0, .arg = 7, .dst_pitch = 0, .src_pitch = 0,
		     .dst_offset = OBJ4), false, 0 },
		{ OP(BLIT, .size = 16, .arg = 4, .dst_pitch = 64, .src_pitch = 64,
		     .dst_offset = 8), true, 0 },
		{ OP(BLIT, .size = 16, .arg = 4, .dst_pitch = 32, .src_pitch = 64,
		     .dst_offset = 8), true, -EINVAL },
		{ OP(BLIT, .size = 16, .arg = 4, .dst_pitch = 32, .src_pitch = 64,
		     .dst_offset = PG), true, 0 },	/* apart: any pitches */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		u64 src = rows[i].same ? OBJ4 : OBJ3;

		KUNIT_EXPECT_EQ_MSG(test, ivgpu_submit_check_cmd(&rows[i].c, OBJ4, src,
								 rows[i].same),
				    rows[i].ret, "row %u (opcode %u)", i, rows[i].c.opcode);
	}
}

static struct kunit_case ivgpu_range_cases[] = {
	KUNIT_CASE(range_create_size),
	KUNIT_CASE(range_create_alignment),
	KUNIT_CASE(range_create_kind_flags),
	KUNIT_CASE(range_rw),
	KUNIT_CASE(range_resolve),
	KUNIT_CASE(range_map_args),
	KUNIT_CASE(range_prefault_block),
	KUNIT_CASE(range_prefault_clamped),
	KUNIT_CASE(range_submit_cmd),
	{}
};

static struct kunit_suite ivgpu_range_suite = {
	.name = "ivgpu_range",
	.test_cases = ivgpu_range_cases,
};

kunit_test_suite(ivgpu_range_suite);
