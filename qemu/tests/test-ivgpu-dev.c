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
#include <pthread.h>
#include <sched.h>
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

static void wr64(struct client *c, uint32_t off, uint64_t v)
{
	wr32(c, off, (uint32_t)v);
	wr32(c, off + 4, (uint32_t)(v >> 32));
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
	uint64_t caps = IVGPU_CAP_PING | IVGPU_CAP_COPROC |
			(e->small ? IVGPU_CAP_WINDOWS : IVGPU_CAP_LARGE_BAR);
	uint64_t bar = rd64(c, IVGPU_REG_BAR_SIZE), off;
	bool ok = true;
	uint32_t i, base;

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
	for (off = IVGPU_REG_BANK_SWITCHES; off <= IVGPU_REG_BANK_IRQS; off += 8)
		EXPECT_EQ(rd64(c, off), 0);
	EXPECT_EQ(rd32(c, IVGPU_REG_CHECK_REQ_SEQ), 0);
	EXPECT_EQ(rd32(c, IVGPU_REG_CHECK_ACK_SEQ), 0);
	EXPECT_EQ(rd64(c, IVGPU_REG_CHECK_COUNT), 0);
	/* The co-processor's block is all zero: STOPPED, nothing counted. */
	for (off = IVGPU_REGS_RING_BASE; off < IVGPU_REG_RING_IRQS + 8; off += 4)
		EXPECT_EQ(rd32(c, off), 0);
	EXPECT_EQ(IVGPU_RING_STOPPED, 0);
	/* Every window starts detached, reading all ones; unused blocks are zero. */
	for (i = 0; i < IVGPU_REGS_WINDOW_MAX; i++) {
		base = IVGPU_REGS_WINDOW(i);
		if (e->small && i < e->windows) {
			EXPECT_EQ(rd64(c, base + IVGPU_WIN_BANK), IVGPU_BANK_NONE);
			EXPECT_EQ(c->bar[e->window_offset + i * e->window_size], 0xff);
			EXPECT_EQ(c->bar[e->window_offset + (i + 1) * e->window_size - 1], 0xff);
		} else {
			EXPECT_EQ(rd64(c, base + IVGPU_WIN_BANK), 0);
		}
		for (off = IVGPU_WIN_BANK_REQ; off < IVGPU_REGS_WINDOW_STRIDE; off += 4)
			EXPECT_EQ(rd32(c, base + off), 0);
	}
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

/*
 * t_idle_doorbells - every vector is implemented now; a doorbell with
 * nothing to do (no bank or check request, a ring before any reset, a
 * reset not requested), rung once or coalesced, raises nothing at all.
 */
static bool t_idle_doorbells(void)
{
	struct server srv = { .pid = -1 };
	struct client c;
	bool ok = true;
	unsigned int v;

	client_init(&c);
	CHECK(server_start(&srv, NULL));
	CHECK(client_connect(&c, srv.sock, false));
	for (v = IVGPU_DB_BANK; v < IVGPU_NUM_VECTORS; v++) {
		CHECK(ring(&c, v, 1));
		CHECK(ring(&c, v, 3));
	}
	CHECK(ping(&c, 41));
	sleep_ms(50);
	for (v = 0; v < IVGPU_NUM_VECTORS; v++)
		EXPECT_EQ(wait_irq(&c, v, 0), 0);
	EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_COUNT), 0);
	EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_CODE), IVGPU_ERROR_NONE);
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_IRQS), 0);
	EXPECT_EQ(rd64(&c, IVGPU_REG_RING_IRQS), 0);
	EXPECT_EQ(rd32(&c, IVGPU_REG_RING_STATUS), IVGPU_RING_STOPPED);
	EXPECT_EQ(rd64(&c, IVGPU_REG_PING_COUNT), 1);
	CHECK(ping(&c, 42));
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
		"client 1 disconnected (pings answered: 3, errors: 1, bank switches: 0, refused: 0, VRAM checks: 0)",
		"bank switches 0, bytes written back 0", "exit status 0",
		"co-processor commands 0, bytes written 0, busy 0 us, resets 1, ring interrupts 1",
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
	/* One error: a reset with no ring (SIZE 0). */
	wr32(&c, IVGPU_REG_RESET_REQ_SEQ, 1);
	CHECK(ring(&c, IVGPU_DB_RESET, 1));
	CHECK(wait_irq(&c, IVGPU_IRQ_ERROR, IRQ_TIMEOUT_MS));
	CHECK(wait_irq(&c, IVGPU_IRQ_RING, IRQ_TIMEOUT_MS));
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

/* ---------------------------------------------------------------------- */
/* Bank switching and the VRAM check                                      */
/* ---------------------------------------------------------------------- */

#define KiB			1024ull
#define WIN(i, reg)		(IVGPU_REGS_WINDOW(i) + (reg))

/*
 * The test's own CRC-32 (bit by bit) and pattern generator, written from the
 * contract in ivgpu_regs.h, so that the device's are checked, not copied.
 */
static uint32_t ref_crc32(uint32_t crc, const volatile uint8_t *p, uint64_t n)
{
	uint64_t i;
	int k;

	crc = ~crc;
	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (IVGPU_CHECK_CRC32_POLY & -(crc & 1));
	}
	return ~crc;
}

static uint64_t ref_word(uint64_t seed, uint64_t i)
{
	uint64_t x = seed + (i + 1) * IVGPU_PATTERN_GAMMA;

	x = (x ^ (x >> 30)) * IVGPU_PATTERN_MUL1;
	x = (x ^ (x >> 27)) * IVGPU_PATTERN_MUL2;
	return x ^ (x >> 31);
}

static uint8_t ref_byte(uint64_t seed, uint64_t pos)
{
	return (uint8_t)(ref_word(seed, pos / 8) >> (pos % 8 * 8));
}

/* fill_pattern - write pattern bytes @pos.. of @seed to @p[0..@n). */
static void fill_pattern(volatile uint8_t *p, uint64_t n, uint64_t seed, uint64_t pos)
{
	uint64_t k = 0;

	for (; k < n && (pos + k) % 8; k++)
		p[k] = ref_byte(seed, pos + k);
	for (; k + 8 <= n; k += 8)
		*(volatile uint64_t *)(p + k) = ref_word(seed, (pos + k) / 8);
	for (; k < n; k++)
		p[k] = ref_byte(seed, pos + k);
}

