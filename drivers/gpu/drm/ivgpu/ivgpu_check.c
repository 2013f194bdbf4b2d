// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu VRAM check: ask the device what is in an object's VRAM.
 *
 * The device sees VRAM directly in both BAR configurations, so its check
 * (registers from IVGPU_REGS_ORACLE_BASE, see docs/device.md) is a test
 * oracle that does not trust the driver's CPU paths: it compares VRAM with
 * a fill byte or the register contract's pattern stream.  By default it
 * reads the bytes a window shows from the window, as the CPU would see
 * them; IVGPU_CHECK_F_VRAM_ONLY reads what has been written back.
 *
 * An object is checked extent by extent, each with the pattern position of
 * its first byte in the object, so a scattered object checks as one range.
 * Only debugfs ivgpu_vram_check uses it.
 */

#include <linux/dma-resv.h>
#include <linux/jiffies.h>
#include <linux/wait.h>

#include <drm/drm_drv.h>
#include <drm/drm_print.h>

#include "ivgpu_drv.h"

/* The device checks about 1.6 ms per MiB that matches, 15 ms per MiB that does not. */
#define IVGPU_CHECK_TIMEOUT_MS(bytes)	(2000 + 50 * ((bytes) >> 20))

static bool ivgpu_check_acked(struct ivgpu_device *ivgpu, u32 seq)
{
	return ivgpu_rd32(ivgpu, IVGPU_REG_CHECK_ACK_SEQ) == seq;
}

/* One device check of [start, start + size) of VRAM; the mailbox lock is held. */
static int ivgpu_check_range(struct ivgpu_device *ivgpu, u64 start, u64 size, u32 kind,
			     u64 seed, u64 pos, u32 flags)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(IVGPU_CHECK_TIMEOUT_MS(size));
	u32 seq = ivgpu_rd32(ivgpu, IVGPU_REG_CHECK_ACK_SEQ) + 1;

	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_OFFSET, lower_32_bits(start));
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_OFFSET + 4, upper_32_bits(start));
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_LENGTH, lower_32_bits(size));
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_LENGTH + 4, upper_32_bits(size));
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_KIND, kind);
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_FLAGS, flags);
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_SEED, lower_32_bits(seed));
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_SEED + 4, upper_32_bits(seed));
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_PATTERN_POS, lower_32_bits(pos));
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_PATTERN_POS + 4, upper_32_bits(pos));
	/* The arguments, and our stores into windows, before the request... */
	wmb();
	ivgpu_wr32(ivgpu, IVGPU_REG_CHECK_REQ_SEQ, seq);
	/* ...and the request before the doorbell. */
	wmb();
	ivgpu_doorbell(ivgpu, IVGPU_DB_BANK);

	while (!ivgpu_check_acked(ivgpu, seq)) {
		if (time_after(jiffies, deadline))
			return ivgpu_check_acked(ivgpu, seq) ? 0 : -ETIMEDOUT;
		wait_event_timeout(ivgpu->windows.ack_wq, ivgpu_check_acked(ivgpu, seq),
				   msecs_to_jiffies(10));
	}
	/* The acknowledgment before the results. */
	rmb();
	return 0;
}

/**
 * ivgpu_check_bo - have the device check an object's VRAM
 * @bo: the object; the caller holds a reference and no BO lock
 * @kind: IVGPU_CHECK_KIND_*
 * @seed: pattern seed, or the fill byte
 * @flags: IVGPU_CHECK_F_*
 * @res: the result
 *
 * Return: 0 with @res filled (a mismatch is a result, not an error),
 * -ENODEV after unplug, -EINTR, or -ETIMEDOUT when the device does not
 * answer.
 */
int ivgpu_check_bo(struct ivgpu_bo *bo, u32 kind, u64 seed, u32 flags,
		   struct ivgpu_check_result *res)
{
	struct ivgpu_device *ivgpu = ivgpu_of_bo(bo);
	const struct ivgpu_vram_res *vram;
	unsigned int i;
	int ret;
	int idx;

	memset(res, 0, sizeof(*res));
	res->first_mismatch = IVGPU_CHECK_NO_MISMATCH;
	if (!drm_dev_enter(&ivgpu->drm, &idx))
		return -ENODEV;
	ret = dma_resv_lock_interruptible(bo->base.resv, NULL);
	if (ret)
		goto out_exit;
	mutex_lock(&ivgpu->check.mailbox);

	vram = bo->vram;
	for (i = 0; i < vram->num_extents; i++) {
		const struct ivgpu_vram_extent *ext = &vram->extents[i];
		u32 status;
		u64 n;

		ret = ivgpu_check_range(ivgpu, ext->start, ext->size, kind, seed, ext->offset,
					flags);
		if (ret)
			break;
		res->extents++;
		status = ivgpu_rd32(ivgpu, IVGPU_REG_CHECK_STATUS);
		if (status > IVGPU_CHECK_MISMATCH) {
			res->status = status;
			break;
		}
		res->from_windows += ivgpu_rd64(ivgpu, IVGPU_REG_CHECK_FROM_WINDOWS);
		if (vram->num_extents == 1)
			res->crc32 = ivgpu_rd32(ivgpu, IVGPU_REG_CHECK_CRC32);
		if (status != IVGPU_CHECK_MISMATCH)
			continue;
		n = ivgpu_rd64(ivgpu, IVGPU_REG_CHECK_MISMATCHES);
		if (!res->mismatches)
			res->first_mismatch = ext->offset +
				ivgpu_rd64(ivgpu, IVGPU_REG_CHECK_MISMATCH_OFFSET) - ext->start;
		res->mismatches += n;
		res->status = IVGPU_CHECK_MISMATCH;
	}

	mutex_unlock(&ivgpu->check.mailbox);
	dma_resv_unlock(bo->base.resv);
out_exit:
	drm_dev_exit(idx);
	return ret;
}
