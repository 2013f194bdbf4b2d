// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu device detection and configuration.
 *
 * An ivshmem-doorbell function is an ivgpu only if BAR2 starts with the
 * ivgpu register block.  Detection maps just that block; everything else
 * the driver learns about the device comes from it, and is checked against
 * what the PCI core found before anything is believed.
 */

#include <linux/align.h>
#include <linux/bits.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pci.h>

#include <drm/drm_print.h>

#include "ivgpu_drv.h"

/**
 * ivgpu_config_detect - find the ivgpu register block in BAR2
 * @pdev: an ivshmem-doorbell PCI function, enabled with pcim_enable_device()
 * @regs: set to the mapping of the register block on success
 *
 * Claims BAR2 and maps its first IVGPU_REGS_SIZE bytes, device-managed,
 * then checks the magic and the major version.  Any other ivshmem device is
 * refused quietly; the caller's probe failure releases what was claimed.
 *
 * Return: 0 if @pdev is an ivgpu this driver can drive, -ENODEV if it is not
 * an ivgpu or speaks an unsupported major version, another negative errno on
 * failure.
 */
int ivgpu_config_detect(struct pci_dev *pdev, void __iomem **regs)
{
	void __iomem *map;
	u32 magic, version;
	int ret;

	if (!(pci_resource_flags(pdev, IVGPU_BAR_MEM) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, IVGPU_BAR_MEM) < IVGPU_REGS_SIZE) {
		dev_dbg(&pdev->dev, "BAR%d cannot hold an ivgpu register block: not an ivgpu\n",
			IVGPU_BAR_MEM);
		return -ENODEV;
	}

	ret = pci_request_region(pdev, IVGPU_BAR_MEM, IVGPU_DRIVER_NAME);
	if (ret)
		return ret;

	map = pcim_iomap(pdev, IVGPU_BAR_MEM, IVGPU_REGS_SIZE);
	if (!map)
		return -ENOMEM;

	magic = ioread32(map + IVGPU_REG_MAGIC);
	if (magic != IVGPU_MAGIC) {
		dev_dbg(&pdev->dev, "BAR%d magic is 0x%08x, not 0x%08x: not an ivgpu\n",
			IVGPU_BAR_MEM, magic, IVGPU_MAGIC);
		return -ENODEV;
	}

	version = ioread32(map + IVGPU_REG_VERSION);
	if (IVGPU_VERSION_MAJOR_OF(version) != IVGPU_VERSION_MAJOR) {
		dev_err(&pdev->dev,
			"ivgpu register contract %u.%u is not supported, this driver speaks %u.x\n",
			IVGPU_VERSION_MAJOR_OF(version), IVGPU_VERSION_MINOR_OF(version),
			IVGPU_VERSION_MAJOR);
		return -ENODEV;
	}

	*regs = map;
	return 0;
}

static int ivgpu_map_ivshmem(struct ivgpu_device *ivgpu)
{
	struct pci_dev *pdev = ivgpu->pdev;
	struct drm_device *drm = &ivgpu->drm;
	int ret;

	if (!(pci_resource_flags(pdev, IVGPU_BAR_IVSHMEM) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, IVGPU_BAR_IVSHMEM) < IVSHMEM_REG_DOORBELL + 4) {
		drm_err(drm, "BAR%d does not hold ivshmem's registers\n", IVGPU_BAR_IVSHMEM);
		return -EINVAL;
	}

	ret = pci_request_region(pdev, IVGPU_BAR_IVSHMEM, IVGPU_DRIVER_NAME);
	if (ret)
		return ret;

	ivgpu->ivshmem = pcim_iomap(pdev, IVGPU_BAR_IVSHMEM, 0);
	if (!ivgpu->ivshmem)
		return -ENOMEM;

	return 0;
}

