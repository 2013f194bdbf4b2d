// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency: many threads faulting one object; threads faulting while
 * others close handles, munmap and churn the heap; revoke and move while
 * other threads read and write the mapping, which must always see correct
 * data.  Each test runs for a bounded few seconds.  Needs CPU access to VRAM
 * (large BAR).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PAGE IVGPU_PAGE
#define NTHREADS 8

FIXTURE(thr) {
	IVGPU_FIXTURE_FIELDS;
};

FIXTURE_SETUP(thr)
{
	IVGPU_FIXTURE_SETUP();
}

FIXTURE_TEARDOWN(thr)
{
	IVGPU_FIXTURE_TEARDOWN();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- 8 threads faulting one object, each its own region ---- */

struct region_arg {
	pthread_barrier_t *barrier;
	uint8_t *base;		/* the shared mapping, or NULL: map privately */
	int fd;
	uint32_t handle;
	uint64_t off, len;
	int index, rounds;
	int bad;
};

static void *region_worker(void *arg)
{
	struct region_arg *a = arg;
	uint8_t *p = a->base;
	int r;

	if (!p) {
		p = ivgpu_bo_mmap_range(a->fd, a->handle, a->off, a->len,
					PROT_READ | PROT_WRITE);
		if (p == MAP_FAILED) {
			a->bad = -1;
			return NULL;
		}
	} else {
		p += a->off;
	}
	for (r = 0; r < a->rounds; r++) {
		uint64_t i;

		pthread_barrier_wait(a->barrier);
		/* Touch every page first, in an order of its own, then fill. */
		for (i = 0; i < a->len / PAGE; i++)
			((volatile uint8_t *)p)[((i * 7 + a->index) % (a->len / PAGE)) * PAGE] = 0;
		ivgpu_fill(p, a->len, a->index * 100 + r);
		if (ivgpu_check(p, a->len, a->index * 100 + r) != -1)
			a->bad++;
		pthread_barrier_wait(a->barrier);
	}
	if (!a->base)
		munmap(p, a->len);
	return NULL;
}

static void run_parallel_faults(struct __test_metadata *_metadata, int fd, bool shared)
{
	uint64_t size = 8 * IVGPU_MIB, region = size / NTHREADS;
	struct region_arg args[NTHREADS];
	struct ivgpu_mm_stats s0, s1;
	pthread_barrier_t barrier;
	pthread_t th[NTHREADS];
	uint8_t *p = NULL, *buf;
	int i, r, rounds = 4;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(fd, size, 0, &h));
	if (shared) {
		p = ivgpu_bo_mmap(fd, h, size);
		ASSERT_NE(MAP_FAILED, p);
	}
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NTHREADS + 1));
	s0 = ivgpu_mm_stats();
	for (i = 0; i < NTHREADS; i++) {
		args[i] = (struct region_arg){
			.barrier = &barrier, .base = p, .fd = fd, .handle = h,
			.off = i * region, .len = region, .index = i, .rounds = rounds,
		};
		ASSERT_EQ(0, pthread_create(&th[i], NULL, region_worker, &args[i]));
	}
	for (r = 0; r < rounds; r++) {
		pthread_barrier_wait(&barrier);	/* go */
		pthread_barrier_wait(&barrier);	/* done */
		/* Zap everything between rounds, so each round faults afresh. */
		EXPECT_EQ(0, ivgpu_bo_revoke(fd, h, 0, 0));
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, args[i].bad) TH_LOG("thread %d", i);
	}
	s1 = ivgpu_mm_stats();
	EXPECT_LE(s0.faults + rounds, s1.faults);
	/* The object holds each region's last pattern. */
	buf = malloc(region);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_EQ(0, ivgpu_bo_pread(fd, h, i * region, buf, region));
		EXPECT_EQ(-1, ivgpu_check(buf, region, i * 100 + rounds - 1)) TH_LOG("region %d", i);
	}
	free(buf);
	pthread_barrier_destroy(&barrier);
	if (p) {
		EXPECT_EQ(0, munmap(p, size));
	}
	EXPECT_EQ(0, ivgpu_gem_close(fd, h));
}

TEST_F_TIMEOUT(thr, parallel_faults_one_mapping, 120)
{
	run_parallel_faults(_metadata, self->fd, true);
}

TEST_F_TIMEOUT(thr, parallel_faults_own_mappings, 120)
{
	run_parallel_faults(_metadata, self->fd, false);
}

