// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: each ioctl, and mmap() and the first fault of a mapping,
 * driven through every allocation that can fail on its way, one at a time.
 *
 * A task's /proc/thread-self/fail-nth = N makes the N-th fault-injection
 * check that task passes fail: failslab (kmalloc caches, radix-tree nodes),
 * fail_page_alloc (any order) and the driver's own points (fail_vram_alloc,
 * fail_kmap).  The walk sets N = 1, 2, ... before one call; when the call
 * returns with fail-nth still non-zero it passed fewer than N points and the
 * walk is over.  After every call, failed or not: the result is success or
 * an errno the call documents, everything the call made is undone (VRAM_USED,
 * the object count, the kernel-mapping counters, the lowest free file
 * descriptor and the lowest free handle are back), the object still works
 * and holds its data, and the kernel log has no report.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION (the debug kernel) booted with
 * slub_debug=A,kmalloc-*,radix_tree_node: failslab is limited to the caches
 * so marked, which keeps it away from drm_buddy's block cache (6.1's
 * drm_buddy corrupts its free list when a block allocation fails while it
 * splits; see docs/testing.md).  Skips elsewhere.
 */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>

#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PAGE IVGPU_PAGE
#define MIB IVGPU_MIB
/* Extents of the scattered object, and the size of both objects. */
#define HOLE (256 * IVGPU_KIB)
#define OBJ MIB
#define FI_KARGS "slub_debug=A,kmalloc-*,radix_tree_node"
#define FI_NTH "/proc/thread-self/fail-nth"
/* More points than any call here has: a walk that gets there never ends. */
#define FI_MAX_POINTS 1000

struct fi_setting {
	const char *path;	/* "@" stands for the ivgpu debugfs directory */
	const char *value;
	char saved[32];
	bool changed;
};

