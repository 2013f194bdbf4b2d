/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ivgpu register contract.
 *
 * This header is the single definition of the interface between the ivgpu
 * driver and the device model (qemu/ivgpu-dev).  Both include it, so they
 * cannot drift apart.  It contains only constants: it must compile as kernel
 * code and as host userspace C alike.  docs/device.md explains it in prose.
 *
 * The device is QEMU's ivshmem-doorbell PCI function (1af4:1110).  Its BAR0
 * holds only ivshmem's own registers (the doorbell among them), BAR1 holds the
 * MSI-X table, and BAR2 is the shared memory handed out by ivgpu-dev.  The
 * ivgpu register block lives at offset 0 of BAR2.  All registers are
 * little-endian; 64-bit registers are naturally aligned and are read as two
 * 32-bit halves, low half first.
 */
#ifndef _IVGPU_REGS_H_
#define _IVGPU_REGS_H_

/* ivshmem's BAR0 registers (see QEMU's ivshmem-spec). */
#define IVSHMEM_REG_INTRMASK		0x00
#define IVSHMEM_REG_INTRSTATUS		0x04
#define IVSHMEM_REG_IVPOSITION		0x08
#define IVSHMEM_REG_DOORBELL		0x0c
#define IVSHMEM_DOORBELL(peer, vector)	((((peer) & 0xffffu) << 16) | ((vector) & 0xffffu))

/* PCI BAR indices of the ivshmem-doorbell function. */
#define IVGPU_BAR_IVSHMEM		0
#define IVGPU_BAR_MSIX			1
#define IVGPU_BAR_MEM			2

/* "IVGU" read as a little-endian 32-bit word. */
#define IVGPU_MAGIC			0x55475649u
#define IVGPU_VERSION_MAJOR		1
/* 1.1: bank switching, VRAM check; 1.2: co-processor */
#define IVGPU_VERSION_MINOR		2
#define IVGPU_VERSION			((IVGPU_VERSION_MAJOR << 16) | IVGPU_VERSION_MINOR)
#define IVGPU_VERSION_MAJOR_OF(v)	(((v) >> 16) & 0xffffu)
#define IVGPU_VERSION_MINOR_OF(v)	((v) & 0xffffu)

/* Size of the register block at the start of BAR2. */
#define IVGPU_REGS_SIZE			0x10000u

/*
 * Identification and configuration, read-only for the driver
 * (0x0000 - 0x00ff).
 */
#define IVGPU_REG_MAGIC			0x0000	/* u32: IVGPU_MAGIC */
#define IVGPU_REG_VERSION		0x0004	/* u32: major << 16 | minor */
#define IVGPU_REG_CAPS			0x0008	/* u64: IVGPU_CAP_* */
#define IVGPU_REG_VRAM_SIZE		0x0010	/* u64: bytes of VRAM */
#define IVGPU_REG_BAR_CONFIG		0x0018	/* u32: IVGPU_BAR_CONFIG_* */
#define IVGPU_REG_NUM_VECTORS		0x001c	/* u32: interrupt vectors per peer */
#define IVGPU_REG_BAR_SIZE		0x0020	/* u64: size of BAR2 as laid out */
#define IVGPU_REG_VRAM_BAR_OFFSET	0x0028	/* u64: VRAM in BAR2 (large BAR), else 0 */
#define IVGPU_REG_WINDOW_BAR_OFFSET	0x0030	/* u64: window 0 in BAR2 (small BAR), else 0 */
#define IVGPU_REG_WINDOW_SIZE		0x0038	/* u64: bytes per window (small BAR), else 0 */
#define IVGPU_REG_WINDOW_COUNT		0x0040	/* u32: windows (small BAR), else 0 */
#define IVGPU_REG_DEV_PEER_ID		0x0044	/* u32: ivshmem peer ID of the device */
#define IVGPU_REG_BANK_GRANULE		0x0048	/* u64: bank register granule (small BAR) */
#define IVGPU_REG_GUEST_PEER_ID		0x0050	/* u32: peer ID the device gave the guest */
#define IVGPU_REG_REGS_SIZE		0x0054	/* u32: IVGPU_REGS_SIZE */

