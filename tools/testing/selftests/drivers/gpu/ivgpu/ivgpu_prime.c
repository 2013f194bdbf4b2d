// SPDX-License-Identifier: GPL-2.0
/*
 * Sharing objects with PRIME (dma-buf): export to an fd, import in the same
 * file (same handle), in another file, and in another process that opened
 * its own render node and got the fd over a UNIX socket; the object lives
 * until its last user is gone; bogus fds are refused.  Handle-level tests
 * run in both BAR configurations, data checks only where the CPU can reach
 * VRAM.
 */
#include <signal.h>
#include <sys/socket.h>

#include "ivgpu_test.h"
#include "kselftest_harness.h"

#define PAGE IVGPU_PAGE

FIXTURE(prime) {
	IVGPU_FIXTURE_FIELDS;
};

FIXTURE_SETUP(prime)
{
	IVGPU_FIXTURE_SETUP();
}

FIXTURE_TEARDOWN(prime)
{
	IVGPU_FIXTURE_TEARDOWN();
}

static int send_fd(int sock, int fd)
{
	char byte = 'F', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int export(int fd, uint32_t h, int *dmabuf)
{
	return drmPrimeHandleToFD(fd, h, DRM_CLOEXEC | DRM_RDWR, dmabuf) ? -errno : 0;
}

static int import(int fd, int dmabuf, uint32_t *h)
{
	return drmPrimeFDToHandle(fd, dmabuf, h) ? -errno : 0;
}

static void say(int sock, char c)
{
	if (write(sock, &c, 1) != 1)
		_exit(90);
}

static char hear(int sock)
{
	char c = 0;

	if (read(sock, &c, 1) != 1)
		return 0;
	return c;
}

TEST_F(prime, import_in_same_file_gives_same_handle)
{
	uint32_t h, h2 = 0;
	int dmabuf = -1;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 8 * PAGE, 0, &h));
	ASSERT_EQ(0, export(self->fd, h, &dmabuf));
	ASSERT_LE(0, dmabuf);
	ASSERT_EQ(0, import(self->fd, dmabuf, &h2));
	EXPECT_EQ(h, h2);
	/* Exporting again is fine too. */
	close(dmabuf);
	ASSERT_EQ(0, export(self->fd, h, &dmabuf));
	ASSERT_EQ(0, import(self->fd, dmabuf, &h2));
	EXPECT_EQ(h, h2);
	close(dmabuf);
	/* One handle: one GEM_CLOSE frees it. */
	EXPECT_EQ(self->objects0 + 1, ivgpu_object_count());
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(-EINVAL, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd, self->used0, 1000));
}

TEST_F(prime, import_in_other_file)
{
	struct drm_ivgpu_gem_info i1, i2;
	int dmabuf = -1;
	uint32_t h, h2;

	self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, ivgpu_bo_create_full(self->fd, 5 * PAGE, 0, IVGPU_BO_FRAMEBUFFER, 0, &h,
					  NULL));
	ASSERT_EQ(0, export(self->fd, h, &dmabuf));
	ASSERT_EQ(0, import(self->fd2, dmabuf, &h2));
	ASSERT_EQ(0, ivgpu_bo_info(self->fd, h, &i1));
	ASSERT_EQ(0, ivgpu_bo_info(self->fd2, h2, &i2));
	EXPECT_EQ(i1.id, i2.id);
	EXPECT_EQ(i1.size, i2.size);
	EXPECT_EQ(i1.kind, i2.kind);
	EXPECT_EQ(i1.num_blocks, i2.num_blocks);
	/* Still one object, counted once. */
	EXPECT_EQ(self->objects0 + 1, ivgpu_object_count());
	EXPECT_EQ(self->used0 + 5 * PAGE, ivgpu_vram_used(self->fd));
	/* The exporter lets go; the importer keeps it alive. */
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	close(dmabuf);
	EXPECT_EQ(self->used0 + 5 * PAGE, ivgpu_vram_used(self->fd));
	EXPECT_EQ(0, ivgpu_bo_info(self->fd2, h2, &i2));
	EXPECT_EQ(i1.id, i2.id);
	EXPECT_EQ(0, ivgpu_bo_revoke(self->fd2, h2, 0, 0));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd2, h2));
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd, self->used0, 1000));
	close(self->fd2);
	self->fd2 = -1;
}

/*
 * A child process opens its own render node, receives the dma-buf over a
 * socket, imports it, maps it, sees the parent's data and writes its own.
 * The parent lets go of everything before the child is done: the object
 * lives on until the child closes it.
 */
