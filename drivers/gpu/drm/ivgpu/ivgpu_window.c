// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu banked windows: CPU access to VRAM with a small BAR.
 *
 * With a small BAR the CPU sees VRAM only through WINDOW_COUNT windows of
 * WINDOW_SIZE bytes, each showing the VRAM range its bank register selects
 * (a multiple of BANK_GRANULE).  This file makes that look like linear
 * access to every object, for user mappings and for the kernel alike:
 *
 * - A user fault in a part of an object that no window shows picks a
 *   window (least recently used, unpinned, past its minimum residency if
 *   another task used it last), zaps every user entry that points into it
 *   (one range zap per object whose VRAM the window showed, found through
 *   a reverse map of VRAM extents), switches the bank so that the faulting
 *   address sits near the middle of the window (or just inside it, when the
 *   fault continues a sequential walk out of another window), waits for the
 *   device's acknowledgment, and inserts the entries for the whole part of
 *   the object the window shows, clamped to the VMA and to the VRAM extent.
 *   A fault into a part a window already shows only inserts entries.
 * - Kernel users (pread/pwrite, ptrace, the debugfs dump, clearing new
 *   objects, moves) pin a window for each part of a request: a request
 *   that crosses a window boundary is split, each part served by its own
 *   bank.  A pinned window never slides.
 * - A copy between objects pins one window for the input and another for
 *   the output; with one window (or when no second one can be had without
 *   waiting while holding the first) it bounces through system memory.
 *
 * Two windows never show the same VRAM byte (the device refuses it): a new
 * bank is placed clear of the others, and only when that is impossible are
 * the unpinned windows in the way detached first.
 *
 * &ivgpu_windows.lock serialises all of it and is held while user entries
 * that point into a window are inserted, so a slide (which holds it too)
 * always zaps every entry into the window before the bank changes.  Kernel
 * copies run with the lock dropped and the window pinned.  See
 * docs/windows.md.
 */

#include <linux/align.h>
#include <linux/delay.h>
#include <linux/interval_tree_generic.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/drm_vma_manager.h>

#include "ivgpu_drv.h"

#define CREATE_TRACE_POINTS
#include "ivgpu_trace.h"

/* Bytes a kernel copy between two objects moves per step through its bounce buffer. */
#define IVGPU_WINDOW_CHUNK	SZ_64K
/* Largest bounce buffer of a copy with a single window. */
#define IVGPU_WINDOW_BOUNCE_MAX	SZ_4M
/* How often a wait for an acknowledgment looks at the register, lost interrupt or not. */
#define IVGPU_WINDOW_POLL_MS	10

/* Turns of a user fault between the same two addresses before it counts as stuck. */
#define IVGPU_WINDOW_STUCK_TURNS	8

/* Don't wait for windows: return -EBUSY instead. */
#define IVGPU_WINDOW_NOWAIT	BIT(0)

static inline u64 ivgpu_ext_start(const struct ivgpu_vram_extent *ext)
{
	return ext->start;
}

static inline u64 ivgpu_ext_last(const struct ivgpu_vram_extent *ext)
{
	return ext->start + ext->size - 1;
}

INTERVAL_TREE_DEFINE(struct ivgpu_vram_extent, rb, u64, subtree_last,
		     ivgpu_ext_start, ivgpu_ext_last, static, ivgpu_rmap)

static u32 ivgpu_win_reg(const struct ivgpu_window *win, u32 reg)
{
	return IVGPU_REGS_WINDOW(win->index) + reg;
}

static u64 ivgpu_window_end(const struct ivgpu_windows *iw, const struct ivgpu_window *win)
{
	return win->bank + iw->size;
}

static bool ivgpu_window_shows(const struct ivgpu_windows *iw, const struct ivgpu_window *win,
			       u64 vram)
{
	return win->bank != IVGPU_BANK_NONE && vram >= win->bank &&
	       vram < ivgpu_window_end(iw, win);
}

/* The window that shows VRAM byte @vram, or NULL. */
static struct ivgpu_window *ivgpu_window_find_locked(struct ivgpu_windows *iw, u64 vram)
{
	unsigned int i;

	for (i = 0; i < iw->count; i++)
		if (ivgpu_window_shows(iw, &iw->win[i], vram))
			return &iw->win[i];
	return NULL;
}

/*
 * @win was just used: most recently used now.  A new user's minimum
 * residency starts; the same user sliding it again does not restart it, so
 * no task keeps a window from the others longer than the residency.
 */
static void ivgpu_window_touch_locked(struct ivgpu_windows *iw, struct ivgpu_window *win)
{
	list_move_tail(&win->lru_link, &iw->lru);
	if (win->owner != current) {
		win->owner = current;
		win->owned_since = ktime_get();
	}
}

/**
 * ivgpu_window_track - enter an object's VRAM in the windows' reverse map
 * @bo: the object, with its mmap offset made
 * @res: its VRAM (&ivgpu_bo.vram, or the new VRAM of a move under the BO lock)
 *
 * Slides find the objects whose entries they must zap through this map.
 * Nothing to do with a large BAR.
 */
void ivgpu_window_track(struct ivgpu_bo *bo, struct ivgpu_vram_res *res)
{
	struct ivgpu_windows *iw = &ivgpu_of_bo(bo)->windows;
	unsigned int i;

	if (!iw->count)
		return;
	mutex_lock(&iw->lock);
	for (i = 0; i < res->num_extents; i++) {
		res->extents[i].bo = bo;
		ivgpu_rmap_insert(&res->extents[i], &iw->rmap);
	}
	mutex_unlock(&iw->lock);
}

