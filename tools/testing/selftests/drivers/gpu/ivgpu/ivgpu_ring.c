// SPDX-License-Identifier: GPL-2.0
/*
 * The co-processor: DRM_IOCTL_IVGPU_SUBMIT, its fences and syncobjs, the
 * driver's own use of the engine, timeouts, teardown with jobs in flight,
 * and isolation between clients.
 *
 * - Each command (FILL, COPY, CRC32, BLIT, NOP, STALL) is checked against a
 *   CPU reference of the whole object read back through its mapping, on
 *   contiguous objects and on scattered ones whose block boundaries the
 *   ranges cross (where the kernel splits the command).
 * - The co-processor's CRC-32 of what the CPU wrote through a mapping equals
 *   the CPU's (and the device's own check of VRAM).
 * - 10,000 submissions: every fence signals after the fences before it.
 * - In-fences: a job waits for another file's job through a syncobj.
 * - HANG: the job times out (job_timeout_ms, set short here), its fence
 *   carries -ETIMEDOUT, the engine is reset, and later jobs still run.
 * - close(), rmmod and unbind with jobs in flight are clean.
 * - Isolation: forged handles, another file's handle numbers, ranges past
 *   the end and near 2^64, overlaps, a command buffer changed after the
 *   submission; all are refused or harmless, and ivgpu-dev's check of every
 *   other byte of VRAM finds nothing changed.
 *
 * Every test skips when the device has no co-processor.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/sync_file.h>

#include "ivgpu_regs.h"
#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PAGE		IVGPU_PAGE
#define KIB		IVGPU_KIB
#define MIB		IVGPU_MIB
#define CMD		((uint64_t)sizeof(struct drm_ivgpu_cmd))
#define PARAM_DIR	"/sys/module/ivgpu/parameters/"
/* job_timeout_ms for the tests that hang the engine. */
#define HANG_TIMEOUT_MS	300
/* Holes of the scattered objects: their blocks, and the boundaries in them. */
#define HOLE		(64 * KIB)

/* ---- a CPU reference ---- */

static uint32_t crc_table[256];

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint64_t n)
{
	uint64_t i;

	if (!crc_table[1]) {
		for (i = 0; i < 256; i++) {
			uint32_t c = i;
			int k;

			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			crc_table[i] = c;
		}
	}
	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void ref_fill(uint8_t *p, uint64_t n, uint32_t pattern)
{
	uint64_t k;

	for (k = 0; k < n; k++)
		p[k] = pattern >> (8 * (k % 4));
}

static void ref_blit(uint8_t *d, uint64_t dp, const uint8_t *s, uint64_t sp, uint64_t w,
		     uint64_t h)
{
	uint64_t span = (h - 1) * sp + w;
	uint8_t *tmp = malloc(span);
	uint64_t r;

	memcpy(tmp, s, span);
	for (r = 0; r < h; r++)
		memcpy(d + r * dp, tmp + r * sp, w);
	free(tmp);
}

/* Bytes of random-looking data from @seed. */
static void ref_random(uint8_t *p, uint64_t n, uint64_t seed)
{
	uint64_t i, x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x >> 24;
	}
}

/* ---- objects ---- */

struct bo {
	uint32_t h;
	uint64_t size;
	uint8_t *map;
	uint8_t *ref;	/* what it should hold */
};

static int bo_new(int fd, uint64_t size, uint32_t kind, uint32_t flags, struct bo *b)
{
	int ret = ivgpu_bo_create_full(fd, size, 0, kind, flags, &b->h, &b->size);

	if (ret)
		return ret;
	b->map = ivgpu_bo_mmap(fd, b->h, b->size);
	if (b->map == MAP_FAILED)
		return -errno;
	b->ref = calloc(1, b->size);
	return b->ref ? 0 : -ENOMEM;
}

/*
 * A scattered object of @size bytes made of HOLE-sized blocks: VRAM is
 * filled with HOLE-sized objects, every other one freed, the object made
 * in the holes, the rest freed.  Its block boundaries are at multiples of
 * HOLE.
 */
static int bo_new_scattered(int fd, uint64_t size, struct bo *b)
{
	uint32_t *h;
	int n, ret;

	ret = ivgpu_holes_make(fd, HOLE, &h, &n);
	if (!ret)
		ret = bo_new(fd, size, IVGPU_BO_GENERIC, 0, b);
	ivgpu_holes_free(fd, h, n);
	return ret;
}

static void bo_free(int fd, struct bo *b)
{
	if (b->map && b->map != MAP_FAILED)
		munmap(b->map, b->size);
	if (b->h)
		ivgpu_gem_close(fd, b->h);
	free(b->ref);
	memset(b, 0, sizeof(*b));
}

/* Write the reference through the mapping. */
static void bo_upload(struct bo *b)
{
	memcpy(b->map, b->ref, b->size);
	__sync_synchronize();
}

/*
 * Offset of the first byte where the object differs from its reference, or
 * -1; the differing runs (up to 8) are printed.
 */
static int64_t bo_diff(const struct bo *b)
{
	uint8_t *tmp = malloc(b->size);
	int64_t at = -1, start = -1;
	int runs = 0;
	uint64_t i;

	if (!tmp)
		return 0;
	memcpy(tmp, b->map, b->size);
	for (i = 0; i <= b->size; i++) {
		bool d = i < b->size && tmp[i] != b->ref[i];

		if (d && start < 0)
			start = i;
		if (!d && start >= 0) {
			if (at < 0)
				at = start;
			if (runs++ < 8)
				printf("# differs at [%#llx, %#llx): got %02x.. want %02x..\n",
				       (unsigned long long)start, (unsigned long long)i, tmp[start],
				       b->ref[start]);
			start = -1;
		}
	}
	free(tmp);
	return at;
}

/* ---- commands and submission ---- */

static struct drm_ivgpu_cmd c_nop(void)
{
	return (struct drm_ivgpu_cmd){ .opcode = IVGPU_OP_NOP };
}

static struct drm_ivgpu_cmd c_fill(uint32_t h, uint64_t off, uint64_t size, uint32_t pattern)
{
	return (struct drm_ivgpu_cmd){ .opcode = IVGPU_OP_FILL, .dst_handle = h,
				       .dst_offset = off, .size = size, .arg = pattern };
}

static struct drm_ivgpu_cmd c_copy(uint32_t dh, uint64_t doff, uint32_t sh, uint64_t soff,
				   uint64_t size)
{
	return (struct drm_ivgpu_cmd){ .opcode = IVGPU_OP_COPY, .dst_handle = dh,
				       .dst_offset = doff, .src_handle = sh,
				       .src_offset = soff, .size = size };
}

static struct drm_ivgpu_cmd c_crc(uint32_t sh, uint64_t soff, uint64_t size, uint32_t dh,
				  uint64_t doff, uint32_t flags)
{
	return (struct drm_ivgpu_cmd){ .opcode = IVGPU_OP_CRC32, .flags = flags,
				       .dst_handle = dh, .dst_offset = doff, .src_handle = sh,
				       .src_offset = soff, .size = size };
}

static struct drm_ivgpu_cmd c_blit(uint32_t dh, uint64_t doff, uint64_t dp, uint32_t sh,
				   uint64_t soff, uint64_t sp, uint64_t w, uint64_t h)
{
	return (struct drm_ivgpu_cmd){ .opcode = IVGPU_OP_BLIT, .dst_handle = dh,
				       .dst_offset = doff, .dst_pitch = dp, .src_handle = sh,
				       .src_offset = soff, .src_pitch = sp, .size = w, .arg = h };
}

static struct drm_ivgpu_cmd c_stall(uint64_t ns)
{
	return (struct drm_ivgpu_cmd){ .opcode = IVGPU_OP_STALL, .arg = ns };
}

static struct drm_ivgpu_cmd c_hang(void)
{
	return (struct drm_ivgpu_cmd){ .opcode = IVGPU_OP_HANG };
}

/* A file's command buffer: commands go at offset 0; the kernel copies them out. */
struct cmdbuf {
	uint32_t h;
	uint64_t size;
	struct drm_ivgpu_cmd *map;
};

static int cmdbuf_new(int fd, uint64_t size, struct cmdbuf *cb)
{
	int ret = ivgpu_bo_create_full(fd, size, 0, IVGPU_BO_CMDBUF, 0, &cb->h, &cb->size);

	if (ret)
		return ret;
	cb->map = (void *)ivgpu_bo_mmap(fd, cb->h, cb->size);
	return cb->map == MAP_FAILED ? -errno : 0;
}

static void cmdbuf_free(int fd, struct cmdbuf *cb)
{
	if (cb->map && cb->map != MAP_FAILED)
		munmap(cb->map, cb->size);
	if (cb->h)
		ivgpu_gem_close(fd, cb->h);
	memset(cb, 0, sizeof(*cb));
}

static int submit_raw(int fd, struct drm_ivgpu_submit *s)
{
	return ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_SUBMIT, s);
}

/*
 * Submit @n commands (written to @cb first) naming the objects @bos, with
 * optional in-syncobjs and out-syncobj; 0 or -errno.
 */
