// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu debugfs files, under /sys/kernel/debug/dri/<minor>/:
 *
 * ivgpu_regs    the identification, configuration, ping and error registers,
 *               one per line: name, offset, raw value
 * ivgpu_config  the configuration the driver validated at probe, in words
 * ivgpu_ping    reading makes a fresh interrupt round trip: "seq S latency_ns L"
 * ivgpu_irqs    interrupts taken per MSI-X vector, and the device errors
 *
 * and, for memory management, "name value" lines (decimal) first:
 *
 * ivgpu_vram     total, used, largest_free (bytes), objects (allocations),
 *                kernel_bytes and kernel_allocations (the driver's own, in
 *                used and objects: the co-processor's ring), then the buddy
 *                allocator's own dump
 * ivgpu_mm       faults, pages_inserted, zaps, pages_zapped, revokes, moves,
 *                bytes_moved
 * ivgpu_kmap     hits, misses, live, in_use, bytes_mapped, released
 * ivgpu_objects  one line per object: "id size kind flags num_blocks", with
 *                kind and flags as the uAPI reports them
 * ivgpu_bo_dump  (0600) write "ID OFFSET SIZE" (decimal or 0x hex, SIZE up to
 *                64 KiB), then read a hex dump of that range of the object,
 *                read through a kernel mapping: "%08llx: " and 16 bytes per
 *                line.  The write fails with ENOENT for an unknown object and
 *                EINVAL for a bad range.
 * ivgpu_vram_check (0600) write "ID KIND SEED FLAGS" (IVGPU_CHECK_KIND_*,
 *                the pattern seed or fill byte, IVGPU_CHECK_F_*), then read:
 *                the device checks the object's VRAM itself (the test
 *                oracle, see ivgpu_check.c) and the file gives status,
 *                mismatches, first_mismatch (object offset), from_windows,
 *                crc32 (one-extent objects) and extents, "name value" lines
 * ivgpu_windows  small BAR: windows, window_size, granule, the window
 *                counters (slides, steals, zaps, pins, splits, ...), then
 *                one line per window: "window I bank B pins P inserted N"
 * ivgpu_ring     the co-processor: present, the ring's place, the driver's
 *                counters (jobs, kernel_jobs, cmds, fences, timeouts,
 *                resets, errors, clears, clears_cpu, copies, copies_cpu),
 *                then the device's registers (head, tail, status,
 *                fence_seq, device_cmds, ...)
 */

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>

#include "ivgpu_drv.h"

static struct ivgpu_device *ivgpu_of_seq(struct seq_file *m)
{
	struct drm_info_node *node = m->private;

	return to_ivgpu(node->minor->dev);
}

#define IVGPU_DEBUGFS_REG(reg, bits) { #reg, IVGPU_REG_##reg, bits }

static const struct {
	const char *name;
	u32 offset;
	unsigned int bits;
} ivgpu_debugfs_regs[] = {
	IVGPU_DEBUGFS_REG(MAGIC, 32),
	IVGPU_DEBUGFS_REG(VERSION, 32),
	IVGPU_DEBUGFS_REG(CAPS, 64),
	IVGPU_DEBUGFS_REG(VRAM_SIZE, 64),
	IVGPU_DEBUGFS_REG(BAR_CONFIG, 32),
	IVGPU_DEBUGFS_REG(NUM_VECTORS, 32),
	IVGPU_DEBUGFS_REG(BAR_SIZE, 64),
	IVGPU_DEBUGFS_REG(VRAM_BAR_OFFSET, 64),
	IVGPU_DEBUGFS_REG(WINDOW_BAR_OFFSET, 64),
	IVGPU_DEBUGFS_REG(WINDOW_SIZE, 64),
	IVGPU_DEBUGFS_REG(WINDOW_COUNT, 32),
	IVGPU_DEBUGFS_REG(DEV_PEER_ID, 32),
	IVGPU_DEBUGFS_REG(BANK_GRANULE, 64),
	IVGPU_DEBUGFS_REG(GUEST_PEER_ID, 32),
	IVGPU_DEBUGFS_REG(REGS_SIZE, 32),
	IVGPU_DEBUGFS_REG(PING_SEQ, 32),
	IVGPU_DEBUGFS_REG(PONG_SEQ, 32),
	IVGPU_DEBUGFS_REG(PING_COUNT, 64),
	IVGPU_DEBUGFS_REG(ERROR_CODE, 32),
	IVGPU_DEBUGFS_REG(ERROR_COUNT, 32),
	IVGPU_DEBUGFS_REG(ERROR_ARG, 64),
	IVGPU_DEBUGFS_REG(RING_BASE, 64),
	IVGPU_DEBUGFS_REG(RING_SIZE, 32),
	IVGPU_DEBUGFS_REG(RING_STATUS, 32),
	IVGPU_DEBUGFS_REG(RING_HEAD, 32),
	IVGPU_DEBUGFS_REG(RING_TAIL, 32),
	IVGPU_DEBUGFS_REG(FENCE_SEQ, 64),
	IVGPU_DEBUGFS_REG(RESET_REQ_SEQ, 32),
	IVGPU_DEBUGFS_REG(RESET_ACK_SEQ, 32),
	IVGPU_DEBUGFS_REG(RING_CMDS, 64),
	IVGPU_DEBUGFS_REG(RING_RESETS, 64),
};