/**
 * ivgpu_window_untrack - take VRAM out of the windows' reverse map
 * @ivgpu: the device
 * @res: VRAM given to ivgpu_window_track() before
 *
 * Called before the VRAM is freed, and may run under mmap_lock (an
 * object's free): it takes only &ivgpu_windows.lock.
 */
void ivgpu_window_untrack(struct ivgpu_device *ivgpu, struct ivgpu_vram_res *res)
{
	struct ivgpu_windows *iw = &ivgpu->windows;
	unsigned int i;

	if (!iw->count)
		return;
	mutex_lock(&iw->lock);
	for (i = 0; i < res->num_extents; i++) {
		if (!res->extents[i].bo)
			continue;
		ivgpu_rmap_remove(&res->extents[i], &iw->rmap);
		res->extents[i].bo = NULL;
	}
	mutex_unlock(&iw->lock);
}

/* Object offsets [*first, *last] of @ext that lie in VRAM [start, last]. */
static void ivgpu_window_ext_range(const struct ivgpu_vram_extent *ext, u64 start, u64 last,
				   u64 *first, u64 *end)
{
	u64 s = max(ext->start, start), e = min(ivgpu_ext_last(ext), last);

	*first = ext->offset + (s - ext->start);
	*end = ext->offset + (e - ext->start) + 1;
}

/*
 * Remove every user entry that points into @win: one range zap of the
 * device-wide address space per object whose VRAM the window shows,
 * covering all of that object's bytes in the window.
 */
static unsigned int ivgpu_window_zap_locked(struct ivgpu_device *ivgpu, struct ivgpu_window *win)
{
	struct ivgpu_windows *iw = &ivgpu->windows;
	struct address_space *mapping = ivgpu->drm.anon_inode->i_mapping;
	struct ivgpu_vram_extent *ext, *other;
	u64 start = win->bank, last = win->bank + iw->size - 1;
	unsigned int zaps = 0;

	lockdep_assert_held(&iw->lock);
	if (win->bank == IVGPU_BANK_NONE)
		return 0;

	for (ext = ivgpu_rmap_iter_first(&iw->rmap, start, last); ext;
	     ext = ivgpu_rmap_iter_next(ext, start, last)) {
		u64 first, end, f, e;
		bool seen = false;

		/* An object with several extents here was zapped at its first. */
		for (other = ivgpu_rmap_iter_first(&iw->rmap, start, last); other != ext;
		     other = ivgpu_rmap_iter_next(other, start, last))
			if (other->bo == ext->bo) {
				seen = true;
				break;
			}
		if (seen)
			continue;

		ivgpu_window_ext_range(ext, start, last, &first, &end);
		for (other = ivgpu_rmap_iter_next(ext, start, last); other;
		     other = ivgpu_rmap_iter_next(other, start, last)) {
			if (other->bo != ext->bo)
				continue;
			ivgpu_window_ext_range(other, start, last, &f, &e);
			first = min(first, f);
			end = max(end, e);
		}

		unmap_mapping_range(mapping,
				    drm_vma_node_offset_addr(&ext->bo->base.vma_node) + first,
				    end - first, 1);
		atomic64_inc(&iw->stats.zaps);
		atomic64_add((end - first) >> PAGE_SHIFT, &iw->stats.pages_zapped);
		zaps++;
	}
	atomic64_add(win->inserted, &iw->stats.entries_zapped);
	win->inserted = 0;
	return zaps;
}

static bool ivgpu_window_acked(struct ivgpu_device *ivgpu, struct ivgpu_window *win, u32 seq)
{
	return ivgpu_rd32(ivgpu, ivgpu_win_reg(win, IVGPU_WIN_ACK_SEQ)) == seq;
}

/*
 * Wait for the device to acknowledge request @seq of @win: the bank
 * interrupt wakes the wait, and the register is looked at every
 * IVGPU_WINDOW_POLL_MS anyway, up to the bank_timeout_ms module parameter.
 */
static int ivgpu_window_wait_ack(struct ivgpu_device *ivgpu, struct ivgpu_window *win, u32 seq)
{
	unsigned int timeout_ms = clamp(READ_ONCE(ivgpu_modparams.bank_timeout_ms), 1u,
					IVGPU_BANK_TIMEOUT_MAX_MS);
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);

	while (!ivgpu_window_acked(ivgpu, win, seq)) {
		if (time_after(jiffies, deadline))
			return ivgpu_window_acked(ivgpu, win, seq) ? 0 : -ETIMEDOUT;
		wait_event_timeout(ivgpu->windows.ack_wq, ivgpu_window_acked(ivgpu, win, seq),
				   msecs_to_jiffies(IVGPU_WINDOW_POLL_MS));
	}
	return 0;
}

/*
 * Switch @win to @bank (or IVGPU_BANK_NONE) and wait for the device.  The
 * caller has zapped the user entries into the window and no kernel user
 * has it pinned.
 */