static struct fi_setting fi_settings[] = {
	/* fail-nth counts only checks that pass these filters. */
	{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/failslab/cache-filter", "Y" },
	{ "/sys/kernel/debug/failslab/verbose", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	{ "@/fail_vram_alloc/verbose", "0" },
	{ "@/fail_kmap/verbose", "0" },
	/* Off unless a test arms them (driver_points). */
	{ "@/fail_vram_alloc/probability", "0" },
	{ "@/fail_kmap/probability", "0" },
	/* Every kernel access maps anew, so each walk meets the mapping points. */
	{ "/sys/module/ivgpu/parameters/kmap_cache_limit", "0" },
};

/* What one call under test works on. */
struct fi_call {
	uint64_t size, offset, len, alignment;
	uint32_t kind, bo_flags;	/* of the object */
	uint32_t flags;			/* of the call */
	uint32_t handle;	/* the object, made by prep */
	uint32_t expect_handle;	/* the lowest free handle of self->fd */
	uint64_t id;
	int dmabuf;
	uint32_t map_id;
	void *ptr;		/* a user mapping of the object */
	uint8_t *buf;		/* user buffer of len bytes */
	uint64_t seed, seed2;
	uint64_t value;
	struct drm_ivgpu_gem_map map;
};

FIXTURE(fi) {
	IVGPU_FIXTURE_FIELDS;
	int nth_fd;
	const char *skip;
	char skip_buf[256];
	/* The scattered layout: a filler object and 1 MiB objects between holes. */
	uint32_t filler, wall[16];
	int walls;
	struct fi_call c;
	int total;
};

#define META struct __test_metadata *_metadata
#define SELF FIXTURE_DATA(fi) *self

static void setting_path(const struct fi_setting *s, const char *dri, char *path, size_t len)
{
	if (s->path[0] == '@')
		snprintf(path, len, "%s%s", dri, s->path + 1);
	else
		snprintf(path, len, "%s", s->path);
}

/* The first character of a small sysfs/debugfs file, or 0. */
static char first_char(const char *path)
{
	char buf[32];

	return ivgpu_read_file(path, buf, sizeof(buf)) > 0 ? buf[0] : 0;
}

FIXTURE_SETUP(fi)
{
	char dri[512], path[700];
	unsigned int i;

	IVGPU_FIXTURE_SETUP();
	self->nth_fd = -1;
	self->c.dmabuf = -1;

	if (access(FI_NTH, F_OK)) {
		self->skip = "kernel without CONFIG_FAULT_INJECTION (no " FI_NTH
			     "): run on the debug kernel";
		return;
	}
	if (access("/sys/kernel/debug/failslab", F_OK) ||
	    access("/sys/kernel/debug/fail_page_alloc", F_OK)) {
		self->skip = "no failslab or fail_page_alloc in debugfs";
		return;
	}
	if (first_char("/sys/kernel/slab/kmalloc-64/failslab") != '1' ||
	    first_char("/sys/kernel/slab/radix_tree_node/failslab") != '1') {
		self->skip = "kmalloc caches not marked for failslab: boot with " FI_KARGS;
		return;
	}
	/* Merged into a marked cache, drm_buddy's blocks would fail too. */
	ASSERT_EQ('0', first_char("/sys/kernel/slab/drm_buddy_block/failslab"))
		TH_LOG("drm_buddy_block must not be marked for failslab (6.1 drm_buddy bug)");

	ASSERT_EQ(0, ivgpu_debugfs_dir(dri, sizeof(dri)));
	snprintf(path, sizeof(path), "%s/fail_vram_alloc", dri);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("the driver has no %s", path);
	snprintf(path, sizeof(path), "%s/fail_kmap", dri);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("the driver has no %s", path);

	for (i = 0; i < IVGPU_ARRAY_SIZE(fi_settings); i++) {
		struct fi_setting *s = &fi_settings[i];

		setting_path(s, dri, path, sizeof(path));
		ASSERT_LT(0, ivgpu_read_file(path, s->saved, sizeof(s->saved)))
			TH_LOG("%s unreadable", path);
		s->saved[strcspn(s->saved, "\n")] = '\0';
		ASSERT_EQ(0, ivgpu_write_file(path, s->value)) TH_LOG("cannot set %s", path);
		s->changed = true;
	}

	self->nth_fd = open(FI_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth_fd);
}

FIXTURE_TEARDOWN(fi)
{
	char dri[512], path[700];
	unsigned int i;

	/* An ASSERT that failed left this set: it would fire our first EXPECT's log. */
	_metadata->trigger = 0;
	if (self->nth_fd >= 0) {
		pwrite(self->nth_fd, "0", 1, 0);
		close(self->nth_fd);
	}
	if (self->c.dmabuf >= 0)
		close(self->c.dmabuf);
	if (ivgpu_debugfs_dir(dri, sizeof(dri)))
		dri[0] = '\0';
	for (i = 0; i < IVGPU_ARRAY_SIZE(fi_settings); i++) {
		struct fi_setting *s = &fi_settings[i];

		if (!s->changed)
			continue;
		setting_path(s, dri, path, sizeof(path));
		EXPECT_EQ(0, ivgpu_write_file(path, s->saved))
			TH_LOG("cannot restore %s to '%s'", path, s->saved);
	}
	IVGPU_FIXTURE_TEARDOWN();
}

#define FI_BEGIN() do { \
	if (self->skip) \
		SKIP(return, "%s", self->skip); \
} while (0)

/* ---- the walk ---- */

static void fi_arm(SELF, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	pwrite(self->nth_fd, buf, len, 0);
}

/* Stop injecting; returns what was left of fail-nth (0: the point was reached). */
static unsigned int fi_disarm(SELF)
{
	char buf[16] = "";
	ssize_t n = pread(self->nth_fd, buf, sizeof(buf) - 1, 0);

	pwrite(self->nth_fd, "0", 1, 0);
	return n > 0 ? strtoul(buf, NULL, 10) : UINT_MAX;
}

static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

struct fi_op {
	const char *name;
	/* Failures an injected point may cause besides -ENOMEM. */
	int also;
	/* Before arming, nothing injected: make what the call works on. */
	void (*prep)(META, SELF, struct fi_call *c);
	/* The one call under test: 0 or -errno. */
	int (*call)(SELF, struct fi_call *c);
	/* After, nothing injected: check the outcome and undo the prep. */
	void (*check)(META, SELF, struct fi_call *c, int ret);
};

static void fi_walk(META, SELF, const struct fi_op *op)
{
	uint64_t used0 = ivgpu_vram_used(self->fd);
	int objects0 = ivgpu_object_count();
	struct ivgpu_kmap_stats k0 = ivgpu_kmap_stats(), k;
	int fd0 = lowest_free_fd();
	int n, failed = 0, absorbed = 0;
	struct fi_call *c = &self->c;
	time_t t0 = time(NULL);

	for (n = 1; ; n++) {
		unsigned long long seq;
		unsigned int left;
		int ret;

		ASSERT_GT(FI_MAX_POINTS, n) TH_LOG("%s: no end to the injection points", op->name);
		ASSERT_LE(0, ivgpu_kmsg_reports(~0ULL, &seq));
		if (op->prep)
			op->prep(_metadata, self, c);

		fi_arm(self, n);
		ret = op->call(self, c);
		left = fi_disarm(self);

		if (left) {
			/* Fewer than n points: every one of them has been failed. */
			ASSERT_EQ(0, ret)
				TH_LOG("%s: %s with nothing injected", op->name, strerror(-ret));
		} else if (!ret) {
			absorbed++;
		} else {
			ASSERT_TRUE(ret == -ENOMEM || (op->also && ret == op->also))
				TH_LOG("%s: failure point %d gave %d (%s)", op->name, n, ret,
				       strerror(-ret));
			failed++;
		}
		op->check(_metadata, self, c, ret);

		ASSERT_EQ(used0, ivgpu_vram_used(self->fd))
			TH_LOG("%s: point %d (%s): VRAM_USED not back", op->name, n,
			       strerror(-ret));
		ASSERT_EQ(objects0, ivgpu_object_count())
			TH_LOG("%s: point %d (%s): object count not back", op->name, n,
			       strerror(-ret));
		k = ivgpu_kmap_stats();
		ASSERT_EQ(k0.live, k.live)
			TH_LOG("%s: point %d: kernel mappings left", op->name, n);
		ASSERT_EQ(k0.in_use, k.in_use)
			TH_LOG("%s: point %d: kernel mappings in use left", op->name, n);
		ASSERT_EQ(fd0, lowest_free_fd())
			TH_LOG("%s: point %d: a file descriptor left open", op->name, n);
		ASSERT_EQ(0, ivgpu_kmsg_reports(seq, NULL))
			TH_LOG("%s: point %d: kernel report", op->name, n);
		if (left)
			break;
	}
	printf("# %-28s %3d injection points: %3d failed the call, %3d absorbed (%lld s)\n",
	       op->name, n - 1, failed, absorbed, (long long)(time(NULL) - t0));
	self->total += n - 1;
}

/* ---- objects and their contents ---- */

static uint32_t make_bo(META, SELF, struct fi_call *c)
{
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, c->size, c->alignment, c->kind, c->bo_flags,
					  &h, NULL));
	return h;
}

