/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ivgpu kselftests: finding the device's nodes and
 * debugfs directory, GET_PARAM, the configuration the VM runner started the
 * device model with (IVGPU_EXPECT_* in the environment), the kernel log, and
 * the co-processor's CRC-32 as an oracle for what reached VRAM.
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
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/sync_file.h>
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

/* Write @text to a sysfs or debugfs file in one write(); 0 or -errno. */
static inline int ivgpu_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
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
		/* the driver's "VRAM leak:" and "kernel mapping leak:", kmemleak's */
		"leak:", "suspected memory leak",
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


/* ---- buffer objects, mappings and debugfs counters ---- */

#define IVGPU_PAGE		4096ull
#define IVGPU_KIB		1024ull
#define IVGPU_MIB		(1024ull * 1024)
#define IVGPU_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ioctl(); 0 or -errno, retrying on EINTR/EAGAIN as drmIoctl() does. */
static inline int ivgpu_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

/* GET_PARAM that returns the value, or ~0 when the ioctl fails. */
static inline uint64_t ivgpu_param(int fd, uint32_t param)
{
	uint64_t v = 0;

	return ivgpu_get_param(fd, param, &v) ? ~0ull : v;
}

static inline uint64_t ivgpu_vram_used(int fd)
{
	return ivgpu_param(fd, IVGPU_PARAM_VRAM_USED);
}

/*
 * Have the CPU (through the banked windows with a small BAR) rather than the
 * co-processor zero new objects and copy moved ones: module parameter
 * use_coproc.  0 or -errno.
 */
static inline int ivgpu_use_coproc(bool on)
{
	int fd = open("/sys/module/ivgpu/parameters/use_coproc", O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, on ? "1" : "0", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/* Bytes of VRAM the driver holds itself (the co-processor's ring), in VRAM_USED. */
static inline uint64_t ivgpu_vram_kernel(int fd)
{
	return ivgpu_param(fd, IVGPU_PARAM_VRAM_KERNEL);
}

static inline bool ivgpu_small_bar(int fd)
{
	return ivgpu_param(fd, IVGPU_PARAM_BAR_CONFIG) == IVGPU_BAR_SMALL;
}

/*
 * Bytes a sequential walk through a mapping maps at least per fault, after
 * its first: 64 KiB, or with a small BAR what a window shows ahead of the
 * walk (its size less one bank granule: a walk's new window overlaps the old
 * one by a granule, so that an access straddling the two finds both) if that
 * is less.
 */
static inline uint64_t ivgpu_walk_span(int fd)
{
	uint64_t span = 64 * IVGPU_KIB, w, g;

	if (!ivgpu_small_bar(fd))
		return span;
	w = ivgpu_param(fd, IVGPU_PARAM_WINDOW_SIZE);
	g = ivgpu_param(fd, IVGPU_PARAM_BANK_GRANULE);
	return w > g && w - g < span ? w - g : span;
}

/*
 * Pages, at most @max (a power of two), of an object that one window shows
 * whole when created with its size as alignment: all @max with a large BAR.
 */
static inline uint64_t ivgpu_fit_pages(int fd, uint64_t max)
{
	uint64_t w;

	if (!ivgpu_small_bar(fd))
		return max;
	w = ivgpu_param(fd, IVGPU_PARAM_WINDOW_SIZE) / IVGPU_PAGE;
	return w < max ? w : max;
}

/*
 * Wait up to @ms for VRAM_USED (read through @fd) to equal @want; returns the
 * last value read.  Freeing is synchronous today, the wait only tolerates a
 * driver that frees from a worker.
 */
static inline uint64_t ivgpu_wait_vram_used(int fd, uint64_t want, int ms)
{
	uint64_t v;
	int waited;

	for (waited = 0; ; waited += 10) {
		v = ivgpu_vram_used(fd);
		if (v == want || waited >= ms)
			return v;
		usleep(10000);
	}
}

/* GEM_CREATE; 0 or -errno.  @size may be NULL; it gets the object's size. */
static inline int ivgpu_bo_create_full(int fd, uint64_t size, uint64_t alignment,
				       uint32_t kind, uint32_t flags,
				       uint32_t *handle, uint64_t *out_size)
{
	struct drm_ivgpu_gem_create c = {
		.size = size, .alignment = alignment, .kind = kind, .flags = flags,
	};
	int ret = ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_GEM_CREATE, &c);

	if (!ret) {
		*handle = c.handle;
		if (out_size)
			*out_size = c.size;
	}
	return ret;
}

static inline int ivgpu_bo_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle)
{
	return ivgpu_bo_create_full(fd, size, 0, IVGPU_BO_GENERIC, flags, handle, NULL);
}

