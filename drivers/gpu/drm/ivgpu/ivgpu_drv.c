// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu: a DRM driver for a GPU-like device built from QEMU's ivshmem-doorbell
 * PCI function and a host-side device model.
 *
 * This file holds the module, the PCI driver, the DRM driver and its ioctl
 * table.  The rest of the driver lives in one file per responsibility.
 */

#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>
#include <drm/ivgpu_drm.h>

#include "ivgpu_drv.h"

/* QEMU's ivshmem PCI function, plain or doorbell. */
#define IVGPU_PCI_DEVICE_ID_IVSHMEM	0x1110

struct ivgpu_modparams ivgpu_modparams = {
	.ping_timeout_ms = 2000,
	.prefault_pages = 256,
	.kmap_cache_limit = 32,
	.kmap_per_file = 64,
	.bank_timeout_ms = 2000,
	.window_residency_us = 1000,
	.job_timeout_ms = 2000,
	.use_coproc = true,
};
EXPORT_SYMBOL_FOR_IVGPU_KUNIT(ivgpu_modparams);

module_param_named(ping_timeout_ms, ivgpu_modparams.ping_timeout_ms, uint, 0644);
MODULE_PARM_DESC(ping_timeout_ms,
		 "Milliseconds to wait for the device to answer an interrupt round trip (default 2000, range 1-60000)");
module_param_named(prefault_pages, ivgpu_modparams.prefault_pages, uint, 0644);
MODULE_PARM_DESC(prefault_pages,
		 "Page-table entries one user fault inserts at most: the aligned block of that many pages around the fault, within the VMA and the VRAM extent (default 256, range 1-1024, 1 = no prefault)");
module_param_named(kmap_cache_limit, ivgpu_modparams.kmap_cache_limit, uint, 0644);
MODULE_PARM_DESC(kmap_cache_limit,
		 "Idle kernel mappings of VRAM kept cached for reuse; older ones are unmapped (default 32, 0 = unmap when unused)");
module_param_named(kmap_per_file, ivgpu_modparams.kmap_per_file, uint, 0644);
MODULE_PARM_DESC(kmap_per_file,
		 "Kernel mappings one open file may hold through GEM_MAP before getting ENOSPC (default 64, range 1-4096)");

module_param_named(bank_timeout_ms, ivgpu_modparams.bank_timeout_ms, uint, 0644);
MODULE_PARM_DESC(bank_timeout_ms,
		 "Milliseconds to wait for the device to acknowledge one bank switch of a small BAR's window (default 2000, range 1-60000)");
module_param_named(window_residency_us, ivgpu_modparams.window_residency_us, uint, 0644);
MODULE_PARM_DESC(window_residency_us,
		 "Microseconds a small BAR's window keeps its bank before another task's fault may slide it away (default 1000, range 0-100000, 0 = at once)");
module_param_named(job_timeout_ms, ivgpu_modparams.job_timeout_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "Milliseconds a co-processor job may run before it is timed out, its fence set to -ETIMEDOUT and the engine reset; a change applies from the next job that starts (default 2000, range 1-60000)");
module_param_named(use_coproc, ivgpu_modparams.use_coproc, bool, 0644);
MODULE_PARM_DESC(use_coproc,
		 "Zero new objects and copy moved objects with the device's co-processor when it has one; N = with the CPU (default Y)");

static int ivgpu_ioctl_get_param(struct drm_device *drm, void *data,
				 struct drm_file *file)
{
	const struct ivgpu_config *c = &to_ivgpu(drm)->config;
	const struct ivgpu_ring *ring = &to_ivgpu(drm)->ring;
	struct drm_ivgpu_get_param *args = data;
	u64 unused;
	int ret = 0;
	int idx;

	if (args->pad)
		return -EINVAL;

	/* Nothing here touches the hardware, but an unplugged device has no parameters. */
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	switch (args->param) {
	case IVGPU_PARAM_DEVICE_VERSION:
		args->value = c->version;
		break;
	case IVGPU_PARAM_VRAM_SIZE:
		args->value = c->vram_size;
		break;
	case IVGPU_PARAM_BAR_CONFIG:
		args->value = c->bar_config == IVGPU_BAR_CONFIG_LARGE ?
			      IVGPU_BAR_LARGE : IVGPU_BAR_SMALL;
		break;
	case IVGPU_PARAM_WINDOW_COUNT:
		args->value = c->window_count;
		break;
	case IVGPU_PARAM_WINDOW_SIZE:
		args->value = c->window_size;
		break;
	case IVGPU_PARAM_CAPS:
		args->value = c->caps;
		break;
	case IVGPU_PARAM_BANK_GRANULE:
		args->value = c->bank_granule;
		break;
	case IVGPU_PARAM_CPU_VISIBLE_SIZE:
		args->value = ivgpu_config_cpu_visible_size(c);
		break;
	case IVGPU_PARAM_PING_COUNT:
		args->value = atomic64_read(&to_ivgpu(drm)->ping.completed);
		break;
	case IVGPU_PARAM_VRAM_USED:
		ivgpu_vram_stats(to_ivgpu(drm), &args->value, &unused, NULL);
		break;
	case IVGPU_PARAM_VRAM_LARGEST_FREE:
		ivgpu_vram_stats(to_ivgpu(drm), &unused, &args->value, NULL);
		break;
	case IVGPU_PARAM_VRAM_KERNEL:
		args->value = ring->present ? ring->size : 0;
		break;
	case IVGPU_PARAM_SUBMIT_MAX_CMDS:
		args->value = ring->present ? ring->job_cmds - 1 : 0;
		break;
	default:
		ret = -EINVAL;
		break;
	}

