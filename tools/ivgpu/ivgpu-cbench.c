// SPDX-License-Identifier: GPL-2.0
/*
 * ivgpu-cbench: what the co-processor costs and gives, measured inside one
 * VM boot against what the same boot does without it (DESIGN.md section 4:
 * under emulation only ratios within a boot, medians and counters mean
 * anything).  Every repetition runs every workload in turn, interleaved.
 *
 * Latency, sample by sample, alternating:
 *   raw     one read of debugfs ivgpu_ping: the driver rings IVGPU_DB_PING,
 *           ivgpu-dev answers with the ping interrupt, the reader wakes up
 *           (the kernel's own doorbell-to-interrupt time is in the answer)
 *   job     DRM_IOCTL_IVGPU_SUBMIT of a one-NOP job with an out-syncobj, then
 *           DRM_IOCTL_SYNCOBJ_WAIT until it signals
 * Both are one syscall path into the driver, one doorbell, one interrupt and
 * one wake-up; the job adds the submission and the GPU scheduler's thread.
 * Reported: median and 99th percentile of each, and job / raw (the median
 * of the repetitions' ratios of medians).
 *
 * Stream: -j one-NOP jobs submitted back to back, an out-syncobj on the last
 * only, then a wait for it: jobs per second, and interrupts per job.
 *
 * Throughput, for each -s size (MiB; default 16,64, 0 for none): the
 * co-processor's FILL of an object against the CPU's memset() through its
 * mapping, and its COPY of one object into
 * another against the CPU's memcpy() between their mappings (mappings
 * touched first: no fault is timed).  The co-processor's time is its SUBMIT
 * to the end of the wait; the device's own busy time (debugfs ivgpu_ring
 * device_busy_ns) is given beside it.  Every result is spot-checked.
 *
 * With -t N, after the repetitions, N more of each latency sample with
 * tracepoints on (syscalls, the GPU scheduler, interrupts): where a job's
 * time goes, stage by stage, against the raw round trip's.
 *
 * usage: ivgpu-cbench [-r REPS] [-n N] [-j JOBS] [-s MiB,MiB,...] [-t N] [-c FILE]
 * Prints Markdown tables; -c FILE writes "workload field value" lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu-tool.h"

#define MAX_REPS	32
#define MAX_N		2000
#define MAX_SIZES	4
#define MAX_TRACED	2000
#define TRACEFS		"/sys/kernel/tracing"
#define WAIT_MS		20000

static int fd = -1;
static char dbg[512];
static struct ivgpu_tool_cmdbuf cb;
static uint32_t sobj;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The @q quantile (0.5: the median) of @n values, which it sorts. */
static double quantile(double *v, int n, double q)
{
	int i;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	if (q == 0.5)
		return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	i = (int)(q * n + 0.999999) - 1;
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static double median(const double *v, int n)
{
	double tmp[MAX_REPS > MAX_N ? MAX_REPS : MAX_N];

	memcpy(tmp, v, n * sizeof(v[0]));
	return quantile(tmp, n, 0.5);
}

static long long ring_counter(const char *name)
{
	return ivgpu_tool_counter(dbg, "ivgpu_ring", name);
}

/* ---- the raw round trip: debugfs ivgpu_ping ---- */

static char ping_path[600];
static int ping_fd = -1;
static bool ping_reopen;	/* pread() of the open file does not ping again */

/* One doorbell -> interrupt round trip; its sequence number and the kernel's time. */
static int ping_once(unsigned int *seq, uint64_t *kernel_ns)
{
	unsigned long long lat;
	char buf[128];
	ssize_t n;

	if (ping_reopen) {
		int pfd = open(ping_path, O_RDONLY | O_CLOEXEC);

		if (pfd < 0)
			return -errno;
		n = read(pfd, buf, sizeof(buf) - 1);
		close(pfd);
	} else {
		n = pread(ping_fd, buf, sizeof(buf) - 1, 0);
	}
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "seq %u latency_ns %llu", seq, &lat) != 2)
		return -EIO;
	*kernel_ns = lat;
	return 0;
}

