/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What the ivgpu KUnit suites share.
 */
#ifndef _IVGPU_KUNIT_H_
#define _IVGPU_KUNIT_H_

#include <kunit/test.h>

#include "../ivgpu_drv.h"

struct ivgpu_device *ivgpu_kunit_device(struct kunit *test);

#endif /* _IVGPU_KUNIT_H_ */