static void ivgpu_config_read(struct ivgpu_device *ivgpu)
{
	struct ivgpu_config *c = &ivgpu->config;

	c->version = ivgpu_rd32(ivgpu, IVGPU_REG_VERSION);
	c->caps = ivgpu_rd64(ivgpu, IVGPU_REG_CAPS);
	c->vram_size = ivgpu_rd64(ivgpu, IVGPU_REG_VRAM_SIZE);
	c->bar_config = ivgpu_rd32(ivgpu, IVGPU_REG_BAR_CONFIG);
	c->num_vectors = ivgpu_rd32(ivgpu, IVGPU_REG_NUM_VECTORS);
	c->bar_size = ivgpu_rd64(ivgpu, IVGPU_REG_BAR_SIZE);
	c->dev_peer_id = ivgpu_rd32(ivgpu, IVGPU_REG_DEV_PEER_ID);
	c->guest_peer_id = ivgpu_rd32(ivgpu, IVGPU_REG_GUEST_PEER_ID);
	c->regs_size = ivgpu_rd32(ivgpu, IVGPU_REG_REGS_SIZE);
	c->mem_start = pci_resource_start(ivgpu->pdev, IVGPU_BAR_MEM);
	c->mem_len = pci_resource_len(ivgpu->pdev, IVGPU_BAR_MEM);

	/* Only the fields of the device's BAR configuration are kept. */
	if (c->bar_config == IVGPU_BAR_CONFIG_LARGE) {
		c->vram_bar_offset = ivgpu_rd64(ivgpu, IVGPU_REG_VRAM_BAR_OFFSET);
	} else if (c->bar_config == IVGPU_BAR_CONFIG_SMALL) {
		c->window_bar_offset = ivgpu_rd64(ivgpu, IVGPU_REG_WINDOW_BAR_OFFSET);
		c->window_size = ivgpu_rd64(ivgpu, IVGPU_REG_WINDOW_SIZE);
		c->window_count = ivgpu_rd32(ivgpu, IVGPU_REG_WINDOW_COUNT);
		c->bank_granule = ivgpu_rd64(ivgpu, IVGPU_REG_BANK_GRANULE);
	}
}

/*
 * Check that [offset, offset + size) is a page-aligned range of BAR2 after
 * the register block and inside the part of BAR2 the device lays out.
 */
static int ivgpu_config_check_range(struct ivgpu_device *ivgpu, const char *what,
				    u64 offset, u64 size)
{
	const struct ivgpu_config *c = &ivgpu->config;
	u64 end;

	if (offset < c->regs_size || !IS_ALIGNED(offset, PAGE_SIZE)) {
		drm_err(&ivgpu->drm,
			"%s at BAR%d offset 0x%llx: must be page aligned and follow the 0x%x byte register block\n",
			what, IVGPU_BAR_MEM, offset, c->regs_size);
		return -EINVAL;
	}
	if (check_add_overflow(offset, size, &end) || end > c->bar_size) {
		drm_err(&ivgpu->drm,
			"%s at BAR%d offset 0x%llx, 0x%llx bytes, overruns the 0x%llx bytes of BAR%d\n",
			what, IVGPU_BAR_MEM, offset, size, c->bar_size, IVGPU_BAR_MEM);
		return -EINVAL;
	}
	return 0;
}

static int ivgpu_config_check_large(struct ivgpu_device *ivgpu)
{
	const struct ivgpu_config *c = &ivgpu->config;

	if (!(c->caps & IVGPU_CAP_LARGE_BAR)) {
		drm_err(&ivgpu->drm, "large BAR configuration without the large-BAR capability (caps 0x%llx)\n",
			c->caps);
		return -EINVAL;
	}
	return ivgpu_config_check_range(ivgpu, "VRAM", c->vram_bar_offset, c->vram_size);
}

static int ivgpu_config_check_small(struct ivgpu_device *ivgpu)
{
	const struct ivgpu_config *c = &ivgpu->config;
	struct drm_device *drm = &ivgpu->drm;
	u64 windows_size;

	/*
	 * IVGPU_CAP_WINDOWS says the device switches banks; the layout below is
	 * valid without it, and the driver does not switch banks yet either.
	 */
	if (c->window_count < 1 || c->window_count > IVGPU_REGS_WINDOW_MAX) {
		drm_err(drm, "%u windows: must be 1 to %u\n", c->window_count,
			IVGPU_REGS_WINDOW_MAX);
		return -EINVAL;
	}
	if (c->bank_granule < IVGPU_BANK_GRANULE_MIN || !is_power_of_2(c->bank_granule)) {
		drm_err(drm, "bank granule 0x%llx: must be a power of two of at least 0x%llx\n",
			c->bank_granule, IVGPU_BANK_GRANULE_MIN);
		return -EINVAL;
	}
	if (c->window_size < IVGPU_WINDOW_SIZE_MIN ||
	    !IS_ALIGNED(c->window_size, PAGE_SIZE) ||
	    !IS_ALIGNED(c->window_size, c->bank_granule) ||
	    c->window_size > c->vram_size) {
		drm_err(drm,
			"window size 0x%llx: must be at least 0x%llx, a multiple of the page size and of the bank granule 0x%llx, and no larger than VRAM (0x%llx)\n",
			c->window_size, IVGPU_WINDOW_SIZE_MIN, c->bank_granule, c->vram_size);
		return -EINVAL;
	}
	if (check_mul_overflow(c->window_size, (u64)c->window_count, &windows_size)) {
		drm_err(drm, "%u windows of 0x%llx bytes overflow\n", c->window_count,
			c->window_size);
		return -EINVAL;
	}
	return ivgpu_config_check_range(ivgpu, "windows", c->window_bar_offset, windows_size);
}

