// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * test-ivgpu-dev - host-side tests of qemu/ivgpu-dev, without QEMU.
 *
 * Usage: test-ivgpu-dev PATH-TO-IVGPU-DEV [WORD]
 * (with WORD, only the tests whose names contain it)
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
#define WATCHDOG_S		600

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

/* ---------------------------------------------------------------------- */
/* The co-processor                                                       */
/* ---------------------------------------------------------------------- */

/* A command as the contract lays it out. */
struct tcmd {
	uint32_t op;
	uint32_t flags;
	uint64_t a[7];
};

_Static_assert(sizeof(struct tcmd) == IVGPU_CMD_SIZE, "command size");

#define CMD(op_, fl_, ...)	((struct tcmd){ .op = (op_), .flags = (fl_), .a = { __VA_ARGS__ } })
#define STOP_HANG		0xffffu	/* ref_run(): stopped at a HANG */
#define CP_RING_SIZE		(16 * KiB)
#define CP_SETTLE_MS		20000

/* A byte-at-a-time table CRC-32, made by ref_crc32()'s bit loop, for speed. */
static uint32_t tcrc_tab[256];

static void tcrc_init(void)
{
	uint8_t b;
	int i;

	for (i = 0; i < 256; i++) {
		b = i;
		/* The CRC of one byte, without the pre- and post-inversion. */
		tcrc_tab[i] = ~ref_crc32(0xffffffffu, &b, 1);
	}
}

