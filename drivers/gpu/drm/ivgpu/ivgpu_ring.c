// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu co-processor: the ring, jobs, fences, timeouts and submission.
 *
 * The device executes 64-byte commands (IVGPU_CMD_*, see ivgpu_regs.h) from
 * a ring in VRAM.  The ring is allocated from the VRAM heap at probe and
 * written through the kernel's view of VRAM: a mapping of it kept for the
 * driver's life with a large BAR, banked windows pinned for each write with
 * a small one (ivgpu_window_rw()).  The device sees all of VRAM directly.
 *
 * Jobs go through the kernel's GPU scheduler (drm_sched): one entity per
 * open file, and one for the driver's own jobs (zeroing new objects, moving
 * objects).  run_job writes a job's commands and a FENCE carrying the job's
 * sequence number at the ring's tail and rings the doorbell.  The FENCE
 * raises the ring interrupt, whose handler reads FENCE_SEQ and signals the
 * hardware fence of every job up to it; the scheduler then signals the
 * job's own fence.  At most IVGPU_RING_JOBS jobs are on the ring at once,
 * each of at most &ivgpu_ring.job_cmds commands, so a job always finds
 * room: run_job never waits for the device.
 *
 * A job that runs longer than the job_timeout_ms module parameter, or
 * that the device stopped at with an error interrupt, is handled by the
 * scheduler's timeout handler: stop the scheduler, reset the engine (which
 * drops everything not yet executed), signal what the device completed,
 * give the guilty job's fences the error (-ETIMEDOUT, or -EIO after a
 * device error), and write the other jobs on the ring again, in order,
 * with their sequence numbers.  Later jobs therefore still run.
 *
 * Submission (DRM_IOCTL_IVGPU_SUBMIT): the commands are copied out of the
 * command-buffer object, every reference (handle, offset, bytes) is checked
 * against the submission's object list and the object's size, then the
 * objects are locked together and each reference is turned into VRAM
 * addresses, split where the object's VRAM is not contiguous (a CRC32 in
 * parts is chained with IVGPU_CMD_F_CRC_CONTINUE; a BLIT is cut into runs
 * of rows that each lie in one block, and a row that crosses a block is
 * copied in parts).  The job holds a reference to each object, and its
 * fence goes into each object's reservation object: a move waits for it.
 * See docs/coprocessor.md.
 *
 * Teardown: at unplug (PCI remove) the engine is reset and the fence of
 * every job on the ring is signalled with -ENODEV; run_job fails every job
 * after that.  The scheduler lives until the DRM device is released, when
 * every entity is gone and every job freed.
 */

#include <linux/bsearch.h>
#include <linux/capability.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>
#include <drm/drm_utils.h>
#include <drm/gpu_scheduler.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu_drv.h"

/* Bytes of the ring: 16384 commands. */
#define IVGPU_RING_BYTES		SZ_1M
/* Jobs on the ring at once (the scheduler's limit). */
#define IVGPU_RING_JOBS			16
/* How long a reset may take before the engine is given up. */
#define IVGPU_RING_RESET_TIMEOUT_MS	2000

/**
 * struct ivgpu_hw_cmd - a command as the device reads it from the ring
 * @opcode: IVGPU_CMD_*.
 * @flags: IVGPU_CMD_F_* of the opcode.
 * @arg: the arguments; see ivgpu_regs.h.
 */
struct ivgpu_hw_cmd {
	__le32 opcode;
	__le32 flags;
	__le64 arg[7];
};

static_assert(sizeof(struct ivgpu_hw_cmd) == IVGPU_CMD_SIZE);
static_assert(sizeof(struct drm_ivgpu_cmd) == IVGPU_CMD_SIZE);

struct ivgpu_job;

/**
 * struct ivgpu_hw_fence - the fence of one run of a job on the ring
 * @base: the fence; its lock is &ivgpu_ring.fence_lock, its sequence
 *	number the one the job's FENCE command writes.
 * @link: in &ivgpu_ring.fences while the job is on the ring.
 * @job: the job, while @link is listed.
 * @armed: @base is initialised (the job has been on the ring).
 * @resets: &ivgpu_ring.resets when the job's commands were written: a reset
 *	since then has dropped them.
 */
struct ivgpu_hw_fence {
	struct dma_fence base;
	struct list_head link;
	struct ivgpu_job *job;
	bool armed;
	u32 resets;
};

/**
 * struct ivgpu_job - a job for the co-processor
 * @base: the scheduler's job.
 * @ivgpu: the device.
 * @hw: its hardware fence, allocated with the job.
 * @cmds: the commands, VRAM addresses already, without the fence.
 * @num_cmds: entries in @cmds.
 * @bos: the objects the job holds until it is freed.
 * @num_bos: entries in @bos.
 */
struct ivgpu_job {
	struct drm_sched_job base;
	struct ivgpu_device *ivgpu;
	struct ivgpu_hw_fence *hw;
	struct ivgpu_hw_cmd *cmds;
	u32 num_cmds;
	struct drm_gem_object **bos;
	u32 num_bos;
};

static struct ivgpu_job *to_ivgpu_job(struct drm_sched_job *job)
{
	return container_of(job, struct ivgpu_job, base);
}

static struct ivgpu_device *ivgpu_of_ring(struct ivgpu_ring *ring)
{
	return container_of(ring, struct ivgpu_device, ring);
}

/* ---- hardware fences ---- */

static const char *ivgpu_hw_fence_driver_name(struct dma_fence *fence)
{
	return IVGPU_DRIVER_NAME;
}

static const char *ivgpu_hw_fence_timeline_name(struct dma_fence *fence)
{
	return "ivgpu-ring";
}

static const struct dma_fence_ops ivgpu_hw_fence_ops = {
	.get_driver_name = ivgpu_hw_fence_driver_name,
	.get_timeline_name = ivgpu_hw_fence_timeline_name,
};

/*
 * Signal the hardware fence @hw of a job on the ring, with @error if not 0
 * (the job's own fence gets it too); the fence lock is held.  The fence
 * leaves &ivgpu_ring.fences, and its list reference goes to @put.
 */
static void ivgpu_hw_fence_signal_locked(struct ivgpu_hw_fence *hw, int error,
					 struct list_head *put)
{
	if (error) {
		dma_fence_set_error(&hw->base, error);
		dma_fence_set_error(&hw->job->base.s_fence->finished, error);
	}
	list_move_tail(&hw->link, put);
	hw->job = NULL;
	dma_fence_signal_locked(&hw->base);
}

static void ivgpu_hw_fence_put_list(struct list_head *put)
{
	struct ivgpu_hw_fence *hw, *next;

	list_for_each_entry_safe(hw, next, put, link) {
		list_del_init(&hw->link);
		dma_fence_put(&hw->base);
	}
}

/* FENCE_SEQ, read until two reads agree: a torn read could run ahead. */
static u64 ivgpu_ring_read_fence_seq(struct ivgpu_device *ivgpu)
{
	u64 a = ivgpu_rd64(ivgpu, IVGPU_REG_FENCE_SEQ), b;

	while ((b = ivgpu_rd64(ivgpu, IVGPU_REG_FENCE_SEQ)) != a)
		a = b;
	return a;
}

/* Signal every hardware fence the device has passed; the fence lock is held. */
static void ivgpu_ring_retire_locked(struct ivgpu_ring *ring, u64 seq, struct list_head *put)
{
	struct ivgpu_hw_fence *hw, *next;

	list_for_each_entry_safe(hw, next, &ring->fences, link) {
		if (hw->base.seqno > seq)
			break;
		ivgpu_hw_fence_signal_locked(hw, 0, put);
		atomic64_inc(&ring->stats.fences);
	}
}

/* Signal every hardware fence on the ring with @error; the fence lock is held. */
static void ivgpu_ring_fail_all_locked(struct ivgpu_ring *ring, int error, struct list_head *put)
{
	struct ivgpu_hw_fence *hw, *next;

	list_for_each_entry_safe(hw, next, &ring->fences, link)
		ivgpu_hw_fence_signal_locked(hw, error, put);
}

/**
 * ivgpu_ring_irq - the ring interrupt: a FENCE executed, or a reset was served
 * @ivgpu: the device
 *
 * Signals the hardware fence of every job up to FENCE_SEQ and wakes a
 * reset waiting for its acknowledgment.  Hard interrupt context.
 */
void ivgpu_ring_irq(struct ivgpu_device *ivgpu)
{
	struct ivgpu_ring *ring = &ivgpu->ring;
	LIST_HEAD(put);
	u64 seq;

	if (!READ_ONCE(ring->present))
		return;

	seq = ivgpu_ring_read_fence_seq(ivgpu);
	spin_lock(&ring->fence_lock);
	ivgpu_ring_retire_locked(ring, seq, &put);
	spin_unlock(&ring->fence_lock);
	ivgpu_hw_fence_put_list(&put);

	wake_up_all(&ring->reset_wq);
}