/*
 * Data is written and checked through a user mapping, not pread/pwrite:
 * the kernel mappings that those make would be the ones under test.
 */
static void expect_pattern(META, SELF, uint32_t h, uint64_t size, uint64_t seed)
{
	void *p = ivgpu_bo_mmap(self->fd, h, size);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, ivgpu_check(p, size, seed));
	ASSERT_EQ(0, munmap(p, size));
}

static void fill_pattern(META, SELF, uint32_t h, uint64_t size, uint64_t seed)
{
	void *p = ivgpu_bo_mmap(self->fd, h, size);

	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, seed);
	ASSERT_EQ(0, munmap(p, size));
}

/* A new object, with a pattern when the CPU can reach VRAM. */
static void prep_bo(META, SELF, struct fi_call *c)
{
	c->handle = make_bo(_metadata, self, c);
	c->id = ivgpu_bo_id(self->fd, c->handle);
	fill_pattern(_metadata, self, c->handle, c->size, c->seed);
}

static void close_bo(META, SELF, struct fi_call *c)
{
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, c->handle));
}

/* The object is intact: its data, and it still works. */
static void check_bo_and_close(META, SELF, struct fi_call *c)
{
	struct drm_ivgpu_gem_info info;

	ASSERT_EQ(0, ivgpu_bo_info(self->fd, c->handle, &info));
	EXPECT_EQ(c->id, info.id);
	EXPECT_EQ(c->size, info.size);
	expect_pattern(_metadata, self, c->handle, c->size, c->seed);
	close_bo(_metadata, self, c);
}

/* The lowest free handle of self->fd, found by making an object. */
static uint32_t lowest_free_handle(META, SELF)
{
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, PAGE, 0, &h));
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h));
	return h;
}

/* ---- GEM_CREATE and GEM_MAP with CREATE ---- */

static int call_create(SELF, struct fi_call *c)
{
	struct drm_ivgpu_gem_create cr = {
		.size = c->size, .alignment = c->alignment, .kind = c->kind, .flags = c->bo_flags,
	};

	if (ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_CREATE, &cr))
		return -errno;
	c->handle = cr.handle;
	return 0;
}

/* A new object (@ret 0) is whole; after a failure no handle is left behind. */
static void check_created(META, SELF, struct fi_call *c, int ret)
{
	struct drm_ivgpu_gem_info info;
	void *p;

	if (ret) {
		EXPECT_EQ(-ENOENT, ivgpu_bo_info(self->fd, c->expect_handle, &info))
			TH_LOG("a failed create left handle %u", c->expect_handle);
		return;
	}
	ASSERT_EQ(c->expect_handle, c->handle);
	ASSERT_EQ(0, ivgpu_bo_info(self->fd, c->handle, &info));
	EXPECT_EQ(c->size, info.size);
	EXPECT_EQ(c->kind, info.kind);
	if (c->bo_flags & IVGPU_BO_CONTIGUOUS || c->kind == IVGPU_BO_FRAMEBUFFER)
		EXPECT_EQ(1, info.num_blocks);
	if (c->value)
		EXPECT_LT(1, info.num_blocks) TH_LOG("not scattered");
	p = ivgpu_bo_mmap(self->fd, c->handle, c->size);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, ivgpu_check_zero(p, c->size)) TH_LOG("new object not zero");
	ASSERT_EQ(0, munmap(p, c->size));
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, c->handle));
}

static const struct fi_op op_create = {
	.name = "GEM_CREATE", .also = -ENOSPC,
	.call = call_create, .check = check_created,
};

static void walk_create(META, SELF, const char *name, uint64_t size, uint64_t alignment,
			uint32_t kind, uint32_t flags)
{
	struct fi_op op = op_create;
	struct fi_call *c = &self->c;

	c->size = size;
	c->alignment = alignment;
	c->kind = kind;
	c->bo_flags = flags;
	c->expect_handle = lowest_free_handle(_metadata, self);
	op.name = name;
	fi_walk(_metadata, self, &op);
}

