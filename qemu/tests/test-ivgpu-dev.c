// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test-ivgpu-dev - host-side tests of qemu/ivgpu-dev, without QEMU.
 *
 * Usage: test-ivgpu-dev PATH-TO-IVGPU-DEV
 *
 * Starts ivgpu-dev (fork/exec) with its socket in a private temporary
 * directory and plays QEMU's part of the ivshmem protocol against it: it
 * receives the version, ID, memfd and eventfds, maps the memfd, checks the
 * register block, rings doorbells by writing to the device's eventfds and
 * waits for interrupts on its own.  Prints TAP version 13; exits 0 only if
 * every test passed.  Every child is killed and the temporary directory is
 * removed whatever happens.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "ivgpu_regs.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "test needs a little-endian host");

#define MiB			(1024ull * 1024)
#define START_TIMEOUT_MS	5000
#define EXIT_TIMEOUT_MS		3000
#define IRQ_TIMEOUT_MS		2000
#define WATCHDOG_S		120

static const char *dev_bin;
static char tmpdir[128];
static int name_seq;

/* ---------------------------------------------------------------------- */
/* TAP output and checks                                                  */
/* ---------------------------------------------------------------------- */

static void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Fatal check: report and jump to the test's "out" label. */
#define CHECK(cond) do {							\
	if (!(cond)) {								\
		diag("%s:%d: check failed: %s", __FILE__, __LINE__, #cond);	\
		ok = false;							\
		goto out;							\
	}									\
} while (0)

/* Non-fatal equality check of two integers. */
#define EXPECT_EQ(got, exp) do {						\
	uint64_t got_ = (got), exp_ = (exp);					\
	if (got_ != exp_) {							\
		diag("%s:%d: %s = 0x%" PRIx64 ", expected %s = 0x%" PRIx64,	\
		     __FILE__, __LINE__, #got, got_, #exp, exp_);		\
		ok = false;							\
	}									\
} while (0)

/* ---------------------------------------------------------------------- */
/* Children                                                               */
/* ---------------------------------------------------------------------- */

#define MAX_CHILDREN 16
static volatile pid_t children[MAX_CHILDREN];

static void child_add(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_CHILDREN; i++) {
		if (!children[i]) {
			children[i] = pid;
			return;
		}
	}
	diag("too many children");
	kill(pid, SIGKILL);
	abort();
}

static void child_del(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

/* kill_children - SIGKILL and reap every child still registered. */
static void kill_children(void)
{
	int i;

	for (i = 0; i < MAX_CHILDREN; i++) {
		if (children[i]) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	}
}

/* remove_tmpdir - remove the (flat) temporary directory and its files. */
static void remove_tmpdir(void)
{
	struct dirent *de;
	char path[PATH_MAX * 2];
	DIR *d;

	if (!tmpdir[0])
		return;
	d = opendir(tmpdir);
	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(tmpdir);
	tmpdir[0] = 0;
}

static void cleanup(void)
{
	kill_children();
	remove_tmpdir();
}

/* The watchdog: nothing may hang.  Only async-signal-safe calls here. */
static void watchdog(int sig)
{
	static const char msg[] = "Bail out! watchdog expired\n";
	int i;

	(void)sig;
	for (i = 0; i < MAX_CHILDREN; i++)
		if (children[i])
			kill(children[i], SIGKILL);
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* tmp_path - a fresh path in the temporary directory. */
static void tmp_path(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "%s/%s%d", tmpdir, what, ++name_seq);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* read_text - read a whole (small) file into @buf, NUL-terminated. */
static size_t read_text(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += r;
	buf[n] = 0;
	close(fd);
	return n;
}

/* dump_text - show a file as diagnostics. */
static void dump_text(const char *what, const char *path)
{
	char buf[8192], *line, *save = NULL;

	read_text(path, buf, sizeof(buf));
	diag("%s (%s):", what, path);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		diag("  %s", line);
}

/*
 * spawn - fork/exec ivgpu-dev with @args (NULL-terminated, without argv[0]),
 * stdout and stderr to @out.
 */
static pid_t spawn(const char *const *args, const char *out)
{
	const char *argv[32];
	int i, fd;
	pid_t pid;

	argv[0] = dev_bin;
	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		diag("fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		signal(SIGPIPE, SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(127);
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
			_exit(127);
		execv(dev_bin, (char *const *)argv);
		_exit(127);
	}
	child_add(pid);
	return pid;
}

/*
 * wait_child - wait up to @timeout_ms for @pid to exit.
 * Returns true with the wait status in @status if it did.
 */
static bool wait_child(pid_t pid, int timeout_ms, int *status)
{
	long long end = now_ms() + timeout_ms;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid) {
			child_del(pid);
			return true;
		}
		if (r < 0) {
			diag("waitpid: %s", strerror(errno));
			return false;
		}
		if (now_ms() > end)
			return false;
		sleep_ms(2);
	}
}

