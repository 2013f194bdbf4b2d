// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzing the ivgpu UAPI: every ivgpu ioctl (SUBMIT with random commands
 * among them, each job waited for), the DRM core's GEM_CLOSE and
 * PRIME ioctls, and mmap/munmap/mremap/madvise of ivgpu mappings, called
 * with random and structurally hostile arguments (sizes and offsets near 0
 * and 2^64, live, freed and made-up handles, random flags and padding, user
 * pointers that are NULL, unmapped, read-only or into an ivgpu mapping).
 *
 * Every call must succeed or fail with an errno that include/uapi/drm/
 * ivgpu_drm.h documents for it (plus EFAULT for bad pointers, ENOMEM where
 * memory can run out), in both BAR configurations.  Where the arguments are
 * fully valid the call must succeed, and where a handle is not live it must
 * not.  Live objects, handles, kernel mappings, user mappings and dma-buf
 * fds are tracked so the test cleans up; the fixture's
 * teardown checks that VRAM_USED is back and that the kernel log is clean.
 *
 * Replay: the seed is printed as "# seed N"; run with IVGPU_FUZZ_SEED=N or
 * -s N.  IVGPU_FUZZ_CALLS / -n N sets the number of calls per test.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>

#include "ivgpu_test.h"
#include "kselftest_harness.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

#define PAGE		IVGPU_PAGE
#define NFILES		2
#define MAXOBJ		24
#define MAXDEAD		32
#define MAXKMAP		24
#define MAXUMAP		32
#define MAXDMABUF	8
#define BUFSZ		(1024 * 1024)
#define GUARD		(64 * 1024)

/* Default calls per test: the three tests take about 10 s in the TCG VM. */
#define DEFAULT_CALLS	10000

static unsigned long long fz_seed;
static unsigned long fz_calls = DEFAULT_CALLS;

typedef unsigned __int128 errset;
#define OK		((errset)1)		/* bit 0: success */
#define E(e)		((errset)1 << (e))

struct obj {
	uint32_t h;
	uint64_t size;
};

struct umap {
	uint8_t *addr;
	uint64_t len;
	int prot;
};

struct fz {
	uint64_t rng;
	unsigned long call;
	int fd[NFILES];
	uint64_t vram;
	struct obj obj[NFILES][MAXOBJ];
	int nobj[NFILES];
	uint32_t dead[NFILES][MAXDEAD];
	int ndead[NFILES];
	uint32_t kmap[NFILES][MAXKMAP];
	int nkmap[NFILES];
	struct umap um[MAXUMAP];
	int num;
	int dmabuf[MAXDMABUF];
	int ndmabuf;
	uint8_t *buf;		/* BUFSZ read-write, then GUARD of PROT_NONE */
	uint8_t *check;		/* BUFSZ, for reading back what pwrite wrote */
	uint8_t *ro;		/* one read-only page, then a PROT_NONE guard */
	uint8_t *unmapped;	/* an address with nothing mapped */
	uint32_t cmdbuf[NFILES];	/* the file's command buffer, for SUBMIT */
	int closed_fd;		/* an fd number that is not open */
	char desc[512];
	int failures;
	bool counted;
	unsigned long ok, err;
};

static struct fz *cur;	/* for the signal handler */

/* ---- PRNG and hostile values ---- */

static uint64_t rnd(struct fz *f)
{
	uint64_t x = f->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return f->rng = x;
}

/* splitmix64: neighbouring seeds give unrelated streams; never 0 */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x ? x : 1;
}

static uint64_t below(struct fz *f, uint64_t n)
{
	return n ? rnd(f) % n : 0;
}

static bool chance(struct fz *f, unsigned int pct)
{
	return below(f, 100) < pct;
}

/* A size or offset near the interesting edges, relative to object size @osz. */
static uint64_t hostile64(struct fz *f, uint64_t osz)
{
	switch (below(f, 18)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return PAGE - 1;
	case 3: return PAGE;
	case 4: return PAGE + 1;
	case 5: return ~0ull;
	case 6: return ~0ull - (PAGE - 1);
	case 7: return 1ull << 63;
	case 8: return osz;
	case 9: return osz + 1;
	case 10: return osz - 1;
	case 11: return osz + PAGE;
	case 12: return rnd(f);
	case 13: return f->vram + (below(f, 3) - 1) * PAGE;
	case 14: return (1ull << below(f, 64)) + (below(f, 3) - 1);
	default: return below(f, osz / PAGE + 2) * PAGE;	/* page-aligned, near range */
	}
}

/* Mostly valid, sometimes hostile (for the second field of a range). */
static uint64_t size_in(struct fz *f, uint64_t osz, uint64_t off, bool aligned)
{
	uint64_t left = off < osz ? osz - off : 0, v;

	if (chance(f, 35))
		return hostile64(f, osz);
	v = below(f, left + 1);
	return aligned ? v & ~(PAGE - 1) : v;
}

static uint64_t off_in(struct fz *f, uint64_t osz, bool aligned)
{
	uint64_t v;

	if (chance(f, 35))
		return hostile64(f, osz);
	v = below(f, osz);
	return aligned ? v & ~(PAGE - 1) : v;
}

static uint32_t hostile32(struct fz *f)
{
	switch (below(f, 6)) {
	case 0: return 1;
	case 1: return ~0u;
	case 2: return 1u << below(f, 32);
	default: return rnd(f);
	}
}

/* Padding or flags that should be zero: mostly zero, sometimes not. */
static uint32_t pad32(struct fz *f)
{
	return chance(f, 90) ? 0 : hostile32(f);
}

/* ---- bookkeeping ---- */

static struct obj *obj_find(struct fz *f, int fi, uint32_t h)
{
	int i;

	for (i = 0; i < f->nobj[fi]; i++)
		if (f->obj[fi][i].h == h)
			return &f->obj[fi][i];
	return NULL;
}

static void obj_add(struct fz *f, int fi, uint32_t h, uint64_t size)
{
	int i;

	if (obj_find(f, fi, h))
		return;
	for (i = 0; i < f->ndead[fi]; i++)
		if (f->dead[fi][i] == h)
			f->dead[fi][i] = 0x7fffffff;
	f->obj[fi][f->nobj[fi]++] = (struct obj){ h, size };
}

static void obj_del(struct fz *f, int fi, uint32_t h)
{
	struct obj *o = obj_find(f, fi, h);

	if (!o)
		return;
	*o = f->obj[fi][--f->nobj[fi]];
	if (f->ndead[fi] < MAXDEAD)
		f->dead[fi][f->ndead[fi]++] = h;
	else
		f->dead[fi][below(f, MAXDEAD)] = h;
}

/*
 * A handle for file @fi: live most of the time, else 0, 0xdeadbeef, a freed
 * one, live+1, or random.  *@o is its object when it is live in @fi.
 */
static uint32_t pick_handle(struct fz *f, int fi, struct obj **o)
{
	uint32_t h;
	int n = f->nobj[fi];

	switch (below(f, 12)) {
	case 0: h = 0; break;
	case 1: h = 0xdeadbeef; break;
	case 2: h = f->ndead[fi] ? f->dead[fi][below(f, f->ndead[fi])] : 1; break;
	case 3: h = n ? f->obj[fi][below(f, n)].h + 1 : 1; break;
	case 4: h = rnd(f); break;
	case 5: h = f->nobj[!fi] ? f->obj[!fi][below(f, f->nobj[!fi])].h : 2; break;
	default: h = n ? f->obj[fi][below(f, n)].h : 1; break;
	}
	*o = obj_find(f, fi, h);
	return h;
}