static int submit(int fd, struct cmdbuf *cb, const struct drm_ivgpu_cmd *cmds, uint32_t n,
		  const uint32_t *bos, uint32_t nbos, const uint32_t *in, uint32_t nin,
		  uint32_t out)
{
	struct drm_ivgpu_submit_syncobj sin[IVGPU_SUBMIT_MAX_IN_SYNCOBJS] = { 0 };
	struct drm_ivgpu_submit_bo sbos[IVGPU_SUBMIT_MAX_BOS] = { 0 };
	struct drm_ivgpu_submit s = {
		.cmdbuf = cb->h, .cmd_offset = 0, .cmd_size = n * CMD,
		.bos = (uintptr_t)sbos, .num_bos = nbos,
		.in_syncobjs = (uintptr_t)sin, .num_in_syncobjs = nin, .out_syncobj = out,
	};
	uint32_t i;

	for (i = 0; i < nbos && i < IVGPU_SUBMIT_MAX_BOS; i++)
		sbos[i].handle = bos[i];
	for (i = 0; i < nin && i < IVGPU_SUBMIT_MAX_IN_SYNCOBJS; i++)
		sin[i].handle = in[i];
	memcpy(cb->map, cmds, n * CMD);
	__sync_synchronize();
	return submit_raw(fd, &s);
}

static uint32_t syncobj(int fd)
{
	uint32_t s = 0;

	return drmSyncobjCreate(fd, 0, &s) ? 0 : s;
}

/* Wait up to @ms for syncobj @s; 0 or -errno (-ETIME). */
static int sync_wait(int fd, uint32_t s, int ms)
{
	struct timespec ts;
	int64_t deadline;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = ts.tv_sec * 1000000000ll + ts.tv_nsec + ms * 1000000ll;
	return drmSyncobjWait(fd, &s, 1, deadline, 0, NULL) ? -errno : 0;
}

/* The status of syncobj @s's fence: 1 signalled, 0 pending, < 0 its error. */
static int fence_status(int fd, uint32_t s)
{
	struct sync_file_info info = { 0 };
	int sf = -1, ret;

	if (drmSyncobjExportSyncFile(fd, s, &sf))
		return INT_MIN;
	ret = ioctl(sf, SYNC_IOC_FILE_INFO, &info) ? INT_MIN : info.status;
	close(sf);
	return ret;
}

/* Run @n commands and wait for them; the job's fence status (1 = success). */
static int run(int fd, struct cmdbuf *cb, const struct drm_ivgpu_cmd *cmds, uint32_t n,
	       const uint32_t *bos, uint32_t nbos)
{
	uint32_t s = syncobj(fd);
	int ret;

	if (!s)
		return INT_MIN;
	ret = submit(fd, cb, cmds, n, bos, nbos, NULL, 0, s);
	if (!ret)
		ret = sync_wait(fd, s, 20000);
	if (!ret)
		ret = fence_status(fd, s);
	drmSyncobjDestroy(fd, s);
	return ret;
}

static int gem_wait(int fd, uint32_t h, int64_t timeout_ns)
{
	struct drm_ivgpu_gem_wait w = { .handle = h, .timeout_ns = timeout_ns };

	return ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_GEM_WAIT, &w);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static uint64_t ring_counter(const char *name)
{
	return ivgpu_counter("ivgpu_ring", name);
}

/* Jobs userspace submitted (the driver's own clears and moves left out). */
static uint64_t user_jobs(void)
{
	return ring_counter("jobs") - ring_counter("kernel_jobs");
}

static int set_param(const char *name, unsigned long v)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	snprintf(val, sizeof(val), "%lu", v);
	return ivgpu_write_file(path, val);
}

static unsigned long get_param(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	if (ivgpu_read_file(path, buf, sizeof(buf)) <= 0)
		return ~0ul;
	if (buf[0] == 'Y')
		return 1;
	if (buf[0] == 'N')
		return 0;
	return strtoul(buf, NULL, 10);
}

/* ivgpu-dev's check of one object: status, mismatches and the CRC-32. */
struct dev_check {
	uint64_t status, mismatches, crc32, extents;
};

static int device_check(uint64_t id, uint32_t kind, uint64_t seed, struct dev_check *r)
{
	char path[600], req[128], buf[1024], *p;
	int ret = ivgpu_debugfs_path("ivgpu_vram_check", path, sizeof(path));

	if (ret)
		return ret;
	snprintf(req, sizeof(req), "%llu %u %llu 0\n", (unsigned long long)id, kind,
		 (unsigned long long)seed);
	ret = ivgpu_write_file(path, req);
	if (ret)
		return ret;
	/* One read, one check. */
	if (ivgpu_read_file(path, buf, sizeof(buf)) <= 0)
		return -EIO;
	p = strstr(buf, "status ");
	r->status = p ? strtoull(p + 7, NULL, 10) : ~0ull;
	p = strstr(buf, "mismatches ");
	r->mismatches = p ? strtoull(p + 11, NULL, 10) : ~0ull;
	p = strstr(buf, "crc32 ");
	r->crc32 = p ? strtoull(p + 6, NULL, 10) : ~0ull;
	p = strstr(buf, "extents ");
	r->extents = p ? strtoull(p + 8, NULL, 10) : ~0ull;
	return 0;
}

/* ---- the fixture ---- */

FIXTURE(ring) {
	IVGPU_FIXTURE_FIELDS;
	uint64_t max_cmds;
	unsigned long timeout0;
	struct cmdbuf cb;
	struct bo b[4];
};

FIXTURE_SETUP(ring)
{
	uint64_t caps;

	IVGPU_FIXTURE_SETUP();
	caps = ivgpu_param(self->fd, IVGPU_PARAM_CAPS);
	if (!(caps & IVGPU_CAPS_COPROC))
		SKIP(return, "the device has no co-processor (caps %#llx)",
		     (unsigned long long)caps);
	self->max_cmds = ivgpu_param(self->fd, IVGPU_PARAM_SUBMIT_MAX_CMDS);
	self->timeout0 = get_param("job_timeout_ms");
	ASSERT_NE(~0ul, self->timeout0);
	ASSERT_EQ(0, cmdbuf_new(self->fd, 128 * KIB, &self->cb));
}

FIXTURE_TEARDOWN(ring)
{
	unsigned int i;

	if (self->timeout0 && self->timeout0 != ~0ul)
		set_param("job_timeout_ms", self->timeout0);
	set_param("use_coproc", 1);
	for (i = 0; i < IVGPU_ARRAY_SIZE(self->b); i++)
		bo_free(self->fd, &self->b[i]);
	cmdbuf_free(self->fd, &self->cb);
	IVGPU_FIXTURE_TEARDOWN();
}

#define FD self->fd
#define CB (&self->cb)

/* ---- the basics ---- */

TEST_F(ring, params_and_debugfs)
{
	uint64_t kernel = ivgpu_vram_kernel(FD);

	EXPECT_LT(0ull, self->max_cmds);
	EXPECT_EQ(self->max_cmds, ring_counter("max_cmds"));
	EXPECT_EQ(1ull, ring_counter("present"));
	EXPECT_EQ(0ull, ring_counter("wedged"));
	/* The ring is the driver's VRAM: in VRAM_USED, and its commands fit. */
	EXPECT_EQ(ring_counter("size"), kernel);
	EXPECT_LE(kernel, self->used0);
	EXPECT_GT(kernel / CMD, self->max_cmds);
	EXPECT_EQ(0ull, ring_counter("base") % PAGE);
}

TEST_F(ring, nop_signals_its_fence)
{
	struct drm_ivgpu_cmd c[3] = { c_nop(), c_nop(), c_nop() };
	uint64_t fences = ring_counter("fences"), cmds = ring_counter("device_cmds");

	EXPECT_EQ(1, run(FD, CB, c, 3, NULL, 0));
	EXPECT_LE(fences + 1, ring_counter("fences"));
	/* Three NOPs and the kernel's FENCE. */
	EXPECT_LE(cmds + 4, ring_counter("device_cmds"));
	EXPECT_EQ(ring_counter("head"), ring_counter("tail"));
}

/* ---- each command against the CPU ---- */

/* FILL ranges with odd starts and lengths, across block boundaries. */
static void check_fill(struct __test_metadata *_metadata, int fd, struct cmdbuf *cb,
		       struct bo *b)
{
	struct { uint64_t off, len; uint32_t pat; } r[] = {
		{ 0, b->size, 0x11223344 },
		{ 1, 7, 0xa1b2c3d4 },
		{ HOLE - 3, 9, 0xdeadbeef },
		{ HOLE + 5, 2 * HOLE + 3, 0x01020304 },
		{ b->size - 5, 5, 0xcafef00d },
		{ 3 * HOLE - 1, 2, 0x55aa55aa },
		{ 17, 0, 0xffffffff },
		{ b->size, 0, 0x12345678 },
	};
	unsigned int i;

	for (i = 0; i < IVGPU_ARRAY_SIZE(r); i++) {
		struct drm_ivgpu_cmd c = c_fill(b->h, r[i].off, r[i].len, r[i].pat);

		ref_fill(b->ref + r[i].off, r[i].len, r[i].pat);
		ASSERT_EQ(1, run(fd, cb, &c, 1, &b->h, 1)) TH_LOG("fill %u", i);
		ASSERT_EQ(-1, bo_diff(b)) TH_LOG("fill %u: +%#llx len %#llx", i,
			  (unsigned long long)r[i].off, (unsigned long long)r[i].len);
	}
}

TEST_F(ring, fill_matches_cpu)
{
	ASSERT_EQ(0, bo_new(FD, 4 * HOLE, IVGPU_BO_GENERIC, IVGPU_BO_CONTIGUOUS, &self->b[0]));
	check_fill(_metadata, FD, CB, &self->b[0]);
}

TEST_F_TIMEOUT(ring, fill_scattered_matches_cpu, 120)
{
	ASSERT_EQ(0, bo_new_scattered(FD, 4 * HOLE, &self->b[0]));
	ASSERT_LT(1u, ivgpu_bo_num_blocks(FD, self->b[0].h));
	check_fill(_metadata, FD, CB, &self->b[0]);
}