static int ivgpu_debugfs_regs_show(struct seq_file *m, void *data)
{
	struct ivgpu_device *ivgpu = ivgpu_of_seq(m);
	unsigned int i;
	int idx;

	if (!drm_dev_enter(&ivgpu->drm, &idx))
		return -ENODEV;

	seq_printf(m, "%-20s bar%d+0x%04x 0x%08x\n", "IVSHMEM_IVPOSITION", IVGPU_BAR_IVSHMEM,
		   IVSHMEM_REG_IVPOSITION, ioread32(ivgpu->ivshmem + IVSHMEM_REG_IVPOSITION));

	for (i = 0; i < ARRAY_SIZE(ivgpu_debugfs_regs); i++) {
		u32 offset = ivgpu_debugfs_regs[i].offset;

		seq_printf(m, "%-20s bar%d+0x%04x ", ivgpu_debugfs_regs[i].name, IVGPU_BAR_MEM,
			   offset);
		if (ivgpu_debugfs_regs[i].bits == 64)
			seq_printf(m, "0x%016llx\n", ivgpu_rd64(ivgpu, offset));
		else
			seq_printf(m, "0x%08x\n", ivgpu_rd32(ivgpu, offset));
	}

	drm_dev_exit(idx);
	return 0;
}

static int ivgpu_debugfs_config_show(struct seq_file *m, void *data)
{
	struct ivgpu_device *ivgpu = ivgpu_of_seq(m);
	const struct ivgpu_config *c = &ivgpu->config;
	char buf[24];

	seq_printf(m, "device version: %u.%u\n", IVGPU_VERSION_MAJOR_OF(c->version),
		   IVGPU_VERSION_MINOR_OF(c->version));
	seq_printf(m, "capabilities: 0x%llx%s%s%s%s\n", c->caps,
		   c->caps & IVGPU_CAP_PING ? " ping" : "",
		   c->caps & IVGPU_CAP_LARGE_BAR ? " large-bar" : "",
		   c->caps & IVGPU_CAP_WINDOWS ? " windows" : "",
		   c->caps & IVGPU_CAP_COPROC ? " coproc" : "");
	seq_printf(m, "vram size: %llu bytes (%s)\n", c->vram_size,
		   ivgpu_size_str(c->vram_size, buf, sizeof(buf)));
	seq_printf(m, "bar%d: %llu bytes at %pa, device lays out %llu bytes, registers %u bytes\n",
		   IVGPU_BAR_MEM, (u64)c->mem_len, &c->mem_start, c->bar_size, c->regs_size);

	if (c->bar_config == IVGPU_BAR_CONFIG_LARGE) {
		seq_puts(m, "bar configuration: large\n");
		seq_printf(m, "vram in bar%d at offset 0x%llx\n", IVGPU_BAR_MEM,
			   c->vram_bar_offset);
	} else {
		seq_puts(m, "bar configuration: small\n");
		seq_printf(m, "windows: %u of %llu bytes (%s) at bar%d offset 0x%llx\n",
			   c->window_count, c->window_size,
			   ivgpu_size_str(c->window_size, buf, sizeof(buf)), IVGPU_BAR_MEM,
			   c->window_bar_offset);
		seq_printf(m, "bank granule: %llu bytes (%s)\n", c->bank_granule,
			   ivgpu_size_str(c->bank_granule, buf, sizeof(buf)));
	}

	seq_printf(m, "cpu visible vram: %llu bytes\n", ivgpu_config_cpu_visible_size(c));
	seq_printf(m, "interrupt vectors: %u (driver uses %d)\n", c->num_vectors,
		   IVGPU_NUM_VECTORS);
	seq_printf(m, "device peer id: %u\n", c->dev_peer_id);
	seq_printf(m, "guest peer id: %u\n", c->guest_peer_id);
	return 0;
}

