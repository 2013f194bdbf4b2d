// SPDX-License-Identifier: GPL-2.0
/*
 * CPU access through banked windows (small BAR), checked against the
 * device: a large object written through its mapping and then checked by
 * ivgpu-dev's own VRAM check (debugfs ivgpu_vram_check), copies across a
 * window boundary forwards and backwards, processes and threads hammering
 * objects larger than all windows together, and copies between two such
 * objects.  Every test runs in both BAR configurations (with a large BAR a
 * "window" is simply 1 MiB of the object); what only windows do (slides,
 * splits) is asserted with a small BAR.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>

#include "ivgpu_regs.h"
#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PAGE IVGPU_PAGE

FIXTURE(win) {
	IVGPU_FIXTURE_FIELDS;
	uint64_t wsize;		/* window size, or 1 MiB with a large BAR */
	uint64_t windows;	/* windows, 0 with a large BAR */
	uint64_t visible;	/* bytes the CPU sees at once */
};

FIXTURE_SETUP(win)
{
	IVGPU_FIXTURE_SETUP();
	self->windows = ivgpu_param(self->fd, IVGPU_PARAM_WINDOW_COUNT);
	self->wsize = self->small_bar ? ivgpu_param(self->fd, IVGPU_PARAM_WINDOW_SIZE) : IVGPU_MIB;
	self->visible = self->small_bar ? self->windows * self->wsize : 4 * IVGPU_MIB;
	ASSERT_NE(~0ull, self->windows);
	ASSERT_LT(0ull, self->wsize);
}

FIXTURE_TEARDOWN(win)
{
	IVGPU_FIXTURE_TEARDOWN();
}

/* Word @i of the register contract's check pattern with seed @s (docs/device.md). */
static uint64_t dev_pattern(uint64_t s, uint64_t i)
{
	uint64_t x = s + (i + 1) * IVGPU_PATTERN_GAMMA;

	x = (x ^ (x >> 30)) * IVGPU_PATTERN_MUL1;
	x = (x ^ (x >> 27)) * IVGPU_PATTERN_MUL2;
	return x ^ (x >> 31);
}

struct check_result {
	uint64_t status, mismatches, first_mismatch, from_windows, extents;
};

/* Have the device check object @id against the pattern with @seed; 0 or -errno. */
static int device_check(uint64_t id, uint32_t kind, uint64_t seed, uint32_t flags,
			struct check_result *r)
{
	char path[600], req[128];
	int fd, ret = ivgpu_debugfs_path("ivgpu_vram_check", path, sizeof(path));
	ssize_t n;

	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(req, sizeof(req), "%llu %u %llu %u\n", (unsigned long long)id, kind,
		 (unsigned long long)seed, flags);
	n = write(fd, req, strlen(req));
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	if (ivgpu_debugfs_counter("ivgpu_vram_check", "status", &r->status) ||
	    ivgpu_debugfs_counter("ivgpu_vram_check", "mismatches", &r->mismatches) ||
	    ivgpu_debugfs_counter("ivgpu_vram_check", "first_mismatch", &r->first_mismatch) ||
	    ivgpu_debugfs_counter("ivgpu_vram_check", "from_windows", &r->from_windows) ||
	    ivgpu_debugfs_counter("ivgpu_vram_check", "extents", &r->extents))
		return -EIO;
	return 0;
}

/* The CPU's CRC-32 of @size bytes of dev_pattern(@s), from word 0. */
static uint32_t dev_pattern_crc32(uint64_t s, uint64_t size)
{
	uint64_t chunk[512], i, n, k;
	uint32_t crc = 0;

	for (i = 0; i < size / 8; i += n) {
		n = size / 8 - i < 512 ? size / 8 - i : 512;
		for (k = 0; k < n; k++)
			chunk[k] = dev_pattern(s, i + k);
		crc = ivgpu_crc32(crc, chunk, n * 8);
	}
	return crc;
}

static uint64_t slides(void)
{
	return ivgpu_counter("ivgpu_windows", "slides");
}

