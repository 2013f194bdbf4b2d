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
 */
#include <dirent.h>
#include <errno.h>
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

static int write_prefault(unsigned int pages)
{
	FILE *f = fopen(PREFAULT_PARAM, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%u\n", pages) < 0 ? -EIO : 0;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static int read_prefault(void)
{
	FILE *f = fopen(PREFAULT_PARAM, "r");
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

static double median(const struct sample *s, int n, size_t field)
{
	double v[MAX_REPS];
	int i;

	for (i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&s[i] + field);
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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
	FILE *csv = NULL;

	while ((opt = getopt(argc, argv, "r:s:p:c:P:")) != -1) {
		switch (opt) {
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
			fprintf(stderr, "usage: %s [-r REPS] [-s MiB]... [-p PEER]... [-P N,N,...] [-c CSV]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "-r: 1 to %d\n", MAX_REPS);
		return 2;
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
		int saved = read_prefault();

		for (r = 0; r < reps; r++)
			for (si = 0; si < nsizes; si++)
				for (k = 0; k < nsweep; k++) {
					if (write_prefault(sweep_pages[k]) ||
					    run_one(IVGPU, FIRST_TOUCH, sizes[si], &sweep[si][k][r])) {
						printf("# prefault sweep failed: %s\n", strerror(errno));
						nsweep = 0;
						break;
					}
				}
		if (saved > 0)
			write_prefault(saved);
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