/**
 * ivgpu_ring_error - the device reported a co-processor error
 * @ivgpu: the device
 * @code: IVGPU_ERROR_* (a command or ring error)
 * @arg: its argument: the ring position of the command, or the bad value
 *
 * The engine has stopped; the scheduler's timeout handler runs at once,
 * resets it and gives the job at fault -EIO.  Hard interrupt context.
 */
void ivgpu_ring_error(struct ivgpu_device *ivgpu, u32 code, u64 arg)
{
	struct ivgpu_ring *ring = &ivgpu->ring;

	if (!READ_ONCE(ring->present))
		return;
	spin_lock(&ring->fence_lock);
	ring->error = code;
	spin_unlock(&ring->fence_lock);
	atomic64_inc(&ring->stats.errors);
	drm_sched_fault(&ring->sched);
}

/* ---- the ring ---- */

static bool ivgpu_ring_reset_acked(struct ivgpu_device *ivgpu, u32 seq)
{
	return ivgpu_rd32(ivgpu, IVGPU_REG_RESET_ACK_SEQ) == seq;
}

/*
 * Reset the engine: stop it, drop every command not yet executed, and
 * (re)latch the ring's place.  The ring lock is held and the device is
 * not removed yet (not @dead).  The ring interrupt acknowledges the reset.
 * Return: 0, or -EIO when the device did not acknowledge or refused the
 * ring (the engine is then wedged).
 */
static int ivgpu_ring_reset_locked(struct ivgpu_ring *ring)
{
	struct ivgpu_device *ivgpu = ivgpu_of_ring(ring);
	u32 seq, status;

	lockdep_assert_held(&ring->lock);

	ivgpu_wr32(ivgpu, IVGPU_REG_RING_BASE, lower_32_bits(ring->base));
	ivgpu_wr32(ivgpu, IVGPU_REG_RING_BASE + 4, upper_32_bits(ring->base));
	ivgpu_wr32(ivgpu, IVGPU_REG_RING_SIZE, ring->size);
	seq = ivgpu_rd32(ivgpu, IVGPU_REG_RESET_ACK_SEQ) + 1;
	/* The ring's place before the request... */
	wmb();
	ivgpu_wr32(ivgpu, IVGPU_REG_RESET_REQ_SEQ, seq);
	/* ...and the request before the doorbell. */
	wmb();
	ivgpu_doorbell(ivgpu, IVGPU_DB_RESET);
	atomic64_inc(&ring->stats.resets);
	/* Whatever was on the ring is gone, acknowledged or not. */
	ring->resets++;

	if (!wait_event_timeout(ring->reset_wq, ivgpu_ring_reset_acked(ivgpu, seq),
				msecs_to_jiffies(IVGPU_RING_RESET_TIMEOUT_MS)) &&
	    !ivgpu_ring_reset_acked(ivgpu, seq)) {
		drm_err(&ivgpu->drm, "co-processor reset %u not acknowledged in %u ms: engine disabled\n",
			seq, IVGPU_RING_RESET_TIMEOUT_MS);
		ring->wedged = true;
		return -EIO;
	}
	/* The acknowledgment before the status. */
	rmb();
	status = ivgpu_rd32(ivgpu, IVGPU_REG_RING_STATUS);
	if (status != IVGPU_RING_IDLE) {
		drm_err(&ivgpu->drm, "co-processor ring at 0x%llx, %u bytes refused (status %u): engine disabled\n",
			ring->base, ring->size, status);
		ring->wedged = true;
		return -EIO;
	}
	spin_lock_irq(&ring->fence_lock);
	ring->error = 0;
	spin_unlock_irq(&ring->fence_lock);
	/* Empty now: HEAD == TAIL. */
	ring->tail = ivgpu_rd32(ivgpu, IVGPU_REG_RING_TAIL);
	return 0;
}

/* Copy @n commands to the ring at byte offset @pos (no wrap inside). */
static int ivgpu_ring_copy(struct ivgpu_ring *ring, u32 pos, const struct ivgpu_hw_cmd *cmds,
			   u32 n)
{
	struct ivgpu_device *ivgpu = ivgpu_of_ring(ring);
	u64 len = (u64)n * IVGPU_CMD_SIZE;

	if (!n)
		return 0;
	if (ring->map) {
		memcpy_toio(ring->map + pos, cmds, len);
		return 0;
	}
	/* Small BAR: through a banked window, pinned while it copies. */
	return ivgpu_window_rw(ivgpu, ring->vram, pos, (void *)cmds, len, true);
}

/*
 * Write @n commands at the tail, wrapping at the end of the ring, then move
 * TAIL past them and ring the doorbell.  The ring lock is held and the
 * device is not removed yet.
 */
static int ivgpu_ring_emit_locked(struct ivgpu_ring *ring, const struct ivgpu_hw_cmd *cmds, u32 n)
{
	struct ivgpu_device *ivgpu = ivgpu_of_ring(ring);
	u32 first = min(n, (ring->size - ring->tail) / IVGPU_CMD_SIZE);
	u32 tail;
	int ret;

	ret = ivgpu_ring_copy(ring, ring->tail, cmds, first);
	if (!ret)
		ret = ivgpu_ring_copy(ring, 0, cmds + first, n - first);
	if (ret)
		return ret;

	tail = (ring->tail + n * IVGPU_CMD_SIZE) & (ring->size - 1);
	/* The commands before the new TAIL... */
	wmb();
	ivgpu_wr32(ivgpu, IVGPU_REG_RING_TAIL, tail);
	/* ...and TAIL before the doorbell. */
	wmb();
	ivgpu_doorbell(ivgpu, IVGPU_DB_RING);
	ring->tail = tail;
	atomic64_add(n, &ring->stats.cmds);
	return 0;
}

/* The job timeout, in jiffies, from the module parameter. */
static long ivgpu_ring_timeout(void)
{
	return msecs_to_jiffies(clamp(READ_ONCE(ivgpu_modparams.job_timeout_ms), 1u,
				      IVGPU_JOB_TIMEOUT_MAX_MS));
}

static struct dma_fence *ivgpu_ring_run_job(struct drm_sched_job *sched_job)
{
	struct ivgpu_job *job = to_ivgpu_job(sched_job);
	struct ivgpu_device *ivgpu = job->ivgpu;
	struct ivgpu_ring *ring = &ivgpu->ring;
	struct ivgpu_hw_fence *hw = job->hw;
	struct ivgpu_hw_cmd *fence;
	long timeout;
	LIST_HEAD(put);
	int ret = 0;

	/*
	 * Handed back by the timeout handler: done if the device completed
	 * it, still running if no reset has dropped its commands since they
	 * were written (a timeout that came late); written again otherwise.
	 */
	if (hw->armed) {
		mutex_lock(&ring->lock);
		if (dma_fence_is_signaled(&hw->base) || hw->resets == ring->resets) {
			mutex_unlock(&ring->lock);
			return dma_fence_get(&hw->base);
		}
		mutex_unlock(&ring->lock);
	}
	/* Cancelled before it ran: nothing to do. */
	if (!hw->armed && sched_job->s_fence->finished.error)
		return NULL;

	/* A new job_timeout_ms applies from the job that starts now on. */
	timeout = ivgpu_ring_timeout();
	if (READ_ONCE(ring->sched.timeout) != timeout) {
		spin_lock(&ring->sched.job_list_lock);
		ring->sched.timeout = timeout;
		spin_unlock(&ring->sched.job_list_lock);
		drm_sched_resume_timeout(&ring->sched, timeout);
	}

	/*
	 * Not drm_dev_enter(): the device's registers stay mapped until
	 * remove() has returned, and ivgpu_ring_unplug() sets @dead under
	 * the ring lock in remove(), before drm_dev_unplug() waits for the
	 * ioctls that may be waiting for this very job.
	 */
	mutex_lock(&ring->lock);
	if (!hw->armed) {
		dma_fence_init(&hw->base, &ivgpu_hw_fence_ops, &ring->fence_lock,
			       ring->fence_context, ring->next_seq++);
		hw->armed = true;
		hw->job = job;
		/* The ring's list holds a reference until the fence signals. */
		dma_fence_get(&hw->base);
		spin_lock_irq(&ring->fence_lock);
		list_add_tail(&hw->link, &ring->fences);
		spin_unlock_irq(&ring->fence_lock);
	}

	if (ring->dead) {
		ret = -ENODEV;
	} else if (ring->wedged) {
		ret = -EIO;
	} else {
		/* The job's slots end with its FENCE. */
		fence = &job->cmds[job->num_cmds];
		memset(fence, 0, sizeof(*fence));
		fence->opcode = cpu_to_le32(IVGPU_CMD_FENCE);
		fence->arg[0] = cpu_to_le64(hw->base.seqno);
		hw->resets = ring->resets;
		ret = ivgpu_ring_emit_locked(ring, job->cmds, job->num_cmds + 1);
		if (ret)
			drm_err_ratelimited(&ivgpu->drm, "cannot write job %llu to the ring (%d)\n",
					    hw->base.seqno, ret);
	}
	if (ret) {
		spin_lock_irq(&ring->fence_lock);
		if (!dma_fence_is_signaled_locked(&hw->base))
			ivgpu_hw_fence_signal_locked(hw, ret, &put);
		spin_unlock_irq(&ring->fence_lock);
		ivgpu_hw_fence_put_list(&put);
	}
	mutex_unlock(&ring->lock);
	return dma_fence_get(&hw->base);
}