static inline int ivgpu_bo_info(int fd, uint32_t handle, struct drm_ivgpu_gem_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_GEM_INFO, info);
}

static inline uint32_t ivgpu_bo_num_blocks(int fd, uint32_t handle)
{
	struct drm_ivgpu_gem_info info;

	return ivgpu_bo_info(fd, handle, &info) ? 0 : info.num_blocks;
}

static inline uint64_t ivgpu_bo_id(int fd, uint32_t handle)
{
	struct drm_ivgpu_gem_info info;

	return ivgpu_bo_info(fd, handle, &info) ? ~0ull : info.id;
}

static inline int ivgpu_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close gc = { .handle = handle };

	return ivgpu_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc);
}

static inline int ivgpu_mmap_offset(int fd, uint32_t handle, uint64_t *offset)
{
	struct drm_ivgpu_gem_mmap_offset mo = { .handle = handle };
	int ret = ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &mo);

	if (!ret)
		*offset = mo.offset;
	return ret;
}

/*
 * mmap() @size bytes of the object from byte @offset (page-aligned) with
 * @prot and MAP_SHARED; MAP_FAILED with errno set on failure.
 */
static inline void *ivgpu_bo_mmap_range(int fd, uint32_t handle, uint64_t offset,
					uint64_t size, int prot)
{
	uint64_t fake;
	int ret = ivgpu_mmap_offset(fd, handle, &fake);

	if (ret) {
		errno = -ret;
		return MAP_FAILED;
	}
	return mmap(NULL, size, prot, MAP_SHARED, fd, fake + offset);
}

static inline void *ivgpu_bo_mmap(int fd, uint32_t handle, uint64_t size)
{
	return ivgpu_bo_mmap_range(fd, handle, 0, size, PROT_READ | PROT_WRITE);
}

static inline int ivgpu_bo_rw(int fd, unsigned long req, uint32_t handle,
			      uint64_t offset, void *data, uint64_t size)
{
	struct drm_ivgpu_gem_rw rw = {
		.handle = handle, .offset = offset, .size = size,
		.data_ptr = (uintptr_t)data,
	};

	return ivgpu_ioctl(fd, req, &rw);
}

static inline int ivgpu_bo_pread(int fd, uint32_t handle, uint64_t offset,
				 void *data, uint64_t size)
{
	return ivgpu_bo_rw(fd, DRM_IOCTL_IVGPU_GEM_PREAD, handle, offset, data, size);
}

static inline int ivgpu_bo_pwrite(int fd, uint32_t handle, uint64_t offset,
				  const void *data, uint64_t size)
{
	return ivgpu_bo_rw(fd, DRM_IOCTL_IVGPU_GEM_PWRITE, handle, offset,
			   (void *)data, size);
}

static inline int ivgpu_bo_revoke(int fd, uint32_t handle, uint64_t offset, uint64_t size)
{
	struct drm_ivgpu_gem_revoke r = { .handle = handle, .offset = offset, .size = size };

	return ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_GEM_REVOKE, &r);
}

/* GEM_MOVE; 0 or -errno.  @num_blocks may be NULL. */
static inline int ivgpu_bo_move(int fd, uint32_t handle, uint32_t flags, uint32_t *num_blocks)
{
	struct drm_ivgpu_gem_move m = { .handle = handle, .flags = flags };
	int ret = ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_GEM_MOVE, &m);

	if (!ret && num_blocks)
		*num_blocks = m.num_blocks;
	return ret;
}

/* GEM_MAP of [offset, offset + size) into the kernel; 0 or -errno. */
static inline int ivgpu_kmap(int fd, uint32_t handle, uint64_t offset, uint64_t size,
			     uint32_t *map_id, uint32_t *out_flags)
{
	struct drm_ivgpu_gem_map m = {
		.handle = handle, .flags = IVGPU_MAP_KERNEL, .offset = offset, .size = size,
	};
	int ret = ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_GEM_MAP, &m);

	if (!ret) {
		*map_id = m.map_id;
		if (out_flags)
			*out_flags = m.out_flags;
	}
	return ret;
}

