// SPDX-License-Identifier: GPL-2.0
/*
 * ivgpu-bench: CPU mapping performance of ivgpu against its peers, measured
 * inside one VM boot.  Under emulation absolute times mean little, so every
 * result is compared with peers that run in the same VM, interleaved, and
 * reported as the median of several repetitions, with deterministic counts
 * (page faults, pages inserted per fault) beside it.
 *
 * Peers (each skipped, and said so, when absent):
 *   anon       anonymous private memory (page allocation and zeroing on fault)
 *   populated  anonymous memory mapped with MAP_POPULATE: no fault cost at all
 *   ivgpu      an ivgpu buffer object mapped through the render node
 *   bochs      a bochs-drm dumb buffer (TTM through drm_gem_vram_helper)
 *   vgem       a vgem dumb buffer (shmem-backed GEM)
 *
 * Workloads, for each size:
 *   first-touch  write one word in every page of a fresh mapping
 *   memset       memset of the whole buffer, once mapped and touched
 *   memcpy       memcpy of the first half onto the second half, likewise
 *
 * With -P N,N,... it also sweeps ivgpu's prefault batch (the prefault_pages
 * module parameter): first touch of an ivgpu object with each batch size,
 * interleaved, to choose the default.
 *
 * usage: ivgpu-bench [-r REPS] [-s MiB]... [-p PEER]... [-P N,N,...] [-c CSV]
 * Prints Markdown tables and, with -c FILE, CSV rows for plotting.
 *
 * With -w it measures ivgpu alone, for the banked windows of a small BAR
 * (docs/windows.md), and is run once in each BAR configuration, each in its
 * own boot; make bench sets the two side by side.  Workloads, interleaved in
 * every repetition:
 *   ref-memset, ref-memcpy  anonymous memory, touched: the reference that
 *                           tells the two boots' speeds apart
 *   seq-write    memset of a fresh object through its mapping, start to end
 *   seq-read     memcpy of that object into anonymous memory
 *   rand-read    -n random, aligned 4 KiB memcpys out of an object
 *   rand-write   the same, memset into it
 * and, with -C MS, one process writing its own object sequentially for MS
 * milliseconds against two processes doing so at once (aggregate bytes per
 * second), with each minimum residency of -R US,US,... in turn (module
 * parameter window_residency_us); with -a also two processes that both run
 * on CPU 0, with the residency as it was.  -s sets the object size of the first
 * workloads (default 32 MiB; 0 leaves them out), -o that of each contending
 * process (default 8 MiB).  Each run reads ivgpu's debugfs counters
 * (ivgpu_windows, ivgpu_mm) before and after; -c FILE writes "workload
 * field median" lines.
 *
 * usage: ivgpu-bench -w [-r REPS] [-s MiB] [-n N] [-C MS] [-o MiB] [-R US,US,...] [-a] [-c FILE]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu-tool.h"

#define MAX_REPS	32
#define MAX_SIZES	8
#define MAX_SWEEP	16
#define PREFAULT_PARAM	"/sys/module/ivgpu/parameters/prefault_pages"
#define PAGE		4096ul

enum peer { ANON, POPULATED, IVGPU, BOCHS, VGEM, NPEERS };
enum work { FIRST_TOUCH, MEMSET, MEMCPY, NWORK };

static const char * const peer_name[NPEERS] = {
	"anon", "populated", "ivgpu", "bochs", "vgem",
};
static const char * const work_name[NWORK] = { "first-touch", "memset", "memcpy" };

/* One buffer of a peer, mapped and not yet touched. */
struct buf {
	void *ptr;
	size_t size;
	int fd;			/* the DRM file, -1 for anonymous memory */
	uint32_t handle;
};

struct sample {
	double ns;
	double faults;		/* page faults taken (ru_minflt) */
	double ivgpu_faults;	/* ivgpu's fault handler calls */
	double ivgpu_pages;	/* pages ivgpu inserted */
};

static int drm_fd[NPEERS] = { -1, -1, -1, -1, -1 };
static char ivgpu_debugfs[512];

/* One counter of ivgpu's debugfs ivgpu_mm, or -1. */
static long long ivgpu_counter(const char *name)
{
	return ivgpu_tool_counter(ivgpu_debugfs, "ivgpu_mm", name);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int dumb_create(int fd, size_t size, struct buf *b)
{
	struct drm_mode_create_dumb create = {
		.width = 4096, .bpp = 32, .height = size / (4096 * 4),
	};
	struct drm_mode_map_dumb map = { 0 };

	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		return -errno;
	b->handle = create.handle;
	map.handle = create.handle;
	if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map))
		return -errno;
	b->ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, map.offset);
	return b->ptr == MAP_FAILED ? -errno : 0;
}