/*
 * The first job on the ring the device has not completed: the one it is
 * executing, since it runs jobs in order.  The fence lock is held.
 */
static struct ivgpu_hw_fence *ivgpu_ring_current_locked(struct ivgpu_ring *ring)
{
	return list_first_entry_or_null(&ring->fences, struct ivgpu_hw_fence, link);
}

static enum drm_gpu_sched_stat ivgpu_ring_timedout_job(struct drm_sched_job *sched_job)
{
	static DEFINE_RATELIMIT_STATE(warn_rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);
	struct ivgpu_job *job = to_ivgpu_job(sched_job);
	struct ivgpu_device *ivgpu = job->ivgpu;
	struct ivgpu_ring *ring = &ivgpu->ring;
	struct ivgpu_hw_fence *hw = job->hw, *cur;
	bool dead, reset;
	LIST_HEAD(put);
	u32 error;

	/* No job runs or completes into the scheduler while the engine resets. */
	drm_sched_stop(&ring->sched, sched_job);

	/* As run_job, this works until remove() is done with the device. */
	mutex_lock(&ring->lock);
	dead = ring->dead;
	spin_lock_irq(&ring->fence_lock);
	error = ring->error;
	/* What the device completed stays completed. */
	if (!dead && !ring->wedged)
		ivgpu_ring_retire_locked(ring, ivgpu_ring_read_fence_seq(ivgpu), &put);
	/*
	 * The scheduler blames its oldest job, which may have completed
	 * with its cleanup still to come: then nothing is stuck (the jobs
	 * after it get a full timeout of their own), and a reset would only
	 * drop the half-done work of the next one.
	 */
	reset = error || !hw->armed || !dma_fence_is_signaled_locked(&hw->base);
	spin_unlock_irq(&ring->fence_lock);

	if (reset && !dead && !ring->wedged)
		ivgpu_ring_reset_locked(ring);

	spin_lock_irq(&ring->fence_lock);
	if (dead || ring->wedged) {
		ivgpu_ring_fail_all_locked(ring, dead ? -ENODEV : -EIO, &put);
	} else if (reset) {
		/*
		 * What the device completed until the reset stopped it stays
		 * completed.  The job it was in is the guilty one, whichever
		 * the scheduler named: the jobs after it had not started and
		 * run again from their first command.
		 */
		ivgpu_ring_retire_locked(ring, ivgpu_ring_read_fence_seq(ivgpu), &put);
		cur = ivgpu_ring_current_locked(ring);
		if (cur) {
			if (__ratelimit(&warn_rs))
				drm_warn(&ivgpu->drm, "co-processor job %llu %s: engine reset\n",
					 cur->base.seqno,
					 error ? "stopped on an error" : "timed out");
			ivgpu_hw_fence_signal_locked(cur, error ? -EIO : -ETIMEDOUT, &put);
			atomic64_inc(&ring->stats.timeouts);
		}
	}
	spin_unlock_irq(&ring->fence_lock);
	mutex_unlock(&ring->lock);
	ivgpu_hw_fence_put_list(&put);

	/*
	 * drm_sched_stop() took every job's fence away: run_job() gives it
	 * back, and writes again the jobs the reset dropped, in order.
	 */
	drm_sched_resubmit_jobs(&ring->sched);
	drm_sched_start(&ring->sched, true);
	return dead ? DRM_GPU_SCHED_STAT_ENODEV : DRM_GPU_SCHED_STAT_NOMINAL;
}

static void ivgpu_job_free(struct ivgpu_job *job)
{
	struct ivgpu_ring *ring = &job->ivgpu->ring;
	unsigned long flags;
	u32 i;

	if (job->hw && job->hw->armed)
		dma_fence_put(&job->hw->base);
	else
		kfree(job->hw);
	for (i = 0; i < job->num_bos; i++)
		drm_gem_object_put(job->bos[i]);
	kvfree(job->bos);
	kvfree(job->cmds);
	kfree(job);
	/*
	 * Under the waitqueue's lock, which ivgpu_ring_fini() takes after
	 * its wait: the last job may be freed from a worker the scheduler's
	 * teardown does not wait for, and must be done with @ring first.
	 */
	spin_lock_irqsave(&ring->jobs_wq.lock, flags);
	if (atomic_dec_and_test(&ring->jobs))
		wake_up_all_locked(&ring->jobs_wq);
	spin_unlock_irqrestore(&ring->jobs_wq.lock, flags);
}

static void ivgpu_ring_free_job(struct drm_sched_job *sched_job)
{
	struct drm_sched_fence *s_fence = sched_job->s_fence;
	struct ivgpu_job *job = to_ivgpu_job(sched_job);

	/*
	 * The job's fence, which a syncobj or sync_file may keep for long,
	 * lets go of the hardware fence now: those of this module must all
	 * be gone once the last job is (their ops are the module's).
	 */
	dma_fence_put(s_fence->parent);
	s_fence->parent = NULL;
	drm_sched_job_cleanup(sched_job);
	ivgpu_job_free(job);
}

static const struct drm_sched_backend_ops ivgpu_ring_sched_ops = {
	.run_job = ivgpu_ring_run_job,
	.timedout_job = ivgpu_ring_timedout_job,
	.free_job = ivgpu_ring_free_job,
};

/*
 * A new job with room for @num_cmds commands and its fence, initialised for
 * @entity.  ivgpu_job_abort() undoes it until it is armed.
 */
static struct ivgpu_job *ivgpu_job_create(struct ivgpu_device *ivgpu,
					  struct drm_sched_entity *entity, u32 num_cmds,
					  void *owner)
{
	struct ivgpu_ring *ring = &ivgpu->ring;
	struct ivgpu_job *job;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return ERR_PTR(-ENOMEM);
	job->ivgpu = ivgpu;
	atomic_inc(&ring->jobs);

	job->hw = kzalloc(sizeof(*job->hw), GFP_KERNEL);
	job->cmds = kvmalloc_array(num_cmds + 1, sizeof(*job->cmds), GFP_KERNEL);
	if (!job->hw || !job->cmds) {
		ret = -ENOMEM;
		goto err_free_job;
	}
	INIT_LIST_HEAD(&job->hw->link);

	ret = drm_sched_job_init(&job->base, entity, owner);
	if (ret)
		goto err_free_job;
	return job;

err_free_job:
	ivgpu_job_free(job);
	return ERR_PTR(ret);
}

/* Undo ivgpu_job_create() for a job that was never armed. */
static void ivgpu_job_abort(struct ivgpu_job *job)
{
	drm_sched_job_cleanup(&job->base);
	ivgpu_job_free(job);
}

/* ---- the driver's own jobs ---- */

/* Commands of a kernel job being built. */
struct ivgpu_kjob {
	struct ivgpu_device *ivgpu;
	struct ivgpu_job *job;
	struct dma_fence *last;
	int error;
};

/* Wait for the last job queued, and keep its error. */
static void ivgpu_kjob_wait_last(struct ivgpu_kjob *k)
{
	long ret;

	if (!k->last)
		return;
	/*
	 * Uninterruptible: the VRAM must not be given back or used while the
	 * device may still write it.  The job timeout bounds the wait.
	 */
	ret = dma_fence_wait(k->last, false);
	if (!ret)
		ret = k->last->error;
	if (ret && !k->error)
		k->error = ret;
	dma_fence_put(k->last);
	k->last = NULL;
}

/*
 * Queue the job being built.  The one before it is waited for first, so
 * that an error of any of them is seen: at most two are under way.
 */
static void ivgpu_kjob_push(struct ivgpu_kjob *k)
{
	struct ivgpu_ring *ring = &k->ivgpu->ring;
	struct ivgpu_job *job = k->job;

	k->job = NULL;
	ivgpu_kjob_wait_last(k);
	if (k->error || !job->num_cmds) {
		ivgpu_job_abort(job);
		return;
	}
	mutex_lock(&ring->kernel_lock);
	drm_sched_job_arm(&job->base);
	k->last = dma_fence_get(&job->base.s_fence->finished);
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&ring->kernel_lock);
	atomic64_inc(&ring->stats.jobs);
	atomic64_inc(&ring->stats.kernel_jobs);
}

/* Room for one more command, starting a new job when the current one is full. */
static struct ivgpu_hw_cmd *ivgpu_kjob_next(struct ivgpu_kjob *k)
{
	struct ivgpu_ring *ring = &k->ivgpu->ring;
	struct ivgpu_hw_cmd *cmd;