static void umap_add(struct fz *f, void *addr, uint64_t len, int prot)
{
	if (f->num == MAXUMAP) {	/* full: drop the oldest */
		munmap(f->um[0].addr, f->um[0].len);
		f->um[0] = f->um[--f->num];
	}
	f->um[f->num++] = (struct umap){ addr, len, prot };
}

static void umap_del(struct fz *f, int i)
{
	f->um[i] = f->um[--f->num];
}

/* ---- checking ---- */

static void fz_desc(struct fz *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->desc, sizeof(f->desc), fmt, ap);
	va_end(ap);
}

static void fz_fail(struct fz *f, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("# FAIL seed %llu call %lu: %s: %s\n", fz_seed, f->call, f->desc, why);
	fflush(stdout);
	f->failures++;
}

static const char *ename(int e)
{
	return e ? strerror(e) : "success";
}

/* @e is 0 or an errno; it must be in @allowed. */
static void check(struct fz *f, int e, errset allowed)
{
	if (e < 0 || e >= 128 || !((allowed >> e) & 1))
		fz_fail(f, "unexpected %s (errno %d)", ename(e), e);
	if (f->counted)		/* one result per call */
		return;
	f->counted = true;
	if (e)
		f->err++;
	else
		f->ok++;
}

static void check_eq(struct fz *f, int e, int want)
{
	if (e != want)
		fz_fail(f, "got %s, want %s", ename(e), ename(want));
}