static uint32_t tcrc(uint32_t crc, const uint8_t *p, uint64_t n)
{
	uint64_t i;

	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = tcrc_tab[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* xorshift64*: the tests' random numbers, seeded per test for replay. */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dull;
}

/* rnd_below - uniform in [0, @n), @n > 0 (bias negligible here). */
static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/**
 * struct cp - one co-processor test's world
 * @srv: the device
 * @c: the test as the guest
 * @small: small-BAR configuration
 * @vram: VRAM size
 * @wsz: window size (small BAR)
 * @nwin: windows (small BAR)
 * @model: what VRAM must hold as the CPU sees it (the reference)
 * @base: ring base
 * @size: ring size
 * @tail: where the next command goes
 * @fence: the last fence sequence number the reference executed
 * @cmds: commands the reference executed
 * @bytes: VRAM bytes the reference's commands wrote
 * @resets: resets served
 * @irq: interrupts counted, per vector
 * @data0: first byte commands may write (after the ring)
 */
struct cp {
	struct server srv;
	struct client c;
	bool small;
	uint64_t vram, wsz;
	uint32_t nwin;
	uint8_t *model;
	uint64_t base;
	uint32_t size;
	uint32_t tail;
	uint64_t fence;
	uint64_t cmds, bytes, resets;
	uint64_t irq[IVGPU_NUM_VECTORS];
	uint64_t data0;
};

/* cp_irq - take interrupt @v if it comes within @ms; counts it. */
static uint64_t cp_irq(struct cp *t, unsigned int v, int ms)
{
	uint64_t n = wait_irq(&t->c, v, ms);

	t->irq[v] += n;
	return n;
}

/*
 * cpu_ptr - where the CPU sees VRAM [@off, @off + @len): in the BAR (large)
 * or in a window that shows all of it (small); NULL if none does.
 */
static volatile uint8_t *cpu_ptr(struct cp *t, uint64_t off, uint64_t len)
{
	uint64_t bank, n;
	uint32_t i;

	if (!t->small)
		return t->c.bar + IVGPU_LARGE_BAR_VRAM_OFFSET + off;
	for (i = 0; i < t->nwin; i++) {
		bank = rd64(&t->c, WIN(i, IVGPU_WIN_BANK));
		if (bank == IVGPU_BANK_NONE || bank > off)
			continue;
		n = t->vram - bank < t->wsz ? t->vram - bank : t->wsz;
		if (off + len <= bank + n)
			return win_mem(&t->c, i) + (off - bank);
	}
	return NULL;
}

/* first_diff - first index where @a and @b differ, or @n. */
static uint64_t first_diff(const volatile uint8_t *a, const uint8_t *b, uint64_t n)
{
	uint64_t k = 0;

	if (!memcmp((const void *)a, b, n))
		return n;
	while (a[k] == b[k])
		k++;
	return k;
}

/* dev_crc - the device's CRC-32 of VRAM [@off, @off + @len) as the CPU sees it. */
static bool dev_crc(struct cp *t, uint64_t off, uint64_t len, uint32_t *crc)
{
	struct check_res r;

	if (!vram_check(&t->c, off, len, IVGPU_CHECK_KIND_CRC32, 0, 0, 0, &r) ||
	    r.status != IVGPU_CHECK_OK)
		return false;
	*crc = r.crc;
	return true;
}

/*
 * model_check - VRAM as the CPU sees it equals the model: compared byte by
 * byte where the CPU sees it, and (small BAR) by the device's CRC-32 of all
 * of VRAM; a difference is located by halving.  The bytes of a window past
 * the end of VRAM must still read all ones.
 */
static bool model_check(struct cp *t, const char *what)
{
	uint64_t off = 0, len = t->vram, half, bank, n, k;
	volatile uint8_t *p;
	uint32_t crc, i;

	if (!t->small) {
		k = first_diff(cpu_ptr(t, 0, t->vram), t->model, t->vram);
		if (k == t->vram)
			return true;
		diag("%s: VRAM 0x%" PRIx64 " holds 0x%02x, expected 0x%02x", what, k,
		     cpu_ptr(t, 0, t->vram)[k], t->model[k]);
		return false;
	}
	for (i = 0; i < t->nwin; i++) {
		bank = rd64(&t->c, WIN(i, IVGPU_WIN_BANK));
		if (bank == IVGPU_BANK_NONE)
			continue;
		n = t->vram - bank < t->wsz ? t->vram - bank : t->wsz;
		p = win_mem(&t->c, i);
		k = first_diff(p, t->model + bank, n);
		if (k != n) {
			diag("%s: window %u: VRAM 0x%" PRIx64 " holds 0x%02x, expected 0x%02x", what,
			     i, bank + k, p[k], t->model[bank + k]);
			return false;
		}
		if (first_unlike(p + n, t->wsz - n, 0xff) != t->wsz - n) {
			diag("%s: window %u: a byte past the end of VRAM changed", what, i);
			return false;
		}
	}
	if (!dev_crc(t, 0, t->vram, &crc))
		return false;
	if (crc == tcrc(0, t->model, t->vram))
		return true;
	while (len > 1) {
		half = len / 2;
		if (!dev_crc(t, off, half, &crc))
			return false;
		if (crc == tcrc(0, t->model + off, half)) {
			off += half;
			len -= half;
		} else {
			len = half;
		}
	}
	diag("%s: VRAM 0x%" PRIx64 " differs from the model (expected 0x%02x)", what, off,
	     t->model[off]);
	return false;
}

/*
 * cp_load - write the model into VRAM; with a small BAR through window 0,
 * all windows detached afterwards.
 */
static bool cp_load(struct cp *t)
{
	uint64_t b, n;
	uint32_t i;

	if (!t->small) {
		memcpy((void *)cpu_ptr(t, 0, t->vram), t->model, t->vram);
		return true;
	}
	for (i = 1; i < t->nwin; i++)
		if (bank_switch(&t->c, i, IVGPU_BANK_NONE) != IVGPU_BANK_OK)
			return false;
	for (b = 0; b < t->vram; b += t->wsz) {
		if (bank_switch(&t->c, 0, b) != IVGPU_BANK_OK)
			return false;
		n = t->vram - b < t->wsz ? t->vram - b : t->wsz;
		memcpy((void *)win_mem(&t->c, 0), t->model + b, n);
	}
	return bank_switch(&t->c, 0, IVGPU_BANK_NONE) == IVGPU_BANK_OK;
}

/*
 * ring_reset - ask for a reset with RING_BASE @base, RING_SIZE @size and
 * RING_TAIL @tail; poll for the acknowledgement, then wait for its
 * IVGPU_IRQ_RING.  Returns RING_STATUS as read the moment the
 * acknowledgement showed (it must be final by then, and so must an error's
 * registers), or -1 if the reset was not served.
 */
static int ring_reset(struct cp *t, uint64_t base, uint32_t size, uint32_t tail)
{
	struct client *c = &t->c;
	uint32_t seq = rd32(c, IVGPU_REG_RESET_ACK_SEQ) + 1, errs = rd32(c, IVGPU_REG_ERROR_COUNT);
	long long end = now_ms() + IRQ_TIMEOUT_MS;
	uint32_t st, errs_then;

	wr64(c, IVGPU_REG_RING_BASE, base);
	wr32(c, IVGPU_REG_RING_SIZE, size);
	wr32(c, IVGPU_REG_RING_TAIL, tail);
	wr32(c, IVGPU_REG_RESET_REQ_SEQ, seq);
	if (!ring(c, IVGPU_DB_RESET, 1))
		return -1;
	while (rd32(c, IVGPU_REG_RESET_ACK_SEQ) != seq) {
		if (now_ms() > end) {
			diag("reset %u not acknowledged (ACK_SEQ %u)", seq,
			     rd32(c, IVGPU_REG_RESET_ACK_SEQ));
			return -1;
		}
		sched_yield();
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	st = rd32(c, IVGPU_REG_RING_STATUS);
	errs_then = rd32(c, IVGPU_REG_ERROR_COUNT);
	if (errs_then != errs + (st == IVGPU_RING_ERROR)) {
		diag("reset %u acknowledged with status %u and %u errors, before its state", seq,
		     st, errs_then - errs);
		return -1;
	}
	if (!cp_irq(t, IVGPU_IRQ_RING, IRQ_TIMEOUT_MS)) {
		diag("no IVGPU_IRQ_RING for reset %u", seq);
		return -1;
	}
	t->resets++;
	t->base = base;
	t->size = size;
	t->tail = tail;
	return st;
}

/* ring_restart - a reset of the ring in use, at the test's tail: must give IDLE. */
static bool ring_restart(struct cp *t)
{
	bool ok = true;

	EXPECT_EQ(ring_reset(t, t->base, t->size, t->tail), IVGPU_RING_IDLE);
	EXPECT_EQ(rd32(&t->c, IVGPU_REG_RING_HEAD), t->tail);
	return ok;
}

/* ring_put - write @cmd at the tail (where the CPU sees it) and in the model. */
static bool ring_put(struct cp *t, const struct tcmd *cmd)
{
	volatile uint8_t *p = cpu_ptr(t, t->base + t->tail, IVGPU_CMD_SIZE);

	if (!p) {
		diag("ring slot 0x%x is in no window", t->tail);
		return false;
	}
	memcpy((void *)p, cmd, IVGPU_CMD_SIZE);
	memcpy(t->model + t->base + t->tail, cmd, IVGPU_CMD_SIZE);
	t->tail = (t->tail + IVGPU_CMD_SIZE) % t->size;
	return true;
}

/* ring_go - publish the tail and ring the doorbell. */
static bool ring_go(struct cp *t)
{
	wr32(&t->c, IVGPU_REG_RING_TAIL, t->tail);
	return ring(&t->c, IVGPU_DB_RING, 1);
}

/*
 * ring_settle - poll until the engine is done with what it was given: idle
 * at the tail, stopped at an error, or hung.  Returns RING_STATUS, or -1.
 */
static int ring_settle(struct cp *t)
{
	long long end = now_ms() + CP_SETTLE_MS;
	uint32_t st;

	for (;;) {
		st = rd32(&t->c, IVGPU_REG_RING_STATUS);
		if (st == IVGPU_RING_ERROR || st == IVGPU_RING_HUNG)
			break;
		if (st == IVGPU_RING_IDLE && rd32(&t->c, IVGPU_REG_RING_HEAD) == t->tail)
			break;
		if (now_ms() > end) {
			diag("engine busy for %d ms: status %u, head 0x%x, tail 0x%x", CP_SETTLE_MS,
			     st, rd32(&t->c, IVGPU_REG_RING_HEAD), t->tail);
			return -1;
		}
		sched_yield();
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return st;
}

/* ---- the reference: the contract's commands on the model ---- */

static bool ref_range(const struct cp *t, uint64_t off, uint64_t len)
{
	return !len || (off < t->vram && len <= t->vram - off);
}

/* ref_rect - rows fit: written with 128-bit arithmetic, unlike the device. */
static bool ref_rect(const struct cp *t, uint64_t base, uint64_t pitch, uint64_t w, uint64_t h)
{
	unsigned __int128 end = (unsigned __int128)(h - 1) * pitch + base + w;

	return end <= t->vram;
}

/* ref_check - the IVGPU_ERROR_* a command earns, from the contract's text. */
static uint32_t ref_check(const struct cp *t, const struct tcmd *c)
{
	const uint64_t *a = c->a;
	uint32_t defined = 0;

	if (c->op > IVGPU_CMD_HANG)
		return IVGPU_ERROR_CMD_OPCODE;
	if (c->op == IVGPU_CMD_CRC32)
		defined = IVGPU_CMD_F_CRC_CONTINUE;
	if (c->op == IVGPU_CMD_FENCE)
		defined = IVGPU_CMD_F_FENCE_WRITE;
	if (c->flags & ~defined)
		return IVGPU_ERROR_CMD_FLAGS;
	switch (c->op) {
	case IVGPU_CMD_FILL:
		return ref_range(t, a[0], a[1]) ? 0 : IVGPU_ERROR_CMD_RANGE;
	case IVGPU_CMD_COPY:
		return ref_range(t, a[0], a[2]) && ref_range(t, a[1], a[2]) ? 0 :
		       IVGPU_ERROR_CMD_RANGE;
	case IVGPU_CMD_CRC32:
		if (a[2] % 4)
			return IVGPU_ERROR_CMD_ARG;
		return ref_range(t, a[0], a[1]) && ref_range(t, a[2], 4) ? 0 :
		       IVGPU_ERROR_CMD_RANGE;
	case IVGPU_CMD_BLIT:
		if (!a[4] || !a[5])
			return 0;
		if (a[5] > 1 && (a[2] < a[4] || a[3] < a[4]))
			return IVGPU_ERROR_CMD_ARG;
		return ref_rect(t, a[0], a[2], a[4], a[5]) && ref_rect(t, a[1], a[3], a[4], a[5]) ?
		       0 : IVGPU_ERROR_CMD_RANGE;
	case IVGPU_CMD_FENCE:
		if (!c->flags)
			return 0;
		if (a[1] % 8)
			return IVGPU_ERROR_CMD_ARG;
		return ref_range(t, a[1], 8) ? 0 : IVGPU_ERROR_CMD_RANGE;
	case IVGPU_CMD_STALL:
		return a[0] <= IVGPU_CMD_STALL_MAX_NS ? 0 : IVGPU_ERROR_CMD_ARG;
	}
	return 0;
}

/* ref_exec - apply the valid command @c to the model. */
static void ref_exec(struct cp *t, const struct tcmd *c)
{
	const uint64_t *a = c->a;
	uint8_t *m = t->model, *tmp;
	uint64_t k, r;
	uint32_t crc;

	switch (c->op) {
	case IVGPU_CMD_FILL:
		for (k = 0; k < a[1]; k++)
			m[a[0] + k] = (uint8_t)(a[2] >> (k % 4 * 8));
		t->bytes += a[1];
		break;
	case IVGPU_CMD_COPY:
		memmove(m + a[0], m + a[1], a[2]);
		t->bytes += a[2];
		break;
	case IVGPU_CMD_CRC32:
		crc = 0;
		if (c->flags)
			memcpy(&crc, m + a[2], 4);
		crc = tcrc(crc, m + a[0], a[1]);
		memcpy(m + a[2], &crc, 4);
		t->bytes += 4;
		break;
	case IVGPU_CMD_BLIT:
		if (!a[4] || !a[5])
			break;
		tmp = malloc(a[4] * a[5]);
		if (!tmp)
			abort();
		for (r = 0; r < a[5]; r++)
			memcpy(tmp + r * a[4], m + a[1] + r * a[3], a[4]);
		for (r = 0; r < a[5]; r++)
			memcpy(m + a[0] + r * a[2], tmp + r * a[4], a[4]);
		free(tmp);
		t->bytes += a[4] * a[5];
		break;
	case IVGPU_CMD_FENCE:
		if (c->flags) {
			memcpy(m + a[1], &a[0], 8);
			t->bytes += 8;
		}
		t->fence = a[0];
		break;
	}
	t->cmds++;
}

/*
 * ref_run - execute the model's ring from @from up to the tail, as the
 * engine must (commands read from the model, so one that rewrites a later
 * one is followed).  Returns where it stopped: the tail, or the position of
 * a bad command (*@code its error) or of a HANG (*@code STOP_HANG).
 */
static uint32_t ref_run(struct cp *t, uint32_t from, uint32_t *code)
{
	struct tcmd c;
	uint32_t pos;

	*code = 0;
	for (pos = from; pos != t->tail; pos = (pos + IVGPU_CMD_SIZE) % t->size) {
		memcpy(&c, t->model + t->base + pos, sizeof(c));
		*code = ref_check(t, &c);
		if (!*code && c.op == IVGPU_CMD_HANG)
			*code = STOP_HANG;
		if (*code)
			return pos;
		ref_exec(t, &c);
	}
	return pos;
}

/*
 * cp_batch - submit @n commands (and a FENCE after them with @fence), run
 * them in the reference, wait until the engine settles, and check that it
 * stopped where the reference did, with the same status, fence and
 * error.  A HANG or an error is cleared with a reset.
 */
static bool cp_batch(struct cp *t, const struct tcmd *cmds, uint32_t n, bool fence)
{
	uint32_t from = t->tail, stop = 0, code = 0, errs = rd32(&t->c, IVGPU_REG_ERROR_COUNT), i;
	int st;
	bool ok = true;

	for (i = 0; i < n; i++)
		CHECK(ring_put(t, &cmds[i]));
	if (fence)
		CHECK(ring_put(t, &CMD(IVGPU_CMD_FENCE, 0, t->fence + 1)));
	stop = ref_run(t, from, &code);
	CHECK(ring_go(t));
	st = ring_settle(t);
	CHECK(st >= 0);
	/* Whoever sees the status ERROR finds the error's registers already. */
	if (st == IVGPU_RING_ERROR)
		EXPECT_EQ(rd32(&t->c, IVGPU_REG_ERROR_COUNT), errs + 1);
	EXPECT_EQ(rd32(&t->c, IVGPU_REG_RING_HEAD), stop);
	EXPECT_EQ(rd64(&t->c, IVGPU_REG_FENCE_SEQ), t->fence);
	EXPECT_EQ(rd64(&t->c, IVGPU_REG_RING_CMDS), t->cmds);
	EXPECT_EQ(rd64(&t->c, IVGPU_REG_RING_BYTES), t->bytes);
	if (!code) {
		EXPECT_EQ(st, IVGPU_RING_IDLE);
	} else if (code == STOP_HANG) {
		EXPECT_EQ(st, IVGPU_RING_HUNG);
	} else {
		EXPECT_EQ(st, IVGPU_RING_ERROR);
		CHECK(cp_irq(t, IVGPU_IRQ_ERROR, IRQ_TIMEOUT_MS));
		EXPECT_EQ(rd32(&t->c, IVGPU_REG_ERROR_CODE), code);
		EXPECT_EQ(rd64(&t->c, IVGPU_REG_ERROR_ARG), stop);
		EXPECT_EQ(rd32(&t->c, IVGPU_REG_ERROR_COUNT), errs + 1);
	}
	if (code)
		CHECK(ring_restart(t));
out:
	if (!ok) {
		diag("batch of %u from ring 0x%x: reference stopped at 0x%x with %u", n, from, stop,
		     code);
		for (i = 0; i < n; i++)
			diag("  op %u flags 0x%x args 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
			     " 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64, cmds[i].op, cmds[i].flags,
			     cmds[i].a[0], cmds[i].a[1], cmds[i].a[2], cmds[i].a[3], cmds[i].a[4],
			     cmds[i].a[5]);
	}
	return ok;
}

/* cp_run - cp_batch() of valid commands, fenced; the batch must complete. */
static bool cp_run(struct cp *t, const struct tcmd *cmds, uint32_t n)
{
	uint64_t errs = rd32(&t->c, IVGPU_REG_ERROR_COUNT);

	return cp_batch(t, cmds, n, true) && rd32(&t->c, IVGPU_REG_RING_STATUS) ==
	       IVGPU_RING_IDLE && rd32(&t->c, IVGPU_REG_ERROR_COUNT) == errs;
}

static const char *const cp_large_args[] = { "--vram-size", "4M", NULL };
static const char *const cp_small_args[] = { "--small-bar", "--vram-size", "4M", "--windows", "2",
					     "--window-size", "256K", "--bank-granule", "4K", NULL };

/*
 * cp_start_args - a device started with @args, its VRAM filled with random
 * bytes (from @seed), its ring of CP_RING_SIZE at 0, started.  With a
 * small BAR, window 0 shows the ring and what follows it, window 1 shows
 * VRAM from @w1 on, and the rest of VRAM is private.
 */
static bool cp_start_args(struct cp *t, const char *const *args, bool small, uint64_t seed,
			  uint64_t w1)
{
	bool ok = true;
	uint64_t k;

	memset(t, 0, sizeof(*t));
	t->srv.pid = -1;
	client_init(&t->c);
	t->small = small;
	rnd_state = seed * 0x9e3779b97f4a7c15ull + 1;
	CHECK(server_start(&t->srv, args));
	CHECK(client_connect(&t->c, t->srv.sock, false));
	t->vram = rd64(&t->c, IVGPU_REG_VRAM_SIZE);
	t->wsz = win_size(&t->c);
	t->nwin = rd32(&t->c, IVGPU_REG_WINDOW_COUNT);
	CHECK(rd64(&t->c, IVGPU_REG_CAPS) & IVGPU_CAP_COPROC);
	t->model = malloc(t->vram);
	CHECK(t->model);
	for (k = 0; k < t->vram; k += 8) {
		uint64_t v = rnd();

		memcpy(t->model + k, &v, 8);
	}
	CHECK(cp_load(t));
	if (small) {
		CHECK(bank_switch(&t->c, 0, 0) == IVGPU_BANK_OK);
		CHECK(bank_switch(&t->c, 1, w1) == IVGPU_BANK_OK);
	}
	t->data0 = CP_RING_SIZE;
	EXPECT_EQ(rd32(&t->c, IVGPU_REG_RING_STATUS), IVGPU_RING_STOPPED);
	CHECK(ring_reset(t, 0, CP_RING_SIZE, 0) == IVGPU_RING_IDLE);
	CHECK(ok);
out:
	return ok;
}

/*
 * cp_start - cp_start_args() with 4 MiB of VRAM (small BAR: 2 windows of
 * 256 KiB, 4 KiB granule).
 */
static bool cp_start(struct cp *t, bool small, uint64_t seed, uint64_t w1)
{
	return cp_start_args(t, small ? cp_small_args : cp_large_args, small, seed, w1);
}

/*
 * cp_finish - the world still equals the model, the counters add up (every
 * IVGPU_IRQ_RING counted, none pending), and the device is alive; then
 * stop it.
 */
static bool cp_finish(struct cp *t, bool ok)
{
	if (ok && t->model) {
		ok = model_check(t, "at the end") && ok;
		cp_irq(t, IVGPU_IRQ_RING, 0);
		EXPECT_EQ(rd64(&t->c, IVGPU_REG_RING_IRQS), t->irq[IVGPU_IRQ_RING]);
		EXPECT_EQ(rd64(&t->c, IVGPU_REG_RING_RESETS), t->resets);
		EXPECT_EQ(rd64(&t->c, IVGPU_REG_RING_CMDS), t->cmds);
		ok = server_alive(&t->srv) && ok;
	}
	free(t->model);
	t->model = NULL;
	client_close(&t->c);
	ok = server_stop(&t->srv) && ok;
	return ok;
}

/* A window-1 position of cp_start() that puts it in the middle of VRAM, off any power of two. */
#define CP_W1		(2 * MiB - 12 * KiB)

/*
 * t_cp_start - the start and reset protocol: the engine is stopped until a
 * reset; doorbells with nothing to do do nothing; a reset latches the ring,
 * sets HEAD = TAIL, acknowledges and raises IVGPU_IRQ_RING; counters.
 */
static bool t_cp_start(void)
{
	struct cp t;
	bool ok = true;
	uint32_t off;

	memset(&t, 0, sizeof(t));
	t.srv.pid = -1;
	client_init(&t.c);
	CHECK(server_start(&t.srv, cp_large_args));
	CHECK(client_connect(&t.c, t.srv.sock, false));
	t.vram = 4 * MiB;
	for (off = IVGPU_REGS_RING_BASE; off < IVGPU_REG_RING_IRQS + 8; off += 4)
		EXPECT_EQ(rd32(&t.c, off), 0);
	/* Before any reset the engine is stopped: a ring doorbell does nothing. */
	memcpy((void *)cpu_ptr(&t, 0, 64), &CMD(IVGPU_CMD_FILL, 0, 4096, 16, 0x01020304), 64);
	wr32(&t.c, IVGPU_REG_RING_TAIL, 64);
	CHECK(ring(&t.c, IVGPU_DB_RING, 1));
	/* A reset doorbell with no request pending does nothing either. */
	CHECK(ring(&t.c, IVGPU_DB_RESET, 2));
	CHECK(ping(&t.c, 1));
	sleep_ms(50);
	EXPECT_EQ(cp_irq(&t, IVGPU_IRQ_RING, 0), 0);
	EXPECT_EQ(cp_irq(&t, IVGPU_IRQ_ERROR, 0), 0);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_STATUS), IVGPU_RING_STOPPED);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_HEAD), 0);
	EXPECT_EQ(cpu_ptr(&t, 4096, 1)[0], 0);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_RESETS), 0);

	/* A reset at TAIL 64: the FILL written before is dropped, HEAD = TAIL. */
	EXPECT_EQ(ring_reset(&t, 0, 4096, 64), IVGPU_RING_IDLE);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_HEAD), 64);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RESET_ACK_SEQ), 1);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_RESETS), 1);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_IRQS), 1);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_CMDS), 0);
	EXPECT_EQ(cpu_ptr(&t, 4096, 1)[0], 0);
	/* The ring runs: a FILL and a FENCE, HEAD after them. */
	memcpy((void *)cpu_ptr(&t, 64, 64), &CMD(IVGPU_CMD_FILL, 0, 4096, 6, 0x01020304), 64);
	memcpy((void *)cpu_ptr(&t, 128, 64), &CMD(IVGPU_CMD_FENCE, 0, 0x1122334455667788ull), 64);
	wr32(&t.c, IVGPU_REG_RING_TAIL, 192);
	CHECK(ring(&t.c, IVGPU_DB_RING, 1));
	CHECK(cp_irq(&t, IVGPU_IRQ_RING, IRQ_TIMEOUT_MS));
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_FENCE_SEQ), 0x1122334455667788ull);
	EXPECT_EQ(memcmp((const void *)cpu_ptr(&t, 4096, 8), "\x04\x03\x02\x01\x04\x03\0\0", 8), 0);
	t.tail = 192;
	CHECK(ring_settle(&t) == IVGPU_RING_IDLE);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_HEAD), 192);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_CMDS), 2);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_BYTES), 6);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_IRQS), 2);
	/* Commands are taken only on the doorbell. */
	memcpy((void *)cpu_ptr(&t, 192, 64), &CMD(IVGPU_CMD_FILL, 0, 8192, 1, 0xaa), 64);
	wr32(&t.c, IVGPU_REG_RING_TAIL, 256);
	sleep_ms(50);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_HEAD), 192);
	EXPECT_EQ(cpu_ptr(&t, 8192, 1)[0], 0);
	CHECK(ring(&t.c, IVGPU_DB_RING, 1));
	t.tail = 256;
	CHECK(ring_settle(&t) == IVGPU_RING_IDLE);
	EXPECT_EQ(cpu_ptr(&t, 8192, 1)[0], 0xaa);
	/* Another ring at a new base and size; FENCE_SEQ and the counters are kept. */
	EXPECT_EQ(ring_reset(&t, 3 * MiB, 16 * KiB, 0), IVGPU_RING_IDLE);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_FENCE_SEQ), 0x1122334455667788ull);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_CMDS), 3);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_RESETS), 2);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_IRQS), 3);
	/* The largest ring, at the very end of VRAM. */
	EXPECT_EQ(ring_reset(&t, 0, IVGPU_RING_SIZE_MAX > t.vram ? 4 * MiB : 16 * MiB, 0),
		  IVGPU_RING_IDLE);
	EXPECT_EQ(ring_reset(&t, t.vram - 4096, 4096, 4032), IVGPU_RING_IDLE);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_HEAD), 4032);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_COUNT), 0);
	EXPECT_EQ(cp_irq(&t, IVGPU_IRQ_ERROR, 0), 0);
	CHECK(server_alive(&t.srv));