/*
 * Up to 64 MiB (all the VRAM there is room for, less 1 MiB for the CRC
 * job's own objects), written sequentially through the mapping with the
 * contract's pattern: ivgpu-dev's check finds every byte (it reads VRAM,
 * and the windows for what they still show), with one slide per window's
 * worth, and the co-processor's CRC-32 of it is the CPU's; a single byte
 * changed through the mapping is the one mismatch the check reports, and
 * changes the CRC; then the data reads back.
 */
TEST_F_TIMEOUT(win, object_checked_by_device, 300)
{
	uint64_t size = 64 * IVGPU_MIB, words, i, s0, s1, bad;
	struct check_result r;
	volatile uint64_t *p;
	uint32_t h, cpu_crc = 0, crc = 0;
	int crc_ret;

	if (size > self->vram - self->used0 - IVGPU_MIB)
		size = (self->vram - self->used0 - IVGPU_MIB) & ~(IVGPU_MIB - 1);
	ASSERT_LE(4 * IVGPU_MIB, size);
	words = size / 8;
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);

	s0 = slides();
	for (i = 0; i < words; i++)
		p[i] = dev_pattern(77, i);
	s1 = slides();
	TH_LOG("%llu MiB written through the mapping: %llu slides",
	       (unsigned long long)(size / IVGPU_MIB), (unsigned long long)(s1 - s0));
	if (self->small_bar) {
		/*
		 * One per window's worth (a few more where the object's extents
		 * break); a single window keeps one granule of the last range.
		 */
		uint64_t step = self->wsize;

		if (self->windows == 1)
			step -= ivgpu_param(self->fd, IVGPU_PARAM_BANK_GRANULE);
		EXPECT_LE(s0 + size / self->wsize, s1);
		EXPECT_GE(s0 + (size + step - 1) / step + ivgpu_bo_num_blocks(self->fd, h) + 1, s1);
	}

	ASSERT_EQ(0, device_check(ivgpu_bo_id(self->fd, h), IVGPU_CHECK_KIND_PATTERN, 77, 0, &r));
	EXPECT_EQ(IVGPU_CHECK_OK, r.status);
	EXPECT_EQ(0ull, r.mismatches);
	EXPECT_EQ(ivgpu_bo_num_blocks(self->fd, h), r.extents);
	if (self->small_bar) {
		EXPECT_LT(0ull, r.from_windows);
		EXPECT_GE(self->visible, r.from_windows);
	} else {
		EXPECT_EQ(0ull, r.from_windows);
	}
	/* The engine reads what the windows wrote back, and what they still show. */
	cpu_crc = dev_pattern_crc32(77, size);
	IVGPU_EXPECT_COPROC_CRC(self->fd, h, 0, size, cpu_crc);

	/* Both are oracles that can fail: one byte changed is one mismatch. */
	bad = size / 2 + 4099;
	((volatile uint8_t *)p)[bad] ^= 0x40;
	ASSERT_EQ(0, device_check(ivgpu_bo_id(self->fd, h), IVGPU_CHECK_KIND_PATTERN, 77, 0, &r));
	EXPECT_EQ(IVGPU_CHECK_MISMATCH, r.status);
	EXPECT_EQ(1ull, r.mismatches);
	EXPECT_EQ(bad, r.first_mismatch);
	crc_ret = ivgpu_coproc_crc32(self->fd, h, 0, size, &crc);
	if (crc_ret != -EOPNOTSUPP) {
		EXPECT_EQ(0, crc_ret);
		EXPECT_NE(cpu_crc, crc);
	}
	((volatile uint8_t *)p)[bad] ^= 0x40;

	for (i = 0; i < words; i++)
		if (p[i] != dev_pattern(77, i))
			break;
	EXPECT_EQ(words, i) TH_LOG("word %llu reads back wrong", (unsigned long long)i);
	EXPECT_EQ(0, munmap((void *)p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/*
 * One memcpy into the mapping across a window boundary, and one memmove
 * back across it (overlapping, so it copies from the end down): both land,
 * as pread (through the kernel's windows), the device check and the
 * co-processor's CRC-32 of the whole object say.
 */
TEST_F(win, memcpy_across_bank_boundary)
{
	uint64_t w = self->wsize, size = 4 * w, i, splits0;
	uint8_t *src, *want, *got, *p;
	struct check_result r;
	size_t len = 3 * PAGE + 123;
	uint64_t at = w - 2 * PAGE - 17;
	uint32_t h;
	int ret;

	/*
	 * A kernel request larger than a window is served in parts, each
	 * through its own bank: creation clears the object (4 windows' worth)
	 * in one request, when the CPU clears it rather than the co-processor.
	 */
	splits0 = ivgpu_counter("ivgpu_windows", "splits");
	ASSERT_EQ(0, ivgpu_use_coproc(false));
	ret = ivgpu_bo_create(self->fd, size, 0, &h);
	ivgpu_use_coproc(true);
	ASSERT_EQ(0, ret);
	if (self->small_bar)
		EXPECT_LE(splits0 + 3, ivgpu_counter("ivgpu_windows", "splits"));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	src = malloc(len);
	want = calloc(1, size);
	got = malloc(size);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	for (i = 0; i < len; i++)
		src[i] = i * 7 + 3;

	/* Forwards: bytes at [w - 2 pages - 17, w + 1 page + 106). */
	memcpy(p + at, src, len);
	memcpy(want + at, src, len);
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 0, got, size));
	EXPECT_EQ(0, memcmp(want, got, size));

	/* Backwards: the same bytes one page and 5 bytes higher, overlapping. */
	memmove(p + at + PAGE + 5, p + at, len);
	memmove(want + at + PAGE + 5, want + at, len);
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 0, got, size));
	EXPECT_EQ(0, memcmp(want, got, size));
	EXPECT_EQ(0, memcmp(want, p, size));

	/* And the device agrees: fill the rest with zero, compare with a CRC. */
	ASSERT_EQ(0, device_check(ivgpu_bo_id(self->fd, h), IVGPU_CHECK_KIND_FILL, 0, 0, &r));
	EXPECT_EQ(IVGPU_CHECK_MISMATCH, r.status);
	for (i = 0; i < size && !want[i]; i++)
		;
	EXPECT_EQ(i, r.first_mismatch);
	IVGPU_EXPECT_COPROC_CRC(self->fd, h, 0, size, ivgpu_crc32(0, want, size));

	free(src);
	free(want);
	free(got);
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