static void fatal_signal(int sig)
{
	char msg[700];
	int n;

	n = snprintf(msg, sizeof(msg), "# FATAL signal %d, seed %llu call %lu: %s\n",
		     sig, fz_seed, cur ? cur->call : 0, cur ? cur->desc : "");
	if (write(1, msg, n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- the ioctl argument: normally a struct, sometimes a bad pointer ---- */

/*
 * Where the ioctl argument lives.  NULL and unmapped pointers fail in the DRM
 * core's copy-in (EFAULT, nothing happens); a read-only copy is only used
 * for ioctls whose effect we do not need to see (@ro_ok).
 */
static void *arg_ptr(struct fz *f, void *arg, size_t len, bool ro_ok, bool *bad)
{
	*bad = false;
	switch (below(f, 40)) {
	case 0:
		*bad = true;
		return NULL;
	case 1:
		*bad = true;
		return f->unmapped;
	case 2:
		if (!ro_ok)
			break;
		mprotect(f->ro, PAGE, PROT_READ | PROT_WRITE);
		memcpy(f->ro + PAGE - len, arg, len);
		mprotect(f->ro, PAGE, PROT_READ);
		return f->ro + PAGE - len;
	}
	return arg;
}

static int do_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

/* ---- user pointers for pread/pwrite ---- */

enum { P_BUF, P_NULL, P_UNMAPPED, P_RO, P_MAP, P_KERNEL, P_NONCANON, P_NR };

/*
 * A data pointer for @len bytes.  *@good says the whole range is valid for
 * the direction (@write: the kernel writes to it, as pread does).  Nothing
 * returned lets the kernel write to memory of ours outside the buffer or a
 * mapping: overruns hit a guard or the range is clamped.
 */
static uint64_t data_ptr(struct fz *f, uint64_t *len, bool write, bool *good, int *kind)
{
	int k = below(f, 10);
	struct umap *m;
	uint64_t off;

	k = k >= P_NR ? P_BUF : k;
	if (k == P_MAP && !f->num)
		k = P_BUF;
	*kind = k;
	*good = false;
	switch (k) {
	case P_NULL:
		return 0;
	case P_UNMAPPED:
		return (uintptr_t)f->unmapped;
	case P_RO:
		*good = !write && *len <= PAGE;
		return (uintptr_t)f->ro + (*len <= PAGE ? PAGE - *len : 0);
	case P_KERNEL:
		return 0xffff888000000000ull + below(f, 1ull << 30);
	case P_NONCANON:
		return 0x8000000000000000ull >> below(f, 16) | 0x0123456789abcdefull;
	case P_MAP:
		m = &f->um[below(f, f->num)];
		off = below(f, m->len);
		if (write && *len > m->len - off)	/* never past the mapping */
			*len = m->len - off;
		*good = *len <= m->len - off &&
			(m->prot & (write ? PROT_WRITE : PROT_READ));
		return (uintptr_t)m->addr + off;
	default:
		/* overruns run into the guard */
		off = *len < BUFSZ ? below(f, BUFSZ - *len + 1) : BUFSZ - below(f, PAGE);
		*good = *len <= BUFSZ - off;
		return (uintptr_t)f->buf + off;
	}
}

/* ---- the operations ---- */

static void op_get_param(struct fz *f, int fi)
{
	struct drm_ivgpu_get_param gp = { 0 };
	bool bad;
	void *p;
	int e;

	gp.param = chance(f, 70) ? below(f, IVGPU_PARAM_SUBMIT_MAX_CMDS + 2) : hostile32(f);
	gp.pad = pad32(f);
	gp.value = rnd(f);
	fz_desc(f, "GET_PARAM fd%d param=%u pad=%u", fi, gp.param, gp.pad);
	p = arg_ptr(f, &gp, sizeof(gp), true, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_GET_PARAM, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(EINVAL) | E(EFAULT));
	if (p == &gp)
		check_eq(f, e, gp.param >= 1 && gp.param <= IVGPU_PARAM_SUBMIT_MAX_CMDS &&
			 !gp.pad ? 0 : EINVAL);
}

static uint64_t pick_create_size(struct fz *f)
{
	if (chance(f, 75))
		return 1 + below(f, chance(f, 80) ? 64 * 1024 : 2 * IVGPU_MIB);
	return hostile64(f, f->vram);
}

static uint64_t pick_alignment(struct fz *f)
{
	switch (below(f, 10)) {
	case 0: return 1ull << below(f, 64);
	case 1: return hostile64(f, f->vram);
	case 2: return PAGE << below(f, 6);
	default: return 0;
	}
}

/* Make room: keep each file under MAXOBJ objects. */
static void make_room(struct fz *f, int fi)
{
	struct drm_gem_close gc = { 0 };

	while (f->nobj[fi] >= MAXOBJ - 1) {
		gc.handle = f->obj[fi][below(f, f->nobj[fi])].h;
		fz_desc(f, "GEM_CLOSE fd%d handle=%u (make room)", fi, gc.handle);
		check_eq(f, do_ioctl(f->fd[fi], DRM_IOCTL_GEM_CLOSE, &gc), 0);
		obj_del(f, fi, gc.handle);
	}
}

static void op_create(struct fz *f, int fi)
{
	struct drm_ivgpu_gem_create c = { 0 };
	bool bad, valid;
	void *p;
	int e;

	make_room(f, fi);
	c.size = pick_create_size(f);
	c.alignment = pick_alignment(f);
	c.kind = chance(f, 85) ? below(f, 3) : hostile32(f);
	c.flags = chance(f, 85) ? below(f, 2) : hostile32(f);
	c.pad = pad32(f);
	c.handle = rnd(f);
	valid = c.kind <= IVGPU_BO_CMDBUF && !(c.flags & ~IVGPU_BO_FLAGS) && !c.pad;
	fz_desc(f, "GEM_CREATE fd%d size=%#llx align=%#llx kind=%u flags=%#x pad=%u", fi,
		(unsigned long long)c.size, (unsigned long long)c.alignment, c.kind,
		c.flags, c.pad);
	p = arg_ptr(f, &c, sizeof(c), false, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_GEM_CREATE, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(EINVAL) | E(E2BIG) | E(ENOSPC) | E(ENOMEM));
	if (!e && !valid)
		fz_fail(f, "created with a bad kind, flag or padding");
	if (!e && (c.size & (PAGE - 1) || !c.size))
		fz_fail(f, "created size %#llx", (unsigned long long)c.size);
	if (!e)
		obj_add(f, fi, c.handle, c.size);
}

static void op_info(struct fz *f, int fi)
{
	struct drm_ivgpu_gem_info in = { 0 };
	struct obj *o;
	bool bad;
	void *p;
	int e;

	in.handle = pick_handle(f, fi, &o);
	in.pad = pad32(f);
	in.pad2 = pad32(f);
	in.size = rnd(f);
	fz_desc(f, "GEM_INFO fd%d handle=%u%s pad=%u pad2=%u", fi, in.handle,
		o ? " (live)" : "", in.pad, in.pad2);
	p = arg_ptr(f, &in, sizeof(in), true, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_GEM_INFO, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(ENOENT) | E(EINVAL) | E(EFAULT));
	if (p != &in)
		return;
	if (in.pad || in.pad2)
		check(f, e, E(EINVAL) | (o ? 0 : E(ENOENT)));
	else if (!o)
		check_eq(f, e, ENOENT);
	else if (!e && in.size != o->size)
		fz_fail(f, "size %#llx, created %#llx", (unsigned long long)in.size,
			(unsigned long long)o->size);
	else
		check_eq(f, e, 0);
}

static void op_mmap_offset(struct fz *f, int fi)
{
	struct drm_ivgpu_gem_mmap_offset mo = { 0 };
	struct obj *o;
	bool bad;
	void *p;
	int e;

	mo.handle = pick_handle(f, fi, &o);
	mo.flags = pad32(f);
	fz_desc(f, "GEM_MMAP_OFFSET fd%d handle=%u%s flags=%#x", fi, mo.handle,
		o ? " (live)" : "", mo.flags);
	p = arg_ptr(f, &mo, sizeof(mo), true, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(ENOENT) | E(EINVAL) | E(EFAULT));
	if (p == &mo && !mo.flags)
		check_eq(f, e, o ? 0 : ENOENT);
	if (!e && !o)
		fz_fail(f, "an offset for a handle that is not live");
}

static void op_rw(struct fz *f, int fi, bool is_read)
{
	struct drm_ivgpu_gem_rw rw = { 0 };
	uint64_t osz, len, end;
	bool bad, good, inside;
	struct obj *o;
	int kind, e;
	void *p;

	rw.handle = pick_handle(f, fi, &o);
	osz = o ? o->size : 64 * 1024;
	rw.flags = pad32(f);
	rw.offset = off_in(f, osz, false);
	len = chance(f, 70) ? below(f, 2 * PAGE + 1) : size_in(f, osz, rw.offset, false);
	rw.data_ptr = data_ptr(f, &len, is_read, &good, &kind);
	rw.size = len;
	inside = o && rw.offset < osz && !__builtin_add_overflow(rw.offset, rw.size, &end) &&
		 end <= osz;
	fz_desc(f, "GEM_%s fd%d handle=%u%s flags=%#x offset=%#llx size=%#llx ptr=%#llx (kind %d)",
		is_read ? "PREAD" : "PWRITE", fi, rw.handle, o ? " (live)" : "", rw.flags,
		(unsigned long long)rw.offset, (unsigned long long)rw.size,
		(unsigned long long)rw.data_ptr, kind);
	p = arg_ptr(f, &rw, sizeof(rw), true, &bad);
	e = do_ioctl(f->fd[fi], is_read ? DRM_IOCTL_IVGPU_GEM_PREAD : DRM_IOCTL_IVGPU_GEM_PWRITE, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(ENOENT) | E(EINVAL) | E(EFAULT));
	/* (A zero size exactly at the end is not said either way.) */
	if (!e && (!o || rw.flags || (!inside && !(rw.offset == osz && !rw.size))))
		fz_fail(f, "succeeded on a bad handle, range or flags");
	if (rw.flags || !o)
		return;
	if (inside && (good || !rw.size))
		check_eq(f, e, 0);
	else if (inside && !good && rw.size && kind != P_MAP && kind != P_BUF)
		check_eq(f, e, EFAULT);

	/* A pwrite from the buffer reads back the same through pread. */
	if (!e && !is_read && kind == P_BUF && rw.size && good) {
		uint8_t *src = (uint8_t *)(uintptr_t)rw.data_ptr, *dst = f->check;
		int e2 = ivgpu_bo_pread(f->fd[fi], rw.handle, rw.offset, dst, rw.size);

		if (e2 || memcmp(src, dst, rw.size))
			fz_fail(f, "pread after pwrite: %s, %s", ename(-e2),
				e2 ? "-" : "data differs");
	}
}

static void op_revoke(struct fz *f, int fi)
{
	struct drm_ivgpu_gem_revoke r = { 0 };
	struct obj *o;
	uint64_t osz, end;
	bool bad, valid;
	void *p;
	int e;

	r.handle = pick_handle(f, fi, &o);
	osz = o ? o->size : 64 * 1024;
	r.flags = pad32(f);
	r.offset = off_in(f, osz, true);
	r.size = size_in(f, osz, r.offset, true);
	end = r.offset + (r.size ? r.size : (r.offset < osz ? osz - r.offset : 0));
	valid = o && !r.flags && !(r.offset % PAGE) && !(r.size % PAGE) &&
		r.offset < osz && end > r.offset && end <= osz;
	fz_desc(f, "GEM_REVOKE fd%d handle=%u%s flags=%#x offset=%#llx size=%#llx", fi,
		r.handle, o ? " (live)" : "", r.flags, (unsigned long long)r.offset,
		(unsigned long long)r.size);
	p = arg_ptr(f, &r, sizeof(r), true, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_GEM_REVOKE, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(ENOENT) | E(EINVAL) | E(EFAULT));
	if (p != &r)
		return;
	if (valid)
		check_eq(f, e, 0);
	else if (!e)
		fz_fail(f, "succeeded on a bad handle or range");
}

static void op_move(struct fz *f, int fi)
{
	struct drm_ivgpu_gem_move m = { 0 };
	struct obj *o;
	bool bad;
	void *p;
	int e;

	m.handle = pick_handle(f, fi, &o);
	m.flags = chance(f, 85) ? below(f, 2) : hostile32(f);
	m.pad = pad32(f);
	m.num_blocks = rnd(f);
	fz_desc(f, "GEM_MOVE fd%d handle=%u%s flags=%#x pad=%u", fi, m.handle,
		o ? " (live)" : "", m.flags, m.pad);
	p = arg_ptr(f, &m, sizeof(m), true, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_GEM_MOVE, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(ENOENT) | E(EINVAL) | E(ENOSPC) | E(EBUSY) | E(EINTR) |
		    E(ENOMEM) | E(EFAULT));
	if (!e && (!o || m.pad || m.flags & ~IVGPU_MOVE_FLAGS))
		fz_fail(f, "succeeded on a bad handle, flags or padding");
}

static void op_map(struct fz *f, int fi)
{
	struct drm_ivgpu_gem_map m = { 0 };
	struct obj *o;
	uint64_t osz, len, end;
	bool create, valid;
	int e;

	make_room(f, fi);
	m.handle = pick_handle(f, fi, &o);
	switch (below(f, 8)) {
	case 0: m.flags = hostile32(f); break;
	case 1: m.flags = IVGPU_MAP_KERNEL | IVGPU_MAP_USER; break;
	case 2: case 3: m.flags = IVGPU_MAP_USER; break;
	case 4: case 5: m.flags = IVGPU_MAP_KERNEL; break;
	default: m.flags = (below(f, 2) ? IVGPU_MAP_USER : IVGPU_MAP_KERNEL) | IVGPU_MAP_CREATE;
	}
	create = m.flags & IVGPU_MAP_CREATE;
	if (create || chance(f, 5)) {
		m.create_size = pick_create_size(f);
		m.create_kind = chance(f, 90) ? below(f, 3) : hostile32(f);
		m.create_flags = chance(f, 90) ? below(f, 2) : hostile32(f);
	}
	osz = create ? (m.create_size + PAGE - 1) & ~(PAGE - 1) : o ? o->size : 64 * 1024;
	if (create && !osz)
		osz = PAGE;
	m.offset = off_in(f, osz, true);
	m.size = size_in(f, osz, m.offset, true);
	m.addr = rnd(f);
	m.map_id = rnd(f);
	m.out_flags = rnd(f);
	len = m.size ? m.size : (m.offset < osz ? osz - m.offset : 0);
	valid = (create || (o && !m.create_size && !m.create_kind && !m.create_flags)) &&
		!(m.flags & ~IVGPU_MAP_FLAGS) &&
		!(m.flags & IVGPU_MAP_KERNEL) != !(m.flags & IVGPU_MAP_USER) &&
		!(m.offset % PAGE) && !(m.size % PAGE) && len &&
		!__builtin_add_overflow(m.offset, len, &end) && end <= osz;
	fz_desc(f, "GEM_MAP fd%d handle=%u%s flags=%#x offset=%#llx size=%#llx create=%#llx/%u/%#x",
		fi, m.handle, o ? " (live)" : "", m.flags, (unsigned long long)m.offset,
		(unsigned long long)m.size, (unsigned long long)m.create_size,
		m.create_kind, m.create_flags);
	/* The argument is always good: a lost copy-out would leak a mapping. */
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_GEM_MAP, &m);
	check(f, e, OK | E(ENOENT) | E(EINVAL) | E(ENOSPC) | E(ENOMEM) | E(E2BIG));
	if (!e && create)
		obj_add(f, fi, m.handle, m.create_size);
	if (!e && !valid && !create)
		fz_fail(f, "succeeded on bad arguments");
	if (!e && (m.flags & IVGPU_MAP_USER)) {
		if (!m.addr || m.map_id) {
			fz_fail(f, "user map: addr=%#llx map_id=%u", (unsigned long long)m.addr,
				m.map_id);
		} else {
			if (create)
				len = m.size ? m.size : m.create_size - m.offset;
			umap_add(f, (void *)(uintptr_t)m.addr, len, PROT_READ | PROT_WRITE);
		}
	}
	if (!e && (m.flags & IVGPU_MAP_KERNEL)) {
		if (m.addr)
			fz_fail(f, "kernel map returned an address");
		if (f->nkmap[fi] < MAXKMAP)
			f->kmap[fi][f->nkmap[fi]++] = m.map_id;
		else
			ivgpu_kunmap(f->fd[fi], m.map_id);
	}
	if (!e || !valid || create)
		return;
	/* Valid on a live object: only resource errors. */
	check(f, e, E(ENOSPC) | E(ENOMEM));
}

static void op_unmap(struct fz *f, int fi)
{
	struct drm_ivgpu_gem_unmap u = { 0 };
	bool bad, live = false;
	int i = -1, e;
	void *p;

	if (f->nkmap[fi] && chance(f, 60)) {
		i = below(f, f->nkmap[fi]);
		u.map_id = f->kmap[fi][i];
		live = true;
	} else {
		u.map_id = below(f, 2) ? below(f, 4) : hostile32(f);
		for (i = 0; i < f->nkmap[fi]; i++)
			if (f->kmap[fi][i] == u.map_id)
				break;
		live = i < f->nkmap[fi];
	}
	u.pad = pad32(f);
	fz_desc(f, "GEM_UNMAP fd%d map_id=%u%s pad=%u", fi, u.map_id, live ? " (live)" : "",
		u.pad);
	p = arg_ptr(f, &u, sizeof(u), true, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_GEM_UNMAP, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(ENOENT) | E(EINVAL));
	if (u.pad)
		check(f, e, E(EINVAL) | (live ? 0 : E(ENOENT)));
	else
		check_eq(f, e, live ? 0 : ENOENT);
	if (!e && live)
		f->kmap[fi][i] = f->kmap[fi][--f->nkmap[fi]];
}

static void op_close(struct fz *f, int fi)
{
	struct drm_gem_close gc = { 0 };
	struct obj *o;
	bool bad;
	void *p;
	int e;

	gc.handle = pick_handle(f, fi, &o);
	gc.pad = pad32(f);
	fz_desc(f, "GEM_CLOSE fd%d handle=%u%s pad=%u", fi, gc.handle, o ? " (live)" : "",
		gc.pad);
	p = arg_ptr(f, &gc, sizeof(gc), true, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_GEM_CLOSE, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(EINVAL));
	check_eq(f, e, o ? 0 : EINVAL);
	if (!e)
		obj_del(f, fi, gc.handle);
}

static void op_export(struct fz *f, int fi)
{
	struct drm_prime_handle ph = { 0 };
	struct obj *o;
	int e;

	if (f->ndmabuf == MAXDMABUF) {
		close(f->dmabuf[0]);
		f->dmabuf[0] = f->dmabuf[--f->ndmabuf];
	}
	ph.handle = pick_handle(f, fi, &o);
	switch (below(f, 6)) {
	case 0: ph.flags = hostile32(f); break;
	case 1: ph.flags = 0; break;
	case 2: ph.flags = DRM_RDWR | DRM_CLOEXEC; break;
	default: ph.flags = DRM_CLOEXEC; break;
	}
	ph.fd = rnd(f);
	fz_desc(f, "PRIME_HANDLE_TO_FD fd%d handle=%u%s flags=%#x", fi, ph.handle,
		o ? " (live)" : "", ph.flags);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph);
	check(f, e, OK | E(ENOENT) | E(EINVAL) | E(ENOMEM) | E(EMFILE));
	if (!e && (!o || ph.flags & ~(DRM_CLOEXEC | DRM_RDWR)))
		fz_fail(f, "exported a bad handle or with bad flags");
	if (o && !(ph.flags & ~(DRM_CLOEXEC | DRM_RDWR)))
		check(f, e, OK | E(ENOMEM) | E(EMFILE));
	if (!e)
		f->dmabuf[f->ndmabuf++] = ph.fd;
}

static void op_import(struct fz *f, int fi)
{
	struct drm_prime_handle ph = { 0 };
	bool dmabuf = false;
	int e;

	int i;

	switch (below(f, 8)) {
	case 0: ph.fd = -1; break;
	case 1: ph.fd = f->fd[below(f, NFILES)]; break;	/* not a dma-buf */
	case 2: ph.fd = f->closed_fd; break;
	case 3: ph.fd = hostile32(f); break;
	default: ph.fd = f->ndmabuf ? f->dmabuf[below(f, f->ndmabuf)] : 0x7ffffff;
	}
	for (i = 0; i < f->ndmabuf; i++)
		dmabuf |= ph.fd == f->dmabuf[i];
	ph.flags = pad32(f);
	ph.handle = rnd(f);
	fz_desc(f, "PRIME_FD_TO_HANDLE fd%d fd=%d%s flags=%#x", fi, ph.fd,
		dmabuf ? " (dma-buf)" : "", ph.flags);
	if (!dmabuf || chance(f, 80))
		make_room(f, fi);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_PRIME_FD_TO_HANDLE, &ph);
	check(f, e, OK | E(EBADF) | E(EINVAL) | E(ENOMEM));
	if (dmabuf)
		check(f, e, OK | E(ENOMEM));
	else if (!e)
		fz_fail(f, "imported something that is not a dma-buf");
	if (!e) {
		struct drm_ivgpu_gem_info in;
		int e2 = -ivgpu_bo_info(f->fd[fi], ph.handle, &in);

		if (e2)
			fz_fail(f, "GEM_INFO of the imported handle %u: %s", ph.handle, ename(e2));
		else if (obj_find(f, fi, ph.handle))
			;	/* the same object: the same handle */
		else if (f->nobj[fi] < MAXOBJ)
			obj_add(f, fi, ph.handle, in.size);
		else
			ivgpu_gem_close(f->fd[fi], ph.handle);
	}
}

