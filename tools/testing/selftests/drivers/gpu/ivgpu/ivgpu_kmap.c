// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel mappings and what is built on them: GEM_MAP into kernel space (the
 * mapping cache: reuse of a live mapping that covers the request, misses,
 * the per-file limit, release on close), GEM_MAP into user space, allocate
 * and map in one call, GEM_UNMAP, pread/pwrite (odd offsets, ranges, bad
 * user buffers, user buffers that are themselves ivgpu mappings), and the
 * debugfs object dump.  They run the same in both BAR configurations: with
 * a small BAR every access goes through the banked windows.
 */
#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PAGE IVGPU_PAGE

FIXTURE(km) {
	IVGPU_FIXTURE_FIELDS;
	struct ivgpu_kmap_stats k0;
};

FIXTURE_SETUP(km)
{
	IVGPU_FIXTURE_SETUP();
	self->k0 = ivgpu_kmap_stats();
}

FIXTURE_TEARDOWN(km)
{
	IVGPU_FIXTURE_TEARDOWN();
	/* Every kernel mapping the test made is released with its file. */
	EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use);
}

static int gem_map(int fd, struct drm_ivgpu_gem_map *m)
{
	return ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_GEM_MAP, m);
}

TEST_F(km, kernel_map_unmap)
{
	uint64_t size = 64 * PAGE;
	struct ivgpu_kmap_stats k1, k2;
	struct drm_ivgpu_gem_map m;
	struct drm_ivgpu_gem_unmap u;
	uint32_t h;

	ASSERT_NE(~0ull, self->k0.misses);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	memset(&m, 0, sizeof(m));
	m.handle = h;
	m.flags = IVGPU_MAP_KERNEL;
	m.addr = 0x1234;		/* out only */
	m.out_flags = 0xff;
	ASSERT_EQ(0, gem_map(self->fd, &m));
	EXPECT_EQ(0ull, m.addr);	/* never a kernel address */
	EXPECT_EQ(0u, m.out_flags);
	EXPECT_EQ(h, m.handle);
	k1 = ivgpu_kmap_stats();
	EXPECT_EQ(self->k0.misses + 1, k1.misses);
	EXPECT_EQ(self->k0.hits, k1.hits);
	EXPECT_EQ(self->k0.in_use + 1, k1.in_use);
	EXPECT_LE(self->k0.live + 1, k1.live);
	EXPECT_LE(self->k0.bytes_mapped + size, k1.bytes_mapped);

	ASSERT_EQ(0, ivgpu_kunmap(self->fd, m.map_id));
	k2 = ivgpu_kmap_stats();
	EXPECT_EQ(self->k0.in_use, k2.in_use);
	EXPECT_EQ(-ENOENT, ivgpu_kunmap(self->fd, m.map_id));
	EXPECT_EQ(-ENOENT, ivgpu_kunmap(self->fd, 0xdeadbeef));
	EXPECT_EQ(-ENOENT, ivgpu_kunmap(self->fd, m.map_id + 1000));
	/* Padding. */
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, PAGE, PAGE, &u.map_id, NULL));
	u.pad = 1;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_UNMAP, &u));
	u.pad = 0;
	EXPECT_EQ(0, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_UNMAP, &u));
	/* A kernel mapping keeps its object alive after GEM_CLOSE, until UNMAP. */
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 0, 0, &u.map_id, NULL));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd));
	EXPECT_EQ(self->objects0 + 1, ivgpu_object_count());
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, u.map_id));
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd, self->used0, 1000));
}

