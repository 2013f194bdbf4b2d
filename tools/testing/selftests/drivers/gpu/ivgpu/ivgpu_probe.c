// SPDX-License-Identifier: GPL-2.0
/*
 * ivgpu binds only to ivshmem functions whose BAR2 carries the ivgpu magic.
 * The VM runner can add a second, plain ivshmem device (same 1af4:1110 IDs,
 * no magic): it must be left without a driver and disabled, while the real
 * device is bound to ivgpu.
 */
#include <limits.h>

#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

struct ivshmem_fn {
	char name[256];
	char driver[256];	/* "" when unbound */
	bool doorbell;		/* has the MSI-X BAR1: ivshmem-doorbell */
	int enabled;
};

static int read_hex(const char *dev, const char *attr, unsigned long *v)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "%s/%s/%s", PCI_DEVICES, dev, attr);
	if (ivgpu_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	*v = strtoul(buf, NULL, 0);
	return 0;
}

/* Every 1af4:1110 function in the VM, with its driver and enable state. */
static int list_ivshmem(struct ivshmem_fn *fns, int max)
{
	DIR *d = opendir(PCI_DEVICES);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) && n < max) {
		char path[PATH_MAX], link[PATH_MAX], res[1024];
		unsigned long vendor, device, start, end, flags;
		struct ivshmem_fn *f = &fns[n];
		ssize_t len;
		char *line;

		if (de->d_name[0] == '.' || read_hex(de->d_name, "vendor", &vendor) ||
		    read_hex(de->d_name, "device", &device))
			continue;
		if (vendor != 0x1af4 || device != 0x1110)
			continue;
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/%s/driver", PCI_DEVICES, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len > 0) {
			link[len] = '\0';
			snprintf(f->driver, sizeof(f->driver), "%s", strrchr(link, '/') + 1);
		}
		snprintf(path, sizeof(path), "%s/%s/resource", PCI_DEVICES, de->d_name);
		if (ivgpu_read_file(path, res, sizeof(res)) > 0) {
			line = strchr(res, '\n');	/* second line: BAR1 */
			if (line && sscanf(line + 1, "%lx %lx %lx", &start, &end, &flags) == 3)
				f->doorbell = end > start;
		}
		snprintf(path, sizeof(path), "%s/%s/enable", PCI_DEVICES, de->d_name);
		f->enabled = ivgpu_read_file(path, res, sizeof(res)) > 0 ? atoi(res) : -1;
		n++;
	}
	closedir(d);
	return n;
}

TEST(binds_only_to_ivgpu)
{
	struct ivshmem_fn fns[8];
	uint64_t plain = 0;
	int n, i, bound = 0, unbound = 0;

	n = list_ivshmem(fns, 8);
	ASSERT_LE(1, n);
	for (i = 0; i < n; i++) {
		TH_LOG("%s: driver '%s', %s, enable %d", fns[i].name, fns[i].driver,
		       fns[i].doorbell ? "doorbell" : "plain", fns[i].enabled);
		if (fns[i].doorbell) {
			/* The one device ivgpu-dev serves. */
			EXPECT_STREQ("ivgpu", fns[i].driver);
			bound++;
		} else {
			/* No magic in BAR2: not claimed, left disabled. */
			EXPECT_STREQ("", fns[i].driver);
			EXPECT_EQ(0, fns[i].enabled);
			unbound++;
		}
	}
	EXPECT_EQ(1, bound);
	if (ivgpu_expect("PLAIN_IVSHMEM", &plain) && plain)
		EXPECT_EQ(1, unbound);
}

/* Binding the plain device by hand is refused with ENODEV, nothing claimed. */
TEST(manual_bind_of_plain_device_refused)
{
	struct ivshmem_fn fns[8], after[8];
	int n, i, fd, plain = -1;
	ssize_t w;

	n = list_ivshmem(fns, 8);
	for (i = 0; i < n; i++)
		if (!fns[i].doorbell)
			plain = i;
	if (plain < 0)
		SKIP(return, "no plain ivshmem device in this VM (runner --plain-ivshmem)");

	fd = open("/sys/bus/pci/drivers/ivgpu/bind", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	w = write(fd, fns[plain].name, strlen(fns[plain].name));
	EXPECT_EQ(-1, w);
	EXPECT_EQ(ENODEV, errno);
	close(fd);

	n = list_ivshmem(after, 8);
	for (i = 0; i < n; i++) {
		if (!strcmp(after[i].name, fns[plain].name)) {
			EXPECT_STREQ("", after[i].driver);
			EXPECT_EQ(0, after[i].enabled);
		}
	}
}

TEST_HARNESS_MAIN