out:
	client_close(&t.c);
	ok = server_stop(&t.srv) && ok;
	return ok;
}

/*
 * t_cp_private_ring_small - with a small BAR the ring and the data may lie
 * in VRAM no window shows: commands written through a window that then
 * moved away are read from VRAM, and results land there.
 */
static bool t_cp_private_ring_small(void)
{
	struct check_res r;
	struct cp t;
	bool ok = true;

	CHECK(cp_start(&t, true, 1, CP_W1));
	/* A ring at 1 MiB, written through window 0, then window 0 back at 0. */
	CHECK(ring_reset(&t, MiB, 4096, 0) == IVGPU_RING_IDLE);
	CHECK(bank_switch(&t.c, 0, MiB) == IVGPU_BANK_OK);
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_FILL, 0, 3 * MiB + 5, 1000, 0xdeadbeef)));
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_COPY, 0, MiB + 8192, 3 * MiB, 4096)));
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_CRC32, 0, 3 * MiB, 8192, MiB + 65536)));
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_FENCE, IVGPU_CMD_F_FENCE_WRITE, 77, 3 * MiB + 4096)));
	CHECK(bank_switch(&t.c, 0, 0) == IVGPU_BANK_OK);
	CHECK(cpu_ptr(&t, MiB, 4096) == NULL);
	EXPECT_EQ(ref_run(&t, 0, &(uint32_t){ 0 }), t.tail);
	CHECK(ring_go(&t));
	CHECK(cp_irq(&t, IVGPU_IRQ_RING, IRQ_TIMEOUT_MS));
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_FENCE_SEQ), 77);
	CHECK(ring_settle(&t) == IVGPU_RING_IDLE);
	CHECK(model_check(&t, "private ring"));
	/* VRAM itself holds it all: no window showed any of it. */
	CHECK(vram_check(&t.c, MiB, 128 * KiB, IVGPU_CHECK_KIND_CRC32, IVGPU_CHECK_F_VRAM_ONLY, 0,
			 0, &r));
	EXPECT_EQ(r.crc, tcrc(0, t.model + MiB, 128 * KiB));
out:
	return cp_finish(&t, ok);
}

/*
 * t_cp_cmds - each command against the reference, on ranges chosen to
 * cross window edges (small BAR): NOP, FILL at every phase and over many
 * pieces, COPY, CRC32, BLIT, FENCE with and without its write, STALL.
 */
static bool run_cp_cmds(bool small)
{
	uint64_t w1 = CP_W1, a, b;
	struct check_res r;
	struct tcmd cmds[16];
	uint32_t n = 0, i;
	struct cp t;
	bool ok = true;

	CHECK(cp_start(&t, small, 2, w1));
	cmds[n++] = CMD(IVGPU_CMD_NOP, 0, 0);
	for (i = 0; i < 4; i++)
		cmds[n++] = CMD(IVGPU_CMD_FILL, 0, w1 - 3 + i * 7, 1 + i * 3, 0xa1b2c3d4u + i);
	CHECK(cp_run(&t, cmds, n));
	CHECK(model_check(&t, "small fills"));
	n = 0;
	/* Around window 1's start and end, and over 5 pieces of the engine. */
	cmds[n++] = CMD(IVGPU_CMD_FILL, 0, w1 - 1000, 2001, 0x11223344);
	cmds[n++] = CMD(IVGPU_CMD_FILL, 0, w1 + 256 * KiB - 3, 7, 0x55667788);
	cmds[n++] = CMD(IVGPU_CMD_FILL, 0, CP_RING_SIZE + 1, 5 * 64 * KiB + 17, 0x99aabbcc);
	cmds[n++] = CMD(IVGPU_CMD_FILL, 0, 3 * MiB, MiB, 0);
	cmds[n++] = CMD(IVGPU_CMD_FILL, 0, t.vram - 1, 1, 0xffffffff);
	CHECK(cp_run(&t, cmds, n));
	CHECK(model_check(&t, "fills"));
	/* COPY: window to private VRAM, private to window, inside a window, both ways. */
	n = 0;
	cmds[n++] = CMD(IVGPU_CMD_COPY, 0, 3 * MiB + 5, w1 + 100, 200 * KiB);
	cmds[n++] = CMD(IVGPU_CMD_COPY, 0, w1 - 50 * KiB, MiB + 3, 300 * KiB + 1);
	cmds[n++] = CMD(IVGPU_CMD_COPY, 0, w1 + 10, w1 + 70 * KiB, 100 * KiB);
	cmds[n++] = CMD(IVGPU_CMD_COPY, 0, 100 * KiB, 200 * KiB, 64 * KiB);
	cmds[n++] = CMD(IVGPU_CMD_COPY, 0, t.vram - 4096, 0, 4096);
	/* A COPY onto itself changes nothing. */
	cmds[n++] = CMD(IVGPU_CMD_COPY, 0, w1 - 7, w1 - 7, 70000);
	CHECK(cp_run(&t, cmds, n));
	CHECK(model_check(&t, "copies"));
	/* CRC32 over a window edge, result in the window, in private VRAM, in the ring's window. */
	n = 0;
	cmds[n++] = CMD(IVGPU_CMD_CRC32, 0, w1 - 12345, 100000, w1 + 4);
	cmds[n++] = CMD(IVGPU_CMD_CRC32, 0, 0, t.vram, 3 * MiB + 4);
	cmds[n++] = CMD(IVGPU_CMD_CRC32, 0, MiB, 0, CP_RING_SIZE + 8);
	CHECK(cp_run(&t, cmds, n));
	CHECK(model_check(&t, "CRCs"));
	/* The CRC-32 of nothing is 0. */
	EXPECT_EQ(*(uint32_t *)(t.model + CP_RING_SIZE + 8), 0);
	/* BLIT: a rectangle out of window 1 into private VRAM and back, and a 1-row one. */
	n = 0;
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, 3 * MiB + 1, w1 - 999, 1000, 777, 500, 300);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, w1 + 3, 3 * MiB + 8, 1024, 4096, 1000, 200);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, CP_RING_SIZE, 2 * MiB + 12345, 0, UINT64_MAX, 5000, 1);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, 3 * MiB, MiB, 300, 300, 300, 100);
	CHECK(cp_run(&t, cmds, n));
	CHECK(model_check(&t, "blits"));
	/* FENCE writes (into window 1 and private VRAM), a short STALL, NOPs. */
	n = 0;
	cmds[n++] = CMD(IVGPU_CMD_FENCE, IVGPU_CMD_F_FENCE_WRITE, 1001, w1 + 256 * KiB - 8);
	cmds[n++] = CMD(IVGPU_CMD_STALL, 0, 1000000);
	cmds[n++] = CMD(IVGPU_CMD_FENCE, 0, 1002, 12345);
	cmds[n++] = CMD(IVGPU_CMD_FENCE, IVGPU_CMD_F_FENCE_WRITE, 1003, 3 * MiB + 64);
	cmds[n++] = CMD(IVGPU_CMD_NOP, 0, 1, 2, 3, 4, 5, 6, 7);
	CHECK(cp_run(&t, cmds, n));
	CHECK(model_check(&t, "fences"));
	memcpy(&a, t.model + w1 + 256 * KiB - 8, 8);
	memcpy(&b, t.model + 3 * MiB + 64, 8);
	EXPECT_EQ(a, 1001);
	EXPECT_EQ(b, 1003);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_BUSY_NS) >= 1000000, 1);
	if (small) {
		/* What the CPU sees in window 1 is what the engine wrote. */
		EXPECT_EQ(*(volatile uint64_t *)cpu_ptr(&t, w1 + 256 * KiB - 8, 8), 1001);
		/* And VRAM alone does not have it yet: it is in the window. */
		CHECK(vram_check(&t.c, w1, 256 * KiB, IVGPU_CHECK_KIND_CRC32,
				 IVGPU_CHECK_F_VRAM_ONLY, 0, 0, &r));
		EXPECT_EQ(r.crc != tcrc(0, t.model + w1, 256 * KiB), 1);
		/* Written back, it is. */
		CHECK(bank_switch(&t.c, 1, IVGPU_BANK_NONE) == IVGPU_BANK_OK);
		CHECK(vram_check(&t.c, w1, 256 * KiB, IVGPU_CHECK_KIND_CRC32,
				 IVGPU_CHECK_F_VRAM_ONLY, 0, 0, &r));
		EXPECT_EQ(r.crc, tcrc(0, t.model + w1, 256 * KiB));
	}