/* IVGPU_REG_BAR_CONFIG values. */
#define IVGPU_BAR_CONFIG_LARGE		0	/* BAR2 = registers + all of VRAM */
#define IVGPU_BAR_CONFIG_SMALL		1	/* BAR2 = registers + banked windows */

/* IVGPU_REG_CAPS bits. */
#define IVGPU_CAP_PING			0x1ull	/* doorbell ping answered by IRQ */
#define IVGPU_CAP_LARGE_BAR		0x2ull	/* all of VRAM is in BAR2 */
#define IVGPU_CAP_WINDOWS		0x4ull	/* banked windows switch (small BAR) */
#define IVGPU_CAP_COPROC		0x8ull	/* co-processor ring (0x2000 block) */

/*
 * Interrupt round trip (0x0100 - 0x01ff).  The driver writes a sequence
 * number to PING_SEQ and rings IVGPU_DB_PING; the device copies it to
 * PONG_SEQ, counts it, and raises IVGPU_IRQ_PING.
 */
#define IVGPU_REG_PING_SEQ		0x0100	/* u32: written by the driver */
#define IVGPU_REG_PONG_SEQ		0x0104	/* u32: written by the device */
#define IVGPU_REG_PING_COUNT		0x0108	/* u64: pings answered since start */

/*
 * Error reporting (0x0200 - 0x02ff).  The device writes a code and an
 * argument, then raises IVGPU_IRQ_ERROR.
 */
#define IVGPU_REG_ERROR_CODE		0x0200	/* u32: IVGPU_ERROR_* of the last error */
#define IVGPU_REG_ERROR_COUNT		0x0204	/* u32: errors since start */
#define IVGPU_REG_ERROR_ARG		0x0208	/* u64: error-specific argument */

#define IVGPU_ERROR_NONE		0
#define IVGPU_ERROR_BAD_DOORBELL	1	/* unknown doorbell vector; ARG = vector */
/* Co-processor errors: the engine stops; ARG = ring byte position of the command. */
#define IVGPU_ERROR_CMD_OPCODE		2	/* unknown opcode */
#define IVGPU_ERROR_CMD_FLAGS		3	/* a flag the opcode does not define */
#define IVGPU_ERROR_CMD_RANGE		4	/* an address range runs outside VRAM */
#define IVGPU_ERROR_CMD_ARG		5	/* another bad argument (alignment, pitch, time) */
/* Ring errors: the engine stops; ARG = the offending value. */
#define IVGPU_ERROR_RING_CONFIG		6	/* BASE/SIZE unusable at reset; ARG = BASE */
#define IVGPU_ERROR_RING_TAIL		7	/* TAIL unaligned or >= SIZE; ARG = TAIL */

/*
 * Bank-switch totals over all windows since the device started
 * (0x0300 - 0x03ff), written by the device.  Byte counts are what was really
 * copied: a window's range is clamped at the end of VRAM.
 */
#define IVGPU_REG_BANK_SWITCHES		0x0300	/* u64: switches done */
#define IVGPU_REG_BANK_BYTES_WRITTEN	0x0308	/* u64: bytes written back, window -> VRAM */
#define IVGPU_REG_BANK_BYTES_LOADED	0x0310	/* u64: bytes loaded, VRAM -> window */
#define IVGPU_REG_BANK_REFUSED		0x0318	/* u64: requests refused (no copy) */
#define IVGPU_REG_BANK_COPY_NS		0x0320	/* u64: nanoseconds spent copying */
#define IVGPU_REG_BANK_IRQS		0x0328	/* u64: IVGPU_IRQ_BANK raised */