/* COPY between objects and within one, overlapping both ways, across blocks. */
static void check_copy(struct __test_metadata *_metadata, int fd, struct cmdbuf *cb,
		       struct bo *a, struct bo *b)
{
	struct { int dst, src; uint64_t doff, soff, len; } r[] = {
		{ 1, 0, 0, 0, a->size },
		{ 1, 0, 3, HOLE - 7, HOLE + 11 },
		{ 0, 1, 2 * HOLE - 1, 5, 2 * HOLE },
		/* Within one object: upwards and downwards, overlapping. */
		{ 0, 0, HOLE / 2 + 3, 0, 2 * HOLE + 1 },
		{ 0, 0, 1, HOLE + 2, 2 * HOLE + 5 },
		{ 1, 1, 8, 0, 3 * HOLE },
		{ 1, 0, 0, 0, 0 },
	};
	struct bo *o[2] = { a, b };
	uint32_t h[2] = { a->h, b->h };
	unsigned int i;

	ref_random(a->ref, a->size, 1);
	ref_random(b->ref, b->size, 2);
	bo_upload(a);
	bo_upload(b);
	for (i = 0; i < IVGPU_ARRAY_SIZE(r); i++) {
		struct drm_ivgpu_cmd c = c_copy(h[r[i].dst], r[i].doff, h[r[i].src], r[i].soff,
						r[i].len);

		memmove(o[r[i].dst]->ref + r[i].doff, o[r[i].src]->ref + r[i].soff, r[i].len);
		ASSERT_EQ(1, run(fd, cb, &c, 1, h, 2)) TH_LOG("copy %u", i);
		ASSERT_EQ(-1, bo_diff(a)) TH_LOG("copy %u", i);
		ASSERT_EQ(-1, bo_diff(b)) TH_LOG("copy %u", i);
	}
}

TEST_F(ring, copy_matches_cpu)
{
	ASSERT_EQ(0, bo_new(FD, 4 * HOLE, IVGPU_BO_GENERIC, 0, &self->b[0]));
	ASSERT_EQ(0, bo_new(FD, 4 * HOLE, IVGPU_BO_GENERIC, 0, &self->b[1]));
	check_copy(_metadata, FD, CB, &self->b[0], &self->b[1]);
}

TEST_F_TIMEOUT(ring, copy_scattered_matches_cpu, 120)
{
	ASSERT_EQ(0, bo_new_scattered(FD, 4 * HOLE, &self->b[0]));
	ASSERT_EQ(0, bo_new_scattered(FD, 4 * HOLE, &self->b[1]));
	ASSERT_LT(1u, ivgpu_bo_num_blocks(FD, self->b[0].h));
	ASSERT_LT(1u, ivgpu_bo_num_blocks(FD, self->b[1].h));
	check_copy(_metadata, FD, CB, &self->b[0], &self->b[1]);
}

/* BLIT rectangles whose rows cross block boundaries, and overlapping ones. */
static void check_blit(struct __test_metadata *_metadata, int fd, struct cmdbuf *cb,
		       struct bo *a, struct bo *b)
{
	struct { int dst, src; uint64_t doff, dp, soff, sp, w, h; } r[] = {
		{ 1, 0, 0, 4096, 0, 4096, 4096, a->size / 4096 },
		{ 1, 0, 100, 1000, 7, 999, 999, 200 },
		{ 1, 0, HOLE - 50, 4000, 3, 5000, 100, 40 },
		{ 0, 1, 17, 3000, HOLE + 1, 3001, 2999, 60 },
		/* One object, equal pitches, overlapping both ways. */
		{ 0, 0, 5000, 4100, 0, 4100, 4000, 50 },
		{ 0, 0, 0, 2048, 3000, 2048, 1500, 100 },
		{ 1, 0, 0, 64, 0, 64, 0, 10 },
		{ 1, 0, 0, 64, 0, 64, 10, 0 },
	};
	struct bo *o[2] = { a, b };
	uint32_t h[2] = { a->h, b->h };
	unsigned int i;

	ref_random(a->ref, a->size, 3);
	ref_random(b->ref, b->size, 4);
	bo_upload(a);
	bo_upload(b);
	for (i = 0; i < IVGPU_ARRAY_SIZE(r); i++) {
		struct drm_ivgpu_cmd c = c_blit(h[r[i].dst], r[i].doff, r[i].dp, h[r[i].src],
						r[i].soff, r[i].sp, r[i].w, r[i].h);

		if (r[i].w && r[i].h)
			ref_blit(o[r[i].dst]->ref + r[i].doff, r[i].dp,
				 o[r[i].src]->ref + r[i].soff, r[i].sp, r[i].w, r[i].h);
		ASSERT_EQ(1, run(fd, cb, &c, 1, h, 2)) TH_LOG("blit %u", i);
		ASSERT_EQ(-1, bo_diff(a)) TH_LOG("blit %u", i);
		ASSERT_EQ(-1, bo_diff(b)) TH_LOG("blit %u", i);
	}
}

TEST_F(ring, blit_matches_cpu)
{
	ASSERT_EQ(0, bo_new(FD, 4 * HOLE, IVGPU_BO_GENERIC, 0, &self->b[0]));
	ASSERT_EQ(0, bo_new(FD, 4 * HOLE, IVGPU_BO_GENERIC, 0, &self->b[1]));
	check_blit(_metadata, FD, CB, &self->b[0], &self->b[1]);
}

TEST_F_TIMEOUT(ring, blit_scattered_matches_cpu, 120)
{
	ASSERT_EQ(0, bo_new_scattered(FD, 4 * HOLE, &self->b[0]));
	ASSERT_EQ(0, bo_new_scattered(FD, 4 * HOLE, &self->b[1]));
	ASSERT_LT(1u, ivgpu_bo_num_blocks(FD, self->b[0].h));
	check_blit(_metadata, FD, CB, &self->b[0], &self->b[1]);
}

/*
 * The co-processor's CRC-32 of what the CPU wrote through the mapping is
 * the CPU's, whole or chained in parts, on contiguous and scattered objects;
 * for a one-block object ivgpu-dev's own check agrees.
 */
static void check_crc(struct __test_metadata *_metadata, int fd, struct cmdbuf *cb,
		      struct bo *src, struct bo *res)
{
	uint64_t cut = HOLE + 13;
	struct drm_ivgpu_cmd c[2];
	uint32_t h[2] = { src->h, res->h }, got, want;
	struct dev_check dc;

	ref_random(src->ref, src->size, 5);
	bo_upload(src);
	want = crc32_update(0, src->ref, src->size);

	c[0] = c_crc(src->h, 0, src->size, res->h, 0, 0);
	ASSERT_EQ(1, run(fd, cb, c, 1, h, 2));
	memcpy(&got, res->map, 4);
	EXPECT_EQ(want, got);

	/* In two parts, the second continuing from the first. */
	c[0] = c_crc(src->h, 0, cut, res->h, 8, 0);
	c[1] = c_crc(src->h, cut, src->size - cut, res->h, 8, IVGPU_CMD_CRC32_CONTINUE);
	ASSERT_EQ(1, run(fd, cb, c, 2, h, 2));
	memcpy(&got, res->map + 8, 4);
	EXPECT_EQ(want, got);

	/* An odd range; an empty one is 0; an empty continuation keeps the value. */
	c[0] = c_crc(src->h, 3, 2 * HOLE + 1, res->h, 16, 0);
	ASSERT_EQ(1, run(fd, cb, c, 1, h, 2));
	memcpy(&got, res->map + 16, 4);
	EXPECT_EQ(crc32_update(0, src->ref + 3, 2 * HOLE + 1), got);
	memset(res->map + 24, 0x5a, 8);
	c[0] = c_crc(src->h, 9, 0, res->h, 24, 0);
	c[1] = c_crc(src->h, 9, 0, res->h, 28, IVGPU_CMD_CRC32_CONTINUE);
	ASSERT_EQ(1, run(fd, cb, c, 2, h, 2));
	memcpy(&got, res->map + 24, 4);
	EXPECT_EQ(0u, got);
	memcpy(&got, res->map + 28, 4);
	EXPECT_EQ(0x5a5a5a5au, got);

	if (ivgpu_bo_num_blocks(fd, src->h) == 1) {
		ASSERT_EQ(0, device_check(ivgpu_bo_id(fd, src->h), IVGPU_CHECK_KIND_CRC32, 0, &dc));
		EXPECT_EQ(0ull, dc.status);
		EXPECT_EQ(want, dc.crc32);
	}
}

TEST_F(ring, crc32_of_cpu_writes)
{
	ASSERT_EQ(0, bo_new(FD, 4 * HOLE, IVGPU_BO_GENERIC, IVGPU_BO_CONTIGUOUS, &self->b[0]));
	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, &self->b[1]));
	check_crc(_metadata, FD, CB, &self->b[0], &self->b[1]);
}

TEST_F_TIMEOUT(ring, crc32_scattered_of_cpu_writes, 120)
{
	ASSERT_EQ(0, bo_new_scattered(FD, 4 * HOLE, &self->b[0]));
	ASSERT_LT(1u, ivgpu_bo_num_blocks(FD, self->b[0].h));
	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, &self->b[1]));
	check_crc(_metadata, FD, CB, &self->b[0], &self->b[1]);
}

/*
 * Pixels: a frame buffer (one block of VRAM) cleared to a colour by FILL, a
 * sprite blitted into it at (100, 50) with its own pitch, and the image's
 * CRC-32 on the engine; all as the CPU draws the same image.
 */