/* A request inside a live kernel mapping reuses it; one outside does not. */
TEST_F(km, kernel_map_reuse)
{
	uint64_t size = 64 * PAGE;
	struct ivgpu_kmap_stats k1, k2;
	uint32_t h, id[6], of;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 0, 32 * PAGE, &id[0], &of));
	EXPECT_EQ(0u, of);
	k1 = ivgpu_kmap_stats();
	EXPECT_EQ(self->k0.misses + 1, k1.misses);

	/* Inside: reused. */
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 4 * PAGE, 8 * PAGE, &id[1], &of));
	EXPECT_EQ(IVGPU_MAP_OUT_REUSED, of);
	k2 = ivgpu_kmap_stats();
	EXPECT_EQ(k1.hits + 1, k2.hits);
	EXPECT_EQ(k1.misses, k2.misses);
	EXPECT_EQ(k1.live, k2.live);
	/* in_use counts mappings, not their users. */
	EXPECT_EQ(k1.in_use, k2.in_use);
	EXPECT_NE(id[0], id[1]);
	/* Exactly the same range: reused too. */
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 0, 32 * PAGE, &id[2], &of));
	EXPECT_EQ(IVGPU_MAP_OUT_REUSED, of);
	EXPECT_EQ(k2.hits + 1, ivgpu_kmap_stats().hits);

	/* Straddling the end of the live mapping: a new one. */
	k1 = ivgpu_kmap_stats();
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 24 * PAGE, 16 * PAGE, &id[3], &of));
	EXPECT_EQ(0u, of);
	k2 = ivgpu_kmap_stats();
	EXPECT_EQ(k1.misses + 1, k2.misses);
	EXPECT_EQ(k1.hits, k2.hits);
	/* Disjoint: a new one. */
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 48 * PAGE, 0, &id[4], &of));
	EXPECT_EQ(0u, of);
	EXPECT_EQ(k2.misses + 1, ivgpu_kmap_stats().misses);
	/* Inside the straddling one (and not the first): reused. */
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 33 * PAGE, 2 * PAGE, &id[5], &of));
	EXPECT_EQ(IVGPU_MAP_OUT_REUSED, of);
	/* Three mappings: A [0,32) for ids 0-2, B [24,40) for 3 and 5, C for 4. */
	EXPECT_EQ(self->k0.in_use + 3, ivgpu_kmap_stats().in_use);

	/* A mapping stays in use until its last user lets go. */
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id[0]));
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id[2]));
	EXPECT_EQ(-ENOENT, ivgpu_kunmap(self->fd, id[0]));
	EXPECT_EQ(self->k0.in_use + 3, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id[1]));
	EXPECT_EQ(self->k0.in_use + 2, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id[3]));
	EXPECT_EQ(self->k0.in_use + 2, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id[4]));
	EXPECT_EQ(self->k0.in_use + 1, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id[5]));
	EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use);
	/* Idle now, but still live: a request inside A is a hit. */
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 8 * PAGE, 8 * PAGE, &id[0], &of));
	EXPECT_EQ(IVGPU_MAP_OUT_REUSED, of);
	EXPECT_EQ(self->k0.in_use + 1, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id[0]));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* A different object is never a hit, even at the same offsets. */
TEST_F(km, kernel_map_reuse_is_per_object)
{
	uint32_t h1, h2, id1, id2, of;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 16 * PAGE, 0, &h1));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 16 * PAGE, 0, &h2));
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h1, 0, 0, &id1, &of));
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h2, PAGE, PAGE, &id2, &of));
	EXPECT_EQ(0u, of);
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id1));
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id2));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h1));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h2));
}

TEST_F(km, map_bad_flags_and_ranges)
{
	static const uint32_t bad_flags[] = {
		0, IVGPU_MAP_KERNEL | IVGPU_MAP_USER, IVGPU_MAP_CREATE,
		IVGPU_MAP_CREATE | IVGPU_MAP_KERNEL | IVGPU_MAP_USER,
		IVGPU_MAP_KERNEL | (1u << 3), IVGPU_MAP_USER | (1u << 31), 0xffffffff,
	};
	uint64_t size = 16 * PAGE;
	static const struct { uint64_t off, size; } bad[] = {
		{ 1, 0 }, { PAGE + 1, PAGE }, { 0, 1 }, { 0, PAGE - 1 }, { PAGE, PAGE + 8 },
		{ 0, 17 * PAGE }, { 16 * PAGE, PAGE }, { 16 * PAGE, 0 }, { 17 * PAGE, 0 },
		{ 15 * PAGE, 2 * PAGE }, { PAGE, ~0ull << 12 }, { ~0ull << 12, 2 * PAGE },
		{ 1ull << 40, 0 },
	};
	struct drm_ivgpu_gem_map m;
	unsigned int i, k;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	for (i = 0; i < IVGPU_ARRAY_SIZE(bad_flags); i++) {
		memset(&m, 0, sizeof(m));
		m.handle = h;
		m.flags = bad_flags[i];
		m.create_size = PAGE;
		EXPECT_EQ(-EINVAL, gem_map(self->fd, &m)) TH_LOG("flags %#x", bad_flags[i]);
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < IVGPU_ARRAY_SIZE(bad); i++) {
			memset(&m, 0, sizeof(m));
			m.handle = h;
			m.flags = k ? IVGPU_MAP_USER : IVGPU_MAP_KERNEL;
			m.offset = bad[i].off;
			m.size = bad[i].size;
			EXPECT_EQ(-EINVAL, gem_map(self->fd, &m)) TH_LOG("%s offset %#llx size %#llx",
				k ? "user" : "kernel", (unsigned long long)bad[i].off,
				(unsigned long long)bad[i].size);
		}
	}
	EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(self->objects0 + 1, ivgpu_object_count());
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* GEM_MAP into user space: an address that reads and writes the object. */
TEST_F(km, user_map)
{
	uint64_t size = 16 * PAGE, buf[4];
	struct ivgpu_mm_stats s0, s1;
	struct drm_ivgpu_gem_map m;
	volatile uint64_t *p;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	memset(&m, 0, sizeof(m));
	m.handle = h;
	m.flags = IVGPU_MAP_USER;
	m.offset = 4 * PAGE;
	m.size = 8 * PAGE;
	m.map_id = 77;			/* out only */
	s0 = ivgpu_mm_stats();
	ASSERT_EQ(0, gem_map(self->fd, &m));
	s1 = ivgpu_mm_stats();
	EXPECT_NE(0ull, m.addr);
	EXPECT_EQ(0ull, m.addr % PAGE);
	EXPECT_EQ(0u, m.map_id);
	EXPECT_EQ(0u, m.out_flags);
	/* Like mmap(): nothing inserted until touched. */
	EXPECT_EQ(s0.faults, s1.faults);
	p = (volatile uint64_t *)(uintptr_t)m.addr;
	p[0] = 0xaa55;
	p[8 * PAGE / 8 - 1] = 0x55aa;
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 4 * PAGE, buf, 8));
	EXPECT_EQ(0xaa55ull, buf[0]);
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 12 * PAGE - 8, buf, 8));
	EXPECT_EQ(0x55aaull, buf[0]);
	buf[0] = 0x1234567;
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 5 * PAGE + 16, buf, 8));
	EXPECT_EQ(0x1234567ull, p[PAGE / 8 + 2]);
	EXPECT_EQ(0, munmap((void *)p, 8 * PAGE));

	/* Size 0: to the end of the object. */
	memset(&m, 0, sizeof(m));
	m.handle = h;
	m.flags = IVGPU_MAP_USER;
	m.offset = 5 * PAGE;
	ASSERT_EQ(0, gem_map(self->fd, &m));
	p = (volatile uint64_t *)(uintptr_t)m.addr;
	EXPECT_EQ(0x1234567ull, p[2]);
	p[11 * PAGE / 8 - 1] = 9;	/* the object's last word */
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, size - 8, buf, 8));
	EXPECT_EQ(9ull, buf[0]);
	/* Mapped shared, so it outlives GEM_CLOSE as mmap() does. */
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(9ull, p[11 * PAGE / 8 - 1]);
	EXPECT_EQ(0, munmap((void *)p, 11 * PAGE));
}