/*
 * Banked windows (0x1000 - 0x1fff), small BAR only: one block of
 * IVGPU_REGS_WINDOW_STRIDE bytes per window; the IVGPU_WIN_* offsets are
 * relative to IVGPU_REGS_WINDOW(i).  With a large BAR the block is unused.
 *
 * Switch protocol, per window, one request outstanding at a time:
 *   driver: write BANK_REQ, then (write barrier) REQ_SEQ = ACK_SEQ + 1, then
 *	ring IVGPU_DB_BANK;
 *   device: writes the window back to VRAM at the old BANK, loads the window
 *	from VRAM at BANK_REQ, updates BANK, STATUS and the counters, then
 *	ACK_SEQ = REQ_SEQ, then raises IVGPU_IRQ_BANK;
 *   driver: waits for the interrupt or polls until ACK_SEQ == REQ_SEQ, then
 *	reads STATUS.
 * The window must not be accessed while its request is outstanding.
 */
#define IVGPU_REGS_WINDOW_BASE		0x1000	/* window registers, 0x40 per window */
#define IVGPU_REGS_WINDOW_STRIDE	0x40
#define IVGPU_REGS_WINDOW_MAX		64
#define IVGPU_REGS_WINDOW(i)		(IVGPU_REGS_WINDOW_BASE + (i) * IVGPU_REGS_WINDOW_STRIDE)

#define IVGPU_WIN_BANK			0x00	/* u64: VRAM offset shown, or IVGPU_BANK_NONE */
#define IVGPU_WIN_BANK_REQ		0x08	/* u64: requested offset (driver) */
#define IVGPU_WIN_REQ_SEQ		0x10	/* u32: request sequence (driver) */
#define IVGPU_WIN_ACK_SEQ		0x14	/* u32: last request served (device) */
#define IVGPU_WIN_STATUS		0x18	/* u32: IVGPU_BANK_* of that request */
#define IVGPU_WIN_SWITCHES		0x20	/* u64: switches of this window */
#define IVGPU_WIN_BYTES_WRITTEN		0x28	/* u64: bytes written back to VRAM */
#define IVGPU_WIN_BYTES_LOADED		0x30	/* u64: bytes loaded from VRAM */
#define IVGPU_WIN_REFUSED		0x38	/* u64: requests refused */

/* BANK and BANK_REQ: the window shows no VRAM (reads all ones). */
#define IVGPU_BANK_NONE			0xffffffffffffffffull

/* IVGPU_WIN_STATUS values. */
#define IVGPU_BANK_OK			0	/* switched */
#define IVGPU_BANK_ERR_ALIGN		1	/* not a multiple of BANK_GRANULE */
#define IVGPU_BANK_ERR_RANGE		2	/* at or beyond the end of VRAM */
#define IVGPU_BANK_ERR_OVERLAP		3	/* another window shows part of it */

/*
 * Co-processor (0x2000 - 0x20ff), both BAR configurations.  It executes
 * commands of IVGPU_CMD_SIZE bytes from a ring in VRAM and sees all of
 * VRAM directly (bytes a window shows are read and written in the window,
 * so the CPU's view and the engine's agree).
 *
 * Start and reset: the driver writes RING_BASE and RING_SIZE, then
 * (write barrier) RESET_REQ_SEQ = RESET_ACK_SEQ + 1, and rings
 * IVGPU_DB_RESET.  The device stops the engine (ending a STALL or HANG),
 * drops every command not yet executed (HEAD = TAIL), latches BASE and SIZE,
 * sets RING_STATUS, then RESET_ACK_SEQ = RESET_REQ_SEQ, then raises
 * IVGPU_IRQ_RING.  BASE must be a multiple of 4 KiB, SIZE a power of two
 * from 4 KiB to 16 MiB, the ring inside VRAM; otherwise the status is
 * IVGPU_RING_ERROR and IVGPU_ERROR_RING_CONFIG is raised.  TAIL must be a
 * command position of the new ring (IVGPU_ERROR_RING_TAIL otherwise; to
 * start afresh, write TAIL = 0 with BASE and SIZE).  After a failed reset
 * HEAD = 0; the reset is acknowledged all the same.
 * Submission: the driver writes commands at TAIL (byte offset in the ring,
 * wrapping at SIZE), then (write barrier) TAIL = the offset after them, and
 * rings IVGPU_DB_RING.  The engine executes from HEAD up to TAIL, advancing
 * HEAD (written by the device only) after each command.  The ring is empty
 * when HEAD == TAIL, so it holds at most SIZE / IVGPU_CMD_SIZE - 1 commands.
 * A FENCE writes its sequence number to FENCE_SEQ and raises IVGPU_IRQ_RING.
 * A bad command stops the engine at it (HEAD names it; IVGPU_RING_ERROR)
 * and raises IVGPU_IRQ_ERROR with ERROR_ARG = HEAD; only a reset restarts.
 */