static int ivgpu_window_switch_locked(struct ivgpu_device *ivgpu, struct ivgpu_window *win,
				      u64 bank, u64 *wait_ns)
{
	struct ivgpu_windows *iw = &ivgpu->windows;
	u32 seq = win->seq + 1, status;
	ktime_t start;
	u64 ns, max;
	int ret;
	int idx;

	lockdep_assert_held(&iw->lock);
	if (!drm_dev_enter(&ivgpu->drm, &idx))
		return -ENODEV;

	/* Our stores into the window reach it before the device copies it. */
	wmb();
	ivgpu_wr32(ivgpu, ivgpu_win_reg(win, IVGPU_WIN_BANK_REQ), lower_32_bits(bank));
	ivgpu_wr32(ivgpu, ivgpu_win_reg(win, IVGPU_WIN_BANK_REQ) + 4, upper_32_bits(bank));
	/* The device reads BANK_REQ once it sees the new REQ_SEQ... */
	wmb();
	ivgpu_wr32(ivgpu, ivgpu_win_reg(win, IVGPU_WIN_REQ_SEQ), seq);
	/* ...which it looks at when the doorbell rings. */
	wmb();
	start = ktime_get();
	ivgpu_doorbell(ivgpu, IVGPU_DB_BANK);
	win->seq = seq;

	ret = ivgpu_window_wait_ack(ivgpu, win, seq);
	ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	*wait_ns = ns;
	atomic64_add(ns, &iw->stats.switch_ns);
	max = atomic64_read(&iw->stats.switch_max_ns);
	while (ns > max && !atomic64_try_cmpxchg(&iw->stats.switch_max_ns, &max, ns))
		;
	if (ret) {
		/* What the window shows is unknown until the device answers. */
		drm_err_ratelimited(&ivgpu->drm,
				    "window %u: bank switch to 0x%llx not acknowledged in %u ms\n",
				    win->index, bank, READ_ONCE(ivgpu_modparams.bank_timeout_ms));
		win->bank = IVGPU_BANK_NONE;
		atomic64_inc(&iw->stats.errors);
		goto out_exit;
	}

	/* The acknowledgment is read before the status and the window. */
	rmb();
	status = ivgpu_rd32(ivgpu, ivgpu_win_reg(win, IVGPU_WIN_STATUS));
	win->bank = ivgpu_rd64(ivgpu, ivgpu_win_reg(win, IVGPU_WIN_BANK));
	if (status != IVGPU_BANK_OK) {
		drm_err_ratelimited(&ivgpu->drm, "window %u: bank 0x%llx refused, status %u\n",
				    win->index, bank, status);
		atomic64_inc(&iw->stats.errors);
		ret = -EIO;
	}

out_exit:
	drm_dev_exit(idx);
	return ret;
}

/* Detach @win (an unpinned window in the way of another): zap, then switch to none. */
static int ivgpu_window_detach_locked(struct ivgpu_device *ivgpu, struct ivgpu_window *win)
{
	u64 wait_ns;

	ivgpu_window_zap_locked(ivgpu, win);
	atomic64_inc(&ivgpu->windows.stats.detaches);
	return ivgpu_window_switch_locked(ivgpu, win, IVGPU_BANK_NONE, &wait_ns);
}

/*
 * Bounds [*lo, *hi] of a bank for a window that must show @vram and keep
 * clear of every attached window but @victim (of the pinned ones only, if
 * @pinned_only).  Return: false if no bank fits.
 */
static bool ivgpu_window_bounds(const struct ivgpu_windows *iw,
				const struct ivgpu_window *victim, u64 vram,
				bool pinned_only, u64 *lo, u64 *hi)
{
	u64 g = iw->granule, w = iw->size, v = ALIGN_DOWN(vram, g);
	unsigned int i;

	*lo = v + g > w ? v + g - w : 0;
	*hi = v;
	for (i = 0; i < iw->count; i++) {
		const struct ivgpu_window *o = &iw->win[i];

		if (o == victim || o->bank == IVGPU_BANK_NONE || (pinned_only && !o->pins))
			continue;
		/* @vram is shown by no window, so @o is wholly before or after it. */
		if (ivgpu_window_end(iw, o) <= vram) {
			*lo = max(*lo, ivgpu_window_end(iw, o));
			continue;
		}
		if (o->bank < w)
			return false;
		*hi = min(*hi, o->bank - w);
	}
	return *lo <= *hi;
}

/*
 * The window to slide for a new bank: a detached one, else the least
 * recently used unpinned one, skipping those another task used within the
 * minimum residency.  Return: the window, or NULL with *@wait_us set to how
 * long until one is free (0: all are pinned).
 */
static struct ivgpu_window *ivgpu_window_victim_locked(struct ivgpu_windows *iw, u64 *wait_us)
{
	unsigned int residency = min(READ_ONCE(ivgpu_modparams.window_residency_us),
				     IVGPU_WINDOW_RESIDENCY_MAX_US);
	s64 now = ktime_to_us(ktime_get());
	struct ivgpu_window *win;

	*wait_us = 0;
	list_for_each_entry(win, &iw->lru, lru_link)
		if (win->bank == IVGPU_BANK_NONE && !win->pins)
			return win;
	list_for_each_entry(win, &iw->lru, lru_link) {
		s64 left;

		if (win->pins)
			continue;
		left = ktime_to_us(win->owned_since) + residency - now;
		if (win->owner == current || left <= 0)
			return win;
		if (!*wait_us || left < *wait_us)
			*wait_us = left;
	}
	return NULL;
}

/*
 * Wait with the lock dropped: @us microseconds for a residency to end, or
 * (0) for a pin to go.  Return: 0 to try again, -EBUSY with
 * IVGPU_WINDOW_NOWAIT, -EINTR on a fatal signal.
 */
static int ivgpu_window_wait_locked(struct ivgpu_windows *iw, u64 us, unsigned int flags)
{
	u64 unpins = iw->unpins;
	int ret = 0;

	if (flags & IVGPU_WINDOW_NOWAIT)
		return -EBUSY;

	mutex_unlock(&iw->lock);
	if (us) {
		atomic64_inc(&iw->stats.residency_waits);
		usleep_range_state(us, us + us / 4 + 20, TASK_KILLABLE);
	} else {
		atomic64_inc(&iw->stats.pin_waits);
		wait_event_killable_timeout(iw->pin_wq, READ_ONCE(iw->unpins) != unpins,
					    msecs_to_jiffies(IVGPU_WINDOW_POLL_MS));
	}
	if (fatal_signal_pending(current))
		ret = -EINTR;
	mutex_lock(&iw->lock);
	return ret;
}

