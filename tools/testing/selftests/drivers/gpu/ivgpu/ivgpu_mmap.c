// SPDX-License-Identifier: GPL-2.0
/*
 * User mappings of buffer objects: page-table entries inserted on fault (not
 * at mmap), batched prefault clamped to the VMA, any page-aligned sub-range,
 * overlapping mappings, a scattered object as one virtual range, MAP_PRIVATE
 * and out-of-range mappings refused, another file's offset refused, fork,
 * ptrace and /proc/PID/mem (vm_ops->access), partial munmap, mremap, mappings
 * that outlive GEM_CLOSE and close(), and zeroed memory on reuse.
 *
 * They run the same in both BAR configurations; with a small BAR every
 * access goes through the banked windows, and small_bar_cpu_access_through_windows
 * checks that every CPU path works there and that the windows slid for it.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/ptrace.h>

#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PAGE IVGPU_PAGE

FIXTURE(mm) {
	IVGPU_FIXTURE_FIELDS;
};

FIXTURE_SETUP(mm)
{
	IVGPU_FIXTURE_SETUP();
}

FIXTURE_TEARDOWN(mm)
{
	IVGPU_FIXTURE_TEARDOWN();
}

/*
 * With a small BAR every CPU path reaches VRAM through the banked windows:
 * an object four times the size of all windows together is written through
 * its mapping, read back with pread and through the debugfs dump, patched
 * with a pwrite across a window boundary, moved, and mapped with GEM_MAP,
 * with the same bytes everywhere, and the co-processor's CRC-32 of the
 * object is the CPU's of what it must hold after the pwrite and at the
 * end; the windows slid at least once per window's worth written, and the
 * pwrite was split.
 */
TEST_F_TIMEOUT(mm, small_bar_cpu_access_through_windows, 120)
{
	uint64_t win, visible, size, off, slides0, splits0, v;
	struct drm_ivgpu_gem_map m;
	int ret;
	uint8_t dump[64];
	uint64_t *p, *buf, *want;
	uint32_t h = 0, id;

	if (!self->small_bar)
		SKIP(return, "large BAR: no banked windows");
	win = ivgpu_param(self->fd, IVGPU_PARAM_WINDOW_SIZE);
	visible = ivgpu_param(self->fd, IVGPU_PARAM_CPU_VISIBLE_SIZE);
	ASSERT_LT(0ull, win);
	ASSERT_NE(~0ull, visible);
	size = 4 * visible;
	if (size > self->vram / 4)
		SKIP(return, "VRAM too small for an object 4 times the windows");
	slides0 = ivgpu_counter("ivgpu_windows", "slides");
	splits0 = ivgpu_counter("ivgpu_windows", "splits");
	ASSERT_NE(~0ull, slides0);

	/* The CPU clears the object, in one kernel request larger than a window. */
	ASSERT_EQ(0, ivgpu_use_coproc(false));
	ret = ivgpu_bo_create(self->fd, size, 0, &h);
	ivgpu_use_coproc(true);
	ASSERT_EQ(0, ret);
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, ivgpu_check_zero(p, size));
	ivgpu_fill(p, size, 61);
	EXPECT_LE(slides0 + size / win, ivgpu_counter("ivgpu_windows", "slides"));

	EXPECT_EQ(-1, ivgpu_check(p, size, 61));
	buf = malloc(win);
	ASSERT_NE(NULL, buf);
	for (off = 0; off < size; off += win) {
		ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, off, buf, win));
		ASSERT_EQ(0, memcmp(buf, (uint8_t *)p + off, win)) TH_LOG("offset %#llx",
			(unsigned long long)off);
	}
	free(buf);

	/* 8 bytes across the end of the first window's worth: two parts. */
	v = 0x0123456789abcdefull;
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, win - 3, &v, sizeof(v)));
	EXPECT_LT(splits0, ivgpu_counter("ivgpu_windows", "splits"));
	EXPECT_EQ(0, memcmp((uint8_t *)p + win - 3, &v, sizeof(v)));
	id = ivgpu_bo_id(self->fd, h);
	EXPECT_EQ(sizeof(dump), ivgpu_debugfs_dump(id, win - 32, sizeof(dump), dump));
	EXPECT_EQ(0, memcmp(dump, (uint8_t *)p + win - 32, sizeof(dump)));
	want = malloc(size);
	ASSERT_NE(NULL, want);
	ivgpu_fill(want, size, 61);
	memcpy((uint8_t *)want + win - 3, &v, sizeof(v));
	IVGPU_EXPECT_COPROC_CRC(self->fd, h, 0, size, ivgpu_crc32(0, want, size));
	free(want);

	EXPECT_EQ(0, ivgpu_bo_move(self->fd, h, IVGPU_MOVE_CONTIGUOUS, NULL));
	EXPECT_EQ(1u, ivgpu_bo_num_blocks(self->fd, h));
	EXPECT_EQ(0, memcmp(dump, (uint8_t *)p + win - 32, sizeof(dump)));
	p[win / 8 - 1] = ivgpu_pattern(61, win / 8 - 1);
	p[win / 8] = ivgpu_pattern(61, win / 8);
	EXPECT_EQ(-1, ivgpu_check(p, size, 61));

	memset(&m, 0, sizeof(m));
	m.handle = h;
	m.flags = IVGPU_MAP_KERNEL;
	EXPECT_EQ(0, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MAP, &m));
	EXPECT_EQ(-EBUSY, ivgpu_bo_move(self->fd, h, 0, NULL));
	EXPECT_EQ(0, ivgpu_kunmap(self->fd, m.map_id));
	m.flags = IVGPU_MAP_USER;
	m.map_id = 0;
	m.offset = size - win;
	EXPECT_EQ(0, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MAP, &m));
	EXPECT_EQ(0, memcmp((void *)(uintptr_t)m.addr, (uint8_t *)p + size - win, win));
	EXPECT_EQ(0, munmap((void *)(uintptr_t)m.addr, win));
	IVGPU_EXPECT_COPROC_CRC(self->fd, h, 0, size, ivgpu_pattern_crc32(61, size));

	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