#define IVGPU_REGS_RING_BASE		0x2000	/* co-processor block */
#define IVGPU_REG_RING_BASE		0x2000	/* u64: VRAM offset of the ring (driver) */
#define IVGPU_REG_RING_SIZE		0x2008	/* u32: bytes of the ring (driver) */
#define IVGPU_REG_RING_STATUS		0x200c	/* u32: IVGPU_RING_* (device) */
#define IVGPU_REG_RING_HEAD		0x2010	/* u32: next command to execute (device) */
#define IVGPU_REG_RING_TAIL		0x2014	/* u32: end of the commands written (driver) */
#define IVGPU_REG_FENCE_SEQ		0x2018	/* u64: last FENCE executed (device) */
#define IVGPU_REG_RESET_REQ_SEQ		0x2020	/* u32: reset request sequence (driver) */
#define IVGPU_REG_RESET_ACK_SEQ		0x2024	/* u32: last reset served (device) */
#define IVGPU_REG_RING_CMDS		0x2028	/* u64: commands executed since start */
#define IVGPU_REG_RING_BYTES		0x2030	/* u64: VRAM bytes written by commands */
#define IVGPU_REG_RING_BUSY_NS		0x2038	/* u64: nanoseconds spent executing */
#define IVGPU_REG_RING_RESETS		0x2040	/* u64: resets served */
#define IVGPU_REG_RING_IRQS		0x2048	/* u64: IVGPU_IRQ_RING raised */

/* IVGPU_REG_RING_STATUS values. */
#define IVGPU_RING_STOPPED		0	/* never reset: no ring configured */
#define IVGPU_RING_IDLE			1	/* HEAD == TAIL */
#define IVGPU_RING_BUSY			2	/* executing (a STALL included) */
#define IVGPU_RING_HUNG			3	/* executing a HANG: waits for a reset */
#define IVGPU_RING_ERROR		4	/* stopped at a bad command: waits for a reset */

#define IVGPU_RING_SIZE_MIN		0x1000u
#define IVGPU_RING_SIZE_MAX		0x1000000u
#define IVGPU_RING_ALIGN		0x1000ull

