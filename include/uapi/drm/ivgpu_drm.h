/* SPDX-License-Identifier: MIT */
/*
 * ivgpu userspace interface.
 *
 * Every structure here follows Documentation/process/botching-up-ioctls.rst:
 * fixed-size types, 64-bit sizes and pointers, explicit padding that must be
 * zero, unknown flags and values rejected with -EINVAL.  Structures are only
 * ever extended at the end; the ioctl number encodes the size, so the DRM core
 * zero-extends requests from older userspace.
 *
 * Every ioctl returns -ENODEV once the device is gone.  Both BAR
 * configurations behave the same: in the small-BAR configuration
 * (IVGPU_BAR_SMALL) the driver reaches VRAM through banked windows, and
 * mmap(), GEM_PREAD, GEM_PWRITE, GEM_MOVE and GEM_MAP work as with a large
 * BAR (a driver without windows returned -EOPNOTSUPP there).
 */
#ifndef _UAPI_IVGPU_DRM_H_
#define _UAPI_IVGPU_DRM_H_

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_IVGPU_GET_PARAM		0x00
#define DRM_IVGPU_GEM_CREATE		0x01
#define DRM_IVGPU_GEM_INFO		0x02
#define DRM_IVGPU_GEM_MMAP_OFFSET	0x03
#define DRM_IVGPU_GEM_PREAD		0x04
#define DRM_IVGPU_GEM_PWRITE		0x05
#define DRM_IVGPU_GEM_REVOKE		0x06
#define DRM_IVGPU_GEM_MOVE		0x07
#define DRM_IVGPU_GEM_MAP		0x08
#define DRM_IVGPU_GEM_UNMAP		0x09

#define DRM_IOCTL_IVGPU_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IVGPU_GET_PARAM, struct drm_ivgpu_get_param)
#define DRM_IOCTL_IVGPU_GEM_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IVGPU_GEM_CREATE, struct drm_ivgpu_gem_create)
#define DRM_IOCTL_IVGPU_GEM_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IVGPU_GEM_INFO, struct drm_ivgpu_gem_info)
#define DRM_IOCTL_IVGPU_GEM_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IVGPU_GEM_MMAP_OFFSET, struct drm_ivgpu_gem_mmap_offset)
#define DRM_IOCTL_IVGPU_GEM_PREAD \
	DRM_IOW(DRM_COMMAND_BASE + DRM_IVGPU_GEM_PREAD, struct drm_ivgpu_gem_rw)
#define DRM_IOCTL_IVGPU_GEM_PWRITE \
	DRM_IOW(DRM_COMMAND_BASE + DRM_IVGPU_GEM_PWRITE, struct drm_ivgpu_gem_rw)
#define DRM_IOCTL_IVGPU_GEM_REVOKE \
	DRM_IOW(DRM_COMMAND_BASE + DRM_IVGPU_GEM_REVOKE, struct drm_ivgpu_gem_revoke)
#define DRM_IOCTL_IVGPU_GEM_MOVE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IVGPU_GEM_MOVE, struct drm_ivgpu_gem_move)
#define DRM_IOCTL_IVGPU_GEM_MAP \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_IVGPU_GEM_MAP, struct drm_ivgpu_gem_map)
#define DRM_IOCTL_IVGPU_GEM_UNMAP \
	DRM_IOW(DRM_COMMAND_BASE + DRM_IVGPU_GEM_UNMAP, struct drm_ivgpu_gem_unmap)

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
 * @IVGPU_PARAM_VRAM_USED: bytes of VRAM allocated to objects right now.
 * @IVGPU_PARAM_VRAM_LARGEST_FREE: bytes of the largest free block of VRAM:
 *	the largest object that can be created contiguous right now.
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
	IVGPU_PARAM_VRAM_USED = 10,
	IVGPU_PARAM_VRAM_LARGEST_FREE = 11,
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

/**
 * enum drm_ivgpu_bo_kind - what a buffer object is for
 *
 * @IVGPU_BO_GENERIC: any data.
 * @IVGPU_BO_FRAMEBUFFER: pixel data of an image; always contiguous in VRAM
 *	(as scanout needs), as if %IVGPU_BO_CONTIGUOUS were given.
 * @IVGPU_BO_CMDBUF: commands queued for the co-processor.
 */
enum drm_ivgpu_bo_kind {
	IVGPU_BO_GENERIC = 0,
	IVGPU_BO_FRAMEBUFFER = 1,
	IVGPU_BO_CMDBUF = 2,
};

/* Placement flags of a buffer object. */
#define IVGPU_BO_CONTIGUOUS		(1u << 0)	/* one block of VRAM */
#define IVGPU_BO_FLAGS			IVGPU_BO_CONTIGUOUS

