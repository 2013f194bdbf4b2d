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
#define DRM_IVGPU_SUBMIT		0x0a
#define DRM_IVGPU_GEM_WAIT		0x0b

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
#define DRM_IOCTL_IVGPU_SUBMIT \
	DRM_IOW(DRM_COMMAND_BASE + DRM_IVGPU_SUBMIT, struct drm_ivgpu_submit)
#define DRM_IOCTL_IVGPU_GEM_WAIT \
	DRM_IOW(DRM_COMMAND_BASE + DRM_IVGPU_GEM_WAIT, struct drm_ivgpu_gem_wait)

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
 * @IVGPU_PARAM_VRAM_KERNEL: bytes of VRAM the driver holds for its own use
 *	(the co-processor's ring), from probe to removal; counted in
 *	%IVGPU_PARAM_VRAM_USED, so an idle device reports this much used.
 * @IVGPU_PARAM_SUBMIT_MAX_CMDS: how many commands one DRM_IOCTL_IVGPU_SUBMIT
 *	may hold, counted after the kernel has split them at VRAM block
 *	boundaries (see &struct drm_ivgpu_submit); 0 when the device has no
 *	co-processor.
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
	IVGPU_PARAM_VRAM_KERNEL = 12,
	IVGPU_PARAM_SUBMIT_MAX_CMDS = 13,
};

/* Values of IVGPU_PARAM_BAR_CONFIG. */
#define IVGPU_BAR_LARGE			0
#define IVGPU_BAR_SMALL			1

/* Bits of IVGPU_PARAM_CAPS, as the device reports them. */
#define IVGPU_CAPS_PING			(1ull << 0)
#define IVGPU_CAPS_LARGE_BAR		(1ull << 1)
#define IVGPU_CAPS_WINDOWS		(1ull << 2)
#define IVGPU_CAPS_COPROC		(1ull << 3)	/* DRM_IOCTL_IVGPU_SUBMIT works */

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

/*
 * The co-processor.
 *
 * Userspace writes commands (&struct drm_ivgpu_cmd, 64 bytes each) into a
 * command-buffer object (%IVGPU_BO_CMDBUF) through a mapping, then queues
 * them with DRM_IOCTL_IVGPU_SUBMIT as one job.  Commands name memory as
 * (object handle, byte offset); the kernel copies the commands out of the
 * command buffer at submission (later changes to it do not affect the job),
 * checks every reference against the job's object list and the object's
 * size, and turns it into VRAM addresses for the device, splitting ranges
 * where a scattered object's VRAM is not contiguous.  The objects of a job
 * stay where they are in VRAM until its fence signals: GEM_MOVE waits.
 *
 * Jobs of one file run in submission order; jobs of different files are
 * interleaved by the kernel's GPU scheduler.  A job waits for the fences of
 * its in-syncobjs and for the earlier jobs of any file that use one of its
 * objects (implicit synchronisation: every object is treated as written).
 * Its completion is a dma_fence, put in the out-syncobj and in every
 * object of the job; DRM_IOCTL_SYNCOBJ_WAIT and DRM_IOCTL_IVGPU_GEM_WAIT
 * wait for it.  A job that runs longer than the job_timeout_ms module
 * parameter is stopped, the engine reset, and its fence signalled with the
 * error -ETIMEDOUT; the jobs after it still run.
 */

/* Opcodes of struct drm_ivgpu_cmd (5 is the kernel's fence: refused). */
#define IVGPU_OP_NOP			0
#define IVGPU_OP_FILL			1
#define IVGPU_OP_COPY			2
#define IVGPU_OP_CRC32			3
#define IVGPU_OP_BLIT			4
#define IVGPU_OP_STALL			6
#define IVGPU_OP_HANG			7

/* Flags of struct drm_ivgpu_cmd. */
#define IVGPU_CMD_CRC32_CONTINUE	(1u << 0)	/* CRC32 only */

/* Longest STALL, in nanoseconds (10 s). */
#define IVGPU_STALL_MAX_NS		10000000000ull