TEST_F(ring, blit_pixels_into_framebuffer)
{
	const uint64_t w = 320, h = 200, pitch = w * 4, sw = 32, sh = 32, spitch = sw * 4;
	struct bo *fb = &self->b[0], *sprite = &self->b[1], *res = &self->b[2];
	const uint32_t bg = 0xff203040;
	struct drm_ivgpu_cmd c[3];
	uint32_t hs[3], got, *px;
	uint64_t i;

	ASSERT_EQ(0, bo_new(FD, pitch * h, IVGPU_BO_FRAMEBUFFER, 0, fb));
	ASSERT_EQ(1u, ivgpu_bo_num_blocks(FD, fb->h));
	ASSERT_EQ(0, bo_new(FD, spitch * sh, IVGPU_BO_GENERIC, 0, sprite));
	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, res));
	hs[0] = fb->h;
	hs[1] = sprite->h;
	hs[2] = res->h;
	px = (uint32_t *)sprite->ref;
	for (i = 0; i < sw * sh; i++)
		px[i] = 0xff000000u | (uint32_t)(i * 0x010203u);
	bo_upload(sprite);

	ref_fill(fb->ref, pitch * h, bg);
	ref_blit(fb->ref + 50 * pitch + 100 * 4, pitch, sprite->ref, spitch, spitch, sh);
	c[0] = c_fill(fb->h, 0, pitch * h, bg);
	c[1] = c_blit(fb->h, 50 * pitch + 100 * 4, pitch, sprite->h, 0, spitch, spitch, sh);
	c[2] = c_crc(fb->h, 0, pitch * h, res->h, 0, 0);
	ASSERT_EQ(1, run(FD, CB, c, 3, hs, 3));
	EXPECT_EQ(-1, bo_diff(fb));
	memcpy(&got, res->map, 4);
	EXPECT_EQ(crc32_update(0, fb->ref, pitch * h), got);
}

/* A 1 MiB object the CPU writes through the mapping, checksummed on the engine. */
TEST_F(ring, crc32_cross_check_mapping)
{
	struct bo *a = &self->b[0], *r = &self->b[1];
	uint32_t h[2], got;
	struct drm_ivgpu_cmd c;
	int round;

	ASSERT_EQ(0, bo_new(FD, MIB, IVGPU_BO_GENERIC, 0, a));
	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, r));
	h[0] = a->h;
	h[1] = r->h;
	for (round = 0; round < 4; round++) {
		ivgpu_fill(a->map, a->size, 100 + round);
		__sync_synchronize();
		memcpy(a->ref, a->map, a->size);
		c = c_crc(a->h, 0, a->size, r->h, 4 * round, 0);
		ASSERT_EQ(1, run(FD, CB, &c, 1, h, 2));
		memcpy(&got, r->map + 4 * round, 4);
		EXPECT_EQ(crc32_update(0, a->ref, a->size), got) TH_LOG("round %d", round);
	}
}

TEST_F(ring, stall_completes)
{
	struct drm_ivgpu_cmd c[2] = { c_stall(50 * 1000 * 1000), c_nop() };
	int64_t t0 = now_ns();

	EXPECT_EQ(1, run(FD, CB, c, 2, NULL, 0));
	EXPECT_LE(50 * 1000 * 1000ll, now_ns() - t0);
}

/* ---- fences ---- */

/*
 * 10,000 jobs, each writing its number into its own slot: when a job's
 * fence has signalled, every earlier job's slot holds its number.
 */
TEST_F_TIMEOUT(ring, fence_order_10000, 300)
{
	const int jobs = 10000, ring = 32;
	struct bo *b = &self->b[0];
	uint32_t s[32], *slots;
	uint64_t fences0 = ring_counter("fences");
	int i, j, checked = 0;

	ASSERT_EQ(0, bo_new(FD, jobs * 4, IVGPU_BO_GENERIC, 0, b));
	slots = (uint32_t *)b->map;
	for (i = 0; i < ring; i++) {
		s[i] = syncobj(FD);
		ASSERT_NE(0u, s[i]);
	}
	for (i = 0; i < jobs; i++) {
		struct drm_ivgpu_cmd c = c_fill(b->h, 4 * i, 4, i + 1);

		/* Every 32nd: wait for the job 31 back and check all before it. */
		if (i >= ring) {
			int k = i - ring;

			if (k % ring == 0) {
				ASSERT_EQ(0, sync_wait(FD, s[k % ring], 10000)) TH_LOG("job %d", k);
				for (j = checked; j <= k; j++) {
					ASSERT_EQ((uint32_t)j + 1, slots[j])
						TH_LOG("job %d signalled, job %d not done", k, j);
				}
				checked = k + 1;
			}
		}
		ASSERT_EQ(0, submit(FD, CB, &c, 1, &b->h, 1, NULL, 0, s[i % ring]))
			TH_LOG("job %d", i);
	}
	ASSERT_EQ(0, sync_wait(FD, s[(jobs - 1) % ring], 20000));
	for (j = 0; j < jobs; j++) {
		ASSERT_EQ((uint32_t)j + 1, slots[j]) TH_LOG("slot %d", j);
	}
	EXPECT_LE(fences0 + jobs, ring_counter("fences"));
	for (i = 0; i < ring; i++)
		drmSyncobjDestroy(FD, s[i]);
}

/* Two files: B's job waits for A's (a long STALL) through a syncobj. */
TEST_F(ring, in_fence_from_another_file)
{
	struct cmdbuf cb2 = { 0 };
	struct bo *x = &self->b[0];
	struct drm_ivgpu_cmd c[2];
	uint32_t sa, sb, hx;
	int fdb, sfd = -1, dmabuf = -1;

	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	fdb = self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, fdb);
	ASSERT_EQ(0, cmdbuf_new(fdb, PAGE, &cb2));
	sa = syncobj(FD);
	sb = syncobj(fdb);
	ASSERT_NE(0u, sa);
	ASSERT_NE(0u, sb);

	/* A: stall 300 ms, then fill X with 1s. */
	c[0] = c_stall(300 * 1000 * 1000);
	c[1] = c_fill(x->h, 0, PAGE, 0x01010101);
	ASSERT_EQ(0, submit(FD, CB, c, 2, &x->h, 1, NULL, 0, sa));

	/* B (another file, explicit sync only): after A, fill X with 2s. */
	ASSERT_EQ(0, drmPrimeHandleToFD(FD, x->h, DRM_CLOEXEC, &dmabuf));
	ASSERT_EQ(0, drmPrimeFDToHandle(fdb, dmabuf, &hx));
	close(dmabuf);
	/* The syncobj goes to the other file as a sync_file. */
	ASSERT_EQ(0, drmSyncobjExportSyncFile(FD, sa, &sfd));
	ASSERT_EQ(0, drmSyncobjImportSyncFile(fdb, sb, sfd));
	close(sfd);
	c[0] = c_fill(hx, 0, 8, 0x02020202);
	ASSERT_EQ(0, submit(fdb, &cb2, c, 1, &hx, 1, &sb, 1, 0));
	/* A still stalls: neither fill has happened. */
	EXPECT_EQ(0, fence_status(FD, sa));
	EXPECT_EQ(0u, x->map[0]);
	ASSERT_EQ(0, gem_wait(fdb, hx, now_ns() + 10000000000ll));
	EXPECT_EQ(1, fence_status(FD, sa));
	/* B ran after A: its 2s over A's 1s. */
	EXPECT_EQ(2u, x->map[0]);
	EXPECT_EQ(2u, x->map[7]);
	EXPECT_EQ(1u, x->map[8]);
	cmdbuf_free(fdb, &cb2);
}

/* An in-fence at a point of a timeline syncobj. */
TEST_F(ring, in_fence_at_timeline_point)
{
	struct drm_ivgpu_submit_syncobj in = { 0 };
	struct drm_ivgpu_cmd c[2] = { 0 };
	struct drm_ivgpu_submit s = { 0 };
	struct drm_ivgpu_submit_bo sb = { 0 };
	struct cmdbuf cb2 = { 0 };
	struct bo *x = &self->b[0], y = { 0 };
	uint32_t sa, bin, tl;
	int fdb, sfd = -1;

	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	fdb = self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, fdb);
	ASSERT_EQ(0, cmdbuf_new(fdb, PAGE, &cb2));
	ASSERT_EQ(0, bo_new(fdb, PAGE, IVGPU_BO_GENERIC, 0, &y));
	sa = syncobj(FD);
	bin = syncobj(fdb);
	tl = syncobj(fdb);
	ASSERT_NE(0u, sa);
	ASSERT_NE(0u, bin);
	ASSERT_NE(0u, tl);

	/* A: stall 300 ms, then fill X. */
	c[0] = c_stall(300 * 1000 * 1000);
	c[1] = c_fill(x->h, 0, PAGE, 0x01010101);
	ASSERT_EQ(0, submit(FD, CB, c, 2, &x->h, 1, NULL, 0, sa));
	/* A's fence becomes point 3 of a timeline of the other file. */
	ASSERT_EQ(0, drmSyncobjExportSyncFile(FD, sa, &sfd));
	ASSERT_EQ(0, drmSyncobjImportSyncFile(fdb, bin, sfd));
	close(sfd);
	ASSERT_EQ(0, drmSyncobjTransfer(fdb, tl, 3, bin, 0, 0));

	/* B (its own object, nothing shared with A): after point 3, fill Y. */
	c[0] = c_fill(y.h, 0, PAGE, 0x02020202);
	memcpy(cb2.map, c, CMD);
	__sync_synchronize();
	sb.handle = y.h;
	in.handle = tl;
	s = (struct drm_ivgpu_submit){
		.cmdbuf = cb2.h, .cmd_size = CMD, .bos = (uintptr_t)&sb, .num_bos = 1,
		.in_syncobjs = (uintptr_t)&in, .num_in_syncobjs = 1,
	};
	/* Point 4 has no fence yet. */
	in.point = 4;
	EXPECT_EQ(-EINVAL, submit_raw(fdb, &s));
	in.point = 3;
	ASSERT_EQ(0, submit_raw(fdb, &s));
	/* A still stalls: B waits for it. */
	EXPECT_EQ(0, fence_status(FD, sa));
	EXPECT_EQ(0u, y.map[0]);
	ASSERT_EQ(0, gem_wait(fdb, y.h, now_ns() + 10000000000ll));
	EXPECT_EQ(1, fence_status(FD, sa));
	EXPECT_EQ(2u, y.map[0]);
	EXPECT_EQ(2u, y.map[PAGE - 1]);
	EXPECT_EQ(1u, x->map[0]);
	bo_free(fdb, &y);
	cmdbuf_free(fdb, &cb2);
}