static int ivgpu_create(int fd, size_t size, struct buf *b)
{
	struct drm_ivgpu_gem_create create = { .size = size, .kind = IVGPU_BO_GENERIC };
	struct drm_ivgpu_gem_mmap_offset off = { 0 };

	if (ioctl(fd, DRM_IOCTL_IVGPU_GEM_CREATE, &create))
		return -errno;
	b->handle = create.handle;
	off.handle = create.handle;
	if (ioctl(fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &off))
		return -errno;
	b->ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off.offset);
	return b->ptr == MAP_FAILED ? -errno : 0;
}

/* A fresh, mapped, untouched buffer of @size bytes from @p. */
static int buf_get(enum peer p, size_t size, struct buf *b)
{
	memset(b, 0, sizeof(*b));
	b->size = size;
	b->fd = drm_fd[p];
	b->ptr = MAP_FAILED;
	switch (p) {
	case ANON:
	case POPULATED:
		b->ptr = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | (p == POPULATED ? MAP_POPULATE : 0),
			      -1, 0);
		return b->ptr == MAP_FAILED ? -errno : 0;
	case IVGPU:
		return ivgpu_create(b->fd, size, b);
	default:
		return dumb_create(b->fd, size, b);
	}
}

static void buf_put(struct buf *b)
{
	struct drm_gem_close close_args = { .handle = b->handle };

	if (b->ptr != MAP_FAILED)
		munmap(b->ptr, b->size);
	if (b->fd >= 0 && b->handle)
		ioctl(b->fd, DRM_IOCTL_GEM_CLOSE, &close_args);
}

static void touch(volatile char *p, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += PAGE)
		*(volatile uint32_t *)(p + off) = (uint32_t)off;
}

static int run_one(enum peer p, enum work w, size_t size, struct sample *s)
{
	long long f0 = 0, i0 = 0;
	struct buf b;
	uint64_t t0;
	long m0;
	int ret;

	ret = buf_get(p, size, &b);
	if (ret) {
		buf_put(&b);
		return ret;
	}
	if (w != FIRST_TOUCH)
		touch(b.ptr, size);
	if (p == IVGPU) {
		f0 = ivgpu_counter("faults");
		i0 = ivgpu_counter("pages_inserted");
	}
	m0 = minflt();
	t0 = now_ns();
	switch (w) {
	case FIRST_TOUCH:
		touch(b.ptr, size);
		break;
	case MEMSET:
		memset(b.ptr, 0x5a, size);
		break;
	case MEMCPY:
		memcpy((char *)b.ptr + size / 2, b.ptr, size / 2);
		break;
	default:
		break;
	}
	s->ns = now_ns() - t0;
	s->faults = minflt() - m0;
	s->ivgpu_faults = p == IVGPU ? ivgpu_counter("faults") - f0 : 0;
	s->ivgpu_pages = p == IVGPU ? ivgpu_counter("pages_inserted") - i0 : 0;
	buf_put(&b);
	return 0;
}

