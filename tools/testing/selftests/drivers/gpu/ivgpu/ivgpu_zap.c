// SPDX-License-Identifier: GPL-2.0
/*
 * Revoke and move: GEM_REVOKE removes the user page-table entries of an
 * object, or of a range of it, in every process with one zap, and the next
 * access faults them back with the same data; GEM_MOVE relocates an object
 * (for example to make it contiguous) and its mappings keep working with
 * the same contents.  Bad arguments are refused; move is refused while a
 * kernel mapping is held and when there is no room for a second copy.
 */
#include <signal.h>

#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PAGE IVGPU_PAGE

FIXTURE(zap) {
	IVGPU_FIXTURE_FIELDS;
};

FIXTURE_SETUP(zap)
{
	IVGPU_FIXTURE_SETUP();
}

FIXTURE_TEARDOWN(zap)
{
	IVGPU_FIXTURE_TEARDOWN();
}

/* One revoke is one zap of the whole range; the next access refaults. */
TEST_F(zap, revoke_zaps_and_refaults)
{
	uint64_t size = IVGPU_MIB;
	struct ivgpu_mm_stats s0, s1, s2;
	uint64_t *p;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, IVGPU_BO_CONTIGUOUS, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 5);
	s0 = ivgpu_mm_stats();
	ASSERT_NE(~0ull, s0.zaps);
	ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, 0));
	s1 = ivgpu_mm_stats();
	EXPECT_EQ(s0.zaps + 1, s1.zaps);
	EXPECT_EQ(s0.revokes + 1, s1.revokes);
	EXPECT_EQ(s0.pages_zapped + size / PAGE, s1.pages_zapped);
	EXPECT_EQ(s0.faults, s1.faults);
	/* Same data, through new faults. */
	EXPECT_EQ(-1, ivgpu_check(p, size, 5));
	s2 = ivgpu_mm_stats();
	EXPECT_LT(s1.faults, s2.faults);
	EXPECT_LE(s1.pages_inserted + size / PAGE, s2.pages_inserted);
	/* And once more, writing this time. */
	ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, size));
	s1 = ivgpu_mm_stats();
	EXPECT_EQ(s2.zaps + 1, s1.zaps);
	ivgpu_fill(p, size, 6);
	EXPECT_LT(s1.faults, ivgpu_mm_stats().faults);
	ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, 0));
	EXPECT_EQ(-1, ivgpu_check(p, size, 6));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/*
 * Revoking a range zaps only that range.  The object is one a single window
 * shows whole, so that with a small BAR no slide takes entries away either.
 */