/* STALL and HANG hold the shared engine: CAP_SYS_ADMIN only. */
TEST_F(ring, test_hooks_need_cap_sys_admin)
{
	struct drm_ivgpu_cmd stall = c_stall(1000), hang = { .opcode = IVGPU_OP_HANG };
	struct drm_ivgpu_cmd nop = c_nop();
	uint64_t jobs = user_jobs();
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The file stays open; the credentials go. */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (submit(FD, CB, &stall, 1, NULL, 0, NULL, 0, 0) != -EPERM)
			_exit(11);
		if (submit(FD, CB, &hang, 1, NULL, 0, NULL, 0, 0) != -EPERM)
			_exit(12);
		if (submit(FD, CB, &nop, 1, NULL, 0, NULL, 0, 0))
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Only the NOP was queued; root may stall. */
	EXPECT_EQ(jobs + 1, user_jobs());
	EXPECT_EQ(1, run(FD, CB, &stall, 1, NULL, 0));
}

/* A job waits for the earlier jobs of any file on its objects (implicit sync). */
TEST_F(ring, implicit_order_between_files)
{
	struct cmdbuf cb2 = { 0 };
	struct bo *x = &self->b[0];
	struct drm_ivgpu_cmd c[2];
	uint32_t hx;
	int fdb, dmabuf = -1;

	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	fdb = self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, fdb);
	ASSERT_EQ(0, cmdbuf_new(fdb, PAGE, &cb2));
	ASSERT_EQ(0, drmPrimeHandleToFD(FD, x->h, DRM_CLOEXEC, &dmabuf));
	ASSERT_EQ(0, drmPrimeFDToHandle(fdb, dmabuf, &hx));
	close(dmabuf);

	c[0] = c_stall(200 * 1000 * 1000);
	c[1] = c_fill(x->h, 0, PAGE, 0x01010101);
	ASSERT_EQ(0, submit(FD, CB, c, 2, &x->h, 1, NULL, 0, 0));
	c[0] = c_fill(hx, 0, 8, 0x02020202);
	ASSERT_EQ(0, submit(fdb, &cb2, c, 1, &hx, 1, NULL, 0, 0));
	ASSERT_EQ(0, gem_wait(FD, x->h, now_ns() + 10000000000ll));
	EXPECT_EQ(2u, x->map[0]);
	EXPECT_EQ(1u, x->map[8]);
	cmdbuf_free(fdb, &cb2);
}

TEST_F(ring, gem_wait_and_syncobj_wait)
{
	struct bo *x = &self->b[0];
	struct drm_ivgpu_cmd c[2] = { c_stall(200 * 1000 * 1000), c_nop() };
	struct drm_ivgpu_gem_wait w = { .flags = 1 };
	uint32_t s = syncobj(FD);

	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	c[1] = c_fill(x->h, 0, 4, 7);
	EXPECT_EQ(0, gem_wait(FD, x->h, 0));
	ASSERT_EQ(0, submit(FD, CB, c, 2, &x->h, 1, NULL, 0, s));
	EXPECT_EQ(-ETIME, gem_wait(FD, x->h, 0));
	EXPECT_EQ(-ETIME, sync_wait(FD, s, 0));
	EXPECT_EQ(0, gem_wait(FD, x->h, now_ns() + 10000000000ll));
	EXPECT_EQ(0, sync_wait(FD, s, 0));
	EXPECT_EQ(7u, x->map[0]);
	/* Bad arguments. */
	EXPECT_EQ(-ENOENT, gem_wait(FD, 0xdead, 0));
	w.handle = x->h;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(FD, DRM_IOCTL_IVGPU_GEM_WAIT, &w));
	drmSyncobjDestroy(FD, s);
}

/* ---- timeouts ---- */

/*
 * HANG: the job times out, its fence says -ETIMEDOUT, the engine is reset;
 * the jobs queued after it (this file's and another's) still run.
 */
TEST_F_TIMEOUT(ring, hang_times_out_and_later_jobs_run, 60)
{
	struct cmdbuf cb2 = { 0 };
	struct bo *x = &self->b[0], *y = &self->b[1];
	struct drm_ivgpu_cmd c[2];
	uint64_t timeouts = ring_counter("timeouts"), resets = ring_counter("resets");
	uint32_t sh, sx, sy;
	int fdb, round;
	int64_t t0;

	ASSERT_EQ(0, set_param("job_timeout_ms", HANG_TIMEOUT_MS));
	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	fdb = self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, fdb);
	ASSERT_EQ(0, cmdbuf_new(fdb, PAGE, &cb2));
	ASSERT_EQ(0, bo_new(fdb, PAGE, IVGPU_BO_GENERIC, 0, y));

	for (round = 0; round < 2; round++) {
		sh = syncobj(FD);
		sx = syncobj(FD);
		sy = syncobj(fdb);
		t0 = now_ns();
		c[0] = c_fill(x->h, 0, 4, 0x11111111 * (round + 1));
		c[1] = c_hang();
		ASSERT_EQ(0, submit(FD, CB, c, 2, &x->h, 1, NULL, 0, sh));
		c[0] = c_fill(x->h, 4, 4, 0x22222222 * (round + 1));
		ASSERT_EQ(0, submit(FD, CB, c, 1, &x->h, 1, NULL, 0, sx));
		c[0] = c_fill(y->h, 0, 4, 0x33333333 * (round + 1));
		ASSERT_EQ(0, submit(fdb, &cb2, c, 1, &y->h, 1, NULL, 0, sy));

		ASSERT_EQ(0, sync_wait(FD, sh, 20000));
		EXPECT_EQ(-ETIMEDOUT, fence_status(FD, sh));
		EXPECT_LE(HANG_TIMEOUT_MS * 1000000ll, now_ns() - t0);
		ASSERT_EQ(0, sync_wait(FD, sx, 20000));
		EXPECT_EQ(1, fence_status(FD, sx));
		ASSERT_EQ(0, sync_wait(fdb, sy, 20000));
		EXPECT_EQ(1, fence_status(fdb, sy));
		/* The hung job's commands before the HANG ran; the others all did. */
		EXPECT_EQ(0x11111111u * (round + 1), *(uint32_t *)x->map);
		EXPECT_EQ(0x22222222u * (round + 1), *(uint32_t *)(x->map + 4));
		EXPECT_EQ(0x33333333u * (round + 1), *(uint32_t *)y->map);
		drmSyncobjDestroy(FD, sh);
		drmSyncobjDestroy(FD, sx);
		drmSyncobjDestroy(fdb, sy);
	}
	EXPECT_EQ(timeouts + 2, ring_counter("timeouts"));
	EXPECT_LE(resets + 2, ring_counter("resets"));
	EXPECT_EQ(0ull, ring_counter("wedged"));
	/* The engine works afterwards. */
	c[0] = c_fill(x->h, 8, 4, 0x44444444);
	EXPECT_EQ(1, run(FD, CB, c, 1, &x->h, 1));
	EXPECT_EQ(0x44444444u, *(uint32_t *)(x->map + 8));
	bo_free(fdb, y);
	cmdbuf_free(fdb, &cb2);
}

/* A STALL longer than the timeout is a hang too. */
TEST_F_TIMEOUT(ring, stall_past_timeout_times_out, 60)
{
	struct drm_ivgpu_cmd c = c_stall(5000ull * 1000 * 1000);
	uint32_t s = syncobj(FD);

	ASSERT_EQ(0, set_param("job_timeout_ms", HANG_TIMEOUT_MS));
	ASSERT_EQ(0, submit(FD, CB, &c, 1, NULL, 0, NULL, 0, s));
	ASSERT_EQ(0, sync_wait(FD, s, 4000));
	EXPECT_EQ(-ETIMEDOUT, fence_status(FD, s));
	drmSyncobjDestroy(FD, s);
}

/* ---- the driver's own use ---- */

/*
 * New objects are zeroed by the co-processor (its "clears" counter), even
 * over VRAM an earlier object left dirty; with use_coproc off, by the CPU.
 */
TEST_F(ring, new_objects_cleared_by_coproc)
{
	uint64_t clears = ring_counter("clears"), cpu = ring_counter("clears_cpu");
	struct bo *a = &self->b[0];
	int i;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, bo_new(FD, 2 * MIB, IVGPU_BO_GENERIC, 0, a));
		EXPECT_EQ(-1, bo_diff(a)) TH_LOG("round %d", i);
		memset(a->map, 0xa5, a->size);
		bo_free(FD, a);
	}
	EXPECT_LE(clears + 4, ring_counter("clears"));
	EXPECT_EQ(cpu, ring_counter("clears_cpu"));

	ASSERT_EQ(0, set_param("use_coproc", 0));
	clears = ring_counter("clears");
	ASSERT_EQ(0, bo_new(FD, 2 * MIB, IVGPU_BO_GENERIC, 0, a));
	EXPECT_EQ(-1, bo_diff(a));
	EXPECT_EQ(clears, ring_counter("clears"));
	EXPECT_EQ(cpu + 1, ring_counter("clears_cpu"));
}