static int ivgpu_debugfs_ping_show(struct seq_file *m, void *data)
{
	struct ivgpu_device *ivgpu = ivgpu_of_seq(m);
	u64 latency_ns;
	u32 seq;
	int ret;
	int idx;

	if (!drm_dev_enter(&ivgpu->drm, &idx))
		return -ENODEV;

	ret = ivgpu_ping(ivgpu, 1, &seq, &latency_ns);
	drm_dev_exit(idx);

	if (ret == -ETIMEDOUT)
		drm_warn(&ivgpu->drm, "interrupt round trip timed out\n");
	if (ret)
		return ret;

	seq_printf(m, "seq %u latency_ns %llu\n", seq, latency_ns);
	return 0;
}

static int ivgpu_debugfs_irqs_show(struct seq_file *m, void *data)
{
	struct ivgpu_device *ivgpu = ivgpu_of_seq(m);
	struct ivgpu_irq *irq = &ivgpu->irq;
	u64 errors, arg;
	unsigned int i;
	u32 code;

	seq_printf(m, "%-6s %-6s %-6s %s\n", "vector", "name", "irq", "count");
	for (i = 0; i < IVGPU_NUM_VECTORS; i++)
		seq_printf(m, "%-6u %-6s %-6d %llu\n", irq->vec[i].index, irq->vec[i].name,
			   irq->vec[i].irq, (u64)atomic64_read(&irq->vec[i].count));

	spin_lock_irq(&irq->error_lock);
	errors = irq->errors;
	code = irq->last_error_code;
	arg = irq->last_error_arg;
	spin_unlock_irq(&irq->error_lock);

	seq_printf(m, "errors %llu\n", errors);
	seq_printf(m, "last error code %u arg 0x%llx\n", code, arg);
	seq_printf(m, "pings completed %llu\n", (u64)atomic64_read(&ivgpu->ping.completed));
	return 0;
}

static int ivgpu_debugfs_vram_show(struct seq_file *m, void *data)
{
	struct ivgpu_device *ivgpu = ivgpu_of_seq(m);
	struct drm_printer p = drm_seq_file_printer(m);
	unsigned int objects;
	u64 used, largest;

	ivgpu_vram_stats(ivgpu, &used, &largest, &objects);
	seq_printf(m, "total %llu\n", ivgpu->vram.size);
	seq_printf(m, "used %llu\n", used);
	seq_printf(m, "largest_free %llu\n", largest);
	seq_printf(m, "objects %u\n", objects);
	/* The driver's own allocations, counted in used and objects: the ring. */
	seq_printf(m, "kernel_bytes %llu\n", ivgpu->ring.vram ? (u64)ivgpu->ring.size : 0);
	seq_printf(m, "kernel_allocations %u\n", ivgpu->ring.vram ? 1 : 0);
	ivgpu_vram_print(ivgpu, &p);
	return 0;
}

static int ivgpu_debugfs_mm_show(struct seq_file *m, void *data)
{
	struct ivgpu_mm_stats *st = &ivgpu_of_seq(m)->mm_stats;

	seq_printf(m, "faults %llu\n", (u64)atomic64_read(&st->faults));
	seq_printf(m, "pages_inserted %llu\n", (u64)atomic64_read(&st->pages_inserted));
	seq_printf(m, "zaps %llu\n", (u64)atomic64_read(&st->zaps));
	seq_printf(m, "pages_zapped %llu\n", (u64)atomic64_read(&st->pages_zapped));
	seq_printf(m, "revokes %llu\n", (u64)atomic64_read(&st->revokes));
	seq_printf(m, "moves %llu\n", (u64)atomic64_read(&st->moves));
	seq_printf(m, "bytes_moved %llu\n", (u64)atomic64_read(&st->bytes_moved));
	return 0;
}

static int ivgpu_debugfs_kmap_show(struct seq_file *m, void *data)
{
	struct ivgpu_kmap_cache *cache = &ivgpu_of_seq(m)->kmap_cache;
	u64 live, in_use, bytes;

	spin_lock(&cache->lock);
	live = cache->live;
	in_use = cache->in_use;
	bytes = cache->bytes_mapped;
	spin_unlock(&cache->lock);

	seq_printf(m, "hits %llu\n", (u64)atomic64_read(&cache->hits));
	seq_printf(m, "misses %llu\n", (u64)atomic64_read(&cache->misses));
	seq_printf(m, "live %llu\n", live);
	seq_printf(m, "in_use %llu\n", in_use);
	seq_printf(m, "bytes_mapped %llu\n", bytes);
	seq_printf(m, "released %llu\n", (u64)atomic64_read(&cache->released));
	return 0;
}