/* first_pattern_diff - index of the first byte of @p unlike the pattern, or @n. */
static uint64_t first_pattern_diff(const volatile uint8_t *p, uint64_t n, uint64_t seed,
				   uint64_t pos)
{
	uint64_t k;

	for (k = 0; k < n; k++)
		if (p[k] != ref_byte(seed, pos + k))
			break;
	return k;
}

/* first_unlike - index of the first byte of @p that is not @b, or @n. */
static uint64_t first_unlike(const volatile uint8_t *p, uint64_t n, uint8_t b)
{
	uint64_t k;

	for (k = 0; k < n; k++)
		if (p[k] != b)
			break;
	return k;
}

static uint64_t win_size(struct client *c)
{
	return rd64(c, IVGPU_REG_WINDOW_SIZE);
}

static volatile uint8_t *win_mem(struct client *c, uint32_t i)
{
	return c->bar + rd64(c, IVGPU_REG_WINDOW_BAR_OFFSET) + i * win_size(c);
}

/* bank_post - post a request for window @i to show @bank; no doorbell. */
static uint32_t bank_post(struct client *c, uint32_t i, uint64_t bank)
{
	uint32_t seq = rd32(c, WIN(i, IVGPU_WIN_ACK_SEQ)) + 1;

	wr64(c, WIN(i, IVGPU_WIN_BANK_REQ), bank);
	wr32(c, WIN(i, IVGPU_WIN_REQ_SEQ), seq);
	return seq;
}