static int ping_open(void)
{
	unsigned int s1, s2;
	uint64_t k;

	snprintf(ping_path, sizeof(ping_path), "%s/ivgpu_ping", dbg);
	ping_fd = open(ping_path, O_RDONLY | O_CLOEXEC);
	if (ping_fd < 0)
		return -errno;
	/* seq_file re-runs the show for a read at offset 0: a new ping each time? */
	if (ping_once(&s1, &k) || ping_once(&s2, &k))
		return -EIO;
	ping_reopen = s1 == s2;
	return 0;
}

/* ---- a job ---- */

/* Submit the one-NOP job at command 0 and wait for it; the SUBMIT's own time. */
static int job_once(uint64_t *submit_ns)
{
	uint64_t t0 = ivgpu_tool_now_ns();
	int ret = ivgpu_tool_submit(fd, &cb, 0, 1, NULL, 0, sobj);

	*submit_ns = ivgpu_tool_now_ns() - t0;
	if (ret)
		return ret;
	if (drmSyncobjWait(fd, &sobj, 1, ivgpu_tool_now_ns() + WAIT_MS * 1000000ll, 0, NULL))
		return -errno;
	return 0;
}

/* ---- objects for the throughput runs ---- */

struct obj {
	uint32_t handle;
	size_t size;
	uint8_t *map;
};

static int obj_new(size_t size, struct obj *o)
{
	struct drm_ivgpu_gem_create create = { .size = size, .kind = IVGPU_BO_GENERIC };
	struct drm_ivgpu_gem_mmap_offset off = { 0 };

	if (ioctl(fd, DRM_IOCTL_IVGPU_GEM_CREATE, &create))
		return -errno;
	o->handle = create.handle;
	o->size = size;
	off.handle = create.handle;
	if (ioctl(fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &off))
		return -errno;
	o->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off.offset);
	if (o->map == MAP_FAILED) {
		o->map = NULL;
		return -errno;
	}
	/* Touched once, so that no fault is timed. */
	memset(o->map, 0, size);
	return 0;
}

static void obj_free(struct obj *o)
{
	struct drm_gem_close gc = { .handle = o->handle };

	if (o->map)
		munmap(o->map, o->size);
	if (o->handle)
		ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
	memset(o, 0, sizeof(*o));
}

/* Does @o hold @v at a few places (one byte per MiB, and the last)? */
static bool spot_check(const struct obj *o, uint8_t v)
{
	size_t off;

	for (off = 0; off < o->size; off += 1ul << 20)
		if (o->map[off] != v)
			return false;
	return o->map[o->size - 1] == v;
}

/* Run command 1 of the buffer (on @a and @b) and wait: its time, the device's busy time. */
static int engine_run(const struct drm_ivgpu_cmd *c, uint32_t a, uint32_t b, double *ns,
		      double *busy_ns)
{
	uint32_t bos[2] = { a, b };
	long long busy0 = ring_counter("device_busy_ns");
	uint64_t t0;
	int ret;

	cb.cmds[1] = *c;
	__sync_synchronize();
	t0 = ivgpu_tool_now_ns();
	ret = ivgpu_tool_submit(fd, &cb, 1, 1, bos, a == b ? 1 : 2, sobj);
	if (!ret)
		ret = ivgpu_tool_wait(fd, sobj, WAIT_MS);
	*ns = ivgpu_tool_now_ns() - t0;
	*busy_ns = ring_counter("device_busy_ns") - busy0;
	return ret;
}

/* ---- where the time goes: tracepoints ---- */

static int tfs_write(const char *file, const char *text)
{
	char path[256];
	int tfd, ret = 0;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	tfd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (tfd < 0)
		return -errno;
	if (write(tfd, text, strlen(text)) < 0)
		ret = -errno;
	close(tfd);
	return ret;
}