/* Every thread faulting the same pages at once. */
static void *same_pages_worker(void *arg)
{
	struct region_arg *a = arg;
	volatile uint64_t *p = (volatile uint64_t *)a->base;
	int r;

	for (r = 0; r < a->rounds; r++) {
		uint64_t i;

		pthread_barrier_wait(a->barrier);
		for (i = 0; i < a->len / PAGE; i++)
			if (p[i * PAGE / 8] != ivgpu_pattern(5, i * PAGE / 8))
				a->bad++;
		pthread_barrier_wait(a->barrier);
	}
	return NULL;
}

TEST_F_TIMEOUT(thr, parallel_faults_same_pages, 120)
{
	uint64_t size = 4 * IVGPU_MIB;
	struct region_arg args[NTHREADS];
	pthread_barrier_t barrier;
	pthread_t th[NTHREADS];
	int i, r, rounds = 10;
	uint8_t *p;
	uint32_t h;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 5);
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NTHREADS + 1));
	for (i = 0; i < NTHREADS; i++) {
		args[i] = (struct region_arg){
			.barrier = &barrier, .base = p, .len = size, .index = i, .rounds = rounds,
		};
		ASSERT_EQ(0, pthread_create(&th[i], NULL, same_pages_worker, &args[i]));
	}
	for (r = 0; r < rounds; r++) {
		EXPECT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, 0));
		pthread_barrier_wait(&barrier);
		pthread_barrier_wait(&barrier);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, args[i].bad) TH_LOG("thread %d", i);
	}
	pthread_barrier_destroy(&barrier);
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* ---- faulting while others close handles, munmap and churn ---- */

#define NA 12		/* objects whose handles get closed under the readers */
#define NB 4		/* objects that mappers map and unmap */
#define OBJ (256 * IVGPU_KIB)

struct churn {
	int fd;
	uint32_t a[NA], b[NB];
	uint8_t *map_a[NA];
	atomic_int stop;
	atomic_int closed;
	atomic_int errors;
	atomic_long ops;
	double seconds;
};

static void *churn_reader(void *arg)
{
	struct churn *c = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;

	while (!c->stop) {
		int i = rand_r(&seed) % NA;
		uint64_t w = rand_r(&seed) % (OBJ / 8);
		volatile uint64_t *p = (volatile uint64_t *)c->map_a[i];

		if (p[w] != ivgpu_pattern(200 + i, w))
			c->errors++;
		c->ops++;
	}
	return NULL;
}

static void *churn_closer(void *arg)
{
	struct churn *c = arg;
	int i;

	usleep(200000);
	for (i = 0; i < NA; i++) {
		if (ivgpu_gem_close(c->fd, c->a[i]))
			c->errors += 1000;
		usleep(20000);
	}
	c->closed = 1;
	/* Then churn the heap: create, map, touch, unmap, close. */
	while (!c->stop) {
		uint32_t h;
		uint64_t *p;

		if (ivgpu_bo_create(c->fd, 64 * IVGPU_KIB, 0, &h)) {
			c->errors += 100000;
			break;
		}
		p = ivgpu_bo_mmap(c->fd, h, 64 * IVGPU_KIB);
		if (p == MAP_FAILED) {
			c->errors += 100000;
		} else {
			if (ivgpu_check_zero(p, 64 * IVGPU_KIB) != -1)
				c->errors++;
			ivgpu_fill(p, 64 * IVGPU_KIB, 999);
			munmap(p, 64 * IVGPU_KIB);
		}
		ivgpu_gem_close(c->fd, h);
		c->ops++;
	}
	return NULL;
}

static void *churn_mapper(void *arg)
{
	struct churn *c = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed;

	while (!c->stop) {
		int i = rand_r(&seed) % NB;
		uint64_t first = rand_r(&seed) % (OBJ / PAGE);
		uint64_t pages = 1 + rand_r(&seed) % (OBJ / PAGE - first);
		uint64_t j;
		volatile uint64_t *p;

		p = ivgpu_bo_mmap_range(c->fd, c->b[i], first * PAGE, pages * PAGE,
					PROT_READ | PROT_WRITE);
		if (p == MAP_FAILED) {
			c->errors += 100000;
			break;
		}
		for (j = 0; j < pages; j++) {
			uint64_t w = (first + j) * PAGE / 8;

			if (p[j * PAGE / 8] != ivgpu_pattern(300 + i, w))
				c->errors++;
		}
		/* Partial munmap first, then the rest. */
		if (pages > 2) {
			munmap((void *)(p + PAGE / 8), PAGE);
			munmap((void *)p, PAGE);
			munmap((void *)(p + 2 * PAGE / 8), (pages - 2) * PAGE);
		} else {
			munmap((void *)p, pages * PAGE);
		}
		c->ops++;
	}
	return NULL;
}