/* GEM_MOVE copies with the co-processor, and waits for the object's jobs. */
TEST_F(ring, move_copies_and_waits_for_jobs)
{
	uint64_t copies = ring_counter("copies");
	struct bo *a = &self->b[0];
	struct drm_ivgpu_cmd c[2];
	uint32_t s = syncobj(FD);

	ASSERT_EQ(0, bo_new(FD, MIB, IVGPU_BO_GENERIC, 0, a));
	ref_random(a->ref, a->size, 9);
	bo_upload(a);
	ASSERT_EQ(0, ivgpu_bo_move(FD, a->h, 0, NULL));
	EXPECT_EQ(copies + 1, ring_counter("copies"));
	EXPECT_EQ(-1, bo_diff(a));

	/* The move may not take the VRAM away from under a queued job. */
	c[0] = c_stall(200 * 1000 * 1000);
	c[1] = c_fill(a->h, 0, a->size, 0x77777777);
	ASSERT_EQ(0, submit(FD, CB, c, 2, &a->h, 1, NULL, 0, s));
	ASSERT_EQ(0, ivgpu_bo_move(FD, a->h, IVGPU_MOVE_CONTIGUOUS, NULL));
	EXPECT_EQ(1, fence_status(FD, s));
	ref_fill(a->ref, a->size, 0x77777777);
	EXPECT_EQ(-1, bo_diff(a));
	drmSyncobjDestroy(FD, s);
}

/* A job holds its objects: GEM_CLOSE right after submission frees nothing early. */
TEST_F(ring, job_keeps_closed_object)
{
	struct bo *y = &self->b[1];
	struct drm_ivgpu_cmd c[2];
	uint64_t used;
	uint32_t h, s = syncobj(FD);
	int i;

	ASSERT_EQ(0, ivgpu_bo_create(FD, 4 * MIB, 0, &h));
	used = ivgpu_vram_used(FD);
	c[0] = c_stall(300 * 1000 * 1000);
	c[1] = c_fill(h, 0, 4 * MIB, 0xeeeeeeee);
	ASSERT_EQ(0, submit(FD, CB, c, 2, &h, 1, NULL, 0, s));
	ASSERT_EQ(0, ivgpu_gem_close(FD, h));
	/* Still held: its VRAM is not reused by what comes next. */
	EXPECT_EQ(used, ivgpu_vram_used(FD));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, bo_new(FD, 4 * MIB, IVGPU_BO_GENERIC, 0, y));
		ASSERT_EQ(0, sync_wait(FD, s, 10000));
		EXPECT_EQ(-1, bo_diff(y)) TH_LOG("the job wrote into a new object");
		bo_free(FD, y);
	}
	EXPECT_EQ(used - 4 * MIB, ivgpu_wait_vram_used(FD, used - 4 * MIB, 2000));
	drmSyncobjDestroy(FD, s);
}

/* ---- teardown with jobs in flight ---- */

/* @jobs jobs of 20 ms each on a 1 MiB object, the one numbered @hang hanging (-1: none). */
static void submit_busy_work(struct __test_metadata *_metadata, int fd, int jobs, int hang)
{
	struct cmdbuf cb = { 0 };
	struct drm_ivgpu_cmd c[3];
	uint32_t h;
	int i;

	ASSERT_EQ(0, cmdbuf_new(fd, PAGE, &cb));
	ASSERT_EQ(0, ivgpu_bo_create(fd, MIB, 0, &h));
	for (i = 0; i < jobs; i++) {
		c[0] = c_stall(20 * 1000 * 1000);
		c[1] = c_fill(h, 0, MIB, i);
		c[2] = i == hang ? c_hang() : c_nop();
		ASSERT_EQ(0, submit(fd, &cb, c, 3, &h, 1, NULL, 0, 0));
	}
	/* The handles go; the jobs keep the object. */
	ASSERT_EQ(0, ivgpu_gem_close(fd, h));
	munmap(cb.map, cb.size);
	ASSERT_EQ(0, ivgpu_gem_close(fd, cb.h));
}

/* close() with 20 jobs queued, one of them hanging: all of it is freed. */
TEST_F_TIMEOUT(ring, close_with_jobs_in_flight, 60)
{
	uint64_t used = ivgpu_vram_used(FD);
	int fd2 = ivgpu_open_render();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, set_param("job_timeout_ms", HANG_TIMEOUT_MS));
	submit_busy_work(_metadata, fd2, 20, 10);
	close(fd2);
	/* The teardown checks VRAM_USED, the objects and the kernel log. */
	EXPECT_EQ(used, ivgpu_wait_vram_used(FD, used, 20000));
}

/* Unbind and bind the driver with jobs in flight, then the engine works. */
TEST_F_TIMEOUT(ring, unbind_with_jobs_in_flight, 90)
{
	struct drm_ivgpu_submit s = { .cmdbuf = 1, .cmd_size = CMD };
	char path[PATH_MAX], link[PATH_MAX], *bdf;
	struct drm_ivgpu_cmd c;
	struct stat st;
	struct bo *x = &self->b[0];
	int fd2 = ivgpu_open_render();
	ssize_t n;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, fstat(fd2, &st));
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device", major(st.st_rdev),
		 minor(st.st_rdev));
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	bdf = strrchr(link, '/') + 1;

	submit_busy_work(_metadata, fd2, 20, -1);
	/* Our own files go first: unbind waits for nothing of ours. */
	cmdbuf_free(FD, CB);
	close(FD);
	self->fd = -1;
	ASSERT_EQ(0, ivgpu_write_file("/sys/bus/pci/drivers/" IVGPU_DRIVER_NAME "/unbind", bdf));
	/* The old file works no more; closing it frees the jobs' leftovers. */
	EXPECT_EQ(-ENODEV, submit_raw(fd2, &s));
	close(fd2);
	ASSERT_EQ(0, ivgpu_write_file("/sys/bus/pci/drivers/" IVGPU_DRIVER_NAME "/bind", bdf));
	self->fd = ivgpu_wait_render(10000);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, cmdbuf_new(FD, PAGE, CB));
	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	c = c_fill(x->h, 0, 4, 0x12345678);
	EXPECT_EQ(1, run(FD, CB, &c, 1, &x->h, 1));
	EXPECT_EQ(0x12345678u, *(uint32_t *)x->map);
}

/* ---- isolation ---- */

/* Each malformed submission or command gets its errno, and nothing runs. */
TEST_F(ring, bad_submissions_refused)
{
	struct bo *x = &self->b[0];
	struct drm_ivgpu_submit s;
	struct drm_ivgpu_submit_syncobj bad_s = { 0 }, in_sync = { 0 };
	uint32_t h, sync = syncobj(FD), nofence = syncobj(FD);
	struct drm_ivgpu_submit_bo bad_b[2] = { 0 };
	uint32_t i;
	uint64_t jobs;

	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	ASSERT_EQ(0, ivgpu_bo_create(FD, PAGE, 0, &h));	/* not a command buffer */
	self->cb.map[0] = c_nop();
	jobs = user_jobs();

#define S(...) (s = (struct drm_ivgpu_submit){ .cmdbuf = CB->h, .cmd_size = CMD, __VA_ARGS__ }, \
		submit_raw(FD, &s))
	EXPECT_EQ(0, S());
	EXPECT_EQ(-EINVAL, S(.flags = 1));
	EXPECT_EQ(-EINVAL, S(.pad = 1));
	EXPECT_EQ(-EINVAL, S(.cmd_size = 0));
	EXPECT_EQ(-EINVAL, S(.cmd_size = 63));
	EXPECT_EQ(-EINVAL, S(.cmd_offset = 8));
	EXPECT_EQ(-EINVAL, S(.cmd_offset = CB->size));
	EXPECT_EQ(-EINVAL, S(.cmd_offset = CB->size - CMD, .cmd_size = 2 * CMD));
	EXPECT_EQ(-EINVAL, S(.cmd_offset = ~0ull & ~(CMD - 1)));
	EXPECT_EQ(-EINVAL, S(.cmd_offset = CMD, .cmd_size = ~0ull & ~(CMD - 1)));
	EXPECT_EQ(-ENOENT, S(.cmdbuf = 0));
	EXPECT_EQ(-ENOENT, S(.cmdbuf = 0x7fffffff));
	EXPECT_EQ(-EINVAL, S(.cmdbuf = h));
	EXPECT_EQ(-EINVAL, S(.num_bos = IVGPU_SUBMIT_MAX_BOS + 1));
	EXPECT_EQ(-EINVAL, S(.num_in_syncobjs = IVGPU_SUBMIT_MAX_IN_SYNCOBJS + 1));
	EXPECT_EQ(-EFAULT, S(.num_bos = 1, .bos = 8));
	EXPECT_EQ(-EFAULT, S(.num_in_syncobjs = 1, .in_syncobjs = 8));
	bad_b[0].handle = 0xdead;
	EXPECT_EQ(-ENOENT, S(.num_bos = 1, .bos = (uintptr_t)bad_b));
	bad_b[0].handle = x->h;
	bad_b[1].handle = x->h;
	EXPECT_EQ(-EINVAL, S(.num_bos = 2, .bos = (uintptr_t)bad_b));
	bad_b[1].handle = 0;
	EXPECT_EQ(0, S(.num_bos = 1, .bos = (uintptr_t)bad_b));
	bad_b[0].flags = 1;
	EXPECT_EQ(-EINVAL, S(.num_bos = 1, .bos = (uintptr_t)bad_b));
	bad_s.handle = 0xdead;
	EXPECT_EQ(-ENOENT, S(.num_in_syncobjs = 1, .in_syncobjs = (uintptr_t)&bad_s));
	bad_s.handle = nofence;
	EXPECT_EQ(-EINVAL, S(.num_in_syncobjs = 1, .in_syncobjs = (uintptr_t)&bad_s));
	bad_s.handle = sync;
	bad_s.flags = 1;
	EXPECT_EQ(-EINVAL, S(.num_in_syncobjs = 1, .in_syncobjs = (uintptr_t)&bad_s));
	/* A binary syncobj has no timeline point. */
	bad_s.flags = 0;
	bad_s.point = 1;
	EXPECT_EQ(-EINVAL, S(.num_in_syncobjs = 1, .in_syncobjs = (uintptr_t)&bad_s));
	EXPECT_EQ(-ENOENT, S(.out_syncobj = 0xdead));
	EXPECT_EQ(0, S(.out_syncobj = sync));
	in_sync.handle = sync;
	EXPECT_EQ(0, S(.num_in_syncobjs = 1, .in_syncobjs = (uintptr_t)&in_sync));
	/* The most commands a job may hold, and one more. */
	memset(CB->map, 0, (self->max_cmds + 1) * CMD);
	EXPECT_EQ(0, S(.cmd_size = self->max_cmds * CMD));
	EXPECT_EQ(-E2BIG, S(.cmd_size = (self->max_cmds + 1) * CMD));
	/* Also when the commands emit nothing (empty FILLs): counted as given. */
	for (i = 0; i <= self->max_cmds; i++)
		CB->map[i] = c_fill(x->h, 0, 0, 0);
	bad_b[0] = (struct drm_ivgpu_submit_bo){ .handle = x->h };
	EXPECT_EQ(-E2BIG, S(.cmd_size = (self->max_cmds + 1) * CMD, .num_bos = 1,
			    .bos = (uintptr_t)bad_b));