/* ---- the co-processor ---- */

/* The file's command buffer (kind CMDBUF, 64 KiB), made again when closed. */
static uint32_t fz_cmdbuf(struct fz *f, int fi)
{
	uint32_t h;

	if (f->cmdbuf[fi] && obj_find(f, fi, f->cmdbuf[fi]))
		return f->cmdbuf[fi];
	make_room(f, fi);
	if (ivgpu_bo_create_full(f->fd[fi], 64 * 1024, 0, IVGPU_BO_CMDBUF, 0, &h, NULL))
		return 0;
	obj_add(f, fi, h, 64 * 1024);
	f->cmdbuf[fi] = h;
	return h;
}

/* One command: mostly well formed on the file's objects, with hostile fields. */
static void fz_cmd(struct fz *f, int fi, struct drm_ivgpu_cmd *c)
{
	static const uint32_t ops[] = {
		IVGPU_OP_NOP, IVGPU_OP_FILL, IVGPU_OP_COPY, IVGPU_OP_CRC32, IVGPU_OP_BLIT,
		IVGPU_OP_STALL,
	};
	struct obj *d, *sr;
	uint64_t dsz, ssz;

	memset(c, 0, sizeof(*c));
	c->opcode = chance(f, 90) ? ops[below(f, IVGPU_ARRAY_SIZE(ops))] : hostile32(f);
	c->flags = chance(f, 85) ? 0 : chance(f, 50) ? IVGPU_CMD_CRC32_CONTINUE : hostile32(f);
	c->dst_handle = pick_handle(f, fi, &d);
	c->src_handle = pick_handle(f, fi, &sr);
	dsz = d ? d->size : 64 * 1024;
	ssz = sr ? sr->size : 64 * 1024;
	c->dst_offset = off_in(f, dsz, false);
	c->src_offset = off_in(f, ssz, false);
	c->size = size_in(f, dsz < ssz ? dsz : ssz, c->dst_offset > c->src_offset ?
			  c->dst_offset : c->src_offset, false);
	c->arg = chance(f, 70) ? below(f, 1ull << 32) : hostile64(f, dsz);
	if (c->opcode == IVGPU_OP_BLIT) {
		c->arg = chance(f, 70) ? 1 + below(f, 16) : hostile64(f, dsz);
		c->dst_pitch = chance(f, 70) ? c->size + below(f, 256) : hostile64(f, dsz);
		c->src_pitch = chance(f, 70) ? c->size + below(f, 256) : hostile64(f, ssz);
		if (c->size > dsz / 16)
			c->size = below(f, dsz / 16 + 1);
	} else if (chance(f, 5)) {
		c->dst_pitch = hostile64(f, dsz);
	}
	/* No test hook that keeps the engine: at most 1 ms of STALL, no HANG. */
	if (c->opcode == IVGPU_OP_STALL)
		c->arg %= 1000000;
	if (c->opcode == IVGPU_OP_HANG)
		c->opcode = IVGPU_OP_NOP;
}