/* bank_poll - poll until window @i acknowledges @seq; false on time-out. */
static bool bank_poll(struct client *c, uint32_t i, uint32_t seq)
{
	long long end = now_ms() + IRQ_TIMEOUT_MS;

	while (rd32(c, WIN(i, IVGPU_WIN_ACK_SEQ)) != seq) {
		if (now_ms() > end) {
			diag("window %u: ACK_SEQ %u, waited for %u", i,
			     rd32(c, WIN(i, IVGPU_WIN_ACK_SEQ)), seq);
			return false;
		}
		sched_yield();
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return true;
}

/*
 * bank_switch - ask window @i to show @bank, ring, wait for the interrupt;
 * returns the window's STATUS, or -1 if the request was not acknowledged.
 */
static int bank_switch(struct client *c, uint32_t i, uint64_t bank)
{
	uint32_t seq = bank_post(c, i, bank);

	if (!ring(c, IVGPU_DB_BANK, 1))
		return -1;
	if (!wait_irq(c, IVGPU_IRQ_BANK, IRQ_TIMEOUT_MS)) {
		diag("window %u: no IVGPU_IRQ_BANK for bank 0x%" PRIx64, i, bank);
		return -1;
	}
	if (rd32(c, WIN(i, IVGPU_WIN_ACK_SEQ)) != seq) {
		diag("window %u: interrupt, but ACK_SEQ %u, expected %u", i,
		     rd32(c, WIN(i, IVGPU_WIN_ACK_SEQ)), seq);
		return -1;
	}
	return rd32(c, WIN(i, IVGPU_WIN_STATUS));
}

struct check_res {
	uint32_t status;
	uint32_t crc;
	uint64_t first;
	uint64_t mismatches;
	uint32_t got;
	uint32_t expected;
	uint64_t from_windows;
};

/* vram_check - one request to the device's VRAM check; false if unanswered. */
static bool vram_check(struct client *c, uint64_t off, uint64_t len, uint32_t kind,
		       uint32_t flags, uint64_t seed, uint64_t pos, struct check_res *r)
{
	uint32_t seq = rd32(c, IVGPU_REG_CHECK_ACK_SEQ) + 1;

	memset(r, 0xee, sizeof(*r));
	wr64(c, IVGPU_REG_CHECK_OFFSET, off);
	wr64(c, IVGPU_REG_CHECK_LENGTH, len);
	wr32(c, IVGPU_REG_CHECK_KIND, kind);
	wr32(c, IVGPU_REG_CHECK_FLAGS, flags);
	wr64(c, IVGPU_REG_CHECK_SEED, seed);
	wr64(c, IVGPU_REG_CHECK_PATTERN_POS, pos);
	wr32(c, IVGPU_REG_CHECK_REQ_SEQ, seq);
	if (!ring(c, IVGPU_DB_BANK, 1))
		return false;
	if (!wait_irq(c, IVGPU_IRQ_BANK, 10 * IRQ_TIMEOUT_MS)) {
		diag("no IVGPU_IRQ_BANK for a check of 0x%" PRIx64 "+0x%" PRIx64, off, len);
		return false;
	}
	if (rd32(c, IVGPU_REG_CHECK_ACK_SEQ) != seq) {
		diag("check: CHECK_ACK_SEQ %u, expected %u", rd32(c, IVGPU_REG_CHECK_ACK_SEQ), seq);
		return false;
	}
	r->status = rd32(c, IVGPU_REG_CHECK_STATUS);
	r->crc = rd32(c, IVGPU_REG_CHECK_CRC32);
	r->first = rd64(c, IVGPU_REG_CHECK_MISMATCH_OFFSET);
	r->mismatches = rd64(c, IVGPU_REG_CHECK_MISMATCHES);
	r->got = rd32(c, IVGPU_REG_CHECK_GOT);
	r->expected = rd32(c, IVGPU_REG_CHECK_EXPECTED);
	r->from_windows = rd64(c, IVGPU_REG_CHECK_FROM_WINDOWS);
	return true;
}

/* check_pattern - true if the device finds the pattern in [@off, @off + @len). */
static bool check_pattern(struct client *c, uint64_t off, uint64_t len, uint32_t flags,
			  uint64_t seed, uint64_t pos)
{
	struct check_res r;

	if (!vram_check(c, off, len, IVGPU_CHECK_KIND_PATTERN, flags, seed, pos, &r))
		return false;
	if (r.status != IVGPU_CHECK_OK) {
		diag("check of 0x%" PRIx64 "+0x%" PRIx64 " (flags %u, seed %" PRIu64
		     "): status %u, %" PRIu64 " bytes differ, first at 0x%" PRIx64
		     " (0x%02x, expected 0x%02x)", off, len, flags, seed, r.status,
		     r.mismatches, r.first, r.got, r.expected);
		return false;
	}
	return true;
}

/* Expected counters of one window, tracked by the test. */
struct win_count {
	uint64_t switches, written, loaded, refused;
};

/* expect_counts - window @i's counters equal @w. */
static bool expect_counts(struct client *c, uint32_t i, const struct win_count *w)
{
	bool ok = true;

	EXPECT_EQ(rd64(c, WIN(i, IVGPU_WIN_SWITCHES)), w->switches);
	EXPECT_EQ(rd64(c, WIN(i, IVGPU_WIN_BYTES_WRITTEN)), w->written);
	EXPECT_EQ(rd64(c, WIN(i, IVGPU_WIN_BYTES_LOADED)), w->loaded);
	EXPECT_EQ(rd64(c, WIN(i, IVGPU_WIN_REFUSED)), w->refused);
	if (!ok)
		diag("(window %u)", i);
	return ok;
}

/* expect_totals - the global counters are the sums of @w[0..@n). */
static bool expect_totals(struct client *c, const struct win_count *w, uint32_t n)
{
	struct win_count t = { 0 };
	bool ok = true;
	uint32_t i;

	for (i = 0; i < n; i++) {
		t.switches += w[i].switches;
		t.written += w[i].written;
		t.loaded += w[i].loaded;
		t.refused += w[i].refused;
	}
	EXPECT_EQ(rd64(c, IVGPU_REG_BANK_SWITCHES), t.switches);
	EXPECT_EQ(rd64(c, IVGPU_REG_BANK_BYTES_WRITTEN), t.written);
	EXPECT_EQ(rd64(c, IVGPU_REG_BANK_BYTES_LOADED), t.loaded);
	EXPECT_EQ(rd64(c, IVGPU_REG_BANK_REFUSED), t.refused);
	return ok;
}

/*
 * t_bank_roundtrip - data written through a window survives switching away
 * and back, reaches VRAM only when written back, and every counter is exact.
 */
static bool t_bank_roundtrip(void)
{
	const char *args[] = { "--small-bar", "--vram-size", "64M", NULL };
	struct server srv = { .pid = -1 };
	struct win_count w[2] = { { 0 } };
	volatile uint8_t *mem;
	struct check_res r;
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	mem = win_mem(&c, 0);

	/* Attach window 0 to bank 0: loads 1 MiB of fresh (zero) VRAM. */
	CHECK(bank_switch(&c, 0, 0) == IVGPU_BANK_OK);
	w[0].switches++;
	w[0].loaded += MiB;
	EXPECT_EQ(rd64(&c, WIN(0, IVGPU_WIN_BANK)), 0);
	EXPECT_EQ(first_unlike(mem, MiB, 0), MiB);
	CHECK(expect_counts(&c, 0, &w[0]));

	fill_pattern(mem, MiB, 1, 0);
	/* The stores sit in the window: VRAM itself still holds zeros... */
	CHECK(vram_check(&c, 0, MiB, IVGPU_CHECK_KIND_FILL, IVGPU_CHECK_F_VRAM_ONLY, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_OK);
	EXPECT_EQ(r.from_windows, 0);
	/* ...but the check sees them as the guest does. */
	CHECK(vram_check(&c, 0, MiB, IVGPU_CHECK_KIND_PATTERN, 0, 1, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_OK);
	EXPECT_EQ(r.from_windows, MiB);
	EXPECT_EQ(r.crc, ref_crc32(0, mem, MiB));

	/* Switch away: written back, and the window shows bank 1 MiB (zeros). */
	CHECK(bank_switch(&c, 0, MiB) == IVGPU_BANK_OK);
	w[0].switches++;
	w[0].written += MiB;
	w[0].loaded += MiB;
	EXPECT_EQ(rd64(&c, WIN(0, IVGPU_WIN_BANK)), MiB);
	EXPECT_EQ(first_unlike(mem, MiB, 0), MiB);
	CHECK(check_pattern(&c, 0, MiB, IVGPU_CHECK_F_VRAM_ONLY, 1, 0));
	CHECK(expect_counts(&c, 0, &w[0]));

	/* Back again: the data is there. */
	CHECK(bank_switch(&c, 0, 0) == IVGPU_BANK_OK);
	w[0].switches++;
	w[0].written += MiB;
	w[0].loaded += MiB;
	EXPECT_EQ(first_pattern_diff(mem, MiB, 1, 0), MiB);

	/* A request for the bank already shown writes back in place (a flush). */
	fill_pattern(mem + 4096, 8192, 2, 0);
	CHECK(bank_switch(&c, 0, 0) == IVGPU_BANK_OK);
	w[0].switches++;
	w[0].written += MiB;
	w[0].loaded += MiB;
	CHECK(check_pattern(&c, 4096, 8192, IVGPU_CHECK_F_VRAM_ONLY, 2, 0));
	CHECK(check_pattern(&c, 0, 4096, IVGPU_CHECK_F_VRAM_ONLY, 1, 0));
	EXPECT_EQ(first_pattern_diff(mem + 4096, 8192, 2, 0), 8192);

	/* Detach: written back, the window reads all ones, stores are lost. */
	CHECK(bank_switch(&c, 0, IVGPU_BANK_NONE) == IVGPU_BANK_OK);
	w[0].switches++;
	w[0].written += MiB;
	EXPECT_EQ(rd64(&c, WIN(0, IVGPU_WIN_BANK)), IVGPU_BANK_NONE);
	EXPECT_EQ(first_unlike(mem, MiB, 0xff), MiB);
	mem[0] = 0x42;
	CHECK(vram_check(&c, 0, MiB, IVGPU_CHECK_KIND_CRC32, 0, 0, 0, &r));
	EXPECT_EQ(r.from_windows, 0);
	CHECK(check_pattern(&c, 0, 4096, 0, 1, 0));
	CHECK(check_pattern(&c, 4096 + 8192, MiB - 4096 - 8192, 0, 1, 4096 + 8192));

	CHECK(expect_counts(&c, 0, &w[0]));
	CHECK(expect_counts(&c, 1, &w[1]));
	CHECK(expect_totals(&c, w, 2));
	EXPECT_EQ(rd32(&c, WIN(0, IVGPU_WIN_REQ_SEQ)), 5);
	EXPECT_EQ(rd32(&c, WIN(0, IVGPU_WIN_ACK_SEQ)), 5);
	/* One interrupt per served doorbell: 5 switches and 8 checks. */
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_IRQS), 13);
	EXPECT_EQ(rd64(&c, IVGPU_REG_CHECK_COUNT), 8);
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_COPY_NS) > 0, 1);
	EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_COUNT), 0);
	CHECK(server_alive(&srv));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/* refused - a request for @bank is refused with @status and changes nothing. */