	if (k->job && k->job->num_cmds == ring->job_cmds - 1)
		ivgpu_kjob_push(k);
	if (k->error)
		return NULL;
	if (!k->job) {
		k->job = ivgpu_job_create(k->ivgpu, &ring->kernel_entity, ring->job_cmds - 1,
					  NULL);
		if (IS_ERR(k->job)) {
			k->error = PTR_ERR(k->job);
			k->job = NULL;
			return NULL;
		}
	}
	cmd = &k->job->cmds[k->job->num_cmds++];
	memset(cmd, 0, sizeof(*cmd));
	return cmd;
}

/* Queue what is left, wait for it; 0 when every job of @k succeeded. */
static int ivgpu_kjob_finish(struct ivgpu_kjob *k)
{
	if (k->job)
		ivgpu_kjob_push(k);
	ivgpu_kjob_wait_last(k);
	return k->error;
}

static bool ivgpu_ring_usable(struct ivgpu_device *ivgpu)
{
	return ivgpu->ring.present && READ_ONCE(ivgpu_modparams.use_coproc);
}

/**
 * ivgpu_ring_clear_vram - zero an allocation with the co-processor
 * @ivgpu: the device
 * @res: a new allocation nothing else uses yet
 *
 * One FILL per extent, in as many jobs as it takes; waits for them.
 *
 * Return: 0, -EOPNOTSUPP without a co-processor (or with the use_coproc
 * module parameter off), or the error of a job that failed: the caller
 * clears with the CPU instead.
 */
int ivgpu_ring_clear_vram(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res)
{
	struct ivgpu_kjob k = { .ivgpu = ivgpu };
	struct ivgpu_hw_cmd *cmd;
	unsigned int i;
	int ret;

	if (!ivgpu_ring_usable(ivgpu))
		return -EOPNOTSUPP;
	for (i = 0; i < res->num_extents; i++) {
		cmd = ivgpu_kjob_next(&k);
		if (!cmd)
			break;
		cmd->opcode = cpu_to_le32(IVGPU_CMD_FILL);
		cmd->arg[0] = cpu_to_le64(res->extents[i].start);
		cmd->arg[1] = cpu_to_le64(res->extents[i].size);
	}
	ret = ivgpu_kjob_finish(&k);
	if (!ret)
		atomic64_inc(&ivgpu->ring.stats.clears);
	return ret;
}

/**
 * ivgpu_ring_copy_vram - copy one allocation to another with the co-processor
 * @ivgpu: the device
 * @dst: the allocation copied to
 * @src: the allocation copied from, of the same size
 *
 * One COPY per run that is contiguous in both; waits for the jobs.  The
 * caller keeps everyone else away from both (a move holds the BO lock).
 *
 * Return: 0, -EOPNOTSUPP without a co-processor (or with use_coproc off),
 * or the error of a job that failed: the caller copies with the CPU.
 */
int ivgpu_ring_copy_vram(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *dst,
			 const struct ivgpu_vram_res *src)
{
	struct ivgpu_kjob k = { .ivgpu = ivgpu };
	const struct ivgpu_vram_extent *se, *de;
	struct ivgpu_hw_cmd *cmd;
	u64 offset, n;
	int ret;

	if (!ivgpu_ring_usable(ivgpu))
		return -EOPNOTSUPP;
	for (offset = 0; offset < src->size; offset += n) {
		se = ivgpu_vram_res_find(src, offset);
		de = ivgpu_vram_res_find(dst, offset);
		if (!se || !de) {
			k.error = -EINVAL;
			break;
		}
		n = min(se->offset + se->size, de->offset + de->size) - offset;
		cmd = ivgpu_kjob_next(&k);
		if (!cmd)
			break;
		cmd->opcode = cpu_to_le32(IVGPU_CMD_COPY);
		cmd->arg[0] = cpu_to_le64(de->start + offset - de->offset);
		cmd->arg[1] = cpu_to_le64(se->start + offset - se->offset);
		cmd->arg[2] = cpu_to_le64(n);
	}
	ret = ivgpu_kjob_finish(&k);
	if (!ret)
		atomic64_inc(&ivgpu->ring.stats.copies);
	return ret;
}

/* ---- submission: checking the commands ---- */

/* One entry of a submission's object list. */
struct ivgpu_submit_ref {
	u32 handle;
	struct ivgpu_bo *bo;
};

/* A submission being checked and translated. */
struct ivgpu_submit {
	struct drm_file *file;
	/* The object list, sorted by handle. */
	struct ivgpu_submit_ref *refs;
	u32 num_refs;
	/* Its objects, each once; the references are those of @refs. */
	struct drm_gem_object **objs;
	u32 num_objs;
	/* The commands, copied out of the command buffer. */
	struct drm_ivgpu_cmd *cmds;
	u32 num_cmds;
	/*
	 * Where the translation goes: the job's commands, @cap of them with
	 * a slot for the fence after, grown as needed up to @max.
	 */
	struct ivgpu_job *job;
	struct ivgpu_hw_cmd *out;
	u32 n;
	u32 cap;
	u32 max;
};

static int ivgpu_submit_ref_cmp(const void *a, const void *b)
{
	const struct ivgpu_submit_ref *x = a, *y = b;

	return x->handle < y->handle ? -1 : x->handle > y->handle;
}

/*
 * The object a command names: in the object list, or -ENOENT when the
 * file has no such handle, -EINVAL when it has one not in the list.
 */
static int ivgpu_submit_ref(struct ivgpu_submit *s, u32 handle, struct ivgpu_bo **bo)
{
	struct ivgpu_submit_ref key = { .handle = handle }, *ref;
	struct drm_gem_object *obj;

	ref = bsearch(&key, s->refs, s->num_refs, sizeof(*ref), ivgpu_submit_ref_cmp);
	if (ref) {
		*bo = ref->bo;
		return 0;
	}
	obj = drm_gem_object_lookup(s->file, handle);
	if (!obj)
		return -ENOENT;
	drm_gem_object_put(obj);
	return -EINVAL;
}

/* Fields of struct drm_ivgpu_cmd a command uses. */
#define IVGPU_USE_DST		BIT(0)
#define IVGPU_USE_SRC		BIT(1)
#define IVGPU_USE_SIZE		BIT(2)
#define IVGPU_USE_ARG		BIT(3)
#define IVGPU_USE_PITCH		BIT(4)

static bool ivgpu_cmd_unused_zero(const struct drm_ivgpu_cmd *c, u32 use)
{
	if (!(use & IVGPU_USE_DST) && (c->dst_handle || c->dst_offset))
		return false;
	if (!(use & IVGPU_USE_SRC) && (c->src_handle || c->src_offset))
		return false;
	if (!(use & IVGPU_USE_SIZE) && c->size)
		return false;
	if (!(use & IVGPU_USE_ARG) && c->arg)
		return false;
	if (!(use & IVGPU_USE_PITCH) && (c->dst_pitch || c->src_pitch))
		return false;
	return true;
}

/* Do [a, a + alen) and [b, b + blen) overlap?  Both are inside one object. */
static bool ivgpu_ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Bytes from the first byte of a rectangle to the end of its last row. */
static int ivgpu_blit_span(u64 width, u64 height, u64 pitch, u64 *span)
{
	u64 t;

	if (!width || !height) {
		*span = 0;
		return 0;
	}
	if (check_mul_overflow(height - 1, pitch, &t) || check_add_overflow(t, width, span))
		return -EINVAL;
	return 0;
}

/**
 * ivgpu_submit_check_cmd - check one user command
 * @c: the command
 * @dst_size: bytes of the object @c->dst_handle names, if it uses one
 * @src_size: bytes of the object @c->src_handle names, if it uses one
 * @same: both name the same object
 *
 * Everything &struct drm_ivgpu_cmd requires except that the handles are
 * in the submission (the caller resolves them first).
 *
 * Return: 0 or -EINVAL.
 */