static inline int ivgpu_kunmap(int fd, uint32_t map_id)
{
	struct drm_ivgpu_gem_unmap u = { .map_id = map_id };

	return ivgpu_ioctl(fd, DRM_IOCTL_IVGPU_GEM_UNMAP, &u);
}

/*
 * Fill VRAM with objects of @chunk bytes until -ENOSPC, then with halves of
 * it down to a page, so that nothing is left.  Appends the handles to @h
 * (*@n of them, at most @max); returns how many objects of exactly @chunk
 * were made, or -errno for an error other than -ENOSPC (-E2BIG when @max is
 * too small).
 */
static inline int ivgpu_fill_heap(int fd, uint64_t chunk, uint32_t *h, int *n, int max)
{
	int first = -1, ret;
	uint64_t size;

	for (size = chunk; size >= IVGPU_PAGE; size /= 2) {
		while (*n < max) {
			ret = ivgpu_bo_create(fd, size, 0, &h[*n]);
			if (ret == -ENOSPC)
				break;
			if (ret)
				return ret;
			(*n)++;
		}
		if (first < 0)
			first = *n;
		if (*n >= max)
			return -E2BIG;
	}
	return first;
}

static inline void ivgpu_close_all(int fd, uint32_t *h, int *n)
{
	while (*n > 0)
		ivgpu_gem_close(fd, h[--(*n)]);
}

/*
 * Make holes in VRAM: fill it with objects of @hole bytes and free every
 * other one.  The objects left are in *@h (*@n entries, 0 where freed) for
 * ivgpu_holes_free(); an object created now is scattered over the holes.
 * 0 or -errno.
 */
static inline int ivgpu_holes_make(int fd, uint64_t hole, uint32_t **h, int *n)
{
	int max = 8192, n1, i;

	*n = 0;
	*h = calloc(max, sizeof(**h));
	if (!*h)
		return -ENOMEM;
	n1 = ivgpu_fill_heap(fd, hole, *h, n, max);
	if (n1 < 0)
		return n1;
	for (i = 0; i < n1; i += 2) {
		ivgpu_gem_close(fd, (*h)[i]);
		(*h)[i] = 0;
	}
	return 0;
}

/* Free what ivgpu_holes_make() left. */
static inline void ivgpu_holes_free(int fd, uint32_t *h, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (h[i])
			ivgpu_gem_close(fd, h[i]);
	free(h);
}

/*
 * Create a scattered object of @size bytes made of several blocks, in 1 MiB
 * holes (ivgpu_holes_make()).  0 or -errno; the caller checks num_blocks.
 */
static inline int ivgpu_create_scattered(int fd, uint64_t size, uint32_t *handle)
{
	uint32_t *h;
	int n, ret;

	ret = ivgpu_holes_make(fd, IVGPU_MIB, &h, &n);
	if (!ret)
		ret = ivgpu_bo_create(fd, size, 0, handle);
	ivgpu_holes_free(fd, h, n);
	return ret;
}

/* Load the driver again from $IVGPU_MODULE (the test rig sets it); 0 or -errno. */
static inline int ivgpu_load_module(void)
{
	const char *path = getenv("IVGPU_MODULE");
	int fd, ret;

	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

/* ---- debugfs ---- */

/* Path of debugfs file @name of the ivgpu device, into @path; 0 or -errno. */
static inline int ivgpu_debugfs_path(const char *name, char *path, size_t len)
{
	char dir[512];
	int ret = ivgpu_debugfs_dir(dir, sizeof(dir));

	if (ret)
		return ret;
	snprintf(path, len, "%s/%s", dir, name);
	return 0;
}

/*
 * Read counter @counter from debugfs file @file ("name value" lines, decimal)
 * into @value; 0, -ENOENT when the file or the counter is missing, or -errno.
 */
static inline int ivgpu_debugfs_counter(const char *file, const char *counter,
					uint64_t *value)
{
	char path[600], buf[8192], *line, *save = NULL;
	size_t clen = strlen(counter);
	ssize_t n;
	int ret = ivgpu_debugfs_path(file, path, sizeof(path));

	if (ret)
		return ret;
	n = ivgpu_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *end;

		if (strncmp(line, counter, clen) || (line[clen] != ' ' && line[clen] != '\t'))
			continue;
		errno = 0;
		*value = strtoull(line + clen, &end, 10);
		if (errno || end == line + clen)
			return -EINVAL;
		return 0;
	}
	return -ENOENT;
}