TEST_F(mm, new_object_reads_zero)
{
	uint64_t size = 2 * IVGPU_MIB;
	uint32_t h;
	void *p;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, ivgpu_check_zero(p, size));
	ivgpu_fill(p, size, 1);
	EXPECT_EQ(-1, ivgpu_check(p, size, 1));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* Entries are inserted by the fault handler, not by mmap(). */
TEST_F(mm, faults_on_touch_not_at_mmap)
{
	struct ivgpu_mm_stats s0, s1, s2;
	uint64_t size = IVGPU_MIB;
	volatile uint8_t *p;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, IVGPU_BO_CONTIGUOUS, &h));
	s0 = ivgpu_mm_stats();
	ASSERT_NE(~0ull, s0.faults);
	ASSERT_NE(~0ull, s0.pages_inserted);
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	s1 = ivgpu_mm_stats();
	EXPECT_EQ(s0.faults, s1.faults);
	EXPECT_EQ(s0.pages_inserted, s1.pages_inserted);
	/* One touch, one fault. */
	p[5 * PAGE + 3] = 0x5a;
	s2 = ivgpu_mm_stats();
	EXPECT_EQ(s1.faults + 1, s2.faults);
	EXPECT_LT(s1.pages_inserted, s2.pages_inserted);
	EXPECT_GE(s1.pages_inserted + size / PAGE, s2.pages_inserted);
	EXPECT_EQ(0x5a, p[5 * PAGE + 3]);
	EXPECT_EQ(0, munmap((void *)p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/*
 * Prefault is batched: at most one fault per 64 KiB of a sequential touch
 * (per window's worth less a granule, with windows smaller than that).
 */
TEST_F(mm, prefault_batched)
{
	uint64_t size = 8 * IVGPU_MIB, pages = size / PAGE, i;
	struct ivgpu_mm_stats s0, s1;
	volatile uint8_t *p;
	uint64_t faults, inserted;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, IVGPU_BO_CONTIGUOUS, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	s0 = ivgpu_mm_stats();
	for (i = 0; i < pages; i++)
		(void)p[i * PAGE];
	s1 = ivgpu_mm_stats();
	faults = s1.faults - s0.faults;
	inserted = s1.pages_inserted - s0.pages_inserted;
	TH_LOG("%llu pages: %llu faults, %llu pages inserted", (unsigned long long)pages,
	       (unsigned long long)faults, (unsigned long long)inserted);
	EXPECT_LE(1ull, faults);
	EXPECT_GE(size / ivgpu_walk_span(self->fd) + 1, faults);
	EXPECT_LE(pages, inserted);
	EXPECT_LE(16 * faults, inserted);
	/*
	 * Once every entry is in, touching again costs nothing.  With a small
	 * BAR the windows show less than the object: the second pass slides
	 * them again, and costs no more faults than the first.
	 */
	for (i = 0; i < pages; i++)
		p[i * PAGE + 1] = i;
	s0 = ivgpu_mm_stats();
	if (self->small_bar && size > ivgpu_param(self->fd, IVGPU_PARAM_CPU_VISIBLE_SIZE)) {
		EXPECT_GE(faults, s0.faults - s1.faults);
	} else {
		EXPECT_EQ(s1.faults, s0.faults);
	}
	for (i = 0; i < pages; i++) {
		ASSERT_EQ((uint8_t)i, p[i * PAGE + 1]);
	}
	EXPECT_EQ(0, munmap((void *)p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* Prefault never inserts outside the VMA: a 1-page mapping gets 1 entry. */
TEST_F(mm, prefault_clamped_to_vma)
{
	uint64_t size = 4 * IVGPU_MIB;
	struct ivgpu_mm_stats s0, s1;
	volatile uint8_t *p, *q;
	uint64_t fake = 0;
	void *resv;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, IVGPU_BO_CONTIGUOUS, &h));
	p = ivgpu_bo_mmap_range(self->fd, h, IVGPU_MIB + 3 * PAGE, PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	s0 = ivgpu_mm_stats();
	p[100] = 0xab;
	s1 = ivgpu_mm_stats();
	EXPECT_EQ(s0.faults + 1, s1.faults);
	EXPECT_EQ(s0.pages_inserted + 1, s1.pages_inserted);

	/*
	 * A 3-page mapping: one fault fills exactly its 3 pages.  Prefault
	 * works on naturally aligned blocks of virtual addresses, so the VMA is
	 * put at a 4 MiB-aligned address (the largest block) to keep all three
	 * pages in one block whatever the block size.
	 */
	resv = mmap(NULL, 8 * IVGPU_MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, resv);
	q = (uint8_t *)(((uintptr_t)resv + 4 * IVGPU_MIB - 1) & ~(uintptr_t)(4 * IVGPU_MIB - 1));
	ASSERT_EQ(0, ivgpu_mmap_offset(self->fd, h, &fake));
	ASSERT_EQ(q, mmap((void *)q, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			  self->fd, fake + 2 * IVGPU_MIB - PAGE));
	s0 = ivgpu_mm_stats();
	q[PAGE + 7] = 1;
	q[0] = 2;
	q[2 * PAGE] = 3;
	s1 = ivgpu_mm_stats();
	if (!self->small_bar) {
		EXPECT_EQ(s0.faults + 1, s1.faults);
		EXPECT_EQ(s0.pages_inserted + 3, s1.pages_inserted);
	} else {
		/*
		 * The pages straddle a 2 MiB boundary of VRAM, and the
		 * windows earlier tests left may keep a new one from showing
		 * all three (no two windows show the same byte): one fault
		 * per window that shows some of them.
		 */
		EXPECT_LE(s0.faults + 1, s1.faults);
		EXPECT_GE(s0.faults + 2, s1.faults);
		EXPECT_LE(s0.pages_inserted + 3, s1.pages_inserted);
	}
	EXPECT_EQ(1, q[PAGE + 7]);
	EXPECT_EQ(2, q[0]);
	EXPECT_EQ(3, q[2 * PAGE]);
	EXPECT_EQ(0xab, p[100]);
	EXPECT_EQ(0, munmap((void *)p, PAGE));
	EXPECT_EQ(0, munmap(resv, 8 * IVGPU_MIB));	/* q included */
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* Any page-aligned sub-range can be mapped and shows the object's bytes there. */
TEST_F(mm, subrange_mappings)
{
	static const uint64_t starts[] = { 0, 1, 5, 8, 15 };
	uint64_t pages = 16, size = pages * PAGE;
	uint64_t *full;
	unsigned int i;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	full = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, full);
	ivgpu_fill(full, size, 7);
	for (i = 0; i < IVGPU_ARRAY_SIZE(starts); i++) {
		uint64_t off = starts[i] * PAGE, len = size - off, w = off / 8;
		volatile uint64_t *sub;
		const volatile uint64_t *ro;

		sub = ivgpu_bo_mmap_range(self->fd, h, off, len, PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, sub) TH_LOG("page %llu: %s",
			(unsigned long long)starts[i], strerror(errno));
		EXPECT_EQ(ivgpu_pattern(7, w), sub[0]);
		EXPECT_EQ(ivgpu_pattern(7, w + len / 8 - 1), sub[len / 8 - 1]);
		/* A write through the sub-range lands at the right place. */
		sub[1] = 0x1111000000000000ull | i;
		EXPECT_EQ(0x1111000000000000ull | i, full[w + 1]);
		full[w + 1] = ivgpu_pattern(7, w + 1);
		/* A read-only mapping of a single page reads the same. */
		ro = ivgpu_bo_mmap_range(self->fd, h, off, PAGE, PROT_READ);
		ASSERT_NE(MAP_FAILED, ro);
		EXPECT_EQ(ivgpu_pattern(7, w + 2), ro[2]);
		EXPECT_EQ(0, munmap((void *)ro, PAGE));
		EXPECT_EQ(0, munmap((void *)sub, len));
	}
	EXPECT_EQ(-1, ivgpu_check(full, size, 7));
	EXPECT_EQ(0, munmap(full, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* Two mappings of overlapping ranges live at different addresses, same bytes. */
TEST_F(mm, overlapping_mappings_share_bytes)
{
	volatile uint64_t *a, *b;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 12 * PAGE, 0, &h));
	a = ivgpu_bo_mmap_range(self->fd, h, 0, 8 * PAGE, PROT_READ | PROT_WRITE);
	b = ivgpu_bo_mmap_range(self->fd, h, 4 * PAGE, 8 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	/* No virtual address in common. */
	EXPECT_TRUE((uintptr_t)a + 8 * PAGE <= (uintptr_t)b ||
		    (uintptr_t)b + 8 * PAGE <= (uintptr_t)a);
	a[5 * PAGE / 8] = 0xfeedface;
	EXPECT_EQ(0xfeedfaceull, b[PAGE / 8]);
	b[3 * PAGE / 8 + 9] = 0xc0ffee;
	EXPECT_EQ(0xc0ffeeull, a[7 * PAGE / 8 + 9]);
	/* Outside the overlap they are independent. */
	b[7 * PAGE / 8] = 42;
	EXPECT_EQ(0ull, a[3 * PAGE / 8]);
	EXPECT_EQ(0, munmap((void *)a, 8 * PAGE));
	EXPECT_EQ(42ull, b[7 * PAGE / 8]);
	EXPECT_EQ(0xfeedfaceull, b[PAGE / 8]);
	EXPECT_EQ(0, munmap((void *)b, 8 * PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/*
 * An object made of several blocks of VRAM is one range of virtual addresses:
 * data written across block boundaries reads back the same through pread and
 * through a second mapping, and lands in VRAM where the object's blocks are
 * (the co-processor's CRC-32 of the object, and of a range across the first
 * block boundary, is the CPU's); prefault never crosses a block.
 */
TEST_F_TIMEOUT(mm, scattered_object_one_range, 90)
{
	uint64_t size = 6 * IVGPU_MIB, off;
	struct drm_ivgpu_gem_info info;
	struct ivgpu_mm_stats s0, s1;
	uint64_t *p, *q, *buf;
	uint32_t h = 0;

	ASSERT_EQ(0, ivgpu_create_scattered(self->fd, size, &h));
	ASSERT_EQ(0, ivgpu_bo_info(self->fd, h, &info));
	ASSERT_LT(1u, info.num_blocks) TH_LOG("the object is not scattered");
	TH_LOG("%u blocks", info.num_blocks);
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	s0 = ivgpu_mm_stats();
	ivgpu_fill(p, size, 99);
	s1 = ivgpu_mm_stats();
	EXPECT_LE((uint64_t)info.num_blocks, s1.faults - s0.faults);
	EXPECT_LE(size / PAGE, s1.pages_inserted - s0.pages_inserted);
	EXPECT_EQ(-1, ivgpu_check(p, size, 99));

	buf = malloc(IVGPU_MIB);
	ASSERT_NE(NULL, buf);
	for (off = 0; off < size; off += IVGPU_MIB) {
		ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, off, buf, IVGPU_MIB));
		ASSERT_EQ(0, memcmp(buf, (uint8_t *)p + off, IVGPU_MIB)) TH_LOG("MiB %llu",
			(unsigned long long)(off / IVGPU_MIB));
	}
	free(buf);
	q = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(-1, ivgpu_check(q, size, 99));
	EXPECT_EQ(0, munmap(q, size));

	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	ivgpu_fill(buf, size, 99);
	IVGPU_EXPECT_COPROC_CRC(self->fd, h, 0, size, ivgpu_crc32(0, buf, size));
	IVGPU_EXPECT_COPROC_CRC(self->fd, h, IVGPU_MIB - 4093, 8191,
				ivgpu_crc32(0, (uint8_t *)buf + IVGPU_MIB - 4093, 8191));
	free(buf);
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

TEST_F(mm, map_private_einval)
{
	uint64_t off;
	uint32_t h;
	void *p;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 4 * PAGE, 0, &h));
	ASSERT_EQ(0, ivgpu_mmap_offset(self->fd, h, &off));
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* Private read-only of a read-write file could still be made writable. */
	p = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, self->fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, munmap(p, 4 * PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* A mapping must lie inside the object. */
TEST_F(mm, past_end_refused)
{
	static const struct { uint64_t off, len; } bad[] = {
		{ 0, 5 * PAGE }, { PAGE, 4 * PAGE }, { 3 * PAGE, 2 * PAGE },
		{ 4 * PAGE, PAGE }, { 100 * PAGE, PAGE }, { 0, 1ull << 30 },
	};
	unsigned int i;
	uint32_t h;
	void *p;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 4 * PAGE, 0, &h));
	for (i = 0; i < IVGPU_ARRAY_SIZE(bad); i++) {
		p = ivgpu_bo_mmap_range(self->fd, h, bad[i].off, bad[i].len,
					PROT_READ | PROT_WRITE);
		EXPECT_EQ(MAP_FAILED, p) TH_LOG("offset %llu length %llu",
			(unsigned long long)bad[i].off, (unsigned long long)bad[i].len);
		EXPECT_EQ(EINVAL, errno) TH_LOG("offset %llu length %llu",
			(unsigned long long)bad[i].off, (unsigned long long)bad[i].len);
		if (p != MAP_FAILED)
			munmap(p, bad[i].len);
	}
	/* The last page alone is fine. */
	p = ivgpu_bo_mmap_range(self->fd, h, 3 * PAGE, PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, munmap(p, PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* The fake offset is usable only through a file that has a handle. */
TEST_F(mm, other_file_eacces)
{
	uint64_t off;
	uint32_t h;
	void *p;

	self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 4 * PAGE, 0, &h));
	ASSERT_EQ(0, ivgpu_mmap_offset(self->fd, h, &off));
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd2, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->fd2, off + PAGE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	/* Still fine through the owner's file. */
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, munmap(p, 4 * PAGE));
	close(self->fd2);
	self->fd2 = -1;
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* fork: the child sees and writes the same memory. */
TEST_F(mm, fork_shares_memory)
{
	uint64_t size = 64 * PAGE;
	uint64_t *p;
	int status;
	pid_t pid;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size / 2, 11);	/* the child checks the first half */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (ivgpu_check(p, size / 2, 11) != -1)
			_exit(1);
		ivgpu_fill((uint8_t *)p + size / 2, size / 2, 12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the child did not see the parent's data");
	EXPECT_EQ(-1, ivgpu_check((uint8_t *)p + size / 2, size / 2, 12));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/*
 * ptrace PEEKDATA/POKEDATA and /proc/PID/mem go through vm_ops->access (a
 * PFN map has no struct pages to pin); beyond the VMA they get EIO.
 */
TEST_F(mm, ptrace_and_proc_mem)
{
	uint64_t size = 2 * PAGE, v = 0, w;
	char path[64], buf[3 * PAGE];
	uint64_t *p;
	uint8_t *hole;
	int status, memfd;
	long peek;
	pid_t pid;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	/* [object page 0][object page 1][hole] */
	hole = mmap(NULL, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, ivgpu_mmap_offset(self->fd, h, &v));
	p = mmap(hole, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, self->fd, v);
	ASSERT_EQ((void *)hole, p);
	ASSERT_EQ(0, munmap(hole + size, PAGE));
	p[0] = 0x1122334455667788ull;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(2);
		raise(SIGSTOP);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));

	errno = 0;
	peek = ptrace(PTRACE_PEEKDATA, pid, p, NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ((long)0x1122334455667788ull, peek);
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, (uint8_t *)p + PAGE + 8,
			    (void *)0x0badc0deull));
	EXPECT_EQ(0x0badc0deull, p[PAGE / 8 + 1]);
	/* Beyond the VMA: nothing there. */
	errno = 0;
	ptrace(PTRACE_PEEKDATA, pid, hole + size + 16, NULL);
	EXPECT_EQ(EIO, errno);

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	memfd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, memfd) TH_LOG("%s: %s", path, strerror(errno));
	w = 0;
	EXPECT_EQ(8, pread(memfd, &w, 8, (uintptr_t)p));
	EXPECT_EQ(0x1122334455667788ull, w);
	w = 0xabcdef0123456789ull;
	EXPECT_EQ(8, pwrite(memfd, &w, 8, (uintptr_t)p + PAGE + 64));
	EXPECT_EQ(0xabcdef0123456789ull, p[PAGE / 8 + 8]);
	/* A read spanning both pages, unaligned. */
	EXPECT_EQ((ssize_t)PAGE, pread(memfd, buf, PAGE, (uintptr_t)p + PAGE / 2));
	EXPECT_EQ(0, memcmp(buf, (uint8_t *)p + PAGE / 2, PAGE));
	/* Out of bounds: EIO; a read running off the end stops there. */
	EXPECT_EQ(-1, pread(memfd, buf, 8, (uintptr_t)hole + size));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, pwrite(memfd, buf, 8, (uintptr_t)hole + size + 8));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ((ssize_t)PAGE, pread(memfd, buf, 2 * PAGE, (uintptr_t)p + PAGE));
	close(memfd);

	/* The process's own /proc/self/mem works the same way. */
	memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, memfd);
	w = 0;
	EXPECT_EQ(8, pread(memfd, &w, 8, (uintptr_t)p + PAGE + 8));
	EXPECT_EQ(0x0badc0deull, w);
	EXPECT_EQ(-1, pread(memfd, &w, 8, (uintptr_t)hole + size));
	EXPECT_EQ(EIO, errno);
	close(memfd);

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* munmap of the middle of a mapping leaves both ends working. */
TEST_F(mm, partial_munmap)
{
	uint64_t size = 8 * PAGE;
	uint8_t *p, vec;
	uint64_t buf[4];
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 21);
	ASSERT_EQ(0, munmap(p + 3 * PAGE, 2 * PAGE));
	EXPECT_EQ(-1, mincore(p + 3 * PAGE, PAGE, &vec));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(-1, ivgpu_check(p, 3 * PAGE, 21));
	EXPECT_EQ(ivgpu_pattern(21, 5 * PAGE / 8), *(uint64_t *)(p + 5 * PAGE));
	EXPECT_EQ(ivgpu_pattern(21, size / 8 - 1), *(uint64_t *)(p + size - 8));
	/* Writes through both ends land in the object. */
	*(uint64_t *)(p + 2 * PAGE) = 0xaaaa;
	*(uint64_t *)(p + 6 * PAGE) = 0xbbbb;
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 2 * PAGE, buf, 8));
	EXPECT_EQ(0xaaaaull, buf[0]);
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 6 * PAGE, buf, 8));
	EXPECT_EQ(0xbbbbull, buf[0]);
	/* The unmapped middle still holds its data in the object. */
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 4 * PAGE, buf, 8));
	EXPECT_EQ(ivgpu_pattern(21, 4 * PAGE / 8), buf[0]);
	/* The object lives until both pieces are gone. */
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd));
	EXPECT_EQ(0, munmap(p, 3 * PAGE));
	EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd));
	EXPECT_EQ(ivgpu_pattern(21, 7 * PAGE / 8), *(uint64_t *)(p + 7 * PAGE));
	EXPECT_EQ(0, munmap(p + 5 * PAGE, 3 * PAGE));
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd, self->used0, 1000));
}

