// SPDX-License-Identifier: GPL-2.0
/*
 * ivgpu-stress: several processes, each with several threads, run a random
 * mix of everything the driver offers for a given time, and check every byte
 * they read against the pattern it must hold.
 *
 * Operations: create (every kind, contiguous or scattered, GEM_CREATE or
 * GEM_MAP with CREATE), write (through the process's mapping, through
 * pwrite in random chunks, or through pwrite from a mapping of another ivgpu
 * object), verify (through the mapping, a fresh GEM_MAP user mapping, pread
 * at any alignment, pread into another ivgpu mapping, or debugfs
 * ivgpu_bo_dump, which reads through a kernel mapping), kernel mappings
 * (GEM_MAP/UNMAP held across a verify), revoke of a random range, move,
 * partial munmap, fork (the child verifies through the inherited mapping,
 * revokes and verifies again), PRIME export to a sibling process over a UNIX
 * socket (SCM_RIGHTS) and import there, close, and, with a co-processor, a
 * CRC32 job over the whole object whose result must be the CRC-32 of the
 * pattern (what the engine reads of VRAM while the object is moved,
 * faulted and revoked elsewhere).
 *
 * Data model.  Objects live in a table in memory shared by all processes;
 * each entry has a process-shared rwlock and a generation.  The contents of
 * an object are a pure function of (object id, generation, offset), with
 * generation 0 meaning zeros, so a stale page (older generation), a page of
 * another object, or a page at the wrong offset never matches.  A writer
 * takes the write lock, bumps the generation and rewrites the whole object;
 * a verifier takes the read lock and checks what it reads.  Revoke, move
 * and kernel mappings take no lock at all: they must not change the data,
 * so they race freely with writers and verifiers, which is the point.
 * Every process holds at most one handle per object (imports of an object it
 * already has give the same handle), kept in a per-process table; the
 * shared entry counts the processes holding one plus the dma-bufs in flight,
 * and is freed when that reaches zero.
 *
 * Small BAR: the driver reaches VRAM through banked windows, and every
 * operation runs as with a large BAR.
 *
 * The seed (printed) fixes each thread's sequence of choices; the
 * interleaving of threads and processes is the scheduler's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu-tool.h"

#define PAGE		4096ull
#define MAX_SLOTS	256
#define MAX_PROCS	16
#define MAX_THREADS	32
#define GEN_BAD		UINT32_MAX	/* contents unknown after a failed write */
#define DUMP_MAX	4096u		/* bytes per debugfs dump check */

/* Operations, as counted in the summary. */
enum op {
	OP_CREATE, OP_MAP_CREATE, OP_CLOSE, OP_INFO,
	OP_WRITE_MMAP, OP_WRITE_PWRITE, OP_WRITE_FROM_MAP,
	OP_VERIFY_MMAP, OP_VERIFY_USERMAP, OP_VERIFY_PREAD, OP_VERIFY_INTO_MAP, OP_VERIFY_DUMP,
	OP_KMAP, OP_REVOKE, OP_MOVE, OP_PARTIAL_MUNMAP, OP_FORK, OP_EXPORT, OP_IMPORT,
	OP_VERIFY_COPROC,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	[OP_CREATE] = "create", [OP_MAP_CREATE] = "map-create", [OP_CLOSE] = "close",
	[OP_INFO] = "info", [OP_WRITE_MMAP] = "write-mmap", [OP_WRITE_PWRITE] = "write-pwrite",
	[OP_WRITE_FROM_MAP] = "write-pwrite-from-map", [OP_VERIFY_MMAP] = "verify-mmap",
	[OP_VERIFY_USERMAP] = "verify-gem-map-user", [OP_VERIFY_PREAD] = "verify-pread",
	[OP_VERIFY_INTO_MAP] = "verify-pread-into-map", [OP_VERIFY_DUMP] = "verify-debugfs-dump",
	[OP_KMAP] = "gem-map-kernel", [OP_REVOKE] = "revoke", [OP_MOVE] = "move",
	[OP_PARTIAL_MUNMAP] = "partial-munmap", [OP_FORK] = "fork", [OP_EXPORT] = "prime-export",
	[OP_IMPORT] = "prime-import", [OP_VERIFY_COPROC] = "verify-coproc-crc32",
};

/* Relative weights of the operations (imports follow exports). */
static const unsigned int weight[OP_COUNT] = {
	[OP_CREATE] = 10, [OP_MAP_CREATE] = 2, [OP_CLOSE] = 7, [OP_INFO] = 2,
	[OP_WRITE_MMAP] = 10, [OP_WRITE_PWRITE] = 5, [OP_WRITE_FROM_MAP] = 2,
	[OP_VERIFY_MMAP] = 10, [OP_VERIFY_USERMAP] = 3, [OP_VERIFY_PREAD] = 6,
	[OP_VERIFY_INTO_MAP] = 2, [OP_VERIFY_DUMP] = 2, [OP_KMAP] = 4, [OP_REVOKE] = 8,
	[OP_MOVE] = 6, [OP_PARTIAL_MUNMAP] = 3, [OP_FORK] = 1, [OP_EXPORT] = 6,
	[OP_VERIFY_COPROC] = 4,
};

/* Errors the driver documents and the program accepts, counted. */
enum expect { EXP_ENOSPC, EXP_EBUSY, EXP_COUNT };
static const char *const exp_names[EXP_COUNT] = { "ENOSPC", "EBUSY" };

struct slot {
	pthread_mutex_t lock;		/* @state, @refs */
	pthread_rwlock_t data;		/* write: rewriting; read: verifying */
	int state;			/* SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE */
	unsigned int refs;		/* processes with a handle + dma-bufs in flight */
	uint64_t id;			/* the device-wide object id (GEM_INFO) */
	uint64_t size;
	uint32_t kind, flags;
	uint32_t gen;			/* under @data */
	uint32_t kmaps_live;		/* atomic: GEM_MAP kernel mappings held */
	uint64_t kmap_events;		/* atomic: kernel maps and unmaps so far */
};

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE };

struct shared {
	struct slot slots[MAX_SLOTS];
	pthread_mutex_t dump_lock;	/* debugfs ivgpu_bo_dump is one request per device */
	pthread_barrier_t done;		/* every worker of every process has stopped */
	uint64_t ops[OP_COUNT];
	uint64_t expected[EXP_COUNT];
	uint64_t bytes_verified, bytes_written, checks;
	uint64_t mismatches, errors;
	int stop;
};

/* One object as a process holds it. */
struct lobj {
	int slot;
	uint32_t handle;
	void *map;			/* whole-object mapping, made on first use */
	unsigned int users;		/* threads using it now */
	int open;			/* the table holds it (cleared by close) */
};

static struct {
	unsigned int duration, procs, threads, slots;
	uint64_t seed, min_size, max_size;
	int tap, verbose;
} opt = { 60, 3, 3, 64, 0, 4096, 512 << 10, 0, 0 };

static struct shared *sh;
static int small_bar;			/* VRAM behind banked windows */
static char debugfs[512];
static struct timespec deadline;
static int socks[MAX_PROCS][2];		/* [i][0]: process i receives; [i][1]: others send */