/* Write module parameter file @path. */
static int write_param(const char *path, unsigned int v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%u\n", v) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

/* Read module parameter file @path; -1 if it cannot be read. */
static int read_param(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of the double at @field of @n elements of @stride bytes from @base. */
static double median_of(const void *base, size_t stride, int n, size_t field)
{
	double v[MAX_REPS];
	int i;

	for (i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)base + i * stride + field);
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define median(s, n, field)	median_of((s), sizeof(*(s)), (n), (field))

/* ---- the banked-windows benchmark (-w) ---- */

#define RESIDENCY_PARAM	"/sys/module/ivgpu/parameters/window_residency_us"
#define MAX_ACCESSES	4096
#define MAX_RESIDENCY	8
#define ACCESS		4096ul		/* one random access */
#define STREAM_CHUNK	(64ul << 10)	/* a contending process checks the clock this often */

enum wwork { REF_SET, REF_CPY, SEQ_WRITE, SEQ_READ, RAND_READ, RAND_WRITE, NWWORK };

static const char * const wwork_name[NWWORK] = {
	"ref-memset", "ref-memcpy", "seq-write", "seq-read", "rand-read", "rand-write",
};

/* The counters a run reads, by debugfs file and name. */
enum wcount {
	C_SLIDES, C_STEALS, C_ZAPPED, C_WFAULTS, C_HITS, C_INSERTED, C_RWAITS, C_SWITCH_NS,
	C_DETACHES, C_FAULTS, NCOUNT
};

static const struct {
	const char *file, *name, *key;	/* key: its name in -c's lines */
} wcount_src[NCOUNT] = {
	[C_SLIDES] = { "ivgpu_windows", "slides", "slides" },
	[C_STEALS] = { "ivgpu_windows", "steals", "steals" },
	[C_ZAPPED] = { "ivgpu_windows", "entries_zapped", "entries_zapped" },
	[C_WFAULTS] = { "ivgpu_windows", "faults", "faults" },
	[C_HITS] = { "ivgpu_windows", "fault_hits", "fault_hits" },
	[C_INSERTED] = { "ivgpu_windows", "pages_inserted", "pages_inserted" },
	[C_RWAITS] = { "ivgpu_windows", "residency_waits", "residency_waits" },
	[C_SWITCH_NS] = { "ivgpu_windows", "switch_ns", "switch_ns" },
	[C_DETACHES] = { "ivgpu_windows", "detaches", "detaches" },
	[C_FAULTS] = { "ivgpu_mm", "faults", "mm_faults" },
};

/* One run of a windows workload: its time, bytes and counter deltas. */
struct wsample {
	double ns;
	double bytes;
	double access_ns;	/* random accesses: the median of one */
	double rate;		/* contention: the processes' bytes per second, added up */
	double ratio;		/* contention: rate / one process's rate, this repetition */
	double fewest;		/* contention: the slower process's rate / one process's */
	double worst_ns;	/* contention: the longest STREAM_CHUNK write of any process */
	double c[NCOUNT];
};

/* Every counter of the list, each debugfs file read once (a missing one reads 0). */
static void wcounters(double *c)
{
	static const char * const files[] = { "ivgpu_windows", "ivgpu_mm" };
	char path[1024], line[128], key[64];
	long long v;
	unsigned int i, k;

	for (k = 0; k < NCOUNT; k++)
		c[k] = 0;
	for (i = 0; i < 2 && ivgpu_debugfs[0]; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", ivgpu_debugfs, files[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%63s %lld", key, &v) != 2)
				continue;
			for (k = 0; k < NCOUNT; k++)
				if (!strcmp(wcount_src[k].file, files[i]) &&
				    !strcmp(wcount_src[k].name, key))
					c[k] = v;
		}
		fclose(f);
	}
}

static void wcounters_since(struct wsample *s, const double *c0)
{
	double c1[NCOUNT];
	int k;

	wcounters(c1);
	for (k = 0; k < NCOUNT; k++)
		s->c[k] = c1[k] - c0[k];
}

#define WFIELD(f)	offsetof(struct wsample, f)
#define WCOUNT(k)	(offsetof(struct wsample, c) + (k) * sizeof(double))

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* @n random aligned 4 KiB accesses in @p (@size bytes), the same ones for the same @seed. */
static void random_accesses(char *p, size_t size, int n, bool write, uint64_t seed,
			    char *tmp, struct wsample *s)
{
	double c0[NCOUNT], t[MAX_ACCESSES];
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1, start;
	int i;

	wcounters(c0);
	start = now_ns();
	for (i = 0; i < n; i++) {
		size_t off = (xorshift(&x) % (size / ACCESS)) * ACCESS;
		uint64_t t0 = now_ns();

		if (write)
			memset(p + off, i, ACCESS);
		else
			memcpy(tmp, p + off, ACCESS);
		t[i] = now_ns() - t0;
	}
	s->ns = now_ns() - start;
	wcounters_since(s, c0);
	s->bytes = (double)n * ACCESS;
	qsort(t, n, sizeof(t[0]), cmp_double);
	s->access_ns = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* Check a few bytes of @p (one per MiB and the last) for @v; false if one differs. */
static bool spot_check(const char *p, size_t size, int v)
{
	size_t off;

	for (off = 0; off < size; off += 1ul << 20)
		if (p[off] != (char)v)
			return false;
	return p[size - 1] == (char)v;
}

/* What the contending processes report, in memory shared with the parent. */
struct wshared {
	struct {
		uint64_t bytes, ns, worst_ns;
		int err;
	} proc[2];
};

/*
 * One contending process: its own file and object of @size bytes, written
 * (after the parent's go) sequentially over and over, in STREAM_CHUNK
 * pieces, for @ms milliseconds; what it wrote last is checked.
 */
static void stream_child(int i, size_t size, int ms, int ready, int go, struct wshared *sh)
{
	int fd = ivgpu_tool_open_driver("ivgpu", true);
	uint64_t start, end, t, bytes = 0, worst = 0;
	size_t off = 0;
	struct buf b;
	char c;

	memset(&b, 0, sizeof(b));
	b.ptr = MAP_FAILED;
	b.size = size;
	b.fd = fd;
	sh->proc[i].err = fd < 0 ? -ENODEV : ivgpu_create(fd, size, &b);
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1 || sh->proc[i].err)
		_exit(1);
	start = now_ns();
	end = start + ms * 1000000ull;
	t = start;
	do {
		uint64_t t0 = t;

		memset((char *)b.ptr + off, i + 1, STREAM_CHUNK);
		bytes += STREAM_CHUNK;
		off = (off + STREAM_CHUNK) % size;
		t = now_ns();
		if (t - t0 > worst)
			worst = t - t0;
	} while (t < end);
	sh->proc[i].ns = t - start;
	sh->proc[i].bytes = bytes;
	sh->proc[i].worst_ns = worst;
	if (bytes >= size && !spot_check(b.ptr, size, i + 1))
		sh->proc[i].err = -EIO;
	buf_put(&b);
	_exit(sh->proc[i].err ? 1 : 0);
}