/* mremap that shrinks or moves works; growing is refused. */
TEST_F(mm, mremap_shrink_move_grow)
{
	uint64_t size = 8 * PAGE;
	uint8_t *p, *q, *dst, vec;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 31);

	q = mremap(p, size, 4 * PAGE, 0);
	ASSERT_EQ(p, q);
	EXPECT_EQ(-1, ivgpu_check(q, 4 * PAGE, 31));
	EXPECT_EQ(-1, mincore(p + 4 * PAGE, PAGE, &vec));
	EXPECT_EQ(ENOMEM, errno);

	/* Move to another address, same size. */
	dst = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q) TH_LOG("mremap move: %s", strerror(errno));
	EXPECT_EQ(-1, mincore(p, PAGE, &vec));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(-1, ivgpu_check(q, 4 * PAGE, 31));
	/* The moved mapping still faults correctly. */
	ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, 0));
	EXPECT_EQ(-1, ivgpu_check(q, 4 * PAGE, 31));
	*(uint64_t *)(q + PAGE) = 77;
	EXPECT_EQ(77ull, *(uint64_t *)(q + PAGE));

	/* Growing fails (VM_DONTEXPAND) and leaves the mapping as it was. */
	p = mremap(q, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	p = mremap(q, 4 * PAGE, 8 * PAGE, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(77ull, *(uint64_t *)(q + PAGE));
	EXPECT_EQ(0, munmap(q, 4 * PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/*
 * A mapping keeps the object alive after GEM_CLOSE and close() of the file:
 * its data stays readable and writable, even pages never touched before, and
 * the VRAM returns to the heap only at munmap.
 */
TEST_F(mm, mapping_outlives_close)
{
	uint64_t size = 32 * PAGE;
	uint8_t *p;
	uint32_t h;

	self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size / 2, 41);	/* the second half stays unfaulted */
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(-1, ivgpu_check(p, size / 2, 41));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd2));
	EXPECT_EQ(self->objects0 + 1, ivgpu_object_count());
	EXPECT_EQ(-1, ivgpu_check(p, size / 2, 41));
	EXPECT_EQ(-1, ivgpu_check_zero(p + size / 2, size / 2));
	ivgpu_fill(p + size / 2, size / 2, 42);
	EXPECT_EQ(-1, ivgpu_check(p + size / 2, size / 2, 42));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd2, self->used0, 1000));
	EXPECT_EQ(self->objects0, ivgpu_object_count());
	close(self->fd2);
	self->fd2 = -1;
}