/* Allocate and map in one call. */
TEST_F(km, create_and_map)
{
	struct drm_ivgpu_gem_info info;
	struct drm_ivgpu_gem_map m;
	uint64_t buf[2];
	uint8_t *p;

	memset(&m, 0, sizeof(m));
	m.flags = IVGPU_MAP_CREATE | IVGPU_MAP_USER;
	m.handle = 0xdeadbeef;		/* ignored with CREATE */
	m.create_size = 3 * PAGE + 1;
	ASSERT_EQ(0, gem_map(self->fd, &m));
	EXPECT_EQ(4 * PAGE, m.create_size);
	EXPECT_NE(0xdeadbeef, m.handle);
	EXPECT_NE(0ull, m.addr);
	EXPECT_EQ(self->used0 + 4 * PAGE, ivgpu_vram_used(self->fd));
	EXPECT_EQ(self->objects0 + 1, ivgpu_object_count());
	ASSERT_EQ(0, ivgpu_bo_info(self->fd, m.handle, &info));
	EXPECT_EQ(4 * PAGE, info.size);
	EXPECT_EQ((uint32_t)IVGPU_BO_GENERIC, info.kind);
	p = (uint8_t *)(uintptr_t)m.addr;
	EXPECT_EQ(-1, ivgpu_check_zero(p, 4 * PAGE));
	ivgpu_fill(p, 4 * PAGE, 3);
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, m.handle, 4 * PAGE - 16, buf, 16));
	EXPECT_EQ(ivgpu_pattern(3, 4 * PAGE / 8 - 2), buf[0]);
	EXPECT_EQ(0, munmap(p, 4 * PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, m.handle));
	EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd));

	/* A frame buffer, kernel-mapped, from the second page on. */
	memset(&m, 0, sizeof(m));
	m.flags = IVGPU_MAP_CREATE | IVGPU_MAP_KERNEL;
	m.create_size = 256 * IVGPU_KIB;
	m.create_kind = IVGPU_BO_FRAMEBUFFER;
	m.offset = PAGE;
	ASSERT_EQ(0, gem_map(self->fd, &m));
	EXPECT_EQ(0ull, m.addr);
	EXPECT_EQ(0u, m.out_flags);
	ASSERT_EQ(0, ivgpu_bo_info(self->fd, m.handle, &info));
	EXPECT_EQ(256 * IVGPU_KIB, info.size);
	EXPECT_EQ((uint32_t)IVGPU_BO_FRAMEBUFFER, info.kind);
	EXPECT_EQ(1u, info.num_blocks);
	EXPECT_EQ(self->k0.in_use + 1, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, m.map_id));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, m.handle));

	/* Contiguous generic object. */
	memset(&m, 0, sizeof(m));
	m.flags = IVGPU_MAP_CREATE | IVGPU_MAP_USER;
	m.create_size = 8 * PAGE;
	m.create_flags = IVGPU_BO_CONTIGUOUS;
	m.size = 2 * PAGE;
	ASSERT_EQ(0, gem_map(self->fd, &m));
	EXPECT_EQ(1u, ivgpu_bo_num_blocks(self->fd, m.handle));
	EXPECT_EQ(0, munmap((void *)(uintptr_t)m.addr, 2 * PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, m.handle));
}