/*
 * Make a window show VRAM byte @vram, with a bank as close to @want as the
 * rules allow (a granule multiple, the byte inside, clear of the other
 * windows).  The lock is held, and may be dropped and taken again to wait.
 * Return: 0 with *@out showing @vram, or a negative errno.
 */
static int ivgpu_window_show_locked(struct ivgpu_device *ivgpu, u64 vram, u64 want,
				    unsigned int flags, struct ivgpu_window **out)
{
	struct ivgpu_windows *iw = &ivgpu->windows;
	struct ivgpu_window *win, *o;
	u64 lo, hi, bank, us, from, zapped, wait_ns;
	unsigned int i, zaps;
	bool steal;
	int ret;

	for (;;) {
		win = ivgpu_window_find_locked(iw, vram);
		if (win) {
			*out = win;
			return 0;
		}

		win = ivgpu_window_victim_locked(iw, &us);
		if (!win) {
			ret = ivgpu_window_wait_locked(iw, us, flags);
			if (ret)
				return ret;
			continue;
		}

		if (ivgpu_window_bounds(iw, win, vram, false, &lo, &hi)) {
			bank = clamp(want, lo, hi);
			break;
		}
		/* No room between the others: detach the unpinned ones in the way. */
		if (!ivgpu_window_bounds(iw, win, vram, true, &lo, &hi)) {
			ret = ivgpu_window_wait_locked(iw, 0, flags);
			if (ret)
				return ret;
			continue;
		}
		bank = clamp(want, lo, hi);
		for (i = 0; i < iw->count; i++) {
			o = &iw->win[i];
			if (o == win || o->bank == IVGPU_BANK_NONE ||
			    o->bank >= bank + iw->size || ivgpu_window_end(iw, o) <= bank)
				continue;
			ret = ivgpu_window_detach_locked(ivgpu, o);
			if (ret)
				return ret;
		}
		break;
	}

	from = win->bank;
	zapped = win->inserted;
	steal = from != IVGPU_BANK_NONE && win->owner && win->owner != current;
	if (steal)
		atomic64_inc(&iw->stats.steals);
	zaps = ivgpu_window_zap_locked(ivgpu, win);
	ret = ivgpu_window_switch_locked(ivgpu, win, bank, &wait_ns);
	if (ret)
		return ret;
	trace_ivgpu_window_slide(win->index, from, bank, zapped, zaps, steal, wait_ns);
	atomic64_inc(&iw->stats.slides);
	ivgpu_window_touch_locked(iw, win);
	*out = win;
	return 0;
}

/*
 * Clamp a wanted bank for VRAM byte @vram of extent [@start, @end): the
 * window should not run past the extent on either side where it can
 * help it.
 */
static u64 ivgpu_window_clamp_ext(const struct ivgpu_windows *iw, u64 want, u64 start, u64 end)
{
	u64 lo = ALIGN_DOWN(start, iw->granule);
	u64 hi = end - start > iw->size ? ALIGN(end - iw->size, iw->granule) : lo;

	return clamp(want, lo, max(lo, hi));
}

/*
 * The bank a fault at VRAM byte @vram of extent [@start, @end) wants: the
 * byte near the middle of the window, unless the fault continues a walk
 * out of a window that ends (or starts) right next to it, in which case
 * the new window starts (or ends) one granule into the old one's range,
 * so that an access straddling the two still finds both.
 */
static u64 ivgpu_window_fault_bank(const struct ivgpu_windows *iw, u64 vram, u64 start, u64 end)
{
	u64 g = iw->granule, v = ALIGN_DOWN(vram, g), want;
	unsigned int i;

	want = vram > iw->size / 2 ? ALIGN_DOWN(vram - iw->size / 2, g) : 0;
	for (i = 0; i < iw->count; i++) {
		const struct ivgpu_window *o = &iw->win[i];

		if (o->bank == IVGPU_BANK_NONE)
			continue;
		if (ivgpu_window_end(iw, o) == v) {
			want = v - g;
			break;
		}
		if (o->bank == v + g) {
			want = o->bank + g > iw->size ? o->bank + g - iw->size : 0;
			break;
		}
	}
	return ivgpu_window_clamp_ext(iw, want, start, end);
}

/*
 * A user fault at @vmf needs a slide.  One instruction can need two pages
 * that no arrangement of the windows shows at once: with one window, an
 * access that straddles two VRAM extents of an object, or a string
 * instruction between two objects.  Each slide for one page then takes the
 * other away and the instruction never completes.  It shows as the same
 * task faulting at the same two addresses in turn with its user registers
 * unchanged from one fault to the next, the instruction pointer included:
 * one instruction, which never retires.  (A loop that alternates between two
 * addresses does so from two instructions, or changes an address register.)
 * Return: true when the fault is stuck, with *@other set to the other address.
 */
static bool ivgpu_window_stuck_locked(struct ivgpu_windows *iw, struct vm_fault *vmf,
				      unsigned long *other)
{
	struct ivgpu_window_pingpong *pp = &iw->pingpong[0];
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long addr = vmf->real_address;
	unsigned int i;

	/* This task's record, else the least recently used one. */
	for (i = 0; i < IVGPU_WINDOW_PINGPONG_TASKS; i++) {
		if (iw->pingpong[i].task == current) {
			pp = &iw->pingpong[i];
			break;
		}
		if (iw->pingpong[i].used < pp->used)
			pp = &iw->pingpong[i];
	}
	pp->used = ++iw->pingpong_clock;

	if (pp->task == current && addr == pp->addr[1] && addr != pp->addr[0] &&
	    !memcmp(regs, &pp->regs, sizeof(*regs)))
		pp->turns++;
	else
		pp->turns = 0;
	pp->task = current;
	pp->addr[1] = pp->addr[0];
	pp->addr[0] = addr;
	pp->regs = *regs;
	*other = pp->addr[1];
	return pp->turns >= IVGPU_WINDOW_STUCK_TURNS;
}