/*
 * A forced write (ptrace, /proc/PID/mem) never goes through a shared mapping
 * without PROT_WRITE: the kernel refuses it for every other shared mapping
 * (check_vma_flags(), generic_access_phys()), and vm_ops->access must too.
 * Reads work.
 */
TEST_F(mm, proc_mem_write_to_readonly_mapping_refused)
{
	uint64_t v = 0, w = 0x7777;
	volatile uint64_t *ro;
	int memfd;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 2 * PAGE, 0, &h));
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 8, &(uint64_t){ 0x1111 }, 8));
	ro = ivgpu_bo_mmap_range(self->fd, h, 0, 2 * PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, ro);
	memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, memfd);
	EXPECT_EQ(8, pread(memfd, &v, 8, (uintptr_t)ro + 8));
	EXPECT_EQ(0x1111ull, v);
	EXPECT_EQ(-1, pwrite(memfd, &w, 8, (uintptr_t)ro + 8));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(0x1111ull, ro[1]);
	close(memfd);
	EXPECT_EQ(0, munmap((void *)ro, 2 * PAGE));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/*
 * Splitting a mapping without unmapping it (mprotect of the middle) and
 * forking after GEM_CLOSE and close(): every VMA holds its own reference,
 * so the object lives exactly until the last piece in the last process goes.
 */