struct hammer {
	int fd;
	uint64_t size;
	unsigned int seed;
	int secs;
	uint64_t accesses;
	uint64_t worst_ns;
	int bad;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Own an object of ->size bytes; for ->secs seconds, read and rewrite one
 * word of a random page, checking it holds what this hammer wrote last;
 * then check every word.  Records the slowest access.
 */
static void *hammer_run(void *arg)
{
	struct hammer *hm = arg;
	uint64_t pages = hm->size / PAGE, end, t, i, k, *shadow;
	unsigned int rs = hm->seed;
	volatile uint64_t *p;
	uint32_t h;

	if (ivgpu_bo_create(hm->fd, hm->size, 0, &h)) {
		hm->bad = 1;
		return NULL;
	}
	p = ivgpu_bo_mmap(hm->fd, h, hm->size);
	shadow = calloc(pages, sizeof(*shadow));
	if (p == MAP_FAILED || !shadow) {
		hm->bad = 2;
		return NULL;
	}
	end = now_ns() + hm->secs * 1000000000ull;
	while ((t = now_ns()) < end) {
		k = ((uint64_t)rand_r(&rs) << 16 ^ rand_r(&rs)) % pages;
		i = k * (PAGE / 8) + k % (PAGE / 8);
		if (p[i] != shadow[k]) {
			hm->bad = 3;
			break;
		}
		shadow[k] = ((uint64_t)hm->seed << 40) ^ (hm->accesses + 1);
		p[i] = shadow[k];
		hm->accesses++;
		t = now_ns() - t;
		if (t > hm->worst_ns)
			hm->worst_ns = t;
	}
	for (k = 0; k < pages && !hm->bad; k++)
		for (i = 0; i < PAGE / 8; i++)
			if (p[k * (PAGE / 8) + i] != (i == k % (PAGE / 8) ? shadow[k] : 0)) {
				hm->bad = 4;
				break;
			}
	free(shadow);
	munmap((void *)p, hm->size);
	ivgpu_gem_close(hm->fd, h);
	return NULL;
}

/*
 * Bound on one access: 3 s, or 375 ms per task sharing a window if more
 * (each sharer may hold it for its minimum residency and a slide before
 * this one gets it, and 16 threads share 2 emulated CPUs).
 */
static uint64_t hammer_bound_ns(int tasks, uint64_t windows)
{
	uint64_t per = windows ? (tasks + windows - 1) / windows : 1;

	return per * 375000000ull > 3000000000ull ? per * 375000000ull : 3000000000ull;
}

static void hammer_threads(struct __test_metadata *_metadata, int fd, uint64_t size,
			   int nthreads, int secs, uint64_t windows)
{
	uint64_t bound = hammer_bound_ns(nthreads, windows);
	struct hammer hm[16];
	pthread_t tid[16];
	uint64_t s0 = slides(), steals0 = ivgpu_counter("ivgpu_windows", "steals"), total = 0;
	uint64_t fewest = ~0ull, worst = 0;
	int i;

	ASSERT_GE(16, nthreads);
	for (i = 0; i < nthreads; i++) {
		hm[i] = (struct hammer){ .fd = fd, .size = size, .seed = 1000 + i, .secs = secs };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, hammer_run, &hm[i]));
	}
	for (i = 0; i < nthreads; i++) {
		ASSERT_EQ(0, pthread_join(tid[i], NULL));
		EXPECT_EQ(0, hm[i].bad) TH_LOG("hammer %d failed its check (%d)", i, hm[i].bad);
		EXPECT_LT(0ull, hm[i].accesses) TH_LOG("hammer %d made no progress", i);
		EXPECT_GT(bound, hm[i].worst_ns) TH_LOG("hammer %d: an access took %llu ms",
			i, (unsigned long long)(hm[i].worst_ns / 1000000));
		total += hm[i].accesses;
		if (hm[i].accesses < fewest)
			fewest = hm[i].accesses;
		if (hm[i].worst_ns > worst)
			worst = hm[i].worst_ns;
	}
	TH_LOG("%d hammers of %llu KiB for %d s: %llu accesses (fewest %llu), slowest %llu us, %llu slides, %llu steals",
	       nthreads, (unsigned long long)(size / IVGPU_KIB), secs,
	       (unsigned long long)total, (unsigned long long)fewest,
	       (unsigned long long)(worst / 1000), (unsigned long long)(slides() - s0),
	       (unsigned long long)(ivgpu_counter("ivgpu_windows", "steals") - steals0));
}