int ivgpu_submit_check_cmd(const struct drm_ivgpu_cmd *c, u64 dst_size, u64 src_size, bool same)
{
	u64 dspan, sspan;

	switch (c->opcode) {
	case IVGPU_OP_NOP:
	case IVGPU_OP_HANG:
		if (c->flags || !ivgpu_cmd_unused_zero(c, 0))
			return -EINVAL;
		return 0;
	case IVGPU_OP_STALL:
		if (c->flags || !ivgpu_cmd_unused_zero(c, IVGPU_USE_ARG) ||
		    c->arg > IVGPU_STALL_MAX_NS)
			return -EINVAL;
		return 0;
	case IVGPU_OP_FILL:
		if (c->flags || !ivgpu_cmd_unused_zero(c, IVGPU_USE_DST | IVGPU_USE_SIZE |
						       IVGPU_USE_ARG) ||
		    upper_32_bits(c->arg))
			return -EINVAL;
		return ivgpu_bo_range_check(dst_size, c->dst_offset, c->size);
	case IVGPU_OP_COPY:
		if (c->flags || !ivgpu_cmd_unused_zero(c, IVGPU_USE_DST | IVGPU_USE_SRC |
						       IVGPU_USE_SIZE))
			return -EINVAL;
		if (ivgpu_bo_range_check(dst_size, c->dst_offset, c->size) ||
		    ivgpu_bo_range_check(src_size, c->src_offset, c->size))
			return -EINVAL;
		return 0;
	case IVGPU_OP_CRC32:
		if (c->flags & ~IVGPU_CMD_CRC32_CONTINUE ||
		    !ivgpu_cmd_unused_zero(c, IVGPU_USE_DST | IVGPU_USE_SRC | IVGPU_USE_SIZE))
			return -EINVAL;
		if (!IS_ALIGNED(c->dst_offset, 4) ||
		    ivgpu_bo_range_check(dst_size, c->dst_offset, 4) ||
		    ivgpu_bo_range_check(src_size, c->src_offset, c->size))
			return -EINVAL;
		if (same && ivgpu_ranges_overlap(c->dst_offset, 4, c->src_offset, c->size))
			return -EINVAL;
		return 0;
	case IVGPU_OP_BLIT:
		if (c->flags || !ivgpu_cmd_unused_zero(c, IVGPU_USE_DST | IVGPU_USE_SRC |
						       IVGPU_USE_SIZE | IVGPU_USE_ARG |
						       IVGPU_USE_PITCH))
			return -EINVAL;
		if (c->dst_pitch < c->size || c->src_pitch < c->size)
			return -EINVAL;
		if (ivgpu_blit_span(c->size, c->arg, c->dst_pitch, &dspan) ||
		    ivgpu_blit_span(c->size, c->arg, c->src_pitch, &sspan) ||
		    ivgpu_bo_range_check(dst_size, c->dst_offset, dspan) ||
		    ivgpu_bo_range_check(src_size, c->src_offset, sspan))
			return -EINVAL;
		if (same && c->dst_pitch != c->src_pitch &&
		    ivgpu_ranges_overlap(c->dst_offset, dspan, c->src_offset, sspan))
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_submit_check_cmd);

/* Resolve and check every command; no object is locked yet. */
static int ivgpu_submit_check(struct ivgpu_submit *s)
{
	u32 i;
	int ret;

	for (i = 0; i < s->num_cmds; i++) {
		const struct drm_ivgpu_cmd *c = &s->cmds[i];
		struct ivgpu_bo *dst = NULL, *src = NULL;
		bool uses_dst = c->opcode == IVGPU_OP_FILL || c->opcode == IVGPU_OP_COPY ||
				c->opcode == IVGPU_OP_CRC32 || c->opcode == IVGPU_OP_BLIT;
		bool uses_src = uses_dst && c->opcode != IVGPU_OP_FILL;

		if (uses_dst) {
			ret = ivgpu_submit_ref(s, c->dst_handle, &dst);
			if (ret)
				return ret;
		}
		if (uses_src) {
			ret = ivgpu_submit_ref(s, c->src_handle, &src);
			if (ret)
				return ret;
		}
		ret = ivgpu_submit_check_cmd(c, dst ? dst->base.size : 0,
					     src ? src->base.size : 0, dst && dst == src);
		if (ret)
			return ret;
		/*
		 * The test hooks hold the one engine every client shares, up
		 * to a timeout and a reset each: not for everyone.
		 */
		if ((c->opcode == IVGPU_OP_STALL || c->opcode == IVGPU_OP_HANG) &&
		    !capable(CAP_SYS_ADMIN))
			return -EPERM;
	}
	return 0;
}

/* ---- submission: translating to VRAM addresses ---- */

static struct ivgpu_hw_cmd *ivgpu_xlate_next(struct ivgpu_submit *s, u32 opcode, u32 flags)
{
	struct ivgpu_hw_cmd *cmd, *out;
	u32 cap;

	if (s->n == s->cap) {
		/*
		 * Most jobs need a slot per command given: the array starts
		 * that big and doubles for the splits (a job's worth of
		 * slots up front costs a 64 KiB allocation per submission).
		 */
		if (s->cap == s->max)
			return ERR_PTR(-E2BIG);
		cap = min(s->max, 2 * s->cap);
		out = kvrealloc(s->out, (s->cap + 1) * sizeof(*out), (cap + 1) * sizeof(*out),
				GFP_KERNEL_ACCOUNT);
		if (!out)
			return ERR_PTR(-ENOMEM);
		s->out = out;
		s->job->cmds = out;
		s->cap = cap;
	}
	cmd = &s->out[s->n++];
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = cpu_to_le32(opcode);
	cmd->flags = cpu_to_le32(flags);
	return cmd;
}

/* VRAM address of byte @offset of @bo, and the bytes left in its extent. */
static u64 ivgpu_xlate_addr(const struct ivgpu_bo *bo, u64 offset, u64 *left)
{
	const struct ivgpu_vram_extent *ext = ivgpu_vram_res_find(bo->vram, offset);

	*left = ext->offset + ext->size - offset;
	return ext->start + offset - ext->offset;
}

/* Reverse the commands emitted since @from: back to front for a memmove. */
static void ivgpu_xlate_reverse(struct ivgpu_submit *s, u32 from)
{
	u32 i, j;

	/* swap() evaluates its arguments more than once. */
	for (i = from, j = s->n - 1; i < j; i++, j--)
		swap(s->out[i], s->out[j]);
}

static int ivgpu_xlate_fill(struct ivgpu_submit *s, const struct drm_ivgpu_cmd *c,
			    struct ivgpu_bo *dst)
{
	u64 done, n, left, addr;
	struct ivgpu_hw_cmd *cmd;

	for (done = 0; done < c->size; done += n) {
		addr = ivgpu_xlate_addr(dst, c->dst_offset + done, &left);
		n = min(c->size - done, left);
		cmd = ivgpu_xlate_next(s, IVGPU_CMD_FILL, 0);
		if (IS_ERR(cmd))
			return PTR_ERR(cmd);
		cmd->arg[0] = cpu_to_le64(addr);
		cmd->arg[1] = cpu_to_le64(n);
		/* Byte k of the part is byte (done + k) % 4 of the pattern. */
		cmd->arg[2] = cpu_to_le64(ror32(lower_32_bits(c->arg), 8 * (done % 4)));
	}
	return 0;
}

/* Copy [soff, soff + len) of @src to @doff of @dst, front to back, in parts. */
static int ivgpu_xlate_copy_parts(struct ivgpu_submit *s, struct ivgpu_bo *dst, u64 doff,
				  struct ivgpu_bo *src, u64 soff, u64 len)
{
	u64 done, n, dleft, sleft, daddr, saddr;
	struct ivgpu_hw_cmd *cmd;

	for (done = 0; done < len; done += n) {
		daddr = ivgpu_xlate_addr(dst, doff + done, &dleft);
		saddr = ivgpu_xlate_addr(src, soff + done, &sleft);
		n = min3(len - done, dleft, sleft);
		cmd = ivgpu_xlate_next(s, IVGPU_CMD_COPY, 0);
		if (IS_ERR(cmd))
			return PTR_ERR(cmd);
		cmd->arg[0] = cpu_to_le64(daddr);
		cmd->arg[1] = cpu_to_le64(saddr);
		cmd->arg[2] = cpu_to_le64(n);
	}
	return 0;
}

static int ivgpu_xlate_copy(struct ivgpu_submit *s, const struct drm_ivgpu_cmd *c,
			    struct ivgpu_bo *dst, struct ivgpu_bo *src)
{
	u32 from = s->n;
	int ret;

	ret = ivgpu_xlate_copy_parts(s, dst, c->dst_offset, src, c->src_offset, c->size);
	/* Within one object, a copy upwards runs its parts back to front. */
	if (!ret && dst == src && c->dst_offset > c->src_offset)
		ivgpu_xlate_reverse(s, from);
	return ret;
}

static int ivgpu_xlate_crc32(struct ivgpu_submit *s, const struct drm_ivgpu_cmd *c,
			     struct ivgpu_bo *dst, struct ivgpu_bo *src)
{
	u32 flags = c->flags & IVGPU_CMD_CRC32_CONTINUE ? IVGPU_CMD_F_CRC_CONTINUE : 0;
	u64 done, n, left, addr, result;
	struct ivgpu_hw_cmd *cmd;

	result = ivgpu_xlate_addr(dst, c->dst_offset, &left);
	if (!c->size) {
		if (flags)
			return 0;
		/* The CRC-32 of nothing is 0. */
		cmd = ivgpu_xlate_next(s, IVGPU_CMD_FILL, 0);
		if (IS_ERR(cmd))
			return PTR_ERR(cmd);
		cmd->arg[0] = cpu_to_le64(result);
		cmd->arg[1] = cpu_to_le64(4);
		return 0;
	}
	for (done = 0; done < c->size; done += n) {
		addr = ivgpu_xlate_addr(src, c->src_offset + done, &left);
		n = min(c->size - done, left);
		/* Every part after the first continues from the one before. */
		cmd = ivgpu_xlate_next(s, IVGPU_CMD_CRC32, done ? IVGPU_CMD_F_CRC_CONTINUE : flags);
		if (IS_ERR(cmd))
			return PTR_ERR(cmd);
		cmd->arg[0] = cpu_to_le64(addr);
		cmd->arg[1] = cpu_to_le64(n);
		cmd->arg[2] = cpu_to_le64(result);
	}
	return 0;
}

static int ivgpu_xlate_blit(struct ivgpu_submit *s, const struct drm_ivgpu_cmd *c,
			    struct ivgpu_bo *dst, struct ivgpu_bo *src)
{
	u64 w = c->size, h = c->arg, dp = c->dst_pitch, sp = c->src_pitch;
	u64 r, rows, doff, soff, daddr, saddr, dleft, sleft;
	struct ivgpu_hw_cmd *cmd;
	u32 from = s->n;
	int ret;

	if (!w || !h)
		return 0;
	for (r = 0; r < h; r += rows) {
		doff = c->dst_offset + r * dp;
		soff = c->src_offset + r * sp;
		daddr = ivgpu_xlate_addr(dst, doff, &dleft);
		saddr = ivgpu_xlate_addr(src, soff, &sleft);
		if (dleft < w || sleft < w) {
			/* This row crosses a block boundary: copy it in parts. */
			ret = ivgpu_xlate_copy_parts(s, dst, doff, src, soff, w);
			if (ret)
				return ret;
			rows = 1;
			continue;
		}
		/* The rows from here whose source and destination stay in their blocks. */
		rows = min3(h - r, (dleft - w) / dp + 1, (sleft - w) / sp + 1);
		cmd = ivgpu_xlate_next(s, IVGPU_CMD_BLIT, 0);
		if (IS_ERR(cmd))
			return PTR_ERR(cmd);
		cmd->arg[0] = cpu_to_le64(daddr);
		cmd->arg[1] = cpu_to_le64(saddr);
		cmd->arg[2] = cpu_to_le64(dp);
		cmd->arg[3] = cpu_to_le64(sp);
		cmd->arg[4] = cpu_to_le64(w);
		cmd->arg[5] = cpu_to_le64(rows);
	}
	/* Overlapping rectangles have equal pitches: upwards runs bottom to top. */
	if (dst == src && c->dst_offset > c->src_offset)
		ivgpu_xlate_reverse(s, from);
	return 0;
}

/* Translate every command; the objects are locked, so their VRAM stays. */
static int ivgpu_submit_translate(struct ivgpu_submit *s)
{
	struct ivgpu_hw_cmd *cmd;
	u32 i;
	int ret = 0;

	for (i = 0; i < s->num_cmds && !ret; i++) {
		const struct drm_ivgpu_cmd *c = &s->cmds[i];
		struct ivgpu_bo *dst = NULL, *src = NULL;

		/* Checked already: these resolve. */
		if (c->opcode != IVGPU_OP_NOP && c->opcode != IVGPU_OP_STALL &&
		    c->opcode != IVGPU_OP_HANG)
			ivgpu_submit_ref(s, c->dst_handle, &dst);
		if (c->opcode == IVGPU_OP_COPY || c->opcode == IVGPU_OP_CRC32 ||
		    c->opcode == IVGPU_OP_BLIT)
			ivgpu_submit_ref(s, c->src_handle, &src);

		switch (c->opcode) {
		case IVGPU_OP_NOP:
		case IVGPU_OP_HANG:
			cmd = ivgpu_xlate_next(s, c->opcode == IVGPU_OP_NOP ? IVGPU_CMD_NOP :
					       IVGPU_CMD_HANG, 0);
			ret = PTR_ERR_OR_ZERO(cmd);
			break;
		case IVGPU_OP_STALL:
			cmd = ivgpu_xlate_next(s, IVGPU_CMD_STALL, 0);
			if (!IS_ERR(cmd))
				cmd->arg[0] = cpu_to_le64(c->arg);
			ret = PTR_ERR_OR_ZERO(cmd);
			break;
		case IVGPU_OP_FILL:
			ret = ivgpu_xlate_fill(s, c, dst);
			break;
		case IVGPU_OP_COPY:
			ret = ivgpu_xlate_copy(s, c, dst, src);
			break;
		case IVGPU_OP_CRC32:
			ret = ivgpu_xlate_crc32(s, c, dst, src);
			break;
		case IVGPU_OP_BLIT:
			ret = ivgpu_xlate_blit(s, c, dst, src);
			break;
		}
	}
	return ret;
}

/* ---- submission: the ioctl ---- */

/* Look up the object list: every handle once, all known to the file. */
static int ivgpu_submit_lookup(struct ivgpu_submit *s, const struct drm_ivgpu_submit_bo *bos,
			       u32 count)
{
	u32 i;

	s->refs = kvcalloc(count, sizeof(*s->refs), GFP_KERNEL_ACCOUNT);
	if (!s->refs)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		struct ivgpu_bo *bo = ivgpu_bo_lookup(s->file, bos[i].handle);

		if (!bo)
			return -ENOENT;
		s->refs[s->num_refs].handle = bos[i].handle;
		s->refs[s->num_refs++].bo = bo;
	}
	sort(s->refs, s->num_refs, sizeof(*s->refs), ivgpu_submit_ref_cmp, NULL);
	for (i = 1; i < s->num_refs; i++)
		if (s->refs[i].handle == s->refs[i - 1].handle)
			return -EINVAL;
	return 0;
}