static int call_map_create(SELF, struct fi_call *c)
{
	memset(&c->map, 0, sizeof(c->map));
	c->map.flags = IVGPU_MAP_CREATE | c->flags;
	c->map.create_size = c->size;
	if (ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MAP, &c->map))
		return -errno;
	c->handle = c->map.handle;
	return 0;
}

static void check_map_created(META, SELF, struct fi_call *c, int ret)
{
	struct drm_ivgpu_gem_info info;

	if (ret) {
		EXPECT_EQ(-ENOENT, ivgpu_bo_info(self->fd, c->expect_handle, &info))
			TH_LOG("a failed create-and-map left handle %u", c->expect_handle);
		return;
	}
	ASSERT_EQ(c->expect_handle, c->handle);
	if (c->flags & IVGPU_MAP_KERNEL) {
		EXPECT_EQ(1, c->map.map_id);
		ASSERT_EQ(0, ivgpu_kunmap(self->fd, c->map.map_id));
	} else {
		volatile uint64_t *p = (void *)(uintptr_t)c->map.addr;

		EXPECT_EQ(0, p[0]);
		p[0] = 42;
		ASSERT_EQ(0, munmap((void *)p, c->size));
	}
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, c->handle));
}

/* ---- calls on an existing object ---- */

static int call_info(SELF, struct fi_call *c)
{
	struct drm_ivgpu_gem_info info = { .handle = c->handle };

	if (ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_INFO, &info))
		return -errno;
	c->value = info.id;
	return 0;
}

static void check_info(META, SELF, struct fi_call *c, int ret)
{
	if (!ret)
		EXPECT_EQ(c->id, c->value);
	check_bo_and_close(_metadata, self, c);
}

static int call_mmap_offset(SELF, struct fi_call *c)
{
	struct drm_ivgpu_gem_mmap_offset mo = { .handle = c->handle };

	if (ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &mo))
		return -errno;
	c->value = mo.offset;
	return 0;
}

static void check_mmap_offset(META, SELF, struct fi_call *c, int ret)
{
	if (!ret)
		EXPECT_TRUE(c->value && !(c->value % PAGE));
	check_bo_and_close(_metadata, self, c);
}

static int call_revoke(SELF, struct fi_call *c)
{
	struct drm_ivgpu_gem_revoke r = { .handle = c->handle };

	return ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_REVOKE, &r) ? -errno : 0;
}

static void check_plain(META, SELF, struct fi_call *c, int ret)
{
	check_bo_and_close(_metadata, self, c);
}

static int call_get_param(SELF, struct fi_call *c)
{
	struct drm_ivgpu_get_param gp = { .param = IVGPU_PARAM_VRAM_USED };

	if (ioctl(self->fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp))
		return -errno;
	c->value = gp.value;
	return 0;
}

static void check_get_param(META, SELF, struct fi_call *c, int ret)
{
	if (!ret)
		EXPECT_EQ(ivgpu_vram_used(self->fd), c->value);
	check_bo_and_close(_metadata, self, c);
}

static int call_rw(SELF, struct fi_call *c, unsigned long req)
{
	struct drm_ivgpu_gem_rw rw = {
		.handle = c->handle, .offset = c->offset, .size = c->len,
		.data_ptr = (uintptr_t)c->buf,
	};

	return ioctl(self->fd, req, &rw) ? -errno : 0;
}

static int call_pread(SELF, struct fi_call *c)
{
	return call_rw(self, c, DRM_IOCTL_IVGPU_GEM_PREAD);
}

static void check_pread(META, SELF, struct fi_call *c, int ret)
{
	uint64_t i;

	if (!ret) {
		/* Braces: an ASSERT ends in a loop of its own. */
		for (i = 0; i < c->len / 8; i++) {
			ASSERT_EQ(ivgpu_pattern(c->seed, c->offset / 8 + i), ((uint64_t *)c->buf)[i])
				TH_LOG("pread: word %llu", (unsigned long long)i);
		}
	}
	check_bo_and_close(_metadata, self, c);
}

static void prep_pwrite(META, SELF, struct fi_call *c)
{
	uint64_t i;

	prep_bo(_metadata, self, c);
	for (i = 0; i < c->len / 8; i++)
		((uint64_t *)c->buf)[i] = ivgpu_pattern(c->seed2, c->offset / 8 + i);
}

static int call_pwrite(SELF, struct fi_call *c)
{
	return call_rw(self, c, DRM_IOCTL_IVGPU_GEM_PWRITE);
}

/*
 * A pwrite copies in chunks: after a failure each word holds the old or
 * the new pattern, and nothing outside the range changed.
 */