/* When a step of CREATE fails, nothing is left allocated. */
TEST_F(km, create_failures_leave_nothing)
{
	static const struct {
		uint32_t flags;
		uint64_t create_size, offset, size;
		uint32_t kind, cflags;
		int err;
	} bad[] = {
		{ IVGPU_MAP_USER, 0, 0, 0, 0, 0, -EINVAL },
		{ IVGPU_MAP_USER, ~0ull, 0, 0, 0, 0, -EINVAL },
		{ IVGPU_MAP_KERNEL, ~0ull - 4094, 0, 0, 0, 0, -EINVAL },
		{ IVGPU_MAP_USER, PAGE, 0, 0, 3, 0, -EINVAL },
		{ IVGPU_MAP_KERNEL, PAGE, 0, 0, 0, 1u << 5, -EINVAL },
		{ IVGPU_MAP_USER, 1ull << 40, 0, 0, 0, 0, -E2BIG },
		/* The object could be made; the mapping step fails. */
		{ IVGPU_MAP_KERNEL, 4 * PAGE, 8 * PAGE, 0, 0, 0, -EINVAL },
		{ IVGPU_MAP_USER, 4 * PAGE, 4 * PAGE, PAGE, 0, 0, -EINVAL },
		{ IVGPU_MAP_USER, 4 * PAGE, 0, 5 * PAGE, 0, 0, -EINVAL },
		{ IVGPU_MAP_KERNEL, 4 * PAGE, 100, 0, 0, 0, -EINVAL },
		{ IVGPU_MAP_USER, 4 * PAGE, 0, PAGE + 1, 0, 0, -EINVAL },
	};
	struct drm_ivgpu_gem_map m;
	unsigned int i;

	for (i = 0; i < IVGPU_ARRAY_SIZE(bad); i++) {
		memset(&m, 0, sizeof(m));
		m.flags = IVGPU_MAP_CREATE | bad[i].flags;
		m.create_size = bad[i].create_size;
		m.offset = bad[i].offset;
		m.size = bad[i].size;
		m.create_kind = bad[i].kind;
		m.create_flags = bad[i].cflags;
		EXPECT_EQ(bad[i].err, gem_map(self->fd, &m)) TH_LOG("case %u", i);
		EXPECT_EQ(self->used0, ivgpu_vram_used(self->fd)) TH_LOG("case %u", i);
		EXPECT_EQ(self->objects0, ivgpu_object_count()) TH_LOG("case %u", i);
		EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use) TH_LOG("case %u", i);
	}
}

/* CREATE when VRAM is full: -ENOSPC and nothing allocated. */
TEST_F_TIMEOUT(km, create_and_map_enospc, 60)
{
	enum { MAX = 2048 };
	static uint32_t fill[MAX];
	struct drm_ivgpu_gem_map m;
	uint64_t used;
	int n = 0, count;

	ASSERT_LE(0, ivgpu_fill_heap(self->fd, 4 * IVGPU_MIB, fill, &n, MAX));
	used = ivgpu_vram_used(self->fd);
	count = ivgpu_object_count();
	memset(&m, 0, sizeof(m));
	m.flags = IVGPU_MAP_CREATE | IVGPU_MAP_USER;
	m.create_size = PAGE;
	EXPECT_EQ(-ENOSPC, gem_map(self->fd, &m));
	m.flags = IVGPU_MAP_CREATE | IVGPU_MAP_KERNEL;
	EXPECT_EQ(-ENOSPC, gem_map(self->fd, &m));
	EXPECT_EQ(used, ivgpu_vram_used(self->fd));
	EXPECT_EQ(count, ivgpu_object_count());
	ivgpu_close_all(self->fd, fill, &n);
}