static void ivgpu_submit_put_refs(struct ivgpu_submit *s)
{
	u32 i;

	for (i = 0; i < s->num_refs; i++)
		if (s->refs[i].bo)
			ivgpu_bo_put(s->refs[i].bo);
	kvfree(s->refs);
}

/* Copy the commands out of the command buffer: later changes do not matter. */
static int ivgpu_submit_copy_cmds(struct ivgpu_submit *s, const struct drm_ivgpu_submit *args)
{
	struct ivgpu_bo *cmdbuf;
	int ret;

	cmdbuf = ivgpu_bo_lookup(s->file, args->cmdbuf);
	if (!cmdbuf)
		return -ENOENT;
	ret = -EINVAL;
	if (cmdbuf->kind != IVGPU_BO_CMDBUF ||
	    ivgpu_bo_range_check(cmdbuf->base.size, args->cmd_offset, args->cmd_size))
		goto out_put;
	/* Commands that emit nothing still cost a copy and a check each. */
	ret = -E2BIG;
	if (args->cmd_size / IVGPU_CMD_SIZE > s->max)
		goto out_put;

	s->num_cmds = args->cmd_size / IVGPU_CMD_SIZE;
	s->cmds = kvmalloc_array(s->num_cmds, sizeof(*s->cmds), GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!s->cmds)
		goto out_put;
	ret = ivgpu_kmap_access(cmdbuf, args->cmd_offset, s->cmds, args->cmd_size, false);
out_put:
	ivgpu_bo_put(cmdbuf);
	return ret;
}

/* Make the job wait for the fence of each in-syncobj. */
static int ivgpu_submit_in_fences(struct ivgpu_submit *s, struct ivgpu_job *job,
				  const struct drm_ivgpu_submit_syncobj *syncobjs, u32 count)
{
	struct dma_fence *fence;
	u32 i;
	int ret;

	for (i = 0; i < count; i++) {
		ret = drm_syncobj_find_fence(s->file, syncobjs[i].handle, syncobjs[i].point, 0,
					     &fence);
		if (ret)
			return ret;
		ret = drm_sched_job_add_dependency(&job->base, fence);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Lock the job's objects, wait for their earlier jobs, translate, then arm
 * and push the job with its fence in every object.  Once pushed the job may
 * run and be freed at any time: only the submission's own references (its
 * object list, @fence) are used afterwards.
 */
static int ivgpu_submit_queue(struct ivgpu_submit *s, struct ivgpu_file *ifile,
			      struct ivgpu_job *job, struct dma_fence **fence)
{
	struct ww_acquire_ctx ctx;
	u32 i;
	int ret;

	ret = drm_gem_lock_reservations(s->objs, s->num_objs, &ctx);
	if (ret)
		return ret;
	for (i = 0; i < s->num_objs; i++) {
		ret = dma_resv_reserve_fences(s->objs[i]->resv, 1);
		if (ret)
			goto out_unlock;
		ret = drm_sched_job_add_implicit_dependencies(&job->base, s->objs[i], true);
		if (ret)
			goto out_unlock;
	}

	ret = ivgpu_submit_translate(s);
	if (ret)
		goto out_unlock;
	job->num_cmds = s->n;

	mutex_lock(&ifile->submit_lock);
	drm_sched_job_arm(&job->base);
	*fence = dma_fence_get(&job->base.s_fence->finished);
	for (i = 0; i < s->num_objs; i++)
		dma_resv_add_fence(s->objs[i]->resv, *fence, DMA_RESV_USAGE_WRITE);
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&ifile->submit_lock);

out_unlock:
	drm_gem_unlock_reservations(s->objs, s->num_objs, &ctx);
	return ret;
}