out:
	return cp_finish(&t, ok);
}

static bool t_cp_cmds_large(void)
{
	return run_cp_cmds(false);
}

static bool t_cp_cmds_small(void)
{
	return run_cp_cmds(true);
}

/*
 * t_cp_crc - CRC32 is the check's CRC-32: the standard check value; a range
 * split into random parts chained with CONTINUE gives the CRC of the whole,
 * equal to one CRC32 command, to the reference and to the VRAM check; an
 * empty part keeps the value; a result inside its own source.
 */
static bool run_cp_crc(bool small)
{
	uint64_t w1 = CP_W1, src = w1 - 100 * KiB - 3, len = 700 * KiB + 5, res = 3 * MiB;
	uint64_t off, part;
	struct tcmd cmds[64];
	uint32_t n = 0, whole, chained, got, round;
	struct cp t;
	bool ok = true;

	CHECK(cp_start(&t, small, 3, w1));
	memcpy(t.model + 2 * MiB + 100, "123456789", 9);
	CHECK(cp_load(&t));
	if (small) {
		CHECK(bank_switch(&t.c, 0, 0) == IVGPU_BANK_OK);
		CHECK(bank_switch(&t.c, 1, w1) == IVGPU_BANK_OK);
	}
	cmds[0] = CMD(IVGPU_CMD_CRC32, 0, 2 * MiB + 100, 9, 4096 * 5);
	CHECK(cp_run(&t, cmds, 1));
	EXPECT_EQ(*(volatile uint32_t *)cpu_ptr(&t, 4096 * 5, 4), 0xcbf43926);
	whole = tcrc(0, t.model + src, len);
	CHECK(dev_crc(&t, src, len, &got));
	EXPECT_EQ(got, whole);
	for (round = 0; round < 5; round++) {
		n = 0;
		cmds[n++] = CMD(IVGPU_CMD_CRC32, 0, src, len, res + 64);
		for (off = 0; off < len; off += part) {
			part = round == 4 ? len : 1 + rnd_below(len / 8);
			if (part > len - off)
				part = len - off;
			cmds[n++] = CMD(IVGPU_CMD_CRC32, off ? IVGPU_CMD_F_CRC_CONTINUE : 0,
					src + off, part, res);
			if (rnd_below(4) == 0)	/* an empty part changes nothing */
				cmds[n++] = CMD(IVGPU_CMD_CRC32, IVGPU_CMD_F_CRC_CONTINUE, 0, 0, res);
			CHECK(n < 60);
		}
		CHECK(cp_run(&t, cmds, n));
		memcpy(&chained, t.model + res, 4);
		EXPECT_EQ(chained, whole);
		EXPECT_EQ(*(uint32_t *)(t.model + res + 64), whole);
		CHECK(model_check(&t, "chained CRC"));
	}
	/* A result inside its own source: the CRC of the bytes before it was written. */
	cmds[0] = CMD(IVGPU_CMD_CRC32, 0, w1 + 16, 4096, w1 + 16 + 2048);
	whole = tcrc(0, t.model + w1 + 16, 4096);
	CHECK(cp_run(&t, cmds, 1));
	EXPECT_EQ(*(uint32_t *)(t.model + w1 + 16 + 2048), whole);
	/* An empty range: 0, or the value found with CONTINUE. */
	cmds[0] = CMD(IVGPU_CMD_CRC32, 0, t.vram, 0, res + 128);
	cmds[1] = CMD(IVGPU_CMD_CRC32, IVGPU_CMD_F_CRC_CONTINUE, 12345, 0, res + 132);
	memcpy(&got, t.model + res + 132, 4);
	CHECK(cp_run(&t, cmds, 2));
	EXPECT_EQ(*(uint32_t *)(t.model + res + 128), 0);
	EXPECT_EQ(*(uint32_t *)(t.model + res + 132), got);
out:
	return cp_finish(&t, ok);
}

static bool t_cp_crc_large(void)
{
	return run_cp_crc(false);
}

static bool t_cp_crc_small(void)
{
	return run_cp_crc(true);
}

/* rnd_blit - a random valid BLIT in [lo, hi) of VRAM, its source near its destination. */
static struct tcmd rnd_blit(uint64_t lo, uint64_t hi, uint64_t near)
{
	uint64_t w, h, dp, sp, s, d, sspan, dspan;
	int64_t delta;

	for (;;) {
		w = 1 + rnd_below(rnd_below(4) ? 600 : 5000);
		h = 1 + rnd_below(rnd_below(4) ? 30 : 200);
		sp = w + (rnd_below(3) ? rnd_below(2000) : 0);
		dp = rnd_below(3) ? w + rnd_below(2000) : sp;
		sspan = (h - 1) * sp + w;
		dspan = (h - 1) * dp + w;
		if (sspan >= hi - lo || dspan >= hi - lo)
			continue;
		s = lo + rnd_below(hi - lo - sspan);
		delta = (int64_t)rnd_below(2 * near + 1) - (int64_t)near;
		if (rnd_below(5) == 0)
			delta = (int64_t)rnd_below(5) - 2;
		d = s + delta;
		if ((int64_t)d < (int64_t)lo || d + dspan > hi)
			continue;
		return CMD(IVGPU_CMD_BLIT, 0, d, s, dp, sp, w, h);
	}
}

/*
 * t_cp_overlap - COPY and BLIT with overlapping source and destination
 * copy as if through a temporary buffer: COPY shifted by small and large
 * amounts both ways (over several of the engine's pieces); BLIT with equal
 * pitches both ways, with pitches that differ so that the destination rows
 * cross the source rows, and 400 random overlapping rectangles.
 */
static bool run_cp_overlap(bool small)
{
	static const int64_t shifts[] = { 1, 7, 4095, 4096, 65535, 65536, 65537, 150000, 204802 };
	uint64_t w1 = CP_W1, len = 200 * KiB + 3, base = w1 - 50 * KiB;
	struct tcmd cmds[32];
	uint32_t n, i, k;
	struct cp t;
	bool ok = true;

	CHECK(cp_start(&t, small, 4, w1));
	for (i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
		n = 0;
		cmds[n++] = CMD(IVGPU_CMD_COPY, 0, base + shifts[i], base, len);
		cmds[n++] = CMD(IVGPU_CMD_COPY, 0, base, base + shifts[i], len);
		cmds[n++] = CMD(IVGPU_CMD_COPY, 0, 3 * MiB - shifts[i], 3 * MiB, len);
		CHECK(cp_run(&t, cmds, n));
	}
	CHECK(model_check(&t, "overlapping copies"));
	n = 0;
	/* Equal pitches, down and up by a row and a bit, and sideways. */
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base + 1000 + 3, base, 1000, 1000, 900, 100);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base, base + 1000 + 3, 1000, 1000, 900, 100);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base + 5, base, 1000, 1000, 900, 100);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base, base + 5, 1000, 1000, 900, 100);
	/* Pitches differ: the rows cross (one group each way). */
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base, base + 20000, 2000, 1000, 500, 40);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base + 20000, base, 1000, 2000, 500, 40);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base + 10, base + 20000, 500, 1000, 400, 60);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base + 20000, base + 10, 1000, 500, 400, 60);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base + 195, base, 100, 200, 100, 50);
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, base, base + 195, 200, 100, 100, 50);
	/* A whole window's width of rows, across window 1. */
	cmds[n++] = CMD(IVGPU_CMD_BLIT, 0, w1 - 3 * KiB, w1 - 4 * KiB, 64 * KiB, 64 * KiB,
			64 * KiB, 6);
	CHECK(cp_run(&t, cmds, n));
	CHECK(model_check(&t, "overlapping blits"));
	for (k = 0; k < 40; k++) {
		for (n = 0; n < 10; n++)
			cmds[n] = rnd_blit(w1 - 200 * KiB, w1 + 400 * KiB, rnd_below(2) ? 3000 : 60000);
		CHECK(cp_run(&t, cmds, n));
		if (k % 10 == 9)
			CHECK(model_check(&t, "random overlapping blits"));
	}
out:
	return cp_finish(&t, ok);
}

static bool t_cp_overlap_large(void)
{
	return run_cp_overlap(false);
}

static bool t_cp_overlap_small(void)
{
	return run_cp_overlap(true);
}

/* rnd_addr - an offset in [lo, hi - len], often near a window edge (small BAR). */
static uint64_t rnd_addr(struct cp *t, uint64_t lo, uint64_t hi, uint64_t len, uint64_t align)
{
	uint64_t a, bank;

	if (t->small && rnd_below(3) == 0) {
		bank = rd64(&t->c, WIN(rnd_below(t->nwin), IVGPU_WIN_BANK));
		if (bank != IVGPU_BANK_NONE) {
			a = bank + (rnd_below(2) ? t->wsz : 0) - rnd_below(len + 1);
			if (a >= lo && a + len <= hi && a <= UINT64_MAX - len)
				return a & ~(align - 1);
		}
	}
	return (lo + rnd_below(hi - lo - len + 1)) & ~(align - 1);
}

/* rnd_cmd - a random valid command that writes nowhere before t->data0. */
static struct tcmd rnd_cmd(struct cp *t)
{
	uint64_t lo = t->data0, hi = t->vram, len;

	len = rnd_below(4) ? rnd_below(4096) : rnd_below(600 * KiB);
	switch (rnd_below(9)) {
	case 0:
		return CMD(IVGPU_CMD_NOP, 0, rnd());
	case 1:
	case 2:
		return CMD(IVGPU_CMD_FILL, 0, rnd_addr(t, lo, hi, len, 1), len, rnd());
	case 3:
	case 4:
		return CMD(IVGPU_CMD_COPY, 0, rnd_addr(t, lo, hi, len, 1), rnd_addr(t, 0, hi, len, 1),
			   len);
	case 5:
		return CMD(IVGPU_CMD_CRC32, rnd_below(2), rnd_addr(t, 0, hi, len, 1), len,
			   rnd_addr(t, lo, hi, 4, 4));
	case 6:
		return rnd_blit(lo, hi, rnd_below(2) ? 5000 : 2 * MiB);
	case 7:
		return CMD(IVGPU_CMD_FENCE, IVGPU_CMD_F_FENCE_WRITE, t->fence + 1 + rnd_below(5),
			   rnd_addr(t, lo, hi, 8, 8));
	default:
		return CMD(IVGPU_CMD_STALL, 0, rnd_below(20000));
	}
}

/* move_window1 - put window 1 at a random bank clear of window 0 (at 0). */
static bool move_window1(struct cp *t)
{
	uint64_t g = 4 * KiB, bank;

	bank = t->wsz + g * rnd_below((t->vram - t->wsz) / g);
	if (rnd_below(6) == 0)
		bank = t->vram - g * (1 + rnd_below(3));	/* clamped at the end of VRAM */
	return bank_switch(&t->c, 1, bank) == IVGPU_BANK_OK;
}

/*
 * t_cp_random - 150 batches of 1 to 8 random valid commands of every kind,
 * against the reference; with a small BAR window 1 moves between batches
 * (to the end of VRAM too, where it is clamped).
 */
static bool run_cp_random(bool small)
{
	struct tcmd cmds[8];
	uint32_t b, n, i;
	struct cp t;
	bool ok = true;

	CHECK(cp_start(&t, small, 5, CP_W1));
	for (b = 0; b < 150; b++) {
		n = 1 + rnd_below(8);
		for (i = 0; i < n; i++)
			cmds[i] = rnd_cmd(&t);
		CHECK(cp_run(&t, cmds, n));
		if (b % 25 == 24)
			CHECK(model_check(&t, "random commands"));
		if (small && rnd_below(3) == 0)
			CHECK(move_window1(&t));
	}
out:
	return cp_finish(&t, ok);
}

static bool t_cp_random_large(void)
{
	return run_cp_random(false);
}

static bool t_cp_random_small(void)
{
	return run_cp_random(true);
}

/*
 * t_cp_fences - 10,000 submissions, each a FILL of a marker and a FENCE
 * that also writes its number, rung one by one into a ring of 64 slots
 * (it wraps over 300 times) while earlier ones execute; waiting only on
 * IVGPU_IRQ_RING.  FENCE_SEQ never goes back, and whenever it says n, the
 * markers and fence writes of every submission up to n are in VRAM.  One
 * interrupt per fence.
 */