static bool is_socket(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISSOCK(st.st_mode);
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* ---------------------------------------------------------------------- */
/* The server under test                                                  */
/* ---------------------------------------------------------------------- */

struct server {
	pid_t pid;
	char sock[PATH_MAX];
	char out[PATH_MAX];
};

/*
 * server_start - start ivgpu-dev with "--socket PATH" and @extra, and wait
 * until the socket appears.
 */
static bool server_start(struct server *srv, const char *const *extra)
{
	const char *args[32] = { "--socket", srv->sock };
	long long end = now_ms() + START_TIMEOUT_MS;
	int i, status;

	tmp_path(srv->sock, sizeof(srv->sock), "sock");
	tmp_path(srv->out, sizeof(srv->out), "out");
	for (i = 0; extra && extra[i] && i < 28; i++)
		args[i + 2] = extra[i];
	args[i + 2] = NULL;

	srv->pid = spawn(args, srv->out);
	if (srv->pid < 0)
		return false;
	while (!is_socket(srv->sock)) {
		if (wait_child(srv->pid, 0, &status)) {
			diag("ivgpu-dev exited early, wait status 0x%x", status);
			dump_text("its output", srv->out);
			srv->pid = -1;
			return false;
		}
		if (now_ms() > end) {
			diag("socket %s did not appear", srv->sock);
			return false;
		}
		sleep_ms(1);
	}
	return true;
}

/* server_alive - true if the server has not exited. */
static bool server_alive(struct server *srv)
{
	int status;

	if (srv->pid <= 0)
		return false;
	if (wait_child(srv->pid, 0, &status)) {
		diag("ivgpu-dev exited, wait status 0x%x", status);
		dump_text("its output", srv->out);
		srv->pid = -1;
		return false;
	}
	return true;
}

/* server_wait_exit - wait for the server to exit; true if it exited 0. */
static bool server_wait_exit(struct server *srv)
{
	int status;

	if (srv->pid <= 0)
		return false;
	if (!wait_child(srv->pid, EXIT_TIMEOUT_MS, &status)) {
		diag("ivgpu-dev did not exit within %d ms", EXIT_TIMEOUT_MS);
		return false;
	}
	srv->pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		diag("ivgpu-dev ended with wait status 0x%x", status);
		dump_text("its output", srv->out);
		return false;
	}
	return true;
}

/*
 * server_stop - stop the server if it still runs: SIGTERM first, which must
 * make it exit 0 and remove its socket; SIGKILL if it does not.
 * Returns false if it had to be killed or left its socket behind.
 */
static bool server_stop(struct server *srv)
{
	bool ok = true;
	int status;

	if (srv->pid > 0) {
		kill(srv->pid, SIGTERM);
		if (!wait_child(srv->pid, EXIT_TIMEOUT_MS, &status)) {
			diag("ivgpu-dev ignored SIGTERM; killing it");
			kill(srv->pid, SIGKILL);
			waitpid(srv->pid, NULL, 0);
			child_del(srv->pid);
			ok = false;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			diag("ivgpu-dev ended with wait status 0x%x on SIGTERM", status);
			dump_text("its output", srv->out);
			ok = false;
		}
	}
	srv->pid = -1;
	if (srv->sock[0] && exists(srv->sock)) {
		diag("%s left behind", srv->sock);
		unlink(srv->sock);
		ok = false;
	}
	return ok;
}

/* ---------------------------------------------------------------------- */
/* The client (QEMU's side of the protocol)                               */
/* ---------------------------------------------------------------------- */

struct client {
	int sock;
	int64_t id;
	int memfd;
	uint64_t bar_size;
	volatile uint8_t *bar;
	int dev_fd[IVGPU_NUM_VECTORS];
	int irq_fd[IVGPU_NUM_VECTORS];
};

static void client_init(struct client *c)
{
	int v;

	memset(c, 0, sizeof(*c));
	c->sock = -1;
	c->memfd = -1;
	for (v = 0; v < IVGPU_NUM_VECTORS; v++) {
		c->dev_fd[v] = -1;
		c->irq_fd[v] = -1;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* client_close - disconnect and release everything the client holds. */
static void client_close(struct client *c)
{
	int v;

	if (c->bar)
		munmap((void *)c->bar, c->bar_size);
	c->bar = NULL;
	close_fd(&c->sock);
	close_fd(&c->memfd);
	for (v = 0; v < IVGPU_NUM_VECTORS; v++) {
		close_fd(&c->dev_fd[v]);
		close_fd(&c->irq_fd[v]);
	}
}

static bool client_connect_raw(struct client *c, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->sock < 0) {
		diag("socket: %s", strerror(errno));
		return false;
	}
	if (connect(c->sock, (struct sockaddr *)&addr, sizeof(addr))) {
		diag("connect(%s): %s", path, strerror(errno));
		return false;
	}
	return true;
}

/*
 * recv_msg - receive one 8-byte message and at most one fd.
 * Returns 1 for a message, 0 for EOF before any byte, -1 on error/timeout.
 */
static int recv_msg(int sock, int64_t *val, int *fdp, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct pollfd pfd;
	struct iovec iov;
	uint8_t data[8];
	size_t got = 0;
	bool bad = false;
	int i, nfds, fd, r;
	ssize_t n;

	*fdp = -1;
	while (got < sizeof(data)) {
		pfd = (struct pollfd){ .fd = sock, .events = POLLIN };
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			diag(r ? "poll: %s" : "timed out waiting for a message%s",
			     r ? strerror(errno) : "");
			goto err;
		}
		iov = (struct iovec){ .iov_base = data + got, .iov_len = sizeof(data) - got };
		msg = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
				       .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag("recvmsg: %s", strerror(errno));
			goto err;
		}
		if (n == 0) {
			if (!got)
				return 0;
			diag("EOF in the middle of a message");
			goto err;
		}
		if (msg.msg_flags & MSG_CTRUNC) {
			diag("control data truncated");
			bad = true;
		}
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
			if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
				continue;
			nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < nfds; i++) {
				memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
				if (*fdp < 0 && nfds == 1) {
					*fdp = fd;
				} else {
					close(fd);
					bad = true;
				}
			}
		}
		got += n;
	}
	if (bad) {
		diag("message came with more than one fd");
		goto err;
	}
	memcpy(val, data, sizeof(*val));
	return 1;
