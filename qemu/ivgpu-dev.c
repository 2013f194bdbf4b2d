// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ivgpu-dev - host-side device model of the ivgpu GPU.
 *
 * QEMU's stock ivshmem-doorbell PCI function provides the PCI plumbing
 * (BAR0 doorbell, BAR1 MSI-X, BAR2 shared memory).  This program is the
 * ivshmem server that QEMU connects to (see QEMU's ivshmem-spec), and it is
 * the device behind it: it owns the memory behind BAR2 and the VRAM, fills
 * the register block defined in ivgpu_regs.h, answers doorbells rung by the
 * guest and raises MSI-X vectors in the guest.
 *
 * Peers:
 *   - the device itself is ivshmem peer IVGPU_DEV_PEER_ID (0).  Its
 *     IVGPU_NUM_VECTORS eventfds are created once; the guest rings them
 *     through ivshmem's doorbell register, ivgpu-dev polls them.
 *   - each QEMU connection is a new peer with a fresh ID (1, 2, 3, ...).
 *     It is handed IVGPU_NUM_VECTORS fresh eventfds for its own interrupts;
 *     ivgpu-dev writes to them to raise MSI-X vector v in the guest.
 *
 * Only one QEMU is served at a time.  BAR layouts (see compute_layout()):
 *   large BAR: [registers | ... | VRAM at IVGPU_LARGE_BAR_VRAM_OFFSET | pad]
 *   small BAR: [registers | ... | N windows of W bytes | pad], VRAM private.
 * The BAR is padded to a power of two because PCI BARs must be one.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ivgpu_regs.h"

/* Registers are little-endian; we store them natively. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ivgpu-dev needs a little-endian host");

#define PROG_NAME		"ivgpu-dev"

#define EXIT_USAGE		2

#define SZ_1K			UINT64_C(0x400)
#define SZ_1M			UINT64_C(0x100000)
#define SZ_1G			UINT64_C(0x40000000)

#define VRAM_SIZE_DEFAULT	(256 * SZ_1M)
#define VRAM_SIZE_MIN		SZ_1M
#define VRAM_SIZE_MAX		(64 * SZ_1G)
#define WINDOWS_DEFAULT		2
#define WINDOW_SIZE_DEFAULT	SZ_1M
#define BANK_GRANULE_DEFAULT	(4 * SZ_1K)

/* The ivshmem peer ID of the device itself. */
#define IVGPU_DEV_PEER_ID	0
/* Doorbell peer IDs are 16 bits wide. */
#define IVSHMEM_MAX_PEER_ID	0xffff

/* ivshmem server protocol version sent first on every connection. */
#define IVSHMEM_PROTOCOL_VERSION 0

/* Longest suffix of the temporary socket name: ".tmp" and a pid. */
#define SOCKET_TMP_SUFFIX_MAX	(4 + 10)

/* How many error lines one client may cause before we stop logging them. */
#define ERROR_LOG_LIMIT		10

/**
 * struct ivgpu_config - what the command line asked for
 * @socket_path: path of the listening UNIX socket
 * @log_path: log file, or NULL for stderr
 * @vram_size: bytes of VRAM
 * @small_bar: small-BAR configuration (windows) instead of large BAR
 * @persist: wait for a new client when the client disconnects
 * @windows: number of windows (small BAR)
 * @window_size: bytes per window (small BAR)
 * @bank_granule: granule of the bank registers (small BAR)
 */
struct ivgpu_config {
	const char *socket_path;
	const char *log_path;
	uint64_t vram_size;
	bool small_bar;
	bool persist;
	uint32_t windows;
	uint64_t window_size;
	uint64_t bank_granule;
};

/**
 * struct ivgpu_layout - where things are in BAR2, as published in registers
 * @bar_size: size of BAR2 (the shared memfd), a power of two
 * @vram_bar_offset: offset of VRAM in BAR2 (large BAR), else 0
 * @window_bar_offset: offset of window 0 in BAR2 (small BAR), else 0
 * @window_size: bytes per window (small BAR), else 0
 * @window_count: number of windows (small BAR), else 0
 * @bank_granule: bank register granule (small BAR), else 0
 * @caps: IVGPU_CAP_* bits
 */
struct ivgpu_layout {
	uint64_t bar_size;
	uint64_t vram_bar_offset;
	uint64_t window_bar_offset;
	uint64_t window_size;
	uint32_t window_count;
	uint64_t bank_granule;
	uint64_t caps;
};

/**
 * struct ivgpu_client - the connected QEMU
 * @fd: connection, or -1 when no client is connected
 * @id: ivshmem peer ID given to the client
 * @irq_fd: eventfds that raise the client's MSI-X vectors
 * @pings: pings answered for this client
 * @errors: errors reported to this client
 * @junk_logged: the client sent data (it never should) and we logged it
 */
struct ivgpu_client {
	int fd;
	uint32_t id;
	int irq_fd[IVGPU_NUM_VECTORS];
	uint64_t pings;
	uint64_t errors;
	bool junk_logged;
};

/**
 * struct ivgpu_dev - the whole device model
 * @cfg: configuration from the command line
 * @layout: BAR2 layout derived from @cfg
 * @bar_fd: memfd behind BAR2, shared with QEMU
 * @bar: ivgpu-dev's mapping of @bar_fd (all of BAR2)
 * @vram_fd: memfd holding private VRAM (small BAR), else -1
 * @vram: VRAM as ivgpu-dev sees it: inside @bar (large) or private (small)
 * @db_fd: the device peer's eventfds, rung by the guest's doorbell
 * @listen_fd: listening UNIX socket
 * @sig_fd: signalfd for SIGTERM/SIGINT/SIGHUP
 * @sock_dev: device of the socket inode we created (to unlink only ours)
 * @sock_ino: inode of the socket we created
 * @sock_created: @cfg.socket_path is our socket and must be unlinked
 * @client: the connected client, if any
 * @next_id: peer ID for the next client
 * @ping_count: pings answered since start (mirrors IVGPU_REG_PING_COUNT)
 * @error_count: errors since start (mirrors IVGPU_REG_ERROR_COUNT)
 */
struct ivgpu_dev {
	struct ivgpu_config cfg;
	struct ivgpu_layout layout;
	int bar_fd;
	uint8_t *bar;
	int vram_fd;
	uint8_t *vram;
	int db_fd[IVGPU_NUM_VECTORS];
	int listen_fd;
	int sig_fd;
	dev_t sock_dev;
	ino_t sock_ino;
	bool sock_created;
	struct ivgpu_client client;
	uint32_t next_id;
	uint64_t ping_count;
	uint32_t error_count;
};

/* ---------------------------------------------------------------------- */
/* Logging                                                                */
/* ---------------------------------------------------------------------- */

static int log_fd = STDERR_FILENO;

/*
 * logmsg - write one timestamped line to the log.
 *
 * The line is formatted into one buffer and written with a single write()
 * so that lines from concurrent writers of an O_APPEND file never interleave.
 */
static void __attribute__((format(printf, 1, 2))) logmsg(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	size_t len;
	va_list ap;
	int n;

	if (clock_gettime(CLOCK_REALTIME, &ts) || !localtime_r(&ts.tv_sec, &tm))
		memset(&tm, 0, sizeof(tm));
	len = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line + len, sizeof(line) - len, ".%03ld %s[%d]: ",
		     ts.tv_nsec / 1000000, PROG_NAME, (int)getpid());
	if (n > 0)
		len += n;
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* Nothing sensible to do if the log itself fails. */
	if (write(log_fd, line, len) < 0)
		return;
}

