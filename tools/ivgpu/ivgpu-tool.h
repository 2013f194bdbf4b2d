/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest tools (ivgpu-info, ivgpu-bench, ivgpu-cbench,
 * ivgpu-mmdemo): finding a DRM node by driver name, the ivgpu debugfs
 * directory, one "name value" counter of an ivgpu debugfs file, and the
 * co-processor: a command buffer, a submission, waiting for it, and a CPU
 * CRC-32 to compare the engine's with.
 */
#ifndef IVGPU_TOOL_H
#define IVGPU_TOOL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/sync_file.h>
#include <xf86drm.h>
#include <drm/ivgpu_drm.h>

/* The first render (or primary) node whose driver is @name; -1 if none. */
static inline int ivgpu_tool_open_driver(const char *name, bool render)
{
	char path[64];
	int i, fd;

	for (i = render ? 128 : 0; i < (render ? 192 : 64); i++) {
		drmVersionPtr v;

		snprintf(path, sizeof(path), render ? "/dev/dri/renderD%d" : "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, name)) {
			drmFreeVersion(v);
			return fd;
		}
		if (v)
			drmFreeVersion(v);
		close(fd);
	}
	return -1;
}

/* The debugfs directory of the ivgpu device into @dir; false if none. */
static inline bool ivgpu_tool_debugfs(char *dir, size_t len)
{
	DIR *d = opendir("/sys/kernel/debug/dri");
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char path[300 + sizeof(de->d_name)], buf[64] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%s/name", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && !strncmp(buf, "ivgpu ", 6)) {
			snprintf(dir, len, "/sys/kernel/debug/dri/%s", de->d_name);
			found = true;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* Counter @name of the debugfs file @file in @dir ("name value" lines); -1 if absent. */
static inline long long ivgpu_tool_counter(const char *dir, const char *file, const char *name)
{
	char path[1024], line[128], key[64];
	long long v, found = -1;
	FILE *f;

	if (!dir[0])
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t ivgpu_tool_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * zlib's crc32(@crc, @buf, @n): the reflected IEEE 802.3 polynomial, initial
 * value and final XOR all ones; 0 starts a new CRC.  What the co-processor's
 * CRC32 command computes.
 */
static inline uint32_t ivgpu_tool_crc32(uint32_t crc, const void *buf, size_t n)
{
	static uint32_t table[256];
	const uint8_t *p = buf;
	size_t i;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			uint32_t c = i;
			int k;

			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* A command buffer (IVGPU_BO_CMDBUF) and its mapping; commands go in through it. */
struct ivgpu_tool_cmdbuf {
	uint32_t handle;
	size_t size;
	struct drm_ivgpu_cmd *cmds;
};

/* A command buffer of @size bytes in @fd; 0 or -errno. */
static inline int ivgpu_tool_cmdbuf_new(int fd, size_t size, struct ivgpu_tool_cmdbuf *cb)
{
	struct drm_ivgpu_gem_create create = { .size = size, .kind = IVGPU_BO_CMDBUF };
	struct drm_ivgpu_gem_mmap_offset off = { 0 };
	void *p;

	memset(cb, 0, sizeof(*cb));
	if (ioctl(fd, DRM_IOCTL_IVGPU_GEM_CREATE, &create))
		return -errno;
	cb->handle = create.handle;
	cb->size = create.size;
	off.handle = create.handle;
	if (ioctl(fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &off))
		return -errno;
	p = mmap(NULL, cb->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off.offset);
	if (p == MAP_FAILED)
		return -errno;
	cb->cmds = p;
	return 0;
}

static inline void ivgpu_tool_cmdbuf_free(int fd, struct ivgpu_tool_cmdbuf *cb)
{
	struct drm_gem_close gc = { .handle = cb->handle };

	if (cb->cmds)
		munmap(cb->cmds, cb->size);
	if (cb->handle)
		ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
	memset(cb, 0, sizeof(*cb));
}

/*
 * SUBMIT the @n commands from index @first of @cb (already written there)
 * as one job naming the @nbos objects of @bos, its fence into @out_syncobj
 * (0 for none); 0 or -errno.
 */
static inline int ivgpu_tool_submit(int fd, const struct ivgpu_tool_cmdbuf *cb, uint32_t first,
				    uint32_t n, const uint32_t *bos, uint32_t nbos,
				    uint32_t out_syncobj)
{
	struct drm_ivgpu_submit_bo sbos[IVGPU_SUBMIT_MAX_BOS];
	struct drm_ivgpu_submit s = {
		.cmdbuf = cb->handle,
		.cmd_offset = (uint64_t)first * sizeof(struct drm_ivgpu_cmd),
		.cmd_size = (uint64_t)n * sizeof(struct drm_ivgpu_cmd),
		.bos = (uintptr_t)sbos,
		.num_bos = nbos,
		.out_syncobj = out_syncobj,
	};
	uint32_t i;

	if (nbos > IVGPU_SUBMIT_MAX_BOS)
		return -EINVAL;
	for (i = 0; i < nbos; i++)
		sbos[i] = (struct drm_ivgpu_submit_bo){ .handle = bos[i] };
	return ioctl(fd, DRM_IOCTL_IVGPU_SUBMIT, &s) ? -errno : 0;
}

/*
 * Wait up to @ms for the fence of @syncobj; 0 when it signalled without an
 * error, the job's error (-ETIMEDOUT, -EIO, ...) or the wait's (-ETIME).
 */
static inline int ivgpu_tool_wait(int fd, uint32_t syncobj, int ms)
{
	struct sync_file_info info = { 0 };
	int sf = -1, ret;

	if (drmSyncobjWait(fd, &syncobj, 1, ivgpu_tool_now_ns() + ms * 1000000ll, 0, NULL))
		return -errno;
	if (drmSyncobjExportSyncFile(fd, syncobj, &sf))
		return -errno;
	ret = ioctl(sf, SYNC_IOC_FILE_INFO, &info) ? -errno : 0;
	close(sf);
	if (!ret && info.status < 0)
		ret = info.status;
	return ret;
}

/* Bits of IVGPU_PARAM_CAPS; 0 if GET_PARAM fails. */
static inline uint64_t ivgpu_tool_caps(int fd)
{
	struct drm_ivgpu_get_param gp = { .param = IVGPU_PARAM_CAPS };

	return ioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp) ? 0 : gp.value;
}

#endif /* IVGPU_TOOL_H */