err:
	close_fd(fdp);
	return -1;
}

/* fd_kind - what /proc says an fd is, e.g. "anon_inode:[eventfd]". */
static const char *fd_kind(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

static bool is_eventfd(int fd)
{
	char kind[256];

	if (strcmp(fd_kind(fd, kind, sizeof(kind)), "anon_inode:[eventfd]")) {
		diag("fd %d is '%s', not an eventfd", fd, kind);
		return false;
	}
	return true;
}

/*
 * expect_msg - receive one message and check its value and whether it
 * carries an fd.  The fd, if any, is returned in @fdp.
 */
static bool expect_msg(struct client *c, const char *what, int64_t exp, bool want_fd, int *fdp)
{
	int64_t val;
	int fd, r;

	r = recv_msg(c->sock, &val, &fd, IRQ_TIMEOUT_MS);
	if (r <= 0) {
		diag("%s: %s", what, r ? "no message" : "connection closed");
		return false;
	}
	if (val != exp || (fd >= 0) != want_fd) {
		diag("%s: got %" PRId64 " %s an fd, expected %" PRId64 " %s an fd", what, val,
		     fd >= 0 ? "with" : "without", exp, want_fd ? "with" : "without");
		close_fd(&fd);
		return false;
	}
	if (fdp)
		*fdp = fd;
	return true;
}

/*
 * client_connect - connect and run QEMU's side of the handshake, checking
 * the exact order and count of messages, then map the shared memory.
 * With @strict, also check that nothing more arrives afterwards.
 */
static bool client_connect(struct client *c, const char *path, bool strict)
{
	char kind[256];
	struct pollfd pfd;
	struct stat st;
	int64_t id;
	bool ok = true;
	int v, fd;
	void *p;

	client_init(c);
	CHECK(client_connect_raw(c, path));
	CHECK(expect_msg(c, "version", 0, false, NULL));
	CHECK(recv_msg(c->sock, &id, &fd, IRQ_TIMEOUT_MS) == 1);
	if (fd >= 0) {
		close(fd);
		diag("ID message carries an fd");
		CHECK(false);
	}
	CHECK(id >= 1 && id <= 0xffff);
	c->id = id;
	CHECK(expect_msg(c, "shared memory", -1, true, &c->memfd));
	CHECK(!strncmp(fd_kind(c->memfd, kind, sizeof(kind)), "/memfd:ivgpu-bar2", 17));
	for (v = 0; v < IVGPU_NUM_VECTORS; v++) {
		CHECK(expect_msg(c, "device peer eventfd", 0, true, &c->dev_fd[v]));
		CHECK(is_eventfd(c->dev_fd[v]));
	}
	for (v = 0; v < IVGPU_NUM_VECTORS; v++) {
		CHECK(expect_msg(c, "own interrupt eventfd", id, true, &c->irq_fd[v]));
		CHECK(is_eventfd(c->irq_fd[v]));
	}
	if (strict) {
		pfd = (struct pollfd){ .fd = c->sock, .events = POLLIN };
		if (poll(&pfd, 1, 100) != 0) {
			diag("unexpected data or hang-up after the handshake (revents 0x%x)",
			     pfd.revents);
			CHECK(false);
		}
	}

	CHECK(!fstat(c->memfd, &st));
	c->bar_size = st.st_size;
	CHECK(c->bar_size >= IVGPU_REGS_SIZE);
	p = mmap(NULL, c->bar_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->memfd, 0);
	CHECK(p != MAP_FAILED);
	c->bar = p;
out:
	return ok;
}

static uint32_t rd32(struct client *c, uint32_t off)
{
	return *(volatile uint32_t *)(c->bar + off);
}

/* rd64 - read a 64-bit register as the guest does: low half first. */
static uint64_t rd64(struct client *c, uint32_t off)
{
	uint64_t lo = rd32(c, off);

	return lo | (uint64_t)rd32(c, off + 4) << 32;
}

static void wr32(struct client *c, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(c->bar + off) = v;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ring - ring device doorbell @vector (add @n to its eventfd). */
static bool ring(struct client *c, unsigned int vector, uint64_t n)
{
	if (write(c->dev_fd[vector], &n, sizeof(n)) != sizeof(n)) {
		diag("ringing vector %u: %s", vector, strerror(errno));
		return false;
	}
	return true;
}

/* wait_irq - wait for interrupt @vector; returns its count, 0 on timeout. */
static uint64_t wait_irq(struct client *c, unsigned int vector, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->irq_fd[vector], .events = POLLIN };
	uint64_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return 0;
	if (read(c->irq_fd[vector], &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/* ping - one IVGPU_DB_PING round trip with @seq. */
static bool ping(struct client *c, uint32_t seq)
{
	wr32(c, IVGPU_REG_PING_SEQ, seq);
	if (!ring(c, IVGPU_DB_PING, 1))
		return false;
	if (!wait_irq(c, IVGPU_IRQ_PING, IRQ_TIMEOUT_MS)) {
		diag("no IVGPU_IRQ_PING for seq %u", seq);
		return false;
	}
	if (rd32(c, IVGPU_REG_PONG_SEQ) != seq) {
		diag("PONG_SEQ = %u, expected %u", rd32(c, IVGPU_REG_PONG_SEQ), seq);
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------------- */
/* Register checks                                                        */
/* ---------------------------------------------------------------------- */

struct expect {
	bool small;
	uint64_t vram_size;
	uint64_t bar_size;
	uint64_t window_offset;
	uint64_t window_size;
	uint32_t windows;
	uint64_t granule;
};

static bool check_regs(struct client *c, const struct expect *e)
{
	uint64_t caps = IVGPU_CAP_PING | (e->small ? 0 : IVGPU_CAP_LARGE_BAR);
	uint64_t bar = rd64(c, IVGPU_REG_BAR_SIZE);
	bool ok = true;

	EXPECT_EQ(rd32(c, IVGPU_REG_MAGIC), IVGPU_MAGIC);
	EXPECT_EQ(rd32(c, IVGPU_REG_VERSION), IVGPU_VERSION);
	EXPECT_EQ(rd64(c, IVGPU_REG_CAPS), caps);
	EXPECT_EQ(rd64(c, IVGPU_REG_VRAM_SIZE), e->vram_size);
	EXPECT_EQ(rd32(c, IVGPU_REG_BAR_CONFIG),
		  e->small ? IVGPU_BAR_CONFIG_SMALL : IVGPU_BAR_CONFIG_LARGE);
	EXPECT_EQ(rd32(c, IVGPU_REG_NUM_VECTORS), IVGPU_NUM_VECTORS);
	EXPECT_EQ(bar, e->bar_size);
	EXPECT_EQ(bar, c->bar_size);
	EXPECT_EQ(bar & (bar - 1), 0);
	EXPECT_EQ(rd64(c, IVGPU_REG_VRAM_BAR_OFFSET), e->small ? 0 : IVGPU_LARGE_BAR_VRAM_OFFSET);
	EXPECT_EQ(rd64(c, IVGPU_REG_WINDOW_BAR_OFFSET), e->small ? e->window_offset : 0);
	EXPECT_EQ(rd64(c, IVGPU_REG_WINDOW_SIZE), e->small ? e->window_size : 0);
	EXPECT_EQ(rd32(c, IVGPU_REG_WINDOW_COUNT), e->small ? e->windows : 0);
	EXPECT_EQ(rd32(c, IVGPU_REG_DEV_PEER_ID), 0);
	EXPECT_EQ(rd64(c, IVGPU_REG_BANK_GRANULE), e->small ? e->granule : 0);
	EXPECT_EQ(rd32(c, IVGPU_REG_GUEST_PEER_ID), c->id);
	EXPECT_EQ(rd32(c, IVGPU_REG_REGS_SIZE), IVGPU_REGS_SIZE);
	EXPECT_EQ(rd32(c, IVGPU_REG_ERROR_CODE), IVGPU_ERROR_NONE);
	EXPECT_EQ(rd32(c, IVGPU_REG_ERROR_COUNT), 0);
	EXPECT_EQ(rd64(c, IVGPU_REG_PING_COUNT), 0);
	if (e->small) {
		EXPECT_EQ(e->window_offset % e->window_size, 0);
		EXPECT_EQ(e->window_offset >= IVGPU_REGS_SIZE, 1);
		EXPECT_EQ(e->window_offset + e->windows * e->window_size <= bar, 1);
	} else {
		EXPECT_EQ(IVGPU_LARGE_BAR_VRAM_OFFSET + e->vram_size <= bar, 1);
	}
	return ok;
}

/*
 * config_test - start a server with @args, connect strictly, check every
 * register against @e, and that the BAR memory is usable end to end.
 */
static bool config_test(const char *const *args, const struct expect *e)
{
	struct server srv = { .pid = -1 };
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, true));
	EXPECT_EQ(c.id, 1);
	CHECK(check_regs(&c, e));
	/* The whole BAR is backed: touch its last byte. */
	c.bar[c.bar_size - 1] = 0xa5;
	EXPECT_EQ(c.bar[c.bar_size - 1], 0xa5);
	CHECK(ping(&c, 0x1234));
	CHECK(server_alive(&srv));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* ---------------------------------------------------------------------- */
/* Tests                                                                  */
/* ---------------------------------------------------------------------- */

static bool t_large_default(void)
{
	struct expect e = { .vram_size = 256 * MiB, .bar_size = 512 * MiB };

	return config_test(NULL, &e);
}

static bool t_large_3m(void)
{
	const char *args[] = { "--vram-size", "3M", NULL };
	struct expect e = { .vram_size = 3 * MiB, .bar_size = 8 * MiB };

	return config_test(args, &e);
}

static bool t_large_exact_pow2(void)
{
	const char *args[] = { "--vram-size", "1022M", NULL };
	struct expect e = { .vram_size = 1022 * MiB, .bar_size = 1024 * MiB };

	return config_test(args, &e);
}

static bool t_large_g_suffix(void)
{
	const char *args[] = { "--vram-size", "2G", NULL };
	struct expect e = { .vram_size = 2048 * MiB, .bar_size = 4096 * MiB };

	return config_test(args, &e);
}

static bool t_small_example(void)
{
	const char *args[] = { "--small-bar", "--windows", "4", "--window-size", "2M",
			       "--bank-granule", "64K", NULL };
	struct expect e = { .small = true, .vram_size = 256 * MiB, .bar_size = 16 * MiB,
			    .window_offset = 2 * MiB, .window_size = 2 * MiB, .windows = 4,
			    .granule = 64 * 1024 };

	return config_test(args, &e);
}

static bool t_small_default(void)
{
	const char *args[] = { "--small-bar", NULL };
	struct expect e = { .small = true, .vram_size = 256 * MiB, .bar_size = 4 * MiB,
			    .window_offset = 1 * MiB, .window_size = 1 * MiB, .windows = 2,
			    .granule = 4096 };

	return config_test(args, &e);
}

static bool t_small_min_window(void)
{
	const char *args[] = { "--small-bar", "--windows", "1", "--window-size", "64K",
			       "--vram-size", "1M", "--bank-granule", "32K", NULL };
	struct expect e = { .small = true, .vram_size = 1 * MiB, .bar_size = 128 * 1024,
			    .window_offset = 64 * 1024, .window_size = 64 * 1024, .windows = 1,
			    .granule = 32 * 1024 };

	return config_test(args, &e);
}

/* t_pings - 1000 round trips in a row; PONG_SEQ and PING_COUNT follow. */
static bool run_pings(const char *const *args)
{
	struct server srv = { .pid = -1 };
	struct client c;
	bool ok = true;
	uint32_t i, seq;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	for (i = 1; i <= 1000; i++) {
		seq = 0x9e3779b9u * i;
		CHECK(ping(&c, seq));
		if (rd64(&c, IVGPU_REG_PING_COUNT) != i) {
			diag("PING_COUNT = %" PRIu64 " after %u pings",
			     rd64(&c, IVGPU_REG_PING_COUNT), i);
			CHECK(false);
		}
	}
	/* No stray interrupts on the other vectors. */
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_PING, 0), 0);
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_ERROR, 0), 0);
	EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_COUNT), 0);
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

