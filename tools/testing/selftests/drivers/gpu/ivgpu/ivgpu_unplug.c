// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-unplug: the device goes away while files, objects, user mappings,
 * kernel mappings and dma-bufs of it are alive and threads are using them,
 * and comes back.  Each test runs twice: the PCI function removed
 * (/sys/bus/pci/devices/BDF/remove, then /sys/bus/pci/rescan), and the
 * driver unbound through sysfs (/sys/bus/pci/drivers/ivgpu/unbind, then
 * bind).  What must hold:
 *
 * - every ioctl on a file of the old device gets ENODEV, GEM_CLOSE and the
 *   PRIME ioctls included, and mmap() of it gets ENODEV;
 * - every access to an old user mapping gets SIGBUS (BUS_ADRERR at the
 *   address touched); ptrace-style access (/proc/PID/mem) gets EIO;
 * - munmap(), close() of the file and of dma-bufs work, and whatever they
 *   free is freed without a leak report; no kernel mapping of the old BAR
 *   is left behind, even while files that held some stay open;
 * - nothing hangs, and the kernel log stays clean;
 * - the device comes back on a new node, found by the driver's name, and a
 *   fresh test passes on it.
 *
 * The data written before the device went away is not expected to survive.
 * Everything runs the same in both BAR configurations (with a small one,
 * mappings and copies go through banked windows as the device goes).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PAGE		IVGPU_PAGE
#define PCI_DEVICES	"/sys/bus/pci/devices"
#define PCI_DRIVER	"/sys/bus/pci/drivers/" IVGPU_DRIVER_NAME

/* Threads of the under_load test. */
#define MAP_WORKERS	4
#define OBJS_PER_WORKER	3
#define IOCTL_WORKERS	3
#define NWORKERS	(MAP_WORKERS + IOCTL_WORKERS)
/* Operations every worker completes before the device goes. */
#define OPS_BEFORE	20
/* Seconds the workers get to notice the device is gone and finish. */
#define FINISH_SECS	20

enum { BY_REMOVE, BY_UNBIND };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- sysfs ---- */

/* The PCI address of the device behind a DRM file, into @bdf; 0 or -errno. */
static int fd_bdf(int fd, char *bdf, size_t len)
{
	char path[128], link[PATH_MAX], *base;
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st))
		return -errno;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device", major(st.st_rdev),
		 minor(st.st_rdev));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	strcpy(bdf, base);
	return 0;
}

/* Where BAR2 (VRAM or the windows) sits in CPU physical space. */
static int bar2_range(const char *bdf, uint64_t *start, uint64_t *end)
{
	char path[PATH_MAX], buf[1024], *line = buf;
	unsigned long long s, e;
	int i;

	snprintf(path, sizeof(path), "%s/%s/resource", PCI_DEVICES, bdf);
	if (ivgpu_read_file(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	for (i = 0; i < 2 && line; i++) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!line || sscanf(line, "%llx %llx", &s, &e) != 2 || !e)
		return -EINVAL;
	*start = s;
	*end = e;
	return 0;
}

static bool bound_to_ivgpu(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s/driver", PCI_DEVICES, bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(strrchr(link, '/') + 1, IVGPU_DRIVER_NAME);
}

static int unplug(const char *bdf, int method)
{
	char path[PATH_MAX];

	if (method == BY_UNBIND)
		return ivgpu_write_file(PCI_DRIVER "/unbind", bdf);
	snprintf(path, sizeof(path), "%s/%s/remove", PCI_DEVICES, bdf);
	return ivgpu_write_file(path, "1");
}

static int replug(const char *bdf, int method)
{
	if (method == BY_UNBIND)
		return ivgpu_write_file(PCI_DRIVER "/bind", bdf);
	return ivgpu_write_file("/sys/bus/pci/rescan", "1");
}

/*
 * Bring an ivgpu back after a test that failed half way: rescan the bus
 * and offer every unbound ivshmem function to the driver (a plain one
 * refuses with ENODEV).
 */
static void replug_any(void)
{
	DIR *d;
	struct dirent *de;

	ivgpu_write_file("/sys/bus/pci/rescan", "1");
	d = opendir(PCI_DEVICES);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX], buf[32];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", PCI_DEVICES, de->d_name);
		if (ivgpu_read_file(path, buf, sizeof(buf)) <= 0 || strtoul(buf, NULL, 0) != 0x1110)
			continue;
		snprintf(path, sizeof(path), "%s/%s/driver", PCI_DEVICES, de->d_name);
		if (access(path, F_OK))
			ivgpu_write_file(PCI_DRIVER "/bind", de->d_name);
	}
	closedir(d);
}