static bool refused(struct client *c, uint32_t i, uint64_t bank, int status,
		    struct win_count *w)
{
	uint64_t shown = rd64(c, WIN(i, IVGPU_WIN_BANK)), size = win_size(c);
	uint64_t ref_crc = ref_crc32(0, win_mem(c, i), size);
	bool ok = true;
	int got;

	got = bank_switch(c, i, bank);
	if (got != status) {
		diag("window %u, bank 0x%" PRIx64 ": status %d, expected %d", i, bank, got, status);
		return false;
	}
	w->refused++;
	EXPECT_EQ(rd64(c, WIN(i, IVGPU_WIN_BANK)), shown);
	EXPECT_EQ(ref_crc32(0, win_mem(c, i), size), ref_crc);
	if (!expect_counts(c, i, w))
		ok = false;
	return ok;
}

/*
 * t_bank_refused - unaligned, out-of-range and overlapping banks are refused
 * with their status, without a copy; adjacent windows are fine.
 */
static bool t_bank_refused(void)
{
	const char *args[] = { "--small-bar", "--vram-size", "64M", NULL };
	struct server srv = { .pid = -1 };
	struct win_count w[2] = { { 0 } };
	uint64_t vram = 64 * MiB;
	volatile uint8_t *mem;
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	mem = win_mem(&c, 0);
	CHECK(bank_switch(&c, 0, 0) == IVGPU_BANK_OK);
	w[0] = (struct win_count){ .switches = 1, .loaded = MiB };
	CHECK(bank_switch(&c, 1, 2 * MiB) == IVGPU_BANK_OK);
	w[1] = (struct win_count){ .switches = 1, .loaded = MiB };
	fill_pattern(mem, MiB, 3, 0);

	CHECK(refused(&c, 0, 4096 + 512, IVGPU_BANK_ERR_ALIGN, &w[0]));
	CHECK(refused(&c, 0, 1, IVGPU_BANK_ERR_ALIGN, &w[0]));
	CHECK(refused(&c, 0, vram, IVGPU_BANK_ERR_RANGE, &w[0]));
	CHECK(refused(&c, 0, vram + 4096, IVGPU_BANK_ERR_RANGE, &w[0]));
	CHECK(refused(&c, 0, 0xfffffffffffff000ull, IVGPU_BANK_ERR_RANGE, &w[0]));
	/* Unaligned and out of range: alignment is tested first. */
	CHECK(refused(&c, 0, vram + 1, IVGPU_BANK_ERR_ALIGN, &w[0]));
	/* Window 1 shows [2M, 3M): any overlap with it is refused. */
	CHECK(refused(&c, 0, 2 * MiB, IVGPU_BANK_ERR_OVERLAP, &w[0]));
	CHECK(refused(&c, 0, MiB + 4096, IVGPU_BANK_ERR_OVERLAP, &w[0]));
	CHECK(refused(&c, 0, 3 * MiB - 4096, IVGPU_BANK_ERR_OVERLAP, &w[0]));
	CHECK(refused(&c, 1, 4096, IVGPU_BANK_ERR_OVERLAP, &w[1]));
	CHECK(refused(&c, 1, MiB - 4096, IVGPU_BANK_ERR_OVERLAP, &w[1]));
	EXPECT_EQ(rd32(&c, WIN(0, IVGPU_WIN_ACK_SEQ)), 10);
	CHECK(expect_totals(&c, w, 2));

	/* Nothing of it reached VRAM: window 0's data is still only in the window. */
	CHECK(check_pattern(&c, 0, MiB, 0, 3, 0));
	/* Adjacent ranges are allowed: [1M, 2M) next to [2M, 3M). */
	CHECK(bank_switch(&c, 0, MiB) == IVGPU_BANK_OK);
	w[0].switches++;
	w[0].written += MiB;
	w[0].loaded += MiB;
	EXPECT_EQ(rd32(&c, WIN(0, IVGPU_WIN_STATUS)), IVGPU_BANK_OK);
	CHECK(check_pattern(&c, 0, MiB, IVGPU_CHECK_F_VRAM_ONLY, 3, 0));
	/* Once window 1 has let go of a range, window 0 may take it. */
	CHECK(bank_switch(&c, 1, IVGPU_BANK_NONE) == IVGPU_BANK_OK);
	w[1].switches++;
	w[1].written += MiB;
	CHECK(bank_switch(&c, 0, 2 * MiB + 4096) == IVGPU_BANK_OK);
	w[0].switches++;
	w[0].written += MiB;
	w[0].loaded += MiB;
	CHECK(expect_counts(&c, 0, &w[0]));
	CHECK(expect_counts(&c, 1, &w[1]));
	CHECK(expect_totals(&c, w, 2));
	/* Refusals are the requester's business: nothing in the error registers. */
	EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_COUNT), 0);
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_ERROR, 0), 0);
	CHECK(server_alive(&srv));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/*
 * t_bank_four_2m - 4 windows of 2 MiB with a 64 KiB granule over 64 MiB: the
 * whole of VRAM written through the windows and checked; granule offsets
 * show exactly the VRAM they name.
 */