static void *churn_revoker(void *arg)
{
	struct churn *c = arg;
	int i = 0;

	while (!c->stop) {
		if (ivgpu_bo_revoke(c->fd, c->b[i % NB], 0, 0))
			c->errors += 100000;
		i++;
		usleep(2000);
	}
	return NULL;
}

TEST_F_TIMEOUT(thr, faults_while_closing_and_unmapping, 120)
{
	static struct churn c;
	pthread_t th[8];
	int i, nth = 0;
	double t0;

	memset(&c, 0, sizeof(c));
	c.fd = self->fd;
	for (i = 0; i < NA; i++) {
		ASSERT_EQ(0, ivgpu_bo_create(self->fd, OBJ, 0, &c.a[i]));
		c.map_a[i] = ivgpu_bo_mmap(self->fd, c.a[i], OBJ);
		ASSERT_NE(MAP_FAILED, c.map_a[i]);
		ivgpu_fill(c.map_a[i], OBJ, 200 + i);
	}
	for (i = 0; i < NB; i++) {
		uint64_t *p;

		ASSERT_EQ(0, ivgpu_bo_create(self->fd, OBJ, 0, &c.b[i]));
		p = ivgpu_bo_mmap(self->fd, c.b[i], OBJ);
		ASSERT_NE(MAP_FAILED, p);
		ivgpu_fill(p, OBJ, 300 + i);
		ASSERT_EQ(0, munmap(p, OBJ));
	}
	/* Revoke A's entries so the readers fault while the handles go away. */
	for (i = 0; i < NA; i++) {
		ASSERT_EQ(0, ivgpu_bo_revoke(self->fd, c.a[i], 0, 0));
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pthread_create(&th[nth++], NULL, churn_reader, &c));
	}
	ASSERT_EQ(0, pthread_create(&th[nth++], NULL, churn_closer, &c));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&th[nth++], NULL, churn_mapper, &c));
	}
	ASSERT_EQ(0, pthread_create(&th[nth++], NULL, churn_revoker, &c));
	t0 = now();
	while (now() - t0 < 4 || !c.closed)
		usleep(50000);
	c.stop = 1;
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	TH_LOG("%ld operations", (long)c.ops);
	EXPECT_EQ(0, c.errors);
	EXPECT_LT(100, c.ops);
	/* The closed objects live on in their mappings, intact. */
	for (i = 0; i < NA; i++) {
		EXPECT_EQ(-1, ivgpu_check(c.map_a[i], OBJ, 200 + i)) TH_LOG("object A%d", i);
		EXPECT_EQ(0, munmap(c.map_a[i], OBJ));
	}
	for (i = 0; i < NB; i++) {
		EXPECT_EQ(0, ivgpu_gem_close(self->fd, c.b[i]));
	}
}

/* ---- revoke and move under readers and writers ---- */

struct rmw {
	volatile uint64_t *p;
	uint64_t words;		/* per half */
	atomic_int stop;
	atomic_long writer_errors, reader_errors, generations, reads;
};

/* Writes generation g over the first half, then checks all of it. */
static void *rmw_writer(void *arg)
{
	struct rmw *c = arg;
	uint64_t g = 1000, i;

	while (!c->stop) {
		for (i = 0; i < c->words; i++)
			c->p[i] = ivgpu_pattern(g, i);
		for (i = 0; i < c->words; i++)
			if (c->p[i] != ivgpu_pattern(g, i))
				c->writer_errors++;
		g++;
		c->generations++;
	}
	return NULL;
}

/* The second half never changes: every read must see its pattern. */
static void *rmw_reader(void *arg)
{
	struct rmw *c = arg;
	uint64_t i;

	while (!c->stop) {
		for (i = 0; i < c->words; i += 61)
			if (c->p[c->words + i] != ivgpu_pattern(777, i))
				c->reader_errors++;
		c->reads++;
	}
	return NULL;
}