/* Start following the current task's faults afresh. */
static void ivgpu_window_forget(struct ivgpu_windows *iw)
{
	unsigned int i;

	mutex_lock(&iw->lock);
	for (i = 0; i < IVGPU_WINDOW_PINGPONG_TASKS; i++)
		if (iw->pingpong[i].task == current)
			iw->pingpong[i].turns = 0;
	mutex_unlock(&iw->lock);
}

/*
 * Unstick a fault (see above), with the BO lock held and the window lock
 * not.  When both addresses lie in this mapping of a scattered object,
 * move the object into one extent: then one window shows both pages.
 * Otherwise the access cannot complete and gets SIGBUS.
 */
static vm_fault_t ivgpu_window_unstick(struct ivgpu_bo *bo, struct vm_fault *vmf,
				       unsigned long other)
{
	struct ivgpu_device *ivgpu = ivgpu_of_bo(bo);
	struct ivgpu_windows *iw = &ivgpu->windows;
	struct vm_area_struct *vma = vmf->vma;
	int ret = -EINVAL;

	atomic64_inc(&iw->stats.stuck);
	if (other >= vma->vm_start && other < vma->vm_end && bo->vram->num_extents > 1) {
		ret = ivgpu_bo_move_locked(bo, true);
		if (!ret) {
			atomic64_inc(&iw->stats.compactions);
			ivgpu_window_forget(iw);
			return VM_FAULT_NOPAGE;
		}
	}
	drm_dbg(&ivgpu->drm,
		"%s[%d]: one access needs VRAM at 0x%lx and 0x%lx, which %u window(s) cannot show at once (%d)\n",
		current->comm, task_pid_nr(current), vmf->real_address, other, iw->count, ret);
	return VM_FAULT_SIGBUS;
}

/**
 * ivgpu_window_fault - serve a user fault through a window
 * @bo: the object; the caller holds the BO lock and is inside drm_dev_enter()
 * @vmf: the fault
 * @offset: page-aligned offset in the object of the faulting page
 *
 * Makes a window show the faulting page (sliding one if none does) and
 * inserts the entries of every page of the object the window shows, inside
 * the VMA and the page's VRAM extent, with the window lock held so that no
 * slide can come between the bank and the entries.
 *
 * Return: VM_FAULT_NOPAGE, VM_FAULT_SIGBUS (outside the object, or the
 * device did not switch), or the insertion's error.
 */
vm_fault_t ivgpu_window_fault(struct ivgpu_bo *bo, struct vm_fault *vmf, u64 offset)
{
	struct ivgpu_device *ivgpu = ivgpu_of_bo(bo);
	struct ivgpu_windows *iw = &ivgpu->windows;
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & PAGE_MASK;
	const struct ivgpu_vram_extent *ext;
	u64 vram, first, end, ext_end, n, i;
	struct ivgpu_window *win;
	vm_fault_t ret = VM_FAULT_NOPAGE;
	ktime_t start = ktime_get();
	unsigned long other;
	bool hit;
	int err;

	ext = offset < bo->base.size ? ivgpu_vram_res_find(bo->vram, offset) : NULL;
	if (!ext)
		return VM_FAULT_SIGBUS;
	vram = ext->start + (offset - ext->offset);
	ext_end = ext->start + ext->size;

	if (mutex_lock_killable(&iw->lock))
		return VM_FAULT_NOPAGE;
	hit = ivgpu_window_find_locked(iw, vram);
	if (!hit && ivgpu_window_stuck_locked(iw, vmf, &other)) {
		mutex_unlock(&iw->lock);
		return ivgpu_window_unstick(bo, vmf, other);
	}
	err = ivgpu_window_show_locked(ivgpu, vram,
				       ivgpu_window_fault_bank(iw, vram, ext->start, ext_end),
				       0, &win);
	if (err) {
		mutex_unlock(&iw->lock);
		return err == -EINTR ? VM_FAULT_NOPAGE : VM_FAULT_SIGBUS;
	}
	ivgpu_window_touch_locked(iw, win);

	/* VRAM the window shows in the extent, then in the VMA. */
	first = max(win->bank, ext->start);
	end = min3(ivgpu_window_end(iw, win), ext_end, ivgpu->config.vram_size);
	first = vram - min_t(u64, vram - first, addr - vma->vm_start);
	end = vram + min_t(u64, end - vram, vma->vm_end - addr);
	n = (end - first) >> PAGE_SHIFT;

	for (i = 0; i < n; i++) {
		u64 v = first + (i << PAGE_SHIFT);
		vm_fault_t r = vmf_insert_pfn_prot(vma, addr + (v - vram),
						   PHYS_PFN(win->phys + (v - win->bank)),
						   vma->vm_page_prot);

		if (r & VM_FAULT_ERROR) {
			/* Only the faulting page has to be there. */
			if (v <= vram)
				ret = r;
			break;
		}
	}
	win->inserted += i;
	/*
	 * This fault gave the window a new user: its minimum residency runs
	 * from now, when its entries are in, so that the access it faulted
	 * for can run before another user may take the window.
	 */
	if (ktime_after(win->owned_since, start))
		win->owned_since = ktime_get();
	trace_ivgpu_window_fault(win->index, vram, hit, i);
	mutex_unlock(&iw->lock);

	atomic64_inc(&ivgpu->mm_stats.faults);
	atomic64_add(i, &ivgpu->mm_stats.pages_inserted);
	atomic64_inc(&iw->stats.faults);
	if (hit)
		atomic64_inc(&iw->stats.fault_hits);
	atomic64_add(i, &iw->stats.pages_inserted);
	return ret;
}