static bool run_cp_fences(bool small)
{
	const uint64_t total = 10000, marks = 64 * KiB, fences = 128 * KiB;
	uint64_t submitted = 0, seen = 0, f, s, v, irqs = 0, n;
	uint32_t head, used, fill_pat;
	struct cp t;
	bool ok = true;

	CHECK(cp_start(&t, small, 6, CP_W1));
	CHECK(ring_reset(&t, 0, 4096, 0) == IVGPU_RING_IDLE);
	while (seen < total) {
		for (;;) {
			head = rd32(&t.c, IVGPU_REG_RING_HEAD);
			used = (t.tail - head) % t.size;
			if (submitted == total || t.size - used < 4 * IVGPU_CMD_SIZE)
				break;
			s = ++submitted;
			fill_pat = (uint32_t)(s * 0x9e3779b1u);
			CHECK(ring_put(&t, &CMD(IVGPU_CMD_FILL, 0, marks + s % 1024 * 8, 8, fill_pat)));
			if (s % 7 == 0)
				CHECK(ring_put(&t, &CMD(IVGPU_CMD_NOP, 0, 0)));
			CHECK(ring_put(&t, &CMD(IVGPU_CMD_FENCE, IVGPU_CMD_F_FENCE_WRITE, s,
						fences + s % 1024 * 8)));
			CHECK(ref_run(&t, (t.tail - (s % 7 ? 2 : 3) * IVGPU_CMD_SIZE) % t.size,
				      &(uint32_t){ 0 }) == t.tail);
			CHECK(ring_go(&t));
		}
		n = cp_irq(&t, IVGPU_IRQ_RING, IRQ_TIMEOUT_MS);
		if (!n) {
			diag("no IVGPU_IRQ_RING after fence %" PRIu64 " of %" PRIu64 " submitted",
			     seen, submitted);
			CHECK(false);
		}
		irqs += n;
		f = rd64(&t.c, IVGPU_REG_FENCE_SEQ);
		if (f < seen || f > submitted) {
			diag("FENCE_SEQ %" PRIu64 " after %" PRIu64 ", with %" PRIu64 " submitted",
			     f, seen, submitted);
			CHECK(false);
		}
		for (s = seen + 1; s <= f; s++) {
			fill_pat = (uint32_t)(s * 0x9e3779b1u);
			v = *(volatile uint64_t *)cpu_ptr(&t, marks + s % 1024 * 8, 8);
			if (v != ((uint64_t)fill_pat << 32 | fill_pat) ||
			    *(volatile uint64_t *)cpu_ptr(&t, fences + s % 1024 * 8, 8) != s) {
				diag("fence %" PRIu64 " signalled before submission %" PRIu64
				     " was in VRAM", f, s);
				CHECK(false);
			}
		}
		seen = f;
	}
	CHECK(ring_settle(&t) == IVGPU_RING_IDLE);
	EXPECT_EQ(t.fence, total);
	EXPECT_EQ(irqs, total);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_IRQS), total + 2);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_CMDS), t.cmds);
	diag("%" PRIu64 " fences, %" PRIu64 " commands, the ring wrapped %" PRIu64 " times",
	     total, t.cmds, t.cmds * IVGPU_CMD_SIZE / t.size);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_COUNT), 0);
out:
	return cp_finish(&t, ok);
}

static bool t_cp_fences_large(void)
{
	return run_cp_fences(false);
}

static bool t_cp_fences_small(void)
{
	return run_cp_fences(true);
}

#define V	(4 * MiB)	/* cp_start()'s VRAM */
#define U64	UINT64_MAX

struct bad_cmd {
	const char *name;
	struct tcmd c;
	uint32_t code;
};

/* Every way a command can be bad, with the error the contract gives it. */
static const struct bad_cmd bad_cmds[] = {
	{ "opcode 8", CMD(8, 0, 0), IVGPU_ERROR_CMD_OPCODE },
	{ "opcode 0xffffffff", CMD(0xffffffffu, 0, 0), IVGPU_ERROR_CMD_OPCODE },
	{ "opcode 0x100 (a flag's byte)", CMD(0x100, 0, 0), IVGPU_ERROR_CMD_OPCODE },
	{ "NOP flag 1", CMD(IVGPU_CMD_NOP, 1, 0), IVGPU_ERROR_CMD_FLAGS },
	{ "FILL flag 1", CMD(IVGPU_CMD_FILL, 1, V / 2, 16, 0), IVGPU_ERROR_CMD_FLAGS },
	{ "COPY flag 1 << 31", CMD(IVGPU_CMD_COPY, 1u << 31, V / 2, 0, 16), IVGPU_ERROR_CMD_FLAGS },
	{ "CRC32 flag 2", CMD(IVGPU_CMD_CRC32, 2, 0, 16, V / 2), IVGPU_ERROR_CMD_FLAGS },
	{ "CRC32 flags 3", CMD(IVGPU_CMD_CRC32, 3, 0, 16, V / 2), IVGPU_ERROR_CMD_FLAGS },
	{ "BLIT flag 1", CMD(IVGPU_CMD_BLIT, 1, V / 2, 0, 16, 16, 16, 2), IVGPU_ERROR_CMD_FLAGS },
	{ "FENCE flag 2", CMD(IVGPU_CMD_FENCE, 2, 5), IVGPU_ERROR_CMD_FLAGS },
	{ "STALL flag 1", CMD(IVGPU_CMD_STALL, 1, 0), IVGPU_ERROR_CMD_FLAGS },
	{ "HANG flag 1", CMD(IVGPU_CMD_HANG, 1, 0), IVGPU_ERROR_CMD_FLAGS },
	{ "FILL one byte past the end", CMD(IVGPU_CMD_FILL, 0, V - 4, 5, 0), IVGPU_ERROR_CMD_RANGE },
	{ "FILL at the end", CMD(IVGPU_CMD_FILL, 0, V, 1, 0), IVGPU_ERROR_CMD_RANGE },
	{ "FILL wrapping 2^64", CMD(IVGPU_CMD_FILL, 0, U64 - 3, 8, 0), IVGPU_ERROR_CMD_RANGE },
	{ "FILL of 2^64 - 1 bytes", CMD(IVGPU_CMD_FILL, 0, 1, U64, 0), IVGPU_ERROR_CMD_RANGE },
	{ "FILL of VRAM + 1 bytes", CMD(IVGPU_CMD_FILL, 0, 0, V + 1, 0), IVGPU_ERROR_CMD_RANGE },
	{ "COPY destination past the end", CMD(IVGPU_CMD_COPY, 0, V - 8, 0, 9),
	  IVGPU_ERROR_CMD_RANGE },
	{ "COPY source past the end", CMD(IVGPU_CMD_COPY, 0, V / 2, V - 8, 9),
	  IVGPU_ERROR_CMD_RANGE },
	{ "COPY source wrapping 2^64", CMD(IVGPU_CMD_COPY, 0, V / 2, U64, 2),
	  IVGPU_ERROR_CMD_RANGE },
	{ "COPY destination wrapping 2^64", CMD(IVGPU_CMD_COPY, 0, U64 - 7, 0, 16),
	  IVGPU_ERROR_CMD_RANGE },
	{ "CRC32 source past the end", CMD(IVGPU_CMD_CRC32, 0, V - 1, 2, V / 2),
	  IVGPU_ERROR_CMD_RANGE },
	{ "CRC32 source wrapping 2^64", CMD(IVGPU_CMD_CRC32, 0, 1ull << 63, 1ull << 63, V / 2),
	  IVGPU_ERROR_CMD_RANGE },
	{ "CRC32 result at the end", CMD(IVGPU_CMD_CRC32, 0, 0, 16, V), IVGPU_ERROR_CMD_RANGE },
	{ "CRC32 result near 2^64", CMD(IVGPU_CMD_CRC32, 0, 0, 16, U64 - 3),
	  IVGPU_ERROR_CMD_RANGE },
	{ "CRC32 result not 4-aligned", CMD(IVGPU_CMD_CRC32, 0, 0, 16, V / 2 + 2),
	  IVGPU_ERROR_CMD_ARG },
	{ "CRC32 result unaligned and out of range", CMD(IVGPU_CMD_CRC32, 0, 0, 16, V + 1),
	  IVGPU_ERROR_CMD_ARG },
	{ "BLIT destination rows past the end", CMD(IVGPU_CMD_BLIT, 0, V / 2, 0, V / 4, 16, 16, 3),
	  IVGPU_ERROR_CMD_RANGE },
	{ "BLIT source rows past the end", CMD(IVGPU_CMD_BLIT, 0, V / 2, V / 2, 16, V / 4, 16, 3),
	  IVGPU_ERROR_CMD_RANGE },
	{ "BLIT last row one byte past the end", CMD(IVGPU_CMD_BLIT, 0, 0, V - 3 * 100 - 16, 17,
						     100, 17, 4), IVGPU_ERROR_CMD_RANGE },
	{ "BLIT rows x pitch wrapping 2^64",
	  CMD(IVGPU_CMD_BLIT, 0, V / 2, 0, 1ull << 32, 16, 16, (1ull << 32) + 1),
	  IVGPU_ERROR_CMD_RANGE },
	{ "BLIT height 2^64 - 1", CMD(IVGPU_CMD_BLIT, 0, V / 2, 0, 16, 16, 16, U64),
	  IVGPU_ERROR_CMD_RANGE },
	{ "BLIT width past VRAM", CMD(IVGPU_CMD_BLIT, 0, 0, 0, V + 1, V + 1, V + 1, 1),
	  IVGPU_ERROR_CMD_RANGE },
	{ "BLIT source near 2^64, one row", CMD(IVGPU_CMD_BLIT, 0, 0, U64 - 15, 0, 0, 16, 1),
	  IVGPU_ERROR_CMD_RANGE },
	{ "BLIT destination pitch below width", CMD(IVGPU_CMD_BLIT, 0, V / 2, 0, 15, 16, 16, 2),
	  IVGPU_ERROR_CMD_ARG },
	{ "BLIT source pitch below width", CMD(IVGPU_CMD_BLIT, 0, V / 2, 0, 16, 0, 16, 2),
	  IVGPU_ERROR_CMD_ARG },
	{ "FENCE write not 8-aligned", CMD(IVGPU_CMD_FENCE, 1, 5, V / 2 + 4), IVGPU_ERROR_CMD_ARG },
	{ "FENCE write at the end", CMD(IVGPU_CMD_FENCE, 1, 5, V), IVGPU_ERROR_CMD_RANGE },
	{ "FENCE write near 2^64", CMD(IVGPU_CMD_FENCE, 1, 5, U64 - 7), IVGPU_ERROR_CMD_RANGE },
	{ "STALL past the limit", CMD(IVGPU_CMD_STALL, 0, IVGPU_CMD_STALL_MAX_NS + 1),
	  IVGPU_ERROR_CMD_ARG },
	{ "STALL 2^64 - 1 ns", CMD(IVGPU_CMD_STALL, 0, U64), IVGPU_ERROR_CMD_ARG },
};

/* Commands at the edges that are valid. */
static const struct tcmd edge_cmds[] = {
	CMD(IVGPU_CMD_FILL, 0, V, 0, 0),		/* empty at the end */
	CMD(IVGPU_CMD_FILL, 0, U64, 0, 0),		/* empty anywhere */
	CMD(IVGPU_CMD_FILL, 0, V - 1, 1, 0x77),		/* the last byte */
	CMD(IVGPU_CMD_COPY, 0, U64, U64, 0),
	CMD(IVGPU_CMD_COPY, 0, V - 16, V / 2, 16),
	CMD(IVGPU_CMD_CRC32, 0, U64, 0, V - 4),		/* empty source, last word */
	CMD(IVGPU_CMD_BLIT, 0, U64, U64, 0, 0, 0, U64),	/* no width */
	CMD(IVGPU_CMD_BLIT, 0, U64, U64, 0, 0, U64, 0),	/* no height */
	CMD(IVGPU_CMD_BLIT, 0, V / 2, V - 3 * 100 - 16, 16, 100, 16, 4), /* ends at the end */
	CMD(IVGPU_CMD_BLIT, 0, V - 16, V / 2, U64, U64, 16, 1),	/* one row: pitches unused */
	CMD(IVGPU_CMD_FENCE, 0, 9, U64),		/* no write: address unused */
	CMD(IVGPU_CMD_FENCE, 1, 10, V - 8),
	CMD(IVGPU_CMD_STALL, 0, 0),
	CMD(IVGPU_CMD_NOP, 0, U64, U64, U64, U64, U64, U64, U64),
};