/* The stages of a traced job and of a traced raw round trip, in ns. */
enum stage {
	J_SUBMIT,	/* SUBMIT ioctl: entry to exit */
	J_QUEUE,	/* job pushed to the scheduler -> its thread runs it (drm_run_job) */
	J_DEVICE,	/* drm_run_job -> ring interrupt: ring write, doorbell, engine, MSI-X */
	J_IRQ,		/* ring interrupt -> job done (drm_sched_process_job) */
	J_WAKE,		/* job done -> the wait ioctl returns */
	J_TOTAL,	/* SUBMIT entry -> wait exit */
	P_DEVICE,	/* pread entry -> ping interrupt: the driver's path, doorbell, MSI-X */
	P_WAKE,		/* ping interrupt -> pread exit */
	P_TOTAL,	/* pread entry -> exit */
	P_KERNEL,	/* the driver's own doorbell -> interrupt time */
	NSTAGES
};

static const char * const stage_key[NSTAGES] = {
	"submit_ns", "queue_ns", "device_ns", "irq_ns", "wake_ns", "total_ns",
	"ping_device_ns", "ping_wake_ns", "ping_total_ns", "ping_kernel_ns",
};

static double stage[NSTAGES][MAX_TRACED];
static int nstage[NSTAGES];

static void stage_add(enum stage s, double t0, double t1)
{
	if (t0 > 0 && t1 >= t0 && nstage[s] < MAX_TRACED)
		stage[s][nstage[s]++] = (t1 - t0) * 1e9;
}

/*
 * Parse the trace: per job, SUBMIT's sys_enter, drm_sched_job, SUBMIT's
 * sys_exit, drm_run_job, the ring interrupt, drm_sched_process_job, the
 * wait's sys_exit; per ping, pread64's sys_enter, the ping interrupt, its
 * sys_exit.  One job or ping is in flight at a time, so order says which.
 */
static int trace_parse(const char *buf, pid_t me)
{
	unsigned long submit_req = DRM_IOCTL_IVGPU_SUBMIT;
	double t_sub = 0, t_pushed = 0, t_run = 0, t_irq = 0, t_done = 0, t_pread = 0, t_pirq = 0;
	enum { NONE, IN_SUBMIT, IN_WAIT, IN_PREAD } in = NONE;
	const char *line = buf;
	int jobs = 0;

	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *colon, *ev;
		char comm_pid[64];
		double t;
		int pid;

		if (*line == '#')
			continue;
		/* "  comm-pid  [cpu] flags  secs.usecs: event: ..." */
		if (sscanf(line, " %63s", comm_pid) != 1)
			continue;
		pid = atoi(strrchr(comm_pid, '-') ? strrchr(comm_pid, '-') + 1 : "0");
		colon = strstr(line, ": ");
		if (!colon)
			continue;
		ev = colon;
		while (ev > line && ev[-1] != ' ')
			ev--;
		t = strtod(ev, NULL);
		ev = colon + 2;

		if (!strncmp(ev, "sys_enter: NR 16 (", 18) && pid == me) {
			unsigned long f, req;

			if (sscanf(ev + 18, "%lx, %lx", &f, &req) == 2 && req == submit_req) {
				t_sub = t;
				t_pushed = t_run = t_irq = t_done = 0;
				in = IN_SUBMIT;
			} else if (in == NONE && t_sub > 0) {
				in = IN_WAIT;
			}
		} else if (!strncmp(ev, "sys_enter: NR 17 ", 17) && pid == me) {
			t_pread = t;
			t_pirq = 0;
			in = IN_PREAD;
		} else if (!strncmp(ev, "sys_exit: NR 16 ", 16) && pid == me) {
			if (in == IN_SUBMIT) {
				stage_add(J_SUBMIT, t_sub, t);
				in = NONE;
			} else if (in == IN_WAIT) {
				stage_add(J_QUEUE, t_pushed, t_run);
				stage_add(J_DEVICE, t_run, t_irq);
				stage_add(J_IRQ, t_irq, t_done);
				stage_add(J_WAKE, t_done, t);
				stage_add(J_TOTAL, t_sub, t);
				jobs++;
				t_sub = 0;
				in = NONE;
			}
		} else if (!strncmp(ev, "sys_exit: NR 17 ", 16) && pid == me && in == IN_PREAD) {
			stage_add(P_DEVICE, t_pread, t_pirq);
			stage_add(P_WAKE, t_pirq, t);
			stage_add(P_TOTAL, t_pread, t);
			in = NONE;
		} else if (!strncmp(ev, "drm_sched_job: ", 15) && t_sub > 0 && !t_pushed) {
			t_pushed = t;
		} else if (!strncmp(ev, "drm_run_job: ", 13) && t_sub > 0 && !t_run) {
			t_run = t;
		} else if (!strncmp(ev, "irq_handler_entry: ", 19)) {
			if (strstr(ev, "name=ivgpu-ring") && t_run > 0 && !t_irq)
				t_irq = t;
			else if (strstr(ev, "name=ivgpu-ping") && in == IN_PREAD && !t_pirq)
				t_pirq = t;
		} else if (!strncmp(ev, "drm_sched_process_job: ", 23) && t_irq > 0 && !t_done) {
			t_done = t;
		}
	}
	return jobs;
}