/* Per process. */
static int proc_index, drm_fd;
static pthread_mutex_t plock = PTHREAD_MUTEX_INITIALIZER;	/* ltab, lobj.users/open/map */
static struct lobj *ltab[MAX_SLOTS];

/*
 * The co-processor's check (OP_VERIFY_COPROC), per process: a command
 * buffer with one command slot per worker thread, and an object whose
 * 4-byte word per thread takes the CRC-32 results; made before the workers
 * start, freed after they stop.  cp_cb.handle is 0 without a co-processor.
 */
static struct ivgpu_tool_cmdbuf cp_cb;
static uint32_t cp_result;
static volatile uint32_t *cp_words;
static volatile int receiver_stop;

/* Per thread. */
static __thread uint64_t rng;
static __thread unsigned int tid;

/* Output through write(2): safe in a forked child, and never interleaved. */
static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n = 0;

	if (opt.tap)
		n = snprintf(buf, sizeof(buf), "# ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (write(1, buf, n) < 0)
		return;
}

static void count_op(enum op op)
{
	__atomic_add_fetch(&sh->ops[op], 1, __ATOMIC_RELAXED);
}

static void count_expected(enum expect e)
{
	__atomic_add_fetch(&sh->expected[e], 1, __ATOMIC_RELAXED);
}

/* An unexpected result: report it and stop every worker. */
static void fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED) <= 10)
		say("ERROR p%d t%u: %s\n", proc_index, tid, buf);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
}

static int stopping(void)
{
	struct timespec now;

	if (__atomic_load_n(&sh->stop, __ATOMIC_RELAXED))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* The word at byte offset @off (a multiple of 8) of object @id at @gen. */
static uint64_t pattern(uint64_t id, uint32_t gen, uint64_t off)
{
	if (!gen)
		return 0;
	return mix64(mix64(id * 0x9e3779b97f4a7c15ull ^ gen) + off);
}

static void fill_pattern(void *dst, uint64_t id, uint32_t gen, uint64_t off, uint64_t len)
{
	uint64_t *w = dst, o;

	for (o = off; o < off + len; o += 8)
		*w++ = pattern(id, gen, o);
}

/* Which generation a wrong word belongs to, for the report (-1: none near). */
static long guess_gen(uint64_t id, uint32_t gen, uint64_t off, uint64_t got)
{
	long g;

	for (g = (long)gen + 2; g >= 0 && g + 64 >= (long)gen; g--)
		if (pattern(id, g, off) == got)
			return g;
	return -1;
}

static void report_word(const char *how, int s, uint32_t gen, uint64_t off, uint64_t got,
			uint64_t want)
{
	struct slot *sl = &sh->slots[s];
	long g = guess_gen(sl->id, gen, off, got);
	char what[64];

	if (g >= 0)
		snprintf(what, sizeof(what), "generation %ld's value: stale", g);
	else
		snprintf(what, sizeof(what), "no recent generation's value here");
	say("MISMATCH p%d t%u %s: object %" PRIu64 " (slot %d, %" PRIu64 " bytes) generation %u "
	    "offset 0x%" PRIx64 ": read 0x%016" PRIx64 ", expected 0x%016" PRIx64 " (%s)\n",
	    proc_index, tid, how, sl->id, s, sl->size, gen, off, got, want, what);
}

/*
 * Compare @len bytes that were read from @off of slot @s (at generation
 * @gen) against the pattern.  @off and @len may have any alignment.
 */
static int check_bytes(const char *how, int s, uint32_t gen, uint64_t off,
		       const volatile void *got, uint64_t len)
{
	const volatile uint8_t *b = got;
	struct slot *sl = &sh->slots[s];
	uint64_t i, n = 0;

	for (i = 0; i < len; ) {
		uint64_t o = off + i, wo = o & ~7ull, w = pattern(sl->id, gen, wo);

		if ((o & 7) == 0 && len - i >= 8) {
			uint64_t g = *(const volatile uint64_t *)(b + i);

			if (g != w) {
				n++;
				if (__atomic_add_fetch(&sh->mismatches, 1, __ATOMIC_RELAXED) <= 8)
					report_word(how, s, gen, o, g, w);
			}
			i += 8;
		} else {
			uint8_t e = w >> ((o & 7) * 8), g = b[i];

			if (g != e) {
				n++;
				if (__atomic_add_fetch(&sh->mismatches, 1, __ATOMIC_RELAXED) <= 8)
					say("MISMATCH p%d t%u %s: object %" PRIu64 " (slot %d) generation %u byte 0x%" PRIx64
					    ": read 0x%02x, expected 0x%02x\n",
					    proc_index, tid, how, sl->id, s, gen, o, g, e);
			}
			i++;
		}
	}
	__atomic_add_fetch(&sh->bytes_verified, len, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->checks, 1, __ATOMIC_RELAXED);
	if (n)
		__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	return n ? -1 : 0;
}

/* ioctl, retried on EINTR and EAGAIN as libdrm does; -errno on failure. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

static uint64_t get_param(int fd, uint32_t param)
{
	struct drm_ivgpu_get_param gp = { .param = param };

	if (xioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp))
		return 0;
	return gp.value;
}

static int gem_close(uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return xioctl(drm_fd, DRM_IOCTL_GEM_CLOSE, &c);
}

/* The mmap offset's mapping of [@off, @off + @len) of @handle; NULL and errno. */
static void *map_range(uint32_t handle, uint64_t off, uint64_t len)
{
	struct drm_ivgpu_gem_mmap_offset mo = { .handle = handle };
	void *p;
	int ret;

	ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &mo);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, drm_fd, mo.offset + off);
	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------------ */
/* The shared object table.                                           */

static void slot_unref(int s)
{
	struct slot *sl = &sh->slots[s];

	pthread_mutex_lock(&sl->lock);
	if (!sl->refs) {
		pthread_mutex_unlock(&sl->lock);
		fail("slot %d released more often than held", s);
		return;
	}
	if (!--sl->refs) {
		sl->state = SLOT_FREE;
		sl->id = 0;
	}
	pthread_mutex_unlock(&sl->lock);
}

static void slot_ref(int s)
{
	struct slot *sl = &sh->slots[s];

	pthread_mutex_lock(&sl->lock);
	sl->refs++;
	pthread_mutex_unlock(&sl->lock);
}

/* A free slot, now CLAIMED by the caller; -1 when the table is full. */
static int slot_claim(void)
{
	unsigned int start = rnd_below(opt.slots), i;

	for (i = 0; i < opt.slots; i++) {
		struct slot *sl = &sh->slots[(start + i) % opt.slots];

		if (pthread_mutex_trylock(&sl->lock))
			continue;
		if (sl->state == SLOT_FREE) {
			sl->state = SLOT_CLAIMED;
			pthread_mutex_unlock(&sl->lock);
			return (start + i) % opt.slots;
		}
		pthread_mutex_unlock(&sl->lock);
	}
	return -1;
}

static void slot_unclaim(int s)
{
	struct slot *sl = &sh->slots[s];

	pthread_mutex_lock(&sl->lock);
	sl->state = SLOT_FREE;
	pthread_mutex_unlock(&sl->lock);
}

