/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ivgpu kselftests: finding the device's nodes and
 * debugfs directory, GET_PARAM, the configuration the VM runner started the
 * device model with (IVGPU_EXPECT_* in the environment), the kernel log.
 */
#ifndef IVGPU_TEST_H
#define IVGPU_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/ivgpu_drm.h>

#define IVGPU_DRIVER_NAME "ivgpu"

/* Open the first DRM node of the given kind ("renderD" or "card") driven by ivgpu. */
static inline int ivgpu_open_node(const char *prefix)
{
	char path[64];
	int first = strcmp(prefix, "renderD") ? 0 : 128;
	int i;

	for (i = first; i < first + 64; i++) {
		drmVersionPtr v;
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/%s%d", prefix, i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, IVGPU_DRIVER_NAME)) {
			drmFreeVersion(v);
			return fd;
		}
		if (v)
			drmFreeVersion(v);
		close(fd);
	}
	errno = ENOENT;
	return -1;
}

static inline int ivgpu_open_render(void)
{
	return ivgpu_open_node("renderD");
}

/* Like ivgpu_open_render(), waiting up to @ms for the node to appear. */
static inline int ivgpu_wait_render(int ms)
{
	int fd, waited;

	for (waited = 0; ; waited += 10) {
		fd = ivgpu_open_render();
		if (fd >= 0 || waited >= ms)
			return fd;
		usleep(10000);
	}
}

/* GET_PARAM; returns 0 or -errno. */
static inline int ivgpu_get_param(int fd, uint32_t param, uint64_t *value)
{
	struct drm_ivgpu_get_param gp = { .param = param };

	if (ioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp))
		return -errno;
	*value = gp.value;
	return 0;
}

/* The configuration the runner gave the device model; false when unset. */
static inline bool ivgpu_expect(const char *name, uint64_t *value)
{
	char var[64];
	const char *s;
	char *end;

	snprintf(var, sizeof(var), "IVGPU_EXPECT_%s", name);
	s = getenv(var);
	if (!s || !*s)
		return false;
	errno = 0;
	*value = strtoull(s, &end, 0);
	return !errno && !*end;
}

/* The debugfs directory of the ivgpu primary node, into @dir; 0 or -errno. */
static inline int ivgpu_debugfs_dir(char *dir, size_t len)
{
	const char *root = "/sys/kernel/debug/dri";
	struct dirent *de;
	DIR *d = opendir(root);
	int ret = -ENOENT;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[300 + sizeof(de->d_name)], buf[64] = "";
		FILE *f;

		if (de->d_name[0] == '.' || atoi(de->d_name) >= 64)
			continue;
		snprintf(path, sizeof(path), "%s/%s/name", root, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) &&
		    !strncmp(buf, IVGPU_DRIVER_NAME " ", strlen(IVGPU_DRIVER_NAME) + 1)) {
			snprintf(dir, len, "%s/%s", root, de->d_name);
			ret = 0;
		}
		fclose(f);
		if (!ret)
			break;
	}
	closedir(d);
	return ret;
}

/* Read a whole (small) file into @buf, NUL-terminated; bytes read or -errno. */
static inline ssize_t ivgpu_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (total < (ssize_t)len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

/*
 * Scan the kernel log for reports that must never appear.  Returns the number
 * of offending lines, printing each as a TAP diagnostic.  With @since_seq,
 * only records whose sequence number is at least that are considered.
 */
static inline int ivgpu_kmsg_reports(unsigned long long since_seq,
				     unsigned long long *next_seq)
{
	static const char * const bad[] = {
		"BUG:", "WARNING:", "Oops", "Call Trace", "KASAN", "UBSAN",
		"circular locking", "recursive locking", "general protection",
		"leaked",
	};
	char rec[2048];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int hits = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		unsigned long long seq;
		unsigned int i;

		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (sscanf(rec, "%*u,%llu,", &seq) != 1)
			continue;
		if (next_seq)
			*next_seq = seq + 1;
		if (seq < since_seq)
			continue;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strstr(rec, bad[i])) {
				printf("# kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				hits++;
				break;
			}
		}
	}
	close(fd);
	return hits;
}

#endif /* IVGPU_TEST_H */