/*
 * Lines of /proc/vmallocinfo that are kernel mappings the driver made
 * (its functions are the callers) or that map any of [@start, @end].
 * Each is printed.  Returns their number or -errno.
 */
static int driver_vmaps(uint64_t start, uint64_t end)
{
	FILE *f = fopen("/proc/vmallocinfo", "re");
	char line[512];
	int hits = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *phys = strstr(line, "phys=");
		bool ours = strstr(line, "[" IVGPU_DRIVER_NAME "]");

		if (phys) {
			unsigned long long p = strtoull(phys + 5, NULL, 16);

			ours |= p >= start && p <= end;
		}
		if (ours) {
			printf("# still mapped: %s", line);
			hits++;
		}
	}
	fclose(f);
	return hits;
}

/* ---- SIGBUS, caught per thread ---- */

static __thread sigjmp_buf t_jmp;
static __thread volatile sig_atomic_t t_armed;
static __thread void *volatile t_addr;
static __thread volatile int t_code;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (!t_armed) {
		/* Not an access we made on purpose: die of it. */
		signal(SIGBUS, SIG_DFL);
		raise(SIGBUS);
		return;
	}
	t_armed = 0;
	t_addr = si->si_addr;
	t_code = si->si_code;
	siglongjmp(t_jmp, 1);
}

static void catch_sigbus(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * Read (or write @v to) the word at @p.  Returns 0 when the access worked
 * (the word read in *@out), 1 on a SIGBUS at @p with BUS_ADRERR, -1 on a
 * SIGBUS anywhere else or of another kind.
 */
static int touch(volatile uint64_t *p, bool write, uint64_t v, uint64_t *out)
{
	if (sigsetjmp(t_jmp, 1))
		return t_addr == (void *)p && t_code == BUS_ADRERR ? 1 : -1;
	t_armed = 1;
	if (write)
		*p = v;
	else
		*out = *p;
	t_armed = 0;
	return 0;
}

/* Every probe (read and write, first, middle, last page) of a mapping gets SIGBUS. */
static bool all_sigbus(uint8_t *p, uint64_t size)
{
	uint64_t offs[] = { 0, size / 2 & ~(PAGE - 1), size - PAGE };
	uint64_t v;
	unsigned int i;

	for (i = 0; i < IVGPU_ARRAY_SIZE(offs); i++) {
		volatile uint64_t *w = (volatile uint64_t *)(p + offs[i] + 8 * i);

		if (touch(w, false, 0, &v) != 1 || touch(w, true, 0x5a5a, NULL) != 1)
			return false;
	}
	return true;
}

/* ---- the fresh device ---- */

/*
 * After the device came back: it is found by name, it is empty, its
 * interrupts work, and an object can be created, written and read back
 * (through a mapping and pread/pwrite with a large BAR).
 */
static void fresh_device_works(struct __test_metadata *_metadata)
{
	uint64_t vram = 0, v = ~0ull, want = 0, size = 1 * IVGPU_MIB, kernel;
	char ping[600], buf[128];
	uint8_t *p, *copy;
	uint32_t h;
	int fd;

	fd = ivgpu_wait_render(10000);
	ASSERT_LE(0, fd) TH_LOG("no ivgpu render node after the device came back");
	ASSERT_EQ(0, ivgpu_get_param(fd, IVGPU_PARAM_VRAM_SIZE, &vram));
	if (ivgpu_expect("VRAM_SIZE", &want)) {
		EXPECT_EQ(want, vram);
	}
	/* Empty: only the driver's own VRAM (the co-processor's ring) is in use. */
	kernel = ivgpu_vram_kernel(fd);
	EXPECT_EQ(0, ivgpu_get_param(fd, IVGPU_PARAM_VRAM_USED, &v));
	EXPECT_EQ(kernel, v);
	EXPECT_EQ(0, ivgpu_object_count());
	/* One interrupt round trip through debugfs. */
	ASSERT_EQ(0, ivgpu_debugfs_path("ivgpu_ping", ping, sizeof(ping)));
	EXPECT_LT(0, ivgpu_read_file(ping, buf, sizeof(buf)));
	EXPECT_TRUE(!strncmp(buf, "seq ", 4)) TH_LOG("ivgpu_ping: %s", buf);

	ASSERT_EQ(0, ivgpu_bo_create(fd, size, 0, &h));
	EXPECT_EQ(1, ivgpu_object_count());
	EXPECT_EQ(kernel + size, ivgpu_vram_used(fd));
	p = ivgpu_bo_mmap(fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, ivgpu_check_zero(p, size));
	ivgpu_fill(p, size, 77);
	EXPECT_EQ(-1, ivgpu_check(p, size, 77));
	copy = malloc(size);
	ASSERT_NE(NULL, copy);
	EXPECT_EQ(0, ivgpu_bo_pread(fd, h, 0, copy, size));
	EXPECT_EQ(-1, ivgpu_check(copy, size, 77));
	ivgpu_fill(copy, size, 78);
	EXPECT_EQ(0, ivgpu_bo_pwrite(fd, h, 0, copy, size));
	EXPECT_EQ(-1, ivgpu_check(p, size, 78));
	free(copy);
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(fd, h));
	EXPECT_EQ(kernel, ivgpu_vram_used(fd));
	close(fd);
}