/*
 * SUBMIT with commands written to the file's command buffer by pwrite.  A
 * job that was queued is waited for (its out-syncobj), so that it does not
 * change objects under the calls that follow.
 */
static void op_submit(struct fz *f, int fi)
{
	/* Zeros past the handles given: a longer count names handle 0. */
	static struct drm_ivgpu_submit_bo bos[IVGPU_SUBMIT_MAX_BOS];
	struct drm_ivgpu_submit_syncobj in = { 0 };
	struct drm_ivgpu_cmd cmds[8];
	struct drm_ivgpu_submit s = { 0 };
	uint32_t out = 0, cb = fz_cmdbuf(f, fi), bo_flags = 0;
	unsigned int n = 1 + below(f, 8), nbos = below(f, 9), i;
	bool bad, listed_ok = true;
	struct obj *o;
	void *p;
	int e;

	if (!cb)
		return;
	for (i = 0; i < n; i++)
		fz_cmd(f, fi, &cmds[i]);
	if (ivgpu_bo_pwrite(f->fd[fi], cb, 0, cmds, sizeof(cmds)))
		return;
	memset(bos, 0, 8 * sizeof(bos[0]));
	for (i = 0; i < nbos; i++) {
		bos[i].handle = pick_handle(f, fi, &o);
		bos[i].flags = chance(f, 98) ? 0 : hostile32(f);
	}
	if (drmSyncobjCreate(f->fd[fi], 0, &out))
		return;
	s.cmdbuf = chance(f, 90) ? cb : pick_handle(f, fi, &o);
	s.flags = pad32(f);
	s.pad = pad32(f);
	s.cmd_offset = chance(f, 90) ? 0 : hostile64(f, 64 * 1024);
	s.cmd_size = chance(f, 90) ? n * sizeof(cmds[0]) : hostile64(f, 64 * 1024);
	s.bos = chance(f, 95) ? (uintptr_t)bos : (uintptr_t)f->unmapped;
	s.num_bos = chance(f, 95) ? nbos : hostile32(f);
	/*
	 * Every handle the kernel reads must be live (past @nbos they are 0),
	 * and every flags field zero.
	 */
	for (i = 0; i < nbos && i < s.num_bos; i++) {
		if (!obj_find(f, fi, bos[i].handle))
			listed_ok = false;
		bo_flags |= bos[i].flags;
	}
	if (chance(f, 10)) {
		in.handle = chance(f, 50) ? out : rnd(f);
		in.flags = pad32(f);
		in.point = chance(f, 90) ? 0 : hostile64(f, 16);
		s.in_syncobjs = chance(f, 90) ? (uintptr_t)&in : (uintptr_t)f->unmapped;
		s.num_in_syncobjs = 1;
	}
	s.out_syncobj = chance(f, 95) ? out : rnd(f);
	fz_desc(f, "SUBMIT fd%d cmdbuf=%u offset=%#llx size=%#llx bos=%u in=%u out=%u flags=%#x pad=%u first opcode=%u",
		fi, s.cmdbuf, (unsigned long long)s.cmd_offset, (unsigned long long)s.cmd_size,
		s.num_bos, s.num_in_syncobjs, s.out_syncobj, s.flags, s.pad, cmds[0].opcode);
	p = arg_ptr(f, &s, sizeof(s), true, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_SUBMIT, p);
	if (bad) {
		check_eq(f, e, EFAULT);
	} else {
		check(f, e, OK | E(ENOENT) | E(EINVAL) | E(E2BIG) | E(EFAULT) | E(ENOMEM) |
			    E(EOPNOTSUPP));
		if (!e && (!listed_ok || s.flags || s.pad || s.num_bos > nbos ||
			   bo_flags || (s.num_in_syncobjs && in.flags)))
			fz_fail(f, "succeeded with a bad handle list (%u of %u: %u %u), flags or padding",
				s.num_bos, nbos, bos[0].handle, bos[1].handle);
		if (!e && s.out_syncobj == out &&
		    drmSyncobjWait(f->fd[fi], &out, 1, INT64_MAX, 0, NULL))
			fz_fail(f, "the job's fence did not signal: %s", strerror(errno));
	}
	drmSyncobjDestroy(f->fd[fi], out);
}