static bool t_pings_large(void)
{
	return run_pings(NULL);
}

static bool t_pings_small(void)
{
	const char *args[] = { "--small-bar", "--windows", "4", "--window-size", "2M",
			       "--bank-granule", "64K", NULL };

	return run_pings(args);
}

/* t_bad_vectors - unimplemented doorbells raise IVGPU_IRQ_ERROR. */
static bool t_bad_vectors(void)
{
	struct server srv = { .pid = -1 };
	uint32_t expect_count = 0;
	struct client c;
	bool ok = true;
	unsigned int v;

	client_init(&c);
	CHECK(server_start(&srv, NULL));
	CHECK(client_connect(&c, srv.sock, false));
	for (v = 1; v < IVGPU_NUM_VECTORS; v++) {
		CHECK(ring(&c, v, 1));
		expect_count++;
		if (!wait_irq(&c, IVGPU_IRQ_ERROR, IRQ_TIMEOUT_MS)) {
			diag("no IVGPU_IRQ_ERROR for vector %u", v);
			CHECK(false);
		}
		EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_CODE), IVGPU_ERROR_BAD_DOORBELL);
		EXPECT_EQ(rd64(&c, IVGPU_REG_ERROR_ARG), v);
		EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_COUNT), expect_count);
	}
	/* Three rings coalesced in one counter are three errors. */
	CHECK(ring(&c, IVGPU_DB_RING, 3));
	expect_count += 3;
	CHECK(wait_irq(&c, IVGPU_IRQ_ERROR, IRQ_TIMEOUT_MS));
	EXPECT_EQ(rd64(&c, IVGPU_REG_ERROR_ARG), IVGPU_DB_RING);
	EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_COUNT), expect_count);
	/* Errors raise nothing else, and pings still work. */
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_PING, 0), 0);
	EXPECT_EQ(rd64(&c, IVGPU_REG_PING_COUNT), 0);
	CHECK(ping(&c, 42));
	EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_COUNT), expect_count);
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_ERROR, 0), 0);
	CHECK(server_alive(&srv));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* t_second_client - a concurrent second client is closed at once. */