/* ---- the fixture ---- */

FIXTURE(unplug) {
	IVGPU_FIXTURE_FIELDS;
	char bdf[64];
	uint64_t bar_start, bar_end;
	bool gone;	/* unplugged and not yet back */
};

FIXTURE_VARIANT(unplug) {
	int method;
};

FIXTURE_VARIANT_ADD(unplug, remove) {
	.method = BY_REMOVE,
};

FIXTURE_VARIANT_ADD(unplug, unbind) {
	.method = BY_UNBIND,
};

FIXTURE_SETUP(unplug)
{
	int fd = ivgpu_open_render();

	/* A test that died half way may have left the device unplugged. */
	if (fd < 0) {
		replug_any();
		fd = ivgpu_wait_render(10000);
	}
	if (fd >= 0)
		close(fd);
	IVGPU_FIXTURE_SETUP();
	ASSERT_EQ(0, fd_bdf(self->fd, self->bdf, sizeof(self->bdf)));
	ASSERT_TRUE(bound_to_ivgpu(self->bdf)) TH_LOG("%s", self->bdf);
	ASSERT_EQ(0, bar2_range(self->bdf, &self->bar_start, &self->bar_end));
	self->gone = false;
	catch_sigbus();
}

FIXTURE_TEARDOWN(unplug)
{
	if (self->gone) {
		replug(self->bdf, variant->method);
		if (ivgpu_wait_render(10000) < 0)
			replug_any();
	}
	IVGPU_FIXTURE_TEARDOWN();
}

/* Unplug by the variant's method; the sysfs write returns when remove() has. */
#define UNPLUG() do { \
	double __t = now(); \
	ASSERT_EQ(0, unplug(self->bdf, variant->method)); \
	self->gone = true; \
	TH_LOG("%s took %.3f s", variant->method == BY_REMOVE ? "remove" : "unbind", \
	       now() - __t); \
	EXPECT_FALSE(bound_to_ivgpu(self->bdf)); \
} while (0)

/* Bring it back by the variant's method and wait for its render node. */
#define REPLUG() do { \
	double __t = now(); \
	int __fd; \
	ASSERT_EQ(0, replug(self->bdf, variant->method)); \
	__fd = ivgpu_wait_render(10000); \
	ASSERT_LE(0, __fd) TH_LOG("no ivgpu render node after %s", \
				  variant->method == BY_REMOVE ? "rescan" : "bind"); \
	close(__fd); \
	self->gone = false; \
	TH_LOG("%s took %.3f s", variant->method == BY_REMOVE ? "rescan" : "bind", \
	       now() - __t); \
	EXPECT_TRUE(bound_to_ivgpu(self->bdf)); \
} while (0)

/* ---- remove under load ---- */

enum { RUNNING, REMOVING, REMOVED };

struct run {
	int fd;
	volatile int phase;
	/* The map workers' objects, which the zap worker revokes and moves. */
	uint32_t handles[MAP_WORKERS][OBJS_PER_WORKER];
	uint64_t sizes[OBJS_PER_WORKER];
};

struct worker {
	pthread_t tid;
	struct run *run;
	int index;
	volatile unsigned long ops;	/* calls and accesses that worked before removal */
	unsigned long enodev, sigbus;
	volatile bool done;
	char err[256];
};

static int phase_of(struct run *run)
{
	return __atomic_load_n(&run->phase, __ATOMIC_SEQ_CST);
}

static void worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (w->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
}

/*
 * Judge the result of a call made in phase @before.  While the device is
 * there the call must give @ok or @alt; once removal has started it may also give ENODEV;
 * once removal has finished it must.  Returns true when the call worked.
 */
static bool judge(struct worker *w, const char *what, int before, int ret, int ok, int alt)
{
	int after = phase_of(w->run);

	if (ret == -ENODEV) {
		if (after == RUNNING)
			worker_fail(w, "%s: ENODEV while the device is there", what);
		w->enodev++;
		return false;
	}
	if (before == REMOVED) {
		worker_fail(w, "%s after removal: %s, not ENODEV", what,
			    ret ? strerror(-ret) : "success");
		return false;
	}
	if (ret != ok && ret != alt) {
		worker_fail(w, "%s: %s", what, ret ? strerror(-ret) : "success");
		return false;
	}
	if (after == RUNNING)
		w->ops++;
	return !ret;
}