/* The per-file limit on kernel mappings: -ENOSPC, another file unaffected. */
TEST_F_TIMEOUT(km, kernel_map_limit_per_file, 120)
{
	enum { BOUND = 4096 };
	static uint32_t ids[BOUND];
	uint64_t size = 2 * IVGPU_MIB;
	uint32_t h, h2, id;
	int n, ret = 0;

	self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	for (n = 0; n < BOUND; n++) {
		/* Distinct ranges, so that none is a reuse of another. */
		uint64_t pages = size / PAGE;
		uint64_t off = (n % pages) * PAGE, len = (1 + n / pages) * PAGE;

		if (off + len > size)
			off = size - len;
		ret = ivgpu_kmap(self->fd, h, off, len, &ids[n], NULL);
		if (ret)
			break;
	}
	TH_LOG("%d kernel mappings held by one file", n);
	ASSERT_EQ(-ENOSPC, ret) TH_LOG("no limit within %d mappings", BOUND);
	ASSERT_LT(0, n);
	/* A reuse is a mapping held by the file, too. */
	EXPECT_EQ(-ENOSPC, ivgpu_kmap(self->fd, h, 0, PAGE, &id, NULL));
	/* Another file has its own budget. */
	ASSERT_EQ(0, ivgpu_bo_create(self->fd2, PAGE, 0, &h2));
	EXPECT_EQ(0, ivgpu_kmap(self->fd2, h2, 0, 0, &id, NULL));
	/* Releasing one makes room for one. */
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, ids[n / 2]));
	EXPECT_EQ(0, ivgpu_kmap(self->fd, h, 0, PAGE, &ids[n / 2], NULL));
	EXPECT_EQ(-ENOSPC, ivgpu_kmap(self->fd, h, 0, PAGE, &id, NULL));
	/* Closing the file releases all of them (fd2's stays). */
	EXPECT_LT(self->k0.in_use + 1, ivgpu_kmap_stats().in_use);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(self->k0.in_use + 1, ivgpu_kmap_stats().in_use);
	close(self->fd2);
	self->fd2 = -1;
	EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use);
}

/* Closing a file releases its kernel mappings (and then its objects). */
TEST_F(km, close_releases_kernel_mappings)
{
	int i;
	uint32_t h, id;

	self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd2, 32 * PAGE, 0, &h));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, ivgpu_kmap(self->fd2, h, i * 4 * PAGE, 4 * PAGE, &id, NULL));
	}
	ASSERT_EQ(0, ivgpu_kmap(self->fd2, h, 0, PAGE, &id, NULL));	/* a reuse */
	EXPECT_EQ(self->k0.in_use + 5, ivgpu_kmap_stats().in_use);
	/* GEM_CLOSE with kernel mappings held: the object stays until they go. */
	EXPECT_EQ(0, ivgpu_gem_close(self->fd2, h));
	EXPECT_EQ(self->used0 + 32 * PAGE, ivgpu_vram_used(self->fd));
	close(self->fd2);
	self->fd2 = -1;
	EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd, self->used0, 1000));
}

/* Unused kernel mappings are cached, and released when a limit is reached. */
TEST_F_TIMEOUT(km, unused_mappings_released, 120)
{
	uint64_t size = 4 * IVGPU_MIB, pages = size / PAGE, i;
	struct ivgpu_kmap_stats k1;
	uint32_t h, id;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	for (i = 0; i < pages; i++) {
		ASSERT_EQ(0, ivgpu_kmap(self->fd, h, i * PAGE, PAGE, &id, NULL));
		ASSERT_EQ(0, ivgpu_kunmap(self->fd, id));
	}
	k1 = ivgpu_kmap_stats();
	TH_LOG("after %llu map/unmap pairs: live %llu, released %llu",
	       (unsigned long long)pages, (unsigned long long)(k1.live - self->k0.live),
	       (unsigned long long)(k1.released - self->k0.released));
	EXPECT_EQ(self->k0.misses + pages, k1.misses);
	EXPECT_LT(self->k0.released, k1.released);
	EXPECT_GT(self->k0.live + pages, k1.live);
	EXPECT_EQ(self->k0.in_use, k1.in_use);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	/* Freeing the object releases whatever was cached for it. */
	EXPECT_GE(self->k0.live, ivgpu_kmap_stats().live);
}