TEST_F(zap, revoke_subrange)
{
	uint64_t pages = ivgpu_fit_pages(self->fd, 64), size = pages * PAGE, q = pages / 8;
	struct ivgpu_mm_stats s0, s1, s2;
	volatile uint64_t *p;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, size, size, IVGPU_BO_GENERIC,
					  IVGPU_BO_CONTIGUOUS, &h, NULL));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 8);
	s0 = ivgpu_mm_stats();
	ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, h, 2 * q * PAGE, q * PAGE));
	s1 = ivgpu_mm_stats();
	EXPECT_EQ(s0.zaps + 1, s1.zaps);
	EXPECT_EQ(s0.pages_zapped + q, s1.pages_zapped);
	/* Outside the range: still mapped, no fault. */
	EXPECT_EQ(ivgpu_pattern(8, 0), p[0]);
	EXPECT_EQ(ivgpu_pattern(8, (2 * q - 1) * PAGE / 8), p[(2 * q - 1) * PAGE / 8]);
	EXPECT_EQ(ivgpu_pattern(8, 3 * q * PAGE / 8), p[3 * q * PAGE / 8]);
	EXPECT_EQ(ivgpu_pattern(8, size / 8 - 1), p[size / 8 - 1]);
	s2 = ivgpu_mm_stats();
	EXPECT_EQ(s1.faults, s2.faults);
	/* Inside: faults again, same data. */
	EXPECT_EQ(ivgpu_pattern(8, (2 * q + q / 2) * PAGE / 8), p[(2 * q + q / 2) * PAGE / 8]);
	s2 = ivgpu_mm_stats();
	EXPECT_EQ(s1.faults + 1, s2.faults);
	EXPECT_EQ(-1, ivgpu_check(p, size, 8));
	EXPECT_EQ(0, munmap((void *)p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/*
 * The zap is by object range, whatever offset a mapping starts at.  In
 * units u of 1/16 of an object a window shows whole (2 pages with a large
 * BAR), q maps object units 4..11.
 */
TEST_F(zap, revoke_range_of_submapping)
{
	uint64_t size = ivgpu_fit_pages(self->fd, 32) * PAGE, u = size / 16;
	struct ivgpu_mm_stats s0, s1;
	volatile uint64_t *q;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, size, size, IVGPU_BO_GENERIC,
					  IVGPU_BO_CONTIGUOUS, &h, NULL));
	q = ivgpu_bo_mmap_range(self->fd, h, 4 * u, 8 * u, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, q);
	ivgpu_fill(q, 8 * u, 9);
	/* Object units 2..5: the first 2 units of q. */
	ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, h, 2 * u, 4 * u));
	s0 = ivgpu_mm_stats();
	EXPECT_EQ(ivgpu_pattern(9, 3 * u / 8), q[3 * u / 8]);	/* object unit 7 */
	s1 = ivgpu_mm_stats();
	EXPECT_EQ(s0.faults, s1.faults);
	EXPECT_EQ(ivgpu_pattern(9, (2 * u - PAGE) / 8), q[(2 * u - PAGE) / 8]); /* unit 5 */
	s1 = ivgpu_mm_stats();
	EXPECT_EQ(s0.faults + 1, s1.faults);
	/*
	 * Every page of q present again: that fault mapped the aligned
	 * block of prefault_pages around it, and where q's address puts a
	 * block boundary among the revoked pages, the rest fault now.
	 */
	EXPECT_EQ(-1, ivgpu_check(q, 8 * u, 9));
	s1 = ivgpu_mm_stats();
	/* A range that this mapping does not cover zaps nothing of it. */
	ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, h, 12 * u, 4 * u));
	EXPECT_EQ(-1, ivgpu_check(q, 8 * u, 9));
	EXPECT_EQ(s1.faults, ivgpu_mm_stats().faults);
	EXPECT_EQ(0, munmap((void *)q, 8 * u));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* One revoke removes the entries of every process that maps the object. */