static void op_wait(struct fz *f, int fi)
{
	struct drm_ivgpu_gem_wait w = { 0 };
	struct obj *o;
	bool bad;
	void *p;
	int e;

	w.handle = pick_handle(f, fi, &o);
	w.flags = pad32(f);
	w.timeout_ns = chance(f, 80) ? 0 : (int64_t)hostile64(f, 1000000000ull);
	fz_desc(f, "GEM_WAIT fd%d handle=%u%s flags=%#x timeout=%lld", fi, w.handle,
		o ? " (live)" : "", w.flags, (long long)w.timeout_ns);
	p = arg_ptr(f, &w, sizeof(w), true, &bad);
	e = do_ioctl(f->fd[fi], DRM_IOCTL_IVGPU_GEM_WAIT, p);
	if (bad)
		return check_eq(f, e, EFAULT);
	check(f, e, OK | E(ENOENT) | E(EINVAL) | E(ETIME) | E(EINTR) | E(EFAULT));
	/* Every job this program queued has been waited for: nothing is busy. */
	if (o && !w.flags)
		check_eq(f, e, 0);
}

/* Driver ioctl numbers past the table, with any size and direction. */
static void op_bad_nr(struct fz *f, int fi)
{
	unsigned int nr = DRM_COMMAND_BASE + DRM_IVGPU_GEM_WAIT + 1 + below(f, 0x40);
	unsigned long req = _IOC(below(f, 4), DRM_IOCTL_BASE, nr, below(f, 64));
	uint64_t junk[8];
	int e;

	if (nr >= DRM_COMMAND_END)
		nr = DRM_COMMAND_END - 1;
	req = _IOC(_IOC_DIR(req), DRM_IOCTL_BASE, nr, _IOC_SIZE(req));
	memset(junk, 0xa5, sizeof(junk));
	fz_desc(f, "ioctl fd%d req=%#lx (no such driver ioctl)", fi, req);
	e = do_ioctl(f->fd[fi], req, junk);
	check(f, e, E(EINVAL));
}

/* ---- mappings ---- */

static void op_mmap(struct fz *f, int fi)
{
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, PROT_WRITE, PROT_NONE,
	};
	uint64_t fake = 0, osz, off, len;
	struct obj *o;
	int prot, flags, ofi = fi, e;
	bool valid;
	void *p;

	if (chance(f, 10))
		ofi = !fi;	/* another file's offset */
	pick_handle(f, ofi, &o);
	if (!o && f->nobj[ofi] && chance(f, 70))
		o = &f->obj[ofi][below(f, f->nobj[ofi])];
	if (o && ivgpu_mmap_offset(f->fd[ofi], o->h, &fake))
		fz_fail(f, "MMAP_OFFSET of live handle %u failed", o->h);
	osz = o ? o->size : 64 * 1024;
	off = off_in(f, osz, true);
	len = size_in(f, osz, off, chance(f, 80));
	if (!o)
		fake = chance(f, 50) ? 0 : rnd(f) & ~(PAGE - 1) & ((1ull << 62) - 1);
	if (chance(f, 3))
		off |= 1 + below(f, PAGE - 1);	/* unaligned */
	prot = prots[below(f, IVGPU_ARRAY_SIZE(prots))];
	switch (below(f, 10)) {
	case 0: flags = MAP_PRIVATE; break;
	case 1: flags = MAP_SHARED | MAP_POPULATE; break;
	case 2: flags = MAP_SHARED | MAP_LOCKED; break;
	default: flags = MAP_SHARED; break;
	}
	valid = o && ofi == fi && (flags & MAP_SHARED) && !(off % PAGE) && len &&
		off < osz && len <= osz - off;
	fz_desc(f, "mmap fd%d%s len=%#llx prot=%#x flags=%#x offset=%#llx+%#llx (object size %#llx)",
		fi, ofi != fi ? " (other file's object)" : "", (unsigned long long)len, prot,
		flags, (unsigned long long)fake, (unsigned long long)off,
		(unsigned long long)osz);
	p = mmap(NULL, len, prot, flags, f->fd[fi], fake + off);
	e = p == MAP_FAILED ? errno : 0;
	check(f, e, OK | E(EINVAL) | E(EACCES) | E(ENOMEM) | E(EOVERFLOW) | E(EAGAIN));
	if (valid)
		check(f, e, OK | E(ENOMEM) | E(EAGAIN));
	/* (An offset outside the object may name another object, one of this file.) */
	if (!e && o && ofi != fi && off < osz) {
		uint64_t id = ivgpu_bo_id(f->fd[ofi], o->h);
		bool mine = false;
		int i;

		for (i = 0; i < f->nobj[fi]; i++)	/* imported here too? */
			mine |= ivgpu_bo_id(f->fd[fi], f->obj[fi][i].h) == id;
		if (!mine)
			fz_fail(f, "mmap of another file's object succeeded");
	}
	if (!e)
		umap_add(f, p, (len + PAGE - 1) & ~(PAGE - 1), prot);
}

static void op_munmap(struct fz *f)
{
	struct umap *m;
	uint64_t n;
	int i, e;

	if (!f->num || chance(f, 10)) {
		/* Refused: unaligned or zero length, never touching our memory. */
		uint8_t *a = f->num ? f->um[below(f, f->num)].addr : f->buf;

		fz_desc(f, "munmap(%p + 1, 4096) and munmap(%p, 0)", a, a);
		e = munmap(a + 1, PAGE) ? errno : 0;
		check(f, e, E(EINVAL));
		e = munmap(a, 0) ? errno : 0;
		check(f, e, E(EINVAL));
		return;
	}
	i = below(f, f->num);
	m = &f->um[i];
	n = m->len / PAGE;
	switch (below(f, 4)) {
	case 0:	/* the head */
		n = 1 + below(f, n);
		fz_desc(f, "munmap head %p len=%#llx of %#llx", m->addr,
			(unsigned long long)n * PAGE, (unsigned long long)m->len);
		e = munmap(m->addr, n * PAGE) ? errno : 0;
		check_eq(f, e, 0);
		m->addr += n * PAGE;
		m->len -= n * PAGE;
		break;
	case 1:	/* the tail */
		n = 1 + below(f, n);
		fz_desc(f, "munmap tail %p len=%#llx of %#llx", m->addr + m->len - n * PAGE,
			(unsigned long long)n * PAGE, (unsigned long long)m->len);
		e = munmap(m->addr + m->len - n * PAGE, n * PAGE) ? errno : 0;
		check_eq(f, e, 0);
		m->len -= n * PAGE;
		break;
	case 2:	/* a page from the middle: two mappings */
		if (n >= 3 && f->num < MAXUMAP) {
			uint64_t k = 1 + below(f, n - 2);

			fz_desc(f, "munmap page %llu of %p len=%#llx", (unsigned long long)k,
				m->addr, (unsigned long long)m->len);
			e = munmap(m->addr + k * PAGE, PAGE) ? errno : 0;
			check_eq(f, e, 0);
			f->um[f->num++] = (struct umap){ m->addr + (k + 1) * PAGE,
							  m->len - (k + 1) * PAGE, m->prot };
			m->len = k * PAGE;
			break;
		}
		/* fall through */
	default:
		fz_desc(f, "munmap %p len=%#llx", m->addr, (unsigned long long)m->len);
		e = munmap(m->addr, m->len) ? errno : 0;
		check_eq(f, e, 0);
		m->len = 0;
	}
	if (!m->len)
		umap_del(f, i);
}