/**
 * struct drm_ivgpu_cmd - one command for the co-processor, 64 bytes
 *
 * A range is (handle, offset, bytes): the handle must be in the job's
 * &drm_ivgpu_submit.bos, and the range must lie inside the object
 * (a range of zero bytes may sit at its end).  Fields a command does not
 * use must be zero.  The commands:
 *
 * %IVGPU_OP_NOP: nothing.
 *
 * %IVGPU_OP_FILL: fill @size bytes at (@dst_handle, @dst_offset) with the
 * 32-bit pattern in @arg (bits 32-63 must be zero): byte k of the range is
 * byte k % 4 of the little-endian pattern.
 *
 * %IVGPU_OP_COPY: copy @size bytes from (@src_handle, @src_offset) to
 * (@dst_handle, @dst_offset).  Overlapping ranges (the same object) copy as
 * memmove() does.
 *
 * %IVGPU_OP_CRC32: the CRC-32 of @size bytes at (@src_handle, @src_offset)
 * is written as 4 little-endian bytes at (@dst_handle, @dst_offset), which
 * must be 4-byte aligned and must not overlap the range.  The CRC-32 is
 * zlib's crc32(): the reflected IEEE 802.3 polynomial, initial value and
 * final XOR all ones.  With %IVGPU_CMD_CRC32_CONTINUE the computation
 * continues from the CRC-32 found at the result, as crc32(found, data)
 * would, so a range checksummed in parts gives the CRC-32 of the whole.  An
 * empty range writes 0, or leaves the result as it is with CONTINUE.
 *
 * %IVGPU_OP_BLIT: copy a rectangle of @arg rows of @size bytes: row r is
 * copied from @src_offset + r * @src_pitch to @dst_offset + r * @dst_pitch.
 * Both pitches must be at least @size; the last row must end inside each
 * object.  Rectangles that overlap (the same object) must have equal
 * pitches and then copy as memmove() does; with different pitches they are
 * refused.  A width or height of zero copies nothing.
 *
 * %IVGPU_OP_STALL: keep the engine busy for @arg nanoseconds, at most
 * %IVGPU_STALL_MAX_NS (a test hook).
 *
 * %IVGPU_OP_HANG: never complete; the job times out and the engine is
 * reset (a test hook).
 *
 * @opcode: an IVGPU_OP_* value.
 * @flags: IVGPU_CMD_* flags the opcode defines, else zero.
 * @dst_handle: object written: FILL, COPY, BLIT; CRC32: the result's.
 * @src_handle: object read: COPY, CRC32, BLIT.
 * @dst_offset: byte offset in @dst_handle.
 * @src_offset: byte offset in @src_handle.
 * @size: bytes: FILL, COPY, CRC32; BLIT: the width of a row.
 * @arg: FILL: the pattern; BLIT: the height in rows; STALL: nanoseconds.
 * @dst_pitch: BLIT: bytes from one row of the destination to the next.
 * @src_pitch: BLIT: bytes from one row of the source to the next.
 */
struct drm_ivgpu_cmd {
	__u32 opcode;
	__u32 flags;
	__u32 dst_handle;
	__u32 src_handle;
	__u64 dst_offset;
	__u64 src_offset;
	__u64 size;
	__u64 arg;
	__u64 dst_pitch;
	__u64 src_pitch;
};

/* Most entries of &drm_ivgpu_submit.bos and .in_syncobjs. */
#define IVGPU_SUBMIT_MAX_BOS		1024
#define IVGPU_SUBMIT_MAX_IN_SYNCOBJS	64

/**
 * struct drm_ivgpu_submit_bo - an object a job uses
 *
 * The job is synchronised with the earlier jobs that use the object as if
 * it wrote it, and holds it until it completes.
 *
 * @handle: in, the object's handle in this file.
 * @flags: in, must be zero.
 */
struct drm_ivgpu_submit_bo {
	__u32 handle;
	__u32 flags;
};

/**
 * struct drm_ivgpu_submit_syncobj - a fence a job waits for
 *
 * @handle: in, a syncobj of this file.
 * @flags: in, must be zero.
 * @point: in, 0 for a binary syncobj's fence; for a timeline syncobj the
 *	point whose fence to wait for (it must have one already).
 */
struct drm_ivgpu_submit_syncobj {
	__u32 handle;
	__u32 flags;
	__u64 point;
};