TEST_F(zap, revoke_reaches_every_process)
{
	uint64_t size = 16 * PAGE;
	int to_child[2], to_parent[2], status;
	struct ivgpu_mm_stats s0, s1, s2;
	volatile uint64_t *p;
	char c;
	pid_t pid;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 13);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Touch everything, report, wait, touch again. */
		if (ivgpu_check(p, size, 13) != -1)
			_exit(1);
		if (write(to_parent[1], "a", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(2);
		if (ivgpu_check(p, size, 13) != -1)
			_exit(3);
		p[1] = 0x5eed;
		if (write(to_parent[1], "b", 1) != 1)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	s0 = ivgpu_mm_stats();
	ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, 0));
	s1 = ivgpu_mm_stats();
	EXPECT_EQ(s0.zaps + 1, s1.zaps);
	/* The parent refaults ... */
	EXPECT_EQ(-1, ivgpu_check(p, size, 13));
	s2 = ivgpu_mm_stats();
	EXPECT_LT(s1.faults, s2.faults);
	/* ... and so does the child: its entries went with the same zap. */
	ASSERT_EQ(1, write(to_child[1], "go", 1));
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	EXPECT_LT(s2.faults, ivgpu_mm_stats().faults);
	EXPECT_EQ(s1.zaps, ivgpu_mm_stats().zaps);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0x5eedull, p[1]);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	EXPECT_EQ(0, munmap((void *)p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* Revoke's arguments; runs in both configurations (it does not touch VRAM). */
TEST_F(zap, revoke_bad_arguments)
{
	uint64_t size = 16 * PAGE;
	static const struct { uint64_t off, size; } bad[] = {
		{ 1, 0 }, { PAGE - 1, PAGE }, { PAGE + 8, 0 }, { 0, 1 }, { 0, PAGE + 1 },
		{ 0, 17 * PAGE }, { 8 * PAGE, 9 * PAGE }, { 15 * PAGE, 2 * PAGE },
		{ 16 * PAGE, PAGE }, { 17 * PAGE, 0 }, { 1ull << 40, PAGE },
		{ PAGE, ~0ull << 12 }, { ~0ull << 12, 2 * PAGE }, { ~0ull << 12, 0 },
	};
	struct drm_ivgpu_gem_revoke r;
	unsigned int i;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	for (i = 0; i < IVGPU_ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, ivgpu_bo_revoke(self->fd, h, bad[i].off, bad[i].size))
			TH_LOG("offset %#llx size %#llx", (unsigned long long)bad[i].off,
			       (unsigned long long)bad[i].size);
	}
	memset(&r, 0, sizeof(r));
	r.handle = h;
	r.flags = 1;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_REVOKE, &r));
	r.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_REVOKE, &r));
	/* Good ranges: whole, to the end, exact, last page. */
	EXPECT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, 0));
	EXPECT_EQ(0, ivgpu_bo_revoke(self->fd, h, 4 * PAGE, 0));
	EXPECT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, size));
	EXPECT_EQ(0, ivgpu_bo_revoke(self->fd, h, 15 * PAGE, PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* Move a scattered object to one contiguous block: same contents everywhere. */
TEST_F_TIMEOUT(zap, move_to_contiguous_keeps_contents, 90)
{
	uint64_t size = 4 * IVGPU_MIB, used;
	struct drm_ivgpu_gem_info info;
	struct ivgpu_mm_stats s0, s1, s2;
	uint32_t h = 0, nb = 0;
	uint8_t *p, *buf;

	ASSERT_EQ(0, ivgpu_create_scattered(self->fd, size, &h));
	ASSERT_LT(1u, ivgpu_bo_num_blocks(self->fd, h)) TH_LOG("the object is not scattered");
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 17);
	used = ivgpu_vram_used(self->fd);
	s0 = ivgpu_mm_stats();
	ASSERT_NE(~0ull, s0.moves);
	ASSERT_EQ(0, ivgpu_bo_move(self->fd, h, IVGPU_MOVE_CONTIGUOUS, &nb));
	s1 = ivgpu_mm_stats();
	EXPECT_EQ(1u, nb);
	ASSERT_EQ(0, ivgpu_bo_info(self->fd, h, &info));
	EXPECT_EQ(1u, info.num_blocks);
	EXPECT_EQ(IVGPU_BO_CONTIGUOUS, info.flags);
	EXPECT_EQ(size, info.size);
	EXPECT_EQ(s0.moves + 1, s1.moves);
	EXPECT_EQ(s0.bytes_moved + size, s1.bytes_moved);
	EXPECT_LE(s0.zaps + 1, s1.zaps);
	/* The old VRAM went back to the heap. */
	EXPECT_EQ(used, ivgpu_vram_used(self->fd));
	/* Through the existing mapping (refaulting) ... */
	EXPECT_EQ(-1, ivgpu_check(p, size, 17));
	s2 = ivgpu_mm_stats();
	EXPECT_LT(s1.faults, s2.faults);
	/* ... and through pread. */
	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 0, buf, size));
	EXPECT_EQ(-1, ivgpu_check(buf, size, 17));
	free(buf);
	/* Contiguous now: one fault per 64 KiB at most (see ivgpu_walk_span()). */
	ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, 0));
	s1 = ivgpu_mm_stats();
	ivgpu_fill(p, size, 18);
	s2 = ivgpu_mm_stats();
	EXPECT_GE(size / ivgpu_walk_span(self->fd) + 1, s2.faults - s1.faults);
	EXPECT_EQ(-1, ivgpu_check(p, size, 18));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* Repeated moves, with and without the flag, never lose a byte. */