static void op_mremap(struct fz *f)
{
	struct umap *m;
	uint64_t newlen;
	void *p, *dst = NULL;
	int flags = 0, e;

	if (!f->num)
		return;
	m = &f->um[below(f, f->num)];
	switch (below(f, 6)) {
	case 0:	/* shrink in place */
		newlen = PAGE * (1 + below(f, m->len / PAGE));
		break;
	case 1:	/* grow: refused, the VMA cannot expand */
		newlen = m->len + PAGE * (1 + below(f, 4));
		flags = below(f, 2) ? MREMAP_MAYMOVE : 0;
		break;
	case 2:	/* move to a fixed place */
		newlen = m->len;
		dst = mmap(NULL, newlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (dst == MAP_FAILED)
			return;
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		break;
	case 3:	/* don't-unmap: refused for a PFN map */
		newlen = m->len;
		flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		break;
	case 4: /* duplicate (old size 0): refused, would need to expand */
		fz_desc(f, "mremap %p 0 -> %#llx MAYMOVE", m->addr, (unsigned long long)m->len);
		p = mremap(m->addr, 0, m->len, MREMAP_MAYMOVE);
		e = p == MAP_FAILED ? errno : 0;
		check(f, e, E(EINVAL) | E(EFAULT) | E(ENOMEM));
		if (!e)
			munmap(p, m->len);
		return;
	default: /* same size, may move */
		newlen = m->len;
		flags = MREMAP_MAYMOVE;
	}
	fz_desc(f, "mremap %p %#llx -> %#llx flags=%#x", m->addr, (unsigned long long)m->len,
		(unsigned long long)newlen, flags);
	p = dst ? mremap(m->addr, m->len, newlen, flags, dst) :
		  mremap(m->addr, m->len, newlen, flags);
	e = p == MAP_FAILED ? errno : 0;
	check(f, e, OK | E(EINVAL) | E(EFAULT) | E(ENOMEM) | E(EAGAIN));
	if (!e && newlen > m->len)
		fz_fail(f, "an ivgpu mapping grew");
	if (!e && (flags & MREMAP_DONTUNMAP))
		fz_fail(f, "MREMAP_DONTUNMAP of an ivgpu mapping succeeded");
	if (e && dst)
		munmap(dst, newlen);
	if (!e) {
		m->addr = p;
		m->len = newlen;
	}
}

static void op_madvise(struct fz *f)
{
	static const int advice[] = {
		MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED,
		MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE,
		MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP,
		MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT,
		22 /* MADV_POPULATE_READ */, 23 /* MADV_POPULATE_WRITE */, 1000, -1,
	};
	static const int safe[] = {
		MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DODUMP, 1000,
	};
	struct umap *m;
	uint64_t off, len;
	int adv, e;

	if (!f->num)
		return;
	m = &f->um[below(f, f->num)];
	off = below(f, m->len / PAGE) * PAGE;
	len = chance(f, 10) ? 1 + below(f, m->len - off) : m->len - off;
	adv = advice[below(f, IVGPU_ARRAY_SIZE(advice))];
	if (chance(f, 5)) {
		/* Past the mapping: only advice that cannot lose what follows. */
		off = 0;
		len = m->len + PAGE;
		adv = safe[below(f, IVGPU_ARRAY_SIZE(safe))];
	}
	fz_desc(f, "madvise %p+%#llx len=%#llx advice=%d", m->addr, (unsigned long long)off,
		(unsigned long long)len, adv);
	e = madvise(m->addr + off, len, adv) ? errno : 0;
	/*
	 * Not the driver's contract: what the mm may say about a PFN map of a
	 * character device (MADV_REMOVE gets ENODEV from vfs_fallocate()).
	 */
	check(f, e, OK | E(EINVAL) | E(ENOMEM) | E(EBADF) | E(EFAULT) | E(EOPNOTSUPP) |
		    E(EAGAIN) | E(EPERM) | E(EIO) | E(ESPIPE) | E(ENODEV));
}

/* Read and write through a live mapping of a live (or still mapped) object. */
static void op_touch(struct fz *f)
{
	volatile uint8_t *p;
	struct umap *m;
	uint8_t v;

	if (!f->num)
		return;
	m = &f->um[below(f, f->num)];
	if (m->prot == PROT_NONE)
		return;
	p = m->addr + below(f, m->len);
	fz_desc(f, "touch %p (mapping %p len=%#llx prot=%#x)", p, m->addr,
		(unsigned long long)m->len, m->prot);
	if (m->prot & PROT_WRITE) {
		v = rnd(f);
		*p = v;
		if ((m->prot & PROT_READ) && *p != v)
			fz_fail(f, "read back %#x, wrote %#x", *p, v);
	} else {
		v = *p;
		(void)v;
	}
}

/* ---- the loop ---- */

enum op {
	O_GET_PARAM, O_CREATE, O_INFO, O_MMAP_OFFSET, O_PREAD, O_PWRITE, O_REVOKE, O_MOVE,
	O_MAP, O_UNMAP, O_CLOSE, O_EXPORT, O_IMPORT, O_BAD_NR,
	O_MMAP, O_MUNMAP, O_MREMAP, O_MADVISE, O_TOUCH, O_SUBMIT, O_WAIT, O_NR,
};

static const char *const op_names[O_NR] = {
	"get_param", "create", "info", "mmap_offset", "pread", "pwrite", "revoke", "move",
	"map", "unmap", "close", "export", "import", "bad_nr",
	"mmap", "munmap", "mremap", "madvise", "touch", "submit", "wait",
};

static void fz_op(struct fz *f, enum op op)
{
	int fi = below(f, 4) ? 0 : 1;

	switch (op) {
	case O_GET_PARAM: return op_get_param(f, fi);
	case O_CREATE: return op_create(f, fi);
	case O_INFO: return op_info(f, fi);
	case O_MMAP_OFFSET: return op_mmap_offset(f, fi);
	case O_PREAD: return op_rw(f, fi, true);
	case O_PWRITE: return op_rw(f, fi, false);
	case O_REVOKE: return op_revoke(f, fi);
	case O_MOVE: return op_move(f, fi);
	case O_MAP: return op_map(f, fi);
	case O_UNMAP: return op_unmap(f, fi);
	case O_CLOSE: return op_close(f, fi);
	case O_EXPORT: return op_export(f, fi);
	case O_IMPORT: return op_import(f, fi);
	case O_BAD_NR: return op_bad_nr(f, fi);
	case O_MMAP: return op_mmap(f, fi);
	case O_MUNMAP: return op_munmap(f);
	case O_MREMAP: return op_mremap(f);
	case O_MADVISE: return op_madvise(f);
	case O_TOUCH: return op_touch(f);
	case O_SUBMIT: return op_submit(f, fi);
	case O_WAIT: return op_wait(f, fi);
	default: return;
	}
}

static struct fz *fz_new(int fd, int fd2, uint64_t salt)
{
	struct fz *f = calloc(1, sizeof(*f));
	uint8_t *g;
	int i;

	if (!f)
		return NULL;
	f->rng = mix(fz_seed + salt);
	f->fd[0] = fd;
	f->fd[1] = fd2;
	f->vram = ivgpu_param(fd, IVGPU_PARAM_VRAM_SIZE);
	g = mmap(NULL, BUFSZ + GUARD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED || mprotect(g, BUFSZ, PROT_READ | PROT_WRITE))
		return NULL;
	f->buf = g;
	for (i = 0; i < BUFSZ; i++)
		f->buf[i] = rnd(f);
	f->check = malloc(BUFSZ);
	if (!f->check)
		return NULL;
	g = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED || mprotect(g, PAGE, PROT_READ))
		return NULL;
	f->ro = g;
	/* Inaccessible, and kept reserved so that no later mmap() lands there. */
	g = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED)
		return NULL;
	f->unmapped = g + PAGE;
	/* Far above anything this program opens, so never reused. */
	f->closed_fd = fcntl(fd, F_DUPFD_CLOEXEC, 900);
	close(f->closed_fd);
	cur = f;
	signal(SIGSEGV, fatal_signal);
	signal(SIGBUS, fatal_signal);
	return f;
}