/*
 * Map worker: its own mappings of its objects, written and read back at
 * random places (faulting them in again after every revoke and move of the
 * zap worker).  Once an access gets SIGBUS, and the removal is complete,
 * every access to every one of its mappings must get SIGBUS; then it
 * unmaps them.
 */
static void *map_worker(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	uint8_t *maps[OBJS_PER_WORKER] = { NULL };
	unsigned int seed = w->index + 1, i;
	uint64_t n;

	for (i = 0; i < OBJS_PER_WORKER; i++) {
		int before = phase_of(run);
		void *p = ivgpu_bo_mmap(run->fd, run->handles[w->index][i], run->sizes[i]);
		int ret = p == MAP_FAILED ? -errno : 0;

		judge(w, "mmap", before, ret, 0, 0);
		if (p != MAP_FAILED)
			maps[i] = p;
	}

	for (n = 0; !w->err[0] && !w->sigbus; n++) {
		int before = phase_of(run), r = 0, k;

		for (k = 0; k < 8 && r == 0; k++) {
			i = rand_r(&seed) % OBJS_PER_WORKER;
			volatile uint64_t *word = (volatile uint64_t *)
				(maps[i] + (rand_r(&seed) % (run->sizes[i] / 8)) * 8);
			uint64_t v = ivgpu_pattern(w->index, n * 8 + k), got = 0;

			if (!maps[i])
				continue;
			r = touch(word, true, v, NULL);
			if (!r)
				r = touch(word, false, 0, &got);
			if (!r && got != v && phase_of(run) == RUNNING)
				worker_fail(w, "read back 0x%llx, wrote 0x%llx", (unsigned long long)got,
					    (unsigned long long)v);
		}
		if (r < 0) {
			worker_fail(w, "SIGBUS away from the access, or not BUS_ADRERR (code %d)",
				    t_code);
		} else if (r) {
			if (phase_of(run) == RUNNING)
				worker_fail(w, "SIGBUS while the device is there");
			w->sigbus++;
		} else if (before == REMOVED) {
			worker_fail(w, "a mapping still worked after removal");
		} else if (phase_of(run) == RUNNING) {
			w->ops++;
		}
	}

	if (w->sigbus) {
		/* Entries not yet zapped may work until the removal is complete. */
		while (phase_of(run) != REMOVED)
			usleep(1000);
		for (i = 0; i < OBJS_PER_WORKER; i++)
			if (maps[i] && !all_sigbus(maps[i], run->sizes[i]))
				worker_fail(w, "object %u: an access after removal did not get SIGBUS",
					    i);
	}
	for (i = 0; i < OBJS_PER_WORKER; i++)
		if (maps[i] && munmap(maps[i], run->sizes[i]))
			worker_fail(w, "munmap: %s", strerror(errno));
	w->done = true;
	return NULL;
}

/*
 * Object worker: create, info, mmap offset, pwrite, pread (checked),
 * GET_PARAM and close, over and over, on objects of its own; and a long
 * pwrite and pread (BIG_RW bytes, many chunks in the driver) of an object
 * it keeps, so that some are under way when the device goes.
 */
#define BIG_RW	(1 * IVGPU_MIB)