TEST_F_TIMEOUT(thr, revoke_and_move_under_readers_writers, 120)
{
	uint64_t size = IVGPU_MIB;
	static struct rmw c;
	struct ivgpu_mm_stats s0, s1;
	int moves = 0, revokes = 0, ret;
	pthread_t w, r;
	uint8_t *buf;
	double t0;
	uint32_t h;

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	c.p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, c.p);
	c.words = size / 16;
	ivgpu_fill(c.p + c.words, size / 2, 777);
	s0 = ivgpu_mm_stats();
	ASSERT_EQ(0, pthread_create(&w, NULL, rmw_writer, &c));
	ASSERT_EQ(0, pthread_create(&r, NULL, rmw_reader, &c));
	t0 = now();
	while (now() - t0 < 4) {
		ret = ivgpu_bo_move(self->fd, h, moves & 1 ? IVGPU_MOVE_CONTIGUOUS : 0, NULL);
		EXPECT_EQ(0, ret) TH_LOG("move %d", moves);
		if (ret)
			break;
		moves++;
		EXPECT_EQ(0, ivgpu_bo_revoke(self->fd, h, 0, 0));
		EXPECT_EQ(0, ivgpu_bo_revoke(self->fd, h, (revokes % 16) * 16 * PAGE, 16 * PAGE));
		revokes += 2;
		usleep(5000);
	}
	c.stop = 1;
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	s1 = ivgpu_mm_stats();
	TH_LOG("%d moves, %d revokes, %ld writer generations, %ld reader passes", moves,
	       revokes, (long)c.generations, (long)c.reads);
	EXPECT_EQ(0, c.writer_errors);
	EXPECT_EQ(0, c.reader_errors);
	EXPECT_LE(10, moves);
	EXPECT_LE(1, c.generations);
	EXPECT_EQ(s0.moves + moves, s1.moves);
	EXPECT_LE(s0.zaps + moves + revokes, s1.zaps);
	/* What the object holds in the end. */
	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ivgpu_bo_pread(self->fd, h, 0, buf, size));
	EXPECT_EQ(-1, ivgpu_check(buf, size / 2, 1000 + c.generations - 1));
	EXPECT_EQ(-1, ivgpu_check(buf + size / 2, size / 2, 777));
	free(buf);
	EXPECT_EQ(0, munmap((void *)c.p, size));
	EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

/* pread/pwrite threads against move: the kernel's copies see moves too. */
struct prw {
	int fd;
	uint32_t h;
	uint64_t size;
	atomic_int stop;
	atomic_long errors, ops;
};

static void *prw_worker(void *arg)
{
	struct prw *c = arg;
	uint64_t *buf = malloc(c->size / 2);
	uint64_t g = 0;

	if (!buf) {
		c->errors++;
		return NULL;
	}
	while (!c->stop) {
		ivgpu_fill(buf, c->size / 2, 5000 + g);
		if (ivgpu_bo_pwrite(c->fd, c->h, 0, buf, c->size / 2))
			c->errors += 1000;
		memset(buf, 0, c->size / 2);
		if (ivgpu_bo_pread(c->fd, c->h, 0, buf, c->size / 2))
			c->errors += 1000;
		if (ivgpu_check(buf, c->size / 2, 5000 + g) != -1)
			c->errors++;
		g++;
		c->ops++;
	}
	free(buf);
	return NULL;
}

TEST_F_TIMEOUT(thr, pread_pwrite_under_move, 120)
{
	static struct prw c;
	int moves = 0, ret;
	pthread_t t;
	double t0;

	memset(&c, 0, sizeof(c));
	c.fd = self->fd;
	c.size = 512 * IVGPU_KIB;
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, c.size, 0, &c.h));
	ASSERT_EQ(0, pthread_create(&t, NULL, prw_worker, &c));
	t0 = now();
	while (now() - t0 < 3) {
		/*
		 * EBUSY is only for kernel mappings made with GEM_MAP: a move
		 * waits for a pread/pwrite in flight.
		 */
		ret = ivgpu_bo_move(self->fd, c.h, moves & 1 ? IVGPU_MOVE_CONTIGUOUS : 0, NULL);
		EXPECT_EQ(0, ret) TH_LOG("move %d", moves);
		if (ret)
			break;
		moves++;
		usleep(2000);
	}
	c.stop = 1;
	pthread_join(t, NULL);
	TH_LOG("%d moves, %ld pwrite+pread rounds", moves, (long)c.ops);
	EXPECT_EQ(0, c.errors);
	EXPECT_LE(1, c.ops);
	EXPECT_LE(1, moves);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, c.h));
}

TEST_HARNESS_MAIN
