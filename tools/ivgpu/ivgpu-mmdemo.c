// SPDX-License-Identifier: GPL-2.0
/*
 * ivgpu-mmdemo: walk one buffer object through its life in plain words, with
 * the driver's counters after each step: create (VRAM reads as zeros), map,
 * write (page-table entries inserted on fault), revoke (entries zapped),
 * read again (faulted back, same data), move (other VRAM, same data), then
 * the co-processor FILLs part of it and takes the CRC-32 of all of it in one
 * job, which must equal the CPU's CRC-32 of what it reads back through the
 * mapping (the demo fails otherwise), and close.
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

#define FILL_AT		(1u << 20)
#define FILL_SIZE	(1u << 20)
#define FILL_PATTERN	0xc0ffee11u

/*
 * One job on object @h (mapped at @p): FILL [FILL_AT, FILL_AT + FILL_SIZE)
 * with FILL_PATTERN, then CRC32 of all SIZE bytes into a small object; the
 * CPU then reads the object back through the mapping.  Returns 1 if the
 * two CRCs differ or the bytes are not what the CPU wrote and the engine
 * filled, 0 otherwise (also when there is no co-processor: left out).
 */
static int coproc_step(int fd, uint32_t h, const uint32_t *p)
{
	struct drm_ivgpu_gem_create rc = { .size = 4096, .kind = IVGPU_BO_GENERIC };
	struct drm_gem_close gclose = { 0 };
	struct ivgpu_tool_cmdbuf cb;
	struct drm_ivgpu_gem_rw rw = { 0 };
	uint32_t bos[2], sobj = 0, engine_crc = 0, cpu_crc, *back;
	uint8_t le[4];
	size_t i, wrong = 0;
	int ret;

	if (!(ivgpu_tool_caps(fd) & IVGPU_CAPS_COPROC)) {
		printf("  no co-processor: its FILL and CRC-32 step is left out\n");
		return 0;
	}
	back = malloc(SIZE);
	if (!back || ioctl(fd, DRM_IOCTL_IVGPU_GEM_CREATE, &rc) ||
	    ivgpu_tool_cmdbuf_new(fd, 4096, &cb) || drmSyncobjCreate(fd, 0, &sobj)) {
		printf("  co-processor step: setup failed: %s\n", strerror(errno));
		free(back);
		return 1;
	}
	bos[0] = h;
	bos[1] = rc.handle;
	cb.cmds[0] = (struct drm_ivgpu_cmd){
		.opcode = IVGPU_OP_FILL, .dst_handle = h, .dst_offset = FILL_AT,
		.size = FILL_SIZE, .arg = FILL_PATTERN,
	};
	cb.cmds[1] = (struct drm_ivgpu_cmd){
		.opcode = IVGPU_OP_CRC32, .dst_handle = rc.handle, .src_handle = h, .size = SIZE,
	};
	__sync_synchronize();
	ret = ivgpu_tool_submit(fd, &cb, 0, 2, bos, 2, sobj);
	if (!ret)
		ret = ivgpu_tool_wait(fd, sobj, 20000);
	rw.handle = rc.handle;
	rw.size = sizeof(le);
	rw.data_ptr = (uintptr_t)le;
	if (!ret && ioctl(fd, DRM_IOCTL_IVGPU_GEM_PREAD, &rw))
		ret = -errno;
	if (ret) {
		printf("  co-processor job failed: %s\n", strerror(-ret));
	} else {
		engine_crc = le[0] | le[1] << 8 | le[2] << 16 | (uint32_t)le[3] << 24;
		printf("  co-processor job: FILL of %u MiB at %u MiB with %#x, then CRC32 of all %u MiB\n",
		       FILL_SIZE >> 20, FILL_AT >> 20, FILL_PATTERN, SIZE >> 20);
		memcpy(back, p, SIZE);
		cpu_crc = ivgpu_tool_crc32(0, back, SIZE);
		for (i = 0; i < SIZE / 4; i++) {
			uint32_t want = i >= FILL_AT / 4 && i < (FILL_AT + FILL_SIZE) / 4 ?
					FILL_PATTERN : (uint32_t)(i * 2654435761u);

			wrong += back[i] != want;
		}
		printf("  read back through the mapping: %s\n",
		       wrong ? "WRONG BYTES" : "the CPU's pattern, and the engine's fill where it filled");
		printf("  CRC-32 of the %u MiB: co-processor %08x, CPU (zlib crc32 of what it read) %08x: %s\n",
		       SIZE >> 20, engine_crc, cpu_crc, engine_crc == cpu_crc ? "match" : "MISMATCH");
		ret = wrong || engine_crc != cpu_crc;
	}
	drmSyncobjDestroy(fd, sobj);
	ivgpu_tool_cmdbuf_free(fd, &cb);
	gclose.handle = rc.handle;
	ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gclose);
	free(back);
	return ret ? 1 : 0;
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
	unsigned long long used, kernel;
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

	bad |= coproc_step(fd, create.handle, p);
	show("after the co-processor's job:");

	munmap(p, SIZE);
	gclose.handle = create.handle;
	ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gclose);
	/* The driver's own VRAM (the co-processor's ring) is not an object's. */
	gp.param = IVGPU_PARAM_VRAM_KERNEL;
	kernel = ioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp) ? 0 : gp.value;
	/* A job lets go of its objects just after its fence: give it a second. */
	for (i = 0; i < 100; i++) {
		gp.param = IVGPU_PARAM_VRAM_USED;
		ioctl(fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp);
		used = gp.value >= kernel ? gp.value - kernel : gp.value;
		if (!used)
			break;
		usleep(10000);
	}
	printf("  unmapped and closed: %llu bytes of VRAM in use by objects\n",
	       (unsigned long long)used);
	close(fd);
	return bad;
}