/*
 * Make a CLAIMED slot LIVE for a new object, held by this process.  The
 * object comes back in use by the caller (lobj_put() it): published with no
 * user, another thread could close it and another object take the slot
 * before the caller looked at it again.  NULL if it could not be published.
 */
static struct lobj *slot_publish(int s, uint32_t handle, uint64_t size, uint32_t kind,
				 uint32_t flags)
{
	struct drm_ivgpu_gem_info info = { .handle = handle };
	struct slot *sl = &sh->slots[s];
	struct lobj *o;
	int ret;

	ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_INFO, &info);
	if (ret) {
		fail("GEM_INFO of a new object: %s", strerror(-ret));
		gem_close(handle);
		slot_unclaim(s);
		return NULL;
	}
	if (info.size != size || info.kind != kind ||
	    ((flags & IVGPU_BO_CONTIGUOUS || kind == IVGPU_BO_FRAMEBUFFER) && info.num_blocks != 1))
		fail("new object %u: GEM_INFO says size %" PRIu64 " kind %u blocks %u, created size %" PRIu64
		     " kind %u flags %u", handle, (uint64_t)info.size, info.kind, info.num_blocks,
		     size, kind, flags);

	pthread_rwlock_wrlock(&sl->data);
	sl->gen = 0;
	pthread_rwlock_unlock(&sl->data);
	pthread_mutex_lock(&sl->lock);
	sl->id = info.id;
	sl->size = size;
	sl->kind = kind;
	sl->flags = flags;
	sl->refs = 1;
	sl->state = SLOT_LIVE;
	pthread_mutex_unlock(&sl->lock);

	o = calloc(1, sizeof(*o));
	if (!o) {
		fail("out of memory");
		return NULL;
	}
	o->slot = s;
	o->handle = handle;
	o->open = 1;
	o->users = 1;
	pthread_mutex_lock(&plock);
	ltab[s] = o;
	pthread_mutex_unlock(&plock);
	return o;
}

/* ------------------------------------------------------------------ */
/* The per-process table.                                             */

/* Drop the handle and the mapping of @o; plock held. */
static void lobj_release(struct lobj *o)
{
	int ret;

	if (o->map && munmap(o->map, sh->slots[o->slot].size))
		fail("munmap: %s", strerror(errno));
	ret = gem_close(o->handle);
	if (ret)
		fail("GEM_CLOSE of handle %u: %s", o->handle, strerror(-ret));
	ltab[o->slot] = NULL;
	slot_unref(o->slot);
	free(o);
}

/* A random object this process holds, in use by the caller; NULL if none. */
static struct lobj *lobj_get(void)
{
	unsigned int start = rnd_below(opt.slots), i;
	struct lobj *o = NULL;

	pthread_mutex_lock(&plock);
	for (i = 0; i < opt.slots && !o; i++) {
		struct lobj *c = ltab[(start + i) % opt.slots];

		if (c && c->open)
			o = c;
	}
	if (o)
		o->users++;
	pthread_mutex_unlock(&plock);
	return o;
}

static void lobj_put(struct lobj *o)
{
	pthread_mutex_lock(&plock);
	if (!--o->users && !o->open)
		lobj_release(o);
	pthread_mutex_unlock(&plock);
}

/* The whole-object mapping of @o (made on first use); NULL and errno. */
static uint64_t *lobj_map(struct lobj *o)
{
	void *p;

	pthread_mutex_lock(&plock);
	if (!o->map)
		o->map = map_range(o->handle, 0, sh->slots[o->slot].size);
	p = o->map;
	pthread_mutex_unlock(&plock);
	return p;
}

/* ------------------------------------------------------------------ */
/* Operations.                                                        */

static uint64_t rnd_size(void)
{
	uint64_t pages_min = (opt.min_size + PAGE - 1) / PAGE;
	uint64_t pages_max = (opt.max_size + PAGE - 1) / PAGE;

	/* Small objects more often than large ones. */
	if (rnd() & 1)
		pages_max = pages_min + (pages_max - pages_min) / 8;
	return (pages_min + rnd_below(pages_max - pages_min + 1)) * PAGE;
}

static void op_create(int with_map)
{
	uint32_t kind = rnd_below(3), flags = rnd_below(2) ? IVGPU_BO_CONTIGUOUS : 0;
	uint64_t size = rnd_size(), asked = size - rnd_below(PAGE);
	struct lobj *o;
	uint32_t handle;
	int s, ret;

	s = slot_claim();
	if (s < 0)
		return;

	if (!with_map) {
		struct drm_ivgpu_gem_create c = {
			.size = asked, .kind = kind, .flags = flags,
			.alignment = rnd_below(4) ? 0 : PAGE << rnd_below(5),
		};

		ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_CREATE, &c);
		handle = c.handle;
		if (!ret && c.size != size)
			fail("GEM_CREATE of %" PRIu64 " bytes made %" PRIu64, asked, (uint64_t)c.size);
		count_op(OP_CREATE);
	} else {
		/* A kernel mapping of a new object, released again at once. */
		struct drm_ivgpu_gem_map m = {
			.flags = IVGPU_MAP_CREATE | IVGPU_MAP_KERNEL,
			.create_size = asked, .create_kind = kind, .create_flags = flags,
		};

		ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_MAP, &m);
		handle = m.handle;
		count_op(OP_MAP_CREATE);
		if (!ret) {
			struct drm_ivgpu_gem_unmap u = { .map_id = m.map_id };

			ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_UNMAP, &u);
			if (ret)
				fail("GEM_UNMAP of a GEM_MAP CREATE mapping: %s", strerror(-ret));
			if (m.create_size != size)
				fail("GEM_MAP CREATE of %" PRIu64 " bytes made %" PRIu64, asked,
				     (uint64_t)m.create_size);
		}
	}
	if (ret == -ENOSPC) {
		count_expected(EXP_ENOSPC);
		slot_unclaim(s);
		return;
	}
	if (ret) {
		fail("%s of %" PRIu64 " bytes kind %u flags %u: %s",
		     with_map ? "GEM_MAP CREATE" : "GEM_CREATE", asked, kind, flags, strerror(-ret));
		slot_unclaim(s);
		return;
	}
	o = slot_publish(s, handle, size, kind, flags);
	if (!o)
		return;

	/* New memory reads as zeros. */
	if (rnd_below(2)) {
		uint64_t *p = lobj_map(o);

		if (!p) {
			fail("mmap of a new object: %s", strerror(errno));
		} else {
			pthread_rwlock_rdlock(&sh->slots[s].data);
			check_bytes("new object through mmap", s, sh->slots[s].gen, 0, p, size);
			pthread_rwlock_unlock(&sh->slots[s].data);
		}
	}
	lobj_put(o);
}

static void op_close(void)
{
	struct lobj *o = lobj_get();

	if (!o)
		return;
	pthread_mutex_lock(&plock);
	o->open = 0;
	pthread_mutex_unlock(&plock);
	count_op(OP_CLOSE);
	lobj_put(o);
}