static void check_pwrite(META, SELF, struct fi_call *c, int ret)
{
	uint64_t i, first = c->offset / 8, end = (c->offset + c->len) / 8;
	volatile uint64_t *b;

	b = ivgpu_bo_mmap(self->fd, c->handle, c->size);
	ASSERT_NE(MAP_FAILED, b);
	for (i = 0; i < c->size / 8; i++) {
		bool in = i >= first && i < end;

		if (b[i] == ivgpu_pattern(in ? c->seed2 : c->seed, i))
			continue;
		ASSERT_TRUE(ret && in && b[i] == ivgpu_pattern(c->seed, i))
			TH_LOG("pwrite (%d): word %llu is neither old nor new", ret,
			       (unsigned long long)i);
	}
	ASSERT_EQ(0, munmap((void *)b, c->size));
	/* The object still takes writes. */
	fill_pattern(_metadata, self, c->handle, c->size, c->seed);
	check_bo_and_close(_metadata, self, c);
}

static void prep_move(META, SELF, struct fi_call *c)
{
	prep_bo(_metadata, self, c);
	c->ptr = ivgpu_bo_mmap(self->fd, c->handle, c->size);
	ASSERT_NE(MAP_FAILED, c->ptr);
	/* Faulted in, so the move has entries to zap. */
	ASSERT_EQ(ivgpu_pattern(c->seed, 0), *(volatile uint64_t *)c->ptr);
}

static int call_move(SELF, struct fi_call *c)
{
	struct drm_ivgpu_gem_move m = { .handle = c->handle, .flags = c->flags };

	if (ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MOVE, &m))
		return -errno;
	c->value = m.num_blocks;
	return 0;
}

/* Moved or not, the mapping and pread see the data. */
static void check_move(META, SELF, struct fi_call *c, int ret)
{
	EXPECT_EQ(-1, ivgpu_check(c->ptr, c->size, c->seed))
		TH_LOG("move (%d): the mapping lost the data", ret);
	ASSERT_EQ(0, munmap(c->ptr, c->size));
	if (!ret && c->flags & IVGPU_MOVE_CONTIGUOUS)
		EXPECT_EQ(1, c->value);
	check_bo_and_close(_metadata, self, c);
}

static int call_kmap(SELF, struct fi_call *c)
{
	memset(&c->map, 0, sizeof(c->map));
	c->map.handle = c->handle;
	c->map.flags = c->flags;
	c->map.offset = c->offset;
	c->map.size = c->len;
	return ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MAP, &c->map) ? -errno : 0;
}

/*
 * A kernel mapping gets id 1, the lowest (so a failure left no id
 * reserved); a user mapping shows the data.
 */
static void check_kmap(META, SELF, struct fi_call *c, int ret)
{
	uint32_t id;

	if (c->flags & IVGPU_MAP_KERNEL) {
		if (ret) {
			ASSERT_EQ(0, ivgpu_kmap(self->fd, c->handle, c->offset, c->len, &id, NULL));
			EXPECT_EQ(1, id) TH_LOG("a failed GEM_MAP kept a map id");
			ASSERT_EQ(0, ivgpu_kunmap(self->fd, id));
		} else {
			EXPECT_EQ(1, c->map.map_id);
			ASSERT_EQ(0, ivgpu_kunmap(self->fd, c->map.map_id));
		}
	}
	if (c->flags & IVGPU_MAP_USER && !ret) {
		void *p = (void *)(uintptr_t)c->map.addr;
		uint64_t i;

		for (i = 0; i < c->len / 8; i += 512) {
			ASSERT_EQ(ivgpu_pattern(c->seed, c->offset / 8 + i),
				  ((volatile uint64_t *)p)[i]);
		}
		ASSERT_EQ(0, munmap(p, c->len));
	}
	check_bo_and_close(_metadata, self, c);
}

static void prep_unmap(META, SELF, struct fi_call *c)
{
	prep_bo(_metadata, self, c);
	ASSERT_EQ(0, ivgpu_kmap(self->fd, c->handle, 0, c->size, &c->map_id, NULL));
}

static int call_unmap(SELF, struct fi_call *c)
{
	struct drm_ivgpu_gem_unmap u = { .map_id = c->map_id };

	return ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_UNMAP, &u) ? -errno : 0;
}

static int call_close(SELF, struct fi_call *c)
{
	struct drm_gem_close gc = { .handle = c->handle };

	return ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &gc) ? -errno : 0;
}

static void check_close(META, SELF, struct fi_call *c, int ret)
{
	if (ret)
		close_bo(_metadata, self, c);
	else
		EXPECT_EQ(-ENOENT, ivgpu_bo_info(self->fd, c->handle, &(struct drm_ivgpu_gem_info){}));
}

static int call_export(SELF, struct fi_call *c)
{
	struct drm_prime_handle ph = { .handle = c->handle, .flags = DRM_CLOEXEC | DRM_RDWR };

	if (ioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph))
		return -errno;
	c->dmabuf = ph.fd;
	return 0;
}

static int import(int fd, int dmabuf, uint32_t *h)
{
	struct drm_prime_handle ph = { .fd = dmabuf };

	if (ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph))
		return -errno;
	*h = ph.handle;
	return 0;
}