static void *object_worker(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	uint64_t buf[512], back[512], v;
	uint8_t *big = malloc(BIG_RW);
	uint32_t keep = 0;
	unsigned int i;
	uint64_t n;
	int ret;

	ret = big ? ivgpu_bo_create(run->fd, BIG_RW, 0, &keep) : -ENOMEM;
	if (!judge(w, "GEM_CREATE", RUNNING, ret, 0, 0)) {
		free(big);
		w->done = true;
		return NULL;
	}
	for (n = 0; !w->err[0]; n++) {
		int before = phase_of(run);
		struct drm_ivgpu_gem_info info;
		uint32_t h = 0;

		ret = ivgpu_get_param(run->fd, IVGPU_PARAM_VRAM_USED, &v);
		judge(w, "GET_PARAM", before, ret, 0, 0);
		ret = ivgpu_bo_create_full(run->fd, 64 * IVGPU_KIB, 0, n % 3, 0, &h, NULL);
		if (judge(w, "GEM_CREATE", before, ret, 0, 0)) {
			ret = ivgpu_bo_info(run->fd, h, &info);
			if (judge(w, "GEM_INFO", before, ret, 0, 0) && info.size != 64 * IVGPU_KIB)
				worker_fail(w, "GEM_INFO size %llu", (unsigned long long)info.size);
			ret = ivgpu_mmap_offset(run->fd, h, &v);
			judge(w, "GEM_MMAP_OFFSET", before, ret, 0, 0);
			for (i = 0; i < IVGPU_ARRAY_SIZE(buf); i++)
				buf[i] = ivgpu_pattern(n, i);
			ret = ivgpu_bo_pwrite(run->fd, h, 4096, buf, sizeof(buf));
			if (judge(w, "GEM_PWRITE", before, ret, 0, 0)) {
				memset(back, 0, sizeof(back));
				ret = ivgpu_bo_pread(run->fd, h, 4096, back, sizeof(back));
				if (judge(w, "GEM_PREAD", before, ret, 0, 0) &&
				    memcmp(buf, back, sizeof(buf)) && phase_of(run) == RUNNING)
					worker_fail(w, "pread did not return what pwrite wrote");
			}
			ret = ivgpu_gem_close(run->fd, h);
			judge(w, "GEM_CLOSE", before, ret, 0, 0);
		}
		ivgpu_fill(big, BIG_RW, n);
		ret = ivgpu_bo_pwrite(run->fd, keep, 0, big, BIG_RW);
		if (judge(w, "GEM_PWRITE", before, ret, 0, 0)) {
			memset(big, 0, BIG_RW);
			ret = ivgpu_bo_pread(run->fd, keep, 0, big, BIG_RW);
			if (judge(w, "GEM_PREAD", before, ret, 0, 0) &&
			    ivgpu_check(big, BIG_RW, n) != -1 && phase_of(run) == RUNNING)
				worker_fail(w, "pread did not return what pwrite wrote");
		}
		if (before == REMOVED)
			break;
	}
	free(big);
	w->done = true;
	return NULL;
}

/*
 * Zap worker: revoke and move the map workers' objects under them, hold
 * and release kernel mappings (GEM_MAP) of an object of its own, and map
 * it into user space through GEM_MAP and touch it.
 */
static void *zap_worker(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;
	uint64_t size = 256 * IVGPU_KIB;
	unsigned int seed = 99;
	uint32_t own = 0;
	uint64_t n;
	int ret;

	ret = ivgpu_bo_create(run->fd, size, 0, &own);
	if (!judge(w, "GEM_CREATE", RUNNING, ret, 0, 0)) {
		w->done = true;
		return NULL;
	}
	for (n = 0; !w->err[0]; n++) {
		int before = phase_of(run);
		unsigned int wi = rand_r(&seed) % MAP_WORKERS, oi = rand_r(&seed) % OBJS_PER_WORKER;
		uint32_t h = run->handles[wi][oi], map_id = 0;
		struct drm_ivgpu_gem_map m = {
			.handle = own, .flags = IVGPU_MAP_USER, .size = size,
		};

		ret = ivgpu_bo_revoke(run->fd, h, 0, 0);
		judge(w, "GEM_REVOKE", before, ret, 0, 0);
		ret = ivgpu_bo_move(run->fd, h, n & 1 ? IVGPU_MOVE_CONTIGUOUS : 0, NULL);
		judge(w, "GEM_MOVE", before, ret, 0, 0);

		ret = ivgpu_kmap(run->fd, own, 0, 0, &map_id, NULL);
		if (judge(w, "GEM_MAP kernel", before, ret, 0, 0)) {
			ret = ivgpu_kunmap(run->fd, map_id);
			judge(w, "GEM_UNMAP", before, ret, 0, 0);
		}

		ret = ivgpu_ioctl(run->fd, DRM_IOCTL_IVGPU_GEM_MAP, &m);
		if (judge(w, "GEM_MAP user", before, ret, 0, 0)) {
			volatile uint64_t *p = (void *)(uintptr_t)m.addr;
			uint64_t got;
			int r = touch(p + rand_r(&seed) % (size / 8), false, 0, &got);

			if (r < 0)
				worker_fail(w, "SIGBUS away from the access, or not BUS_ADRERR");
			else if (r && phase_of(run) == RUNNING)
				worker_fail(w, "SIGBUS while the device is there");
			else if (r)
				w->sigbus++;
			if (munmap((void *)p, size))
				worker_fail(w, "munmap: %s", strerror(errno));
		}
		if (before == REMOVED)
			break;
	}
	/* The handle goes with the file (GEM_CLOSE gets ENODEV now). */
	w->done = true;
	return NULL;
}

static bool all_started(struct worker *w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (w[i].ops < OPS_BEFORE && !w[i].err[0] && !w[i].done)
			return false;
	return true;
}