/**
 * struct drm_ivgpu_submit - queue a job for the co-processor
 *
 * The job is the @cmd_size bytes of commands at @cmd_offset of the command
 * buffer @cmdbuf, copied out when the call is made.  It may hold at most
 * %IVGPU_PARAM_SUBMIT_MAX_CMDS commands, counted both as given and after
 * the kernel has split ranges at VRAM block boundaries (how many that
 * makes depends on where the objects are at the time of the call, which a
 * move can change: a caller that gets -E2BIG for a job that fitted before
 * splits it in two).  The call returns once the job is queued; its fence
 * goes into @out_syncobj (when non-zero) and into every object of @bos.
 * The job holds its objects until it completes, so GEM_CLOSE right after
 * the call is fine; a file closed with jobs queued waits for them (an
 * exiting process at most 1 s, after which its jobs not yet started are
 * cancelled with -ESRCH).
 *
 * A job's fence carries an error when the job did not complete: -ETIMEDOUT
 * when it ran longer than the job_timeout_ms module parameter (the engine
 * is reset and the jobs after it run), -EIO when the device reported an
 * error in it or the engine cannot be reset, -ENODEV when the device went
 * away.  Syncobj waits and DRM_IOCTL_IVGPU_GEM_WAIT return 0 for such a
 * fence; the error is read from a sync_file exported from @out_syncobj.
 *
 * Errors: -EOPNOTSUPP when the device has no co-processor
 * (%IVGPU_CAPS_COPROC clear); -ENOENT for an unknown @cmdbuf, an unknown
 * handle in @bos, an unknown syncobj, or a command naming a handle this
 * file does not have; -EINVAL for non-zero @flags or @pad, non-zero flags
 * in an entry of @bos or @in_syncobjs, a @cmdbuf that is not a command
 * buffer, a @cmd_offset or @cmd_size that is not a multiple of 64, a zero
 * @cmd_size, a range outside the command buffer, a handle given twice in
 * @bos, too many objects or syncobjs, an in-syncobj with no fence (at
 * @point), and for any command that breaks the rules of &struct
 * drm_ivgpu_cmd (unknown opcode or flag, non-zero unused field, a handle
 * not in @bos, a range outside its object or one whose end overflows, a
 * bad alignment, pitch, overlap or stall time); -EPERM for
 * %IVGPU_OP_STALL or %IVGPU_OP_HANG without CAP_SYS_ADMIN (they hold the
 * engine every client shares); -E2BIG for more than
 * %IVGPU_PARAM_SUBMIT_MAX_CMDS commands; -EFAULT for a bad pointer;
 * -ENOMEM; -EINTR; -ENODEV once the device is gone.  Nothing is queued
 * when the call fails.
 *
 * @cmdbuf: in, handle of an %IVGPU_BO_CMDBUF object.
 * @flags: in, must be zero.
 * @cmd_offset: in, offset in @cmdbuf of the first command, a multiple of 64.
 * @cmd_size: in, bytes of commands, a non-zero multiple of 64.
 * @bos: in, user pointer to @num_bos &struct drm_ivgpu_submit_bo: every
 *	object the commands name (more may be given; each is synchronised
 *	and held).
 * @in_syncobjs: in, user pointer to @num_in_syncobjs &struct
 *	drm_ivgpu_submit_syncobj whose fences the job waits for before it
 *	runs.
 * @num_bos: in, entries at @bos, at most %IVGPU_SUBMIT_MAX_BOS.
 * @num_in_syncobjs: in, entries at @in_syncobjs, at most
 *	%IVGPU_SUBMIT_MAX_IN_SYNCOBJS.
 * @out_syncobj: in, 0 or a binary syncobj whose fence becomes the job's.
 * @pad: in, must be zero.
 */
struct drm_ivgpu_submit {
	__u32 cmdbuf;
	__u32 flags;
	__u64 cmd_offset;
	__u64 cmd_size;
	__u64 bos;
	__u64 in_syncobjs;
	__u32 num_bos;
	__u32 num_in_syncobjs;
	__u32 out_syncobj;
	__u32 pad;
};

/**
 * struct drm_ivgpu_gem_wait - wait until no job uses an object
 *
 * Waits for the fences of every job queued with the object so far.
 *
 * Returns 0 once they have all signalled, also when a job failed (see
 * &struct drm_ivgpu_submit for how to read a job's error).
 *
 * Errors: -ENOENT for an unknown handle; -EINVAL for non-zero @flags;
 * -ETIME when jobs still use the object at @timeout_ns; -EINTR when a
 * signal interrupted the wait (unless the call is restarted); -ENODEV
 * once the device is gone.
 *
 * @handle: in, the object.
 * @flags: in, must be zero.
 * @timeout_ns: in, absolute CLOCK_MONOTONIC time to give up at; a time in
 *	the past (0 for instance) only checks.
 */
struct drm_ivgpu_gem_wait {
	__u32 handle;
	__u32 flags;
	__s64 timeout_ns;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_IVGPU_DRM_H_ */