static bool t_bank_four_2m(void)
{
	const char *args[] = { "--small-bar", "--vram-size", "64M", "--windows", "4",
			       "--window-size", "2M", "--bank-granule", "64K", NULL };
	struct server srv = { .pid = -1 };
	struct win_count w[4] = { { 0 } };
	uint64_t vram = 64 * MiB, wsz = 2 * MiB, b;
	struct check_res r;
	struct client c;
	bool ok = true;
	uint32_t i;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	CHECK(win_size(&c) == wsz);

	for (b = 0; b < vram; b += wsz) {
		i = (b / wsz) % 4;
		CHECK(bank_switch(&c, i, b) == IVGPU_BANK_OK);
		w[i].written += w[i].switches ? wsz : 0;
		w[i].switches++;
		w[i].loaded += wsz;
		fill_pattern(win_mem(&c, i), wsz, 7, b);
	}
	for (i = 0; i < 4; i++)
		CHECK(expect_counts(&c, i, &w[i]));
	CHECK(expect_totals(&c, w, 4));
	/* All of VRAM as the guest sees it; the last 8 MiB come from the windows. */
	CHECK(vram_check(&c, 0, vram, IVGPU_CHECK_KIND_PATTERN, 0, 7, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_OK);
	EXPECT_EQ(r.from_windows, 4 * wsz);
	/* VRAM alone lacks what the windows still hold. */
	CHECK(vram_check(&c, 0, vram, IVGPU_CHECK_KIND_PATTERN, IVGPU_CHECK_F_VRAM_ONLY, 7, 0,
			 &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_MISMATCH);
	EXPECT_EQ(r.first, vram - 4 * wsz + first_unlike(win_mem(&c, 0), wsz, 0));
	EXPECT_EQ(r.got, 0);
	EXPECT_EQ(r.expected, ref_byte(7, r.first));
	EXPECT_EQ(r.from_windows, 0);

	/* Granule offsets: window 0 at 3 x 64 KiB shows VRAM from there on. */
	for (i = 0; i < 4; i++) {
		CHECK(bank_switch(&c, i, IVGPU_BANK_NONE) == IVGPU_BANK_OK);
		w[i].switches++;
		w[i].written += wsz;
	}
	CHECK(check_pattern(&c, 0, vram, IVGPU_CHECK_F_VRAM_ONLY, 7, 0));
	CHECK(bank_switch(&c, 0, 3 * 64 * KiB) == IVGPU_BANK_OK);
	w[0].switches++;
	w[0].loaded += wsz;
	EXPECT_EQ(first_pattern_diff(win_mem(&c, 0), wsz, 7, 3 * 64 * KiB), wsz);
	CHECK(bank_switch(&c, 1, 3 * 64 * KiB + wsz) == IVGPU_BANK_OK);
	w[1].switches++;
	w[1].loaded += wsz;
	EXPECT_EQ(first_pattern_diff(win_mem(&c, 1), wsz, 7, 3 * 64 * KiB + wsz), wsz);
	/* Half a granule, or a granule into window 1's range, is refused. */
	CHECK(refused(&c, 2, 32 * KiB, IVGPU_BANK_ERR_ALIGN, &w[2]));
	CHECK(refused(&c, 2, 3 * 64 * KiB + 2 * wsz - 64 * KiB, IVGPU_BANK_ERR_OVERLAP, &w[2]));
	CHECK(bank_switch(&c, 2, 3 * 64 * KiB + 2 * wsz) == IVGPU_BANK_OK);
	w[2].switches++;
	w[2].loaded += wsz;
	/* The last granule of VRAM, in the last window: clamped to 64 KiB. */
	CHECK(bank_switch(&c, 3, vram - 64 * KiB) == IVGPU_BANK_OK);
	w[3].switches++;
	w[3].loaded += 64 * KiB;
	EXPECT_EQ(first_pattern_diff(win_mem(&c, 3), 64 * KiB, 7, vram - 64 * KiB), 64 * KiB);
	EXPECT_EQ(first_unlike(win_mem(&c, 3) + 64 * KiB, wsz - 64 * KiB, 0xff), wsz - 64 * KiB);
	for (i = 0; i < 4; i++)
		CHECK(expect_counts(&c, i, &w[i]));
	CHECK(expect_totals(&c, w, 4));
	CHECK(server_alive(&srv));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/*
 * t_bank_one_64k - the smallest configuration, 1 window of 64 KiB over
 * 1 MiB: all of VRAM through the one window, and a bank that runs past the
 * end of VRAM is clamped: only what is VRAM is loaded and written back.
 */
static bool t_bank_one_64k(void)
{
	const char *args[] = { "--small-bar", "--vram-size", "1M", "--windows", "1",
			       "--window-size", "64K", NULL };
	struct server srv = { .pid = -1 };
	struct win_count w = { 0 };
	uint64_t vram = MiB, wsz = 64 * KiB, tail = 4 * KiB, b;
	volatile uint8_t *mem;
	struct check_res r;
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	mem = win_mem(&c, 0);
	for (b = 0; b < vram; b += wsz) {
		CHECK(bank_switch(&c, 0, b) == IVGPU_BANK_OK);
		w.written += w.switches ? wsz : 0;
		w.switches++;
		w.loaded += wsz;
		fill_pattern(mem, wsz, 11, b);
	}
	/* The last 4 KiB: the rest of the window is past VRAM and reads all ones. */
	CHECK(bank_switch(&c, 0, vram - tail) == IVGPU_BANK_OK);
	w.switches++;
	w.written += wsz;
	w.loaded += tail;
	EXPECT_EQ(first_pattern_diff(mem, tail, 11, vram - tail), tail);
	EXPECT_EQ(first_unlike(mem + tail, wsz - tail, 0xff), wsz - tail);
	CHECK(expect_counts(&c, 0, &w));
	/* Writing all of it writes back only the 4 KiB that are VRAM. */
	memset((void *)mem, 0x11, wsz);
	CHECK(bank_switch(&c, 0, 0) == IVGPU_BANK_OK);
	w.switches++;
	w.written += tail;
	w.loaded += wsz;
	CHECK(expect_counts(&c, 0, &w));
	CHECK(expect_totals(&c, &w, 1));
	CHECK(vram_check(&c, vram - tail, tail, IVGPU_CHECK_KIND_FILL, IVGPU_CHECK_F_VRAM_ONLY,
			 0x11, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_OK);
	CHECK(check_pattern(&c, 0, vram - tail, IVGPU_CHECK_F_VRAM_ONLY, 11, 0));
	CHECK(check_pattern(&c, 0, vram - tail, 0, 11, 0));
	/* A check may not reach past VRAM either. */
	CHECK(vram_check(&c, vram - tail, tail + 1, IVGPU_CHECK_KIND_CRC32, 0, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_ERR_RANGE);
	CHECK(server_alive(&srv));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/*
 * t_bank_doorbell - a request is served only when the doorbell rings; the
 * poll path works without the interrupt; requests on several windows posted
 * before one ring are all served by one pass with one interrupt.
 */
static bool t_bank_doorbell(void)
{
	const char *args[] = { "--small-bar", "--vram-size", "16M", "--windows", "4", NULL };
	struct server srv = { .pid = -1 };
	uint32_t seq[4], i;
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));

	seq[0] = bank_post(&c, 0, 0);
	sleep_ms(100);
	EXPECT_EQ(rd32(&c, WIN(0, IVGPU_WIN_ACK_SEQ)), seq[0] - 1);
	EXPECT_EQ(rd64(&c, WIN(0, IVGPU_WIN_BANK)), IVGPU_BANK_NONE);
	CHECK(ring(&c, IVGPU_DB_BANK, 1));
	CHECK(bank_poll(&c, 0, seq[0]));
	EXPECT_EQ(rd64(&c, WIN(0, IVGPU_WIN_BANK)), 0);
	EXPECT_EQ(rd32(&c, WIN(0, IVGPU_WIN_STATUS)), IVGPU_BANK_OK);
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_BANK, IRQ_TIMEOUT_MS), 1);

	/* Four windows, one ring (counted as three), one pass, one interrupt. */
	for (i = 0; i < 4; i++)
		seq[i] = bank_post(&c, i, (i + 4) * MiB);
	CHECK(ring(&c, IVGPU_DB_BANK, 3));
	for (i = 0; i < 4; i++) {
		CHECK(bank_poll(&c, i, seq[i]));
		EXPECT_EQ(rd64(&c, WIN(i, IVGPU_WIN_BANK)), (i + 4) * MiB);
	}
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_BANK, IRQ_TIMEOUT_MS), 1);
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_IRQS), 2);
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_SWITCHES), 5);
	/* Served in window order: window 1 may take what window 0 left. */
	seq[0] = bank_post(&c, 0, 8 * MiB);
	seq[1] = bank_post(&c, 1, 4 * MiB);
	CHECK(ring(&c, IVGPU_DB_BANK, 1));
	CHECK(bank_poll(&c, 0, seq[0]) && bank_poll(&c, 1, seq[1]));
	EXPECT_EQ(rd32(&c, WIN(0, IVGPU_WIN_STATUS)), IVGPU_BANK_OK);
	EXPECT_EQ(rd32(&c, WIN(1, IVGPU_WIN_STATUS)), IVGPU_BANK_OK);
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_BANK, IRQ_TIMEOUT_MS), 1);
	/* A ring with nothing pending raises nothing. */
	CHECK(ring(&c, IVGPU_DB_BANK, 1));
	CHECK(ping(&c, 3));
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_BANK, 50), 0);
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_IRQS), 3);
	CHECK(server_alive(&srv));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