static void op_info(struct lobj *o)
{
	struct drm_ivgpu_gem_info info = { .handle = o->handle };
	struct slot *sl = &sh->slots[o->slot];
	int ret;

	ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_INFO, &info);
	count_op(OP_INFO);
	if (ret)
		fail("GEM_INFO of handle %u: %s", o->handle, strerror(-ret));
	else if (info.id != sl->id || info.size != sl->size || info.kind != sl->kind ||
		 !info.num_blocks)
		fail("GEM_INFO of handle %u: id %" PRIu64 " size %" PRIu64 " kind %u blocks %u, "
		     "the table says id %" PRIu64 " size %" PRIu64 " kind %u", o->handle,
		     (uint64_t)info.id, (uint64_t)info.size, info.kind, info.num_blocks,
		     sl->id, sl->size, sl->kind);
}

/* Rewrite all of @o with a new generation, by way @op. */
static void op_write(struct lobj *o, enum op op)
{
	struct slot *sl = &sh->slots[o->slot];
	uint64_t size = sl->size, done, n;
	uint32_t gen, old;
	uint64_t *p = NULL;
	void *buf = NULL;
	int ret = 0;

	if (op == OP_WRITE_MMAP) {
		p = lobj_map(o);
		if (!p) {
			fail("mmap: %s", strerror(errno));
			return;
		}
	} else if (op == OP_WRITE_PWRITE) {
		buf = malloc(size);
		if (!buf) {
			fail("out of memory");
			return;
		}
	}

	pthread_rwlock_wrlock(&sl->data);
	old = sl->gen;
	gen = old == GEN_BAD || old + 1 == GEN_BAD ? 1 : old + 1;
	sl->gen = GEN_BAD;

	if (op == OP_WRITE_MMAP) {
		fill_pattern(p, sl->id, gen, 0, size);
		__sync_synchronize();
	} else if (op == OP_WRITE_PWRITE) {
		/* Random chunks at any alignment. */
		fill_pattern(buf, sl->id, gen, 0, size);
		for (done = 0; done < size && !ret; done += n) {
			struct drm_ivgpu_gem_rw rw = { .handle = o->handle, .offset = done };

			n = 1 + rnd_below(size - done);
			rw.size = n;
			rw.data_ptr = (uintptr_t)buf + done;
			ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_PWRITE, &rw);
		}
		if (ret)
			fail("GEM_PWRITE: %s", strerror(-ret));
	} else {
		/* From a mapping of a private scratch object. */
		struct drm_ivgpu_gem_create c = { .size = size };
		void *src;

		ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_CREATE, &c);
		if (ret == -ENOSPC) {
			count_expected(EXP_ENOSPC);
			/* Nothing was written: the old contents stand. */
			sl->gen = old;
			pthread_rwlock_unlock(&sl->data);
			return;
		}
		if (ret) {
			fail("GEM_CREATE of a scratch object: %s", strerror(-ret));
		} else {
			src = map_range(c.handle, 0, size);
			if (!src) {
				fail("mmap of a scratch object: %s", strerror(errno));
				ret = -1;
			} else {
				struct drm_ivgpu_gem_rw rw = {
					.handle = o->handle, .size = size, .data_ptr = (uintptr_t)src,
				};

				fill_pattern(src, sl->id, gen, 0, size);
				ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_PWRITE, &rw);
				if (ret)
					fail("GEM_PWRITE from an ivgpu mapping: %s", strerror(-ret));
				munmap(src, size);
			}
			gem_close(c.handle);
		}
	}
	if (!ret) {
		sl->gen = gen;
		__atomic_add_fetch(&sh->bytes_written, size, __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&sl->data);
	free(buf);
	count_op(op);
}

/* Verify all or part of @o, by way @op. */
static void op_verify(struct lobj *o, enum op op)
{
	struct slot *sl = &sh->slots[o->slot];
	uint64_t size = sl->size, off, len;
	uint32_t gen;
	int ret;

	pthread_rwlock_rdlock(&sl->data);
	gen = sl->gen;
	if (gen == GEN_BAD)
		goto out_unlock;

	switch (op) {
	case OP_VERIFY_MMAP: {
		uint64_t *p = lobj_map(o);

		if (!p) {
			fail("mmap: %s", strerror(errno));
			break;
		}
		check_bytes("mmap", o->slot, gen, 0, p, size);
		break;
	}
	case OP_VERIFY_USERMAP: {
		struct drm_ivgpu_gem_map m = { .handle = o->handle, .flags = IVGPU_MAP_USER };

		off = rnd_below(size / PAGE) * PAGE;
		len = (1 + rnd_below((size - off) / PAGE)) * PAGE;
		m.offset = off;
		m.size = rnd_below(4) ? len : 0;
		if (!m.size)
			len = size - off;
		ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_MAP, &m);
		if (ret) {
			fail("GEM_MAP user: %s", strerror(-ret));
			break;
		}
		check_bytes("GEM_MAP user mapping", o->slot, gen, off, (void *)(uintptr_t)m.addr, len);
		if (munmap((void *)(uintptr_t)m.addr, len))
			fail("munmap of a GEM_MAP user mapping: %s", strerror(errno));
		break;
	}
	case OP_VERIFY_PREAD:
	case OP_VERIFY_INTO_MAP: {
		struct drm_ivgpu_gem_rw rw = { .handle = o->handle };
		struct drm_ivgpu_gem_create c = { 0 };
		void *buf;

		off = rnd_below(size);
		len = 1 + rnd_below(size - off);
		if (op == OP_VERIFY_PREAD) {
			buf = malloc(len);
			if (!buf) {
				fail("out of memory");
				break;
			}
		} else {
			/* Into a mapping of a private scratch object. */
			c.size = len;
			ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_CREATE, &c);
			if (ret == -ENOSPC) {
				count_expected(EXP_ENOSPC);
				break;
			}
			if (ret) {
				fail("GEM_CREATE of a scratch object: %s", strerror(-ret));
				break;
			}
			buf = map_range(c.handle, 0, c.size);
			if (!buf) {
				fail("mmap of a scratch object: %s", strerror(errno));
				gem_close(c.handle);
				break;
			}
		}
		rw.offset = off;
		rw.size = len;
		rw.data_ptr = (uintptr_t)buf;
		ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_PREAD, &rw);
		if (ret)
			fail("GEM_PREAD of %" PRIu64 " bytes at %" PRIu64 ": %s", len, off,
			     strerror(-ret));
		else
			check_bytes(op == OP_VERIFY_PREAD ? "pread" : "pread into an ivgpu mapping",
				    o->slot, gen, off, buf, len);
		if (op == OP_VERIFY_PREAD) {
			free(buf);
		} else {
			munmap(buf, c.size);
			gem_close(c.handle);
		}
		break;
	}
	case OP_VERIFY_DUMP: {
		/* debugfs ivgpu_bo_dump reads through a kernel mapping. */
		static __thread uint8_t got[DUMP_MAX];
		char path[600], req[96], line[128];
		uint64_t n = 0;
		FILE *f;
		int fd;

		if (!debugfs[0])
			break;
		off = rnd_below(size);
		len = 1 + rnd_below(size - off < DUMP_MAX ? size - off : DUMP_MAX);
		snprintf(path, sizeof(path), "%s/ivgpu_bo_dump", debugfs);
		pthread_mutex_lock(&sh->dump_lock);
		fd = open(path, O_RDWR);
		snprintf(req, sizeof(req), "%" PRIu64 " %" PRIu64 " %" PRIu64, sl->id, off, len);
		if (fd < 0 || write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
			fail("debugfs ivgpu_bo_dump request \"%s\": %s", req, strerror(errno));
			if (fd >= 0)
				close(fd);
			pthread_mutex_unlock(&sh->dump_lock);
			break;
		}
		f = fdopen(fd, "r");
		while (f && fgets(line, sizeof(line), f)) {
			char *s = strchr(line, ':');
			unsigned int v;
			int k;

			for (s = s ? s + 1 : line; n < len && sscanf(s, " %2x%n", &v, &k) == 1; s += k)
				got[n++] = v;
		}
		if (f)
			fclose(f);
		else
			close(fd);
		pthread_mutex_unlock(&sh->dump_lock);
		if (n != len)
			fail("debugfs ivgpu_bo_dump of %" PRIu64 " bytes gave %" PRIu64, len, n);
		else
			check_bytes("debugfs ivgpu_bo_dump", o->slot, gen, off, got, len);
		break;
	}
	default:
		break;
	}