/* 16 threads, each with its own object larger than all windows together. */
TEST_F_TIMEOUT(win, sixteen_threads_hammer, 120)
{
	uint64_t size = self->visible + self->visible / 2;

	if (16 * size > self->vram - self->used0)
		size = (self->vram - self->used0) / 16 & ~(PAGE - 1);
	hammer_threads(_metadata, self->fd, size, 16, 5, self->windows);
}

struct proc_arg {
	uint64_t size;
};

static int hammer_proc(void *arg)
{
	struct hammer hm = { .size = ((struct proc_arg *)arg)->size, .secs = 5 };

	hm.fd = ivgpu_open_render();
	hm.seed = getpid();
	if (hm.fd < 0)
		return 10;
	hammer_run(&hm);
	close(hm.fd);
	if (hm.bad)
		return 20 + hm.bad;
	if (!hm.accesses)
		return 30;
	return hm.worst_ns < hammer_bound_ns(2, 1) ? 0 : 40;
}

/* Two processes, each with its own object larger than all windows together. */
TEST_F_TIMEOUT(win, two_processes_hammer, 120)
{
	struct proc_arg a = { .size = self->visible + self->visible / 2 };
	uint64_t s0 = slides();
	int status[2], i;
	pid_t pid[2];

	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			_exit(ivgpu_run_bounded(hammer_proc, &a, 60));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status[i], 0));
		EXPECT_TRUE(WIFEXITED(status[i]));
		EXPECT_EQ(0, WEXITSTATUS(status[i])) TH_LOG("process %d", i);
	}
	TH_LOG("2 processes: %llu slides", (unsigned long long)(slides() - s0));
}