static bool t_second_client(void)
{
	struct server srv = { .pid = -1 };
	struct client c1, c2;
	char out[8192];
	bool ok = true;
	int64_t val;
	int fd = -1;

	client_init(&c1);
	client_init(&c2);
	CHECK(server_start(&srv, NULL));
	CHECK(client_connect(&c1, srv.sock, false));
	CHECK(ping(&c1, 1));
	CHECK(client_connect_raw(&c2, srv.sock));
	if (recv_msg(c2.sock, &val, &fd, IRQ_TIMEOUT_MS) != 0) {
		close_fd(&fd);
		diag("second client was not closed without a message");
		CHECK(false);
	}
	client_close(&c2);
	CHECK(ping(&c1, 2));
	CHECK(server_alive(&srv));
	read_text(srv.out, out, sizeof(out));
	CHECK(strstr(out, "refused"));
out:
	client_close(&c1);
	client_close(&c2);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* t_persist - with --persist a reconnect gets a new ID and the same memory. */
static bool t_persist(void)
{
	const char *args[] = { "--persist", "--vram-size", "4M", NULL };
	struct server srv = { .pid = -1 };
	uint64_t vram = IVGPU_LARGE_BAR_VRAM_OFFSET, vsize = 4 * MiB, i;
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	EXPECT_EQ(c.id, 1);
	for (i = 0; i < 4096; i++)
		c.bar[vram + i] = (uint8_t)(i * 7 + 1);
	c.bar[vram + vsize - 1] = 0x5a;
	CHECK(ping(&c, 77));
	client_close(&c);

	CHECK(client_connect(&c, srv.sock, false));
	EXPECT_EQ(c.id, 2);
	EXPECT_EQ(rd32(&c, IVGPU_REG_GUEST_PEER_ID), 2);
	EXPECT_EQ(rd32(&c, IVGPU_REG_MAGIC), IVGPU_MAGIC);
	for (i = 0; i < 4096; i++)
		if (c.bar[vram + i] != (uint8_t)(i * 7 + 1))
			break;
	EXPECT_EQ(i, 4096);
	EXPECT_EQ(c.bar[vram + vsize - 1], 0x5a);
	EXPECT_EQ(rd32(&c, IVGPU_REG_PONG_SEQ), 77);
	EXPECT_EQ(rd64(&c, IVGPU_REG_PING_COUNT), 1);
	CHECK(ping(&c, 78));
	EXPECT_EQ(rd64(&c, IVGPU_REG_PING_COUNT), 2);
	client_close(&c);

	CHECK(client_connect(&c, srv.sock, false));
	EXPECT_EQ(c.id, 3);
	CHECK(ping(&c, 79));
	client_close(&c);
	sleep_ms(20);
	CHECK(server_alive(&srv));
	CHECK(is_socket(srv.sock));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* t_vanish - a client that disappears mid-handshake costs only its ID. */
static bool t_vanish(void)
{
	const char *args[] = { "--persist", NULL };
	struct server srv = { .pid = -1 };
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect_raw(&c, srv.sock));
	client_close(&c);
	CHECK(client_connect(&c, srv.sock, false));
	EXPECT_EQ(c.id, 2);
	CHECK(ping(&c, 5));
	CHECK(server_alive(&srv));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* t_junk - data and fds sent by a misbehaving client are ignored. */
static bool t_junk(void)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct server srv = { .pid = -1 };
	char junk[100], out[8192];
	struct msghdr msg;
	struct cmsghdr *cmsg;
	struct iovec iov;
	struct client c;
	bool ok = true;
	int efd = -1;

	client_init(&c);
	memset(junk, 0xee, sizeof(junk));
	CHECK(server_start(&srv, NULL));
	CHECK(client_connect(&c, srv.sock, false));
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0);
	iov = (struct iovec){ .iov_base = junk, .iov_len = sizeof(junk) };
	msg = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
			       .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	memset(&u, 0, sizeof(u));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &efd, sizeof(int));
	CHECK(sendmsg(c.sock, &msg, MSG_NOSIGNAL) == sizeof(junk));
	CHECK(send(c.sock, junk, sizeof(junk), MSG_NOSIGNAL) == sizeof(junk));
	CHECK(ping(&c, 6));
	CHECK(ping(&c, 7));
	CHECK(server_alive(&srv));
	read_text(srv.out, out, sizeof(out));
	CHECK(strstr(out, "unexpected data"));