/*
 * Pin a window showing VRAM byte @vram for a kernel copy of up to @len
 * bytes, all inside one extent ending at @ext_end.  Return: the window,
 * with *@part set to the bytes of the copy it shows from @vram on, or an
 * ERR_PTR().
 */
static struct ivgpu_window *ivgpu_window_pin(struct ivgpu_device *ivgpu, u64 vram, u64 len,
					     u64 ext_start, u64 ext_end, unsigned int flags,
					     u64 *part)
{
	struct ivgpu_windows *iw = &ivgpu->windows;
	struct ivgpu_window *win;
	u64 want;
	int ret;

	/* A pin is the small BAR's kernel mapping of VRAM: fail_kmap fails it too. */
	if (ivgpu_fault_kmap(ivgpu, len))
		return ERR_PTR(-ENOMEM);
	if (mutex_lock_killable(&iw->lock))
		return ERR_PTR(-EINTR);
	want = ivgpu_window_clamp_ext(iw, ALIGN_DOWN(vram, iw->granule), ext_start, ext_end);
	ret = ivgpu_window_show_locked(ivgpu, vram, want, flags, &win);
	if (ret) {
		mutex_unlock(&iw->lock);
		return ERR_PTR(ret);
	}
	ivgpu_window_touch_locked(iw, win);
	win->pins++;
	mutex_unlock(&iw->lock);

	atomic64_inc(&iw->stats.pins);
	*part = min(len, ivgpu_window_end(iw, win) - vram);
	trace_ivgpu_window_pin(win->index, vram, *part);
	return win;
}

static void ivgpu_window_unpin(struct ivgpu_device *ivgpu, struct ivgpu_window *win)
{
	struct ivgpu_windows *iw = &ivgpu->windows;

	mutex_lock(&iw->lock);
	win->pins--;
	WRITE_ONCE(iw->unpins, iw->unpins + 1);
	mutex_unlock(&iw->lock);
	wake_up_all(&iw->pin_wq);
}

static void __iomem *ivgpu_window_addr(const struct ivgpu_window *win, u64 vram)
{
	return win->vaddr + (vram - win->bank);
}

/*
 * Call @fn on every window-sized part of [offset, offset + len) of @res,
 * each part pinned while @fn runs; @fn gets the address and the bytes done.
 */
static int ivgpu_window_walk(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res,
			     u64 offset, u64 len,
			     void (*fn)(void __iomem *addr, u64 done, u64 n, void *arg), void *arg)
{
	const struct ivgpu_vram_extent *ext;
	u64 done = 0, n, in_ext;
	struct ivgpu_window *win;
	unsigned int parts = 0;

	while (done < len) {
		ext = ivgpu_vram_res_find(res, offset + done);
		if (!ext)
			return -EINVAL;
		in_ext = offset + done - ext->offset;
		win = ivgpu_window_pin(ivgpu, ext->start + in_ext,
				       min(len - done, ext->size - in_ext), ext->start,
				       ext->start + ext->size, 0, &n);
		if (IS_ERR(win))
			return PTR_ERR(win);
		fn(ivgpu_window_addr(win, ext->start + in_ext), done, n, arg);
		ivgpu_window_unpin(ivgpu, win);
		done += n;
		parts++;
	}
	if (parts > 1)
		atomic64_add(parts - 1, &ivgpu->windows.stats.splits);
	return 0;
}

static void ivgpu_window_read_part(void __iomem *addr, u64 done, u64 n, void *buf)
{
	memcpy_fromio(buf + done, addr, n);
}

static void ivgpu_window_write_part(void __iomem *addr, u64 done, u64 n, void *buf)
{
	memcpy_toio(addr, buf + done, n);
	/* Out of the write-combining buffers before the window may slide. */
	wmb();
}

static void ivgpu_window_clear_part(void __iomem *addr, u64 done, u64 n, void *arg)
{
	memset_io(addr, 0, n);
	/* Out of the write-combining buffers before the window may slide. */
	wmb();
}

/**
 * ivgpu_window_rw - copy between a kernel buffer and VRAM through windows
 * @ivgpu: the device, with a small BAR; the caller is inside drm_dev_enter()
 * @res: the VRAM of an object, which must not change meanwhile (BO lock)
 * @offset: offset in the object (any alignment)
 * @buf: kernel buffer
 * @len: bytes, inside the object
 * @write: copy @buf to VRAM, else VRAM to @buf
 *
 * Each window-sized part of the range is copied with its window pinned.
 *
 * Return: 0, -EINTR on a fatal signal, or -ETIMEDOUT/-EIO/-ENODEV when the
 * device did not switch.
 */
int ivgpu_window_rw(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res, u64 offset,
		    void *buf, u64 len, bool write)
{
	return ivgpu_window_walk(ivgpu, res, offset, len,
				 write ? ivgpu_window_write_part : ivgpu_window_read_part, buf);
}

/**
 * ivgpu_window_clear - zero VRAM through windows
 * @ivgpu: the device, with a small BAR
 * @res: a new allocation nothing else uses yet
 *
 * Return: 0 or a negative errno, as ivgpu_window_rw().
 */
