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
#define IVGPU_VERSION_MINOR		0
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
#define IVGPU_CAP_WINDOWS		0x4ull	/* banked windows switch */

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

/*
 * Reserved ranges for later parts of the contract.  Nothing is defined in
 * them yet; the device keeps them zero.
 */
#define IVGPU_REGS_WINDOW_BASE		0x1000	/* bank registers, 0x40 per window */
#define IVGPU_REGS_WINDOW_STRIDE	0x40
#define IVGPU_REGS_WINDOW_MAX		64
#define IVGPU_REGS_RING_BASE		0x2000	/* co-processor ring */
#define IVGPU_REGS_SCANOUT_BASE		0x3000	/* scanout */
#define IVGPU_REGS_ORACLE_BASE		0x4000	/* test oracle mailbox */

/* Doorbell vectors: guest to device (the device peer's eventfds). */
#define IVGPU_DB_PING			0
#define IVGPU_DB_BANK			1
#define IVGPU_DB_RING			2
#define IVGPU_DB_RESET			3

/* MSI-X vectors: device to guest. */
#define IVGPU_IRQ_PING			0
#define IVGPU_IRQ_BANK			1
#define IVGPU_IRQ_RING			2
#define IVGPU_IRQ_ERROR			3

/* Vectors per peer; QEMU must be started with vectors=IVGPU_NUM_VECTORS. */
#define IVGPU_NUM_VECTORS		4

/* Where VRAM starts in BAR2 in the large-BAR configuration. */
#define IVGPU_LARGE_BAR_VRAM_OFFSET	0x200000ull

/* Small-BAR limits. */
#define IVGPU_WINDOW_SIZE_MIN		0x10000ull	/* 64 KiB */
#define IVGPU_BANK_GRANULE_MIN		0x1000ull	/* 4 KiB */

#endif /* _IVGPU_REGS_H_ */