TEST_F_TIMEOUT(zap, move_repeatedly, 60)
{
	uint64_t size = 512 * IVGPU_KIB;
	struct ivgpu_mm_stats s0;
	uint32_t h, nb;
	uint64_t *p;
	int i;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	s0 = ivgpu_mm_stats();
	for (i = 0; i < 20; i++) {
		ivgpu_fill(p, size, 100 + i);
		nb = 0;
		ASSERT_EQ(0, ivgpu_bo_move(self->fd, h, i & 1 ? IVGPU_MOVE_CONTIGUOUS : 0, &nb))
			TH_LOG("move %d", i);
		EXPECT_LE(1u, nb);
		if (i & 1) {
			EXPECT_EQ(1u, nb);
		}
		EXPECT_EQ(nb, ivgpu_bo_num_blocks(self->fd, h));
		ASSERT_EQ(-1, ivgpu_check(p, size, 100 + i)) TH_LOG("move %d", i);
		EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd));
	}
	EXPECT_EQ(s0.moves + 20, ivgpu_mm_stats().moves);
	EXPECT_EQ(s0.bytes_moved + 20 * size, ivgpu_mm_stats().bytes_moved);
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* A move with no mapping at all, then a first mapping sees the data. */
TEST_F(zap, move_unmapped_object)
{
	uint64_t size = 64 * PAGE;
	uint8_t data[3000];
	uint64_t *p;
	uint32_t h;
	unsigned int i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = i * 7 + 3;
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 5 * PAGE + 123, data, sizeof(data)));
	ASSERT_EQ(0, ivgpu_bo_move(self->fd, h, IVGPU_MOVE_CONTIGUOUS, NULL));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp((uint8_t *)p + 5 * PAGE + 123, data, sizeof(data)));
	EXPECT_EQ(-1, ivgpu_check_zero(p, 5 * PAGE));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* A kernel mapping pins the object where it is: move is -EBUSY until unmapped. */
TEST_F(zap, move_busy_while_kernel_mapped)
{
	uint32_t h, h2, id, id2;
	struct drm_ivgpu_gem_map m;
	struct ivgpu_mm_stats s0;
	uint64_t v = 0x1234;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 16 * PAGE, 0, &h));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 16 * PAGE, 0, &h2));
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 8, &v, 8));
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 4 * PAGE, 4 * PAGE, &id, NULL));
	s0 = ivgpu_mm_stats();
	EXPECT_EQ(-EBUSY, ivgpu_bo_move(self->fd, h, 0, NULL));
	EXPECT_EQ(-EBUSY, ivgpu_bo_move(self->fd, h, IVGPU_MOVE_CONTIGUOUS, NULL));
	EXPECT_EQ(s0.moves, ivgpu_mm_stats().moves);
	/* Another object is not affected. */
	EXPECT_EQ(0, ivgpu_bo_move(self->fd, h2, 0, NULL));
	/* A second kernel mapping: still busy until both are gone. */
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 0, 0, &id2, NULL));
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id));
	EXPECT_EQ(-EBUSY, ivgpu_bo_move(self->fd, h, 0, NULL));
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, id2));
	EXPECT_EQ(0, ivgpu_bo_move(self->fd, h, 0, NULL));
	v = 0;
	EXPECT_EQ(0, ivgpu_bo_pread(self->fd, h, 8, &v, 8));
	EXPECT_EQ(0x1234ull, v);
	/* A user mapping made through GEM_MAP does not pin it. */
	memset(&m, 0, sizeof(m));
	m.handle = h;
	m.flags = IVGPU_MAP_USER;
	ASSERT_EQ(0, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MAP, &m));
	EXPECT_EQ(0, ivgpu_bo_move(self->fd, h, IVGPU_MOVE_CONTIGUOUS, NULL));
	EXPECT_EQ(0x1234ull, ((uint64_t *)(uintptr_t)m.addr)[1]);
	EXPECT_EQ(0, munmap((void *)(uintptr_t)m.addr, 16 * PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h2));
}