out_unlock:
	pthread_rwlock_unlock(&sl->data);
	count_op(op);
}

/* A kernel mapping of a random range, held across a verify through pread. */
static void op_kmap(struct lobj *o)
{
	struct slot *sl = &sh->slots[o->slot];
	uint64_t off = rnd_below(sl->size / PAGE) * PAGE;
	struct drm_ivgpu_gem_map m = {
		.handle = o->handle, .flags = IVGPU_MAP_KERNEL, .offset = off,
		.size = (1 + rnd_below((sl->size - off) / PAGE)) * PAGE,
	};
	struct drm_ivgpu_gem_unmap u = { 0 };
	int ret;

	__atomic_add_fetch(&sl->kmaps_live, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sl->kmap_events, 1, __ATOMIC_SEQ_CST);
	ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_MAP, &m);
	count_op(OP_KMAP);
	if (ret == -ENOSPC) {
		count_expected(EXP_ENOSPC);
	} else if (ret) {
		fail("GEM_MAP kernel [%" PRIu64 ", +%" PRIu64 "): %s", off, (uint64_t)m.size,
		     strerror(-ret));
	} else {
		op_verify(o, OP_VERIFY_PREAD);
		u.map_id = m.map_id;
		ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_UNMAP, &u);
		if (ret)
			fail("GEM_UNMAP %u: %s", m.map_id, strerror(-ret));
	}
	__atomic_add_fetch(&sl->kmap_events, 1, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&sl->kmaps_live, 1, __ATOMIC_SEQ_CST);
}

static void op_revoke(struct lobj *o)
{
	struct slot *sl = &sh->slots[o->slot];
	uint64_t off = rnd_below(sl->size / PAGE) * PAGE;
	struct drm_ivgpu_gem_revoke r = {
		.handle = o->handle, .offset = off,
		.size = rnd_below(3) ? (1 + rnd_below((sl->size - off) / PAGE)) * PAGE : 0,
	};
	int ret;

	ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_REVOKE, &r);
	count_op(OP_REVOKE);
	if (ret)
		fail("GEM_REVOKE [%" PRIu64 ", +%" PRIu64 "): %s", off, (uint64_t)r.size,
		     strerror(-ret));
}

static void op_move(struct lobj *o)
{
	struct slot *sl = &sh->slots[o->slot];
	struct drm_ivgpu_gem_move m = {
		.handle = o->handle, .flags = rnd_below(2) ? IVGPU_MOVE_CONTIGUOUS : 0,
	};
	uint64_t ev = __atomic_load_n(&sl->kmap_events, __ATOMIC_SEQ_CST);
	uint32_t live = __atomic_load_n(&sl->kmaps_live, __ATOMIC_SEQ_CST);
	int ret;

	ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_MOVE, &m);
	count_op(OP_MOVE);
	if (ret == -ENOSPC) {
		count_expected(EXP_ENOSPC);
	} else if (ret == -EBUSY) {
		/* Only while some process may hold a kernel mapping of it. */
		if (!live && !__atomic_load_n(&sl->kmaps_live, __ATOMIC_SEQ_CST) &&
		    ev == __atomic_load_n(&sl->kmap_events, __ATOMIC_SEQ_CST))
			fail("GEM_MOVE of object %" PRIu64 ": EBUSY with no kernel mapping", sl->id);
		else
			count_expected(EXP_EBUSY);
	} else if (ret) {
		fail("GEM_MOVE of object %" PRIu64 ": %s", sl->id, strerror(-ret));
	} else if ((sl->flags & IVGPU_BO_CONTIGUOUS || sl->kind == IVGPU_BO_FRAMEBUFFER) &&
		   m.num_blocks != 1) {
		fail("GEM_MOVE of contiguous object %" PRIu64 " made %u blocks", sl->id,
		     m.num_blocks);
	}
}

/* Map the whole object, unmap a middle part, verify what is left. */
static void op_partial_munmap(struct lobj *o)
{
	struct slot *sl = &sh->slots[o->slot];
	uint64_t pages = sl->size / PAGE, first, n;
	uint8_t *p;
	uint32_t gen;

	count_op(OP_PARTIAL_MUNMAP);
	p = map_range(o->handle, 0, sl->size);
	if (!p) {
		fail("mmap: %s", strerror(errno));
		return;
	}
	first = rnd_below(pages);
	n = 1 + rnd_below(pages - first);
	pthread_rwlock_rdlock(&sl->data);
	gen = sl->gen;
	if (gen != GEN_BAD && rnd_below(2))
		check_bytes("mmap before a partial munmap", o->slot, gen, 0, p, sl->size);
	if (munmap(p + first * PAGE, n * PAGE))
		fail("partial munmap: %s", strerror(errno));
	if (gen != GEN_BAD) {
		check_bytes("mmap left of a partial munmap", o->slot, gen, 0, p, first * PAGE);
		check_bytes("mmap right of a partial munmap", o->slot, gen, (first + n) * PAGE,
			    p + (first + n) * PAGE, (pages - first - n) * PAGE);
	}
	pthread_rwlock_unlock(&sl->data);
	if (first)
		munmap(p, first * PAGE);
	if (first + n < pages)
		munmap(p + (first + n) * PAGE, (pages - first - n) * PAGE);
}

/*
 * Fork: the child verifies through the mapping it inherited, revokes the
 * object through the file it inherited, verifies again (faulting the
 * entries back in), and exits.  The parent holds the read lock meanwhile.
 * Without CPU access the child checks GEM_INFO and revokes.
 */
