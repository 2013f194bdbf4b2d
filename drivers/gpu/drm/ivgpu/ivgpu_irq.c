// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu interrupts: MSI-X vectors, their handlers, and the doorbell/interrupt
 * round trip ("ping") that proves both directions of notification work.
 *
 * Lifetime: the vectors and their handlers are device-managed and were set
 * up after the DRM device was allocated and after the registers were mapped,
 * so on removal devres frees the handlers first (free_irq() waits for a
 * running handler), then the vectors, then drops the DRM device reference,
 * and only then unmaps the registers.  A handler therefore never sees freed
 * state or an unmapped register.
 */

#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/wait.h>

#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "ivgpu_drv.h"

static irqreturn_t ivgpu_irq_ping(int irq, void *arg)
{
	struct ivgpu_irq_vector *vec = arg;
	struct ivgpu_device *ivgpu = vec->ivgpu;
	struct ivgpu_ping *ping = &ivgpu->ping;
	ktime_t now = ktime_get();
	u32 pong;

	atomic64_inc(&vec->count);

	/*
	 * The device wrote PONG_SEQ before it signalled the interrupt we are
	 * handling, and this uncached read cannot be satisfied before it.
	 */
	pong = ivgpu_rd32(ivgpu, IVGPU_REG_PONG_SEQ);

	spin_lock(&ping->pong_lock);
	ping->pong = pong;
	ping->pong_time = now;
	spin_unlock(&ping->pong_lock);

	wake_up(&ping->wq);
	return IRQ_HANDLED;
}

static const char *ivgpu_error_name(u32 code)
{
	switch (code) {
	case IVGPU_ERROR_NONE:
		return "none";
	case IVGPU_ERROR_BAD_DOORBELL:
		return "unknown doorbell vector";
	case IVGPU_ERROR_CMD_OPCODE:
		return "co-processor: unknown opcode";
	case IVGPU_ERROR_CMD_FLAGS:
		return "co-processor: bad flags";
	case IVGPU_ERROR_CMD_RANGE:
		return "co-processor: address outside VRAM";
	case IVGPU_ERROR_CMD_ARG:
		return "co-processor: bad argument";
	case IVGPU_ERROR_RING_CONFIG:
		return "co-processor: bad ring";
	case IVGPU_ERROR_RING_TAIL:
		return "co-processor: bad tail";
	default:
		return "unknown error";
	}
}

static irqreturn_t ivgpu_irq_error(int irq, void *arg)
{
	struct ivgpu_irq_vector *vec = arg;
	struct ivgpu_device *ivgpu = vec->ivgpu;
	u32 code, count;
	u64 err_arg;

	atomic64_inc(&vec->count);

	code = ivgpu_rd32(ivgpu, IVGPU_REG_ERROR_CODE);
	err_arg = ivgpu_rd64(ivgpu, IVGPU_REG_ERROR_ARG);
	count = ivgpu_rd32(ivgpu, IVGPU_REG_ERROR_COUNT);

	spin_lock(&ivgpu->irq.error_lock);
	ivgpu->irq.errors++;
	ivgpu->irq.last_error_code = code;
	ivgpu->irq.last_error_arg = err_arg;
	spin_unlock(&ivgpu->irq.error_lock);

	drm_err_ratelimited(&ivgpu->drm, "device error %u (%s), argument 0x%llx, %u errors so far\n",
			    code, ivgpu_error_name(code), err_arg, count);
	/* The engine stopped: the ring's timeout handler resets it now. */
	if (code >= IVGPU_ERROR_CMD_OPCODE && code <= IVGPU_ERROR_RING_TAIL)
		ivgpu_ring_error(ivgpu, code, err_arg);
	return IRQ_HANDLED;
}

static irqreturn_t ivgpu_irq_bank(int irq, void *arg)
{
	struct ivgpu_irq_vector *vec = arg;

	atomic64_inc(&vec->count);
	ivgpu_window_irq(vec->ivgpu);
	return IRQ_HANDLED;
}

static irqreturn_t ivgpu_irq_ring(int irq, void *arg)
{
	struct ivgpu_irq_vector *vec = arg;

	atomic64_inc(&vec->count);
	ivgpu_ring_irq(vec->ivgpu);
	return IRQ_HANDLED;
}

static const struct {
	const char *name;
	irq_handler_t handler;
} ivgpu_irq_desc[IVGPU_NUM_VECTORS] = {
	[IVGPU_IRQ_PING] = { "ping", ivgpu_irq_ping },
	[IVGPU_IRQ_BANK] = { "bank", ivgpu_irq_bank },
	[IVGPU_IRQ_RING] = { "ring", ivgpu_irq_ring },
	[IVGPU_IRQ_ERROR] = { "error", ivgpu_irq_error },
};

static int ivgpu_ping_init(struct ivgpu_device *ivgpu)
{
	struct ivgpu_ping *ping = &ivgpu->ping;
	int ret;

	ret = drmm_mutex_init(&ivgpu->drm, &ping->lock);
	if (ret)
		return ret;
	spin_lock_init(&ping->pong_lock);
	init_waitqueue_head(&ping->wq);
	atomic64_set(&ping->completed, 0);

	/*
	 * The device keeps its registers across driver loads: continue the
	 * sequence where the last driver left it, so that a stale PONG_SEQ
	 * can never look like the answer to a new ping.
	 */
	ping->seq = ivgpu_rd32(ivgpu, IVGPU_REG_PING_SEQ);
	ping->pong = ivgpu_rd32(ivgpu, IVGPU_REG_PONG_SEQ);
	return 0;
}