/*
 * @n processes (1 or 2) streaming at once, all on CPU 0 if @one_cpu: the
 * sum of their rates in s->rate, the slower one's in s->fewest (both bytes
 * per second).
 */
static int contend(int n, bool one_cpu, size_t size, int ms, struct wshared *sh,
		   struct wsample *s)
{
	int ready[2], go[2], i, status, ret = 0;
	double c0[NCOUNT];
	pid_t pid[2];
	char c;

	if (pipe(ready) || pipe(go))
		return -errno;
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < n; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			cpu_set_t cpus;

			close(ready[0]);
			close(go[1]);
			CPU_ZERO(&cpus);
			CPU_SET(0, &cpus);
			if (one_cpu && sched_setaffinity(0, sizeof(cpus), &cpus))
				_exit(1);
			stream_child(i, size, ms, ready[1], go[0], sh);
		}
		if (pid[i] < 0)
			ret = -errno;
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < n && !ret; i++)
		if (read(ready[0], &c, 1) != 1)
			ret = -EIO;
	wcounters(c0);
	for (i = 0; i < n; i++)
		if (write(go[1], "g", 1) != 1)
			ret = -EIO;
	close(go[1]);
	close(ready[0]);
	for (i = 0; i < n; i++) {
		if (pid[i] > 0 && (waitpid(pid[i], &status, 0) < 0 || !WIFEXITED(status) ||
				   WEXITSTATUS(status)))
			ret = ret ?: (sh->proc[i].err ?: -EIO);
	}
	if (ret)
		return ret;
	wcounters_since(s, c0);
	s->rate = s->bytes = s->worst_ns = 0;
	for (i = 0; i < n; i++) {
		double r = sh->proc[i].bytes * 1e9 / sh->proc[i].ns;

		s->rate += r;
		s->bytes += sh->proc[i].bytes;
		if (!i || r < s->fewest)
			s->fewest = r;
		if (sh->proc[i].worst_ns > s->worst_ns)
			s->worst_ns = sh->proc[i].worst_ns;
	}
	s->ns = ms * 1e6;
	return 0;
}

/* The "workload field median" lines of one workload (or contention run). */
static void wreport(FILE *kv, const char *name, const struct wsample *s, int reps)
{
	static const struct {
		const char *key;
		size_t field;
	} f[] = {
		{ "ns", WFIELD(ns) }, { "bytes", WFIELD(bytes) },
		{ "access_ns", WFIELD(access_ns) }, { "rate", WFIELD(rate) },
		{ "ratio", WFIELD(ratio) }, { "fewest", WFIELD(fewest) },
		{ "worst_ns", WFIELD(worst_ns) },
	};
	unsigned int i;
	int k;

	if (!kv)
		return;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		fprintf(kv, "%s %s %.4f\n", name, f[i].key, median(s, reps, f[i].field));
	for (k = 0; k < NCOUNT; k++)
		fprintf(kv, "%s %s %.0f\n", name, wcount_src[k].key, median(s, reps, WCOUNT(k)));
}

/* One workload's line of the guest's own table. */
static void wprint(const char *name, const struct wsample *s, int reps)
{
	double ns = median(s, reps, WFIELD(ns));

	printf("| %s | %.2f | %.0f | %.1f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", name, ns / 1e6,
	       median(s, reps, WFIELD(bytes)) / 1048576.0 / (ns / 1e9),
	       median(s, reps, WFIELD(access_ns)) / 1e3, median(s, reps, WCOUNT(C_SLIDES)),
	       median(s, reps, WCOUNT(C_FAULTS)), median(s, reps, WCOUNT(C_INSERTED)),
	       median(s, reps, WCOUNT(C_ZAPPED)), median(s, reps, WCOUNT(C_STEALS)));
}