/*
 * memcpy from one object to another, both twice the size of all windows
 * together: with two windows or more one memcpy does it (input and output
 * in different windows); with one, through a window-sized bounce buffer.
 * The device checks the copy.
 */
TEST_F_TIMEOUT(win, copy_between_large_objects, 240)
{
	uint64_t size = 2 * self->visible, i, s0, s1;
	struct check_result r;
	uint64_t *a, *b, *bounce;
	uint32_t ha, hb;

	if (2 * size > self->vram - self->used0)
		SKIP(return, "no room for two objects of %llu bytes", (unsigned long long)size);
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &ha));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &hb));
	a = ivgpu_bo_mmap(self->fd, ha, size);
	b = ivgpu_bo_mmap(self->fd, hb, size);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	for (i = 0; i < size / 8; i++)
		a[i] = dev_pattern(5, i);

	s0 = slides();
	if (self->windows == 1) {
		bounce = malloc(self->wsize);
		ASSERT_NE(NULL, bounce);
		for (i = 0; i < size; i += self->wsize) {
			memcpy(bounce, (uint8_t *)a + i, self->wsize);
			memcpy((uint8_t *)b + i, bounce, self->wsize);
		}
		free(bounce);
	} else {
		memcpy(b, a, size);
	}
	s1 = slides();
	TH_LOG("%llu KiB copied with %llu window(s): %llu slides",
	       (unsigned long long)(size / IVGPU_KIB), (unsigned long long)self->windows,
	       (unsigned long long)(s1 - s0));
	if (self->small_bar)
		EXPECT_LE(s0 + 2 * size / self->wsize, s1);

	ASSERT_EQ(0, device_check(ivgpu_bo_id(self->fd, hb), IVGPU_CHECK_KIND_PATTERN, 5, 0, &r));
	EXPECT_EQ(IVGPU_CHECK_OK, r.status);
	EXPECT_EQ(0ull, r.mismatches);
	EXPECT_EQ(0, munmap(a, size));
	EXPECT_EQ(0, munmap(b, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, ha));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, hb));
}

/* One 8-byte load from @a, unaligned as it may be: a single instruction. */
static uint64_t load8(const volatile uint8_t *a)
{
	uint64_t v;

#if defined(__x86_64__)
	asm volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
#else
	memcpy(&v, (const void *)a, sizeof(v));
#endif
	return v;
}

/*
 * One load straddling two VRAM extents of a scattered object needs both
 * pages at once.  Two windows show both; one window cannot, so the driver
 * sees the fault turn between the two addresses with nothing retiring, and
 * moves the object into one extent, after which one window shows both.
 */
TEST_F_TIMEOUT(win, load_straddling_two_extents, 90)
{
	uint64_t size = 3 * IVGPU_MIB, at = IVGPU_MIB - 4, stuck0, comp0, want, v;
	uint8_t *buf, *p;
	uint32_t h = 0;

	ASSERT_EQ(0, ivgpu_create_scattered(self->fd, size, &h));
	ASSERT_LT(1u, ivgpu_bo_num_blocks(self->fd, h));
	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	ivgpu_fill(buf, size, 71);
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, 0, buf, size));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	memcpy(&want, buf + at, sizeof(want));

	stuck0 = ivgpu_counter("ivgpu_windows", "stuck");
	comp0 = ivgpu_counter("ivgpu_windows", "compactions");
	v = load8(p + at);
	EXPECT_EQ(want, v);
	TH_LOG("%llu window(s): %llu stuck, %llu compactions, %u blocks now",
	       (unsigned long long)self->windows,
	       (unsigned long long)(ivgpu_counter("ivgpu_windows", "stuck") - stuck0),
	       (unsigned long long)(ivgpu_counter("ivgpu_windows", "compactions") - comp0),
	       ivgpu_bo_num_blocks(self->fd, h));
	if (self->windows == 1) {
		EXPECT_EQ(comp0 + 1, ivgpu_counter("ivgpu_windows", "compactions"));
		EXPECT_EQ(1u, ivgpu_bo_num_blocks(self->fd, h));
	} else {
		EXPECT_EQ(stuck0, ivgpu_counter("ivgpu_windows", "stuck"));
		EXPECT_EQ(comp0, ivgpu_counter("ivgpu_windows", "compactions"));
		EXPECT_LT(1u, ivgpu_bo_num_blocks(self->fd, h));
	}
	/* Nothing lost either way. */
	EXPECT_EQ(-1, ivgpu_check(p, size, 71));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	free(buf);
}