/*
 * The submission's objects, each once (two handles may name one object),
 * and the job's own references to them, held until it is freed.
 */
static int ivgpu_submit_take_bos(struct ivgpu_submit *s, struct ivgpu_job *job)
{
	u32 i, j;

	s->objs = kvcalloc(s->num_refs, sizeof(*s->objs), GFP_KERNEL_ACCOUNT);
	job->bos = kvcalloc(s->num_refs, sizeof(*job->bos), GFP_KERNEL_ACCOUNT);
	if (!s->objs || !job->bos)
		return -ENOMEM;
	for (i = 0; i < s->num_refs; i++) {
		struct drm_gem_object *obj = &s->refs[i].bo->base;

		for (j = 0; j < s->num_objs && s->objs[j] != obj; j++)
			;
		if (j < s->num_objs)
			continue;
		s->objs[s->num_objs++] = obj;
		drm_gem_object_get(obj);
		job->bos[job->num_bos++] = obj;
	}
	return 0;
}

static int ivgpu_submit_check_args(const struct drm_ivgpu_submit *args)
{
	if (args->flags || args->pad)
		return -EINVAL;
	if (!args->cmd_size || !IS_ALIGNED(args->cmd_size, IVGPU_CMD_SIZE) ||
	    !IS_ALIGNED(args->cmd_offset, IVGPU_CMD_SIZE))
		return -EINVAL;
	if (args->num_bos > IVGPU_SUBMIT_MAX_BOS ||
	    args->num_in_syncobjs > IVGPU_SUBMIT_MAX_IN_SYNCOBJS)
		return -EINVAL;
	return 0;
}

/*
 * Copy an array of @count entries of @size bytes from user memory, each
 * starting with a __u32 handle and a __u32 flags that must be zero; NULL
 * for 0 entries.
 */
static_assert(offsetof(struct drm_ivgpu_submit_syncobj, flags) ==
	      offsetof(struct drm_ivgpu_submit_bo, flags));

static void *ivgpu_copy_entries(u64 uptr, u32 count, size_t size)
{
	const struct drm_ivgpu_submit_bo *head;
	void *a;
	u32 i;

	if (!count)
		return NULL;
	a = kvmalloc_array(count, size, GFP_KERNEL_ACCOUNT);
	if (!a)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(a, u64_to_user_ptr(uptr), (size_t)count * size)) {
		kvfree(a);
		return ERR_PTR(-EFAULT);
	}
	for (i = 0; i < count; i++) {
		head = a + (size_t)i * size;
		if (head->flags) {
			kvfree(a);
			return ERR_PTR(-EINVAL);
		}
	}
	return a;
}

/**
 * ivgpu_ioctl_submit - DRM_IOCTL_IVGPU_SUBMIT
 * @drm: the device
 * @data: &struct drm_ivgpu_submit
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_submit documents.
 */
int ivgpu_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct ivgpu_device *ivgpu = to_ivgpu(drm);
	struct ivgpu_ring *ring = &ivgpu->ring;
	struct drm_ivgpu_submit *args = data;
	struct ivgpu_file *ifile = file->driver_priv;
	struct ivgpu_submit s = { .file = file };
	struct drm_syncobj *out = NULL;
	struct drm_ivgpu_submit_syncobj *syncobjs = NULL;
	struct drm_ivgpu_submit_bo *bos = NULL;
	struct dma_fence *fence = NULL;
	struct ivgpu_job *job;
	int ret;
	int idx;

	ret = ivgpu_submit_check_args(args);
	if (ret)
		return ret;
	if (!ring->present || !ifile->has_entity)
		return -EOPNOTSUPP;
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	bos = ivgpu_copy_entries(args->bos, args->num_bos, sizeof(*bos));
	syncobjs = ivgpu_copy_entries(args->in_syncobjs, args->num_in_syncobjs,
				      sizeof(*syncobjs));
	if (IS_ERR(bos) || IS_ERR(syncobjs)) {
		ret = IS_ERR(bos) ? PTR_ERR(bos) : PTR_ERR(syncobjs);
		goto out_free_arrays;
	}

	s.max = ring->job_cmds - 1;
	ret = ivgpu_submit_lookup(&s, bos, args->num_bos);
	if (ret)
		goto out_put_refs;
	ret = ivgpu_submit_copy_cmds(&s, args);
	if (ret)
		goto out_put_refs;
	ret = ivgpu_submit_check(&s);
	if (ret)
		goto out_put_refs;

	if (args->out_syncobj) {
		out = drm_syncobj_find(file, args->out_syncobj);
		if (!out) {
			ret = -ENOENT;
			goto out_put_refs;
		}
	}

	/* Never more than @max: ivgpu_xlate_next() refuses past @cap. */
	s.cap = min(s.num_cmds, s.max);
	job = ivgpu_job_create(ivgpu, &ifile->entity, s.cap, ifile);
	if (IS_ERR(job)) {
		ret = PTR_ERR(job);
		goto out_put_syncobj;
	}
	s.job = job;
	s.out = job->cmds;

	ret = ivgpu_submit_take_bos(&s, job);
	if (ret)
		goto err_abort_job;
	ret = ivgpu_submit_in_fences(&s, job, syncobjs, args->num_in_syncobjs);
	if (ret)
		goto err_abort_job;
	ret = ivgpu_submit_queue(&s, ifile, job, &fence);
	if (ret)
		goto err_abort_job;

	atomic64_inc(&ring->stats.jobs);
	if (out)
		drm_syncobj_replace_fence(out, fence);
	dma_fence_put(fence);
	goto out_put_syncobj;

err_abort_job:
	ivgpu_job_abort(job);
out_put_syncobj:
	if (out)
		drm_syncobj_put(out);
out_put_refs:
	kvfree(s.objs);
	kvfree(s.cmds);
	ivgpu_submit_put_refs(&s);
out_free_arrays:
	if (!IS_ERR(syncobjs))
		kvfree(syncobjs);
	if (!IS_ERR(bos))
		kvfree(bos);
	drm_dev_exit(idx);
	return ret;
}

/**
 * ivgpu_ioctl_gem_wait - DRM_IOCTL_IVGPU_GEM_WAIT
 * @drm: the device
 * @data: &struct drm_ivgpu_gem_wait
 * @file: the caller's file
 *
 * Return: 0 or a negative errno, as &struct drm_ivgpu_gem_wait documents.
 */
int ivgpu_ioctl_gem_wait(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_ivgpu_gem_wait *args = data;
	struct ivgpu_bo *bo;
	long ret;
	int idx;

	if (args->flags)
		return -EINVAL;
	/*
	 * The wait itself needs nothing of the device: ivgpu_ring_unplug()
	 * signals every fence of the ring before removal waits for ioctls.
	 */
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	drm_dev_exit(idx);

	bo = ivgpu_bo_lookup(file, args->handle);
	if (!bo)
		return -ENOENT;
	ret = dma_resv_wait_timeout(bo->base.resv, DMA_RESV_USAGE_BOOKKEEP, true,
				    drm_timeout_abs_to_jiffies(args->timeout_ns));
	ivgpu_bo_put(bo);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIME;
}

/* ---- files ---- */

/**
 * ivgpu_ring_file_init - give a new file its scheduler entity
 * @ivgpu: the device
 * @ifile: the file's driver state
 *
 * Return: 0 or a negative errno.
 */
int ivgpu_ring_file_init(struct ivgpu_device *ivgpu, struct ivgpu_file *ifile)
{
	struct ivgpu_ring *ring = &ivgpu->ring;
	int ret;

	mutex_init(&ifile->submit_lock);
	if (!ring->present)
		return 0;
	ret = drm_sched_entity_init(&ifile->entity, DRM_SCHED_PRIORITY_NORMAL, ring->sched_list,
				    1, NULL);
	if (ret)
		return ret;
	ifile->has_entity = true;
	return 0;
}

/**
 * ivgpu_ring_file_fini - a file closes: its queued jobs run or are dropped
 * @ifile: the file's driver state
 *
 * Waits for the file's queued jobs to reach the ring (a killed process's
 * are dropped with -ESRCH); jobs on the ring complete on their own.
 */
void ivgpu_ring_file_fini(struct ivgpu_file *ifile)
{
	if (ifile->has_entity)
		drm_sched_entity_destroy(&ifile->entity);
	ifile->has_entity = false;
	mutex_destroy(&ifile->submit_lock);
}

/* ---- setup and teardown ---- */

/**
 * ivgpu_ring_unplug - the device is going: stop the engine, fail its jobs
 * @ivgpu: the device, in remove(), before drm_dev_unplug()
 *
 * Resets the engine (the registers are still mapped in remove) and signals
 * the fence of every job on the ring with -ENODEV.  Jobs that reach
 * run_job afterwards fail with -ENODEV at once.  It runs before
 * drm_dev_unplug() waits for the ioctls in progress, since some of those
 * wait for jobs (a creation for its clear, a move for its copy).
 */
