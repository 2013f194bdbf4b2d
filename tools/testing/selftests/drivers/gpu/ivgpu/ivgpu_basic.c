// SPDX-License-Identifier: GPL-2.0
/*
 * ivgpu basics: the DRM nodes, the driver's identity, GET_PARAM against the
 * configuration the device model was started with, rejection of bad
 * parameters and padding, and the interrupt round trip through debugfs.
 */
#include "ivgpu_test.h"
#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = ivgpu_open_render();
	ASSERT_LE(0, self->fd) TH_LOG("no ivgpu render node: %s", strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST(primary_and_render_nodes)
{
	int card = ivgpu_open_node("card");
	int render = ivgpu_open_render();

	ASSERT_LE(0, card);
	ASSERT_LE(0, render);
	ASSERT_EQ(DRM_NODE_PRIMARY, drmGetNodeTypeFromFd(card));
	ASSERT_EQ(DRM_NODE_RENDER, drmGetNodeTypeFromFd(render));
	close(card);
	close(render);
}

TEST_F(dev, version)
{
	drmVersionPtr v = drmGetVersion(self->fd);

	ASSERT_NE(NULL, v);
	EXPECT_STREQ("ivgpu", v->name);
	EXPECT_LT(0, v->desc_len);
	drmFreeVersion(v);
}

/* Every parameter equals what the VM runner started ivgpu-dev with. */
TEST_F(dev, params_match_device_model)
{
	uint64_t vram, bar, nwin, wsize, granule, v = 0;

	if (!ivgpu_expect("VRAM_SIZE", &vram) || !ivgpu_expect("BAR_CONFIG", &bar) ||
	    !ivgpu_expect("WINDOW_COUNT", &nwin) || !ivgpu_expect("WINDOW_SIZE", &wsize) ||
	    !ivgpu_expect("BANK_GRANULE", &granule))
		SKIP(return, "IVGPU_EXPECT_* not set: not started by qemu/ivgpu-vm");

	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_DEVICE_VERSION, &v));
	EXPECT_EQ(1ull, v >> 16);
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_VRAM_SIZE, &v));
	EXPECT_EQ(vram, v);
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_BAR_CONFIG, &v));
	EXPECT_EQ(bar ? IVGPU_BAR_SMALL : IVGPU_BAR_LARGE, v);
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_WINDOW_COUNT, &v));
	EXPECT_EQ(nwin, v);
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_WINDOW_SIZE, &v));
	EXPECT_EQ(wsize, v);
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_BANK_GRANULE, &v));
	EXPECT_EQ(granule, v);
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_CPU_VISIBLE_SIZE, &v));
	EXPECT_EQ(bar ? nwin * wsize : vram, v);
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_CAPS, &v));
	EXPECT_TRUE(v & IVGPU_CAPS_PING);
	EXPECT_EQ(!bar, !!(v & IVGPU_CAPS_LARGE_BAR));
	/* The probe-time round trip has completed at least once. */
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_PING_COUNT, &v));
	EXPECT_LE(1ull, v);
}

TEST_F(dev, unknown_params_rejected)
{
	static const uint32_t bad[] = { 0, IVGPU_PARAM_SUBMIT_MAX_CMDS + 1, 0x100, 0x7fffffff, 0xffffffff };
	unsigned int i;
	uint64_t v;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, ivgpu_get_param(self->fd, bad[i], &v))
			TH_LOG("param %#x", bad[i]);
}

TEST_F(dev, nonzero_padding_rejected)
{
	struct drm_ivgpu_get_param gp = {
		.param = IVGPU_PARAM_VRAM_SIZE,
		.pad = 1,
		.value = 0x1234,
	};

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp));
	EXPECT_EQ(EINVAL, errno);
	gp.pad = 0x80000000;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp));
	EXPECT_EQ(EINVAL, errno);
	gp.pad = 0;
	EXPECT_EQ(0, ioctl(self->fd, DRM_IOCTL_IVGPU_GET_PARAM, &gp));
}

TEST_F(dev, bad_user_pointer)
{
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_IVGPU_GET_PARAM, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_IVGPU_GET_PARAM, (void *)16));
	EXPECT_EQ(EFAULT, errno);
}

/* An ioctl number past the driver's table is not ours to answer. */
TEST_F(dev, unknown_ioctl_rejected)
{
	struct drm_ivgpu_get_param gp = { .param = IVGPU_PARAM_VRAM_SIZE };

	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOWR(DRM_COMMAND_BASE + 0x3f,
					       struct drm_ivgpu_get_param), &gp));
	EXPECT_EQ(EINVAL, errno);
}

/* Each read of debugfs ivgpu_ping is one doorbell -> MSI-X round trip. */
TEST_F(dev, interrupt_round_trip)
{
	char dir[512], path[600], buf[512];
	uint64_t before = 0, after = 0;
	int i;

	ASSERT_EQ(0, ivgpu_debugfs_dir(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/ivgpu_ping", dir);
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_PING_COUNT, &before));
	/* Braced: the harness's ASSERT is two statements. */
	for (i = 0; i < 10; i++) {
		ASSERT_LT(0, ivgpu_read_file(path, buf, sizeof(buf))) TH_LOG("%s", path);
	}
	TH_LOG("last: %s", buf);
	ASSERT_EQ(0, ivgpu_get_param(self->fd, IVGPU_PARAM_PING_COUNT, &after));
	EXPECT_EQ(before + 10, after);
}

TEST(debugfs_describes_device)
{
	char dir[512], path[600], buf[4096];
	uint64_t bar;

	ASSERT_EQ(0, ivgpu_debugfs_dir(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/ivgpu_regs", dir);
	ASSERT_LT(0, ivgpu_read_file(path, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "0x55475649")) TH_LOG("no magic in:\n%s", buf);
	snprintf(path, sizeof(path), "%s/ivgpu_config", dir);
	ASSERT_LT(0, ivgpu_read_file(path, buf, sizeof(buf)));
	if (ivgpu_expect("BAR_CONFIG", &bar))
		EXPECT_NE(NULL, strstr(buf, bar ? "small" : "large")) TH_LOG("%s", buf);
	snprintf(path, sizeof(path), "%s/ivgpu_irqs", dir);
	ASSERT_LT(0, ivgpu_read_file(path, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