/* fmt_size - render a byte count as "N GiB/MiB/KiB" when exact, else bytes. */
static const char *fmt_size(char *buf, size_t len, uint64_t v)
{
	if (v && !(v % SZ_1G))
		snprintf(buf, len, "%" PRIu64 " GiB", v / SZ_1G);
	else if (v && !(v % SZ_1M))
		snprintf(buf, len, "%" PRIu64 " MiB", v / SZ_1M);
	else if (v && !(v % SZ_1K))
		snprintf(buf, len, "%" PRIu64 " KiB", v / SZ_1K);
	else
		snprintf(buf, len, "%" PRIu64 " B", v);
	return buf;
}

/* ---------------------------------------------------------------------- */
/* Command line                                                           */
/* ---------------------------------------------------------------------- */

/* usage_error - report a bad command line in one line and exit with 2. */
static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(EXIT_USAGE);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s --socket PATH [options]\n"
		"ivshmem server and device model of the ivgpu GPU, for one QEMU started with\n"
		"  -chardev socket,path=PATH,id=ID -device ivshmem-doorbell,chardev=ID,vectors=%d\n"
		"\n"
		"Options:\n"
		"  --socket PATH        UNIX socket to listen on (required)\n"
		"  --vram-size SIZE     VRAM size, multiple of 1M, 1M..64G (default 256M)\n"
		"  --small-bar          small-BAR configuration: VRAM seen through windows\n"
		"  --windows N          number of windows, 1..%d (default %d; needs --small-bar)\n"
		"  --window-size SIZE   bytes per window, power of two >= 64K, <= VRAM\n"
		"                       (default 1M; needs --small-bar)\n"
		"  --bank-granule SIZE  bank register granule, power of two >= 4K,\n"
		"                       <= window size / 2 (default 4K; needs --small-bar)\n"
		"  --log FILE           append the log to FILE instead of stderr\n"
		"  --persist            after the client disconnects, wait for a new one\n"
		"                       (default: exit)\n"
		"  --help               show this help\n"
		"SIZE takes an optional K, M or G suffix (binary multiples).\n",
		PROG_NAME, IVGPU_NUM_VECTORS, IVGPU_REGS_WINDOW_MAX, WINDOWS_DEFAULT);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t next_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * parse_size - parse a decimal byte count with an optional K/M/G suffix.
 *
 * Returns false if @s is not a number, has trailing garbage or overflows.
 */