#if defined(__x86_64__)
/* One iteration of a string move: reads *@src and writes *@dst in one instruction. */
static void movsb1(volatile uint8_t *dst, const volatile uint8_t *src)
{
	unsigned long n = 1;

	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}
#endif

/*
 * One instruction that reads one object and writes another, their bytes a
 * window apart or more.  With two windows it completes; one window can never
 * show both, and moving either object cannot help: the driver ends it with
 * SIGBUS rather than sliding forever, and the objects stay intact.
 */
TEST_F_TIMEOUT(win, string_move_between_objects, 90)
{
#if defined(__x86_64__)
	uint64_t size = self->wsize, stuck0;
	uint8_t *a, *b;
	uint32_t ha, hb;
	int status;
	pid_t pid;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &ha));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &hb));
	a = ivgpu_bo_mmap(self->fd, ha, size);
	b = ivgpu_bo_mmap(self->fd, hb, size);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	a[0] = 0x5a;
	b[0] = 0;

	stuck0 = ivgpu_counter("ivgpu_windows", "stuck");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		movsb1(b, a);
		_exit(b[0] == 0x5a ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (self->windows == 1) {
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
			TH_LOG("status %#x", status);
		EXPECT_EQ(stuck0 + 1, ivgpu_counter("ivgpu_windows", "stuck"));
		EXPECT_EQ(0, b[0]);
	} else {
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("status %#x", status);
		EXPECT_EQ(stuck0, ivgpu_counter("ivgpu_windows", "stuck"));
		EXPECT_EQ(0x5a, b[0]);
	}
	EXPECT_EQ(0x5a, a[0]);
	EXPECT_EQ(0, munmap(a, size));
	EXPECT_EQ(0, munmap(b, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, ha));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, hb));
#else
	SKIP(return, "needs an x86-64 string instruction");
#endif
}

#define TRACEFS "/sys/kernel/tracing"

/* ivgpu_write_file() with O_TRUNC, which is what clears a trace buffer. */
static int write_trunc(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Every slide is one ivgpu_window_slide event, and the events say where to. */
TEST_F(win, slide_tracepoint)
{
	const char *enable = TRACEFS "/events/ivgpu/ivgpu_window_slide/enable";
	uint64_t size = 4 * self->visible, i, s0, s1, events = 0, to_seen = 0;
	char *buf, *line, *save = NULL;
	volatile uint8_t *p;
	size_t len = 4 << 20;
	ssize_t n;
	uint32_t h;

	if (!self->small_bar)
		SKIP(return, "large BAR: no windows to slide");
	if (access(enable, F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	if (access(enable, F_OK))
		SKIP(return, "kernel without tracepoints (no %s)", enable);
	ASSERT_EQ(0, write_trunc(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_trunc(enable, "1"));

	/* Creation clears the object through windows: its slides count too. */
	s0 = slides();
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < size; i += PAGE)
		p[i] = i >> 12;
	s1 = slides();
	ASSERT_EQ(0, write_trunc(enable, "0"));

	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	n = ivgpu_read_file(TRACEFS "/trace", buf, len);
	ASSERT_LT(0, n);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "ivgpu_window_slide:"))
			continue;
		events++;
		to_seen += !!strstr(line, " to=0x");
	}
	free(buf);
	TH_LOG("%llu slides, %llu events", (unsigned long long)(s1 - s0),
	       (unsigned long long)events);
	EXPECT_LE(size / self->wsize, s1 - s0);
	EXPECT_EQ(s1 - s0, events);
	EXPECT_EQ(events, to_seen);
	EXPECT_EQ(0, munmap((void *)p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

TEST_HARNESS_MAIN