#define CONC_THREADS	4
#define CONC_ROUNDS	3

struct conc_arg {
	struct client *c;
	uint32_t win;
	uint64_t base, len, wsz;
	uint64_t switches;
	bool ok;
};

/*
 * conc_worker - one CPU's work: walk its own part of VRAM through its own
 * window, writing a pattern in round 0 and verifying (then rewriting with
 * the next seed) in later rounds.  Polls for the acknowledgement.
 */
static void *conc_worker(void *p)
{
	struct conc_arg *a = p;
	volatile uint8_t *mem = win_mem(a->c, a->win);
	uint64_t b, bad;
	uint32_t seq, round;

	for (round = 0; round < CONC_ROUNDS; round++) {
		for (b = a->base; b < a->base + a->len; b += a->wsz) {
			seq = bank_post(a->c, a->win, b);
			if (!ring(a->c, IVGPU_DB_BANK, 1) || !bank_poll(a->c, a->win, seq) ||
			    rd32(a->c, WIN(a->win, IVGPU_WIN_STATUS)) != IVGPU_BANK_OK)
				return NULL;
			a->switches++;
			if (round) {
				bad = first_pattern_diff(mem, a->wsz, a->win * 100 + round - 1, b);
				if (bad != a->wsz) {
					diag("window %u, round %u: VRAM 0x%" PRIx64 " lost its data",
					     a->win, round, b + bad);
					return NULL;
				}
			}
			fill_pattern(mem, a->wsz, a->win * 100 + round, b);
		}
	}
	a->ok = true;
	return NULL;
}

/*
 * t_bank_concurrent - four threads switch four windows at once, each over
 * its own 16 MiB; nothing is lost and the counters add up.
 */
static bool t_bank_concurrent(void)
{
	const char *args[] = { "--small-bar", "--vram-size", "64M", "--windows", "4",
			       "--window-size", "2M", "--bank-granule", "64K", NULL };
	struct server srv = { .pid = -1 };
	struct conc_arg a[CONC_THREADS];
	pthread_t th[CONC_THREADS];
	uint64_t total = 0, irqs;
	int started = 0, i;
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	for (i = 0; i < CONC_THREADS; i++) {
		a[i] = (struct conc_arg){ .c = &c, .win = i, .base = i * 16 * MiB,
					  .len = 16 * MiB, .wsz = 2 * MiB };
		CHECK(!pthread_create(&th[i], NULL, conc_worker, &a[i]));
		started++;
	}
out_join:
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	started = 0;
	for (i = 0; i < CONC_THREADS; i++) {
		CHECK(a[i].ok);
		EXPECT_EQ(a[i].switches, CONC_ROUNDS * 8);
		EXPECT_EQ(rd64(&c, WIN(i, IVGPU_WIN_SWITCHES)), CONC_ROUNDS * 8);
		EXPECT_EQ(rd64(&c, WIN(i, IVGPU_WIN_BYTES_WRITTEN)), (CONC_ROUNDS * 8 - 1) * 2 * MiB);
		EXPECT_EQ(rd64(&c, WIN(i, IVGPU_WIN_BYTES_LOADED)), CONC_ROUNDS * 8 * 2 * MiB);
		total += a[i].switches;
	}
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_SWITCHES), total);
	irqs = rd64(&c, IVGPU_REG_BANK_IRQS);
	EXPECT_EQ(irqs >= 1 && irqs <= total, 1);
	diag("%" PRIu64 " switches by %d threads took %" PRIu64 " bank interrupts", total,
	     CONC_THREADS, irqs);
	/*
	 * The workers polled: drop the interrupts they left pending (the last
	 * one is raised just after the last acknowledgement).
	 */
	sleep_ms(100);
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_BANK, 0) >= 1, 1);
	for (i = 0; i < CONC_THREADS; i++)
		CHECK(check_pattern(&c, i * 16 * MiB, 16 * MiB, 0, i * 100 + CONC_ROUNDS - 1,
				    i * 16 * MiB));
	CHECK(server_alive(&srv));