out:
	close_fd(&efd);
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* t_sealed - the client cannot resize the shared memory under the device. */
static bool t_sealed(void)
{
	struct server srv = { .pid = -1 };
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, NULL));
	CHECK(client_connect(&c, srv.sock, false));
	CHECK(ftruncate(c.memfd, 4096) < 0 && errno == EPERM);
	CHECK(ftruncate(c.memfd, c.bar_size * 2) < 0 && errno == EPERM);
	CHECK(ping(&c, 8));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* t_exit_on_disconnect - without --persist the server exits 0 and cleans up. */
static bool t_exit_on_disconnect(void)
{
	struct server srv = { .pid = -1 };
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, NULL));
	CHECK(client_connect(&c, srv.sock, false));
	CHECK(ping(&c, 9));
	client_close(&c);
	CHECK(server_wait_exit(&srv));
	CHECK(!exists(srv.sock));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* signal_test - @sig makes the server exit 0 and remove its socket. */
static bool signal_test(int sig, bool with_client)
{
	struct server srv = { .pid = -1 };
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, NULL));
	if (with_client) {
		CHECK(client_connect(&c, srv.sock, false));
		CHECK(ping(&c, 10));
	}
	CHECK(!kill(srv.pid, sig));
	CHECK(server_wait_exit(&srv));
	CHECK(!exists(srv.sock));
	if (with_client) {
		/* The client sees the hang-up. */
		int64_t val;
		int fd = -1;

		CHECK(recv_msg(c.sock, &val, &fd, IRQ_TIMEOUT_MS) == 0);
	}
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

static bool t_sigterm(void)
{
	return signal_test(SIGTERM, true);
}

static bool t_sigint(void)
{
	return signal_test(SIGINT, false);
}

/* starts_with_timestamp - "YYYY-MM-DD HH:MM:SS.mmm " */
static bool starts_with_timestamp(const char *s)
{
	static const char pat[] = "dddd-dd-dd dd:dd:dd.ddd ";
	size_t i;

	for (i = 0; pat[i]; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	}
	return true;
}