/*
 * t_cp_errors - every bad command stops the engine at it: RING_STATUS
 * ERROR, HEAD and ERROR_ARG its ring position, ERROR_CODE as the contract
 * says, IVGPU_IRQ_ERROR; what came before it ran, nothing after it did,
 * the doorbell does not restart it, a reset does.  The valid edge cases
 * run.  A bad TAIL, at a doorbell or at a reset, and every bad ring
 * configuration are refused the same way.
 */
static bool run_cp_errors(bool small)
{
	static const struct { uint64_t base; uint32_t size; } bad_rings[] = {
		{ 0x800, 4096 }, { 1, 4096 }, { 0, 0 }, { 0, 6144 }, { 0, 2048 }, { 0, 32 * MiB },
		{ 0, 0x80000000u }, { V - 4096, 8192 }, { V, 4096 }, { U64 - 4095, 4096 },
		{ U64 & ~4095ull, 8192 },
	};
	static const uint32_t bad_tails[] = { 32, 1, CP_RING_SIZE, CP_RING_SIZE + 64, 0xffffffc0u };
	uint32_t i, head, errs, pos;
	struct tcmd cmds[3];
	struct cp t;
	bool ok = true;

	CHECK(cp_start(&t, small, 7, CP_W1));
	for (i = 0; i < sizeof(bad_cmds) / sizeof(bad_cmds[0]); i++) {
		if (ref_check(&t, &bad_cmds[i].c) != bad_cmds[i].code) {
			diag("the reference misjudges '%s'", bad_cmds[i].name);
			CHECK(false);
		}
		cmds[0] = CMD(IVGPU_CMD_FILL, 0, V / 2 + i * 64, 32, 0x10203040 + i);
		cmds[1] = bad_cmds[i].c;
		cmds[2] = CMD(IVGPU_CMD_FILL, 0, V / 2 + i * 64 + 32, 32, 0x50607080 + i);
		pos = (t.tail + IVGPU_CMD_SIZE) % t.size;
		if (!cp_batch(&t, cmds, 3, true)) {
			diag("(%s)", bad_cmds[i].name);
			CHECK(false);
		}
		EXPECT_EQ(rd64(&t.c, IVGPU_REG_ERROR_ARG), pos);
		EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_CODE), bad_cmds[i].code);
		if (!ok)
			diag("(%s)", bad_cmds[i].name);
	}
	CHECK(model_check(&t, "bad commands"));
	EXPECT_EQ(cp_irq(&t, IVGPU_IRQ_ERROR, 0), 0);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_COUNT), i);
	CHECK(cp_run(&t, edge_cmds, sizeof(edge_cmds) / sizeof(edge_cmds[0])));
	CHECK(model_check(&t, "edge commands"));

	/* Stopped at an error, the doorbell does not restart the engine. */
	errs = rd32(&t.c, IVGPU_REG_ERROR_COUNT);
	CHECK(ring_put(&t, &CMD(9, 0, 0)));
	pos = t.tail - IVGPU_CMD_SIZE;
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_FILL, 0, V / 2, 100, 1)));
	CHECK(ring_go(&t));
	CHECK(ring_settle(&t) == IVGPU_RING_ERROR);
	CHECK(cp_irq(&t, IVGPU_IRQ_ERROR, IRQ_TIMEOUT_MS));
	CHECK(ring(&t.c, IVGPU_DB_RING, 1));
	CHECK(ping(&t.c, 1));
	sleep_ms(20);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_STATUS), IVGPU_RING_ERROR);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_HEAD), pos);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_COUNT), errs + 1);
	CHECK(ring_restart(&t));
	CHECK(model_check(&t, "after the doorbell in error"));

	/* A bad TAIL at the doorbell: nothing runs, ARG = TAIL, HEAD stays. */
	for (i = 0; i < sizeof(bad_tails) / sizeof(bad_tails[0]); i++) {
		head = t.tail;
		CHECK(ring_put(&t, &CMD(IVGPU_CMD_FILL, 0, V / 2, 100, 2)));
		errs = rd32(&t.c, IVGPU_REG_ERROR_COUNT);
		wr32(&t.c, IVGPU_REG_RING_TAIL, bad_tails[i]);
		CHECK(ring(&t.c, IVGPU_DB_RING, 1));
		CHECK(cp_irq(&t, IVGPU_IRQ_ERROR, IRQ_TIMEOUT_MS));
		EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_STATUS), IVGPU_RING_ERROR);
		EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_CODE), IVGPU_ERROR_RING_TAIL);
		EXPECT_EQ(rd64(&t.c, IVGPU_REG_ERROR_ARG), bad_tails[i]);
		EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_COUNT), errs + 1);
		EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_HEAD), head);
		CHECK(ring_restart(&t));
	}
	CHECK(model_check(&t, "bad tails"));

	/* Bad rings at a reset: acknowledged, ERROR, ARG = BASE; nothing runs. */
	for (i = 0; i < sizeof(bad_rings) / sizeof(bad_rings[0]); i++) {
		errs = rd32(&t.c, IVGPU_REG_ERROR_COUNT);
		EXPECT_EQ(ring_reset(&t, bad_rings[i].base, bad_rings[i].size, 0), IVGPU_RING_ERROR);
		CHECK(cp_irq(&t, IVGPU_IRQ_ERROR, IRQ_TIMEOUT_MS));
		EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_CODE), IVGPU_ERROR_RING_CONFIG);
		EXPECT_EQ(rd64(&t.c, IVGPU_REG_ERROR_ARG), bad_rings[i].base);
		EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_COUNT), errs + 1);
		if (!ok)
			diag("(ring 0x%" PRIx64 " + 0x%x)", bad_rings[i].base, bad_rings[i].size);
		CHECK(ok);
		wr32(&t.c, IVGPU_REG_RING_TAIL, 64);
		CHECK(ring(&t.c, IVGPU_DB_RING, 1));
	}
	CHECK(ping(&t.c, 2));
	sleep_ms(20);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_STATUS), IVGPU_RING_ERROR);
	/* A TAIL the new SIZE does not allow, at a reset. */
	for (i = 0; i < 2; i++) {
		errs = rd32(&t.c, IVGPU_REG_ERROR_COUNT);
		EXPECT_EQ(ring_reset(&t, 0, 4096, i ? 4096 : 100), IVGPU_RING_ERROR);
		CHECK(cp_irq(&t, IVGPU_IRQ_ERROR, IRQ_TIMEOUT_MS));
		EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_CODE), IVGPU_ERROR_RING_TAIL);
		EXPECT_EQ(rd64(&t.c, IVGPU_REG_ERROR_ARG), i ? 4096 : 100);
		EXPECT_EQ(rd32(&t.c, IVGPU_REG_ERROR_COUNT), errs + 1);
	}
	CHECK(ring_reset(&t, 0, CP_RING_SIZE, 0) == IVGPU_RING_IDLE);
	CHECK(model_check(&t, "bad rings"));
	cmds[0] = CMD(IVGPU_CMD_FILL, 0, V / 2, 100, 3);
	CHECK(cp_run(&t, cmds, 1));
	EXPECT_EQ(cp_irq(&t, IVGPU_IRQ_ERROR, 0), 0);
out:
	return cp_finish(&t, ok);
}

static bool t_cp_errors_large(void)
{
	return run_cp_errors(false);
}

static bool t_cp_errors_small(void)
{
	return run_cp_errors(true);
}

/* wait_busy_at - poll until the engine is at @pos in @status. */
static bool wait_busy_at(struct cp *t, uint32_t pos, uint32_t status)
{
	long long end = now_ms() + IRQ_TIMEOUT_MS;

	while (rd32(&t->c, IVGPU_REG_RING_HEAD) != pos ||
	       rd32(&t->c, IVGPU_REG_RING_STATUS) != status) {
		if (now_ms() > end) {
			diag("engine not at 0x%x with status %u: head 0x%x, status %u", pos, status,
			     rd32(&t->c, IVGPU_REG_RING_HEAD), rd32(&t->c, IVGPU_REG_RING_STATUS));
			return false;
		}
		sleep_ms(1);
	}
	return true;
}

/*
 * t_cp_hang_stall - HANG hangs (RING_STATUS HUNG, nothing after it runs,
 * no fence) until a reset ends it; a 10 s STALL, and one of the longest
 * allowed, are ended by a reset long before their time; a short STALL ends
 * by itself; a reset drops every pending command (none of 20 FILLs runs,
 * no fence); and a reset during a long BLIT leaves the engine sound.
 */
static bool run_cp_hang_stall(bool small)
{
	uint64_t fence, cmds, busy;
	struct tcmd c[24];
	uint32_t pos, i, code;
	long long t0;
	struct cp t;
	bool ok = true;

	CHECK(cp_start(&t, small, 8, CP_W1));
	/* HANG */
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_FILL, 0, V / 2, 1000, 0x01010101)));
	pos = t.tail;
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_HANG, 0, 0)));
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_FILL, 0, V / 2 + 1000, 1000, 0x02020202)));
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_FENCE, 0, 99)));
	EXPECT_EQ(ref_run(&t, (pos - IVGPU_CMD_SIZE) % t.size, &code), pos);
	EXPECT_EQ(code, STOP_HANG);
	fence = rd64(&t.c, IVGPU_REG_FENCE_SEQ);
	CHECK(ring_go(&t));
	CHECK(wait_busy_at(&t, pos, IVGPU_RING_HUNG));
	sleep_ms(100);
	CHECK(ring(&t.c, IVGPU_DB_RING, 1));
	sleep_ms(20);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_STATUS), IVGPU_RING_HUNG);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_HEAD), pos);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_FENCE_SEQ), fence);
	EXPECT_EQ(cp_irq(&t, IVGPU_IRQ_RING, 0), 0);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_CMDS), t.cmds);
	CHECK(ring_restart(&t));
	CHECK(model_check(&t, "after HANG"));
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_FENCE_SEQ), fence);

	/* STALL of 10 s, then of the longest allowed, each with 20 FILLs and a FENCE behind. */
	for (i = 0; i < 2; i++) {
		pos = t.tail;
		CHECK(ring_put(&t, &CMD(IVGPU_CMD_STALL, 0, i ? IVGPU_CMD_STALL_MAX_NS :
					10000000000ull)));
		for (code = 0; code < 20; code++)
			CHECK(ring_put(&t, &CMD(IVGPU_CMD_FILL, 0, V / 2 + code * 100, 100, code)));
		CHECK(ring_put(&t, &CMD(IVGPU_CMD_FENCE, 1, 1234, V / 2 + 4096)));
		cmds = rd64(&t.c, IVGPU_REG_RING_CMDS);
		CHECK(ring_go(&t));
		CHECK(wait_busy_at(&t, pos, IVGPU_RING_BUSY));
		sleep_ms(30);
		t0 = now_ms();
		/* ring_reset() waits IRQ_TIMEOUT_MS at most for the acknowledgement. */
		CHECK(ring_restart(&t));
		diag("a STALL of %s s ended by a reset in %lld ms", i ? "10 (the limit)" : "10",
		     now_ms() - t0);
		EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_CMDS), cmds);
		EXPECT_EQ(rd64(&t.c, IVGPU_REG_FENCE_SEQ), fence);
		EXPECT_EQ(cp_irq(&t, IVGPU_IRQ_RING, 0), 0);
		CHECK(model_check(&t, "pending commands dropped"));
	}
	/* A short STALL ends by itself, and counts as busy time. */
	busy = rd64(&t.c, IVGPU_REG_RING_BUSY_NS);
	c[0] = CMD(IVGPU_CMD_STALL, 0, 30000000);
	c[1] = CMD(IVGPU_CMD_FILL, 0, V / 2, 10, 5);
	CHECK(cp_run(&t, c, 2));
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_BUSY_NS) - busy >= 30000000, 1);
	/*
	 * A BLIT of 1 million 1-byte rows, all rewriting bytes with what they
	 * hold (so its result is known however far it got), reset mid-way.
	 */
	c[0] = CMD(IVGPU_CMD_FILL, 0, MiB, 3 * MiB, 0x5a5a5a5a);
	CHECK(cp_run(&t, c, 1));
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_BLIT, 0, MiB, MiB + 1, 3, 3, 1, MiB)));
	cmds = rd64(&t.c, IVGPU_REG_RING_CMDS);
	CHECK(ring_go(&t));
	sleep_ms(2);
	CHECK(ring_restart(&t));
	/* Abandoned (not counted) unless it was quicker than the reset. */
	if (rd64(&t.c, IVGPU_REG_RING_CMDS) == cmds + 1) {
		diag("the BLIT completed before the reset");
		t.cmds++;
		t.bytes += MiB;
	}
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_CMDS), t.cmds);
	CHECK(model_check(&t, "reset during a BLIT"));
	c[0] = CMD(IVGPU_CMD_COPY, 0, V / 2, MiB / 2, 12345);
	CHECK(cp_run(&t, c, 1));