out:
	if (started)
		goto out_join;
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/*
 * t_check_oracle - the VRAM check on a large BAR, where the test sees VRAM
 * directly: CRC-32, fill and pattern checks, mismatch reports, bad requests.
 */
static bool t_check_oracle(void)
{
	const char *args[] = { "--vram-size", "16M", NULL };
	struct server srv = { .pid = -1 };
	volatile uint8_t *vram;
	uint64_t size = 16 * MiB;
	struct check_res r;
	struct client c;
	bool ok = true;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	vram = c.bar + IVGPU_LARGE_BAR_VRAM_OFFSET;

	/* The standard check value of CRC-32. */
	memcpy((void *)(vram + 12345), "123456789", 9);
	CHECK(vram_check(&c, 12345, 9, IVGPU_CHECK_KIND_CRC32, 0, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_OK);
	EXPECT_EQ(r.crc, 0xcbf43926);
	EXPECT_EQ(ref_crc32(0, vram + 12345, 9), 0xcbf43926);
	EXPECT_EQ(r.first, IVGPU_CHECK_NO_MISMATCH);
	EXPECT_EQ(r.mismatches, 0);
	/* Empty range: CRC of nothing. */
	CHECK(vram_check(&c, size, 0, IVGPU_CHECK_KIND_CRC32, 0, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_OK);
	EXPECT_EQ(r.crc, 0);

	/* Fresh VRAM is zero; one byte that is not is found. */
	CHECK(vram_check(&c, MiB, 4 * MiB, IVGPU_CHECK_KIND_FILL, 0, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_OK);
	vram[3 * MiB + 17] = 0x5c;
	CHECK(vram_check(&c, MiB, 4 * MiB, IVGPU_CHECK_KIND_FILL, 0, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_MISMATCH);
	EXPECT_EQ(r.first, 3 * MiB + 17);
	EXPECT_EQ(r.mismatches, 1);
	EXPECT_EQ(r.got, 0x5c);
	EXPECT_EQ(r.expected, 0);
	EXPECT_EQ(r.crc, ref_crc32(0, vram + MiB, 4 * MiB));

	/* A pattern over an odd range, checked whole and in an unaligned part. */
	fill_pattern(vram + 8 * MiB + 3, 2 * MiB - 5, 0xabcdef, 3);
	CHECK(check_pattern(&c, 8 * MiB + 3, 2 * MiB - 5, 0, 0xabcdef, 3));
	CHECK(check_pattern(&c, 8 * MiB + 1001, 77777, 0, 0xabcdef, 1001));
	CHECK(vram_check(&c, 8 * MiB + 3, 2 * MiB - 5, IVGPU_CHECK_KIND_PATTERN, 0, 0xabcdee,
			 3, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_MISMATCH);
	EXPECT_EQ(r.first, 8 * MiB + 3);
	/* Three corrupted bytes: counted, the first one reported. */
	vram[8 * MiB + 100000] ^= 1;
	vram[8 * MiB + 100001] ^= 0x80;
	vram[9 * MiB] ^= 0xff;
	CHECK(vram_check(&c, 8 * MiB + 3, 2 * MiB - 5, IVGPU_CHECK_KIND_PATTERN, 0, 0xabcdef,
			 3, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_MISMATCH);
	EXPECT_EQ(r.mismatches, 3);
	EXPECT_EQ(r.first, 8 * MiB + 100000);
	EXPECT_EQ(r.got, ref_byte(0xabcdef, 100000) ^ 1);
	EXPECT_EQ(r.expected, ref_byte(0xabcdef, 100000));
	EXPECT_EQ(r.crc, ref_crc32(0, vram + 8 * MiB + 3, 2 * MiB - 5));
	EXPECT_EQ(r.from_windows, 0);

	/* Bad requests. */
	CHECK(vram_check(&c, size - 4096, 4097, IVGPU_CHECK_KIND_CRC32, 0, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_ERR_RANGE);
	CHECK(vram_check(&c, size + 1, 0, IVGPU_CHECK_KIND_CRC32, 0, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_ERR_RANGE);
	CHECK(vram_check(&c, 4096, UINT64_MAX, IVGPU_CHECK_KIND_CRC32, 0, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_ERR_RANGE);
	CHECK(vram_check(&c, 0, 16, 3, 0, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_ERR_KIND);
	CHECK(vram_check(&c, 0, 16, IVGPU_CHECK_KIND_CRC32, 2, 0, 0, &r));
	EXPECT_EQ(r.status, IVGPU_CHECK_ERR_FLAGS);
	EXPECT_EQ(r.crc, 0);
	EXPECT_EQ(r.first, IVGPU_CHECK_NO_MISMATCH);
	EXPECT_EQ(rd64(&c, IVGPU_REG_CHECK_COUNT), 13);
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_IRQS), 13);
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_SWITCHES), 0);
	EXPECT_EQ(rd32(&c, IVGPU_REG_ERROR_COUNT), 0);
	CHECK(server_alive(&srv));
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/*
 * t_bank_persist - with --persist, windows keep their banks, contents and
 * counters across clients; a request a client left unrung is cancelled.
 * The counters are logged on exit.
 */
static bool t_bank_persist(void)
{
	struct server srv = { .pid = -1 };
	char logpath[PATH_MAX], buf[16384];
	const char *args[] = { "--persist", "--small-bar", "--vram-size", "8M", "--log", logpath,
			       NULL };
	struct client c;
	bool ok = true;

	client_init(&c);
	tmp_path(logpath, sizeof(logpath), "log");
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	CHECK(bank_switch(&c, 0, 64 * KiB) == IVGPU_BANK_OK);
	fill_pattern(win_mem(&c, 0), MiB, 5, 64 * KiB);
	CHECK(refused(&c, 1, 3, IVGPU_BANK_ERR_ALIGN, &(struct win_count){ 0 }));
	bank_post(&c, 1, 4 * MiB);
	client_close(&c);

	CHECK(client_connect(&c, srv.sock, false));
	EXPECT_EQ(c.id, 2);
	EXPECT_EQ(rd64(&c, WIN(0, IVGPU_WIN_BANK)), 64 * KiB);
	EXPECT_EQ(rd32(&c, WIN(0, IVGPU_WIN_ACK_SEQ)), 1);
	EXPECT_EQ(rd32(&c, WIN(0, IVGPU_WIN_REQ_SEQ)), 1);
	EXPECT_EQ(rd64(&c, WIN(0, IVGPU_WIN_SWITCHES)), 1);
	EXPECT_EQ(first_pattern_diff(win_mem(&c, 0), MiB, 5, 64 * KiB), MiB);
	EXPECT_EQ(rd64(&c, WIN(1, IVGPU_WIN_BANK)), IVGPU_BANK_NONE);
	EXPECT_EQ(rd32(&c, WIN(1, IVGPU_WIN_STATUS)), IVGPU_BANK_ERR_ALIGN);
	EXPECT_EQ(rd32(&c, WIN(1, IVGPU_WIN_ACK_SEQ)), 1);
	EXPECT_EQ(rd32(&c, WIN(1, IVGPU_WIN_REQ_SEQ)), 1);
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_REFUSED), 1);
	CHECK(ring(&c, IVGPU_DB_BANK, 1));
	CHECK(ping(&c, 1));
	EXPECT_EQ(wait_irq(&c, IVGPU_IRQ_BANK, 50), 0);
	EXPECT_EQ(rd64(&c, WIN(1, IVGPU_WIN_BANK)), IVGPU_BANK_NONE);
	CHECK(check_pattern(&c, 64 * KiB, MiB, 0, 5, 64 * KiB));
	client_close(&c);
	CHECK(server_stop(&srv));

	read_text(logpath, buf, sizeof(buf));
	CHECK(strstr(buf, "window 1: bank 0x3 refused: not a multiple of the bank granule"));
	CHECK(strstr(buf, "client 1 disconnected (pings answered: 0, errors: 0, bank switches: 1, "
			  "refused: 1, VRAM checks: 0)"));
	CHECK(strstr(buf, "client 2 disconnected (pings answered: 1, errors: 0, bank switches: 0, "
			  "refused: 0, VRAM checks: 1)"));
	CHECK(strstr(buf, "bank switches 1, bytes written back 0, bytes loaded 1048576, refused 1"));
	CHECK(strstr(buf, "window 0: bank 0x10000, switches 1, bytes written back 0, "
			  "bytes loaded 1048576, refused 0"));
	CHECK(strstr(buf, "window 1: no bank, switches 0"));
out:
	if (!ok)
		dump_text("log", logpath);
	client_close(&c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/*
 * t_bank_cost - what a switch of a 1 MiB window costs on this host, measured
 * from request to acknowledgement (poll) and as the device's copy time.
 */
static bool t_bank_cost(void)
{
	const char *args[] = { "--small-bar", "--vram-size", "64M", "--windows", "1", NULL };
	struct server srv = { .pid = -1 };
	const int n = 256;
	struct timespec t0, t1;
	uint64_t wall_ns, copy_ns;
	struct check_res r;
	struct client c;
	bool ok = true;
	uint32_t seq;
	int k;

	client_init(&c);
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&c, srv.sock, false));
	/* Touch all banks once so that first-touch page faults are not counted. */
	for (k = 0; k < 8; k++)
		CHECK(bank_switch(&c, 0, k * MiB) == IVGPU_BANK_OK);
	CHECK(bank_switch(&c, 0, IVGPU_BANK_NONE) == IVGPU_BANK_OK);
	copy_ns = rd64(&c, IVGPU_REG_BANK_COPY_NS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; k < n; k++) {
		seq = bank_post(&c, 0, (k % 8) * MiB);
		CHECK(ring(&c, IVGPU_DB_BANK, 1));
		CHECK(bank_poll(&c, 0, seq));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	wall_ns = (t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec - t0.tv_nsec;
	copy_ns = rd64(&c, IVGPU_REG_BANK_COPY_NS) - copy_ns;
	EXPECT_EQ(rd64(&c, IVGPU_REG_BANK_SWITCHES), 9 + n);
	EXPECT_EQ(copy_ns > 0 && copy_ns < wall_ns, 1);
	diag("1 MiB window switch (1 MiB written back + 1 MiB loaded): %.1f us request to "
	     "acknowledgement, %.1f us of it copying (mean of %d)",
	     wall_ns / 1000.0 / n, copy_ns / 1000.0 / n, n);
	/*
	 * And checks of all 64 MiB (zeros): one that matches, and a pattern
	 * check where nearly every byte differs (the slow path).
	 */
	sleep_ms(50);
	wait_irq(&c, IVGPU_IRQ_BANK, 0);	/* the polled switches' interrupts */
	CHECK(vram_check(&c, 0, 64 * MiB, IVGPU_CHECK_KIND_CRC32, 0, 0, 0, &r));  /* page in */
	for (k = 0; k < 2; k++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(vram_check(&c, 0, 64 * MiB, k ? IVGPU_CHECK_KIND_PATTERN :
				 IVGPU_CHECK_KIND_FILL, 0, 9 * k, 0, &r));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		EXPECT_EQ(r.status, k ? IVGPU_CHECK_MISMATCH : IVGPU_CHECK_OK);
		wall_ns = (t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec - t0.tv_nsec;
		diag("VRAM check of 64 MiB, %s: %.1f ms (%.2f ms per MiB)",
		     k ? "every byte differs" : "all match", wall_ns / 1e6, wall_ns / 1e6 / 64);
	}
out:
	client_close(&c);
	ok = server_stop(&srv) && ok;
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
	{ "doorbells with nothing to do raise nothing", t_idle_doorbells },
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
	{ "bank switch: written back, loaded, intact after a round trip; counters exact",
	  t_bank_roundtrip },
	{ "bank switch: unaligned, out-of-range, overlapping banks refused without a copy",
	  t_bank_refused },
	{ "bank switch: 4 windows of 2M, 64K granule, all of 64M VRAM", t_bank_four_2m },
	{ "bank switch: 1 window of 64K, bank past VRAM end clamped", t_bank_one_64k },
	{ "bank switch: served on the doorbell only; poll path; one pass, one interrupt",
	  t_bank_doorbell },
	{ "bank switch: 4 threads on 4 windows at once, nothing lost", t_bank_concurrent },
	{ "VRAM check: CRC-32, fill, pattern, mismatch report, bad requests", t_check_oracle },
	{ "bank switch: --persist keeps windows, cancels unrung requests; counters logged",
	  t_bank_persist },
	{ "bank switch: cost of a 1 MiB switch on this host", t_bank_cost },
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