/* t_log - --log appends timestamped lines covering a whole session. */
static bool t_log(void)
{
	struct server srv = { .pid = -1 };
	char logpath[PATH_MAX], buf[16384], *line, *save = NULL;
	const char *args[] = { "--log", logpath, NULL };
	static const char *const wanted[] = {
		"starting: large BAR", "listening on", "client 1 connected",
		"client 1 disconnected (pings answered: 3, errors: 1)", "exit status 0",
	};
	struct client c;
	bool ok = true;
	unsigned int i;
	int fd, lines = 0;

	client_init(&c);
	tmp_path(logpath, sizeof(logpath), "log");
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, "previous line\n", 14) == 14);
	close(fd);

	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	CHECK(ping(&c, 1) && ping(&c, 2) && ping(&c, 3));
	CHECK(ring(&c, IVGPU_DB_RESET, 1));
	CHECK(wait_irq(&c, IVGPU_IRQ_ERROR, IRQ_TIMEOUT_MS));
	client_close(&c);
	CHECK(server_wait_exit(&srv));

	/* Nothing goes to stderr when logging to a file. */
	CHECK(read_text(srv.out, buf, sizeof(buf)) == 0);
	read_text(logpath, buf, sizeof(buf));
	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		if (!strstr(buf, wanted[i])) {
			diag("log lacks '%s'", wanted[i]);
			ok = false;
		}
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!lines++) {
			if (strcmp(line, "previous line")) {
				diag("log was not appended to: first line '%s'", line);
				ok = false;
			}
		} else if (!starts_with_timestamp(line)) {
			diag("line without timestamp: '%s'", line);
			ok = false;
		}
	}
	CHECK(lines >= 6);
out:
	if (!ok)
		dump_text("log", logpath);
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* t_help - --help prints usage on stdout and exits 0. */
static bool t_help(void)
{
	const char *args[] = { "--help", NULL };
	char out[PATH_MAX], buf[8192];
	bool ok = true;
	int status;
	pid_t pid;

	tmp_path(out, sizeof(out), "out");
	pid = spawn(args, out);
	CHECK(pid > 0);
	CHECK(wait_child(pid, EXIT_TIMEOUT_MS, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	read_text(out, buf, sizeof(buf));
	CHECK(strstr(buf, "Usage:") && strstr(buf, "--small-bar"));
out:
	return ok;
}

/* t_not_a_socket - an existing non-socket at the path is left alone. */
static bool t_not_a_socket(void)
{
	char path[PATH_MAX], out[PATH_MAX], buf[8192];
	const char *args[] = { "--socket", path, NULL };
	struct stat st;
	bool ok = true;
	int status, fd;
	pid_t pid;

	tmp_path(path, sizeof(path), "file");
	tmp_path(out, sizeof(out), "out");
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	close(fd);
	pid = spawn(args, out);
	CHECK(pid > 0);
	CHECK(wait_child(pid, EXIT_TIMEOUT_MS, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	CHECK(!lstat(path, &st) && S_ISREG(st.st_mode));
	read_text(out, buf, sizeof(buf));
	CHECK(strstr(buf, "not a socket"));
out:
	return ok;
}

/*
 * Bad command lines: each must exit 2 with exactly one line on stderr that
 * names the option, and create no socket.  "@S" stands for a socket path.
 */
struct bad_opt {
	const char *name;
	const char *args[12];
	const char *mention;
};

static const struct bad_opt bad_opts[] = {
	{ "missing --socket", { "--vram-size", "4M" }, "--socket" },
	{ "--socket without argument", { "--socket" }, "--socket" },
	{ "bad size suffix", { "--socket", "@S", "--vram-size", "12X" }, "--vram-size" },
	{ "size not a number", { "--socket", "@S", "--vram-size", "lots" }, "--vram-size" },
	{ "VRAM not a multiple of 1M", { "--socket", "@S", "--vram-size", "1500K" },
	  "--vram-size" },
	{ "VRAM too large", { "--socket", "@S", "--vram-size", "65G" }, "--vram-size" },
	{ "VRAM zero", { "--socket", "@S", "--vram-size", "0" }, "--vram-size" },
	{ "size overflow", { "--socket", "@S", "--vram-size", "99999999999999999999G" },
	  "--vram-size" },
	{ "non-power-of-two window", { "--socket", "@S", "--small-bar", "--window-size", "3M" },
	  "--window-size" },
	{ "window below 64K", { "--socket", "@S", "--small-bar", "--window-size", "32K" },
	  "--window-size" },
	{ "window larger than VRAM", { "--socket", "@S", "--small-bar", "--vram-size", "4M",
				       "--window-size", "8M" }, "--window-size" },
	{ "--windows without --small-bar", { "--socket", "@S", "--windows", "2" }, "--windows" },
	{ "--window-size without --small-bar", { "--socket", "@S", "--window-size", "1M" },
	  "--window-size" },
	{ "--bank-granule without --small-bar", { "--socket", "@S", "--bank-granule", "4K" },
	  "--bank-granule" },
	{ "granule > window/2", { "--socket", "@S", "--small-bar", "--window-size", "1M",
				  "--bank-granule", "1M" }, "--bank-granule" },
	{ "granule not a power of two", { "--socket", "@S", "--small-bar",
					  "--bank-granule", "12K" }, "--bank-granule" },
	{ "granule below 4K", { "--socket", "@S", "--small-bar", "--bank-granule", "2K" },
	  "--bank-granule" },
	{ "zero windows", { "--socket", "@S", "--small-bar", "--windows", "0" }, "--windows" },
	{ "too many windows", { "--socket", "@S", "--small-bar", "--windows", "65" }, "--windows" },
	{ "unknown option", { "--socket", "@S", "--frobnicate" }, "--frobnicate" },
	{ "stray argument", { "--socket", "@S", "stray" }, "stray" },
	{ "flag with a value", { "--socket", "@S", "--persist=yes" }, "--persist" },
	{ "unopenable log", { "--socket", "@S", "--log", "/nonexistent-dir/x.log" }, "--log" },
};

static bool run_bad_opt(const struct bad_opt *b)
{
	char sock[PATH_MAX], out[PATH_MAX], buf[8192];
	const char *args[16];
	bool ok = true;
	int i, status;
	pid_t pid;
	char *nl;

	tmp_path(sock, sizeof(sock), "sock");
	tmp_path(out, sizeof(out), "out");
	for (i = 0; b->args[i]; i++)
		args[i] = strcmp(b->args[i], "@S") ? b->args[i] : sock;
	args[i] = NULL;

	pid = spawn(args, out);
	CHECK(pid > 0);
	if (!wait_child(pid, EXIT_TIMEOUT_MS, &status)) {
		diag("did not exit");
		CHECK(false);
	}
	read_text(out, buf, sizeof(buf));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2) {
		diag("wait status 0x%x, expected exit 2", status);
		ok = false;
	}
	nl = strchr(buf, '\n');
	if (!nl || nl[1] || !strstr(buf, b->mention)) {
		diag("expected one line naming '%s', got:", b->mention);
		dump_text("output", out);
		ok = false;
	}
	CHECK(!exists(sock));
out:
	return ok;
}

/* t_nothing_left - no socket or temporary file left in the directory. */
static bool t_nothing_left(void)
{
	struct dirent *de;
	bool ok = true;
	DIR *d;

	kill_children();
	d = opendir(tmpdir);
	CHECK(d);
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "sock", 4)) {
			diag("left behind: %s", de->d_name);
			ok = false;
		}
	}
	closedir(d);
out:
	return ok;
}