out:
	return cp_finish(&t, ok);
}

static bool t_cp_hang_stall_large(void)
{
	return run_cp_hang_stall(false);
}

static bool t_cp_hang_stall_small(void)
{
	return run_cp_hang_stall(true);
}

/* fuzz_arg - an argument: in range, at the edges of VRAM and of 2^64, or anything. */
static uint64_t fuzz_arg(struct cp *t)
{
	switch (rnd_below(12)) {
	case 0:
		return 0;
	case 1:
		return rnd_below(64);
	case 2:
		return t->vram - rnd_below(17);
	case 3:
		return t->vram + rnd_below(17);
	case 4:
		return UINT64_MAX - rnd_below(17);
	case 5:
		return rnd();
	case 6:
		return 1ull << rnd_below(64);
	case 7:
		return rnd_below(t->vram) & ~7ull;
	case 8:
		return rnd_below(4096);
	default:
		return rnd_below(t->vram);
	}
}

/*
 * fuzz_cmd - random command words: a third of them anything (mostly known
 * opcodes, any flags and arguments), the others a valid command with a
 * field or two replaced by anything.
 */
static struct tcmd fuzz_cmd(struct cp *t)
{
	uint32_t r = rnd_below(100);
	struct tcmd c;
	int i;

	if (r < 33) {
		c.op = r < 25 ? rnd_below(IVGPU_CMD_HANG + 1) : r < 29 ? rnd_below(64) :
		       (uint32_t)rnd();
		r = rnd_below(10);
		c.flags = r < 6 ? 0 : r < 8 ? 1 : r < 9 ? 1u << rnd_below(32) : (uint32_t)rnd();
		for (i = 0; i < 7; i++)
			c.a[i] = fuzz_arg(t);
	} else {
		c = rnd_cmd(t);
		for (i = 0; i < 7; i++)
			if (rnd_below(12) == 0)
				c.a[i] = fuzz_arg(t);
		if (rnd_below(20) == 0)
			c.flags = rnd_below(2) ? 1u << rnd_below(32) : (uint32_t)rnd();
		if (rnd_below(40) == 0)
			c.op = rnd_below(2) ? rnd_below(16) : (uint32_t)rnd();
	}
	if (c.op == IVGPU_CMD_HANG && rnd_below(8))
		c.op = IVGPU_CMD_FILL;
	/* Keep STALLs short; a long one is t_cp_hang_stall's business. */
	if (c.op == IVGPU_CMD_STALL && c.a[0] <= IVGPU_CMD_STALL_MAX_NS)
		c.a[0] %= 200000;
	return c;
}

/*
 * t_cp_fuzz - 1000 batches of 1 to 6 random command words.  The reference
 * (run from the model's ring, so commands that overwrite later ones are
 * followed) predicts where the engine stops and with what error; valid
 * commands are applied to the model, and VRAM must equal it: nothing
 * outside the ranges of valid commands changes.  The device stays up, the
 * bytes around VRAM in BAR2 (large BAR) and of windows past VRAM (small
 * BAR) are untouched.
 */
static bool run_cp_fuzz(bool small)
{
	const uint64_t guard = 64 * KiB;
	volatile uint8_t *before = NULL, *after = NULL;
	uint32_t b, n, i, errs0;
	struct tcmd cmds[6];
	struct cp t;
	bool ok = true;

	CHECK(cp_start(&t, small, 9, CP_W1));
	errs0 = rd32(&t.c, IVGPU_REG_ERROR_COUNT);
	if (!small) {
		before = t.c.bar + IVGPU_LARGE_BAR_VRAM_OFFSET - guard;
		after = t.c.bar + IVGPU_LARGE_BAR_VRAM_OFFSET + t.vram;
		CHECK(IVGPU_LARGE_BAR_VRAM_OFFSET + t.vram + guard <= t.c.bar_size);
		memset((void *)before, 0xc3, guard);
		memset((void *)after, 0x3c, guard);
	}
	for (b = 0; b < 1000; b++) {
		n = 1 + rnd_below(6);
		for (i = 0; i < n; i++)
			cmds[i] = fuzz_cmd(&t);
		CHECK(cp_batch(&t, cmds, n, false));
		if (b % 100 == 99)
			CHECK(model_check(&t, "fuzz"));
		if (small && rnd_below(4) == 0)
			CHECK(move_window1(&t));
	}
	diag("%" PRIu64 " commands executed, %u refused, %" PRIu64 " resets", t.cmds,
	     rd32(&t.c, IVGPU_REG_ERROR_COUNT) - errs0, t.resets);
	if (!small) {
		EXPECT_EQ(first_unlike(before, guard, 0xc3), guard);
		EXPECT_EQ(first_unlike(after, guard, 0x3c), guard);
	}
out:
	return cp_finish(&t, ok);
}

static bool t_cp_fuzz_large(void)
{
	return run_cp_fuzz(false);
}

static bool t_cp_fuzz_small(void)
{
	return run_cp_fuzz(true);
}

struct race_arg {
	struct client *c;
	uint64_t vram, wsz;
	volatile bool stop;
	volatile uint32_t long_pos;
	uint64_t switches, during_long;
	bool ok;
};

/* race_switcher - switch window 1 around VRAM (clear of window 0) until told to stop. */
static void *race_switcher(void *p)
{
	struct race_arg *a = p;
	uint64_t x = 0x1234567, bank, g = 4 * KiB;
	uint32_t seq;

	while (!a->stop) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bank = a->wsz + g * (x % ((a->vram - a->wsz) / g));
		seq = bank_post(a->c, 1, bank);
		if (!ring(a->c, IVGPU_DB_BANK, 1) || !bank_poll(a->c, 1, seq) ||
		    rd32(a->c, WIN(1, IVGPU_WIN_STATUS)) != IVGPU_BANK_OK)
			return NULL;
		a->switches++;
		/* Served while the engine still runs the long command? */
		if (rd32(a->c, IVGPU_REG_RING_STATUS) == IVGPU_RING_BUSY &&
		    rd32(a->c, IVGPU_REG_RING_HEAD) == a->long_pos)
			a->during_long++;
	}
	a->ok = true;
	return NULL;
}

/*
 * crc_poll - the device's CRC-32 of VRAM [@off, @off + @len), waiting by
 * polling (another thread's bank switches raise IVGPU_IRQ_BANK too).
 */
static bool crc_poll(struct client *c, uint64_t off, uint64_t len, uint32_t *crc)
{
	uint32_t seq = rd32(c, IVGPU_REG_CHECK_ACK_SEQ) + 1;
	long long end = now_ms() + 10 * IRQ_TIMEOUT_MS;

	wr64(c, IVGPU_REG_CHECK_OFFSET, off);
	wr64(c, IVGPU_REG_CHECK_LENGTH, len);
	wr32(c, IVGPU_REG_CHECK_KIND, IVGPU_CHECK_KIND_CRC32);
	wr32(c, IVGPU_REG_CHECK_FLAGS, 0);
	wr32(c, IVGPU_REG_CHECK_REQ_SEQ, seq);
	if (!ring(c, IVGPU_DB_BANK, 1))
		return false;
	while (rd32(c, IVGPU_REG_CHECK_ACK_SEQ) != seq) {
		if (now_ms() > end) {
			diag("check not served");
			return false;
		}
		sched_yield();
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	*crc = rd32(c, IVGPU_REG_CHECK_CRC32);
	return rd32(c, IVGPU_REG_CHECK_STATUS) == IVGPU_CHECK_OK;
}

/*
 * t_cp_race_small - bank switches served while the engine runs: a thread
 * moves window 1 over VRAM as fast as it can while 60 batches of large
 * COPY, FILL, BLIT and CRC32 commands run on the same VRAM, then one BLIT
 * of 14 million 1-byte rows.  Afterwards VRAM (windows and private) equals
 * the reference, CRC results included.  A long command does not hold the
 * main thread off: VRAM checks of the BLIT's destination, served like bank
 * switches under the memory lock, see it partly done.
 */
static bool t_cp_race_small(void)
{
	static const char *const args[] = { "--small-bar", "--vram-size", "16M", "--windows", "2",
					    "--window-size", "1M", "--bank-granule", "4K", NULL };
	struct race_arg a = { 0 };
	uint64_t lo = MiB, len, sw0, w, h, pitch, span;
	uint32_t before, after, crc, checks = 0, partial = 0;
	struct tcmd cmds[4];
	bool started = false;
	uint32_t b, i;
	pthread_t th;
	struct cp t;
	bool ok = true;

	CHECK(cp_start_args(&t, args, true, 10, 5 * MiB));
	a = (struct race_arg){ .c = &t.c, .vram = t.vram, .wsz = t.wsz, .long_pos = ~0u };
	sw0 = rd64(&t.c, IVGPU_REG_BANK_SWITCHES);
	CHECK(!pthread_create(&th, NULL, race_switcher, &a));
	started = true;
	for (b = 0; b < 60; b++) {
		for (i = 0; i < 4; i++) {
			len = MiB + rnd_below(3 * MiB);
			switch (rnd_below(4)) {
			case 0:
				cmds[i] = CMD(IVGPU_CMD_COPY, 0, lo + rnd_below(t.vram - lo - len),
					      lo + rnd_below(t.vram - lo - len), len);
				break;
			case 1:
				cmds[i] = CMD(IVGPU_CMD_FILL, 0, lo + rnd_below(t.vram - lo - len),
					      len, rnd());
				break;
			case 2:
				w = 1 + rnd_below(64 * KiB);
				pitch = w + rnd_below(64 * KiB);
				h = 1 + rnd_below((t.vram - lo) / pitch / 2);
				span = (h - 1) * pitch + w;
				cmds[i] = CMD(IVGPU_CMD_BLIT, 0, lo + rnd_below(t.vram - lo - span),
					      lo + rnd_below(t.vram - lo - span), pitch, pitch, w, h);
				break;
			default:
				cmds[i] = CMD(IVGPU_CMD_CRC32, 0, lo + rnd_below(t.vram - lo - len), len,
					      lo + rnd_below(t.vram - lo - 4) / 4 * 4);
			}
		}
		CHECK(cp_run(&t, cmds, 4));
	}
	a.long_pos = t.tail;
	before = tcrc(0, t.model + 2 * MiB, 14 * MiB);
	cmds[0] = CMD(IVGPU_CMD_BLIT, 0, 2 * MiB, MiB, 1, 1, 1, 14 * MiB);
	CHECK(ring_put(&t, &cmds[0]));
	CHECK(ref_run(&t, a.long_pos, &(uint32_t){ 0 }) == t.tail);
	after = tcrc(0, t.model + 2 * MiB, 14 * MiB);
	CHECK(ring_go(&t));
	while (rd32(&t.c, IVGPU_REG_RING_HEAD) == a.long_pos) {
		CHECK(crc_poll(&t.c, 2 * MiB, 14 * MiB, &crc));
		checks++;
		partial += crc != before && crc != after;
	}
	CHECK(ring_settle(&t) == IVGPU_RING_IDLE);
	a.long_pos = ~0u;
	diag("while a BLIT of 14 Mi rows ran: %" PRIu64 " bank switches served, %u of %u "
	     "checks saw it partly done", a.during_long, partial, checks);
	EXPECT_EQ(partial > 0, 1);
out:
	if (started) {
		a.stop = true;
		pthread_join(th, NULL);
		if (!a.ok) {
			diag("the bank-switching thread failed after %" PRIu64 " switches",
			     a.switches);
			ok = false;
		}
		diag("%" PRIu64 " bank switches while the engine ran %" PRIu64 " commands (%"
		     PRIu64 " MiB written)", a.switches, t.cmds, (uint64_t)(t.bytes / MiB));
		EXPECT_EQ(rd64(&t.c, IVGPU_REG_BANK_SWITCHES) - sw0, a.switches);
		sleep_ms(50);
		wait_irq(&t.c, IVGPU_IRQ_BANK, 0);	/* the polled switches' interrupts */
	}
	return cp_finish(&t, ok);
}

/*
 * t_cp_client_gone - a client that goes while the engine hangs, or stalls
 * for 10 s, leaves it stopped: with --persist the next client finds it
 * STOPPED with the registers rewritten (no reset pending, TAIL = HEAD)
 * and the counters kept, and a reset starts it; without --persist the
 * device exits at once.  The log has the co-processor's totals.
 */
static bool t_cp_client_gone(void)
{
	struct server srv = { .pid = -1 };
	char logpath[PATH_MAX], buf[16384];
	const char *args[] = { "--persist", "--vram-size", "4M", "--log", logpath, NULL };
	struct tcmd c[2];
	uint64_t cmds;
	struct cp t;
	bool ok = true;

	memset(&t, 0, sizeof(t));
	t.srv.pid = -1;
	client_init(&t.c);
	tmp_path(logpath, sizeof(logpath), "log");
	CHECK(server_start(&srv, args));
	CHECK(client_connect(&t.c, srv.sock, false));
	t.vram = 4 * MiB;
	t.model = calloc(1, t.vram);
	CHECK(t.model);
	CHECK(ring_reset(&t, 0, 4096, 0) == IVGPU_RING_IDLE);
	t.data0 = 4096;
	c[0] = CMD(IVGPU_CMD_FILL, 0, MiB, 100, 7);
	CHECK(cp_run(&t, c, 1));
	cmds = t.cmds;
	CHECK(ring_put(&t, &CMD(IVGPU_CMD_HANG, 0, 0)));
	CHECK(ring_go(&t));
	CHECK(wait_busy_at(&t, t.tail - IVGPU_CMD_SIZE, IVGPU_RING_HUNG));
	/* A reset requested and never rung: the next client must not inherit it. */
	wr32(&t.c, IVGPU_REG_RESET_REQ_SEQ, rd32(&t.c, IVGPU_REG_RESET_ACK_SEQ) + 1);
	client_close(&t.c);

	CHECK(client_connect(&t.c, srv.sock, false));
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_STATUS), IVGPU_RING_STOPPED);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RESET_REQ_SEQ), rd32(&t.c, IVGPU_REG_RESET_ACK_SEQ));
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_TAIL), rd32(&t.c, IVGPU_REG_RING_HEAD));
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_CMDS), cmds);
	EXPECT_EQ(rd64(&t.c, IVGPU_REG_FENCE_SEQ), t.fence);
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_SIZE), 4096);
	/* Stopped: a doorbell does nothing until a reset. */
	CHECK(ring(&t.c, IVGPU_DB_RING, 1));
	CHECK(ping(&t.c, 3));
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_STATUS), IVGPU_RING_STOPPED);
	t.tail = rd32(&t.c, IVGPU_REG_RING_TAIL);
	memset(t.irq, 0, sizeof(t.irq));
	CHECK(ring_reset(&t, 0, 4096, t.tail) == IVGPU_RING_IDLE);
	c[0] = CMD(IVGPU_CMD_FILL, 0, MiB + 100, 100, 8);
	c[1] = CMD(IVGPU_CMD_STALL, 0, 10000000000ull);
	CHECK(cp_batch(&t, c, 1, true));
	/* Leaving during a 10 s STALL: the device stays up and serves the next client. */
	CHECK(ring_put(&t, &c[1]));
	CHECK(ring_go(&t));
	CHECK(wait_busy_at(&t, t.tail - IVGPU_CMD_SIZE, IVGPU_RING_BUSY));
	client_close(&t.c);
	CHECK(client_connect(&t.c, srv.sock, false));
	EXPECT_EQ(rd32(&t.c, IVGPU_REG_RING_STATUS), IVGPU_RING_STOPPED);
	CHECK(ping(&t.c, 4));
	CHECK(model_check(&t, "after the client went"));
	CHECK(ring_reset(&t, 0, 4096, rd32(&t.c, IVGPU_REG_RING_TAIL)) == IVGPU_RING_IDLE);
	/* ...and the same without --persist: it exits when the client goes, at once. */
	CHECK(ring_put(&t, &c[1]));
	CHECK(ring_go(&t));
	CHECK(wait_busy_at(&t, t.tail - IVGPU_CMD_SIZE, IVGPU_RING_BUSY));
	client_close(&t.c);
	CHECK(server_stop(&srv));
	read_text(logpath, buf, sizeof(buf));
	CHECK(strstr(buf, "co-processor commands 4, bytes written 200, busy"));
	CHECK(strstr(buf, "resets 3, ring interrupts 5, last fence 2"));
	CHECK(strstr(buf, "client 2: ring doorbell before any reset; ignored"));

	CHECK(server_start(&srv, cp_large_args));
	CHECK(client_connect(&t.c, srv.sock, false));
	t.tail = 0;
	CHECK(ring_reset(&t, 0, 4096, 0) == IVGPU_RING_IDLE);
	CHECK(ring_put(&t, &c[1]));
	CHECK(ring_go(&t));
	CHECK(wait_busy_at(&t, 0, IVGPU_RING_BUSY));
	client_close(&t.c);
	CHECK(server_wait_exit(&srv));