	drm_dev_exit(idx);
	return ret;
}

static int ivgpu_open(struct drm_device *drm, struct drm_file *file)
{
	struct ivgpu_file *ifile;
	int ret;

	ifile = kzalloc(sizeof(*ifile), GFP_KERNEL);
	if (!ifile)
		return -ENOMEM;
	ret = ivgpu_ring_file_init(to_ivgpu(drm), ifile);
	if (ret) {
		kfree(ifile);
		return ret;
	}
	ivgpu_kmap_file_init(ifile);
	file->driver_priv = ifile;
	return 0;
}

static void ivgpu_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct ivgpu_file *ifile = file->driver_priv;

	ivgpu_ring_file_fini(ifile);
	ivgpu_kmap_file_fini(ifile);
	kfree(ifile);
}

static const struct drm_ioctl_desc ivgpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(IVGPU_GET_PARAM, ivgpu_ioctl_get_param, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_CREATE, ivgpu_ioctl_gem_create, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_INFO, ivgpu_ioctl_gem_info, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_MMAP_OFFSET, ivgpu_ioctl_gem_mmap_offset, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_PREAD, ivgpu_ioctl_gem_pread, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_PWRITE, ivgpu_ioctl_gem_pwrite, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_REVOKE, ivgpu_ioctl_gem_revoke, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_MOVE, ivgpu_ioctl_gem_move, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_MAP, ivgpu_ioctl_gem_map, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_UNMAP, ivgpu_ioctl_gem_unmap, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_SUBMIT, ivgpu_ioctl_submit, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(IVGPU_GEM_WAIT, ivgpu_ioctl_gem_wait, DRM_RENDER_ALLOW),
};

/* The DRM core's GEM file operations, with this driver's mmap (ivgpu_mmap.c). */
static const struct file_operations ivgpu_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.mmap = ivgpu_mmap,
};

static const struct drm_driver ivgpu_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER | DRIVER_SYNCOBJ | DRIVER_SYNCOBJ_TIMELINE,
	.open = ivgpu_open,
	.postclose = ivgpu_postclose,
	.ioctls = ivgpu_ioctls,
	.num_ioctls = ARRAY_SIZE(ivgpu_ioctls),
	.fops = &ivgpu_fops,
	.prime_handle_to_fd = drm_gem_prime_handle_to_fd,
	.prime_fd_to_handle = drm_gem_prime_fd_to_handle,
	.gem_prime_mmap = ivgpu_bo_prime_mmap,
	.debugfs_init = ivgpu_debugfs_init,
	.name = IVGPU_DRIVER_NAME,
	.desc = IVGPU_DRIVER_DESC,
	.date = IVGPU_DRIVER_DATE,
	.major = IVGPU_DRIVER_MAJOR,
	.minor = IVGPU_DRIVER_MINOR,
};

static void ivgpu_print_summary(struct ivgpu_device *ivgpu, u64 latency_ns)
{
	const struct ivgpu_config *c = &ivgpu->config;
	char vram[24], window[24], granule[24];

	ivgpu_size_str(c->vram_size, vram, sizeof(vram));
	if (c->bar_config == IVGPU_BAR_CONFIG_LARGE) {
		drm_info(&ivgpu->drm, "device %u.%u, VRAM %s, large BAR, IRQ round trip %llu ns\n",
			 IVGPU_VERSION_MAJOR_OF(c->version), IVGPU_VERSION_MINOR_OF(c->version),
			 vram, latency_ns);
		return;
	}

	ivgpu_size_str(c->window_size, window, sizeof(window));
	ivgpu_size_str(c->bank_granule, granule, sizeof(granule));
	drm_info(&ivgpu->drm,
		 "device %u.%u, VRAM %s, small BAR: %u windows of %s, granule %s, IRQ round trip %llu ns\n",
		 IVGPU_VERSION_MAJOR_OF(c->version), IVGPU_VERSION_MINOR_OF(c->version),
		 vram, c->window_count, window, granule, latency_ns);
}