static bool parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static uint64_t size_arg(const char *opt, const char *arg)
{
	uint64_t v;

	if (!parse_size(arg, &v))
		usage_error("%s: invalid size '%s' (expected a number with an optional K, M or G suffix)",
			    opt, arg);
	return v;
}

enum {
	OPT_SOCKET = 256,
	OPT_VRAM_SIZE,
	OPT_SMALL_BAR,
	OPT_WINDOWS,
	OPT_WINDOW_SIZE,
	OPT_BANK_GRANULE,
	OPT_LOG,
	OPT_PERSIST,
	OPT_HELP = 'h',
};

/*
 * parse_args - fill @cfg from the command line, or exit with status 2.
 *
 * All checks happen here, before anything is created, so a bad command line
 * never leaves a socket behind.
 */
static void parse_args(int argc, char **argv, struct ivgpu_config *cfg)
{
	static const struct option opts[] = {
		{ "socket",	  required_argument, NULL, OPT_SOCKET },
		{ "vram-size",	  required_argument, NULL, OPT_VRAM_SIZE },
		{ "small-bar",	  no_argument,	     NULL, OPT_SMALL_BAR },
		{ "windows",	  required_argument, NULL, OPT_WINDOWS },
		{ "window-size",  required_argument, NULL, OPT_WINDOW_SIZE },
		{ "bank-granule", required_argument, NULL, OPT_BANK_GRANULE },
		{ "log",	  required_argument, NULL, OPT_LOG },
		{ "persist",	  no_argument,	     NULL, OPT_PERSIST },
		{ "help",	  no_argument,	     NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un addr;
	const char *window_opt = NULL;
	unsigned long n;
	char *end;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->vram_size = VRAM_SIZE_DEFAULT;
	cfg->windows = WINDOWS_DEFAULT;
	cfg->window_size = WINDOW_SIZE_DEFAULT;
	cfg->bank_granule = BANK_GRANULE_DEFAULT;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			if (!optarg[0])
				usage_error("--socket: empty path");
			cfg->socket_path = optarg;
			break;
		case OPT_VRAM_SIZE:
			cfg->vram_size = size_arg("--vram-size", optarg);
			break;
		case OPT_SMALL_BAR:
			cfg->small_bar = true;
			break;
		case OPT_WINDOWS:
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (!isdigit((unsigned char)optarg[0]) || *end || errno ||
			    n < 1 || n > IVGPU_REGS_WINDOW_MAX)
				usage_error("--windows: '%s' is not a number from 1 to %d",
					    optarg, IVGPU_REGS_WINDOW_MAX);
			cfg->windows = n;
			window_opt = "--windows";
			break;
		case OPT_WINDOW_SIZE:
			cfg->window_size = size_arg("--window-size", optarg);
			window_opt = "--window-size";
			break;
		case OPT_BANK_GRANULE:
			cfg->bank_granule = size_arg("--bank-granule", optarg);
			window_opt = "--bank-granule";
			break;
		case OPT_LOG:
			if (!optarg[0])
				usage_error("--log: empty path");
			cfg->log_path = optarg;
			break;
		case OPT_PERSIST:
			cfg->persist = true;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case ':':
			usage_error("%s: missing argument", argv[optind - 1]);
		case '?':
		default:
			if (strncmp(argv[optind - 1], "--", 2))
				usage_error("unknown option '-%c'", optopt);
			if (optopt)	/* a known long option given "=value" */
				usage_error("%.*s: takes no argument",
					    (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!cfg->socket_path)
		usage_error("--socket: missing (it is required)");
	/* Room for the temporary name create_socket() binds first. */
	if (strlen(cfg->socket_path) + SOCKET_TMP_SUFFIX_MAX >= sizeof(addr.sun_path))
		usage_error("--socket: path is too long (at most %zu bytes)",
			    sizeof(addr.sun_path) - 1 - SOCKET_TMP_SUFFIX_MAX);

	if (cfg->vram_size < VRAM_SIZE_MIN || cfg->vram_size > VRAM_SIZE_MAX ||
	    cfg->vram_size % SZ_1M)
		usage_error("--vram-size: %" PRIu64 " bytes is not a multiple of 1M from 1M to 64G",
			    cfg->vram_size);

	if (!cfg->small_bar) {
		if (window_opt)
			usage_error("%s: only valid with --small-bar", window_opt);
		return;
	}
	if (!is_pow2(cfg->window_size) || cfg->window_size < IVGPU_WINDOW_SIZE_MIN)
		usage_error("--window-size: %" PRIu64 " bytes is not a power of two >= %llu",
			    cfg->window_size, (unsigned long long)IVGPU_WINDOW_SIZE_MIN);
	if (cfg->window_size > cfg->vram_size)
		usage_error("--window-size: %" PRIu64 " bytes is larger than VRAM (%" PRIu64 ")",
			    cfg->window_size, cfg->vram_size);
	if (!is_pow2(cfg->bank_granule) || cfg->bank_granule < IVGPU_BANK_GRANULE_MIN)
		usage_error("--bank-granule: %" PRIu64 " bytes is not a power of two >= %llu",
			    cfg->bank_granule, (unsigned long long)IVGPU_BANK_GRANULE_MIN);
	if (cfg->bank_granule > cfg->window_size / 2)
		usage_error("--bank-granule: %" PRIu64
			    " bytes is more than half the window size (%" PRIu64 ")",
			    cfg->bank_granule, cfg->window_size);
}

/* ---------------------------------------------------------------------- */
/* Memory and registers                                                   */
/* ---------------------------------------------------------------------- */

/* compute_layout - derive the BAR2 layout and capabilities from @cfg. */
static void compute_layout(const struct ivgpu_config *cfg, struct ivgpu_layout *l)
{
	uint64_t end;

	memset(l, 0, sizeof(*l));
	l->caps = IVGPU_CAP_PING;
	if (!cfg->small_bar) {
		l->vram_bar_offset = IVGPU_LARGE_BAR_VRAM_OFFSET;
		end = IVGPU_LARGE_BAR_VRAM_OFFSET + cfg->vram_size;
		l->caps |= IVGPU_CAP_LARGE_BAR;
	} else {
		l->window_size = cfg->window_size;
		l->window_count = cfg->windows;
		l->bank_granule = cfg->bank_granule;
		/* First multiple of W at or after the register block. */
		l->window_bar_offset = (IVGPU_REGS_SIZE + cfg->window_size - 1) &
				       ~(cfg->window_size - 1);
		end = l->window_bar_offset + (uint64_t)cfg->windows * cfg->window_size;
		/*
		 * IVGPU_CAP_WINDOWS is deliberately not advertised: bank
		 * switching (IVGPU_DB_BANK and the bank registers) is not
		 * implemented yet.  Set it once it is.
		 */
	}
	l->bar_size = next_pow2(end);
}

static inline void reg_write32(struct ivgpu_dev *dev, uint32_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(dev->bar + off), v, __ATOMIC_RELAXED);
}

static inline void reg_write64(struct ivgpu_dev *dev, uint32_t off, uint64_t v)
{
	__atomic_store_n((uint64_t *)(dev->bar + off), v, __ATOMIC_RELAXED);
}

static inline uint32_t reg_read32(struct ivgpu_dev *dev, uint32_t off)
{
	return __atomic_load_n((uint32_t *)(dev->bar + off), __ATOMIC_RELAXED);
}

/*
 * publish_config - (re)write the identification and configuration registers.
 *
 * Called at start and at every connect, so a previous guest that scribbled on
 * these read-only registers cannot confuse the next one.
 */
static void publish_config(struct ivgpu_dev *dev)
{
	const struct ivgpu_layout *l = &dev->layout;

	reg_write32(dev, IVGPU_REG_MAGIC, IVGPU_MAGIC);
	reg_write32(dev, IVGPU_REG_VERSION, IVGPU_VERSION);
	reg_write64(dev, IVGPU_REG_CAPS, l->caps);
	reg_write64(dev, IVGPU_REG_VRAM_SIZE, dev->cfg.vram_size);
	reg_write32(dev, IVGPU_REG_BAR_CONFIG,
		    dev->cfg.small_bar ? IVGPU_BAR_CONFIG_SMALL : IVGPU_BAR_CONFIG_LARGE);
	reg_write32(dev, IVGPU_REG_NUM_VECTORS, IVGPU_NUM_VECTORS);
	reg_write64(dev, IVGPU_REG_BAR_SIZE, l->bar_size);
	reg_write64(dev, IVGPU_REG_VRAM_BAR_OFFSET, l->vram_bar_offset);
	reg_write64(dev, IVGPU_REG_WINDOW_BAR_OFFSET, l->window_bar_offset);
	reg_write64(dev, IVGPU_REG_WINDOW_SIZE, l->window_size);
	reg_write32(dev, IVGPU_REG_WINDOW_COUNT, l->window_count);
	reg_write32(dev, IVGPU_REG_DEV_PEER_ID, IVGPU_DEV_PEER_ID);
	reg_write64(dev, IVGPU_REG_BANK_GRANULE, l->bank_granule);
	reg_write32(dev, IVGPU_REG_REGS_SIZE, IVGPU_REGS_SIZE);
	reg_write64(dev, IVGPU_REG_PING_COUNT, dev->ping_count);
	reg_write32(dev, IVGPU_REG_ERROR_COUNT, dev->error_count);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * create_memfd - create a sealed, sparse memfd of @size bytes and map it.
 *
 * The size is sealed so that a client cannot shrink the file under our
 * mapping (which would make our accesses fault with SIGBUS).
 */
static int create_memfd(const char *name, uint64_t size, int *fdp, uint8_t **mapp)
{
	void *p;
	int fd;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		logmsg("memfd_create(%s): %s", name, strerror(errno));
		return -1;
	}
	if (ftruncate(fd, size)) {
		logmsg("ftruncate(%s, %" PRIu64 "): %s", name, size, strerror(errno));
		goto err;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		logmsg("sealing %s: %s", name, strerror(errno));
		goto err;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		logmsg("mmap(%s, %" PRIu64 "): %s", name, size, strerror(errno));
		goto err;
	}
	*fdp = fd;
	*mapp = p;
	return 0;
err:
	close(fd);
	return -1;
}

/* setup_memory - create BAR2 memory (and private VRAM for small BAR). */
static int setup_memory(struct ivgpu_dev *dev)
{
	compute_layout(&dev->cfg, &dev->layout);

	if (create_memfd("ivgpu-bar2", dev->layout.bar_size, &dev->bar_fd, &dev->bar))
		return -1;
	if (!dev->cfg.small_bar)
		dev->vram = dev->bar + dev->layout.vram_bar_offset;
	else if (create_memfd("ivgpu-vram", dev->cfg.vram_size, &dev->vram_fd, &dev->vram))
		return -1;
	publish_config(dev);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Interrupts and doorbells                                               */
/* ---------------------------------------------------------------------- */

/* raise_irq - raise MSI-X @vector in the connected guest, if any. */
static void raise_irq(struct ivgpu_dev *dev, unsigned int vector)
{
	uint64_t one = 1;
	ssize_t n;

	if (dev->client.fd < 0)
		return;
	n = write(dev->client.irq_fd[vector], &one, sizeof(one));
	/* EAGAIN: the counter is saturated, an interrupt is pending anyway. */
	if (n != sizeof(one) && !(n < 0 && errno == EAGAIN))
		logmsg("client %u: raising vector %u: %s", dev->client.id, vector,
		       n < 0 ? strerror(errno) : "short write");
}

/*
 * raise_error - report an error to the guest.
 * @count: how many times it happened (an eventfd counter may hold several)
 */
static void raise_error(struct ivgpu_dev *dev, uint32_t code, uint64_t arg, uint64_t count)
{
	struct ivgpu_client *c = &dev->client;

	dev->error_count += (uint32_t)count;
	reg_write32(dev, IVGPU_REG_ERROR_CODE, code);
	reg_write64(dev, IVGPU_REG_ERROR_ARG, arg);
	reg_write32(dev, IVGPU_REG_ERROR_COUNT, dev->error_count);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	raise_irq(dev, IVGPU_IRQ_ERROR);

	if (c->errors < ERROR_LOG_LIMIT)
		logmsg("client %u: error %u (arg %" PRIu64 ") x%" PRIu64 "%s", c->id, code, arg,
		       count, c->errors + count >= ERROR_LOG_LIMIT ?
		       "; further errors of this client are not logged" : "");
	c->errors += count;
}

/*
 * db_ping - IVGPU_DB_PING: copy PING_SEQ to PONG_SEQ and interrupt.
 *
 * Several rings coalesced into one wake are answered once: a ping carries a
 * sequence number, so the guest waits for PONG_SEQ to reach the last one it
 * sent.  PING_COUNT counts answers.
 */
static void db_ping(struct ivgpu_dev *dev, unsigned int vector, uint64_t count)
{
	uint32_t seq;

	(void)vector;
	(void)count;
	seq = reg_read32(dev, IVGPU_REG_PING_SEQ);
	reg_write32(dev, IVGPU_REG_PONG_SEQ, seq);
	dev->ping_count++;
	reg_write64(dev, IVGPU_REG_PING_COUNT, dev->ping_count);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	dev->client.pings++;
	raise_irq(dev, IVGPU_IRQ_PING);
}

/*
 * Doorbell handlers, indexed by vector.  A NULL entry is a vector the device
 * does not implement: ringing it reports IVGPU_ERROR_BAD_DOORBELL.
 * @count is the number of rings coalesced into this wake-up.
 */
static void (*const db_handlers[IVGPU_NUM_VECTORS])(struct ivgpu_dev *dev,
						     unsigned int vector, uint64_t count) = {
	[IVGPU_DB_PING]		= db_ping,
	[IVGPU_DB_BANK]		= NULL,	/* bank switching: not implemented yet */
	[IVGPU_DB_RING]		= NULL,	/* co-processor: not implemented yet */
	[IVGPU_DB_RESET]	= NULL,	/* reset: not implemented yet */
};

/* handle_doorbell - drain the device eventfd of @vector and act on it. */
static void handle_doorbell(struct ivgpu_dev *dev, unsigned int vector)
{
	uint64_t count;
	ssize_t n;

	n = read(dev->db_fd[vector], &count, sizeof(count));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != sizeof(count)) {
		logmsg("reading doorbell eventfd %u: %s", vector,
		       n < 0 ? strerror(errno) : "short read");
		return;
	}
	if (dev->client.fd < 0) {
		logmsg("doorbell %u rung %" PRIu64 " time(s) with no client connected; ignored",
		       vector, count);
		return;
	}
	if (db_handlers[vector])
		db_handlers[vector](dev, vector, count);
	else
		raise_error(dev, IVGPU_ERROR_BAD_DOORBELL, vector, count);
}

/* ---------------------------------------------------------------------- */
/* Clients                                                                */
/* ---------------------------------------------------------------------- */

/*
 * send_msg - send one ivshmem server message: an 8-byte little-endian signed
 * number, with @fd attached by SCM_RIGHTS unless it is negative.
 */
static int send_msg(int sock, int64_t val, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &val, .iov_len = sizeof(val) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n != sizeof(val)) {
		logmsg("client: sending message %" PRId64 ": %s", val,
		       n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* client_release - forget the client: close its connection and eventfds. */
static void client_release(struct ivgpu_dev *dev)
{
	struct ivgpu_client *c = &dev->client;
	int v;

	close_fd(&c->fd);
	for (v = 0; v < IVGPU_NUM_VECTORS; v++)
		close_fd(&c->irq_fd[v]);
}

/*
 * client_handshake - greet a new client as the ivshmem protocol wants.
 *
 * Order: version, the client's ID, -1 with the memfd, the device peer's
 * eventfds (ID 0, once per vector), then the client's own interrupt
 * eventfds (its ID, once per vector).
 */
static int client_handshake(struct ivgpu_dev *dev)
{
	struct ivgpu_client *c = &dev->client;
	int v;

	for (v = 0; v < IVGPU_NUM_VECTORS; v++) {
		c->irq_fd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c->irq_fd[v] < 0) {
			logmsg("client %u: eventfd: %s", c->id, strerror(errno));
			return -1;
		}
	}
	publish_config(dev);
	reg_write32(dev, IVGPU_REG_GUEST_PEER_ID, c->id);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	if (send_msg(c->fd, IVSHMEM_PROTOCOL_VERSION, -1) ||
	    send_msg(c->fd, c->id, -1) ||
	    send_msg(c->fd, -1, dev->bar_fd))
		return -1;
	for (v = 0; v < IVGPU_NUM_VECTORS; v++)
		if (send_msg(c->fd, IVGPU_DEV_PEER_ID, dev->db_fd[v]))
			return -1;
	for (v = 0; v < IVGPU_NUM_VECTORS; v++)
		if (send_msg(c->fd, c->id, c->irq_fd[v]))
			return -1;
	return 0;
}

/*
 * handle_accept - accept a connection; refuse it if a client is connected.
 *
 * Returns true if a new client came and went (its handshake failed), which
 * counts as a disconnect.
 */
static bool handle_accept(struct ivgpu_dev *dev)
{
	struct ivgpu_client *c = &dev->client;
	int fd;

	fd = accept4(dev->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			logmsg("accept: %s", strerror(errno));
		return false;
	}
	if (c->fd >= 0) {
		logmsg("refused a second connection: client %u is still connected", c->id);
		close(fd);
		return false;
	}

	c->fd = fd;
	c->id = dev->next_id;
	c->pings = 0;
	c->errors = 0;
	c->junk_logged = false;
	dev->next_id = dev->next_id >= IVSHMEM_MAX_PEER_ID ? 1 : dev->next_id + 1;

	if (client_handshake(dev)) {
		logmsg("client %u: handshake failed", c->id);
		return true;
	}
	logmsg("client %u connected", c->id);
	return false;
}

/*
 * handle_client_io - the client socket is readable or hung up.
 *
 * Returns true if the client is gone.  QEMU never sends anything; data from
 * a misbehaving client is read and dropped (any fds with it are closed by the
 * kernel since we pass no control buffer).
 */
static bool handle_client_io(struct ivgpu_dev *dev, short revents)
{
	struct ivgpu_client *c = &dev->client;
	char buf[4096];
	ssize_t n;

	if (!(revents & POLLIN))
		return true;	/* POLLHUP, POLLERR or POLLNVAL without data */
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0) {
		/* A reset is an ordinary way for a client to go. */
		if (n < 0 && errno != ECONNRESET)
			logmsg("client %u: recv: %s", c->id, strerror(errno));
		return true;
	}
	if (!c->junk_logged)
		logmsg("client %u: sent unexpected data; ignored", c->id);
	c->junk_logged = true;
	return false;
}

/* client_gone - log a disconnect and release the client. */
static void client_gone(struct ivgpu_dev *dev)
{
	struct ivgpu_client *c = &dev->client;

	logmsg("client %u disconnected (pings answered: %" PRIu64 ", errors: %" PRIu64 ")",
	       c->id, c->pings, c->errors);
	client_release(dev);
}

/* ---------------------------------------------------------------------- */
/* Socket and signals                                                     */
/* ---------------------------------------------------------------------- */

/*
 * create_socket - listen on cfg.socket_path, atomically.
 *
 * The socket is bound and listening under a temporary name in the same
 * directory and then renamed into place, so whoever waits for the path to
 * appear can connect at once.  A stale socket at the path is replaced;
 * anything else there is left alone and is an error.
 */
static int create_socket(struct ivgpu_dev *dev)
{
	const char *path = dev->cfg.socket_path;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s.tmp%d", path,
		     (int)getpid()) >= (int)sizeof(addr.sun_path)) {
		logmsg("--socket: path '%s' is too long", path);
		return -1;
	}
	if (!lstat(path, &st) && !S_ISSOCK(st.st_mode)) {
		logmsg("--socket: '%s' exists and is not a socket", path);
		return -1;
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		logmsg("socket: %s", strerror(errno));
		return -1;
	}
	if (unlink(addr.sun_path) && errno != ENOENT) {
		logmsg("unlink(%s): %s", addr.sun_path, strerror(errno));
		goto err_close;
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		logmsg("bind(%s): %s", addr.sun_path, strerror(errno));
		goto err_close;
	}
	if (listen(fd, 4) || lstat(addr.sun_path, &st)) {
		logmsg("listen(%s): %s", addr.sun_path, strerror(errno));
		goto err_unlink;
	}
	if (rename(addr.sun_path, path)) {
		logmsg("rename(%s, %s): %s", addr.sun_path, path, strerror(errno));
		goto err_unlink;
	}
	dev->listen_fd = fd;
	dev->sock_dev = st.st_dev;
	dev->sock_ino = st.st_ino;
	dev->sock_created = true;
	return 0;

err_unlink:
	unlink(addr.sun_path);
err_close:
	close(fd);
	return -1;
}