/**
 * ivgpu_irq_init - set up MSI-X and the interrupt handlers
 * @ivgpu: the device, configuration read and validated
 *
 * Allocates exactly IVGPU_NUM_VECTORS MSI-X vectors and requests a handler
 * for each.  Everything is device-managed: pci_alloc_irq_vectors() on a
 * device enabled with pcim_enable_device() registers its own release.
 *
 * Return: 0 on success, a negative errno on failure.
 */
int ivgpu_irq_init(struct ivgpu_device *ivgpu)
{
	struct pci_dev *pdev = ivgpu->pdev;
	struct drm_device *drm = &ivgpu->drm;
	unsigned int i;
	int ret;

	spin_lock_init(&ivgpu->irq.error_lock);
	ret = ivgpu_ping_init(ivgpu);
	if (ret)
		return ret;

	ret = pci_alloc_irq_vectors(pdev, IVGPU_NUM_VECTORS, IVGPU_NUM_VECTORS, PCI_IRQ_MSIX);
	if (ret < 0) {
		drm_err(drm, "cannot allocate %d MSI-X vectors (%d): is the ivshmem device set up with vectors=%d?\n",
			IVGPU_NUM_VECTORS, ret, IVGPU_NUM_VECTORS);
		return ret;
	}

	for (i = 0; i < IVGPU_NUM_VECTORS; i++) {
		struct ivgpu_irq_vector *vec = &ivgpu->irq.vec[i];
		const char *name;

		vec->ivgpu = ivgpu;
		vec->name = ivgpu_irq_desc[i].name;
		vec->index = i;
		atomic64_set(&vec->count, 0);
		vec->irq = pci_irq_vector(pdev, i);
		if (vec->irq < 0)
			return vec->irq;

		name = devm_kasprintf(&pdev->dev, GFP_KERNEL, "%s-%s@%s", IVGPU_DRIVER_NAME,
				      vec->name, pci_name(pdev));
		if (!name)
			return -ENOMEM;

		ret = devm_request_irq(&pdev->dev, vec->irq, ivgpu_irq_desc[i].handler, 0,
				       name, vec);
		if (ret) {
			drm_err(drm, "cannot request the %s interrupt (%d)\n", vec->name, ret);
			return ret;
		}
	}
	return 0;
}

static u32 ivgpu_ping_next_seq(struct ivgpu_device *ivgpu)
{
	u32 seq = ivgpu->ping.seq + 1;

	/* Never reuse what PONG_SEQ already holds. */
	if (seq == ivgpu_rd32(ivgpu, IVGPU_REG_PONG_SEQ))
		seq++;
	ivgpu->ping.seq = seq;
	return seq;
}

static bool ivgpu_ping_answered(struct ivgpu_ping *ping, u32 seq)
{
	return READ_ONCE(ping->pong) == seq;
}

/**
 * ivgpu_ping - make an interrupt round trip through the device
 * @ivgpu: the device
 * @attempts: round trips to try, each with a fresh sequence number, before
 *	giving up; at least one is made
 * @seq: set to the sequence number of the round trip that completed
 * @latency_ns: set to the time from ringing the doorbell to the interrupt
 *
 * Writes a fresh sequence number to PING_SEQ, rings IVGPU_DB_PING and waits
 * up to the ping_timeout_ms module parameter for the ping handler to see it
 * in PONG_SEQ.  Concurrent callers are serialized.  Sleeps; the caller must
 * keep the registers mapped (probe, or inside drm_dev_enter()).
 *
 * Return: 0 on success, -ETIMEDOUT if no attempt was answered, -EINTR if a
 * fatal signal interrupted the wait.
 */
int ivgpu_ping(struct ivgpu_device *ivgpu, unsigned int attempts,
	       u32 *seq, u64 *latency_ns)
{
	struct ivgpu_ping *ping = &ivgpu->ping;
	unsigned int timeout_ms, i;
	int ret = -ETIMEDOUT;

	timeout_ms = clamp(READ_ONCE(ivgpu_modparams.ping_timeout_ms), 1u,
			   IVGPU_PING_TIMEOUT_MAX_MS);
	attempts = max(attempts, 1u);

	if (mutex_lock_killable(&ping->lock))
		return -EINTR;

	for (i = 0; i < attempts; i++) {
		u32 this_seq = ivgpu_ping_next_seq(ivgpu);
		ktime_t start, end;
		long left;

		ivgpu_wr32(ivgpu, IVGPU_REG_PING_SEQ, this_seq);
		/* The device must see PING_SEQ before it sees the doorbell. */
		wmb();
		start = ktime_get();
		ivgpu_doorbell(ivgpu, IVGPU_DB_PING);

		left = wait_event_killable_timeout(ping->wq,
						   ivgpu_ping_answered(ping, this_seq),
						   msecs_to_jiffies(timeout_ms));
		if (left < 0) {
			ret = -EINTR;
			break;
		}
		if (!left) {
			drm_dbg(&ivgpu->drm, "ping %u unanswered after %u ms (attempt %u of %u)\n",
				this_seq, timeout_ms, i + 1, attempts);
			continue;
		}

		spin_lock_irq(&ping->pong_lock);
		end = ping->pong_time;
		spin_unlock_irq(&ping->pong_lock);

		ping->last_latency_ns = ktime_to_ns(ktime_sub(end, start));
		atomic64_inc(&ping->completed);
		*seq = this_seq;
		*latency_ns = ping->last_latency_ns;
		ret = 0;
		break;
	}

	mutex_unlock(&ping->lock);
	return ret;
}