TEST_F_TIMEOUT(prime, share_with_other_process, 60)
{
	uint64_t size = 256 * IVGPU_KIB;
	uint64_t id;
	int sv[2], dmabuf = -1, status;
	uint64_t *p = NULL;
	pid_t pid;
	uint32_t h;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	id = ivgpu_bo_id(self->fd, h);
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size / 2, 91);
	ASSERT_EQ(0, export(self->fd, h, &dmabuf));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct drm_ivgpu_gem_info info;
		int cfd, buf;
		uint32_t ch;
		uint64_t *cp;

		close(sv[0]);
		if (p)
			munmap(p, size);
		cfd = ivgpu_open_render();
		buf = recv_fd(sv[1]);
		if (cfd < 0 || buf < 0)
			_exit(10);
		if (import(cfd, buf, &ch))
			_exit(11);
		close(buf);
		if (ivgpu_bo_info(cfd, ch, &info) || info.size != size || info.id != id)
			_exit(12);
		say(sv[1], 'i');		/* imported */
		if (hear(sv[1]) != 'g')		/* the parent has let go */
			_exit(13);
		if (ivgpu_bo_info(cfd, ch, &info) || info.id != id)
			_exit(14);
		cp = ivgpu_bo_mmap(cfd, ch, size);
		if (cp == MAP_FAILED)
			_exit(15);
		if (ivgpu_check(cp, size / 2, 91) != -1)
			_exit(16);
		ivgpu_fill((uint8_t *)cp + size / 2, size / 2, 92);
		say(sv[1], 'w');		/* written */
		if (hear(sv[1]) != 'c')		/* checked */
			_exit(17);
		munmap(cp, size);
		if (ivgpu_gem_close(cfd, ch))
			_exit(18);
		close(cfd);
		_exit(0);
	}
	close(sv[1]);
	ASSERT_EQ(0, send_fd(sv[0], dmabuf));
	ASSERT_EQ('i', hear(sv[0]));
	/* Let go of the handle and the dma-buf; the mapping stays a while. */
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h));
	close(dmabuf);
	EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd));
	say(sv[0], 'g');
	ASSERT_EQ('w', hear(sv[0]));
	EXPECT_EQ(-1, ivgpu_check((uint8_t *)p + size / 2, size / 2, 92));
	EXPECT_EQ(0, munmap(p, size));
	/* The child alone holds it now. */
	EXPECT_EQ(self->used0 + size, ivgpu_vram_used(self->fd));
	say(sv[0], 'c');
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child failed at step %d", WEXITSTATUS(status));
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd, self->used0, 1000));
	close(sv[0]);
}

/* The importer's process dies without cleaning up: everything is released. */
TEST_F(prime, importer_exit_releases)
{
	int sv[2], dmabuf = -1, status;
	pid_t pid;
	uint32_t h;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 3 * PAGE, 0, &h));
	ASSERT_EQ(0, export(self->fd, h, &dmabuf));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int cfd = ivgpu_open_render(), buf = recv_fd(sv[1]);
		uint32_t ch;
		void *cp;

		if (cfd < 0 || buf < 0 || import(cfd, buf, &ch))
			_exit(1);
		cp = ivgpu_bo_mmap(cfd, ch, 3 * PAGE);
		if (cp == MAP_FAILED)
			_exit(2);
		*(volatile uint64_t *)cp = 1;
		say(sv[1], 'r');
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, send_fd(sv[0], dmabuf));
	ASSERT_EQ('r', hear(sv[0]));
	close(dmabuf);
	ASSERT_EQ(0, ivgpu_gem_close(self->fd, h));
	EXPECT_EQ(self->used0 + 3 * PAGE, ivgpu_vram_used(self->fd));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd, self->used0, 2000));
	close(sv[0]);
	close(sv[1]);
}

TEST_F(prime, bogus_fds_refused)
{
	struct drm_prime_handle ph = { 0 };
	int pipefd[2], procfd;
	uint32_t h, h2;

	EXPECT_EQ(-EBADF, import(self->fd, -1, &h));
	EXPECT_EQ(-EBADF, import(self->fd, 100000, &h));
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-EINVAL, import(self->fd, pipefd[0], &h));
	close(pipefd[0]);
	close(pipefd[1]);
	procfd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, procfd);
	EXPECT_EQ(-EINVAL, import(self->fd, procfd, &h));
	close(procfd);
	/* The DRM file itself is not a dma-buf. */
	EXPECT_EQ(-EINVAL, import(self->fd, self->fd, &h));
	/* Export: unknown handle, unknown flags. */
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, PAGE, 0, &h2));
	ph.handle = h2;
	ph.flags = 0x4;
	EXPECT_EQ(-EINVAL, ivgpu_ioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph));
	ph.handle = h2 + 1;
	ph.flags = DRM_CLOEXEC;
	EXPECT_EQ(-ENOENT, ivgpu_ioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph));
	EXPECT_EQ(self->objects0 + 1, ivgpu_object_count());
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h2));
}

