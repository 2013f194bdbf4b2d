// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu_kunit.ko: KUnit suites for the parts of ivgpu.ko that work without
 * the device.  Each suite is in a file of its own (ivgpu_*_test.c) and
 * registers itself with kunit_test_suite(); KUnit runs them all when the
 * module is loaded, and prints their results as KTAP in the kernel log.
 */

#include <linux/module.h>

#include "ivgpu_kunit.h"

/**
 * ivgpu_kunit_device - a zeroed &struct ivgpu_device for a test
 * @test: the test; the memory goes when it ends
 *
 * No PCI device, no registers and no DRM registration stand behind it:
 * only the parts a suite sets up itself (a heap, a kernel-mapping cache)
 * may be used.
 *
 * Return: the device; the test is aborted if memory runs out.
 */
struct ivgpu_device *ivgpu_kunit_device(struct kunit *test)
{
	struct ivgpu_device *ivgpu = kunit_kzalloc(test, sizeof(*ivgpu), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ivgpu);
	return ivgpu;
}

MODULE_DESCRIPTION("KUnit tests of the ivgpu driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IVGPU_KUNIT);
