/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest tools (ivgpu-info, ivgpu-bench, ivgpu-mmdemo):
 * finding a DRM node by driver name, the ivgpu debugfs directory, and one
 * "name value" counter of an ivgpu debugfs file.
 */
#ifndef IVGPU_TOOL_H
#define IVGPU_TOOL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

/* The first render (or primary) node whose driver is @name; -1 if none. */
static inline int ivgpu_tool_open_driver(const char *name, bool render)
{
	char path[64];
	int i, fd;

	for (i = render ? 128 : 0; i < (render ? 192 : 64); i++) {
		drmVersionPtr v;

		snprintf(path, sizeof(path), render ? "/dev/dri/renderD%d" : "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		v = drmGetVersion(fd);
		if (v && !strcmp(v->name, name)) {
			drmFreeVersion(v);
			return fd;
		}
		if (v)
			drmFreeVersion(v);
		close(fd);
	}
	return -1;
}

/* The debugfs directory of the ivgpu device into @dir; false if none. */
static inline bool ivgpu_tool_debugfs(char *dir, size_t len)
{
	DIR *d = opendir("/sys/kernel/debug/dri");
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char path[300 + sizeof(de->d_name)], buf[64] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%s/name", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && !strncmp(buf, "ivgpu ", 6)) {
			snprintf(dir, len, "/sys/kernel/debug/dri/%s", de->d_name);
			found = true;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* Counter @name of the debugfs file @file in @dir ("name value" lines); -1 if absent. */
static inline long long ivgpu_tool_counter(const char *dir, const char *file, const char *name)
{
	char path[1024], line[128], key[64];
	long long v, found = -1;
	FILE *f;

	if (!dir[0])
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

#endif /* IVGPU_TOOL_H */