/**
 * struct drm_ivgpu_gem_create - allocate a buffer object in VRAM
 *
 * The object's memory reads as zeros.  Unless %IVGPU_BO_CONTIGUOUS is given
 * (or implied by the kind) it may be made of several non-contiguous blocks
 * of VRAM; a CPU mapping always shows it as one contiguous range.
 *
 * Errors: -EINVAL for a zero size, a size that overflows when rounded up,
 * an alignment that is not 0 or a power of two between the page size and
 * the VRAM size, an unknown kind or flag, or non-zero padding; -E2BIG for a
 * size larger than all of VRAM; -ENOSPC when VRAM cannot hold it now.
 *
 * @size: in, bytes (rounded up to the page size); out, the object's size.
 * @alignment: in, 0 (the page size) or a power of two: every block of the
 *	object starts at a multiple of it in VRAM.
 * @kind: in, an &enum drm_ivgpu_bo_kind.
 * @flags: in, IVGPU_BO_* placement flags.
 * @handle: out, the object's handle in this file.
 * @pad: in, must be zero.
 */
struct drm_ivgpu_gem_create {
	__u64 size;
	__u64 alignment;
	__u32 kind;
	__u32 flags;
	__u32 handle;
	__u32 pad;
};

/**
 * struct drm_ivgpu_gem_info - describe a buffer object
 *
 * Errors: -ENOENT for an unknown handle, -EINVAL for non-zero padding.
 *
 * @handle: in, the object.
 * @pad: in, must be zero.
 * @size: out, bytes.
 * @kind: out, its &enum drm_ivgpu_bo_kind.
 * @flags: out, its IVGPU_BO_* flags (%IVGPU_BO_CONTIGUOUS when it is one
 *	block, whether asked for or implied).
 * @num_blocks: out, how many blocks of VRAM back it now.
 * @pad2: in, must be zero.
 * @id: out, the device-wide object id that debugfs uses.
 */
struct drm_ivgpu_gem_info {
	__u32 handle;
	__u32 pad;
	__u64 size;
	__u32 kind;
	__u32 flags;
	__u32 num_blocks;
	__u32 pad2;
	__u64 id;
};

/**
 * struct drm_ivgpu_gem_mmap_offset - the fake offset to mmap an object with
 *
 * mmap() of the device file at this offset (plus a page-aligned offset into
 * the object) maps the object, or any page-aligned part of it.  Only shared
 * mappings are allowed; the pages are write-combined and filled in on fault.
 * The offset is usable only through a file that has a handle to the object
 * (another file gets -EACCES from mmap()).
 *
 * Errors: -ENOENT for an unknown handle, -EINVAL for non-zero @flags.
 *
 * @handle: in, the object.
 * @flags: in, must be zero.
 * @offset: out, the offset to pass to mmap().
 */
struct drm_ivgpu_gem_mmap_offset {
	__u32 handle;
	__u32 flags;
	__u64 offset;
};

/**
 * struct drm_ivgpu_gem_rw - copy between user memory and an object
 *
 * For DRM_IOCTL_IVGPU_GEM_PREAD (object to @data_ptr) and
 * DRM_IOCTL_IVGPU_GEM_PWRITE (@data_ptr to object).  @data_ptr may point
 * into a mapping of any ivgpu object, this one included.
 *
 * Errors: -ENOENT for an unknown handle; -EINVAL for non-zero @flags or a
 * range that does not lie inside the object (an @offset past the end is
 * refused even with a zero @size); -EFAULT for a bad @data_ptr, in which
 * case a prefix of the range may have been copied.  A zero @size at an
 * offset inside the object succeeds and copies nothing.
 *
 * @handle: in, the object.
 * @flags: in, must be zero.
 * @offset: in, byte offset in the object (any alignment).
 * @size: in, bytes to copy.
 * @data_ptr: in, user address of the buffer.
 */
struct drm_ivgpu_gem_rw {
	__u32 handle;
	__u32 flags;
	__u64 offset;
	__u64 size;
	__u64 data_ptr;
};

/**
 * struct drm_ivgpu_gem_revoke - remove the CPU page-table entries of an object
 *
 * Every user page-table entry that maps the range, in every process, is
 * removed with one range zap; the mappings stay, and the next access faults
 * the entries back in with the same contents.
 *
 * Errors: -ENOENT for an unknown handle; -EINVAL for non-zero @flags, an
 * offset or size that is not page-aligned, or a range outside the object.
 *
 * @handle: in, the object.
 * @flags: in, must be zero.
 * @offset: in, page-aligned byte offset in the object.
 * @size: in, page-aligned bytes; 0 means to the end of the object.
 */
struct drm_ivgpu_gem_revoke {
	__u32 handle;
	__u32 flags;
	__u64 offset;
	__u64 size;
};

/* Flags of struct drm_ivgpu_gem_move. */
#define IVGPU_MOVE_CONTIGUOUS		(1u << 0)	/* the new place is one block */
#define IVGPU_MOVE_FLAGS		IVGPU_MOVE_CONTIGUOUS