/* @n traced jobs and raw round trips, alternating; fills stage[]. */
static int trace_run(int n)
{
	static const char * const events[] = {
		"raw_syscalls/sys_enter", "raw_syscalls/sys_exit", "gpu_scheduler/drm_sched_job",
		"gpu_scheduler/drm_run_job", "gpu_scheduler/drm_sched_process_job",
		"irq/irq_handler_entry",
	};
	size_t len = 64u << 20, got = 0;
	char filter[128], file[128];
	uint64_t kns, sub;
	unsigned int i, seq;
	int tfd, k, ret = 0;
	ssize_t r;
	char *buf;

	if (access(TRACEFS "/trace", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	if (access(TRACEFS "/events/gpu_scheduler", F_OK))
		return -EOPNOTSUPP;
	if (tfs_write("tracing_on", "0") || tfs_write("trace_clock", "mono") ||
	    tfs_write("buffer_size_kb", "8192") || tfs_write("trace", ""))
		return -EIO;
	snprintf(filter, sizeof(filter), "common_pid == %d && (id == 16 || id == 17)", getpid());
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(file, sizeof(file), "events/%s/filter", events[i]);
		if (i < 2 && tfs_write(file, filter))
			return -EIO;
		if (i == 5 && tfs_write(file, "name ~ \"ivgpu-*\""))
			return -EIO;
		snprintf(file, sizeof(file), "events/%s/enable", events[i]);
		if (tfs_write(file, "1"))
			return -EIO;
	}
	tfs_write("tracing_on", "1");
	for (k = 0; k < n && !ret; k++) {
		ret = ping_once(&seq, &kns);
		if (!ret) {
			if (nstage[P_KERNEL] < MAX_TRACED)
				stage[P_KERNEL][nstage[P_KERNEL]++] = kns;
			ret = job_once(&sub);
		}
	}
	tfs_write("tracing_on", "0");
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(file, sizeof(file), "events/%s/enable", events[i]);
		tfs_write(file, "0");
		snprintf(file, sizeof(file), "events/%s/filter", events[i]);
		tfs_write(file, "0");
	}
	if (ret)
		return ret;

	buf = malloc(len + 1);
	tfd = open(TRACEFS "/trace", O_RDONLY | O_CLOEXEC);
	if (!buf || tfd < 0) {
		free(buf);
		return -ENOMEM;
	}
	while (got < len && (r = read(tfd, buf + got, len - got)) > 0)
		got += r;
	close(tfd);
	buf[got] = '\0';
	tfs_write("trace", "");
	tfs_write("buffer_size_kb", "1408");
	ret = trace_parse(buf, getpid());
	free(buf);
	return ret;
}

/* ---- main ---- */