struct test {
	const char *name;
	bool (*fn)(void);
};

static const struct test tests[] = {
	{ "large BAR, defaults: handshake and registers", t_large_default },
	{ "large BAR, --vram-size 3M: BAR padded to 8M", t_large_3m },
	{ "large BAR, --vram-size 1022M: BAR exactly 1G", t_large_exact_pow2 },
	{ "large BAR, --vram-size 2G: BAR 4G", t_large_g_suffix },
	{ "small BAR, 4 x 2M windows, 64K granule: handshake and registers", t_small_example },
	{ "small BAR, defaults: handshake and registers", t_small_default },
	{ "small BAR, 1 x 64K window: smallest layout", t_small_min_window },
	{ "1000 pings in a row, large BAR", t_pings_large },
	{ "1000 pings in a row, small BAR", t_pings_small },
	{ "unimplemented doorbells raise IVGPU_IRQ_ERROR", t_bad_vectors },
	{ "second concurrent client refused, first keeps working", t_second_client },
	{ "--persist: reconnect gets a new ID and the same memory", t_persist },
	{ "--persist: client vanishing mid-handshake is survived", t_vanish },
	{ "data and fds from the client are ignored", t_junk },
	{ "shared memory is sealed against resizing", t_sealed },
	{ "without --persist: exit 0 on disconnect, socket removed", t_exit_on_disconnect },
	{ "SIGTERM with a client: exit 0, socket removed", t_sigterm },
	{ "SIGINT without a client: exit 0, socket removed", t_sigint },
	{ "--log: appended, timestamped, whole session", t_log },
	{ "--help: usage on stdout, exit 0", t_help },
	{ "non-socket at --socket path: refused, left alone", t_not_a_socket },
};

int main(int argc, char **argv)
{
	size_t nbad = sizeof(bad_opts) / sizeof(bad_opts[0]);
	size_t ntests = sizeof(tests) / sizeof(tests[0]);
	int num = 0, failed = 0;
	char name[256];
	size_t i;
	bool ok;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-IVGPU-DEV\n", argv[0]);
		return 2;
	}
	dev_bin = argv[1];
	if (access(dev_bin, X_OK)) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], dev_bin, strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, watchdog);
	alarm(WATCHDOG_S);

	snprintf(tmpdir, sizeof(tmpdir), "%s/ivgpu-test.XXXXXX",
		 getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 40 ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	atexit(cleanup);

	printf("TAP version 13\n1..%zu\n", ntests + nbad + 1);
	fflush(stdout);
	for (i = 0; i < ntests + nbad + 1; i++) {
		if (i < ntests) {
			snprintf(name, sizeof(name), "%s", tests[i].name);
			ok = tests[i].fn();
		} else if (i < ntests + nbad) {
			snprintf(name, sizeof(name), "bad option (%s): exit 2 with a message",
				 bad_opts[i - ntests].name);
			ok = run_bad_opt(&bad_opts[i - ntests]);
		} else {
			snprintf(name, sizeof(name), "no socket or temporary file left behind");
			ok = t_nothing_left();
		}
		kill_children();
		printf("%sok %d - %s\n", ok ? "" : "not ", ++num, name);
		fflush(stdout);
		failed += !ok;
	}
	if (failed)
		diag("%d of %d tests failed", failed, num);
	return failed ? 1 : 0;
}