/* The counter's value, or ~0 when it cannot be read (so comparisons fail). */
static inline uint64_t ivgpu_counter(const char *file, const char *counter)
{
	uint64_t v = 0;

	return ivgpu_debugfs_counter(file, counter, &v) ? ~0ull : v;
}

/* Debugfs ivgpu_mm, all at once (each ~0 when unreadable). */
struct ivgpu_mm_stats {
	uint64_t faults, pages_inserted, zaps, pages_zapped, revokes, moves, bytes_moved;
};

static inline struct ivgpu_mm_stats ivgpu_mm_stats(void)
{
	static const char *const names[] = {
		"faults", "pages_inserted", "zaps", "pages_zapped", "revokes", "moves",
		"bytes_moved",
	};
	struct ivgpu_mm_stats st;
	uint64_t *v = &st.faults;
	unsigned int i;

	for (i = 0; i < IVGPU_ARRAY_SIZE(names); i++)
		v[i] = ivgpu_counter("ivgpu_mm", names[i]);
	return st;
}

/* Debugfs ivgpu_kmap, all at once (each ~0 when unreadable). */
struct ivgpu_kmap_stats {
	uint64_t hits, misses, live, in_use, bytes_mapped, released;
};

static inline struct ivgpu_kmap_stats ivgpu_kmap_stats(void)
{
	static const char *const names[] = {
		"hits", "misses", "live", "in_use", "bytes_mapped", "released",
	};
	struct ivgpu_kmap_stats st;
	uint64_t *v = &st.hits;
	unsigned int i;

	for (i = 0; i < IVGPU_ARRAY_SIZE(names); i++)
		v[i] = ivgpu_counter("ivgpu_kmap", names[i]);
	return st;
}

/* One line of debugfs ivgpu_objects. */
struct ivgpu_obj_line {
	uint64_t id, size;
	uint32_t kind, flags, num_blocks;
};

/*
 * Parse debugfs ivgpu_objects ("id size kind flags num_blocks" per object,
 * other lines ignored).  Returns the number of objects (filling at most @max
 * of @objs, which may be NULL) or -errno.
 */
static inline int ivgpu_debugfs_objects(struct ivgpu_obj_line *objs, int max)
{
	char path[600], *line, *save = NULL;
	size_t len = 1 << 20;
	char *buf = malloc(len);
	int count = 0;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	n = ivgpu_debugfs_path("ivgpu_objects", path, sizeof(path));
	if (!n)
		n = ivgpu_read_file(path, buf, len);
	if (n < 0) {
		free(buf);
		return n;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long id, size;
		unsigned int kind, flags, nb;
		char extra;

		if (sscanf(line, "%llu %llu %u %u %u %c", &id, &size, &kind, &flags, &nb,
			   &extra) != 5)
			continue;
		if (objs && count < max)
			objs[count] = (struct ivgpu_obj_line){ id, size, kind, flags, nb };
		count++;
	}
	free(buf);
	return count;
}

static inline int ivgpu_object_count(void)
{
	return ivgpu_debugfs_objects(NULL, 0);
}