int ivgpu_window_clear(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *res)
{
	int ret;
	int idx;

	if (!drm_dev_enter(&ivgpu->drm, &idx))
		return -ENODEV;
	ret = ivgpu_window_walk(ivgpu, res, 0, res->size, ivgpu_window_clear_part, NULL);
	drm_dev_exit(idx);
	return ret;
}

/* Copy through one pinned window at a time, bouncing through system memory. */
static int ivgpu_window_copy_bounce(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *dst,
				    const struct ivgpu_vram_res *src, u64 offset, u64 len)
{
	u64 size = min_t(u64, ivgpu->windows.size, IVGPU_WINDOW_BOUNCE_MAX), n;
	void *bounce;
	int ret = 0;

	bounce = kvmalloc(min(size, len), GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	for (; len; offset += n, len -= n) {
		n = min(size, len);
		ret = ivgpu_window_rw(ivgpu, src, offset, bounce, n, false);
		if (ret)
			break;
		ret = ivgpu_window_rw(ivgpu, dst, offset, bounce, n, true);
		if (ret)
			break;
		atomic64_inc(&ivgpu->windows.stats.bounced);
	}
	kvfree(bounce);
	return ret;
}

/**
 * ivgpu_window_copy - copy one allocation to another through windows
 * @ivgpu: the device, with a small BAR
 * @dst: the allocation copied to
 * @src: the allocation copied from, of the same size
 *
 * With two windows or more, each part is copied with one window pinned on
 * the input and another on the output.  With one window, or when the
 * second window cannot be had without waiting while the first is pinned,
 * that part goes through a bounce buffer one window at a time.  The caller
 * keeps everyone else away from both allocations (a move holds the BO lock).
 *
 * Return: 0 or a negative errno.
 */
int ivgpu_window_copy(struct ivgpu_device *ivgpu, const struct ivgpu_vram_res *dst,
		      const struct ivgpu_vram_res *src)
{
	const struct ivgpu_vram_extent *se, *de;
	struct ivgpu_window *sw, *dw;
	u64 offset = 0, n, sn, dn, done, chunk;
	void *bounce;
	int ret = 0;
	int idx;

	if (!drm_dev_enter(&ivgpu->drm, &idx))
		return -ENODEV;
	if (ivgpu->windows.count < 2) {
		ret = ivgpu_window_copy_bounce(ivgpu, dst, src, 0, src->size);
		goto out_exit;
	}

	bounce = kvmalloc(IVGPU_WINDOW_CHUNK, GFP_KERNEL);
	if (!bounce) {
		ret = -ENOMEM;
		goto out_exit;
	}

	for (; offset < src->size; offset += n) {
		u64 sv, dv;

		se = ivgpu_vram_res_find(src, offset);
		de = ivgpu_vram_res_find(dst, offset);
		if (!se || !de) {
			ret = -EINVAL;
			break;
		}
		sv = se->start + offset - se->offset;
		dv = de->start + offset - de->offset;
		n = min(se->size - (offset - se->offset), de->size - (offset - de->offset));

		sw = ivgpu_window_pin(ivgpu, sv, n, se->start, se->start + se->size, 0, &sn);
		if (IS_ERR(sw)) {
			ret = PTR_ERR(sw);
			break;
		}
		dw = ivgpu_window_pin(ivgpu, dv, sn, de->start, de->start + de->size,
				      IVGPU_WINDOW_NOWAIT, &dn);
		if (IS_ERR(dw)) {
			ivgpu_window_unpin(ivgpu, sw);
			if (PTR_ERR(dw) != -EBUSY) {
				ret = PTR_ERR(dw);
				break;
			}
			n = sn;
			ret = ivgpu_window_copy_bounce(ivgpu, dst, src, offset, n);
			if (ret)
				break;
			continue;
		}
		n = dn;
		for (done = 0; done < n; done += chunk) {
			chunk = min_t(u64, n - done, IVGPU_WINDOW_CHUNK);
			memcpy_fromio(bounce, ivgpu_window_addr(sw, sv + done), chunk);
			memcpy_toio(ivgpu_window_addr(dw, dv + done), bounce, chunk);
		}
		/* Out of the write-combining buffers before the window may slide. */
		wmb();
		ivgpu_window_unpin(ivgpu, dw);
		ivgpu_window_unpin(ivgpu, sw);
	}
	kvfree(bounce);

out_exit:
	drm_dev_exit(idx);
	return ret;
}

/**
 * ivgpu_window_irq - the bank interrupt: a switch or a VRAM check was served
 * @ivgpu: the device
 */
void ivgpu_window_irq(struct ivgpu_device *ivgpu)
{
	wake_up_all(&ivgpu->windows.ack_wq);
}

/**
 * ivgpu_window_print - the windows and their counters, for debugfs
 * @ivgpu: the device
 * @p: where to print
 *
 * "name value" lines first, then one line per window.
 */
void ivgpu_window_print(struct ivgpu_device *ivgpu, struct drm_printer *p)
{
	struct ivgpu_windows *iw = &ivgpu->windows;
	struct ivgpu_window_stats *st = &iw->stats;
	unsigned int i;

	drm_printf(p, "windows %u\n", iw->count);
	drm_printf(p, "window_size %llu\n", iw->size);
	drm_printf(p, "granule %llu\n", iw->granule);
	drm_printf(p, "slides %llu\n", (u64)atomic64_read(&st->slides));
	drm_printf(p, "detaches %llu\n", (u64)atomic64_read(&st->detaches));
	drm_printf(p, "steals %llu\n", (u64)atomic64_read(&st->steals));
	drm_printf(p, "zaps %llu\n", (u64)atomic64_read(&st->zaps));
	drm_printf(p, "pages_zapped %llu\n", (u64)atomic64_read(&st->pages_zapped));
	drm_printf(p, "entries_zapped %llu\n", (u64)atomic64_read(&st->entries_zapped));
	drm_printf(p, "faults %llu\n", (u64)atomic64_read(&st->faults));
	drm_printf(p, "fault_hits %llu\n", (u64)atomic64_read(&st->fault_hits));
	drm_printf(p, "pages_inserted %llu\n", (u64)atomic64_read(&st->pages_inserted));
	drm_printf(p, "pins %llu\n", (u64)atomic64_read(&st->pins));
	drm_printf(p, "splits %llu\n", (u64)atomic64_read(&st->splits));
	drm_printf(p, "residency_waits %llu\n", (u64)atomic64_read(&st->residency_waits));
	drm_printf(p, "pin_waits %llu\n", (u64)atomic64_read(&st->pin_waits));
	drm_printf(p, "bounced %llu\n", (u64)atomic64_read(&st->bounced));
	drm_printf(p, "switch_ns %llu\n", (u64)atomic64_read(&st->switch_ns));
	drm_printf(p, "switch_max_ns %llu\n", (u64)atomic64_read(&st->switch_max_ns));
	drm_printf(p, "errors %llu\n", (u64)atomic64_read(&st->errors));
	drm_printf(p, "stuck %llu\n", (u64)atomic64_read(&st->stuck));
	drm_printf(p, "compactions %llu\n", (u64)atomic64_read(&st->compactions));
	if (!iw->count)
		return;

	mutex_lock(&iw->lock);
	for (i = 0; i < iw->count; i++) {
		const struct ivgpu_window *win = &iw->win[i];

		if (win->bank == IVGPU_BANK_NONE)
			drm_printf(p, "window %u bank none pins %u inserted %llu\n", i,
				   win->pins, win->inserted);
		else
			drm_printf(p, "window %u bank 0x%llx pins %u inserted %llu\n", i,
				   win->bank, win->pins, win->inserted);
	}
	mutex_unlock(&iw->lock);
}

static void ivgpu_window_release_wc(void *data)
{
	struct ivgpu_device *ivgpu = data;
	struct ivgpu_windows *iw = &ivgpu->windows;

	arch_phys_wc_del(iw->wc_cookie);
	arch_io_free_memtype_wc(iw->win[0].phys, iw->size * iw->count);
}

/* As for VRAM with a large BAR: user entries into the windows take write-combining. */
static int ivgpu_window_reserve_wc(struct ivgpu_device *ivgpu)
{
	struct ivgpu_windows *iw = &ivgpu->windows;
	int ret;

	ret = arch_io_reserve_memtype_wc(iw->win[0].phys, iw->size * iw->count);
	if (ret) {
		drm_warn(&ivgpu->drm, "windows cannot be made write-combining (%d): CPU mappings are uncached\n",
			 ret);
		return 0;
	}
	iw->wc_cookie = arch_phys_wc_add(iw->win[0].phys, iw->size * iw->count);
	return devm_add_action_or_reset(&ivgpu->pdev->dev, ivgpu_window_release_wc, ivgpu);
}

/**
 * ivgpu_window_init - set up the banked windows of a small BAR
 * @ivgpu: the device, configuration read and validated, before interrupts
 *
 * Maps the windows and takes over their state as the device keeps it
 * across driver loads (a window may still show a bank).  Nothing to do
 * with a large BAR.
 *
 * Return: 0 or a negative errno.
 */
int ivgpu_window_init(struct ivgpu_device *ivgpu)
{
	const struct ivgpu_config *c = &ivgpu->config;
	struct ivgpu_windows *iw = &ivgpu->windows;
	struct device *dev = &ivgpu->pdev->dev;
	unsigned int i;

	mutex_init(&iw->lock);
	init_waitqueue_head(&iw->ack_wq);
	init_waitqueue_head(&iw->pin_wq);
	INIT_LIST_HEAD(&iw->lru);
	iw->rmap = RB_ROOT_CACHED;
	if (c->bar_config != IVGPU_BAR_CONFIG_SMALL)
		return 0;

	if (!(c->caps & IVGPU_CAP_WINDOWS)) {
		drm_err(&ivgpu->drm, "small BAR without bank switching (caps 0x%llx)\n", c->caps);
		return -EINVAL;
	}

	iw->size = c->window_size;
	iw->granule = c->bank_granule;
	/* Software state: it lives as long as the objects that may still untrack. */
	iw->win = drmm_kcalloc(&ivgpu->drm, c->window_count, sizeof(*iw->win), GFP_KERNEL);
	if (!iw->win)
		return -ENOMEM;
	iw->base = devm_ioremap_wc(dev, c->mem_start + c->window_bar_offset,
				   c->window_size * c->window_count);
	if (!iw->base)
		return -ENOMEM;

	for (i = 0; i < c->window_count; i++) {
		struct ivgpu_window *win = &iw->win[i];

		win->index = i;
		win->vaddr = iw->base + i * c->window_size;
		win->phys = c->mem_start + c->window_bar_offset + i * c->window_size;
		/*
		 * Go on from the last request made: one a previous driver left
		 * pending is served with the next doorbell, and its
		 * acknowledgment is older than ours.
		 */
		win->seq = ivgpu_rd32(ivgpu, ivgpu_win_reg(win, IVGPU_WIN_REQ_SEQ));
		win->bank = ivgpu_rd64(ivgpu, ivgpu_win_reg(win, IVGPU_WIN_BANK));
		list_add_tail(&win->lru_link, &iw->lru);
	}
	iw->count = c->window_count;
	return ivgpu_window_reserve_wc(ivgpu);
}