/* pread/pwrite round trip at odd offsets and sizes. */
TEST_F(km, pread_pwrite_round_trip)
{
	static const struct { uint64_t off, len; } io[] = {
		{ 0, 1 }, { 1, 3 }, { 4095, 2 }, { 4097, 4096 + 5 }, { 12345, 777 },
		{ 64 * 1024 - 10, 10 }, { 8, 64 * 1024 - 8 }, { 3, 64 * 1024 - 3 },
	};
	uint64_t size = 64 * IVGPU_KIB;
	uint8_t *in, *out, *p, *want;
	unsigned int i, j;
	uint32_t h;

	in = malloc(size);
	out = malloc(size);
	want = calloc(1, size);
	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, want);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < IVGPU_ARRAY_SIZE(io); i++) {
		for (j = 0; j < io[i].len; j++)
			in[j] = (uint8_t)(i * 31 + j * 7 + 1);
		ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, io[i].off, in, io[i].len))
			TH_LOG("offset %llu size %llu", (unsigned long long)io[i].off,
			       (unsigned long long)io[i].len);
		memset(out, 0, size);
		ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, io[i].off, out, io[i].len));
		EXPECT_EQ(0, memcmp(in, out, io[i].len)) TH_LOG("offset %llu",
			(unsigned long long)io[i].off);
		/* And the mapping sees the same bytes. */
		EXPECT_EQ(0, memcmp(in, p + io[i].off, io[i].len));
		memcpy(want + io[i].off, in, io[i].len);
	}
	/* And they are in VRAM, every other byte untouched. */
	IVGPU_EXPECT_COPROC_CRC(self->fd, h, 0, size, ivgpu_crc32(0, want, size));
	/* Writes through the mapping show in pread. */
	ivgpu_fill(p, size, 51);
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 0, out, size));
	EXPECT_EQ(-1, ivgpu_check(out, size, 51));
	/* A byte before and after a small write keep their values. */
	in[0] = 0x42;
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 101, in, 1));
	EXPECT_EQ(0x42, p[101]);
	EXPECT_EQ(((uint8_t *)&(uint64_t){ ivgpu_pattern(51, 12) })[4], p[100]);
	EXPECT_EQ(((uint8_t *)&(uint64_t){ ivgpu_pattern(51, 12) })[6], p[102]);
	ivgpu_fill(want, size, 51);
	want[101] = 0x42;
	IVGPU_EXPECT_COPROC_CRC(self->fd, h, 0, size, ivgpu_crc32(0, want, size));
	/* Zero bytes: success, nothing copied, even with a NULL buffer. */
	EXPECT_EQ(0, ivgpu_bo_pread(self->fd, h, 0, out, 0));
	EXPECT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 17, NULL, 0));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	free(in);
	free(out);
	free(want);
}

/*
 * A scattered object: pread/pwrite across block boundaries; what pwrite
 * wrote is in VRAM (the co-processor's CRC-32 is the CPU's).
 */
TEST_F_TIMEOUT(km, pread_pwrite_scattered, 90)
{
	uint64_t size = 3 * IVGPU_MIB;
	uint8_t *buf, *p;
	uint32_t h = 0;

	ASSERT_EQ(0, ivgpu_create_scattered(self->fd, size, &h));
	ASSERT_LT(1u, ivgpu_bo_num_blocks(self->fd, h));
	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	ivgpu_fill(buf, size, 61);
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 0, buf, size));
	IVGPU_EXPECT_COPROC_CRC(self->fd, h, 0, size, ivgpu_crc32(0, buf, size));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, ivgpu_check(p, size, 61));
	memset(buf, 0, size);
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 0, buf, size));
	EXPECT_EQ(-1, ivgpu_check(buf, size, 61));
	/* Around each MiB boundary, unaligned. */
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, IVGPU_MIB - 13, buf, 29));
	EXPECT_EQ(0, memcmp(buf, p + IVGPU_MIB - 13, 29));
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 2 * IVGPU_MIB - 4099, buf, 8200));
	EXPECT_EQ(0, memcmp(buf, p + 2 * IVGPU_MIB - 4099, 8200));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	free(buf);
}

TEST_F(km, pread_pwrite_out_of_range)
{
	uint64_t size = 4 * PAGE;
	static const struct { uint64_t off, len; } bad[] = {
		{ 4 * PAGE, 1 }, { 4 * PAGE - 1, 2 }, { 0, 4 * PAGE + 1 }, { 5 * PAGE, 8 },
		{ ~0ull, 2 }, { ~0ull - 7, 16 }, { 8, ~0ull - 4 }, { 1ull << 63, 1ull << 63 },
		{ 4 * PAGE + 1, 0 }, { ~0ull, 0 },
	};
	struct drm_ivgpu_gem_rw rw;
	uint8_t buf[64];
	unsigned int i;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	for (i = 0; i < IVGPU_ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, ivgpu_bo_pread(self->fd, h, bad[i].off, buf, bad[i].len))
			TH_LOG("offset %#llx size %#llx", (unsigned long long)bad[i].off,
			       (unsigned long long)bad[i].len);
		EXPECT_EQ(-EINVAL, ivgpu_bo_pwrite(self->fd, h, bad[i].off, buf, bad[i].len))
			TH_LOG("offset %#llx size %#llx", (unsigned long long)bad[i].off,
			       (unsigned long long)bad[i].len);
	}
	/* The last byte is fine. */
	EXPECT_EQ(0, ivgpu_bo_pwrite(self->fd, h, size - 1, buf, 1));
	EXPECT_EQ(0, ivgpu_bo_pread(self->fd, h, size - 1, buf, 1));
	memset(&rw, 0, sizeof(rw));
	rw.handle = h;
	rw.size = 8;
	rw.data_ptr = (uintptr_t)buf;
	rw.flags = 1;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_PREAD, &rw));
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_PWRITE, &rw));
	rw.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_PREAD, &rw));
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_PWRITE, &rw));
	EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* NULL, unmapped and read-only user buffers: EFAULT, nothing leaked. */