/* An export that worked gives the object to another file; one that failed can be redone. */
static void check_export(META, SELF, struct fi_call *c, int ret)
{
	uint32_t h2 = 0;

	if (ret)
		ASSERT_EQ(0, call_export(self, c));
	ASSERT_EQ(0, import(self->fd2, c->dmabuf, &h2));
	EXPECT_EQ(1, h2);
	EXPECT_EQ(c->id, ivgpu_bo_id(self->fd2, h2));
	ASSERT_EQ(0, ivgpu_gem_close(self->fd2, h2));
	close(c->dmabuf);
	c->dmabuf = -1;
	check_bo_and_close(_metadata, self, c);
}

static void prep_import(META, SELF, struct fi_call *c)
{
	prep_bo(_metadata, self, c);
	ASSERT_EQ(0, call_export(self, c));
}

static int call_import(SELF, struct fi_call *c)
{
	return import(self->fd2, c->dmabuf, &c->map_id);
}

/* The importer got handle 1 (none was left behind by a failure) for the same object. */
static void check_import(META, SELF, struct fi_call *c, int ret)
{
	struct drm_ivgpu_gem_info info;

	if (ret) {
		EXPECT_EQ(-ENOENT, ivgpu_bo_info(self->fd2, 1, &info))
			TH_LOG("a failed import left a handle");
		ASSERT_EQ(0, call_import(self, c));
	}
	EXPECT_EQ(1, c->map_id);
	EXPECT_EQ(c->id, ivgpu_bo_id(self->fd2, c->map_id));
	ASSERT_EQ(0, ivgpu_gem_close(self->fd2, c->map_id));
	close(c->dmabuf);
	c->dmabuf = -1;
	check_bo_and_close(_metadata, self, c);
}

static int call_self_import(SELF, struct fi_call *c)
{
	return import(self->fd, c->dmabuf, &c->map_id);
}

static void check_self_import(META, SELF, struct fi_call *c, int ret)
{
	if (!ret)
		EXPECT_EQ(c->handle, c->map_id);
	close(c->dmabuf);
	c->dmabuf = -1;
	check_bo_and_close(_metadata, self, c);
}

static void prep_mmap(META, SELF, struct fi_call *c)
{
	prep_bo(_metadata, self, c);
	ASSERT_EQ(0, ivgpu_mmap_offset(self->fd, c->handle, &c->value));
}

static int call_mmap(SELF, struct fi_call *c)
{
	c->ptr = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, c->value);
	return c->ptr == MAP_FAILED ? -errno : 0;
}

static void check_mmap(META, SELF, struct fi_call *c, int ret)
{
	if (!ret) {
		EXPECT_EQ(ivgpu_pattern(c->seed, 0), *(volatile uint64_t *)c->ptr);
		ASSERT_EQ(0, munmap(c->ptr, c->size));
	}
	check_bo_and_close(_metadata, self, c);
}

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
/* Far from anything else, so the fault also allocates page tables. */
#define FI_FAR_ADDR ((void *)0x600000000000ull)

static void prep_fault(META, SELF, struct fi_call *c)
{
	uint64_t fake;

	prep_bo(_metadata, self, c);
	ASSERT_EQ(0, ivgpu_mmap_offset(self->fd, c->handle, &fake));
	c->ptr = mmap(FI_FAR_ADDR, c->size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_FIXED_NOREPLACE, self->fd, fake);
	ASSERT_EQ(FI_FAR_ADDR, c->ptr);
}

/* The first touch of a mapping: no system call, a page fault. */
static int call_fault(SELF, struct fi_call *c)
{
	c->value = ((volatile uint64_t *)c->ptr)[c->offset / 8];
	return 0;
}

static void check_fault(META, SELF, struct fi_call *c, int ret)
{
	EXPECT_EQ(ivgpu_pattern(c->seed, c->offset / 8), c->value);
	ASSERT_EQ(0, munmap(c->ptr, c->size));
	check_bo_and_close(_metadata, self, c);
}

/* ---- the tests ---- */

/* Which object a call is tried on. */
enum { BOTH, ONE_EXTENT, SCATTERED };

