/* SPDX-License-Identifier: MIT */
/*
 * ivgpu userspace interface.
 *
 * Every structure here follows Documentation/process/botching-up-ioctls.rst:
 * fixed-size types, 64-bit sizes and pointers, explicit padding that must be
 * zero, unknown flags and values rejected with -EINVAL.  Structures are only
 * ever extended at the end; the ioctl number encodes the size, so the DRM core
 * zero-extends requests from older userspace.
 */
#ifndef _UAPI_IVGPU_DRM_H_
#define _UAPI_IVGPU_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_IVGPU_GET_PARAM		0x00

#define DRM_IOCTL_IVGPU_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IVGPU_GET_PARAM, struct drm_ivgpu_get_param)

/**
 * enum drm_ivgpu_param - what DRM_IOCTL_IVGPU_GET_PARAM can report
 *
 * @IVGPU_PARAM_DEVICE_VERSION: register-contract version of the device,
 *	major << 16 | minor.
 * @IVGPU_PARAM_VRAM_SIZE: bytes of device memory (VRAM).
 * @IVGPU_PARAM_BAR_CONFIG: IVGPU_BAR_LARGE or IVGPU_BAR_SMALL.
 * @IVGPU_PARAM_WINDOW_COUNT: banked windows in the small-BAR configuration,
 *	0 with a large BAR.
 * @IVGPU_PARAM_WINDOW_SIZE: bytes per banked window, 0 with a large BAR.
 * @IVGPU_PARAM_CAPS: device capability bits, IVGPU_CAPS_*.
 * @IVGPU_PARAM_BANK_GRANULE: alignment of a window's bank offset, 0 with a
 *	large BAR.
 * @IVGPU_PARAM_CPU_VISIBLE_SIZE: bytes of VRAM the CPU sees at once through
 *	BAR2: all of VRAM with a large BAR, the windows' total with a small one.
 * @IVGPU_PARAM_PING_COUNT: interrupt round trips completed since probe.
 *
 * Param 0 is never valid.  Values are only ever added.
 */
enum drm_ivgpu_param {
	IVGPU_PARAM_DEVICE_VERSION = 1,
	IVGPU_PARAM_VRAM_SIZE = 2,
	IVGPU_PARAM_BAR_CONFIG = 3,
	IVGPU_PARAM_WINDOW_COUNT = 4,
	IVGPU_PARAM_WINDOW_SIZE = 5,
	IVGPU_PARAM_CAPS = 6,
	IVGPU_PARAM_BANK_GRANULE = 7,
	IVGPU_PARAM_CPU_VISIBLE_SIZE = 8,
	IVGPU_PARAM_PING_COUNT = 9,
};

/* Values of IVGPU_PARAM_BAR_CONFIG. */
#define IVGPU_BAR_LARGE			0
#define IVGPU_BAR_SMALL			1

/* Bits of IVGPU_PARAM_CAPS, as the device reports them. */
#define IVGPU_CAPS_PING			(1ull << 0)
#define IVGPU_CAPS_LARGE_BAR		(1ull << 1)
#define IVGPU_CAPS_WINDOWS		(1ull << 2)

/**
 * struct drm_ivgpu_get_param - query a device parameter
 *
 * @param: in, an &enum drm_ivgpu_param value; anything else is -EINVAL.
 * @pad: in, must be zero (-EINVAL otherwise).
 * @value: out, the parameter's value.
 */
struct drm_ivgpu_get_param {
	__u32 param;
	__u32 pad;
	__u64 value;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_IVGPU_DRM_H_ */