/* Drop everything the fuzzer holds; the files are the fixture's to close. */
static void fz_cleanup(struct fz *f)
{
	int fi;

	if (!f)
		return;
	while (f->num) {
		munmap(f->um[0].addr, f->um[0].len);
		umap_del(f, 0);
	}
	while (f->ndmabuf)
		close(f->dmabuf[--f->ndmabuf]);
	for (fi = 0; fi < NFILES; fi++) {
		while (f->nkmap[fi])
			ivgpu_kunmap(f->fd[fi], f->kmap[fi][--f->nkmap[fi]]);
		while (f->nobj[fi])
			ivgpu_gem_close(f->fd[fi], f->obj[fi][--f->nobj[fi]].h);
	}
}

/* Run fz_calls operations drawn with @weights; returns the number of failures. */
static int fz_run(struct fz *f, const char *name, const unsigned int *weights)
{
	unsigned long count[O_NR] = { 0 };
	unsigned int total = 0, w, i;
	struct timespec t0, t1;
	double s;

	for (i = 0; i < O_NR; i++)
		total += weights[i];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (f->call = 0; f->call < fz_calls && !f->failures; f->call++) {
		w = below(f, total);
		for (i = 0; w >= weights[i]; i++)
			w -= weights[i];
		count[i]++;
		f->counted = false;
		fz_op(f, i);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %s: seed %llu, %lu calls in %.1f s (%.0f/s), %lu succeeded, %lu failed as allowed\n",
	       name, fz_seed, f->call, s, f->call / (s > 0 ? s : 1), f->ok, f->err);
	printf("#  ");
	for (i = 0; i < O_NR; i++)
		if (count[i])
			printf(" %s=%lu", op_names[i], count[i]);
	printf("\n");
	return f->failures;
}

FIXTURE(fuzz) {
	IVGPU_FIXTURE_FIELDS;
	struct fz *f;
};

FIXTURE_SETUP(fuzz)
{
	IVGPU_FIXTURE_SETUP();
	self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);
	self->f = fz_new(self->fd, self->fd2, 0);
	ASSERT_NE(NULL, self->f);
}

FIXTURE_TEARDOWN(fuzz)
{
	fz_cleanup(self->f);
	IVGPU_FIXTURE_TEARDOWN();
}

/* Every ioctl, no user mappings except GEM_MAP's. */
TEST_F_TIMEOUT(fuzz, ioctls, 3600)
{
	static const unsigned int w[O_NR] = {
		[O_GET_PARAM] = 4, [O_CREATE] = 12, [O_INFO] = 6, [O_MMAP_OFFSET] = 4,
		[O_PREAD] = 8, [O_PWRITE] = 8, [O_REVOKE] = 6, [O_MOVE] = 6, [O_MAP] = 6,
		[O_UNMAP] = 5, [O_CLOSE] = 8, [O_EXPORT] = 3, [O_IMPORT] = 4, [O_BAD_NR] = 1,
		[O_MUNMAP] = 2, [O_SUBMIT] = 6, [O_WAIT] = 2,
	};

	self->f->rng = mix(self->f->rng ^ 0x1001);
	EXPECT_EQ(0, fz_run(self->f, "ioctls", w)) TH_LOG("replay: IVGPU_FUZZ_SEED=%llu", fz_seed);
}

/* mmap, munmap, mremap, madvise and access, with ioctls that change the objects under them. */
TEST_F_TIMEOUT(fuzz, mappings, 3600)
{
	static const unsigned int w[O_NR] = {
		[O_CREATE] = 8, [O_PREAD] = 5, [O_PWRITE] = 5, [O_REVOKE] = 6, [O_MOVE] = 5,
		[O_MAP] = 4, [O_CLOSE] = 6, [O_EXPORT] = 1, [O_IMPORT] = 1,
		[O_MMAP] = 14, [O_MUNMAP] = 8, [O_MREMAP] = 6, [O_MADVISE] = 6, [O_TOUCH] = 16,
	};

	self->f->rng = mix(self->f->rng ^ 0x2002);
	EXPECT_EQ(0, fz_run(self->f, "mappings", w)) TH_LOG("replay: IVGPU_FUZZ_SEED=%llu", fz_seed);
}

/* Everything at once. */
TEST_F_TIMEOUT(fuzz, mixed, 3600)
{
	static const unsigned int w[O_NR] = {
		[O_GET_PARAM] = 2, [O_CREATE] = 8, [O_INFO] = 3, [O_MMAP_OFFSET] = 2,
		[O_PREAD] = 5, [O_PWRITE] = 5, [O_REVOKE] = 4, [O_MOVE] = 4, [O_MAP] = 4,
		[O_UNMAP] = 3, [O_CLOSE] = 6, [O_EXPORT] = 2, [O_IMPORT] = 2, [O_BAD_NR] = 1,
		[O_MMAP] = 6, [O_MUNMAP] = 4, [O_MREMAP] = 3, [O_MADVISE] = 3, [O_TOUCH] = 8,
		[O_SUBMIT] = 3, [O_WAIT] = 1,
	};

	self->f->rng = mix(self->f->rng ^ 0x3003);
	EXPECT_EQ(0, fz_run(self->f, "mixed", w)) TH_LOG("replay: IVGPU_FUZZ_SEED=%llu", fz_seed);
}

static bool parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return s && *s && !errno && !*end;
}

int main(int argc, char **argv)
{
	unsigned long long v;
	const char *s;
	int opt;

	s = getenv("IVGPU_FUZZ_SEED");
	if (s && *s && parse_u64(s, &v)) {
		fz_seed = v;
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		fz_seed = (ts.tv_sec * 1000003ull) ^ ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	}
	s = getenv("IVGPU_FUZZ_CALLS");
	if (s && *s && parse_u64(s, &v))
		fz_calls = v;
	while ((opt = getopt(argc, argv, "s:n:")) != -1) {
		if (opt == 's' && parse_u64(optarg, &v)) {
			fz_seed = v;
		} else if (opt == 'n' && parse_u64(optarg, &v)) {
			fz_calls = v;
		} else {
			fprintf(stderr, "usage: %s [-s SEED] [-n CALLS]\n", argv[0]);
			return 4;	/* KSFT_SKIP */
		}
	}
	if (!fz_seed)
		fz_seed = 1;	/* xorshift needs a non-zero state */
	printf("# seed %llu\n", fz_seed);
	printf("# calls per test %lu (replay: IVGPU_FUZZ_SEED=%llu or -s %llu)\n", fz_calls,
	       fz_seed, fz_seed);
	fflush(stdout);
	return test_harness_run(argc, argv);
}