static bool all_done(struct worker *w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!w[i].done)
			return false;
	return true;
}

/*
 * Four threads read and write mappings of three objects each while three
 * others loop over the ioctls (create, info, mmap offset, pread, pwrite,
 * close, GET_PARAM; revoke and move of those mapped objects; kernel and
 * user GEM_MAP), and the device goes away.
 */
TEST_F_TIMEOUT(unplug, under_load, 120)
{
	static const uint64_t sizes[OBJS_PER_WORKER] = {
		256 * IVGPU_KIB, 1 * IVGPU_MIB, 2 * IVGPU_MIB,
	};
	struct worker w[NWORKERS];
	struct run run = { .fd = self->fd };
	double t0, t_removed;
	int i, j;

	memcpy(run.sizes, sizes, sizeof(sizes));
	for (i = 0; i < MAP_WORKERS; i++)
		for (j = 0; j < OBJS_PER_WORKER; j++)
			ASSERT_EQ(0, ivgpu_bo_create(self->fd, sizes[j], 0, &run.handles[i][j]));

	memset(w, 0, sizeof(w));
	for (i = 0; i < NWORKERS; i++) {
		void *(*fn)(void *) = i < MAP_WORKERS ? map_worker :
				      i == MAP_WORKERS ? zap_worker : object_worker;

		w[i].run = &run;
		w[i].index = i;
		ASSERT_EQ(0, pthread_create(&w[i].tid, NULL, fn, &w[i]));
	}

	for (t0 = now(); !all_started(w, NWORKERS) && now() - t0 < 30;)
		usleep(10000);
	TH_LOG("every worker under way after %.3f s", now() - t0);
	for (i = 0; i < NWORKERS; i++)
		TH_LOG("worker %d: %lu operations before removal", i, w[i].ops);

	__atomic_store_n(&run.phase, REMOVING, __ATOMIC_SEQ_CST);
	UNPLUG();
	__atomic_store_n(&run.phase, REMOVED, __ATOMIC_SEQ_CST);
	t_removed = now();

	while (!all_done(w, NWORKERS) && now() - t_removed < FINISH_SECS)
		usleep(10000);
	ASSERT_TRUE(all_done(w, NWORKERS))
		TH_LOG("a worker is still busy %d s after removal: hung", FINISH_SECS);
	TH_LOG("all workers finished %.3f s after removal", now() - t_removed);

	for (i = 0; i < NWORKERS; i++) {
		pthread_join(w[i].tid, NULL);
		EXPECT_STREQ("", w[i].err) TH_LOG("worker %d", i);
		EXPECT_LE(OPS_BEFORE, w[i].ops) TH_LOG("worker %d barely ran", i);
		/* Each one saw the device go, as ENODEV or SIGBUS. */
		EXPECT_LT(0, w[i].enodev + w[i].sigbus) TH_LOG("worker %d", i);
		if (i < MAP_WORKERS) {
			EXPECT_EQ(1, w[i].sigbus) TH_LOG("map worker %d", i);
		}
		TH_LOG("worker %d: ENODEV %lu, SIGBUS %lu", i, w[i].enodev, w[i].sigbus);
	}

	EXPECT_EQ(-ENODEV, ivgpu_get_param(self->fd, IVGPU_PARAM_VRAM_SIZE, &run.sizes[0]));
	/* The file is open, but no kernel mapping of the old BAR is left. */
	EXPECT_EQ(0, driver_vmaps(self->bar_start, self->bar_end));
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	REPLUG();
	fresh_device_works(_metadata);
}

/* ---- an old file and an old mapping, one call at a time ---- */

static int child_touches(void *arg)
{
	uint64_t v;

	catch_sigbus();
	return touch(arg, false, 0, &v) == 1 ? 0 : 1;
}

/*
 * After the device is gone, every ioctl of its file gets ENODEV, mmap()
 * gets ENODEV, the old mapping gets SIGBUS (also in a child that inherited
 * it), /proc/self/mem gets EIO, and partial munmap, mprotect, mremap,
 * munmap and close() work.  Debugfs files opened before fail their reads
 * and close.
 */