/* Export, close everything but the dma-buf, import again later. */
TEST_F(prime, dmabuf_keeps_object_alive)
{
	int dmabuf = -1;
	uint64_t v = 0xfeed0001, id;
	uint32_t h, h2;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 2 * PAGE, 0, &h));
	id = ivgpu_bo_id(self->fd, h);
	ASSERT_EQ(0, ivgpu_bo_pwrite(self->fd, h, PAGE, &v, 8));
	ASSERT_EQ(0, export(self->fd, h, &dmabuf));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	close(self->fd);
	self->fd = -1;
	self->fd2 = ivgpu_open_render();
	ASSERT_LE(0, self->fd2);
	EXPECT_EQ(self->used0 + 2 * PAGE, ivgpu_vram_used(self->fd2));
	ASSERT_EQ(0, import(self->fd2, dmabuf, &h2));
	EXPECT_EQ(id, ivgpu_bo_id(self->fd2, h2));
	v = 0;
	EXPECT_EQ(0, ivgpu_bo_pread(self->fd2, h2, PAGE, &v, 8));
	EXPECT_EQ(0xfeed0001ull, v);
	close(dmabuf);
	EXPECT_EQ(self->used0 + 2 * PAGE, ivgpu_vram_used(self->fd2));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd2, h2));
	EXPECT_EQ(self->used0, ivgpu_wait_vram_used(self->fd2, self->used0, 1000));
	close(self->fd2);
	self->fd2 = -1;
}

/*
 * The importer's mapping lives in the same device-wide address space: a
 * move or a revoke through the exporter's handle zaps it too, and it sees
 * the data at the new place.
 */
TEST_F_TIMEOUT(prime, move_seen_by_importer, 60)
{
	uint64_t size = 128 * IVGPU_KIB;
	int sv[2], dmabuf = -1, status;
	struct ivgpu_mm_stats s0;
	uint64_t *p;
	pid_t pid;
	uint32_t h;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, ivgpu_bo_create(self->fd, size, 0, &h));
	p = ivgpu_bo_mmap(self->fd, h, size);
	ASSERT_NE(MAP_FAILED, p);
	ivgpu_fill(p, size, 93);
	ASSERT_EQ(0, export(self->fd, h, &dmabuf));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int cfd = ivgpu_open_render(), buf = recv_fd(sv[1]), r;
		uint64_t *cp;
		uint32_t ch;

		if (cfd < 0 || buf < 0 || import(cfd, buf, &ch))
			_exit(1);
		cp = ivgpu_bo_mmap(cfd, ch, size);
		if (cp == MAP_FAILED)
			_exit(2);
		for (r = 0; r < 3; r++) {
			if (ivgpu_check(cp, size, 93 + r) != -1)	/* all entries in */
				_exit(3);
			say(sv[1], 'r');
			if (hear(sv[1]) != 'm')				/* moved */
				_exit(4);
		}
		_exit(0);
	}
	ASSERT_EQ(0, send_fd(sv[0], dmabuf));
	close(dmabuf);
	for (int r = 0; r < 3; r++) {
		ASSERT_EQ('r', hear(sv[0])) TH_LOG("round %d: the importer saw wrong data", r);
		s0 = ivgpu_mm_stats();
		ASSERT_EQ(0, ivgpu_bo_move(self->fd, h, r & 1 ? 0 : IVGPU_MOVE_CONTIGUOUS, NULL));
		ivgpu_fill(p, size, 94 + r);
		/* The parent and the child each fault the object back. */
		EXPECT_LT(s0.faults, ivgpu_mm_stats().faults);
		say(sv[0], 'm');
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child failed at step %d", WEXITSTATUS(status));
	EXPECT_EQ(0, munmap(p, size));
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
	close(sv[0]);
	close(sv[1]);
}

/*
 * mmap() of the dma-buf fd itself must fail: such a VMA would belong to the
 * dma-buf's file, outside the device-wide address space that revoke and
 * move zap, so it could keep pointing at VRAM the object no longer owns.
 * (Map through a DRM file that imported it instead.)
 */
TEST_F(prime, dmabuf_mmap_refused)
{
	int dmabuf = -1;
	uint32_t h;
	void *p;

	ASSERT_EQ(0, ivgpu_bo_create(self->fd, 4 * PAGE, 0, &h));
	ASSERT_EQ(0, export(self->fd, h, &dmabuf));
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	EXPECT_EQ(MAP_FAILED, p);
	TH_LOG("mmap of the dma-buf: %s", p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, 4 * PAGE);
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, dmabuf, 0);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	close(dmabuf);
	EXPECT_EQ(0, ivgpu_gem_close(self->fd, h));
}

TEST_HARNESS_MAIN