static void object_ops(META, SELF, const char *what, int layout)
{
	struct fi_call *c = &self->c;
	char name[64];
	const struct {
		const char *name;
		int layout, also;
		uint32_t flags;
		uint64_t offset, len;
		void (*prep)(META, SELF, struct fi_call *c);
		int (*call)(SELF, struct fi_call *c);
		void (*check)(META, SELF, struct fi_call *c, int ret);
	} ops[] = {
		{ "GET_PARAM", BOTH, 0, 0, 0, 0, prep_bo, call_get_param, check_get_param },
		{ "GEM_INFO", BOTH, 0, 0, 0, 0, prep_bo, call_info, check_info },
		{ "GEM_MMAP_OFFSET", BOTH, 0, 0, 0, 0, prep_bo, call_mmap_offset,
		  check_mmap_offset },
		{ "GEM_REVOKE", BOTH, 0, 0, 0, 0, prep_bo, call_revoke, check_plain },
		{ "GEM_PREAD", BOTH, 0, 0, 60 * IVGPU_KIB + 8, 200 * IVGPU_KIB, prep_bo,
		  call_pread, check_pread },
		{ "GEM_PREAD across", SCATTERED, 0, 0, HOLE - 8 * IVGPU_KIB, 16 * IVGPU_KIB,
		  prep_bo, call_pread, check_pread },
		{ "GEM_PWRITE", BOTH, 0, 0, 60 * IVGPU_KIB + 8, 200 * IVGPU_KIB, prep_pwrite,
		  call_pwrite, check_pwrite },
		{ "GEM_PWRITE across", SCATTERED, 0, 0, HOLE - 8 * IVGPU_KIB, 16 * IVGPU_KIB,
		  prep_pwrite, call_pwrite, check_pwrite },
		{ "GEM_MOVE", BOTH, -ENOSPC, 0, 0, 0, prep_move, call_move, check_move },
		{ "GEM_MOVE contiguous", ONE_EXTENT, -ENOSPC, IVGPU_MOVE_CONTIGUOUS, 0, 0,
		  prep_move, call_move, check_move },
		{ "GEM_MAP kernel", BOTH, 0, IVGPU_MAP_KERNEL, 0, 0, prep_bo, call_kmap,
		  check_kmap },
		{ "GEM_MAP kernel range", BOTH, 0, IVGPU_MAP_KERNEL, HOLE - PAGE, 2 * PAGE,
		  prep_bo, call_kmap, check_kmap },
		{ "GEM_MAP user", BOTH, 0, IVGPU_MAP_USER, 0, 0, prep_bo, call_kmap,
		  check_kmap },
		{ "GEM_UNMAP", BOTH, 0, 0, 0, 0, prep_unmap, call_unmap, check_plain },
		{ "PRIME_HANDLE_TO_FD", BOTH, 0, 0, 0, 0, prep_bo, call_export, check_export },
		{ "PRIME_FD_TO_HANDLE", BOTH, 0, 0, 0, 0, prep_import, call_import,
		  check_import },
		{ "PRIME_FD_TO_HANDLE self", BOTH, 0, 0, 0, 0, prep_import, call_self_import,
		  check_self_import },
		{ "GEM_CLOSE", BOTH, 0, 0, 0, 0, prep_bo, call_close, check_close },
		{ "mmap", BOTH, 0, 0, 0, 0, prep_mmap, call_mmap, check_mmap },
		{ "first fault", BOTH, 0, 0, OBJ / 2 + 8 * PAGE, 8, prep_fault, call_fault,
		  check_fault },
	};
	unsigned int i;

	if (self->fd2 < 0)
		self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);
	c->buf = malloc(c->size);
	ASSERT_NE(NULL, c->buf);

	for (i = 0; i < IVGPU_ARRAY_SIZE(ops); i++) {
		struct fi_op op = {
			.name = name, .also = ops[i].also, .prep = ops[i].prep,
			.call = ops[i].call, .check = ops[i].check,
		};

		if (ops[i].layout != BOTH && ops[i].layout != layout)
			continue;
		c->flags = ops[i].flags;
		c->offset = ops[i].offset;
		c->len = ops[i].len ? ops[i].len : c->size - c->offset;
		c->seed2 = c->seed + 1000;
		snprintf(name, sizeof(name), "%s %s", ops[i].name, what);
		fi_walk(_metadata, self, &op);
	}
	free(c->buf);
	c->buf = NULL;
}

/*
 * A scattered layout: a filler object takes all the free VRAM but 4 MiB
 * (the co-processor's ring, if any, holds some already), 16 objects of
 * 256 KiB take the rest, and every other one goes: 8 holes of 256 KiB with
 * no two side by side.  A 1 MiB object is then 4 extents, and so is the
 * place a move takes it to.
 */
static void make_holes(META, SELF)
{
	struct fi_call c = { .size = self->vram - ivgpu_vram_used(self->fd) - 16 * HOLE };
	int i;

	self->filler = make_bo(_metadata, self, &c);
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, ivgpu_bo_create(self->fd, HOLE, 0, &self->wall[i]));
	}
	ASSERT_EQ(self->vram, ivgpu_vram_used(self->fd));
	for (i = 1; i < 16; i += 2) {
		ASSERT_EQ(0, ivgpu_gem_close(self->fd, self->wall[i]));
	}
}

TEST_F_TIMEOUT(fi, gem_create, 600)
{
	FI_BEGIN();
	walk_create(_metadata, self, "GEM_CREATE generic 1M", MIB, 0, IVGPU_BO_GENERIC, 0);
	walk_create(_metadata, self, "GEM_CREATE generic 3M+4K", 3 * MIB + PAGE, 0,
		    IVGPU_BO_GENERIC, 0);
	walk_create(_metadata, self, "GEM_CREATE contiguous 2M+4K", 2 * MIB + PAGE, 0,
		    IVGPU_BO_GENERIC, IVGPU_BO_CONTIGUOUS);
	walk_create(_metadata, self, "GEM_CREATE aligned 1M", MIB, MIB, IVGPU_BO_GENERIC, 0);
	walk_create(_metadata, self, "GEM_CREATE framebuffer", 600 * IVGPU_KIB, 0,
		    IVGPU_BO_FRAMEBUFFER, 0);
	walk_create(_metadata, self, "GEM_CREATE cmdbuf", 64 * IVGPU_KIB, 0, IVGPU_BO_CMDBUF, 0);
	printf("# %d injection points in all\n", self->total);
}

