// SPDX-License-Identifier: GPL-2.0
/*
 * ivgpu-mmdemo: walk one buffer object through its life in plain words, with
 * the driver's counters after each step: create (VRAM reads as zeros), map,
 * write (page-table entries inserted on fault), revoke (entries zapped),
 * read again (faulted back, same data), move (other VRAM, same data), close.
 * Runs in the test VM; used by `make demo`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu-tool.h"

#define SIZE	(4u << 20)

static char debugfs[512];

static long long counter(const char *file, const char *name)
{
	return ivgpu_tool_counter(debugfs, file, name);
}

static int small_bar;

static void show(const char *step)
{
	printf("  %-44s faults %lld, pages inserted %lld, zaps %lld, pages zapped %lld, moves %lld\n",
	       step, counter("ivgpu_mm", "faults"), counter("ivgpu_mm", "pages_inserted"),
	       counter("ivgpu_mm", "zaps"), counter("ivgpu_mm", "pages_zapped"),
	       counter("ivgpu_mm", "moves"));
	/* With a small BAR, what the banked windows did for it (debugfs ivgpu_windows). */
	if (small_bar)
		printf("  %-44s window slides %lld, slide zaps %lld, kernel pins %lld, splits %lld\n",
		       "", counter("ivgpu_windows", "slides"), counter("ivgpu_windows", "zaps"),
		       counter("ivgpu_windows", "pins"), counter("ivgpu_windows", "splits"));
}

static int check(const uint32_t *p, const char *what)
{
	size_t i;

	for (i = 0; i < SIZE / 4; i++) {
		if (p[i] != (uint32_t)(i * 2654435761u)) {
			printf("  %s: word %zu is %#x, expected %#x\n", what, i, p[i],
			       (uint32_t)(i * 2654435761u));
			return 1;
		}
	}
	printf("  %s: all %u MiB as written\n", what, SIZE >> 20);
	return 0;
}

int main(void)
{
	struct drm_ivgpu_gem_create create = { .size = SIZE, .kind = IVGPU_BO_GENERIC };
	struct drm_ivgpu_gem_mmap_offset off = { 0 };
	struct drm_ivgpu_gem_revoke revoke = { 0 };
	struct drm_ivgpu_gem_move move = { .flags = IVGPU_MOVE_CONTIGUOUS };
	struct drm_ivgpu_gem_info info = { 0 };
	struct drm_gem_close gclose = { 0 };
	struct drm_ivgpu_get_param gp = { .param = IVGPU_PARAM_BAR_CONFIG };
	unsigned long long used;
	uint32_t *p;
	size_t i;
	int fd, bad = 0;

	fd = ivgpu_tool_open_driver("ivgpu", true);
	if (fd < 0 || !ivgpu_tool_debugfs(debugfs, sizeof(debugfs)) ||
	    ioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp)) {
		printf("no ivgpu device\n");
		return 1;
	}
	small_bar = gp.value == IVGPU_BAR_SMALL;
	printf("One buffer object's life, with the driver's counters (debugfs ivgpu_mm%s):\n",
	       small_bar ? " and ivgpu_windows" : "");
	show("before:");
	if (ioctl(fd, DRM_IOCTL_IVGPU_GEM_CREATE, &create)) {
		printf("  create failed: %s\n", strerror(errno));
		return 1;
	}
	info.handle = create.handle;
	ioctl(fd, DRM_IOCTL_IVGPU_GEM_INFO, &info);
	printf("  created a %u MiB object in VRAM: handle %u, %u block(s) of VRAM\n",
	       SIZE >> 20, create.handle, info.num_blocks);

	off.handle = create.handle;
	if (ioctl(fd, DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET, &off)) {
		printf("  mmap offset failed: %s\n", strerror(errno));
		return 1;
	}
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off.offset);
	if (p == MAP_FAILED) {
		printf("  mmap: %s\n", strerror(errno));
		return 1;
	}
	show("mapped (no entries yet):");
	for (i = 0; i < SIZE / 4; i++)
		if (p[i])
			bad = 1;
	printf("  new memory reads as zeros: %s\n", bad ? "NO" : "yes");
	show("read it all (faulted in):");
	for (i = 0; i < SIZE / 4; i++)
		p[i] = i * 2654435761u;
	show("wrote a pattern:");

	revoke.handle = create.handle;
	ioctl(fd, DRM_IOCTL_IVGPU_GEM_REVOKE, &revoke);
	show("revoked (every entry zapped, one range):");
	bad |= check(p, "read back after revoke (faulted in again)");
	show("after reading it back:");

	move.handle = create.handle;
	if (ioctl(fd, DRM_IOCTL_IVGPU_GEM_MOVE, &move))
		printf("  move failed: %s\n", strerror(errno));
	else
		printf("  moved to other VRAM, now %u block(s)\n", move.num_blocks);
	bad |= check(p, "read back after move through the same mapping");
	show("after the move (zap, copy, refault):");

	munmap(p, SIZE);
	gclose.handle = create.handle;
	ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gclose);
	gp.param = IVGPU_PARAM_VRAM_USED;
	ioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp);
	used = gp.value;
	/* The driver's own VRAM (the co-processor's ring) is not an object's. */
	gp.param = IVGPU_PARAM_VRAM_KERNEL;
	if (!ioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp) && gp.value <= used)
		used -= gp.value;
	printf("  unmapped and closed: %llu bytes of VRAM in use by objects\n",
	       (unsigned long long)used);
	close(fd);
	return bad;
}
