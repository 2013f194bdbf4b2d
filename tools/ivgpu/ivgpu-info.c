// SPDX-License-Identifier: GPL-2.0
/*
 * ivgpu-info: say, in plain words, what the ivgpu driver found: the device
 * version, VRAM, the BAR configuration and the interrupt round trip (timed
 * over debugfs ivgpu_ping reads, each one doorbell -> MSI-X -> wake-up).
 * Runs in the test VM; used by `make demo`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu-tool.h"

#define PINGS 25

static int get(int fd, uint32_t param, uint64_t *v)
{
	struct drm_ivgpu_get_param gp = { .param = param };

	if (ioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp))
		return -errno;
	*v = gp.value;
	return 0;
}

static const char *human(uint64_t bytes, char *buf, size_t len)
{
	if (bytes && !(bytes % (1ull << 30)))
		snprintf(buf, len, "%" PRIu64 " GiB", bytes >> 30);
	else if (bytes && !(bytes % (1ull << 20)))
		snprintf(buf, len, "%" PRIu64 " MiB", bytes >> 20);
	else if (bytes && !(bytes % 1024))
		snprintf(buf, len, "%" PRIu64 " KiB", bytes >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
	return buf;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	uint64_t ver, vram, bar, nwin, wsize, granule, caps, visible, pings;
	uint64_t rt[PINGS];
	char a[32], b[32], c[32], d[32], dir[512], pp[600];
	drmVersionPtr v;
	char *node;
	int fd, i, n = 0;

	fd = ivgpu_tool_open_driver("ivgpu", true);
	v = fd < 0 ? NULL : drmGetVersion(fd);
	if (!v) {
		printf("No ivgpu device: the driver did not bind (see dmesg).\n");
		return 1;
	}
	if (get(fd, IVGPU_PARAM_DEVICE_VERSION, &ver) || get(fd, IVGPU_PARAM_VRAM_SIZE, &vram) ||
	    get(fd, IVGPU_PARAM_BAR_CONFIG, &bar) || get(fd, IVGPU_PARAM_WINDOW_COUNT, &nwin) ||
	    get(fd, IVGPU_PARAM_WINDOW_SIZE, &wsize) || get(fd, IVGPU_PARAM_CAPS, &caps) ||
	    get(fd, IVGPU_PARAM_BANK_GRANULE, &granule) ||
	    get(fd, IVGPU_PARAM_CPU_VISIBLE_SIZE, &visible)) {
		printf("GET_PARAM failed: %s\n", strerror(errno));
		return 1;
	}
	node = drmGetDeviceNameFromFd2(fd);
	printf("ivgpu device at %s, driver %s %d.%d.%d (%s)\n", node ? node : "?", v->name,
	       v->version_major, v->version_minor, v->version_patchlevel, v->desc);
	printf("  device version:     %" PRIu64 ".%" PRIu64 "\n", ver >> 16, ver & 0xffff);
	printf("  VRAM:               %s\n", human(vram, a, sizeof(a)));
	if (bar == IVGPU_BAR_LARGE)
		printf("  BAR configuration:  large BAR: all %s of VRAM is visible to the CPU\n",
		       human(visible, a, sizeof(a)));
	else
		printf("  BAR configuration:  small BAR: %" PRIu64 " windows of %s (%s of %s visible at once),\n"
		       "                      bank granule %s\n", nwin, human(wsize, a, sizeof(a)),
		       human(visible, b, sizeof(b)), human(vram, c, sizeof(c)),
		       human(granule, d, sizeof(d)));
	printf("  capabilities:      %s%s%s%s\n", caps & IVGPU_CAPS_PING ? " ping" : "",
	       caps & IVGPU_CAPS_LARGE_BAR ? " large-bar" : "",
	       caps & IVGPU_CAPS_WINDOWS ? " windows" : "",
	       caps & IVGPU_CAPS_COPROC ? " coproc" : "");

	if (ivgpu_tool_debugfs(dir, sizeof(dir)))
		snprintf(pp, sizeof(pp), "%s/ivgpu_ping", dir);
	else
		pp[0] = '\0';
	for (i = 0; pp[0] && i < PINGS; i++) {
		struct timespec t0, t1;
		char buf[256];
		int pfd;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		pfd = open(pp, O_RDONLY);
		if (pfd < 0 || read(pfd, buf, sizeof(buf)) <= 0) {
			if (pfd >= 0)
				close(pfd);
			break;
		}
		close(pfd);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		rt[n++] = (t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec - t0.tv_nsec;
	}
	if (n) {
		qsort(rt, n, sizeof(rt[0]), cmp_u64);
		get(fd, IVGPU_PARAM_PING_COUNT, &pings);
		printf("  interrupt round trip: %d doorbell -> MSI-X pings, median %" PRIu64
		       " us, min %" PRIu64 " us (%" PRIu64 " since probe)\n",
		       n, rt[n / 2] / 1000, rt[0] / 1000, pings);
	} else {
		printf("  interrupt round trip: debugfs ivgpu_ping unavailable\n");
	}
	free(node);
	drmFreeVersion(v);
	close(fd);
	return n ? 0 : 1;
}