TEST_F(unplug, old_file_and_mapping)
{
	uint64_t size = 16 * PAGE, v = 0, fake = 0;
	uint8_t buf[64] = { 0 }, *p = MAP_FAILED, *q;
	struct drm_ivgpu_gem_map m = { .flags = IVGPU_MAP_KERNEL };
	struct drm_ivgpu_gem_info info;
	uint32_t h, h2 = 0, map_id;
	int memfd, dmabuf = -1, dbg[2], i;
	char path[600];

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ivgpu_debugfs_path(i ? "ivgpu_ping" : "ivgpu_objects", path,
						sizeof(path)));
		dbg[i] = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, dbg[i]);
	}
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	ASSERT_EQ(0, ivgpu_mmap_offset(self->fd, h, &fake));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 5);

	UNPLUG();

	EXPECT_EQ(-ENODEV, ivgpu_get_param(self->fd, IVGPU_PARAM_VRAM_SIZE, &v));
	EXPECT_EQ(-ENODEV, ivgpu_get_param(self->fd, IVGPU_PARAM_PING_COUNT, &v));
	EXPECT_EQ(-ENODEV, ivgpu_bo_create(self->fd, PAGE, 0, &h2));
	EXPECT_EQ(-ENODEV, ivgpu_bo_info(self->fd, h, &info));
	EXPECT_EQ(-ENODEV, ivgpu_mmap_offset(self->fd, h, &v));
	EXPECT_EQ(-ENODEV, ivgpu_bo_pread(self->fd, h, 0, buf, sizeof(buf)));
	EXPECT_EQ(-ENODEV, ivgpu_bo_pwrite(self->fd, h, 0, buf, sizeof(buf)));
	EXPECT_EQ(-ENODEV, ivgpu_bo_revoke(self->fd, h, 0, 0));
	EXPECT_EQ(-ENODEV, ivgpu_bo_move(self->fd, h, 0, NULL));
	EXPECT_EQ(-ENODEV, ivgpu_kmap(self->fd, h, 0, 0, &map_id, NULL));
	m.handle = h;
	EXPECT_EQ(-ENODEV, ivgpu_ioctl(self->fd, DRM_IOCTL_IVGPU_GEM_MAP, &m));
	EXPECT_EQ(-ENODEV, ivgpu_kunmap(self->fd, 1));
	EXPECT_EQ(-ENODEV, drmPrimeHandleToFD(self->fd, h, DRM_CLOEXEC, &dmabuf) ? -errno : 0);
	EXPECT_EQ(-ENODEV, ivgpu_gem_close(self->fd, h));
	/* mmap() of the old file, at the object's offset. */
	q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, fake);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(ENODEV, errno);

	if (p != MAP_FAILED) {
		EXPECT_TRUE(all_sigbus(p, size));
		/* ptrace-style access goes through the driver, which says no. */
		memfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, memfd);
		EXPECT_EQ(-1, pread(memfd, buf, 8, (uintptr_t)p));
		EXPECT_EQ(EIO, errno);
		EXPECT_EQ(-1, pwrite(memfd, buf, 8, (uintptr_t)p));
		EXPECT_EQ(EIO, errno);
		close(memfd);
		/* A child inherits the mapping (vm_ops open and close run) and gets SIGBUS too. */
		EXPECT_EQ(0, ivgpu_run_bounded(child_touches, p + PAGE, 5));
		/* Split, moved, unmapped: the VMA bookkeeping still works. */
		EXPECT_EQ(0, munmap(p, PAGE));
		EXPECT_EQ(0, mprotect(p + 8 * PAGE, PAGE, PROT_READ));
		q = mremap(p + PAGE, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			   p + 32 * PAGE);
		EXPECT_NE(MAP_FAILED, q);
		if (q != MAP_FAILED) {
			EXPECT_TRUE(all_sigbus(q, 4 * PAGE));
			EXPECT_EQ(0, munmap(q, 4 * PAGE));
		}
		EXPECT_EQ(0, munmap(p + 5 * PAGE, size - 5 * PAGE));
	}
	for (i = 0; i < 2; i++) {
		EXPECT_GT(0, read(dbg[i], buf, sizeof(buf)));
		EXPECT_EQ(0, close(dbg[i]));
	}
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;

	REPLUG();
	fresh_device_works(_metadata);
}

/*
 * The only thing left of the old device is a user mapping (handle and
 * file closed before it went): it gets SIGBUS, and its munmap frees the
 * object, and with it the old device, without a leak report.
 */
TEST_F(unplug, mapping_outlives_device)
{
	uint64_t size = 64 * PAGE;
	uint32_t h;
	uint8_t *p;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size / 2, 9);	/* half of it faulted in */
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	UNPLUG();
	EXPECT_TRUE(all_sigbus(p, size));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_kmsg_reports(self->kmsg_seq, NULL));

	REPLUG();
	fresh_device_works(_metadata);
}

/*
 * Kernel mappings held through GEM_MAP (one extent: ioremap; a scattered
 * object: vmap of its pages) and the idle ones pread/pwrite left in the
 * cache must not outlive the BAR: once the device is gone no kernel
 * mapping the driver made is left, though the file that held them is
 * still open.  Closing the file afterwards is clean.
 */