static int ivgpu_debugfs_windows_show(struct seq_file *m, void *data)
{
	struct drm_printer p = drm_seq_file_printer(m);

	ivgpu_window_print(ivgpu_of_seq(m), &p);
	return 0;
}

static int ivgpu_debugfs_ring_show(struct seq_file *m, void *data)
{
	struct drm_printer p = drm_seq_file_printer(m);

	ivgpu_ring_print(ivgpu_of_seq(m), &p);
	return 0;
}

static int ivgpu_debugfs_objects_show(struct seq_file *m, void *data)
{
	struct drm_printer p = drm_seq_file_printer(m);

	ivgpu_bo_print_all(ivgpu_of_seq(m), &p);
	return 0;
}

static const struct drm_info_list ivgpu_debugfs_list[] = {
	{ "ivgpu_regs", ivgpu_debugfs_regs_show, 0, NULL },
	{ "ivgpu_config", ivgpu_debugfs_config_show, 0, NULL },
	{ "ivgpu_ping", ivgpu_debugfs_ping_show, 0, NULL },
	{ "ivgpu_irqs", ivgpu_debugfs_irqs_show, 0, NULL },
	{ "ivgpu_vram", ivgpu_debugfs_vram_show, 0, NULL },
	{ "ivgpu_mm", ivgpu_debugfs_mm_show, 0, NULL },
	{ "ivgpu_kmap", ivgpu_debugfs_kmap_show, 0, NULL },
	{ "ivgpu_objects", ivgpu_debugfs_objects_show, 0, NULL },
	{ "ivgpu_windows", ivgpu_debugfs_windows_show, 0, NULL },
	{ "ivgpu_ring", ivgpu_debugfs_ring_show, 0, NULL },
};

static int ivgpu_debugfs_dump_show(struct seq_file *m, void *data)
{
	struct ivgpu_device *ivgpu = m->private;
	u64 id, offset, size, i, j;
	struct ivgpu_bo *bo;
	u8 *buf;
	int ret;

	mutex_lock(&ivgpu->dump.lock);
	id = ivgpu->dump.id;
	offset = ivgpu->dump.offset;
	size = ivgpu->dump.size;
	mutex_unlock(&ivgpu->dump.lock);

	if (!id) {
		seq_puts(m, "no request yet: write \"ID OFFSET SIZE\" first\n");
		return 0;
	}

	bo = ivgpu_bo_find(ivgpu, id);
	if (!bo)
		return -ENOENT;

	buf = kvmalloc(size, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_put;
	}

	ret = ivgpu_kmap_access(bo, offset, buf, size, false);
	if (ret)
		goto out_free;

	for (i = 0; i < size; i += 16) {
		seq_printf(m, "%08llx:", offset + i);
		for (j = i; j < size && j < i + 16; j++)
			seq_printf(m, " %02x", buf[j]);
		seq_putc(m, '\n');
	}

out_free:
	kvfree(buf);
out_put:
	ivgpu_bo_put(bo);
	return ret;
}

static int ivgpu_debugfs_dump_open(struct inode *inode, struct file *file)
{
	/* "%08llx:" and 16 times " %02x" and a newline: 58 bytes per 16. */
	return single_open_size(file, ivgpu_debugfs_dump_show, inode->i_private,
				IVGPU_BO_DUMP_MAX / 16 * 58 + PAGE_SIZE);
}

static int ivgpu_debugfs_parse(char *req, u64 *v, unsigned int count)
{
	unsigned int n = 0;
	char *tok;

	while ((tok = strsep(&req, " \t\n"))) {
		if (!*tok)
			continue;
		if (n == count || kstrtou64(tok, 0, &v[n]))
			return -EINVAL;
		n++;
	}
	return n == count ? 0 : -EINVAL;
}

static ssize_t ivgpu_debugfs_dump_write(struct file *file, const char __user *ubuf,
					size_t len, loff_t *pos)
{
	struct seq_file *m = file->private_data;
	struct ivgpu_device *ivgpu = m->private;
	struct ivgpu_bo *bo;
	char req[96];
	u64 v[3], end;
	int ret;

	if (!len || len >= sizeof(req))
		return -EINVAL;
	if (copy_from_user(req, ubuf, len))
		return -EFAULT;
	req[len] = '\0';

	ret = ivgpu_debugfs_parse(req, v, 3);
	if (ret)
		return ret;
	if (!v[2] || v[2] > IVGPU_BO_DUMP_MAX)
		return -EINVAL;

	bo = ivgpu_bo_find(ivgpu, v[0]);
	if (!bo)
		return -ENOENT;
	if (check_add_overflow(v[1], v[2], &end) || end > bo->base.size)
		ret = -EINVAL;
	ivgpu_bo_put(bo);
	if (ret)
		return ret;

	mutex_lock(&ivgpu->dump.lock);
	ivgpu->dump.id = v[0];
	ivgpu->dump.offset = v[1];
	ivgpu->dump.size = v[2];
	mutex_unlock(&ivgpu->dump.lock);
	return len;
}