static void op_fork(struct lobj *o)
{
	struct slot *sl = &sh->slots[o->slot];
	uint64_t *p;
	uint32_t gen;
	pid_t pid;
	int status;

	p = lobj_map(o);
	if (!p) {
		fail("mmap: %s", strerror(errno));
		return;
	}
	count_op(OP_FORK);
	pthread_rwlock_rdlock(&sl->data);
	gen = sl->gen;
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
	} else if (!pid) {
		struct drm_ivgpu_gem_revoke r = { .handle = o->handle };
		struct drm_ivgpu_gem_info info = { .handle = o->handle };
		int bad = 0, ret;

		if (gen != GEN_BAD)
			bad |= check_bytes("mmap inherited by fork", o->slot, gen, 0, p, sl->size);
		ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_REVOKE, &r);
		if (ret) {
			fail("GEM_REVOKE in a forked child: %s", strerror(-ret));
			bad = 1;
		}
		ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_INFO, &info);
		if (ret || info.id != sl->id) {
			fail("GEM_INFO in a forked child: %s, id %" PRIu64 " for %" PRIu64,
			     strerror(-ret), (uint64_t)info.id, sl->id);
			bad = 1;
		}
		if (gen != GEN_BAD)
			bad |= check_bytes("mmap inherited by fork, after revoke", o->slot, gen, 0,
					   p, sl->size);
		_exit(bad ? 1 : 0);
	} else {
		if (waitpid(pid, &status, 0) != pid)
			fail("waitpid: %s", strerror(errno));
		else if (!WIFEXITED(status))
			fail("forked child died of signal %d", WTERMSIG(status));
		else if (WEXITSTATUS(status))
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	}
	pthread_rwlock_unlock(&sl->data);
}

/* Send a dma-buf of @o to a random process (possibly this one). */
static void op_export(struct lobj *o)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	int s = o->slot, dfd, ret, to = rnd_below(opt.procs);
	struct iovec iov = { .iov_base = &s, .iov_len = sizeof(s) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	count_op(OP_EXPORT);
	ret = drmPrimeHandleToFD(drm_fd, o->handle, DRM_CLOEXEC | DRM_RDWR, &dfd);
	if (ret) {
		fail("PRIME export of handle %u: %s", o->handle, strerror(errno));
		return;
	}
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &dfd, sizeof(int));

	/* The message holds a reference until the receiver takes it over. */
	slot_ref(s);
	while ((ret = sendmsg(socks[to][1], &msg, 0)) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		fail("sendmsg of a dma-buf: %s", strerror(errno));
		slot_unref(s);
	}
	close(dfd);
}

/* Import a dma-buf of slot @s into this process. */
static void import_one(int s, int dfd)
{
	struct drm_ivgpu_gem_info info = { 0 };
	struct slot *sl = &sh->slots[s];
	struct lobj *o;
	uint32_t handle;
	int ret;

	count_op(OP_IMPORT);
	pthread_mutex_lock(&plock);
	ret = drmPrimeFDToHandle(drm_fd, dfd, &handle);
	close(dfd);
	if (ret) {
		fail("PRIME import: %s", strerror(errno));
		pthread_mutex_unlock(&plock);
		slot_unref(s);
		return;
	}
	info.handle = handle;
	ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_INFO, &info);
	if (ret || info.id != sl->id || info.size != sl->size)
		fail("imported object: GEM_INFO %s, id %" PRIu64 " size %" PRIu64
		     ", sent object %" PRIu64 " size %" PRIu64, strerror(-ret), (uint64_t)info.id,
		     (uint64_t)info.size, sl->id, sl->size);
	o = ltab[s];
	if (o) {
		/* This file holds the object already: the same handle comes back. */
		if (o->handle != handle)
			fail("import of object %" PRIu64 " gave handle %u, this file has it as %u",
			     sl->id, handle, o->handle);
		o->open = 1;
		pthread_mutex_unlock(&plock);
		slot_unref(s);
		return;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		fail("out of memory");
		pthread_mutex_unlock(&plock);
		return;
	}
	o->slot = s;
	o->handle = handle;
	o->open = 1;
	ltab[s] = o;
	pthread_mutex_unlock(&plock);
}

static enum op pick_op(void)
{
	const unsigned int *w = weight;
	unsigned int total = 0, i, r;

	for (i = 0; i < OP_COUNT; i++)
		total += w[i];
	r = rnd_below(total);
	for (i = 0; i < OP_COUNT; i++) {
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return OP_INFO;
}

/*
 * The co-processor computes the CRC-32 of the whole object, and it must be
 * the CRC-32 of the pattern the object holds: what the engine reads of VRAM
 * (with the object kept in place by the job while moves, faults and
 * revokes go on in the other threads and processes) against what the CPU
 * wrote through the mappings.
 */
static void op_verify_coproc(struct lobj *o)
{
	struct slot *sl = &sh->slots[o->slot];
	uint64_t size = sl->size;
	uint32_t bos[2] = { o->handle, cp_result }, sobj = 0, want, got;
	uint8_t *buf;
	uint32_t gen;
	int ret;

	if (!cp_cb.handle)
		return;
	buf = malloc(size);
	if (!buf) {
		fail("out of memory");
		return;
	}
	if (drmSyncobjCreate(drm_fd, 0, &sobj)) {
		fail("syncobj: %s", strerror(errno));
		free(buf);
		return;
	}
	pthread_rwlock_rdlock(&sl->data);
	gen = sl->gen;
	if (gen == GEN_BAD)
		goto out_unlock;
	cp_cb.cmds[tid] = (struct drm_ivgpu_cmd){
		.opcode = IVGPU_OP_CRC32, .src_handle = o->handle, .size = size,
		.dst_handle = cp_result, .dst_offset = 4 * tid,
	};
	__sync_synchronize();
	ret = ivgpu_tool_submit(drm_fd, &cp_cb, tid, 1, bos, 2, sobj);
	if (ret) {
		fail("SUBMIT of a CRC32 of object %" PRIu64 ": %s", sl->id, strerror(-ret));
		goto out_unlock;
	}
	ret = ivgpu_tool_wait(drm_fd, sobj, 60000);
	if (ret) {
		fail("CRC32 job of object %" PRIu64 ": %s", sl->id, strerror(-ret));
		goto out_unlock;
	}
	got = cp_words[tid];
	fill_pattern(buf, sl->id, gen, 0, size);
	want = ivgpu_tool_crc32(0, buf, size);
	count_op(OP_VERIFY_COPROC);
	__atomic_add_fetch(&sh->bytes_verified, size, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->checks, 1, __ATOMIC_RELAXED);
	if (got != want) {
		__atomic_add_fetch(&sh->mismatches, 1, __ATOMIC_RELAXED);
		say("MISMATCH p%d t%u co-processor CRC-32: object %" PRIu64 " (slot %d, %" PRIu64
		    " bytes) generation %u: engine 0x%08x, expected 0x%08x\n",
		    proc_index, tid, sl->id, o->slot, size, gen, got, want);
		__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	}
out_unlock:
	pthread_rwlock_unlock(&sl->data);
	drmSyncobjDestroy(drm_fd, sobj);
	free(buf);
}

static void *worker(void *arg)
{
	tid = (uintptr_t)arg;
	rng = mix64(opt.seed ^ mix64(((uint64_t)proc_index << 32) | (tid + 1))) | 1;

	while (!stopping()) {
		enum op op = pick_op();
		struct lobj *o;

		if (op == OP_CREATE || op == OP_MAP_CREATE) {
			op_create(op == OP_MAP_CREATE);
			continue;
		}
		if (op == OP_CLOSE) {
			op_close();
			continue;
		}
		o = lobj_get();
		if (!o) {
			op_create(0);
			continue;
		}
		switch (op) {
		case OP_INFO:
			op_info(o);
			break;
		case OP_WRITE_MMAP:
		case OP_WRITE_PWRITE:
		case OP_WRITE_FROM_MAP:
			op_write(o, op);
			break;
		case OP_VERIFY_MMAP:
		case OP_VERIFY_USERMAP:
		case OP_VERIFY_PREAD:
		case OP_VERIFY_INTO_MAP:
		case OP_VERIFY_DUMP:
			op_verify(o, op);
			break;
		case OP_KMAP:
			op_kmap(o);
			break;
		case OP_REVOKE:
			op_revoke(o);
			break;
		case OP_MOVE:
			op_move(o);
			break;
		case OP_PARTIAL_MUNMAP:
			op_partial_munmap(o);
			break;
		case OP_FORK:
			op_fork(o);
			break;
		case OP_EXPORT:
			op_export(o);
			break;
		case OP_VERIFY_COPROC:
			op_verify_coproc(o);
			break;
		default:
			break;
		}
		lobj_put(o);
	}
	return NULL;
}

/* Receive dma-bufs until told to stop, then take what is still queued. */
static void *receiver(void *arg)
{
	struct timeval tv = { .tv_usec = 100000 };
	int fd = socks[proc_index][0];

	(void)arg;
	tid = 99;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int))];
		int s = -1, dfd = -1, stop = receiver_stop;
		struct iovec iov = { .iov_base = &s, .iov_len = sizeof(s) };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *cm;
		ssize_t n;

		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | (stop ? MSG_DONTWAIT : 0));
		if (n < 0) {
			if (errno == EINTR || ((errno == EAGAIN || errno == EWOULDBLOCK) && !stop))
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fail("recvmsg: %s", strerror(errno));
			break;
		}
		cm = CMSG_FIRSTHDR(&msg);
		if (cm && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&dfd, CMSG_DATA(cm), sizeof(int));
		if (n != sizeof(s) || s < 0 || s >= (int)opt.slots || dfd < 0) {
			fail("bad message on the socket (%zd bytes, slot %d, fd %d)", n, s, dfd);
			continue;
		}
		import_one(s, dfd);
	}
	return NULL;
}