enum tput { FILL, MEMSET, COPY, MEMCPY, NTPUT };

static const char * const tput_name[NTPUT] = { "fill", "memset", "copy", "memcpy" };

int main(int argc, char **argv)
{
	static double raw[MAX_REPS][MAX_N], drv[MAX_REPS][MAX_N], sub[MAX_REPS][MAX_N];
	static double kern[MAX_REPS][MAX_N], pool[MAX_REPS * MAX_N];
	static double tp[MAX_SIZES][NTPUT][MAX_REPS], busy[MAX_SIZES][2][MAX_REPS];
	double ratio[MAX_REPS], rate[MAX_REPS], irqs[MAX_REPS], pins[MAX_REPS], slides[MAX_REPS];
	int reps = 5, n = 200, jobs = 1000, traced = 0, nsizes = -1, r, i, k, si, ret = 0;
	struct drm_ivgpu_get_param gp = { .param = IVGPU_PARAM_BAR_CONFIG };
	size_t sizes[MAX_SIZES];
	struct obj a[MAX_SIZES] = { 0 }, b[MAX_SIZES] = { 0 };
	long long jobs0, errors0, nwin, wsize;
	FILE *kv = NULL;
	int opt, traced_jobs = 0;
	char *tok;

	while ((opt = getopt(argc, argv, "r:n:j:s:t:c:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'j':
			jobs = atoi(optarg);
			break;
		case 's':
			nsizes = 0;
			for (tok = strtok(optarg, ","); tok && nsizes < MAX_SIZES;
			     tok = strtok(NULL, ","))
				if (strtoul(tok, NULL, 0))
					sizes[nsizes++] = strtoul(tok, NULL, 0) << 20;
			break;
		case 't':
			traced = atoi(optarg);
			break;
		case 'c':
			kv = fopen(optarg, "w");
			if (!kv) {
				perror(optarg);
				return 1;
			}
			break;
		default:
			fprintf(stderr, "usage: %s [-r REPS] [-n N] [-j JOBS] [-s MiB,MiB,...] [-t N] [-c FILE]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || n < 1 || n > MAX_N || jobs < 1 || traced < 0 ||
	    traced > MAX_TRACED) {
		fprintf(stderr, "-r: 1 to %d; -n: 1 to %d; -j: at least 1; -t: 0 to %d\n",
			MAX_REPS, MAX_N, MAX_TRACED);
		return 2;
	}
	if (nsizes < 0) {
		nsizes = 0;
		sizes[nsizes++] = 16ul << 20;
		sizes[nsizes++] = 64ul << 20;
	}

	fd = ivgpu_tool_open_driver("ivgpu", true);
	if (fd < 0 || !ivgpu_tool_debugfs(dbg, sizeof(dbg)) ||
	    ioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp)) {
		printf("# no ivgpu device (or no debugfs)\n");
		return 1;
	}
	if (!(ivgpu_tool_caps(fd) & IVGPU_CAPS_COPROC)) {
		printf("# the device has no co-processor\n");
		return 1;
	}
	nwin = ivgpu_tool_counter(dbg, "ivgpu_windows", "windows");
	wsize = ivgpu_tool_counter(dbg, "ivgpu_windows", "window_size");
	if (ping_open()) {
		printf("# debugfs ivgpu_ping unusable: %s\n", strerror(errno));
		return 1;
	}
	if (ivgpu_tool_cmdbuf_new(fd, 4096, &cb) || drmSyncobjCreate(fd, 0, &sobj)) {
		printf("# cannot make a command buffer or a syncobj: %s\n", strerror(errno));
		return 1;
	}
	cb.cmds[0] = (struct drm_ivgpu_cmd){ .opcode = IVGPU_OP_NOP };
	for (si = 0; si < nsizes; si++) {
		ret = obj_new(sizes[si], &a[si]);
		if (!ret)
			ret = obj_new(sizes[si], &b[si]);
		if (ret) {
			printf("# cannot make two %zu MiB objects: %s\n", sizes[si] >> 20,
			       strerror(-ret));
			return 1;
		}
	}
	/* One of each first, unmeasured. */
	{
		unsigned int seq;
		uint64_t kns, s;

		if (ping_once(&seq, &kns) || job_once(&s)) {
			printf("# the first round trip or job failed\n");
			return 1;
		}
	}
	jobs0 = ring_counter("jobs");
	errors0 = ring_counter("errors") + ring_counter("timeouts");

	for (r = 0; r < reps && !ret; r++) {
		long long irq0, pin0, slide0;
		uint64_t t0;

		/* Latency: raw round trips and jobs, alternating. */
		pin0 = ivgpu_tool_counter(dbg, "ivgpu_windows", "pins");
		slide0 = ivgpu_tool_counter(dbg, "ivgpu_windows", "slides");
		for (i = 0; i < n && !ret; i++) {
			unsigned int seq;
			uint64_t kns, s;

			t0 = ivgpu_tool_now_ns();
			ret = ping_once(&seq, &kns);
			raw[r][i] = ivgpu_tool_now_ns() - t0;
			kern[r][i] = kns;
			if (ret)
				break;
			t0 = ivgpu_tool_now_ns();
			ret = job_once(&s);
			drv[r][i] = ivgpu_tool_now_ns() - t0;
			sub[r][i] = s;
		}
		if (ret)
			break;
		ratio[r] = median(drv[r], n) / median(raw[r], n);
		/* With a small BAR, what the jobs did to the windows (the pings do nothing there). */
		pins[r] = (double)(ivgpu_tool_counter(dbg, "ivgpu_windows", "pins") - pin0) / n;
		slides[r] = (double)(ivgpu_tool_counter(dbg, "ivgpu_windows", "slides") - slide0) / n;

		/* A stream of jobs, the last with the syncobj. */
		irq0 = ring_counter("device_irqs");
		t0 = ivgpu_tool_now_ns();
		for (i = 0; i < jobs && !ret; i++)
			ret = ivgpu_tool_submit(fd, &cb, 0, 1, NULL, 0, i == jobs - 1 ? sobj : 0);
		if (!ret)
			ret = ivgpu_tool_wait(fd, sobj, WAIT_MS);
		rate[r] = jobs * 1e9 / (ivgpu_tool_now_ns() - t0);
		irqs[r] = (double)(ring_counter("device_irqs") - irq0) / jobs;

		/* Throughput: each size, the CPU and the engine in turn. */
		for (si = 0; si < nsizes && !ret; si++) {
			uint8_t v = 0x10 + 2 * r;
			struct drm_ivgpu_cmd fill = {
				.opcode = IVGPU_OP_FILL, .dst_handle = a[si].handle,
				.size = sizes[si], .arg = 0x01010101u * (v + 1),
			};
			struct drm_ivgpu_cmd copy = {
				.opcode = IVGPU_OP_COPY, .dst_handle = b[si].handle,
				.src_handle = a[si].handle, .size = sizes[si],
			};

			t0 = ivgpu_tool_now_ns();
			memset(a[si].map, v, sizes[si]);
			tp[si][MEMSET][r] = ivgpu_tool_now_ns() - t0;
			t0 = ivgpu_tool_now_ns();
			memcpy(b[si].map, a[si].map, sizes[si]);
			tp[si][MEMCPY][r] = ivgpu_tool_now_ns() - t0;
			if (!spot_check(&b[si], v)) {
				printf("# memcpy: wrong bytes\n");
				ret = -EIO;
				break;
			}
			ret = engine_run(&fill, a[si].handle, a[si].handle, &tp[si][FILL][r],
					 &busy[si][0][r]);
			if (!ret && !spot_check(&a[si], v + 1)) {
				printf("# FILL: wrong bytes\n");
				ret = -EIO;
			}
			if (!ret)
				ret = engine_run(&copy, b[si].handle, a[si].handle,
						 &tp[si][COPY][r], &busy[si][1][r]);
			if (!ret && !spot_check(&b[si], v + 1)) {
				printf("# COPY: wrong bytes\n");
				ret = -EIO;
			}
		}
	}
	if (ret) {
		printf("# failed: %s\n", strerror(-ret));
		return 1;
	}
	if (ring_counter("errors") + ring_counter("timeouts") != errors0) {
		printf("# the engine reported errors or timeouts during the run\n");
		return 1;
	}
	if (traced) {
		traced_jobs = trace_run(traced);
		if (traced_jobs < 0)
			printf("# tracing: %s; no breakdown\n", strerror(-traced_jobs));
	}

	/* The tables. */
	{
		double rawm, rawp, drvm, drvp, subm, kernm, ratm, ratmin, ratmax;
		int np = 0;

		for (r = 0; r < reps; r++)
			for (i = 0; i < n; i++)
				pool[np++] = raw[r][i];
		rawm = quantile(pool, np, 0.5);
		rawp = quantile(pool, np, 0.99);
		for (np = 0, r = 0; r < reps; r++)
			for (i = 0; i < n; i++)
				pool[np++] = drv[r][i];
		drvm = quantile(pool, np, 0.5);
		drvp = quantile(pool, np, 0.99);
		for (np = 0, r = 0; r < reps; r++)
			for (i = 0; i < n; i++)
				pool[np++] = sub[r][i];
		subm = quantile(pool, np, 0.5);
		for (np = 0, r = 0; r < reps; r++)
			for (i = 0; i < n; i++)
				pool[np++] = kern[r][i];
		kernm = quantile(pool, np, 0.5);
		ratm = median(ratio, reps);
		ratmin = ratmax = ratio[0];
		for (r = 1; r < reps; r++) {
			ratmin = ratio[r] < ratmin ? ratio[r] : ratmin;
			ratmax = ratio[r] > ratmax ? ratio[r] : ratmax;
		}

		printf("ivgpu co-processor, %s BAR (%lld windows of %lld KiB), %d repetitions of %d samples, %lld user jobs:\n\n",
		       gp.value == IVGPU_BAR_SMALL ? "small" : "large", nwin, wsize >> 10, reps, n,
		       ring_counter("jobs") - jobs0);
		printf("| latency | median us | p99 us |\n|---|---:|---:|\n");
		printf("| raw round trip (debugfs ivgpu_ping read) | %.1f | %.1f |\n", rawm / 1e3,
		       rawp / 1e3);
		printf("| (its doorbell -> interrupt, kernel-timed) | %.1f | |\n", kernm / 1e3);
		printf("| job: SUBMIT + SYNCOBJ_WAIT | %.1f | %.1f |\n", drvm / 1e3, drvp / 1e3);
		printf("| (the SUBMIT ioctl alone) | %.1f | |\n", subm / 1e3);
		printf("\njob / raw: %.2fx (repetitions %.2f to %.2f); target at most 2x: %s\n", ratm,
		       ratmin, ratmax, ratm <= 2 ? "met" : "NOT met");
		printf("stream of %d jobs: %.0f jobs/s (%.1f us each, %.2fx a raw round trip), %.2f interrupts per job\n",
		       jobs, median(rate, reps), 1e6 / median(rate, reps),
		       1e9 / median(rate, reps) / rawm, median(irqs, reps));
		if (nwin > 0)
			printf("banked windows: %.2f pins and %.3f slides per job\n", median(pins, reps),
			       median(slides, reps));
		if (kv) {
			fprintf(kv, "latency raw_median_ns %.0f\nlatency raw_p99_ns %.0f\n", rawm, rawp);
			fprintf(kv, "latency raw_kernel_ns %.0f\n", kernm);
			fprintf(kv, "latency job_median_ns %.0f\nlatency job_p99_ns %.0f\n", drvm, drvp);
			fprintf(kv, "latency submit_ns %.0f\n", subm);
			fprintf(kv, "latency ratio %.4f\nlatency ratio_min %.4f\nlatency ratio_max %.4f\n",
				ratm, ratmin, ratmax);
			fprintf(kv, "stream jobs_per_s %.1f\nstream irqs_per_job %.4f\n",
				median(rate, reps), median(irqs, reps));
			fprintf(kv, "stream ns_per_job %.0f\n", 1e9 / median(rate, reps));
			fprintf(kv, "latency pins_per_job %.4f\nlatency slides_per_job %.4f\n",
				nwin > 0 ? median(pins, reps) : 0, nwin > 0 ? median(slides, reps) : 0);
		}

		if (nsizes) {
			printf("\n| size | operation | median ms | MB/s | engine busy ms | engine MB/s | engine / CPU |\n");
			printf("|---|---|---:|---:|---:|---:|---:|\n");
		}
		for (si = 0; si < nsizes; si++) {
			double mib = sizes[si] / 1048576.0;

			for (k = 0; k < NTPUT; k++) {
				double ns = median(tp[si][k], reps);
				bool eng = k == FILL || k == COPY;
				double bns = eng ? median(busy[si][k == COPY], reps) : 0;
				double cpu = eng ? median(tp[si][k + 1], reps) : 0;
				char name[32];

				printf("| %.0f MiB | %s | %.2f | %.0f |", mib,
				       eng ? (k == FILL ? "FILL (engine)" : "COPY (engine)") :
				       (k == MEMSET ? "memset (CPU, mapping)" : "memcpy (CPU, mappings)"),
				       ns / 1e6, mib / (ns / 1e9));
				if (eng)
					printf(" %.2f | %.0f | %.2fx |\n", bns / 1e6,
					       bns ? mib / (bns / 1e9) : 0, cpu / ns);
				else
					printf(" | | |\n");
				if (kv) {
					snprintf(name, sizeof(name), "%s-%.0f", tput_name[k], mib);
					fprintf(kv, "%s ns %.0f\n%s bytes %zu\n", name, ns, name, sizes[si]);
					if (eng)
						fprintf(kv, "%s busy_ns %.0f\n", name, bns);
				}
			}
		}
		if (nsizes)
			printf("\n(median of %d; engine / CPU: the CPU's median time over the engine's, above 1 = the engine is faster)\n",
			       reps);
	}
	if (traced_jobs > 0) {
		static const char * const label[NSTAGES] = {
			"SUBMIT ioctl", "queued -> scheduler thread runs it",
			"run_job -> ring interrupt", "interrupt -> job done",
			"job done -> wait returns", "job total",
			"pread -> ping interrupt", "interrupt -> pread returns", "raw total",
			"(doorbell -> interrupt, kernel-timed)",
		};
		int s;

		printf("\nWith tracepoints on (%d of each; the tracing slows both):\n\n", traced_jobs);
		printf("| stage | median us |\n|---|---:|\n");
		for (s = 0; s < NSTAGES; s++) {
			double m = quantile(stage[s], nstage[s], 0.5);

			printf("| %s | %.1f |\n", label[s], m / 1e3);
			if (kv)
				fprintf(kv, "trace %s %.0f\n", stage_key[s], m);
		}
	}
	if (kv) {
		fprintf(kv, "config bar %s\n", gp.value == IVGPU_BAR_SMALL ? "small" : "large");
		fprintf(kv, "config windows %lld\nconfig window_size %lld\n", nwin, wsize);
		fprintf(kv, "config cpus %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
		fprintf(kv, "config reps %d\nconfig samples %d\nconfig jobs %d\n", reps, n, jobs);
		fprintf(kv, "config traced %d\n", traced_jobs > 0 ? traced_jobs : 0);
		fprintf(kv, "config ping_reopen %d\n", ping_reopen);
		fclose(kv);
	}
	for (si = 0; si < nsizes; si++) {
		obj_free(&a[si]);
		obj_free(&b[si]);
	}
	drmSyncobjDestroy(fd, sobj);
	ivgpu_tool_cmdbuf_free(fd, &cb);
	close(fd);
	return 0;
}