out:
	if (!ok)
		dump_text("log", logpath);
	free(t.model);
	client_close(&t.c);
	ok = server_stop(&srv) && ok;
	return ok;
}

/*
 * t_cp_cost - what FILL, COPY and CRC32 of 32 MiB and a BLIT of 4096 rows
 * of 4 KiB (16 MiB) cost the engine on this host (RING_BUSY_NS), with a
 * large and a small BAR (where none of it is in a window); RING_BYTES
 * counts exactly what they wrote.
 */
static bool run_cp_cost(bool small)
{
	static const char *const large[] = { "--vram-size", "64M", NULL };
	static const char *const smallb[] = { "--small-bar", "--vram-size", "64M", NULL };
	static const char *const names[] = { "FILL of 32 MiB", "COPY of 32 MiB", "CRC32 of 32 MiB",
					     "BLIT of 4096 rows of 4 KiB" };
	const uint64_t sz = 32 * MiB;
	uint64_t busy, bytes;
	struct tcmd c;
	struct cp t;
	bool ok = true;
	int k;

	CHECK(cp_start_args(&t, small ? smallb : large, small, 11, 60 * MiB));
	/* Touch it all once, so that page faults are not counted. */
	c = CMD(IVGPU_CMD_FILL, 0, 0, t.vram, 0);
	t.data0 = 0;
	CHECK(cp_run(&t, &c, 1));
	for (k = 0; k < 4; k++) {
		c = k == 0 ? CMD(IVGPU_CMD_FILL, 0, sz, sz, 0x01020304) :
		    k == 1 ? CMD(IVGPU_CMD_COPY, 0, 0, sz, sz) :
		    k == 2 ? CMD(IVGPU_CMD_CRC32, 0, 0, sz, sz) :
		    CMD(IVGPU_CMD_BLIT, 0, sz, 0, 8192, 8192, 4096, sz / 8192);
		busy = rd64(&t.c, IVGPU_REG_RING_BUSY_NS);
		bytes = rd64(&t.c, IVGPU_REG_RING_BYTES);
		CHECK(cp_batch(&t, &c, 1, false));
		busy = rd64(&t.c, IVGPU_REG_RING_BUSY_NS) - busy;
		EXPECT_EQ(rd64(&t.c, IVGPU_REG_RING_BYTES) - bytes, k == 2 ? 4 : k == 3 ? sz / 2 : sz);
		diag("%s BAR, %s: %.1f ms of engine time (%.0f MiB/s)", small ? "small" : "large",
		     names[k], busy / 1e6, (k == 3 ? 16 : 32) / (busy / 1e9));
	}
out:
	return cp_finish(&t, ok);
}

static bool t_cp_cost(void)
{
	return run_cp_cost(false) && run_cp_cost(true);
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
	{ "co-processor: stopped until a reset; reset latches the ring, HEAD = TAIL, acks",
	  t_cp_start },
	{ "co-processor, small BAR: a ring and data that no window shows", t_cp_private_ring_small },
	{ "co-processor, large BAR: each command against the reference", t_cp_cmds_large },
	{ "co-processor, small BAR: each command against the reference, across windows",
	  t_cp_cmds_small },
	{ "co-processor, large BAR: CRC32 chained in parts is one CRC, the check's", t_cp_crc_large },
	{ "co-processor, small BAR: CRC32 chained in parts is one CRC, the check's", t_cp_crc_small },
	{ "co-processor, large BAR: overlapping COPY and BLIT", t_cp_overlap_large },
	{ "co-processor, small BAR: overlapping COPY and BLIT", t_cp_overlap_small },
	{ "co-processor, large BAR: 150 batches of random valid commands", t_cp_random_large },
	{ "co-processor, small BAR: 150 batches of random valid commands, windows moving",
	  t_cp_random_small },
	{ "co-processor, large BAR: 10000 fences in order by interrupt, ring wrapping",
	  t_cp_fences_large },
	{ "co-processor, small BAR: 10000 fences in order by interrupt, ring wrapping",
	  t_cp_fences_small },
	{ "co-processor, large BAR: every bad command, TAIL and ring refused at its position",
	  t_cp_errors_large },
	{ "co-processor, small BAR: every bad command, TAIL and ring refused at its position",
	  t_cp_errors_small },
	{ "co-processor, large BAR: HANG and STALL ended by reset, pending commands dropped",
	  t_cp_hang_stall_large },
	{ "co-processor, small BAR: HANG and STALL ended by reset, pending commands dropped",
	  t_cp_hang_stall_small },
	{ "co-processor, large BAR: fuzzed command words match the reference", t_cp_fuzz_large },
	{ "co-processor, small BAR: fuzzed command words match the reference", t_cp_fuzz_small },
	{ "co-processor, small BAR: bank switches racing with commands keep VRAM consistent",
	  t_cp_race_small },
	{ "co-processor: a client that goes leaves it stopped; the device stays or exits at once",
	  t_cp_client_gone },
	{ "co-processor: cost of FILL, COPY, CRC32 and BLIT on this host", t_cp_cost },
};

/* test_name - the name of test @i; false if it does not contain @word. */
static bool test_name(size_t i, char *name, size_t len, const char *word)
{
	size_t ntests = sizeof(tests) / sizeof(tests[0]);

	if (i < ntests)
		snprintf(name, len, "%s", tests[i].name);
	else if (i < ntests + sizeof(bad_opts) / sizeof(bad_opts[0]))
		snprintf(name, len, "bad option (%s): exit 2 with a message",
			 bad_opts[i - ntests].name);
	else
		snprintf(name, len, "no socket or temporary file left behind");
	return !word || strstr(name, word);
}

int main(int argc, char **argv)
{
	size_t nbad = sizeof(bad_opts) / sizeof(bad_opts[0]);
	size_t ntests = sizeof(tests) / sizeof(tests[0]);
	const char *word = argc == 3 ? argv[2] : NULL;
	int num = 0, failed = 0, planned = 0;
	char name[256];
	size_t i;
	bool ok;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s PATH-TO-IVGPU-DEV [WORD]\n", argv[0]);
		return 2;
	}
	dev_bin = argv[1];
	if (access(dev_bin, X_OK)) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], dev_bin, strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, watchdog);
	tcrc_init();
	alarm(WATCHDOG_S);

	snprintf(tmpdir, sizeof(tmpdir), "%s/ivgpu-test.XXXXXX",
		 getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 40 ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	atexit(cleanup);

	for (i = 0; i < ntests + nbad + 1; i++)
		planned += test_name(i, name, sizeof(name), word);
	printf("TAP version 13\n1..%d\n", planned);
	fflush(stdout);
	for (i = 0; i < ntests + nbad + 1; i++) {
		if (!test_name(i, name, sizeof(name), word))
			continue;
		if (i < ntests)
			ok = tests[i].fn();
		else if (i < ntests + nbad)
			ok = run_bad_opt(&bad_opts[i - ntests]);
		else
			ok = t_nothing_left();
		kill_children();
		printf("%sok %d - %s\n", ok ? "" : "not ", ++num, name);
		fflush(stdout);
		failed += !ok;
	}
	if (failed)
		diag("%d of %d tests failed", failed, num);
	return failed ? 1 : 0;
}