TEST_F(km, pread_pwrite_bad_buffers)
{
	uint64_t size = 16 * PAGE;
	uint8_t *ro, *none, *gap, *buf;
	uint32_t h;
	int i;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	ro = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gap = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_NE(MAP_FAILED, gap);
	ASSERT_EQ(0, munmap(gap + PAGE, PAGE));	/* [rw][hole][rw] */
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, munmap(buf, PAGE));		/* fully unmapped */

	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-EFAULT, ivgpu_bo_pread(self->fd, h, 0, NULL, 64));
		EXPECT_EQ(-EFAULT, ivgpu_bo_pwrite(self->fd, h, 0, NULL, 64));
		EXPECT_EQ(-EFAULT, ivgpu_bo_pread(self->fd, h, 0, (void *)16, 64));
		EXPECT_EQ(-EFAULT, ivgpu_bo_pread(self->fd, h, 0, buf, 64));
		EXPECT_EQ(-EFAULT, ivgpu_bo_pwrite(self->fd, h, 0, buf, 64));
		EXPECT_EQ(-EFAULT, ivgpu_bo_pread(self->fd, h, 100, ro, 64));
		EXPECT_EQ(-EFAULT, ivgpu_bo_pread(self->fd, h, 0, none, 64));
		EXPECT_EQ(-EFAULT, ivgpu_bo_pwrite(self->fd, h, 0, none, 64));
		/* Running into the hole part-way. */
		EXPECT_EQ(-EFAULT, ivgpu_bo_pread(self->fd, h, 0, gap, 2 * PAGE));
		EXPECT_EQ(-EFAULT, ivgpu_bo_pwrite(self->fd, h, 0, gap + PAGE / 2, PAGE));
		/* A kernel address is not a user buffer. */
		EXPECT_EQ(-EFAULT, ivgpu_bo_pread(self->fd, h, 0, (void *)0xffff888000000000ull, 8));
		EXPECT_EQ(-EFAULT, ivgpu_bo_pwrite(self->fd, h, 0, (void *)0xffffffff81000000ull, 8));
		EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use);
		EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd));
	}
	/* Reading from a read-only buffer is fine. */
	EXPECT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 0, ro, 2 * PAGE));
	EXPECT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 2 * PAGE, gap + 2 * PAGE, PAGE));
	EXPECT_EQ(0, ivgpu_bo_pread(self->fd, h, 0, gap, PAGE));
	EXPECT_EQ(0, munmap(ro, 2 * PAGE));
	EXPECT_EQ(0, munmap(none, PAGE));
	EXPECT_EQ(0, munmap(gap, PAGE));
	EXPECT_EQ(0, munmap(gap + 2 * PAGE, PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

struct rw_case {
	int fd;
	uint32_t src, dst;	/* object handles */
	uint64_t size;
};

/*
 * pread from object src into an (unfaulted) mapping of dst, and pwrite from
 * a mapping of dst into src, in a child with an alarm: a driver that takes a
 * lock in pread that its fault handler also takes would hang here.
 */
static int rw_through_mapping(void *arg)
{
	struct rw_case *c = arg;
	uint64_t half = c->size / 2;
	uint8_t *d;

	d = ivgpu_bo_mmap(c->fd, c->dst, c->size);
	if (d == MAP_FAILED)
		return 10;
	if (c->src == c->dst) {
		/* Same object: first half into the second half, and back. */
		if (ivgpu_bo_pread(c->fd, c->src, 0, d + half, half))
			return 11;
		if (ivgpu_check(d + half, half, 71) != -1)
			return 12;
		if (ivgpu_bo_revoke(c->fd, c->src, 0, 0))
			return 13;
		ivgpu_fill(d + half, half, 72);
		if (ivgpu_bo_revoke(c->fd, c->src, 0, 0))
			return 13;
		if (ivgpu_bo_pwrite(c->fd, c->src, 0, d + half, half))
			return 14;
		if (ivgpu_check(d, half, 72) != -1)
			return 15;
	} else {
		if (ivgpu_bo_pread(c->fd, c->src, 0, d, c->size))
			return 21;
		if (ivgpu_check(d, c->size, 71) != -1)
			return 22;
		ivgpu_fill(d, c->size, 73);
		if (ivgpu_bo_revoke(c->fd, c->dst, 0, 0))
			return 23;
		if (ivgpu_bo_pwrite(c->fd, c->src, 0, d, c->size))
			return 24;
	}
	munmap(d, c->size);
	return 0;
}

TEST_F_TIMEOUT(km, pread_pwrite_into_ivgpu_mapping, 60)
{
	struct rw_case c = { .fd = self->fd, .size = 256 * IVGPU_KIB };
	uint8_t *buf;

	buf = malloc(c.size);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, c.size, 0, &c.src));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, c.size, 0, &c.dst));
	ivgpu_fill(buf, c.size, 71);
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, c.src, 0, buf, c.size));

	/* Another object's mapping. */
	EXPECT_EQ(0, ivgpu_run_bounded(rw_through_mapping, &c, 20));
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, c.src, 0, buf, c.size));
	EXPECT_EQ(-1, ivgpu_check(buf, c.size, 73));

	/* The object's own mapping. */
	ivgpu_fill(buf, c.size, 71);
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, c.src, 0, buf, c.size));
	c.dst = c.src;
	EXPECT_EQ(0, ivgpu_run_bounded(rw_through_mapping, &c, 20));
	EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use);
	free(buf);
}