static int ivgpu_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ivgpu_device *ivgpu;
	void __iomem *regs;
	u64 latency_ns;
	u32 seq;
	int ret;

	/* The uAPI passes the device's values through unchanged. */
	BUILD_BUG_ON(IVGPU_CAPS_PING != IVGPU_CAP_PING);
	BUILD_BUG_ON(IVGPU_CAPS_LARGE_BAR != IVGPU_CAP_LARGE_BAR);
	BUILD_BUG_ON(IVGPU_CAPS_WINDOWS != IVGPU_CAP_WINDOWS);
	BUILD_BUG_ON(IVGPU_CAPS_COPROC != IVGPU_CAP_COPROC);
	BUILD_BUG_ON(IVGPU_STALL_MAX_NS != IVGPU_CMD_STALL_MAX_NS);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	/* Leaves every ivshmem device that is not an ivgpu alone. */
	ret = ivgpu_config_detect(pdev, &regs);
	if (ret)
		return ret;

	ivgpu = devm_drm_dev_alloc(&pdev->dev, &ivgpu_drm_driver, struct ivgpu_device, drm);
	if (IS_ERR(ivgpu))
		return PTR_ERR(ivgpu);
	ivgpu->pdev = pdev;
	ivgpu->regs = regs;
	pci_set_drvdata(pdev, ivgpu);

	ret = ivgpu_config_init(ivgpu);
	if (ret)
		return ret;

	ivgpu_bo_init(ivgpu);
	ret = ivgpu_fault_init(ivgpu);
	if (ret)
		return ret;
	ret = ivgpu_vram_init(ivgpu);
	if (ret)
		return ret;
	ret = ivgpu_kmap_init(ivgpu);
	if (ret)
		return ret;
	ret = ivgpu_window_init(ivgpu);
	if (ret)
		return ret;

	/*
	 * MSI-X messages are memory writes by the device: without bus
	 * mastering (undone when devres disables the device) they are dropped.
	 */
	pci_set_master(pdev);

	ret = ivgpu_irq_init(ivgpu);
	if (ret)
		return ret;

	/* The device's eventfds may not be wired up yet: allow a few tries. */
	ret = ivgpu_ping(ivgpu, IVGPU_PROBE_PING_ATTEMPTS, &seq, &latency_ns);
	if (ret == -ETIMEDOUT) {
		/* PONG_SEQ == PING_SEQ: the device answered, its interrupt was lost. */
		drm_err(&ivgpu->drm,
			"no interrupt round trip after %d attempts of %u ms (PING_SEQ %u, PONG_SEQ %u): is ivgpu-dev running and QEMU's ivshmem device set up with vectors=%d?\n",
			IVGPU_PROBE_PING_ATTEMPTS, READ_ONCE(ivgpu_modparams.ping_timeout_ms),
			ivgpu_rd32(ivgpu, IVGPU_REG_PING_SEQ),
			ivgpu_rd32(ivgpu, IVGPU_REG_PONG_SEQ), IVGPU_NUM_VECTORS);
		return -EIO;
	}
	if (ret)
		return ret;

	/* The co-processor, if any: its resets are acknowledged by interrupt. */
	ret = ivgpu_ring_init(ivgpu);
	if (ret)
		return ret;

	ret = drm_dev_register(&ivgpu->drm, 0);
	if (ret)
		return ret;

	ivgpu_print_summary(ivgpu, latency_ns);
	return 0;
}

static void ivgpu_pci_remove(struct pci_dev *pdev)
{
	struct ivgpu_device *ivgpu = pci_get_drvdata(pdev);

	/*
	 * The co-processor first: ioctls in progress may wait for its jobs
	 * (a creation for its clear, a move for its copy), and
	 * drm_dev_unplug() waits for them.  Its jobs fail from now on.
	 */
	ivgpu_ring_unplug(ivgpu);
	/*
	 * After this, ioctls, faults and debugfs no longer reach the hardware,
	 * and no user mapping has a page-table entry left.  Kernel mappings of
	 * VRAM go next, before devres releases the BAR.  The interrupt
	 * handlers, MSI-X vectors and register mappings are then released by
	 * devres in reverse order of setup; see ivgpu_irq.c.
	 */
	drm_dev_unplug(&ivgpu->drm);
	ivgpu_kmap_unplug(ivgpu);
}

static const struct pci_device_id ivgpu_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, IVGPU_PCI_DEVICE_ID_IVSHMEM) },
	{ }
};
MODULE_DEVICE_TABLE(pci, ivgpu_pci_ids);

static struct pci_driver ivgpu_pci_driver = {
	.name = IVGPU_DRIVER_NAME,
	.id_table = ivgpu_pci_ids,
	.probe = ivgpu_pci_probe,
	.remove = ivgpu_pci_remove,
};

module_pci_driver(ivgpu_pci_driver);

MODULE_DESCRIPTION("DRM driver for the ivgpu device (QEMU ivshmem-doorbell with a device model)");
MODULE_LICENSE("GPL");