TEST_F_TIMEOUT(unplug, kernel_mappings_released, 60)
{
	uint32_t h1, h2 = 0, id1 = 0, id2 = 0, id3 = 0;
	uint64_t size = 1 * IVGPU_MIB;
	uint8_t buf[4096];
	int ret;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, IVGPU_BO_CONTIGUOUS, &h1));
	ret = ivgpu_kmap(self->fd, h1, 0, 0, &id1, NULL);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, ivgpu_create_scattered(self->fd, 3 * IVGPU_MIB, &h2));
	ASSERT_LT(1, ivgpu_bo_num_blocks(self->fd, h2));
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h2, 0, 0, &id2, NULL));
	ASSERT_EQ(0, ivgpu_kmap(self->fd, h2, IVGPU_MIB, PAGE, &id3, NULL));
	/* pread/pwrite leave idle mappings in the cache. */
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h2, 5, buf, sizeof(buf)));
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h1, 7, buf, sizeof(buf)));
	ASSERT_EQ(0, ivgpu_kunmap(self->fd, id3));
	ASSERT_LT(0, driver_vmaps(self->bar_start, self->bar_end))
		TH_LOG("the driver's kernel mappings are not visible in /proc/vmallocinfo");

	UNPLUG();
	EXPECT_EQ(0, driver_vmaps(self->bar_start, self->bar_end))
		TH_LOG("kernel mappings of BAR2 [0x%llx-0x%llx] outlive the device",
		       (unsigned long long)self->bar_start, (unsigned long long)self->bar_end);
	EXPECT_EQ(-ENODEV, ivgpu_kunmap(self->fd, id1 ? id1 : 1));
	/* Releases the mappings it held and the objects, and the old device. */
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(0, driver_vmaps(self->bar_start, self->bar_end));
	EXPECT_EQ(0, ivgpu_kmsg_reports(self->kmsg_seq, NULL));

	REPLUG();
	fresh_device_works(_metadata);
}

/*
 * dma-bufs exported before the device went stay closable: one whose
 * object still has a handle in an open file, one that is the last holder
 * of its object (and of the old device).  The old file cannot import;
 * the new device refuses them as foreign.
 */
TEST_F(unplug, dmabuf_across_unplug)
{
	int held = -1, last = -1, fd;
	uint32_t h1, h2, h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 4 * PAGE, 0, &h1));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 8 * PAGE, 0, &h2));
	ASSERT_EQ(0, drmPrimeHandleToFD(self->fd, h1, DRM_CLOEXEC, &held));
	ASSERT_EQ(0, drmPrimeHandleToFD(self->fd, h2, DRM_CLOEXEC, &last));
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h2));

	UNPLUG();
	EXPECT_EQ(-ENODEV, drmPrimeFDToHandle(self->fd, held, &h) ? -errno : 0);
	/* mmap() of a dma-buf is refused, as before. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, held, 0));
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(0, close(held));

	REPLUG();
	fd = ivgpu_wait_render(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, drmPrimeFDToHandle(fd, last, &h) ? -errno : 0);
	close(fd);
	/* The old device's last object goes, and the old device with it. */
	EXPECT_EQ(0, close(last));
	EXPECT_EQ(0, ivgpu_kmsg_reports(self->kmsg_seq, NULL));
	fresh_device_works(_metadata);
}

/*
 * With a file of the old device still open, the device comes back on
 * other node numbers (the old minors are not free yet): the tests' lookup
 * by driver name finds the new one, and its debugfs directory.
 */
TEST_F(unplug, new_node_while_old_file_open)
{
	struct stat before, after;
	char dir[512];
	uint64_t v;
	int fd;

	ASSERT_EQ(0, fstat(self->fd, &before));
	UNPLUG();
	REPLUG();
	fd = ivgpu_open_render();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &after));
	TH_LOG("old node %u:%u, new node %u:%u", major(before.st_rdev), minor(before.st_rdev),
	       major(after.st_rdev), minor(after.st_rdev));
	EXPECT_NE(before.st_rdev, after.st_rdev);
	EXPECT_EQ(0, ivgpu_get_param(fd, IVGPU_PARAM_VRAM_SIZE, &v));
	EXPECT_EQ(-ENODEV, ivgpu_get_param(self->fd, IVGPU_PARAM_VRAM_SIZE, &v));
	ASSERT_EQ(0, ivgpu_debugfs_dir(dir, sizeof(dir)));
	TH_LOG("debugfs %s", dir);
	close(fd);
	fresh_device_works(_metadata);
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	fresh_device_works(_metadata);
}

TEST_HARNESS_MAIN