TEST_F(mm, split_and_fork_references)
{
	uint64_t size = 8 * PAGE;
	int status, pipefd[2];
	uint8_t *p;
	char c;
	pid_t pid;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 55);
	/* Three VMAs now. */
	ASSERT_EQ(0, mprotect(p + 3 * PAGE, 2 * PAGE, PROT_READ));
	EXPECT_EQ(ivgpu_pattern(55, 3 * PAGE / 8), *(uint64_t *)(p + 3 * PAGE));
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h));
	close(self->fd);
	self->fd = -1;
	self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(1);
		/* The parent has unmapped everything: the child's copy lives on. */
		if (ivgpu_check(p, size, 55) != -1)
			_exit(2);
		*(uint64_t *)(p + 6 * PAGE) = 66;
		munmap(p, size);
		_exit(0);
	}
	close(pipefd[0]);
	/* Unmap the parent's three pieces one by one. */
	EXPECT_EQ(0, munmap(p + 3 * PAGE, 2 * PAGE));
	EXPECT_EQ(0, munmap(p, 3 * PAGE));
	EXPECT_EQ(0, munmap(p + 5 * PAGE, 3 * PAGE));
	EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd2));
	ASSERT_EQ(1, write(pipefd[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(pipefd[1]);
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd2, self->used0, 1000));
}