/*
 * Commands: IVGPU_CMD_SIZE bytes, little-endian, at offsets in the ring that
 * are multiples of IVGPU_CMD_SIZE:
 *	u32 opcode; u32 flags; u64 arg[7];
 * Addresses are VRAM offsets; a range of zero bytes does nothing and is
 * valid anywhere.  Arguments a command does not use are ignored; flags it
 * does not define are an error.  A command is checked in this order:
 * opcode, flags, other arguments (IVGPU_ERROR_CMD_ARG), ranges.
 *	NOP
 *	FILL	arg0 dst, arg1 length, arg2 pattern: byte k of the range is
 *		byte k % 4 of the little-endian 32-bit pattern
 *	COPY	arg0 dst, arg1 src, arg2 length; overlapping ranges copy as
 *		if through a temporary buffer
 *	CRC32	arg0 src, arg1 length, arg2 result (4 bytes, 4-aligned): the
 *		CRC-32 (as IVGPU_CHECK_CRC32_POLY) of the range is written
 *		there, little-endian; with IVGPU_CMD_F_CRC_CONTINUE the
 *		computation continues from the CRC-32 found at the result, so a
 *		range split into parts gives the CRC-32 of the whole
 *	BLIT	arg0 dst, arg1 src, arg2 dst pitch, arg3 src pitch, arg4 width
 *		in bytes, arg5 height in rows: row r copies width bytes from
 *		src + r * src pitch to dst + r * dst pitch; overlap as for COPY;
 *		with more than one row, both pitches must be at least the
 *		width (rows of one rectangle do not overlap)
 *	FENCE	arg0 sequence number: FENCE_SEQ = arg0, then IVGPU_IRQ_RING;
 *		with IVGPU_CMD_F_FENCE_WRITE also the 8 bytes at arg1
 *		(8-aligned) first
 *	STALL	arg0 nanoseconds, at most IVGPU_CMD_STALL_MAX_NS (a test hook)
 *	HANG	never completes; only a reset ends it (a test hook)
 */
#define IVGPU_CMD_SIZE			64u
#define IVGPU_CMD_NOP			0
#define IVGPU_CMD_FILL			1
#define IVGPU_CMD_COPY			2
#define IVGPU_CMD_CRC32			3
#define IVGPU_CMD_BLIT			4
#define IVGPU_CMD_FENCE			5
#define IVGPU_CMD_STALL			6
#define IVGPU_CMD_HANG			7

#define IVGPU_CMD_F_CRC_CONTINUE	0x1u	/* CRC32: continue from the result */
#define IVGPU_CMD_F_FENCE_WRITE		0x1u	/* FENCE: also write arg0 to arg1 */

#define IVGPU_CMD_STALL_MAX_NS		10000000000ull	/* 10 s */

/* Reserved for later parts of the contract; the device keeps them zero. */
#define IVGPU_REGS_SCANOUT_BASE		0x3000	/* scanout */

/*
 * VRAM check, the test oracle (0x4000 - 0x40ff), in both BAR configurations.
 * The driver (or a test) writes OFFSET, LENGTH, KIND, FLAGS, SEED and
 * PATTERN_POS, then (write barrier) REQ_SEQ = ACK_SEQ + 1, and rings
 * IVGPU_DB_BANK; the device writes the results, then ACK_SEQ = REQ_SEQ, then
 * raises IVGPU_IRQ_BANK.  Bytes a window shows are read from the window
 * unless IVGPU_CHECK_F_VRAM_ONLY is set.
 */
#define IVGPU_REGS_ORACLE_BASE		0x4000
#define IVGPU_REG_CHECK_OFFSET		0x4000	/* u64: first VRAM byte */
#define IVGPU_REG_CHECK_LENGTH		0x4008	/* u64: bytes */
#define IVGPU_REG_CHECK_KIND		0x4010	/* u32: IVGPU_CHECK_KIND_* */
#define IVGPU_REG_CHECK_FLAGS		0x4014	/* u32: IVGPU_CHECK_F_* */
#define IVGPU_REG_CHECK_SEED		0x4018	/* u64: pattern seed, or the fill byte */
#define IVGPU_REG_CHECK_PATTERN_POS	0x4020	/* u64: pattern position of the first byte */
#define IVGPU_REG_CHECK_REQ_SEQ		0x4028	/* u32: request sequence (driver) */
#define IVGPU_REG_CHECK_ACK_SEQ		0x402c	/* u32: last request served (device) */
#define IVGPU_REG_CHECK_STATUS		0x4030	/* u32: IVGPU_CHECK_* result */
#define IVGPU_REG_CHECK_CRC32		0x4034	/* u32: CRC-32 of the range */
#define IVGPU_REG_CHECK_MISMATCH_OFFSET	0x4038	/* u64: VRAM offset of the first mismatch */
#define IVGPU_REG_CHECK_MISMATCHES	0x4040	/* u64: bytes that differ */
#define IVGPU_REG_CHECK_GOT		0x4048	/* u32: byte found at the first mismatch */
#define IVGPU_REG_CHECK_EXPECTED	0x404c	/* u32: byte expected there */
#define IVGPU_REG_CHECK_FROM_WINDOWS	0x4050	/* u64: bytes of the range read from windows */
#define IVGPU_REG_CHECK_COUNT		0x4058	/* u64: checks served since start */