static int ivgpu_config_check(struct ivgpu_device *ivgpu)
{
	const struct ivgpu_config *c = &ivgpu->config;
	struct drm_device *drm = &ivgpu->drm;
	u32 ivposition;

	if (c->regs_size != IVGPU_REGS_SIZE) {
		drm_err(drm, "register block of 0x%x bytes, expected 0x%x\n", c->regs_size,
			IVGPU_REGS_SIZE);
		return -EINVAL;
	}
	if (!c->bar_size || c->bar_size > c->mem_len) {
		drm_err(drm, "device lays out 0x%llx bytes of BAR%d, but BAR%d has 0x%llx\n",
			c->bar_size, IVGPU_BAR_MEM, IVGPU_BAR_MEM, (u64)c->mem_len);
		return -EINVAL;
	}
	if (!c->vram_size || !IS_ALIGNED(c->vram_size, PAGE_SIZE)) {
		drm_err(drm, "VRAM size 0x%llx: must be a non-zero multiple of the page size\n",
			c->vram_size);
		return -EINVAL;
	}
	if (!(c->caps & IVGPU_CAP_PING)) {
		drm_err(drm, "device cannot answer an interrupt round trip (caps 0x%llx)\n",
			c->caps);
		return -EINVAL;
	}
	if (c->num_vectors < IVGPU_NUM_VECTORS) {
		drm_err(drm, "device raises %u interrupt vectors, the driver needs %u\n",
			c->num_vectors, IVGPU_NUM_VECTORS);
		return -EINVAL;
	}

	ivposition = ioread32(ivgpu->ivshmem + IVSHMEM_REG_IVPOSITION);
	if (c->dev_peer_id > 0xffff || c->guest_peer_id != ivposition ||
	    c->dev_peer_id == c->guest_peer_id) {
		drm_err(drm, "device peer %u, guest peer %u, but this guest is ivshmem peer %u\n",
			c->dev_peer_id, c->guest_peer_id, ivposition);
		return -EINVAL;
	}

	switch (c->bar_config) {
	case IVGPU_BAR_CONFIG_LARGE:
		return ivgpu_config_check_large(ivgpu);
	case IVGPU_BAR_CONFIG_SMALL:
		return ivgpu_config_check_small(ivgpu);
	default:
		drm_err(drm, "unknown BAR configuration %u\n", c->bar_config);
		return -EINVAL;
	}
}

/**
 * ivgpu_config_init - read and validate the device configuration
 * @ivgpu: the device; @regs mapped by ivgpu_config_detect()
 *
 * Also claims and maps ivshmem's registers in BAR0, device-managed.  Fills
 * &ivgpu_device.config and refuses devices whose configuration contradicts
 * itself or the BAR the PCI core found.
 *
 * Return: 0 on success, -EINVAL for an inconsistent device, another negative
 * errno on failure.
 */
int ivgpu_config_init(struct ivgpu_device *ivgpu)
{
	int ret;

	ret = ivgpu_map_ivshmem(ivgpu);
	if (ret)
		return ret;

	ivgpu_config_read(ivgpu);
	return ivgpu_config_check(ivgpu);
}

/**
 * ivgpu_config_cpu_visible_size - bytes of VRAM the CPU sees at once
 * @config: a validated configuration
 *
 * Return: all of VRAM with a large BAR, the windows' total with a small one.
 */
u64 ivgpu_config_cpu_visible_size(const struct ivgpu_config *config)
{
	if (config->bar_config == IVGPU_BAR_CONFIG_LARGE)
		return config->vram_size;
	return config->window_size * config->window_count;
}

/**
 * ivgpu_size_str - format a size exactly, in the largest binary unit
 * @bytes: the size
 * @buf: where to write the text
 * @len: bytes available at @buf
 *
 * Uses the largest of GiB, MiB and KiB that divides @bytes, else bytes, so
 * that nothing is rounded: "256 MiB", "1536 KiB", "4097 B".
 *
 * Return: @buf.
 */
const char *ivgpu_size_str(u64 bytes, char *buf, size_t len)
{
	static const char * const units[] = { "B", "KiB", "MiB", "GiB" };
	unsigned int i = 0;

	while (i < ARRAY_SIZE(units) - 1 && bytes && IS_ALIGNED(bytes, 1024)) {
		bytes >>= 10;
		i++;
	}
	snprintf(buf, len, "%llu %s", bytes, units[i]);
	return buf;
}