/* No room for a second copy: -ENOSPC, and the object is untouched. */
TEST_F_TIMEOUT(zap, move_enospc_without_room, 60)
{
	enum { MAX = 2048 };
	static uint32_t fill[MAX];
	uint64_t size = 2 * IVGPU_MIB, used;
	struct ivgpu_mm_stats s0;
	uint64_t *p;
	uint32_t h;
	int n = 0, mid;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 23);
	ASSERT_LE(0, ivgpu_fill_heap(self->fd, IVGPU_MIB, fill, &n, MAX));
	used = ivgpu_vram_used(self->fd);
	EXPECT_EQ(self->vram, used);
	s0 = ivgpu_mm_stats();
	EXPECT_EQ(-ENOSPC, ivgpu_bo_move(self->fd, h, 0, NULL));
	EXPECT_EQ(-ENOSPC, ivgpu_bo_move(self->fd, h, IVGPU_MOVE_CONTIGUOUS, NULL));
	EXPECT_EQ(s0.moves, ivgpu_mm_stats().moves);
	EXPECT_EQ(used, ivgpu_vram_used(self->fd));
	EXPECT_EQ(-1, ivgpu_check(p, size, 23));
	/* Room for the copy, but not contiguous room: free two separate MiB. */
	mid = n / 2;
	ivgpu_gem_close(self->fd, fill[0]);
	ivgpu_gem_close(self->fd, fill[mid]);
	fill[mid] = fill[--n];
	fill[0] = fill[--n];
	if (ivgpu_param(self->fd, IVGPU_PARAM_VRAM_LARGEST_FREE) < size) {
		EXPECT_EQ(-ENOSPC, ivgpu_bo_move(self->fd, h, IVGPU_MOVE_CONTIGUOUS, NULL));
		EXPECT_EQ(0, ivgpu_bo_move(self->fd, h, 0, NULL));
		EXPECT_EQ(-1, ivgpu_check(p, size, 23));
	}
	ivgpu_close_all(self->fd, fill, &n);
	EXPECT_EQ(0, ivgpu_bo_move(self->fd, h, IVGPU_MOVE_CONTIGUOUS, NULL));
	EXPECT_EQ(-1, ivgpu_check(p, size, 23));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

TEST_F(zap, move_bad_arguments)
{
	struct drm_ivgpu_gem_move m;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 4 * PAGE, 0, &h));
	memset(&m, 0, sizeof(m));
	m.handle = h;
	m.flags = 1u << 1;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MOVE, &m));
	m.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MOVE, &m));
	m.flags = 0;
	m.pad = 1;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MOVE, &m));
	m.pad = 0;
	EXPECT_EQ(0, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MOVE, &m));
	EXPECT_LE(1u, m.num_blocks);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/*
 * A move keeps the object's placement: a frame buffer stays one block, and
 * an aligned object stays aligned, so with every aligned slot of VRAM taken
 * there is nowhere to move it.
 */
TEST_F(zap, move_keeps_placement)
{
	uint64_t align = self->vram / 4;
	uint32_t fb, h[4], nb = 0;
	int n = 0, ret = 0;

	ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, 3 * IVGPU_MIB, 0, IVGPU_BO_FRAMEBUFFER, 0,
					  &fb, NULL));
	ASSERT_EQ(0, ivgpu_bo_move(self->fd, fb, 0, &nb));
	EXPECT_EQ(1u, nb);
	EXPECT_EQ(1u, ivgpu_bo_num_blocks(self->fd, fb));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, fb));

	/* Take every slot of alignment VRAM/4 with a one-page object. */
	while (n < 4) {
		ret = ivgpu_bo_create_full(self->fd, IVGPU_PAGE, align, IVGPU_BO_GENERIC, 0, &h[n],
					   NULL);
		if (ret)
			break;
		n++;
	}
	if (n == 4) {
		EXPECT_EQ(-ENOSPC, ivgpu_bo_move(self->fd, h[0], 0, NULL));
		EXPECT_EQ(-ENOSPC, ivgpu_bo_move(self->fd, h[3], IVGPU_MOVE_CONTIGUOUS, NULL));
		/* Free a slot: now there is one place to go. */
		EXPECT_EQ(0, ivgpu_gem_close(self->fd, h[--n]));
		EXPECT_EQ(0, ivgpu_bo_move(self->fd, h[0], 0, NULL));
	} else {
		TH_LOG("only %d aligned objects fit (%d): VRAM not empty", n, ret);
	}
	while (n > 0) {
		EXPECT_EQ(0, ivgpu_gem_close(self->fd, h[--n]));
	}
}

TEST_HARNESS_MAIN