static const struct file_operations ivgpu_debugfs_dump_fops = {
	.owner = THIS_MODULE,
	.open = ivgpu_debugfs_dump_open,
	.read = seq_read,
	.write = ivgpu_debugfs_dump_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int ivgpu_debugfs_check_show(struct seq_file *m, void *data)
{
	struct ivgpu_device *ivgpu = m->private;
	struct ivgpu_check_result res;
	u64 id, seed;
	u32 kind, flags;
	struct ivgpu_bo *bo;
	int ret;

	mutex_lock(&ivgpu->check.lock);
	id = ivgpu->check.id;
	kind = ivgpu->check.kind;
	seed = ivgpu->check.seed;
	flags = ivgpu->check.flags;
	mutex_unlock(&ivgpu->check.lock);

	if (!id) {
		seq_puts(m, "no request yet: write \"ID KIND SEED FLAGS\" first\n");
		return 0;
	}

	bo = ivgpu_bo_find(ivgpu, id);
	if (!bo)
		return -ENOENT;
	ret = ivgpu_check_bo(bo, kind, seed, flags, &res);
	ivgpu_bo_put(bo);
	if (ret)
		return ret;

	seq_printf(m, "status %u\n", res.status);
	seq_printf(m, "mismatches %llu\n", res.mismatches);
	seq_printf(m, "first_mismatch %llu\n", res.first_mismatch);
	seq_printf(m, "from_windows %llu\n", res.from_windows);
	seq_printf(m, "crc32 %u\n", res.crc32);
	seq_printf(m, "extents %u\n", res.extents);
	return 0;
}

static int ivgpu_debugfs_check_open(struct inode *inode, struct file *file)
{
	return single_open(file, ivgpu_debugfs_check_show, inode->i_private);
}

static ssize_t ivgpu_debugfs_check_write(struct file *file, const char __user *ubuf,
					 size_t len, loff_t *pos)
{
	struct seq_file *m = file->private_data;
	struct ivgpu_device *ivgpu = m->private;
	struct ivgpu_bo *bo;
	char req[128];
	u64 v[4];
	int ret;

	if (!len || len >= sizeof(req))
		return -EINVAL;
	if (copy_from_user(req, ubuf, len))
		return -EFAULT;
	req[len] = '\0';

	ret = ivgpu_debugfs_parse(req, v, 4);
	if (ret)
		return ret;
	if (v[1] > IVGPU_CHECK_KIND_PATTERN || v[3] & ~(u64)IVGPU_CHECK_F_VRAM_ONLY)
		return -EINVAL;
	bo = ivgpu_bo_find(ivgpu, v[0]);
	if (!bo)
		return -ENOENT;
	ivgpu_bo_put(bo);

	mutex_lock(&ivgpu->check.lock);
	ivgpu->check.id = v[0];
	ivgpu->check.kind = v[1];
	ivgpu->check.seed = v[2];
	ivgpu->check.flags = v[3];
	mutex_unlock(&ivgpu->check.lock);
	return len;
}

static const struct file_operations ivgpu_debugfs_check_fops = {
	.owner = THIS_MODULE,
	.open = ivgpu_debugfs_check_open,
	.read = seq_read,
	.write = ivgpu_debugfs_check_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * ivgpu_debugfs_init - create the driver's debugfs files
 * @minor: the DRM minor whose debugfs directory receives them
 *
 * The &drm_driver.debugfs_init callback; the DRM core removes the files when
 * the device is unregistered.
 */
void ivgpu_debugfs_init(struct drm_minor *minor)
{
	drm_debugfs_create_files(ivgpu_debugfs_list, ARRAY_SIZE(ivgpu_debugfs_list),
				 minor->debugfs_root, minor);
	debugfs_create_file("ivgpu_bo_dump", 0600, minor->debugfs_root, to_ivgpu(minor->dev),
			    &ivgpu_debugfs_dump_fops);
	debugfs_create_file("ivgpu_vram_check", 0600, minor->debugfs_root, to_ivgpu(minor->dev),
			    &ivgpu_debugfs_check_fops);
	ivgpu_fault_debugfs_init(minor);
}