#undef S
	EXPECT_EQ(jobs + 5, user_jobs());
	EXPECT_EQ(0, sync_wait(FD, sync, 10000));
	ivgpu_gem_close(FD, h);
	drmSyncobjDestroy(FD, sync);
	drmSyncobjDestroy(FD, nofence);
}

/* Commands that break the rules of struct drm_ivgpu_cmd: -EINVAL (or -ENOENT). */
TEST_F(ring, bad_commands_refused)
{
	struct bo *x = &self->b[0], *y = &self->b[1];
	uint32_t hs[2], other;
	struct drm_ivgpu_cmd c;
	const uint64_t big = ~0ull, sz = PAGE;
	uint64_t jobs;
	int fd2, i, ret;

	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, y));
	hs[0] = x->h;
	hs[1] = y->h;
	/* A handle this file has but did not list, and one of another file. */
	ASSERT_EQ(0, ivgpu_bo_create(FD, PAGE, 0, &other));
	fd2 = self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, fd2);
	for (i = 0; i < 8; i++) {
		uint32_t h2;

		ASSERT_EQ(0, ivgpu_bo_create(fd2, PAGE, 0, &h2));
	}
	jobs = user_jobs();

#define BAD(err, ...) do { \
	c = (struct drm_ivgpu_cmd){ __VA_ARGS__ }; \
	EXPECT_EQ(err, submit(FD, CB, &c, 1, hs, 2, NULL, 0, 0)) \
		TH_LOG("line %d", __LINE__); \
} while (0)
	/* Opcodes and flags. */
	BAD(-EINVAL, .opcode = 5);
	BAD(-EINVAL, .opcode = 8);
	BAD(-EINVAL, .opcode = 0xffffffff);
	BAD(-EINVAL, .opcode = IVGPU_OP_NOP, .flags = 1);
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = x->h, .size = 4,
	    .flags = IVGPU_CMD_CRC32_CONTINUE);
	BAD(-EINVAL, .opcode = IVGPU_OP_CRC32, .dst_handle = y->h, .src_handle = x->h,
	    .size = 4, .flags = 2);
	/* Fields the opcode does not use. */
	BAD(-EINVAL, .opcode = IVGPU_OP_NOP, .dst_handle = x->h);
	BAD(-EINVAL, .opcode = IVGPU_OP_HANG, .arg = 1);
	BAD(-EINVAL, .opcode = IVGPU_OP_STALL, .size = 1);
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = x->h, .size = 4, .src_handle = y->h);
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = x->h, .size = 4, .arg = 1ull << 32);
	BAD(-EINVAL, .opcode = IVGPU_OP_COPY, .dst_handle = x->h, .src_handle = y->h, .size = 4,
	    .arg = 1);
	BAD(-EINVAL, .opcode = IVGPU_OP_COPY, .dst_handle = x->h, .src_handle = y->h, .size = 4,
	    .dst_pitch = 4);
	BAD(-EINVAL, .opcode = IVGPU_OP_STALL, .arg = IVGPU_STALL_MAX_NS + 1);
	/* Handles: forged, not listed, another file's numbers. */
	BAD(-ENOENT, .opcode = IVGPU_OP_FILL, .dst_handle = 0, .size = 4);
	BAD(-ENOENT, .opcode = IVGPU_OP_FILL, .dst_handle = 0x7fffffff, .size = 4);
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = other, .size = 4);
	BAD(-ENOENT, .opcode = IVGPU_OP_COPY, .dst_handle = x->h, .src_handle = other + 40,
	    .size = 4);
	for (i = 1; i < 12; i++) {
		if ((uint32_t)i == x->h || (uint32_t)i == y->h)
			continue;
		c = c_fill(i, 0, 4, 0);
		ret = submit(FD, CB, &c, 1, hs, 2, NULL, 0, 0);
		EXPECT_TRUE(ret == -ENOENT || ret == -EINVAL) TH_LOG("handle %d: %d", i, ret);
	}
	/* Ranges past the end, and near 2^64. */
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = x->h, .size = sz + 1);
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = x->h, .dst_offset = 1, .size = sz);
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = x->h, .dst_offset = sz + 1);
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = x->h, .dst_offset = big, .size = 1);
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = x->h, .dst_offset = big - 3,
	    .size = 8);
	BAD(-EINVAL, .opcode = IVGPU_OP_FILL, .dst_handle = x->h, .dst_offset = 8, .size = big - 3);
	BAD(-EINVAL, .opcode = IVGPU_OP_COPY, .dst_handle = x->h, .src_handle = y->h,
	    .src_offset = big - 1, .size = 2);
	BAD(-EINVAL, .opcode = IVGPU_OP_COPY, .dst_handle = x->h, .src_handle = y->h,
	    .dst_offset = 1ull << 63, .size = 1ull << 63);
	BAD(-EINVAL, .opcode = IVGPU_OP_CRC32, .dst_handle = y->h, .dst_offset = sz - 2,
	    .src_handle = x->h, .size = 4);
	BAD(-EINVAL, .opcode = IVGPU_OP_CRC32, .dst_handle = y->h, .dst_offset = 2,
	    .src_handle = x->h, .size = 4);
	BAD(-EINVAL, .opcode = IVGPU_OP_CRC32, .dst_handle = y->h, .dst_offset = big - 3,
	    .src_handle = x->h, .size = 4);
	/* The result may not lie in the range it checksums. */
	BAD(-EINVAL, .opcode = IVGPU_OP_CRC32, .dst_handle = x->h, .dst_offset = 8,
	    .src_handle = x->h, .src_offset = 0, .size = 16);
	/* BLIT: pitches below the width, spans past the end, overflowing ones. */
	BAD(-EINVAL, .opcode = IVGPU_OP_BLIT, .dst_handle = x->h, .src_handle = y->h, .size = 64,
	    .arg = 2, .dst_pitch = 63, .src_pitch = 64);
	BAD(-EINVAL, .opcode = IVGPU_OP_BLIT, .dst_handle = x->h, .src_handle = y->h, .size = 64,
	    .arg = 65, .dst_pitch = 64, .src_pitch = 64);
	BAD(-EINVAL, .opcode = IVGPU_OP_BLIT, .dst_handle = x->h, .src_handle = y->h, .size = 1,
	    .arg = big, .dst_pitch = 1, .src_pitch = 1);
	BAD(-EINVAL, .opcode = IVGPU_OP_BLIT, .dst_handle = x->h, .src_handle = y->h, .size = 1,
	    .arg = 3, .dst_pitch = 1ull << 63, .src_pitch = 1);
	BAD(-EINVAL, .opcode = IVGPU_OP_BLIT, .dst_handle = x->h, .src_handle = y->h, .size = 16,
	    .arg = 2, .dst_pitch = big, .src_pitch = 16);
	/* Overlapping rectangles of one object with different pitches. */
	BAD(-EINVAL, .opcode = IVGPU_OP_BLIT, .dst_handle = x->h, .src_handle = x->h, .size = 16,
	    .arg = 4, .dst_pitch = 32, .src_pitch = 64, .dst_offset = 8);
#undef BAD
	/* A command after valid ones spoils the whole job. */
	{
		struct drm_ivgpu_cmd cs[3] = { c_fill(x->h, 0, 4, 9), c_nop(),
					      c_fill(x->h, 1, sz, 9) };

		EXPECT_EQ(-EINVAL, submit(FD, CB, cs, 3, hs, 2, NULL, 0, 0));
	}
	EXPECT_EQ(jobs, user_jobs());
	EXPECT_EQ(-1, bo_diff(x));
	EXPECT_EQ(-1, bo_diff(y));
	ivgpu_gem_close(FD, other);
}