/* The co-processor check's command buffer and result object. */
static void coproc_setup(void)
{
	struct drm_ivgpu_gem_create c = { .size = PAGE };
	int ret;

	/* The CRC table, before the threads race to make it. */
	ivgpu_tool_crc32(0, "", 0);
	ret = ivgpu_tool_cmdbuf_new(drm_fd, PAGE, &cp_cb);
	if (!ret)
		ret = xioctl(drm_fd, DRM_IOCTL_IVGPU_GEM_CREATE, &c);
	if (!ret) {
		cp_result = c.handle;
		cp_words = map_range(cp_result, 0, PAGE);
		if (!cp_words)
			ret = -errno;
	}
	if (ret) {
		fail("co-processor check setup: %s", strerror(-ret));
		ivgpu_tool_cmdbuf_free(drm_fd, &cp_cb);
	}
}

static void coproc_teardown(void)
{
	if (cp_words)
		munmap((void *)cp_words, PAGE);
	if (cp_result)
		gem_close(cp_result);
	ivgpu_tool_cmdbuf_free(drm_fd, &cp_cb);
}

static int process_main(int index)
{
	pthread_t th[MAX_THREADS], rx;
	unsigned int i;

	proc_index = index;
	drm_fd = ivgpu_tool_open_driver("ivgpu", true);
	if (drm_fd < 0) {
		fail("no ivgpu render node");
		pthread_barrier_wait(&sh->done);
		return 1;
	}
	if (ivgpu_tool_caps(drm_fd) & IVGPU_CAPS_COPROC)
		coproc_setup();
	if (pthread_create(&rx, NULL, receiver, NULL)) {
		fail("pthread_create");
		pthread_barrier_wait(&sh->done);
		return 1;
	}
	for (i = 0; i < opt.threads; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i))
			fail("pthread_create");
	for (i = 0; i < opt.threads; i++)
		pthread_join(th[i], NULL);

	/* Every worker everywhere has stopped: no dma-buf is sent any more. */
	pthread_barrier_wait(&sh->done);
	receiver_stop = 1;
	pthread_join(rx, NULL);

	pthread_mutex_lock(&plock);
	for (i = 0; i < opt.slots; i++) {
		struct lobj *o = ltab[i];

		if (!o)
			continue;
		if (o->users)
			fail("object in slot %u still in use at the end", i);
		o->open = 0;
		lobj_release(o);
	}
	pthread_mutex_unlock(&plock);
	coproc_teardown();
	close(drm_fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup and summary.                                                 */

static const char *const mm_counters[] = {
	"faults", "pages_inserted", "zaps", "pages_zapped", "revokes", "moves", "bytes_moved",
};
static const char *const kmap_counters[] = { "hits", "misses", "released" };

struct counters {
	long long mm[7], kmap[3], objects;
	uint64_t vram_used;
};

static void read_counters(int fd, struct counters *c)
{
	unsigned int i;

	for (i = 0; i < 7; i++)
		c->mm[i] = ivgpu_tool_counter(debugfs, "ivgpu_mm", mm_counters[i]);
	for (i = 0; i < 3; i++)
		c->kmap[i] = ivgpu_tool_counter(debugfs, "ivgpu_kmap", kmap_counters[i]);
	c->objects = ivgpu_tool_counter(debugfs, "ivgpu_vram", "objects");
	c->vram_used = get_param(fd, IVGPU_PARAM_VRAM_USED);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k':
	case 'K':
		return v << 10;
	case 'm':
	case 'M':
		return v << 20;
	default:
		return v;
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-t SECONDS] [-p PROCESSES] [-j THREADS] [-s SEED] [-m MIN_SIZE] [-M MAX_SIZE]\n"
		"          [-o OBJECTS] [--tap]\n"
		"  -t  how long to run (default 60 s)\n"
		"  -p  processes (default 3), -j threads per process (default 3)\n"
		"  -s  seed of the random choices (default: from the clock; printed)\n"
		"  -m, -M  object size range (default 4K..512K; K and M suffixes)\n"
		"  -o  objects alive at most, across all processes (default 64)\n"
		"  --tap  print the summary as comments and the verdict as TAP results\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tap", no_argument, NULL, 'T' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	pthread_barrierattr_t ba;
	pthread_rwlockattr_t ra;
	pthread_mutexattr_t ma;
	struct counters before, after;
	struct timespec t0, t1;
	pid_t pids[MAX_PROCS];
	unsigned int i, died = 0, tap_n = 0;
	uint64_t total_ops = 0;
	int fd, c, seeded = 0, leaked;
	long next_progress = 30;
	double secs;

	while ((c = getopt_long(argc, argv, "t:p:j:s:m:M:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			opt.duration = atoi(optarg);
			break;
		case 'p':
			opt.procs = atoi(optarg);
			break;
		case 'j':
			opt.threads = atoi(optarg);
			break;
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			seeded = 1;
			break;
		case 'm':
			opt.min_size = parse_size(optarg);
			break;
		case 'M':
			opt.max_size = parse_size(optarg);
			break;
		case 'o':
			opt.slots = atoi(optarg);
			break;
		case 'T':
			opt.tap = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (!opt.procs || opt.procs > MAX_PROCS || !opt.threads || opt.threads > MAX_THREADS ||
	    !opt.slots || opt.slots > MAX_SLOTS || !opt.min_size || opt.min_size > opt.max_size)
		usage(argv[0]);
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &t0);
		opt.seed = mix64(t0.tv_sec ^ t0.tv_nsec ^ getpid()) & 0xffffffffull;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (opt.tap)
		printf("1..5\n");

	fd = ivgpu_tool_open_driver("ivgpu", true);
	if (fd < 0) {
		printf("%sno ivgpu device\n", opt.tap ? "Bail out! " : "");
		return 1;
	}
	/* Both BAR configurations reach VRAM, a small one through banked windows. */
	small_bar = get_param(fd, IVGPU_PARAM_BAR_CONFIG) == IVGPU_BAR_SMALL;
	if (!ivgpu_tool_debugfs(debugfs, sizeof(debugfs)))
		debugfs[0] = '\0';

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	for (i = 0; i < MAX_SLOTS; i++) {
		pthread_mutex_init(&sh->slots[i].lock, &ma);
		pthread_rwlock_init(&sh->slots[i].data, &ra);
	}
	pthread_mutex_init(&sh->dump_lock, &ma);
	pthread_barrier_init(&sh->done, &ba, opt.procs);
	for (i = 0; i < opt.procs; i++) {
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, socks[i])) {
			perror("socketpair");
			return 1;
		}
	}

	say("ivgpu-stress: seed %" PRIu64 ", %u s, %u processes x %u threads, objects %" PRIu64
	    "..%" PRIu64 " bytes, at most %u alive\n", opt.seed, opt.duration, opt.procs,
	    opt.threads, opt.min_size, opt.max_size, opt.slots);
	say("%s BAR: every operation, data checked through mmap, pread and debugfs%s\n",
	    small_bar ? "small (banked windows)" : "large",
	    debugfs[0] ? "" : " (debugfs not mounted: no dump checks)");

	read_counters(fd, &before);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = t0;
	deadline.tv_sec += opt.duration;

	for (i = 0; i < opt.procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (!pids[i]) {
			close(fd);
			_exit(process_main(i));
		}
	}

	/* Wait, with a limit: a hung worker is a failure too. */
	for (i = 0; i < opt.procs; i++) {
		int status;
		pid_t p;

		for (;;) {
			p = waitpid(-1, &status, WNOHANG);
			if (p > 0)
				break;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (t1.tv_sec - t0.tv_sec >= next_progress && t1.tv_sec < deadline.tv_sec) {
				uint64_t n = 0;
				unsigned int k;

				for (k = 0; k < OP_COUNT; k++)
					n += __atomic_load_n(&sh->ops[k], __ATOMIC_RELAXED);
				say("progress: %ld s, %" PRIu64 " operations, %" PRIu64
				    " bytes verified, %" PRIu64 " mismatches\n",
				    (long)(t1.tv_sec - t0.tv_sec), n, sh->bytes_verified,
				    sh->mismatches);
				next_progress += 30;
			}
			if (t1.tv_sec > deadline.tv_sec + 120) {
				unsigned int k;

				say("ERROR: processes still running 120 s after the deadline: killing them\n");
				for (k = 0; k < opt.procs; k++)
					kill(pids[k], SIGKILL);
				deadline.tv_sec = t1.tv_sec + 1000000;
				died++;
			}
			usleep(100000);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			died++;
			if (WIFSIGNALED(status))
				say("ERROR: process %d died of signal %d\n", p, WTERMSIG(status));
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	read_counters(fd, &after);

	say("operations (all processes, %.1f s):\n", secs);
	for (i = 0; i < OP_COUNT; i++) {
		total_ops += sh->ops[i];
		if (sh->ops[i] || weight[i])
			say("  %-24s %10" PRIu64 "\n", op_names[i], sh->ops[i]);
	}
	say("  %-24s %10" PRIu64 "  (%.0f/s)\n", "total", total_ops, total_ops / secs);
	say("documented errors met: %s %" PRIu64 ", %s %" PRIu64 "\n",
	    exp_names[0], sh->expected[0], exp_names[1], sh->expected[1]);
	say("verified: %" PRIu64 " bytes in %" PRIu64 " checks; written: %" PRIu64 " bytes\n",
	    sh->bytes_verified, sh->checks, sh->bytes_written);
	say("mismatches: %" PRIu64 ", unexpected errors: %" PRIu64 ", processes failed: %u\n",
	    sh->mismatches, sh->errors, died);
	if (debugfs[0]) {
		say("driver counters (debugfs), before -> after (+change):\n");
		for (i = 0; i < 7; i++)
			say("  ivgpu_mm %-16s %12lld -> %12lld (+%lld)\n", mm_counters[i], before.mm[i],
			    after.mm[i], after.mm[i] - before.mm[i]);
		for (i = 0; i < 3; i++)
			say("  ivgpu_kmap %-14s %12lld -> %12lld (+%lld)\n", kmap_counters[i],
			    before.kmap[i], after.kmap[i], after.kmap[i] - before.kmap[i]);
	} else {
		say("debugfs is not mounted: no driver counters\n");
	}
	say("VRAM used %" PRIu64 " -> %" PRIu64 " bytes, objects %lld -> %lld\n", before.vram_used,
	    after.vram_used, before.objects, after.objects);

	leaked = after.vram_used != before.vram_used || after.objects != before.objects;
	for (i = 0; i < opt.slots; i++)
		if (sh->slots[i].state != SLOT_FREE) {
			say("ERROR: slot %u (object %" PRIu64 ") still held by %u at the end\n", i,
			    sh->slots[i].id, sh->slots[i].refs);
			leaked = 1;
		}

	if (opt.tap) {
		int counted;

		printf("%s %u - stress: every byte read matched its pattern (%" PRIu64
		       " bytes, %" PRIu64 " checks)\n",
		       sh->mismatches || !sh->checks ? "not ok" : "ok", ++tap_n,
		       sh->bytes_verified, sh->checks);
		printf("%s %u - stress: no unexpected errno\n", sh->errors ? "not ok" : "ok", ++tap_n);
		printf("%s %u - stress: every process finished in time and exited 0\n",
		       died ? "not ok" : "ok", ++tap_n);
		printf("%s %u - stress: VRAM in use and object count back to where they were\n",
		       leaked ? "not ok" : "ok", ++tap_n);
		if (!debugfs[0])
			printf("ok %u - stress: driver counters # SKIP debugfs not mounted\n", ++tap_n);
		else {
			counted = after.mm[0] > before.mm[0] && after.mm[2] > before.mm[2] &&
				  after.mm[5] > before.mm[5] && total_ops > 0;
			printf("%s %u - stress: the driver counted faults, zaps and moves\n",
			       counted ? "ok" : "not ok", ++tap_n);
		}
	}
	if (!sh->checks)
		say("ERROR: nothing was verified\n");
	if (sh->mismatches || sh->errors || died || leaked || !sh->checks) {
		say("FAIL (seed %" PRIu64 ")\n", opt.seed);
		return 1;
	}
	say("PASS\n");
	return 0;
}