/* GEM_MAP user mapping as the buffer of pread, with a kernel mapping live. */
static int rw_with_kmap(void *arg)
{
	struct rw_case *c = arg;
	struct drm_ivgpu_gem_map m = { .handle = c->dst, .flags = IVGPU_MAP_USER };
	uint32_t id;

	if (ivgpu_kmap(c->fd, c->src, 0, 0, &id, NULL))
		return 1;
	if (ivgpu_ioctl(c->fd, DRM_IOCTL_IVGPU_GEM_MAP, &m))
		return 2;
	if (ivgpu_bo_pread(c->fd, c->src, 0, (void *)(uintptr_t)m.addr, c->size))
		return 3;
	if (ivgpu_check((void *)(uintptr_t)m.addr, c->size, 81) != -1)
		return 4;
	if (ivgpu_kunmap(c->fd, id))
		return 5;
	munmap((void *)(uintptr_t)m.addr, c->size);
	return 0;
}

TEST_F_TIMEOUT(km, pread_into_gem_map_user, 60)
{
	struct rw_case c = { .fd = self->fd, .size = 64 * IVGPU_KIB };
	uint8_t *buf;

	buf = malloc(c.size);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, c.size, 0, &c.src));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, c.size, 0, &c.dst));
	ivgpu_fill(buf, c.size, 81);
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, c.src, 0, buf, c.size));
	EXPECT_EQ(0, ivgpu_run_bounded(rw_with_kmap, &c, 20));
	free(buf);
}

/* debugfs ivgpu_bo_dump shows what pwrite wrote. */
TEST_F(km, debugfs_dump)
{
	static uint8_t out[64 * 1024 + 4096];
	uint8_t data[300];
	uint64_t size = 4 * PAGE, id;
	unsigned int i;
	ssize_t n;
	uint32_t h;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	id = ivgpu_bo_id(self->fd, h);
	ASSERT_NE(~0ull, id);
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, PAGE + 16, data, sizeof(data)));

	n = ivgpu_debugfs_dump(id, PAGE + 16, sizeof(data), out);
	ASSERT_EQ((ssize_t)sizeof(data), n);
	EXPECT_EQ(0, memcmp(data, out, sizeof(data)));
	/* A wider window: zeros around the data. */
	n = ivgpu_debugfs_dump(id, PAGE, 512, out);
	ASSERT_EQ(512, n);
	EXPECT_EQ(-1, ivgpu_check_zero(out, 16));
	EXPECT_EQ(0, memcmp(data, out + 16, sizeof(data)));
	EXPECT_EQ(-1, ivgpu_check_zero(out + 16 + sizeof(data) + 4, 512 - 16 - sizeof(data) - 4));
	/* The end of the object. */
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, size - 7, data, 7));
	n = ivgpu_debugfs_dump(id, size - 7, 7, out);
	ASSERT_EQ(7, n);
	EXPECT_EQ(0, memcmp(data, out, 7));
	/* Out of range, too big, unknown object: refused. */
	EXPECT_GT(0, ivgpu_debugfs_dump(id, size - 7, 8, out));
	EXPECT_GT(0, ivgpu_debugfs_dump(id, 0, 64 * IVGPU_KIB + 1, out));
	EXPECT_GT(0, ivgpu_debugfs_dump(id + 100000, 0, 16, out));
	EXPECT_EQ(self->k0.in_use, ivgpu_kmap_stats().in_use);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	/* A freed object cannot be dumped. */
	EXPECT_GT(0, ivgpu_debugfs_dump(id, 0, 16, out));
}

TEST_HARNESS_MAIN