/* One contention line of the guest's own table. */
static void wprint_contention(int procs, int residency, const struct wsample *s, int reps)
{
	double slides = median(s, reps, WCOUNT(C_SLIDES));

	printf("| %d | %d | %.0f | %.2f | %.2f | %.1f | %.0f | %.0f | %.0f | %.0f |\n", procs,
	       residency, median(s, reps, WFIELD(rate)) / 1048576.0,
	       procs == 1 ? 1.0 : median(s, reps, WFIELD(ratio)),
	       procs == 1 ? 1.0 : median(s, reps, WFIELD(fewest)),
	       median(s, reps, WFIELD(worst_ns)) / 1e6, slides,
	       median(s, reps, WCOUNT(C_STEALS)), median(s, reps, WCOUNT(C_RWAITS)),
	       slides ? median(s, reps, WCOUNT(C_SWITCH_NS)) / 1e3 / slides : 0);
}

/*
 * The windows benchmark: the sequential and random workloads on objects of
 * @size bytes (none if 0), then with @cont_ms the contention runs, two
 * processes with each of the @nres residencies (or the current one), and
 * with @one_cpu two processes both on CPU 0 with the current residency.
 */
static int windows_main(int reps, size_t size, int accesses, int cont_ms, size_t cont_size,
			const unsigned int *residency, int nres, bool one_cpu, FILE *kv)
{
	static struct wsample res[NWWORK][MAX_REPS];
	static struct wsample single[MAX_REPS], pinned[MAX_REPS], pair[MAX_RESIDENCY][MAX_REPS];
	int saved = read_param(RESIDENCY_PARAM), npair = nres ? nres : 1;
	char *ref_a = MAP_FAILED, *ref_b = MAP_FAILED, *tmp;
	long long nwin, wsize;
	int r, w, k, ret = 0;
	struct wshared *sh;
	struct buf b;

	if (drm_fd[IVGPU] < 0) {
		printf("# no ivgpu device\n");
		return 1;
	}
	if (size && (accesses < 1 || accesses > MAX_ACCESSES || size < (1ul << 20))) {
		fprintf(stderr, "-n: 1 to %d; -s: 0 or at least 1 MiB\n", MAX_ACCESSES);
		return 2;
	}
	nwin = ivgpu_tool_counter(ivgpu_debugfs, "ivgpu_windows", "windows");
	wsize = ivgpu_tool_counter(ivgpu_debugfs, "ivgpu_windows", "window_size");
	if (size) {
		ref_a = mmap(NULL, size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		ref_b = mmap(NULL, size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	}
	tmp = mmap(NULL, ACCESS, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if ((size && (ref_a == MAP_FAILED || ref_b == MAP_FAILED)) || tmp == MAP_FAILED ||
	    sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	for (r = 0; r < reps && !ret; r++) {
		struct wsample *s;
		double c0[NCOUNT];
		uint64_t t0;

		if (!size)
			goto contention;

		/* The references: anonymous memory, already touched. */
		s = &res[REF_SET][r];
		t0 = now_ns();
		memset(ref_a, r + 2, size);
		s->ns = now_ns() - t0;
		s->bytes = size;
		s = &res[REF_CPY][r];
		t0 = now_ns();
		memcpy(ref_b, ref_a, size);
		s->ns = now_ns() - t0;
		s->bytes = size;

		/* Sequential: a fresh object written start to end, then read back. */
		ret = buf_get(IVGPU, size, &b);
		if (ret) {
			buf_put(&b);
			break;
		}
		s = &res[SEQ_WRITE][r];
		wcounters(c0);
		t0 = now_ns();
		memset(b.ptr, r + 3, size);
		s->ns = now_ns() - t0;
		wcounters_since(s, c0);
		s->bytes = size;
		s = &res[SEQ_READ][r];
		wcounters(c0);
		t0 = now_ns();
		memcpy(ref_b, b.ptr, size);
		s->ns = now_ns() - t0;
		wcounters_since(s, c0);
		s->bytes = size;
		buf_put(&b);
		if (!spot_check(ref_b, size, r + 3)) {
			printf("# seq-read: the object did not read back what was written\n");
			ret = -EIO;
			break;
		}

		/* Random 4 KiB accesses in an object written once. */
		ret = buf_get(IVGPU, size, &b);
		if (ret) {
			buf_put(&b);
			break;
		}
		memset(b.ptr, 0, size);
		random_accesses(b.ptr, size, accesses, false, 2 * r + 1, tmp, &res[RAND_READ][r]);
		random_accesses(b.ptr, size, accesses, true, 2 * r + 2, tmp, &res[RAND_WRITE][r]);
		buf_put(&b);

contention:
		/* One process, then two with each residency. */
		if (!cont_ms)
			continue;
		if (saved >= 0)
			write_param(RESIDENCY_PARAM, saved);
		ret = contend(1, false, cont_size, cont_ms, sh, &single[r]);
		for (k = 0; k < npair && !ret; k++) {
			if (nres && write_param(RESIDENCY_PARAM, residency[k])) {
				printf("# cannot set window_residency_us\n");
				ret = -EIO;
				break;
			}
			ret = contend(2, false, cont_size, cont_ms, sh, &pair[k][r]);
			pair[k][r].ratio = pair[k][r].rate / single[r].rate;
			pair[k][r].fewest /= single[r].rate;
		}
		if (one_cpu && !ret) {
			if (saved >= 0)
				write_param(RESIDENCY_PARAM, saved);
			ret = contend(2, true, cont_size, cont_ms, sh, &pinned[r]);
			pinned[r].ratio = pinned[r].rate / single[r].rate;
			pinned[r].fewest /= single[r].rate;
		}
	}
	if (saved >= 0)
		write_param(RESIDENCY_PARAM, saved);
	if (ret) {
		printf("# windows benchmark failed: %s\n", strerror(-ret));
		return 1;
	}

	if (size) {
		printf("\nivgpu with %lld windows of %lld KiB (0: large BAR), %zu MiB objects, %d random accesses, median of %d:\n\n",
		       nwin, wsize >> 10, size >> 20, accesses, reps);
		printf("| workload | median ms | MB/s | median us/access | slides | faults | entries inserted | entries zapped | steals |\n");
		printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		for (w = 0; w < NWWORK; w++) {
			wprint(wwork_name[w], res[w], reps);
			wreport(kv, wwork_name[w], res[w], reps);
		}
	}
	if (cont_ms) {
		char name[64];

		printf("\nivgpu with %lld windows of %lld KiB: contention, %zu MiB object per process, %d ms each run, median of %d:\n\n",
		       nwin, wsize >> 10, cont_size >> 20, cont_ms, reps);
		printf("| processes | window_residency_us | MB/s, added up | vs one | slower one vs one | slowest 64 KiB, ms | slides | steals | residency waits | switch us/slide |\n");
		printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
		wprint_contention(1, saved, single, reps);
		wreport(kv, "cont-1", single, reps);
		for (k = 0; k < npair; k++) {
			int rv = nres ? (int)residency[k] : saved;

			wprint_contention(2, rv, pair[k], reps);
			snprintf(name, sizeof(name), "cont-2-r%d", rv);
			wreport(kv, name, pair[k], reps);
		}
		if (one_cpu) {
			printf("(both on CPU 0:)\n");
			wprint_contention(2, saved, pinned, reps);
			wreport(kv, "cont-2-cpu0", pinned, reps);
		}
	}
	if (kv) {
		fprintf(kv, "config windows %lld\n", nwin);
		fprintf(kv, "config window_size %lld\n", wsize);
		fprintf(kv, "config size %zu\n", size);
		fprintf(kv, "config accesses %d\n", accesses);
		fprintf(kv, "config cont_size %zu\n", cont_size);
		fprintf(kv, "config cont_ms %d\n", cont_ms);
		fprintf(kv, "config residency %d\n", saved);
		fprintf(kv, "config reps %d\n", reps);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sample res[MAX_SIZES][NPEERS][NWORK][MAX_REPS];
	static struct sample sweep[MAX_SIZES][MAX_SWEEP][MAX_REPS];
	static int err[MAX_SIZES][NPEERS];
	unsigned int sweep_pages[MAX_SWEEP];
	int nsweep = 0, k;
	size_t sizes[MAX_SIZES];
	bool want[NPEERS] = { false };
	int nsizes = 0, reps = 5, opt, si, p, w, r, np = 0;
	int accesses = 500, cont_ms = 0, nres = 0;
	unsigned int residency[MAX_RESIDENCY];
	size_t cont_size = 8ul << 20;
	bool windows = false, one_cpu = false;
	FILE *csv = NULL;

	while ((opt = getopt(argc, argv, "r:s:p:c:P:wn:C:o:R:a")) != -1) {
		switch (opt) {
		case 'w':
			windows = true;
			break;
		case 'a':
			one_cpu = true;
			break;
		case 'n':
			accesses = atoi(optarg);
			break;
		case 'C':
			cont_ms = atoi(optarg);
			break;
		case 'o':
			cont_size = strtoul(optarg, NULL, 0) << 20;
			break;
		case 'R': {
			char *tok = strtok(optarg, ",");

			for (; tok && nres < MAX_RESIDENCY; tok = strtok(NULL, ","))
				residency[nres++] = strtoul(tok, NULL, 0);
			break;
		}
		case 'r':
			reps = atoi(optarg);
			break;
		case 's':
			if (nsizes < MAX_SIZES)
				sizes[nsizes++] = strtoul(optarg, NULL, 0) << 20;
			break;
		case 'p':
			for (p = 0; p < NPEERS; p++) {
				if (!strcmp(optarg, peer_name[p])) {
					want[p] = true;
					np++;
				}
			}
			break;
		case 'c':
			csv = fopen(optarg, "w");
			break;
		case 'P': {
			char *tok = strtok(optarg, ",");

			for (; tok && nsweep < MAX_SWEEP; tok = strtok(NULL, ","))
				sweep_pages[nsweep++] = strtoul(tok, NULL, 0);
			break;
		}
		default:
			fprintf(stderr, "usage: %s [-r REPS] [-s MiB]... [-p PEER]... [-P N,N,...] [-c CSV]\n"
				"       %s -w [-r REPS] [-s MiB] [-n N] [-C MS] [-o MiB] [-R US,US,...] [-a] [-c FILE]\n",
				argv[0], argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "-r: 1 to %d\n", MAX_REPS);
		return 2;
	}
	if (windows) {
		drm_fd[IVGPU] = ivgpu_tool_open_driver("ivgpu", true);
		ivgpu_tool_debugfs(ivgpu_debugfs, sizeof(ivgpu_debugfs));
		r = windows_main(reps, nsizes ? sizes[0] : 32ul << 20, accesses, cont_ms,
				 cont_size, residency, nres, one_cpu, csv);
		if (csv)
			fclose(csv);
		return r;
	}
	if (!nsizes) {
		sizes[nsizes++] = 64ul << 20;
		sizes[nsizes++] = 256ul << 20;
	}
	if (!np)
		for (p = 0; p < NPEERS; p++)
			want[p] = true;

	drm_fd[IVGPU] = ivgpu_tool_open_driver("ivgpu", true);
	drm_fd[BOCHS] = ivgpu_tool_open_driver("bochs-drm", false);
	drm_fd[VGEM] = ivgpu_tool_open_driver("vgem", false);
	ivgpu_tool_debugfs(ivgpu_debugfs, sizeof(ivgpu_debugfs));
	for (p = IVGPU; p < NPEERS; p++)
		if (want[p] && drm_fd[p] < 0) {
			printf("# %s: no device in this VM, left out\n", peer_name[p]);
			want[p] = false;
		}

	/* Interleaved: every repetition visits every peer and workload in turn. */
	for (r = 0; r < reps; r++)
		for (si = 0; si < nsizes; si++)
			for (w = 0; w < NWORK; w++)
				for (p = 0; p < NPEERS; p++) {
					int ret;

					if (!want[p] || err[si][p])
						continue;
					ret = run_one(p, w, sizes[si], &res[si][p][w][r]);
					if (ret) {
						err[si][p] = ret;
						printf("# %s, %zu MiB: %s; left out\n", peer_name[p],
						       sizes[si] >> 20, strerror(-ret));
					}
				}

	/* The prefault sweep: ivgpu's first touch with each batch size. */
	if (nsweep && drm_fd[IVGPU] >= 0) {
		int saved = read_param(PREFAULT_PARAM);

		for (r = 0; r < reps; r++)
			for (si = 0; si < nsizes; si++)
				for (k = 0; k < nsweep; k++) {
					if (write_param(PREFAULT_PARAM, sweep_pages[k]) ||
					    run_one(IVGPU, FIRST_TOUCH, sizes[si], &sweep[si][k][r])) {
						printf("# prefault sweep failed: %s\n", strerror(errno));
						nsweep = 0;
						break;
					}
				}
		if (saved > 0)
			write_param(PREFAULT_PARAM, saved);
		if (nsweep) {
			printf("\nPrefault batch (ivgpu first touch, module parameter prefault_pages; default %d):\n\n",
			       saved);
			printf("| size | prefault_pages | median ms | faults/MiB | pages/fault | vs 1 page |\n");
			printf("|---|---:|---:|---:|---:|---:|\n");
		}
		for (si = 0; si < nsizes && nsweep; si++) {
			double mib = sizes[si] / 1048576.0;
			double base = median(sweep[si][0], reps, offsetof(struct sample, ns));

			for (k = 0; k < nsweep; k++) {
				double ns = median(sweep[si][k], reps, offsetof(struct sample, ns));
				double f = median(sweep[si][k], reps,
						  offsetof(struct sample, ivgpu_faults));
				double pg = median(sweep[si][k], reps,
						   offsetof(struct sample, ivgpu_pages));

				printf("| %.0f MiB | %u | %.2f | %.2f | %.1f | %.2fx |\n", mib,
				       sweep_pages[k], ns / 1e6, f / mib, f ? pg / f : 0, base / ns);
			}
		}
	}

	printf("\n| size | workload | peer | median ms | MB/s | faults/MiB | pages/fault | vs anon | vs bochs |\n");
	printf("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
	if (csv)
		fprintf(csv, "size_mib,workload,peer,median_ms,mb_s,faults_per_mib,pages_per_fault\n");
	for (si = 0; si < nsizes; si++) {
		double mib = sizes[si] / 1048576.0;

		for (w = 0; w < NWORK; w++) {
			double anon_ns = 0, bochs_ns = 0;

			if (want[ANON] && !err[si][ANON])
				anon_ns = median(res[si][ANON][w], reps, offsetof(struct sample, ns));
			if (want[BOCHS] && !err[si][BOCHS])
				bochs_ns = median(res[si][BOCHS][w], reps, offsetof(struct sample, ns));
			for (p = 0; p < NPEERS; p++) {
				double ns, faults, ppf, bytes, mbs;
				char vs_anon[16] = "", vs_bochs[16] = "";

				if (!want[p] || err[si][p])
					continue;
				ns = median(res[si][p][w], reps, offsetof(struct sample, ns));
				faults = median(res[si][p][w], reps, offsetof(struct sample, faults));
				if (p == IVGPU && ivgpu_debugfs[0]) {
					double f = median(res[si][p][w], reps,
							  offsetof(struct sample, ivgpu_faults));
					double pg = median(res[si][p][w], reps,
							   offsetof(struct sample, ivgpu_pages));

					faults = f;
					ppf = f ? pg / f : 0;
				} else {
					ppf = faults ? (sizes[si] / PAGE) / faults : 0;
				}
				if (w != FIRST_TOUCH)
					ppf = 0;
				bytes = w == MEMCPY ? sizes[si] / 2.0 : sizes[si];
				mbs = bytes / 1048576.0 / (ns / 1e9);
				if (anon_ns)
					snprintf(vs_anon, sizeof(vs_anon), "%.2fx", anon_ns / ns);
				if (bochs_ns)
					snprintf(vs_bochs, sizeof(vs_bochs), "%.2fx", bochs_ns / ns);
				printf("| %.0f MiB | %s | %s | %.2f | %.0f | %.2f | %.1f | %s | %s |\n",
				       mib, work_name[w], peer_name[p], ns / 1e6, mbs, faults / mib,
				       ppf, vs_anon, vs_bochs);
				if (csv)
					fprintf(csv, "%.0f,%s,%s,%.3f,%.0f,%.3f,%.2f\n", mib,
						work_name[w], peer_name[p], ns / 1e6, mbs,
						faults / mib, ppf);
			}
		}
	}
	printf("\n%d repetitions each, interleaved; \"vs\" columns: the peer's median time / this row's (above 1 = this row is faster).\n",
	       reps);

	/* The targets ivgpu is held to, judged from the medians above. */
	if (want[IVGPU]) {
		printf("\n| target | size | measured | met |\n|---|---|---:|---|\n");
		for (si = 0; si < nsizes; si++) {
			double mib = sizes[si] / 1048576.0, iv, other, f;

			if (err[si][IVGPU])
				continue;
			iv = median(res[si][IVGPU][FIRST_TOUCH], reps, offsetof(struct sample, ns));
			if (want[BOCHS] && !err[si][BOCHS]) {
				other = median(res[si][BOCHS][FIRST_TOUCH], reps,
					       offsetof(struct sample, ns));
				printf("| first touch >= 2x faster than bochs | %.0f MiB | %.2fx | %s |\n",
				       mib, other / iv, other / iv >= 2 ? "yes" : "NO");
			}
			f = median(res[si][IVGPU][FIRST_TOUCH], reps,
				   offsetof(struct sample, ivgpu_faults));
			printf("| at most 1 fault per 64 KiB | %.0f MiB | %.2f per 64 KiB | %s |\n",
			       mib, f / (mib * 16), f <= mib * 16 ? "yes" : "NO");
			for (w = MEMSET; w <= MEMCPY; w++) {
				if (!want[ANON] || err[si][ANON])
					continue;
				iv = median(res[si][IVGPU][w], reps, offsetof(struct sample, ns));
				other = median(res[si][ANON][w], reps, offsetof(struct sample, ns));
				printf("| %s bandwidth within 10%% of anon | %.0f MiB | %.2fx | %s |\n",
				       work_name[w], mib, other / iv, other / iv >= 0.9 ? "yes" : "NO");
			}
		}
	}
	if (csv)
		fclose(csv);
	return 0;
}