/* remove_socket - unlink the socket path if it is still our socket. */
static void remove_socket(struct ivgpu_dev *dev)
{
	struct stat st;

	if (!dev->sock_created)
		return;
	if (!lstat(dev->cfg.socket_path, &st) && st.st_dev == dev->sock_dev &&
	    st.st_ino == dev->sock_ino && unlink(dev->cfg.socket_path))
		logmsg("unlink(%s): %s", dev->cfg.socket_path, strerror(errno));
	dev->sock_created = false;
}

/*
 * setup_signals - route SIGTERM, SIGINT and SIGHUP to a signalfd.
 *
 * SIGPIPE is ignored: a vanished client must be an error return, not death.
 */
static int setup_signals(struct ivgpu_dev *dev)
{
	sigset_t set;

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		logmsg("signal(SIGPIPE): %s", strerror(errno));
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		logmsg("sigprocmask: %s", strerror(errno));
		return -1;
	}
	dev->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (dev->sig_fd < 0) {
		logmsg("signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* setup_doorbells - create the device peer's eventfds, once for all clients. */
static int setup_doorbells(struct ivgpu_dev *dev)
{
	int v;

	for (v = 0; v < IVGPU_NUM_VECTORS; v++) {
		dev->db_fd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->db_fd[v] < 0) {
			logmsg("eventfd: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Main                                                                   */
/* ---------------------------------------------------------------------- */

static void log_config(struct ivgpu_dev *dev)
{
	const struct ivgpu_layout *l = &dev->layout;
	char vram[32], bar[32], wsize[32], gran[32];

	fmt_size(vram, sizeof(vram), dev->cfg.vram_size);
	fmt_size(bar, sizeof(bar), l->bar_size);
	if (!dev->cfg.small_bar) {
		logmsg("starting: large BAR, vram %s at BAR2+0x%" PRIx64 ", BAR2 %s, "
		       "caps 0x%" PRIx64 ", %d vectors, socket %s%s",
		       vram, l->vram_bar_offset, bar, l->caps, IVGPU_NUM_VECTORS,
		       dev->cfg.socket_path, dev->cfg.persist ? ", persist" : "");
	} else {
		fmt_size(wsize, sizeof(wsize), l->window_size);
		fmt_size(gran, sizeof(gran), l->bank_granule);
		logmsg("starting: small BAR, vram %s (private), %u windows of %s at BAR2+0x%" PRIx64
		       ", bank granule %s, BAR2 %s, caps 0x%" PRIx64 ", %d vectors, socket %s%s",
		       vram, l->window_count, wsize, l->window_bar_offset, gran, bar, l->caps,
		       IVGPU_NUM_VECTORS, dev->cfg.socket_path,
		       dev->cfg.persist ? ", persist" : "");
	}
}

/*
 * run - the event loop.  Returns the exit status.
 *
 * Order within one wake-up matters: doorbells are handled while the client
 * that rang them is still connected, and a hang-up is handled before a new
 * connection so that a quick reconnect is not refused as a second client.
 */
static int run(struct ivgpu_dev *dev)
{
	enum { PFD_SIGNAL, PFD_DOORBELL, PFD_CLIENT = PFD_DOORBELL + IVGPU_NUM_VECTORS,
	       PFD_LISTEN, PFD_COUNT };
	struct pollfd pfd[PFD_COUNT];
	struct signalfd_siginfo si;
	bool gone;
	ssize_t n;
	int v;

	for (;;) {
		memset(pfd, 0, sizeof(pfd));
		pfd[PFD_SIGNAL].fd = dev->sig_fd;
		for (v = 0; v < IVGPU_NUM_VECTORS; v++)
			pfd[PFD_DOORBELL + v].fd = dev->db_fd[v];
		pfd[PFD_CLIENT].fd = dev->client.fd;
		pfd[PFD_LISTEN].fd = dev->listen_fd;
		for (v = 0; v < PFD_COUNT; v++)
			pfd[v].events = POLLIN;

		if (poll(pfd, PFD_COUNT, -1) < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s; exiting", strerror(errno));
			return 1;
		}

		if (pfd[PFD_SIGNAL].revents) {
			n = read(dev->sig_fd, &si, sizeof(si));
			if (n == sizeof(si)) {
				logmsg("received %s; exiting", strsignal(si.ssi_signo));
				return 0;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				logmsg("reading signalfd: %s; exiting", strerror(errno));
				return 1;
			}
		}
		for (v = 0; v < IVGPU_NUM_VECTORS; v++)
			if (pfd[PFD_DOORBELL + v].revents)
				handle_doorbell(dev, v);
		gone = dev->client.fd >= 0 && pfd[PFD_CLIENT].revents &&
		       handle_client_io(dev, pfd[PFD_CLIENT].revents);
		if (!gone && pfd[PFD_LISTEN].revents)
			gone = handle_accept(dev);
		if (gone) {
			client_gone(dev);
			if (!dev->cfg.persist) {
				logmsg("client gone and no --persist; exiting");
				return 0;
			}
			logmsg("waiting for a new client");
		}
	}
}

int main(int argc, char **argv)
{
	struct ivgpu_dev dev = {
		.bar_fd = -1, .vram_fd = -1, .listen_fd = -1, .sig_fd = -1,
		.client = { .fd = -1 }, .next_id = 1,
	};
	int ret = 1, v;

	for (v = 0; v < IVGPU_NUM_VECTORS; v++) {
		dev.db_fd[v] = -1;
		dev.client.irq_fd[v] = -1;
	}
	parse_args(argc, argv, &dev.cfg);

	if (dev.cfg.log_path) {
		log_fd = open(dev.cfg.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			log_fd = STDERR_FILENO;
			usage_error("--log: cannot open '%s': %s", dev.cfg.log_path,
				    strerror(errno));
		}
	}

	if (setup_signals(&dev) || setup_memory(&dev) || setup_doorbells(&dev))
		goto out;
	log_config(&dev);
	if (create_socket(&dev))
		goto out;
	logmsg("listening on %s", dev.cfg.socket_path);

	ret = run(&dev);
out:
	if (dev.client.fd >= 0)
		client_gone(&dev);
	remove_socket(&dev);
	close_fd(&dev.listen_fd);
	logmsg("exit status %d", ret);
	return ret;
}