/* Many mappings of one object; each munmap drops one reference. */
TEST_F(mm, many_mappings)
{
	enum { N = 64 };
	volatile uint64_t *p[N];
	uint32_t h;
	int i;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 4 * PAGE, 0, &h));
	for (i = 0; i < N; i++) {
		p[i] = ivgpu_bo_mmap_range(self->fd, h, (i % 4) * PAGE, PAGE,
					   PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, p[i]);
		p[i][i / 4] = i + 1;
	}
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h));
	for (i = 0; i < N; i++) {
		EXPECT_EQ((uint64_t)i + 1, p[i][i / 4]);
		EXPECT_EQ((uint64_t)i + 1, p[i % 4][i / 4]);
	}
	for (i = N - 1; i >= 0; i--) {
		EXPECT_EQ(self->used0 + 4 * PAGE, ivgpu_vram_used(self->fd));
		EXPECT_EQ(0, munmap((void *)p[i], PAGE));
	}
}

/*
 * Nothing of a previous owner leaks: fill all of VRAM through mappings, free
 * it, allocate it all again, and every word of every page reads zero through
 * a fault.
 */
TEST_F_TIMEOUT(mm, reused_vram_reads_zero, 240)
{
	enum { MAX = 1024 };
	static uint32_t h[MAX];
	int round, i, n;

	for (round = 0; round < 2; round++) {
		uint64_t total = 0;

		n = 0;
		ASSERT_LE(0, ivgpu_fill_heap(self->fd, 8 * IVGPU_MIB, h, &n, MAX));
		for (i = 0; i < n; i++) {
			struct drm_ivgpu_gem_info info;
			void *p;

			ASSERT_EQ(0, ivgpu_bo_info(self->fd, h[i], &info));
			p = ivgpu_bo_mmap(self->fd, h[i], info.size);
			ASSERT_NE(MAP_FAILED, p);
			if (round) {
				int64_t bad = ivgpu_check_zero(p, info.size);

				ASSERT_EQ(-1, bad) TH_LOG("object %d: word %lld is %#llx", i,
					(long long)bad,
					(unsigned long long)((uint64_t *)p)[bad < 0 ? 0 : bad]);
			}
			ivgpu_fill(p, info.size, 1000 + i);
			total += info.size;
			ASSERT_EQ(0, munmap(p, info.size));
		}
		EXPECT_EQ(self->vram - self->used0, total);
		ivgpu_close_all(self->fd, h, &n);
	}
}

TEST_HARNESS_MAIN