/* IVGPU_REG_CHECK_KIND values. */
#define IVGPU_CHECK_KIND_CRC32		0	/* only compute the CRC-32 */
#define IVGPU_CHECK_KIND_FILL		1	/* every byte equals SEED & 0xff */
#define IVGPU_CHECK_KIND_PATTERN	2	/* bytes follow the pattern (below) */

/* IVGPU_REG_CHECK_FLAGS bits. */
#define IVGPU_CHECK_F_VRAM_ONLY		0x1	/* ignore the windows: VRAM as written back */

/* IVGPU_REG_CHECK_STATUS values. */
#define IVGPU_CHECK_OK			0	/* CRC-32 computed; no byte differs */
#define IVGPU_CHECK_MISMATCH		1	/* some byte differs, see MISMATCH_* */
#define IVGPU_CHECK_ERR_RANGE		2	/* range runs past the end of VRAM */
#define IVGPU_CHECK_ERR_KIND		3	/* unknown KIND */
#define IVGPU_CHECK_ERR_FLAGS		4	/* unknown FLAGS bit */

/* MISMATCH_OFFSET when no byte differs. */
#define IVGPU_CHECK_NO_MISMATCH		0xffffffffffffffffull

/*
 * CRC-32 of the check: the reflected IEEE 802.3 polynomial, initial value
 * and final XOR all ones (zlib's crc32(); the kernel's crc32_le(~0, ...) ^ ~0).
 */
#define IVGPU_CHECK_CRC32_POLY		0xedb88320u

/*
 * The check pattern is a stream of little-endian 64-bit words; byte p of
 * the stream is byte (p % 8) of word p / 8, and word i with seed s is
 *	x = s + (i + 1) * GAMMA
 *	x = (x ^ (x >> 30)) * MUL1
 *	x = (x ^ (x >> 27)) * MUL2
 *	word = x ^ (x >> 31)
 * (64-bit arithmetic, wrapping).  Byte k of a checked range is compared with
 * byte PATTERN_POS + k of the stream.
 */
#define IVGPU_PATTERN_GAMMA		0x9e3779b97f4a7c15ull
#define IVGPU_PATTERN_MUL1		0xbf58476d1ce4e5b9ull
#define IVGPU_PATTERN_MUL2		0x94d049bb133111ebull

/* Doorbell vectors: guest to device (the device peer's eventfds). */
#define IVGPU_DB_PING			0
#define IVGPU_DB_BANK			1	/* serve window and check requests */
#define IVGPU_DB_RING			2	/* TAIL moved: execute */
#define IVGPU_DB_RESET			3	/* reset the engine (see above) */

/* MSI-X vectors: device to guest. */
#define IVGPU_IRQ_PING			0
#define IVGPU_IRQ_BANK			1	/* window or check request served */
#define IVGPU_IRQ_RING			2	/* a FENCE executed, or a reset served */
#define IVGPU_IRQ_ERROR			3

/* Vectors per peer; QEMU must be started with vectors=IVGPU_NUM_VECTORS. */
#define IVGPU_NUM_VECTORS		4

/* Where VRAM starts in BAR2 in the large-BAR configuration. */
#define IVGPU_LARGE_BAR_VRAM_OFFSET	0x200000ull

/* Small-BAR limits. */
#define IVGPU_WINDOW_SIZE_MIN		0x10000ull	/* 64 KiB */
#define IVGPU_BANK_GRANULE_MIN		0x1000ull	/* 4 KiB */

#endif /* _IVGPU_REGS_H_ */
