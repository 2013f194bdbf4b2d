// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: rmmod is refused while a file of the device is open or a
 * mapping of an object exists (even after GEM_CLOSE and close()), succeeds
 * once none is, never reports leaked VRAM, and unload/load cycles leave the
 * kernel log clean and the device working.  Needs IVGPU_MODULE (the path of ivgpu.ko); it
 * unloads the driver, so it runs after the other suites.
 */
#include <sys/stat.h>

#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define CYCLES 20

static bool module_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/ivgpu", &st);
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, "ivgpu", O_NONBLOCK) ? -errno : 0;
}

FIXTURE(mod) {
	unsigned long long kmsg_seq;
};

FIXTURE_SETUP(mod)
{
	if (!getenv("IVGPU_MODULE"))
		SKIP(return, "IVGPU_MODULE not set: not started by qemu/ivgpu-vm");
	if (!module_loaded()) {
		ASSERT_EQ(0, ivgpu_load_module());
	}
	ASSERT_LE(0, ivgpu_kmsg_reports(~0ULL, &self->kmsg_seq));
}

FIXTURE_TEARDOWN(mod)
{
	if (!module_loaded())
		ivgpu_load_module();
}

TEST_F(mod, rmmod_refused_while_open)
{
	int fd = ivgpu_wait_render(5000);
	uint64_t v;

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	EXPECT_TRUE(module_loaded());
	/* The open file still works. */
	EXPECT_EQ(0, ivgpu_get_param(fd, IVGPU_PARAM_VRAM_SIZE, &v));
	close(fd);
	EXPECT_EQ(0, ivgpu_kmsg_reports(self->kmsg_seq, NULL));
}

/* A mapping keeps the module: after GEM_CLOSE and close(fd), until munmap. */
TEST_F(mod, rmmod_refused_while_mapped)
{
	uint64_t size = 16 * IVGPU_PAGE;
	int fd = ivgpu_wait_render(5000);
	uint32_t h;
	uint8_t *p;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ivgpu_bo_create(fd, size, 0, &h));
	p = ivgpu_bo_mmap(fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 3);
	ASSERT_EQ(0, ivgpu_gem_close(fd, h));
	close(fd);
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	EXPECT_TRUE(module_loaded());
	/* The mapping still works, pages touched before and not. */
	EXPECT_EQ(-1, ivgpu_check(p, size, 3));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, unload_module());
	EXPECT_FALSE(module_loaded());
	EXPECT_EQ(0, ivgpu_kmsg_reports(self->kmsg_seq, NULL));
	ASSERT_EQ(0, ivgpu_load_module());
}

/* Objects, mappings and kernel mappings left to close(): rmmod finds no leak. */
TEST_F(mod, rmmod_after_open_objects_no_leak)
{
	int fd = ivgpu_wait_render(5000), i;
	uint64_t v = ~0ull;
	uint32_t h, id;

	ASSERT_LE(0, fd);
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, ivgpu_bo_create_full(fd, (i + 1) * 64 * IVGPU_KIB, 0, i % 3,
						  i & 1 ? IVGPU_BO_CONTIGUOUS : 0, &h, NULL));
		ASSERT_EQ(0, ivgpu_kmap(fd, h, 0, 0, &id, NULL));
	}
	close(fd);
	EXPECT_EQ(0, unload_module());
	EXPECT_FALSE(module_loaded());
	EXPECT_EQ(0, ivgpu_kmsg_reports(self->kmsg_seq, NULL));
	ASSERT_EQ(0, ivgpu_load_module());
	fd = ivgpu_wait_render(5000);
	ASSERT_LE(0, fd);
	/* Nothing but the driver's own VRAM (the co-processor's ring). */
	EXPECT_EQ(0, ivgpu_get_param(fd, IVGPU_PARAM_VRAM_USED, &v));
	EXPECT_EQ(ivgpu_vram_kernel(fd), v);
	close(fd);
}

/* An exported dma-buf keeps the module, with no DRM file open. */
TEST_F(mod, rmmod_refused_while_dmabuf_exists)
{
	int fd = ivgpu_wait_render(5000), dmabuf = -1;
	uint32_t h;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ivgpu_bo_create(fd, 4 * IVGPU_PAGE, 0, &h));
	ASSERT_EQ(0, drmPrimeHandleToFD(fd, h, DRM_CLOEXEC, &dmabuf));
	ASSERT_EQ(0, ivgpu_gem_close(fd, h));
	close(fd);
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	EXPECT_TRUE(module_loaded());
	close(dmabuf);
	EXPECT_EQ(0, unload_module());
	EXPECT_FALSE(module_loaded());
	EXPECT_EQ(0, ivgpu_kmsg_reports(self->kmsg_seq, NULL));
	ASSERT_EQ(0, ivgpu_load_module());
}

TEST_F(mod, load_unload_cycles)
{
	uint64_t vram = 0, v = 0;
	int i, fd;

	ivgpu_expect("VRAM_SIZE", &vram);
	for (i = 0; i < CYCLES; i++) {
		ASSERT_EQ(0, unload_module()) TH_LOG("cycle %d", i);
		ASSERT_FALSE(module_loaded());
		ASSERT_GT(0, ivgpu_open_render());

		ASSERT_EQ(0, ivgpu_load_module()) TH_LOG("cycle %d", i);
		fd = ivgpu_wait_render(5000);
		ASSERT_LE(0, fd) TH_LOG("cycle %d: no render node after load", i);
		ASSERT_EQ(0, ivgpu_get_param(fd, IVGPU_PARAM_VRAM_SIZE, &v));
		if (vram) {
			ASSERT_EQ(vram, v);
		}
		/* Each probe did its own interrupt round trip. */
		ASSERT_EQ(0, ivgpu_get_param(fd, IVGPU_PARAM_PING_COUNT, &v));
		ASSERT_LE(1ull, v);
		close(fd);
	}
	EXPECT_EQ(0, ivgpu_kmsg_reports(self->kmsg_seq, NULL));
}

TEST_HARNESS_MAIN