void ivgpu_ring_unplug(struct ivgpu_device *ivgpu)
{
	struct ivgpu_ring *ring = &ivgpu->ring;
	LIST_HEAD(put);

	if (!ring->present)
		return;
	mutex_lock(&ring->lock);
	if (!ring->wedged)
		ivgpu_ring_reset_locked(ring);
	ring->dead = true;
	spin_lock_irq(&ring->fence_lock);
	ivgpu_ring_fail_all_locked(ring, -ENODEV, &put);
	spin_unlock_irq(&ring->fence_lock);
	mutex_unlock(&ring->lock);
	ivgpu_hw_fence_put_list(&put);
}

static void ivgpu_ring_fini(struct drm_device *drm, void *data)
{
	struct ivgpu_ring *ring = data;

	/* Every file is closed: only the driver's own entity is left. */
	drm_sched_entity_destroy(&ring->kernel_entity);
	wait_event(ring->jobs_wq, !atomic_read(&ring->jobs));
	/* The last ivgpu_job_free() has let go of the waitqueue. */
	spin_lock_irq(&ring->jobs_wq.lock);
	spin_unlock_irq(&ring->jobs_wq.lock);
	drm_sched_fini(&ring->sched);
	WRITE_ONCE(ring->present, false);
	ivgpu_vram_free(to_ivgpu(drm), ring->vram);
	ring->vram = NULL;
}

static int ivgpu_ring_map(struct ivgpu_ring *ring)
{
	struct ivgpu_device *ivgpu = ivgpu_of_ring(ring);
	phys_addr_t phys;
	int ret;

	if (!ivgpu_vram_cpu_visible(ivgpu))
		return 0;
	ret = ivgpu_vram_cpu_phys(ivgpu, ring->base, ring->size, &phys);
	if (ret)
		return ret;
	/* Device-managed: it goes with the BAR, after remove. */
	ring->map = devm_ioremap_wc(&ivgpu->pdev->dev, phys, ring->size);
	return ring->map ? 0 : -ENOMEM;
}

/**
 * ivgpu_ring_init - set up the co-processor, if the device has one
 * @ivgpu: the device, with its heap, windows and interrupts working
 *
 * Allocates the ring from the VRAM heap, resets the engine onto it and
 * starts the scheduler.  Torn down when the DRM device is released.
 *
 * Return: 0 (also without a co-processor), or a negative errno.
 */
int ivgpu_ring_init(struct ivgpu_device *ivgpu)
{
	struct drm_sched_init_args args = {
		.ops = &ivgpu_ring_sched_ops,
		.credit_limit = IVGPU_RING_JOBS,
		.timeout = ivgpu_ring_timeout(),
		.name = "ivgpu-ring",
		.dev = ivgpu->drm.dev,
	};
	struct ivgpu_ring *ring = &ivgpu->ring;
	struct drm_device *drm = &ivgpu->drm;
	int ret;

	mutex_init(&ring->lock);
	mutex_init(&ring->kernel_lock);
	spin_lock_init(&ring->fence_lock);
	INIT_LIST_HEAD(&ring->fences);
	init_waitqueue_head(&ring->reset_wq);
	init_waitqueue_head(&ring->jobs_wq);
	atomic_set(&ring->jobs, 0);
	if (!(ivgpu->config.caps & IVGPU_CAP_COPROC))
		return 0;

	ring->size = IVGPU_RING_BYTES;
	ring->job_cmds = (ring->size / IVGPU_CMD_SIZE - 1) / IVGPU_RING_JOBS;
	ring->vram = ivgpu_vram_alloc(ivgpu, ring->size, 0, true, 0);
	if (IS_ERR(ring->vram)) {
		ret = PTR_ERR(ring->vram);
		ring->vram = NULL;
		drm_err(drm, "no VRAM for the co-processor's ring (%d)\n", ret);
		return ret;
	}
	ring->base = ring->vram->extents[0].start;
	ret = ivgpu_ring_map(ring);
	if (ret)
		goto err_free_vram;

	/* Go on from the sequence numbers a previous driver left. */
	ring->next_seq = ivgpu_ring_read_fence_seq(ivgpu) + 1;
	ring->fence_context = dma_fence_context_alloc(1);

	ret = drm_sched_init(&ring->sched, &args);
	if (ret)
		goto err_free_vram;
	ring->sched_list[0] = &ring->sched;
	ret = drm_sched_entity_init(&ring->kernel_entity, DRM_SCHED_PRIORITY_KERNEL,
				    ring->sched_list, 1, NULL);
	if (ret)
		goto err_sched_fini;

	/* From here the interrupts see the ring.  Start it empty: HEAD = TAIL = 0. */
	WRITE_ONCE(ring->present, true);
	mutex_lock(&ring->lock);
	ivgpu_wr32(ivgpu, IVGPU_REG_RING_TAIL, 0);
	ret = ivgpu_ring_reset_locked(ring);
	mutex_unlock(&ring->lock);
	if (ret)
		goto err_not_present;

	return drmm_add_action_or_reset(drm, ivgpu_ring_fini, ring);

err_not_present:
	WRITE_ONCE(ring->present, false);
	drm_sched_entity_destroy(&ring->kernel_entity);
err_sched_fini:
	drm_sched_fini(&ring->sched);
err_free_vram:
	ivgpu_vram_free(ivgpu, ring->vram);
	ring->vram = NULL;
	return ret;
}

/**
 * ivgpu_ring_print - the ring's state and counters, for debugfs
 * @ivgpu: the device
 * @p: where to print
 *
 * "name value" lines.
 */
void ivgpu_ring_print(struct ivgpu_device *ivgpu, struct drm_printer *p)
{
	struct ivgpu_ring *ring = &ivgpu->ring;
	struct ivgpu_ring_stats *st = &ring->stats;
	u64 last_seq;
	int idx;

	drm_printf(p, "present %d\n", ring->present);
	if (!ring->present)
		return;
	drm_printf(p, "base %llu\n", ring->base);
	drm_printf(p, "size %u\n", ring->size);
	drm_printf(p, "max_cmds %u\n", ring->job_cmds - 1);
	drm_printf(p, "wedged %d\n", ring->wedged);
	mutex_lock(&ring->lock);
	last_seq = ring->next_seq - 1;
	mutex_unlock(&ring->lock);
	drm_printf(p, "last_seq %llu\n", last_seq);
	drm_printf(p, "in_flight %d\n", atomic_read(&ring->sched.hw_rq_count));
	drm_printf(p, "jobs %llu\n", (u64)atomic64_read(&st->jobs));
	drm_printf(p, "kernel_jobs %llu\n", (u64)atomic64_read(&st->kernel_jobs));
	drm_printf(p, "cmds %llu\n", (u64)atomic64_read(&st->cmds));
	drm_printf(p, "fences %llu\n", (u64)atomic64_read(&st->fences));
	drm_printf(p, "timeouts %llu\n", (u64)atomic64_read(&st->timeouts));
	drm_printf(p, "resets %llu\n", (u64)atomic64_read(&st->resets));
	drm_printf(p, "errors %llu\n", (u64)atomic64_read(&st->errors));
	drm_printf(p, "clears %llu\n", (u64)atomic64_read(&st->clears));
	drm_printf(p, "clears_cpu %llu\n", (u64)atomic64_read(&st->clears_cpu));
	drm_printf(p, "copies %llu\n", (u64)atomic64_read(&st->copies));
	drm_printf(p, "copies_cpu %llu\n", (u64)atomic64_read(&st->copies_cpu));
	if (!drm_dev_enter(&ivgpu->drm, &idx))
		return;
	drm_printf(p, "head %u\n", ivgpu_rd32(ivgpu, IVGPU_REG_RING_HEAD));
	drm_printf(p, "tail %u\n", ivgpu_rd32(ivgpu, IVGPU_REG_RING_TAIL));
	drm_printf(p, "status %u\n", ivgpu_rd32(ivgpu, IVGPU_REG_RING_STATUS));
	drm_printf(p, "fence_seq %llu\n", ivgpu_ring_read_fence_seq(ivgpu));
	drm_printf(p, "device_cmds %llu\n", ivgpu_rd64(ivgpu, IVGPU_REG_RING_CMDS));
	drm_printf(p, "device_bytes %llu\n", ivgpu_rd64(ivgpu, IVGPU_REG_RING_BYTES));
	drm_printf(p, "device_busy_ns %llu\n", ivgpu_rd64(ivgpu, IVGPU_REG_RING_BUSY_NS));
	drm_printf(p, "device_resets %llu\n", ivgpu_rd64(ivgpu, IVGPU_REG_RING_RESETS));
	drm_printf(p, "device_irqs %llu\n", ivgpu_rd64(ivgpu, IVGPU_REG_RING_IRQS));
	drm_dev_exit(idx);
}