/* Commands changed in the command buffer after SUBMIT: the job runs what it was given. */
TEST_F(ring, cmdbuf_changed_after_submit_is_harmless)
{
	struct bo *x = &self->b[0], *v = &self->b[1];
	struct drm_ivgpu_cmd c[2];
	uint32_t hs[2], s = syncobj(FD);

	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, v));
	hs[0] = x->h;
	hs[1] = v->h;
	c[0] = c_stall(200 * 1000 * 1000);
	c[1] = c_fill(x->h, 0, 16, 0x01010101);
	ASSERT_EQ(0, submit(FD, CB, c, 2, &x->h, 1, NULL, 0, s));
	/* While it stalls: rewrite it to fill the other object, all of it. */
	CB->map[1] = c_fill(v->h, 0, PAGE, 0xffffffff);
	CB->map[0] = c_nop();
	__sync_synchronize();
	/* And free the command buffer. */
	munmap(CB->map, CB->size);
	CB->map = NULL;
	ASSERT_EQ(0, ivgpu_gem_close(FD, CB->h));
	CB->h = 0;
	ASSERT_EQ(0, sync_wait(FD, s, 10000));
	ref_fill(x->ref, 16, 0x01010101);
	EXPECT_EQ(-1, bo_diff(x));
	EXPECT_EQ(-1, bo_diff(v));
	/* Listing both objects changes nothing either: the command names one. */
	c[0] = c_fill(x->h, 16, 16, 0x02020202);
	ASSERT_EQ(0, cmdbuf_new(FD, PAGE, CB));
	ASSERT_EQ(0, submit(FD, CB, c, 1, hs, 2, NULL, 0, s));
	CB->map[0] = c_fill(v->h, 0, PAGE, 0xffffffff);
	ASSERT_EQ(0, sync_wait(FD, s, 10000));
	ref_fill(x->ref + 16, 16, 0x02020202);
	EXPECT_EQ(-1, bo_diff(x));
	EXPECT_EQ(-1, bo_diff(v));
	drmSyncobjDestroy(FD, s);
}

/*
 * Another client fills the rest of VRAM with its objects, with a pattern
 * ivgpu-dev can check.  This client then runs every trick at the ends of
 * its own objects and the refused attacks; ivgpu-dev's check of every one
 * of the other client's objects finds every byte as it was.
 */
TEST_F_TIMEOUT(ring, no_byte_outside_own_objects_changes, 240)
{
	struct bo *a = &self->b[0], *b = &self->b[1], *sc = &self->b[2];
	struct cmdbuf vcb = { 0 };
	uint32_t *victims, hs[3];
	struct drm_ivgpu_cmd c[8];
	struct dev_check dc;
	int vfd, nv = 0, i, max = 4096;
	uint64_t chunk = 2 * MIB, size;

	/* This client's objects first: one contiguous, two scattered. */
	ASSERT_EQ(0, bo_new(FD, 3 * PAGE + 100, IVGPU_BO_GENERIC, IVGPU_BO_CONTIGUOUS, a));
	ASSERT_EQ(0, bo_new(FD, 5 * PAGE, IVGPU_BO_GENERIC, 0, b));
	ASSERT_EQ(0, bo_new_scattered(FD, 4 * HOLE, sc));
	hs[0] = a->h;
	hs[1] = b->h;
	hs[2] = sc->h;

	/* The victim takes the rest of VRAM and fills it with 0xa5 on the engine. */
	vfd = self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, vfd);
	ASSERT_EQ(0, cmdbuf_new(vfd, PAGE, &vcb));
	victims = calloc(max, sizeof(*victims));
	ASSERT_NE(NULL, victims);
	for (size = chunk; size >= PAGE; size /= 2) {
		while (nv < max && !ivgpu_bo_create(vfd, size, 0, &victims[nv])) {
			c[0] = c_fill(victims[nv], 0, size, 0xa5a5a5a5);
			ASSERT_EQ(0, submit(vfd, &vcb, c, 1, &victims[nv], 1, NULL, 0, 0));
			nv++;
		}
	}
	ASSERT_EQ(self->vram, ivgpu_vram_used(FD)) TH_LOG("VRAM not all taken");
	for (i = 0; i < nv; i++) {
		ASSERT_EQ(0, gem_wait(vfd, victims[i], now_ns() + 20000000000ll));
	}

	/* Valid commands hugging the ends of this client's objects. */
	c[0] = c_fill(a->h, 0, a->size, 0x01020304);
	c[1] = c_fill(b->h, b->size - 1, 1, 0xffffffff);
	c[2] = c_copy(b->h, 0, a->h, a->size - 7, 7);
	c[3] = c_copy(sc->h, 1, sc->h, 0, sc->size - 1);
	c[4] = c_copy(sc->h, 0, sc->h, 3, sc->size - 3);
	c[5] = c_blit(b->h, b->size - 2 * 4096 + 1, 4096, sc->h, HOLE - 5, 4100, 4095, 2);
	c[6] = c_crc(sc->h, 0, sc->size, b->h, b->size - 4, 0);
	c[7] = c_fill(sc->h, sc->size - 3, 3, 0x0a0b0c0d);
	ASSERT_EQ(1, run(FD, CB, c, 8, hs, 3));
	/* And everything refused on the way, with the victim's handle numbers too. */
	for (i = 0; i < 64; i++) {
		uint32_t h = i % 2 ? victims[i % nv] : i;

		/* The victim's numbers, unless they name one of ours here. */
		if (h == a->h || h == b->h || h == sc->h)
			h = 0x7fffffff - i;
		c[0] = c_fill(h, 0, PAGE, 0);
		c[1] = c_copy(a->h, 0, h, 0, PAGE);
		c[2] = c_fill(a->h, a->size - 4 + (i % 8), 4 + i, 0);
		c[3] = c_fill(sc->h, ~0ull - i, 2 + i, 0);
		c[4] = c_copy(sc->h, sc->size - i, b->h, 0, i + 1);
		c[5] = c_blit(b->h, 0, 4096, sc->h, 0, 4096, 4096, sc->size / 4096 + 1);
		EXPECT_NE(0, submit(FD, CB, &c[i % 6], 1, hs, 3, NULL, 0, 0))
			TH_LOG("attack %d (command %d) was accepted", i, i % 6);
	}

	/* Every victim object is still all 0xa5. */
	for (i = 0; i < nv; i++) {
		ASSERT_EQ(0, device_check(ivgpu_bo_id(vfd, victims[i]), IVGPU_CHECK_KIND_FILL, 0xa5,
					  &dc));
		ASSERT_EQ(0ull, dc.status) TH_LOG("victim %d: %llu bytes changed", i,
						  (unsigned long long)dc.mismatches);
	}
	for (i = 0; i < nv; i++)
		ivgpu_gem_close(vfd, victims[i]);
	free(victims);
	cmdbuf_free(vfd, &vcb);
}

/* Commands the kernel splits at block boundaries count after the split. */
TEST_F_TIMEOUT(ring, split_past_max_cmds_e2big, 120)
{
	struct bo *sc = &self->b[0];
	struct drm_ivgpu_cmd *c;
	uint64_t jobs, n = self->max_cmds, i;

	ASSERT_EQ(0, bo_new_scattered(FD, 4 * HOLE, sc));
	ASSERT_LT(1u, ivgpu_bo_num_blocks(FD, sc->h));
	c = calloc(n, sizeof(*c));
	ASSERT_NE(NULL, c);
	jobs = user_jobs();
	/* Each FILL crosses a boundary: two commands each. */
	for (i = 0; i < n; i++)
		c[i] = c_fill(sc->h, HOLE - 4, 8, i);
	EXPECT_EQ(-E2BIG, submit(FD, CB, c, n, &sc->h, 1, NULL, 0, 0));
	/* Half of them fit. */
	EXPECT_EQ(1, run(FD, CB, c, n / 2, &sc->h, 1));
	EXPECT_EQ(jobs + 1, user_jobs());
	free(c);
}

/*
 * rmmod right after the last file closed, with jobs still on the ring (and
 * one hanging): the engine is reset, the jobs fail and are freed, nothing
 * leaks; the reloaded driver's engine works.
 */
TEST_F_TIMEOUT(ring, rmmod_with_jobs_in_flight, 90)
{
	struct bo *x = &self->b[0];
	struct drm_ivgpu_cmd c;
	int fd2;

	if (!getenv("IVGPU_MODULE"))
		SKIP(return, "IVGPU_MODULE not set: not started by qemu/ivgpu-vm");
	fd2 = ivgpu_open_render();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, set_param("job_timeout_ms", 10000));
	/* Few enough to all be on the ring, so that close() does not wait for them. */
	submit_busy_work(_metadata, fd2, 12, 6);
	/* A file that has jobs in flight but is closed: only they remain. */
	close(fd2);
	cmdbuf_free(FD, CB);
	close(FD);
	self->fd = -1;
	ASSERT_EQ(0, syscall(SYS_delete_module, "ivgpu", O_NONBLOCK)) TH_LOG("%s",
									 strerror(errno));
	ASSERT_EQ(0, ivgpu_load_module());
	self->timeout0 = get_param("job_timeout_ms");
	self->fd = ivgpu_wait_render(10000);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, cmdbuf_new(FD, PAGE, CB));
	ASSERT_EQ(0, bo_new(FD, PAGE, IVGPU_BO_GENERIC, 0, x));
	c = c_fill(x->h, 0, 4, 0x87654321);
	EXPECT_EQ(1, run(FD, CB, &c, 1, &x->h, 1));
	EXPECT_EQ(0x87654321u, *(uint32_t *)x->map);
}

TEST_HARNESS_MAIN