/* Find object @id in debugfs ivgpu_objects; 0, -ENOENT or -errno. */
static inline int ivgpu_debugfs_object(uint64_t id, struct ivgpu_obj_line *out)
{
	static struct ivgpu_obj_line objs[4096];
	int i, n = ivgpu_debugfs_objects(objs, IVGPU_ARRAY_SIZE(objs));

	if (n < 0)
		return n;
	for (i = 0; i < n && i < (int)IVGPU_ARRAY_SIZE(objs); i++) {
		if (objs[i].id == id) {
			*out = objs[i];
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * Dump @size bytes (at most 64 KiB) of object @id from @offset through
 * debugfs ivgpu_bo_dump into @out.  Returns the number of bytes parsed or
 * -errno (the errno of the write or of the read).
 */
static inline ssize_t ivgpu_debugfs_dump(uint64_t id, uint64_t offset, uint64_t size,
					 uint8_t *out)
{
	char path[600], req[128], *line, *save = NULL;
	size_t len = 64 * 1024 * 4 + 8192;
	char *buf;
	ssize_t n, got = 0;
	int fd, ret = ivgpu_debugfs_path("ivgpu_bo_dump", path, sizeof(path));

	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(req, sizeof(req), "%llu %llu %llu\n", (unsigned long long)id,
		 (unsigned long long)offset, (unsigned long long)size);
	n = write(fd, req, strlen(req));
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	n = ivgpu_read_file(path, buf, len);
	if (n < 0) {
		free(buf);
		return n;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long addr;
		char *p = line, *end;
		int i;

		if (sscanf(line, "%llx: ", &addr) != 1 || !strchr(line, ':'))
			continue;
		p = strchr(line, ':') + 1;
		for (i = 0; i < 16 && (size_t)got < size; i++) {
			unsigned long b = strtoul(p, &end, 16);

			if (end == p)
				break;
			out[got++] = b;
			p = end;
		}
	}
	free(buf);
	return got;
}

/* ---- data patterns ---- */

/* A 64-bit value that depends on @seed and @index: catches misplaced data. */
static inline uint64_t ivgpu_pattern(uint64_t seed, uint64_t index)
{
	uint64_t x = (seed + 1) * 0x9e3779b97f4a7c15ull ^ (index * 0xbf58476d1ce4e5b9ull);

	x ^= x >> 31;
	return x | 1;	/* never zero */
}

static inline void ivgpu_fill(volatile void *p, uint64_t bytes, uint64_t seed)
{
	volatile uint64_t *w = p;
	uint64_t i;

	for (i = 0; i < bytes / 8; i++)
		w[i] = ivgpu_pattern(seed, i);
}

/* Index of the first 64-bit word that differs from the pattern, or -1. */
static inline int64_t ivgpu_check(const volatile void *p, uint64_t bytes, uint64_t seed)
{
	const volatile uint64_t *w = p;
	uint64_t i;

	for (i = 0; i < bytes / 8; i++)
		if (w[i] != ivgpu_pattern(seed, i))
			return i;
	return -1;
}

/* Index of the first non-zero 64-bit word, or -1. */
static inline int64_t ivgpu_check_zero(const volatile void *p, uint64_t bytes)
{
	const volatile uint64_t *w = p;
	uint64_t i;

	for (i = 0; i < bytes / 8; i++)
		if (w[i])
			return i;
	return -1;
}

/* ---- the co-processor's CRC-32: an oracle for what reached VRAM ---- */

/*
 * zlib's crc32(@crc, @buf, @n) (the reflected IEEE 802.3 polynomial, initial
 * value and final XOR all ones; @crc 0 starts one), as the co-processor's
 * CRC32 command computes it.  Eight bytes a step (slicing by 8), so that
 * the CPU's reference for tens of MiB stays cheap under emulation.
 */
static inline uint32_t ivgpu_crc32(uint32_t crc, const void *buf, uint64_t n)
{
	static uint32_t t[8][256];
	const uint8_t *p = buf;
	uint32_t lo, hi;
	int i, k;

	if (!t[0][1]) {
		for (i = 0; i < 256; i++) {
			uint32_t c = i;

			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			t[0][i] = c;
		}
		for (i = 0; i < 256; i++)
			for (k = 1; k < 8; k++)
				t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
	}
	crc = ~crc;
	for (; n >= 8; n -= 8, p += 8) {
		lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			    (uint32_t)p[3] << 24);
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
		     (uint32_t)p[7] << 24;
		crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
		      t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
		      t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
	}
	while (n--)
		crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* The CRC-32 of what ivgpu_fill(p, @bytes, @seed) writes, without a buffer of @bytes. */
static inline uint32_t ivgpu_pattern_crc32(uint64_t seed, uint64_t bytes)
{
	uint64_t chunk[512], i, n;
	uint32_t crc = 0;

	for (i = 0; i < bytes / 8; i += n) {
		uint64_t k;

		n = bytes / 8 - i < 512 ? bytes / 8 - i : 512;
		for (k = 0; k < n; k++)
			chunk[k] = ivgpu_pattern(seed, i + k);
		crc = ivgpu_crc32(crc, chunk, n * 8);
	}
	return crc;
}

/* The objects of one ivgpu_coproc_crc32(). */
struct ivgpu_crc_job {
	int fd;
	uint32_t src, result, cmdbuf, syncobj;
	struct drm_ivgpu_cmd *cmds;
};

/* One CRC32 job over [@off, @off + @size), continuing the result if @cont; 0 or -errno. */
static inline int ivgpu_crc_job_part(struct ivgpu_crc_job *j, uint64_t off, uint64_t size,
				     bool cont)
{
	struct drm_ivgpu_submit_bo bos[2] = { { .handle = j->src }, { .handle = j->result } };
	struct drm_ivgpu_submit s = {
		.cmdbuf = j->cmdbuf, .cmd_size = sizeof(struct drm_ivgpu_cmd),
		.bos = (uintptr_t)bos, .num_bos = 2, .out_syncobj = j->syncobj,
	};
	struct sync_file_info info = { 0 };
	struct timespec ts;
	int ret, sf = -1;

	j->cmds[0] = (struct drm_ivgpu_cmd){
		.opcode = IVGPU_OP_CRC32, .flags = cont ? IVGPU_CMD_CRC32_CONTINUE : 0,
		.dst_handle = j->result, .src_handle = j->src, .src_offset = off, .size = size,
	};
	__sync_synchronize();
	ret = ivgpu_ioctl(j->fd, DRM_IOCTL_IVGPU_SUBMIT, &s);
	/* More VRAM blocks in the range than one job may hold: halves, in turn. */
	if (ret == -E2BIG && size > 1) {
		ret = ivgpu_crc_job_part(j, off, size / 2, cont);
		return ret ?: ivgpu_crc_job_part(j, off + size / 2, size - size / 2, true);
	}
	if (ret)
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (drmSyncobjWait(j->fd, &j->syncobj, 1, ts.tv_sec * 1000000000ll + ts.tv_nsec +
			   20000000000ll, 0, NULL))
		return -errno;
	if (drmSyncobjExportSyncFile(j->fd, j->syncobj, &sf))
		return -errno;
	ret = ioctl(sf, SYNC_IOC_FILE_INFO, &info) ? -errno : 0;
	close(sf);
	return ret ?: (info.status < 0 ? info.status : 0);
}

/*
 * The co-processor's CRC-32 of [@offset, @offset + @size) of object @handle
 * (of file @fd) into @crc: a CRC32 job (several with CONTINUE when the range
 * spans more VRAM blocks than one job may hold) writes it into a small
 * object of its own, read back with pread.  The engine reads VRAM itself
 * (and, with a small BAR, a banked window for the bytes one shows), not
 * through the CPU's view of the object, so its CRC is evidence of what
 * reached VRAM that does not depend on the paths under test.  Returns once
 * the job has let go of its objects (VRAM_USED as before the call).
 * 0, -EOPNOTSUPP when the device has no co-processor, the job's error, or
 * -errno.
 */
static inline int ivgpu_coproc_crc32(int fd, uint32_t handle, uint64_t offset, uint64_t size,
				     uint32_t *crc)
{
	uint64_t caps = ivgpu_param(fd, IVGPU_PARAM_CAPS), used0 = ivgpu_vram_used(fd);
	struct ivgpu_crc_job j = { .fd = fd, .src = handle };
	uint8_t le[4];
	void *map;
	int ret;

	if (caps == ~0ull || used0 == ~0ull)
		return -EIO;
	if (!(caps & IVGPU_CAPS_COPROC))
		return -EOPNOTSUPP;
	ret = ivgpu_bo_create_full(fd, IVGPU_PAGE, 0, IVGPU_BO_GENERIC, 0, &j.result, NULL);
	if (!ret)
		ret = ivgpu_bo_create_full(fd, IVGPU_PAGE, 0, IVGPU_BO_CMDBUF, 0, &j.cmdbuf, NULL);
	if (!ret && drmSyncobjCreate(fd, 0, &j.syncobj))
		ret = -errno;
	map = ret ? MAP_FAILED : ivgpu_bo_mmap(fd, j.cmdbuf, IVGPU_PAGE);
	if (!ret && map == MAP_FAILED)
		ret = -errno;
	if (!ret) {
		j.cmds = map;
		ret = ivgpu_crc_job_part(&j, offset, size, false);
		munmap(map, IVGPU_PAGE);
	}
	if (!ret)
		ret = ivgpu_bo_pread(fd, j.result, 0, le, sizeof(le));
	if (!ret)
		*crc = le[0] | le[1] << 8 | le[2] << 16 | (uint32_t)le[3] << 24;
	if (j.syncobj)
		drmSyncobjDestroy(fd, j.syncobj);
	if (j.cmdbuf)
		ivgpu_gem_close(fd, j.cmdbuf);
	if (j.result)
		ivgpu_gem_close(fd, j.result);
	/* The job holds its objects until the scheduler frees it, just after its fence. */
	if (ivgpu_wait_vram_used(fd, used0, 2000) != used0 && !ret)
		ret = -EBUSY;
	return ret;
}

/*
 * Expect the co-processor's CRC-32 of [@offset, @offset + @size) of object
 * @h to be @want, the CPU's CRC-32 of what the range must hold.  Without a
 * co-processor only this check is left out (and the log says so).
 */
#define IVGPU_EXPECT_COPROC_CRC(fd, h, offset, size, want) do { \
	uint32_t __crc = 0, __want = (want); \
	int __ret = ivgpu_coproc_crc32((fd), (h), (offset), (size), &__crc); \
	if (__ret == -EOPNOTSUPP) { \
		TH_LOG("no co-processor: the CRC-32 cross-check is left out"); \
	} else { \
		EXPECT_EQ(0, __ret) TH_LOG("co-processor CRC32: %s", strerror(-__ret)); \
		EXPECT_EQ(__want, __crc); \
		TH_LOG("CRC-32 of %llu bytes at %#llx: co-processor %08x, CPU %08x", \
		       (unsigned long long)(size), (unsigned long long)(offset), __crc, \
		       __want); \
	} \
} while (0)

/*
 * Run @fn(@arg) in a child process that gets SIGALRM after @secs seconds;
 * wait for it at most @secs + 5 seconds.  Returns the child's exit status
 * (0 for success), 128 + signal if it was killed, or -ETIMEDOUT when it did
 * not end in time (it is left behind: it is stuck in the kernel).
 */
static inline int ivgpu_run_bounded(int (*fn)(void *), void *arg, int secs)
{
	int status, waited;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		alarm(secs);
		_exit(fn(arg));
	}
	for (waited = 0; waited < (secs + 5) * 100; waited++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -errno;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

/*
 * The fixture most programs share: a render-node file, the configuration, and
 * what the heap and the kernel log looked like before the test.  The teardown
 * closes the files and checks that VRAM_USED and the object count are back to
 * where they were and that the kernel log has no report.  self->fd2 is for a
 * test's second file (-1 until opened); a test that closes self->fd or
 * self->fd2 itself sets it to -1.  Use inside FIXTURE(), _SETUP and _TEARDOWN.
 */
#define IVGPU_FIXTURE_FIELDS \
	int fd; \
	int fd2; \
	bool small_bar; \
	uint64_t vram; \
	uint64_t used0; \
	int objects0; \
	unsigned long long kmsg_seq

#define IVGPU_FIXTURE_SETUP() do { \
	self->fd2 = -1; \
	self->fd = ivgpu_open_render(); \
	ASSERT_LE(0, self->fd) TH_LOG("no ivgpu render node: %s", strerror(errno)); \
	ASSERT_LE(0, ivgpu_kmsg_reports(~0ULL, &self->kmsg_seq)); \
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_VRAM_SIZE, &self->vram)); \
	self->small_bar = ivgpu_small_bar(self->fd); \
	self->used0 = ivgpu_vram_used(self->fd); \
	ASSERT_NE(~0ull, self->used0) TH_LOG("GET_PARAM VRAM_USED failed"); \
	self->objects0 = ivgpu_object_count(); \
	ASSERT_LE(0, self->objects0) TH_LOG("debugfs ivgpu_objects unreadable"); \
} while (0)

#define IVGPU_FIXTURE_TEARDOWN() do { \
	int __fd2; \
	/* An ASSERT that failed left this set: it would print our logs. */ \
	_metadata->trigger = 0; \
	if (self->fd >= 0) \
		close(self->fd); \
	if (self->fd2 >= 0) \
		close(self->fd2); \
	self->fd = -1; \
	self->fd2 = -1; \
	__fd2 = ivgpu_open_render(); \
	if (__fd2 >= 0) { \
		EXPECT_EQ(self->used0, ivgpu_wait_vram_used(__fd2, self->used0, 2000)) \
			TH_LOG("VRAM_USED not back to its value before the test"); \
		close(__fd2); \
	} \
	EXPECT_EQ(self->objects0, ivgpu_object_count()) \
		TH_LOG("debugfs ivgpu_objects count not back to its value before the test"); \
	EXPECT_EQ(0, ivgpu_kmsg_reports(self->kmsg_seq, NULL)); \
} while (0)

#endif /* IVGPU_TEST_H */