TEST_F_TIMEOUT(fi, gem_map_create, 600)
{
	struct fi_op op = {
		.also = -ENOSPC, .call = call_map_create, .check = check_map_created,
	};

	FI_BEGIN();
	self->c.size = MIB;
	self->c.expect_handle = lowest_free_handle(_metadata, self);
	self->c.flags = IVGPU_MAP_KERNEL;
	op.name = "GEM_MAP CREATE kernel";
	fi_walk(_metadata, self, &op);
	self->c.flags = IVGPU_MAP_USER;
	op.name = "GEM_MAP CREATE user";
	fi_walk(_metadata, self, &op);
	printf("# %d injection points in all\n", self->total);
}

TEST_F_TIMEOUT(fi, object_ioctls, 900)
{
	FI_BEGIN();
	self->c.size = OBJ;
	self->c.bo_flags = 0;
	self->c.kind = IVGPU_BO_GENERIC;
	self->c.seed = 7;
	/* One block, so every kernel mapping is one ioremap. */
	self->c.alignment = OBJ;
	object_ops(_metadata, self, "(1 extent)", ONE_EXTENT);
	printf("# %d injection points in all\n", self->total);
}

TEST_F_TIMEOUT(fi, scattered, 900)
{
	struct fi_call *c = &self->c;
	int i;

	FI_BEGIN();
	make_holes(_metadata, self);

	c->value = 1;	/* check_created: must be scattered */
	walk_create(_metadata, self, "GEM_CREATE scattered 1M", OBJ, 0, IVGPU_BO_GENERIC, 0);
	c->value = 0;

	/* Every kernel mapping crosses extents: vmap_pfn. */
	c->size = OBJ;
	c->alignment = 0;
	c->kind = IVGPU_BO_GENERIC;
	c->bo_flags = 0;
	c->seed = 11;
	object_ops(_metadata, self, "(4 extents)", SCATTERED);

	for (i = 0; i < 16; i += 2) {
		ASSERT_EQ(0, ivgpu_gem_close(self->fd, self->wall[i]));
	}
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, self->filler));
	printf("# %d injection points in all\n", self->total);
}

/*
 * Arm one driver point for exactly one failure: the next call that
 * reaches it fails, and only that one.
 */
static void arm_once(META, const char *point)
{
	char dri[512], path[700];

	ASSERT_EQ(0, ivgpu_debugfs_dir(dri, sizeof(dri)));
	snprintf(path, sizeof(path), "%s/%s/times", dri, point);
	ASSERT_EQ(0, ivgpu_write_file(path, "1"));
	snprintf(path, sizeof(path), "%s/%s/probability", dri, point);
	ASSERT_EQ(0, ivgpu_write_file(path, "100"));
}

/*
 * The driver's own points are reached by the paths they guard: armed
 * directly (not through fail-nth), VRAM allocation fails with ENOSPC and a
 * kernel mapping with ENOMEM, once, and the retry succeeds.
 */
TEST_F(fi, driver_points)
{
	uint64_t used = ivgpu_vram_used(self->fd);
	uint32_t h, h2, map_id;
	uint8_t buf[64];
	int ret;

	FI_BEGIN();
	arm_once(_metadata, "fail_vram_alloc");
	ASSERT_EQ(-ENOSPC, ivgpu_bo_create(self->fd, MIB, 0, &h));
	ASSERT_EQ(used, ivgpu_vram_used(self->fd));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, MIB, 0, &h));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, MIB, 0, &h2));

	/* kmap_cache_limit is 0: each access maps anew. */
	arm_once(_metadata, "fail_kmap");
	ASSERT_EQ(-ENOMEM, ivgpu_kmap(self->fd, h, 0, MIB, &map_id, NULL));
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h, 0, MIB, &map_id, NULL));
	ASSERT_EQ(0, ivgpu_kunmap(self->fd, map_id));
	arm_once(_metadata, "fail_kmap");
	ASSERT_EQ(-ENOMEM, ivgpu_bo_pread(self->fd, h, 0, buf, sizeof(buf)));
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 0, buf, sizeof(buf)));
	/*
	 * A move copies through kernel mappings too, when the CPU copies (with
	 * a co-processor, only if use_coproc is off).
	 */
	ASSERT_EQ(0, ivgpu_use_coproc(false));
	arm_once(_metadata, "fail_kmap");
	ret = ivgpu_bo_move(self->fd, h2, 0, NULL);
	ivgpu_use_coproc(true);
	ASSERT_EQ(-ENOMEM, ret);
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h));
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h2));
	ASSERT_EQ(used, ivgpu_vram_used(self->fd));
}

TEST_HARNESS_MAIN