/**
 * struct drm_ivgpu_gem_move - relocate an object to other VRAM
 *
 * Allocates new VRAM, removes the object's user page-table entries, copies
 * the contents and frees the old VRAM.  Existing mappings keep working and
 * see the same contents.  The object keeps its alignment, and stays one
 * block if it was created contiguous.
 *
 * Errors: -ENOENT for an unknown handle; -EINVAL for unknown flags or
 * non-zero padding; -ENOSPC when VRAM cannot hold a second copy now; -EBUSY
 * while a kernel mapping of the object made with DRM_IOCTL_IVGPU_GEM_MAP
 * is held; -EINTR when a signal interrupted the wait for the object.
 *
 * @handle: in, the object.
 * @flags: in, IVGPU_MOVE_* flags.
 * @num_blocks: out, how many blocks of VRAM back it after the move.
 * @pad: in, must be zero.
 */
struct drm_ivgpu_gem_move {
	__u32 handle;
	__u32 flags;
	__u32 num_blocks;
	__u32 pad;
};

/* Flags of struct drm_ivgpu_gem_map (in). */
#define IVGPU_MAP_KERNEL		(1u << 0)	/* into kernel space */
#define IVGPU_MAP_USER			(1u << 1)	/* into this process */
#define IVGPU_MAP_CREATE		(1u << 2)	/* allocate the object first */
#define IVGPU_MAP_FLAGS			(IVGPU_MAP_KERNEL | IVGPU_MAP_USER | IVGPU_MAP_CREATE)

/* Flags of struct drm_ivgpu_gem_map (out). */
#define IVGPU_MAP_OUT_REUSED		(1u << 0)	/* a live kernel mapping was reused */

/**
 * struct drm_ivgpu_gem_map - map a range of an object into kernel or user space
 *
 * The request says where the range goes: exactly one of %IVGPU_MAP_KERNEL
 * and %IVGPU_MAP_USER.  With %IVGPU_MAP_CREATE an object is allocated first
 * (as DRM_IOCTL_IVGPU_GEM_CREATE with @create_size, @create_kind and
 * @create_flags) and its new handle returned in @handle; the range is then
 * relative to it.
 *
 * User: the range is mapped shared, readable and writable, into the calling
 * process, as mmap() of the fake offset would; @addr returns the address.
 * It is unmapped with munmap().
 *
 * Kernel: the range is mapped into kernel virtual space (write-combined,
 * one contiguous range even when the object is scattered).  A request that
 * lies entirely inside a kernel mapping that is already live reuses it
 * (%IVGPU_MAP_OUT_REUSED).  @map_id names the mapping for
 * DRM_IOCTL_IVGPU_GEM_UNMAP; closing the file releases what is left.
 * No kernel address is ever returned.
 *
 * Errors: -ENOENT for an unknown handle; -EINVAL for unknown flags, not
 * exactly one of KERNEL and USER, a range that is not page-aligned or not
 * inside the object, or non-zero @create_size, @create_kind or
 * @create_flags without %IVGPU_MAP_CREATE; create's errors with CREATE
 * (nothing is left allocated when a step after it fails); -ENOSPC when the
 * file holds too many kernel mappings; -ENOMEM when address space runs out.
 *
 * @handle: in, the object; out with %IVGPU_MAP_CREATE.
 * @flags: in, IVGPU_MAP_* flags.
 * @offset: in, page-aligned byte offset in the object.
 * @size: in, page-aligned bytes; 0 means to the end of the object.
 * @create_size: in with %IVGPU_MAP_CREATE: as &drm_ivgpu_gem_create.size;
 *	out: the object's size.
 * @create_kind: in with %IVGPU_MAP_CREATE: as &drm_ivgpu_gem_create.kind.
 * @create_flags: in with %IVGPU_MAP_CREATE: as &drm_ivgpu_gem_create.flags.
 * @addr: out, user: the address of the mapping; kernel: 0.
 * @map_id: out, kernel: the mapping's id in this file; user: 0.
 * @out_flags: out, IVGPU_MAP_OUT_* flags.
 */
struct drm_ivgpu_gem_map {
	__u32 handle;
	__u32 flags;
	__u64 offset;
	__u64 size;
	__u64 create_size;
	__u32 create_kind;
	__u32 create_flags;
	__u64 addr;
	__u32 map_id;
	__u32 out_flags;
};

/**
 * struct drm_ivgpu_gem_unmap - release a kernel mapping made by GEM_MAP
 *
 * Errors: -ENOENT for an id this file does not hold, -EINVAL for non-zero
 * padding.
 *
 * @map_id: in, from &drm_ivgpu_gem_map.map_id.
 * @pad: in, must be zero.
 */
struct drm_ivgpu_gem_unmap {
	__u32 map_id;
	__u32 pad;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_IVGPU_DRM_H_ */
