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
 *
 * With a small BAR each window is a real copy of part of VRAM: a bank switch
 * writes the window back to VRAM and loads the new range (db_bank()).  The
 * VRAM check (serve_check()) reads VRAM as the guest would see it, taking the
 * bytes a window shows from the window, so tests need not trust the driver.
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

/* What a window that shows no VRAM, or the part of one past VRAM, reads as. */
#define WINDOW_FILL_BYTE	0xff

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
 * @refused: bank requests of this client refused (for the log limit)
 * @switches: bank switches done for this client
 * @checks: VRAM checks served for this client
 * @junk_logged: the client sent data (it never should) and we logged it
 */
struct ivgpu_client {
	int fd;
	uint32_t id;
	int irq_fd[IVGPU_NUM_VECTORS];
	uint64_t pings;
	uint64_t errors;
	uint64_t refused;
	uint64_t switches;
	uint64_t checks;
	bool junk_logged;
};

/**
 * struct ivgpu_window - the device's state of one banked window
 * @bank: VRAM offset shown, or IVGPU_BANK_NONE
 * @ack_seq: sequence number of the last request served
 * @status: IVGPU_BANK_* of that request
 * @switches: switches done
 * @bytes_written: bytes written back to VRAM
 * @bytes_loaded: bytes loaded from VRAM
 * @refused: requests refused
 *
 * The registers mirror these fields; the device never trusts what it reads
 * back from a register it owns, since the guest can write anywhere in BAR2.
 */
struct ivgpu_window {
	uint64_t bank;
	uint32_t ack_seq;
	uint32_t status;
	uint64_t switches;
	uint64_t bytes_written;
	uint64_t bytes_loaded;
	uint64_t refused;
};

/**
 * struct ivgpu_bank_stats - bank-switch totals over all windows
 * @switches: switches done
 * @bytes_written: bytes written back to VRAM
 * @bytes_loaded: bytes loaded from VRAM
 * @refused: requests refused
 * @copy_ns: nanoseconds spent copying
 * @irqs: IVGPU_IRQ_BANK raised
 * @check_ack_seq: sequence number of the last VRAM check served
 * @checks: VRAM checks served
 */
struct ivgpu_bank_stats {
	uint64_t switches;
	uint64_t bytes_written;
	uint64_t bytes_loaded;
	uint64_t refused;
	uint64_t copy_ns;
	uint64_t irqs;
	uint32_t check_ack_seq;
	uint64_t checks;
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
 * @win: the windows (small BAR), @layout.window_count of them
 * @bank: bank-switch and check totals
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
	struct ivgpu_window win[IVGPU_REGS_WINDOW_MAX];
	struct ivgpu_bank_stats bank;
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
		l->caps |= IVGPU_CAP_WINDOWS;
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

static inline uint64_t reg_read64(struct ivgpu_dev *dev, uint32_t off)
{
	return __atomic_load_n((uint64_t *)(dev->bar + off), __ATOMIC_RELAXED);
}

/* reg_read32_acquire - read a request sequence: what the guest wrote before it is visible. */
static inline uint32_t reg_read32_acquire(struct ivgpu_dev *dev, uint32_t off)
{
	return __atomic_load_n((uint32_t *)(dev->bar + off), __ATOMIC_ACQUIRE);
}

/* reg_write32_release - write an acknowledgement after everything it covers. */
static inline void reg_write32_release(struct ivgpu_dev *dev, uint32_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(dev->bar + off), v, __ATOMIC_RELEASE);
}

/* window_mem - where window @i is in BAR2. */
static inline uint8_t *window_mem(struct ivgpu_dev *dev, uint32_t i)
{
	return dev->bar + dev->layout.window_bar_offset + (uint64_t)i * dev->layout.window_size;
}

/* publish_window - mirror window @i's state into its registers. */
static void publish_window(struct ivgpu_dev *dev, uint32_t i)
{
	const struct ivgpu_window *w = &dev->win[i];
	uint32_t base = IVGPU_REGS_WINDOW(i);

	reg_write64(dev, base + IVGPU_WIN_BANK, w->bank);
	reg_write32(dev, base + IVGPU_WIN_STATUS, w->status);
	reg_write64(dev, base + IVGPU_WIN_SWITCHES, w->switches);
	reg_write64(dev, base + IVGPU_WIN_BYTES_WRITTEN, w->bytes_written);
	reg_write64(dev, base + IVGPU_WIN_BYTES_LOADED, w->bytes_loaded);
	reg_write64(dev, base + IVGPU_WIN_REFUSED, w->refused);
}

/* publish_bank_stats - mirror the bank-switch totals into their registers. */
static void publish_bank_stats(struct ivgpu_dev *dev)
{
	const struct ivgpu_bank_stats *b = &dev->bank;

	reg_write64(dev, IVGPU_REG_BANK_SWITCHES, b->switches);
	reg_write64(dev, IVGPU_REG_BANK_BYTES_WRITTEN, b->bytes_written);
	reg_write64(dev, IVGPU_REG_BANK_BYTES_LOADED, b->bytes_loaded);
	reg_write64(dev, IVGPU_REG_BANK_REFUSED, b->refused);
	reg_write64(dev, IVGPU_REG_BANK_COPY_NS, b->copy_ns);
	reg_write64(dev, IVGPU_REG_BANK_IRQS, b->irqs);
	reg_write64(dev, IVGPU_REG_CHECK_COUNT, b->checks);
}

/*
 * publish_requests - rewrite the window and check registers, and cancel any
 * request a previous client left unserved (REQ_SEQ = ACK_SEQ).
 */
static void publish_requests(struct ivgpu_dev *dev)
{
	uint32_t i, base;

	for (i = 0; i < dev->layout.window_count; i++) {
		base = IVGPU_REGS_WINDOW(i);
		publish_window(dev, i);
		reg_write32(dev, base + IVGPU_WIN_ACK_SEQ, dev->win[i].ack_seq);
		reg_write32(dev, base + IVGPU_WIN_REQ_SEQ, dev->win[i].ack_seq);
	}
	reg_write32(dev, IVGPU_REG_CHECK_ACK_SEQ, dev->bank.check_ack_seq);
	reg_write32(dev, IVGPU_REG_CHECK_REQ_SEQ, dev->bank.check_ack_seq);
	publish_bank_stats(dev);
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
	publish_requests(dev);
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

/*
 * setup_memory - create BAR2 memory (and private VRAM for small BAR).
 *
 * Windows start out showing no VRAM: they read all ones until the driver
 * switches a bank into them.
 */
static int setup_memory(struct ivgpu_dev *dev)
{
	uint32_t i;

	compute_layout(&dev->cfg, &dev->layout);

	if (create_memfd("ivgpu-bar2", dev->layout.bar_size, &dev->bar_fd, &dev->bar))
		return -1;
	if (!dev->cfg.small_bar)
		dev->vram = dev->bar + dev->layout.vram_bar_offset;
	else if (create_memfd("ivgpu-vram", dev->cfg.vram_size, &dev->vram_fd, &dev->vram))
		return -1;
	for (i = 0; i < dev->layout.window_count; i++) {
		dev->win[i].bank = IVGPU_BANK_NONE;
		memset(window_mem(dev, i), WINDOW_FILL_BYTE, dev->layout.window_size);
	}
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

/* ---------------------------------------------------------------------- */
/* Bank switching and the VRAM check                                      */
/* ---------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static const char *bank_status_name(uint32_t status)
{
	switch (status) {
	case IVGPU_BANK_OK:
		return "ok";
	case IVGPU_BANK_ERR_ALIGN:
		return "not a multiple of the bank granule";
	case IVGPU_BANK_ERR_RANGE:
		return "beyond the end of VRAM";
	case IVGPU_BANK_ERR_OVERLAP:
		return "overlaps another window";
	default:
		return "?";
	}
}

/*
 * window_vram_bytes - how many bytes of a window at @bank are VRAM: the
 * window size, clamped at the end of VRAM; 0 for IVGPU_BANK_NONE.
 */
static uint64_t window_vram_bytes(const struct ivgpu_dev *dev, uint64_t bank)
{
	uint64_t left;

	if (bank == IVGPU_BANK_NONE)
		return 0;
	left = dev->cfg.vram_size - bank;
	return left < dev->layout.window_size ? left : dev->layout.window_size;
}

/*
 * bank_refusal - why window @i may not show VRAM from @bank on, or
 * IVGPU_BANK_OK.  The reasons are tried in the order documented.  Two windows
 * never show overlapping VRAM: each would write back its own copy of the
 * shared bytes and the later write-back would silently undo the other's
 * stores.
 */
static uint32_t bank_refusal(const struct ivgpu_dev *dev, uint32_t i, uint64_t bank)
{
	uint64_t size = dev->layout.window_size, other;
	uint32_t j;

	if (bank == IVGPU_BANK_NONE)
		return IVGPU_BANK_OK;
	if (bank & (dev->layout.bank_granule - 1))
		return IVGPU_BANK_ERR_ALIGN;
	if (bank >= dev->cfg.vram_size)
		return IVGPU_BANK_ERR_RANGE;
	for (j = 0; j < dev->layout.window_count; j++) {
		other = dev->win[j].bank;
		if (j != i && other != IVGPU_BANK_NONE && bank < other + size && other < bank + size)
			return IVGPU_BANK_ERR_OVERLAP;
	}
	return IVGPU_BANK_OK;
}

/*
 * switch_window - write window @i back to VRAM at its bank, then load it
 * from VRAM at @bank; what lies past the end of VRAM reads as all ones and
 * is never written back.
 */
static void switch_window(struct ivgpu_dev *dev, uint32_t i, uint64_t bank)
{
	struct ivgpu_window *w = &dev->win[i];
	uint8_t *mem = window_mem(dev, i);
	uint64_t t0 = now_ns(), n;

	n = window_vram_bytes(dev, w->bank);
	if (n)
		memcpy(dev->vram + w->bank, mem, n);
	w->bytes_written += n;
	dev->bank.bytes_written += n;

	n = window_vram_bytes(dev, bank);
	if (n)
		memcpy(mem, dev->vram + bank, n);
	memset(mem + n, WINDOW_FILL_BYTE, dev->layout.window_size - n);
	w->bytes_loaded += n;
	dev->bank.bytes_loaded += n;

	w->bank = bank;
	w->switches++;
	dev->bank.switches++;
	dev->client.switches++;
	dev->bank.copy_ns += now_ns() - t0;
}

/*
 * serve_window - serve window @i's request if one is pending
 * (REQ_SEQ != ACK_SEQ).  Everything the request changes is in the registers
 * before ACK_SEQ says it is done.  Returns true if a request was served.
 */
static bool serve_window(struct ivgpu_dev *dev, uint32_t i)
{
	struct ivgpu_window *w = &dev->win[i];
	uint32_t base = IVGPU_REGS_WINDOW(i), seq;
	struct ivgpu_client *c = &dev->client;
	uint64_t req;

	seq = reg_read32_acquire(dev, base + IVGPU_WIN_REQ_SEQ);
	if (seq == w->ack_seq)
		return false;
	req = reg_read64(dev, base + IVGPU_WIN_BANK_REQ);
	w->status = bank_refusal(dev, i, req);
	if (w->status == IVGPU_BANK_OK) {
		switch_window(dev, i, req);
	} else {
		w->refused++;
		dev->bank.refused++;
		if (c->refused++ < ERROR_LOG_LIMIT)
			logmsg("client %u: window %u: bank 0x%" PRIx64 " refused: %s%s", c->id, i,
			       req, bank_status_name(w->status), c->refused == ERROR_LOG_LIMIT ?
			       "; further refusals of this client are not logged" : "");
	}
	w->ack_seq = seq;
	publish_window(dev, i);
	publish_bank_stats(dev);
	reg_write32_release(dev, base + IVGPU_WIN_ACK_SEQ, seq);
	return true;
}

/* CRC-32 tables for eight bytes at a time: [t][b] is b's CRC followed by t zero bytes. */
static uint32_t crc32_table[8][256];

static void crc32_init(void)
{
	uint32_t i, k, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ IVGPU_CHECK_CRC32_POLY : c >> 1;
		crc32_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			crc32_table[k][i] = (crc32_table[k - 1][i] >> 8) ^
					    crc32_table[0][crc32_table[k - 1][i] & 0xff];
}

/* crc32_update - continue @crc (not inverted) over @n bytes at @p. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint64_t n)
{
	uint32_t lo, hi;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo ^= crc;
		crc = crc32_table[7][lo & 0xff] ^ crc32_table[6][(lo >> 8) & 0xff] ^
		      crc32_table[5][(lo >> 16) & 0xff] ^ crc32_table[4][lo >> 24] ^
		      crc32_table[3][hi & 0xff] ^ crc32_table[2][(hi >> 8) & 0xff] ^
		      crc32_table[1][(hi >> 16) & 0xff] ^ crc32_table[0][hi >> 24];
	}
	for (; n; p++, n--)
		crc = crc32_table[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
	return crc;
}

/* pattern_word - word @i of the check pattern with @seed (see ivgpu_regs.h). */
static uint64_t pattern_word(uint64_t seed, uint64_t i)
{
	uint64_t x = seed + (i + 1) * IVGPU_PATTERN_GAMMA;

	x = (x ^ (x >> 30)) * IVGPU_PATTERN_MUL1;
	x = (x ^ (x >> 27)) * IVGPU_PATTERN_MUL2;
	return x ^ (x >> 31);
}

/**
 * struct check_state - a VRAM check in progress
 * @kind: IVGPU_CHECK_KIND_*
 * @seed: pattern seed, or the fill byte
 * @pos: pattern position of the next byte
 * @word_idx: index of @word in the pattern, valid if @have_word
 * @word: a cached pattern word
 * @have_word: @word is valid
 * @crc: running CRC-32 (not yet inverted)
 * @mismatches: bytes that differed so far
 * @first: VRAM offset of the first that did
 * @got: the byte found there
 * @expected: the byte expected there
 * @from_windows: bytes read from windows rather than VRAM
 */
struct check_state {
	uint32_t kind;
	uint64_t seed;
	uint64_t pos;
	uint64_t word_idx;
	uint64_t word;
	bool have_word;
	uint32_t crc;
	uint64_t mismatches;
	uint64_t first;
	uint8_t got;
	uint8_t expected;
	uint64_t from_windows;
};

/* expected_byte - the byte the check expects next (and advance the pattern). */
static uint8_t expected_byte(struct check_state *st)
{
	uint8_t exp;

	if (st->kind == IVGPU_CHECK_KIND_FILL)
		return (uint8_t)st->seed;
	if (!st->have_word || st->word_idx != st->pos >> 3) {
		st->word_idx = st->pos >> 3;
		st->word = pattern_word(st->seed, st->word_idx);
		st->have_word = true;
	}
	exp = (uint8_t)(st->word >> ((st->pos & 7) * 8));
	st->pos++;
	return exp;
}

/*
 * compare_bytes - compare @n bytes at @p, which hold VRAM from @vram_off on,
 * with what the check expects: eight at a time while they match, byte by
 * byte around a difference.
 */
static void compare_bytes(struct check_state *st, const uint8_t *p, uint64_t vram_off,
			  uint64_t n)
{
	uint64_t fill = (uint8_t)st->seed * 0x0101010101010101ull, v, k = 0;
	uint8_t exp;

	while (k < n) {
		if (k + 8 <= n && (st->kind == IVGPU_CHECK_KIND_FILL || !(st->pos & 7))) {
			memcpy(&v, p + k, 8);
			if (v == (st->kind == IVGPU_CHECK_KIND_FILL ? fill :
				  pattern_word(st->seed, st->pos >> 3))) {
				if (st->kind == IVGPU_CHECK_KIND_PATTERN)
					st->pos += 8;
				k += 8;
				continue;
			}
		}
		exp = expected_byte(st);
		if (p[k] != exp && !st->mismatches++) {
			st->first = vram_off + k;
			st->got = p[k];
			st->expected = exp;
		}
		k++;
	}
}

/* check_bytes - check @n bytes at @p, which hold VRAM from @vram_off on. */
static void check_bytes(struct check_state *st, const uint8_t *p, uint64_t vram_off, uint64_t n)
{
	const uint64_t chunk = 64 * 1024;	/* CRC and compare while it is in cache */
	uint64_t k, len;

	for (k = 0; k < n; k += len) {
		len = n - k < chunk ? n - k : chunk;
		st->crc = crc32_update(st->crc, p + k, len);
		if (st->kind != IVGPU_CHECK_KIND_CRC32)
			compare_bytes(st, p + k, vram_off + k, len);
	}
}

/*
 * check_range - check [@off, @off + @len) of VRAM as the guest sees it:
 * bytes that a window shows come from the window (unless @vram_only), the
 * rest from VRAM.  Windows never overlap, so each byte has one source.
 */
static void check_range(struct ivgpu_dev *dev, struct check_state *st, uint64_t off,
			uint64_t len, bool vram_only)
{
	bool use_windows = dev->cfg.small_bar && !vram_only;
	uint64_t end = off + len, cur = off, seg_end, bank, wend;
	const uint8_t *src;
	bool in_window;
	uint32_t i;

	while (cur < end) {
		src = dev->vram + cur;
		seg_end = end;
		in_window = false;
		for (i = 0; use_windows && i < dev->layout.window_count; i++) {
			bank = dev->win[i].bank;
			if (bank == IVGPU_BANK_NONE)
				continue;
			wend = bank + window_vram_bytes(dev, bank);
			if (bank <= cur && cur < wend) {
				src = window_mem(dev, i) + (cur - bank);
				seg_end = wend < end ? wend : end;
				in_window = true;
				break;
			}
			if (bank > cur && bank < seg_end)
				seg_end = bank;
		}
		check_bytes(st, src, cur, seg_end - cur);
		if (in_window)
			st->from_windows += seg_end - cur;
		cur = seg_end;
	}
}

/*
 * serve_check - serve the VRAM check request if one is pending
 * (CHECK_REQ_SEQ != CHECK_ACK_SEQ).  Returns true if it did.
 */
static bool serve_check(struct ivgpu_dev *dev)
{
	struct check_state st = { .first = IVGPU_CHECK_NO_MISMATCH };
	uint64_t off, len;
	uint32_t seq, flags, status;

	seq = reg_read32_acquire(dev, IVGPU_REG_CHECK_REQ_SEQ);
	if (seq == dev->bank.check_ack_seq)
		return false;
	off = reg_read64(dev, IVGPU_REG_CHECK_OFFSET);
	len = reg_read64(dev, IVGPU_REG_CHECK_LENGTH);
	st.kind = reg_read32(dev, IVGPU_REG_CHECK_KIND);
	flags = reg_read32(dev, IVGPU_REG_CHECK_FLAGS);
	st.seed = reg_read64(dev, IVGPU_REG_CHECK_SEED);
	st.pos = reg_read64(dev, IVGPU_REG_CHECK_PATTERN_POS);
	st.crc = 0xffffffffu;

	if (flags & ~(uint32_t)IVGPU_CHECK_F_VRAM_ONLY) {
		status = IVGPU_CHECK_ERR_FLAGS;
	} else if (st.kind > IVGPU_CHECK_KIND_PATTERN) {
		status = IVGPU_CHECK_ERR_KIND;
	} else if (off > dev->cfg.vram_size || len > dev->cfg.vram_size - off) {
		status = IVGPU_CHECK_ERR_RANGE;
	} else {
		check_range(dev, &st, off, len, flags & IVGPU_CHECK_F_VRAM_ONLY);
		status = st.mismatches ? IVGPU_CHECK_MISMATCH : IVGPU_CHECK_OK;
	}
	if (status > IVGPU_CHECK_MISMATCH)
		st.crc = 0xffffffffu;	/* reads back as 0 */

	reg_write32(dev, IVGPU_REG_CHECK_CRC32, ~st.crc);
	reg_write64(dev, IVGPU_REG_CHECK_MISMATCH_OFFSET, st.first);
	reg_write64(dev, IVGPU_REG_CHECK_MISMATCHES, st.mismatches);
	reg_write32(dev, IVGPU_REG_CHECK_GOT, st.got);
	reg_write32(dev, IVGPU_REG_CHECK_EXPECTED, st.expected);
	reg_write64(dev, IVGPU_REG_CHECK_FROM_WINDOWS, st.from_windows);
	reg_write32(dev, IVGPU_REG_CHECK_STATUS, status);
	dev->bank.check_ack_seq = seq;
	dev->bank.checks++;
	dev->client.checks++;
	publish_bank_stats(dev);
	reg_write32_release(dev, IVGPU_REG_CHECK_ACK_SEQ, seq);
	return true;
}

/*
 * db_bank - IVGPU_DB_BANK: serve every pending request, the windows in
 * index order and then the VRAM check, and raise IVGPU_IRQ_BANK once if any
 * was served.  The doorbell carries nothing but its vector (and rings
 * coalesce), so the request sequences say what is to be done.  A ring with
 * nothing pending does nothing.
 */
static void db_bank(struct ivgpu_dev *dev, unsigned int vector, uint64_t count)
{
	bool served = false;
	uint32_t i;

	(void)vector;
	(void)count;
	for (i = 0; i < dev->layout.window_count; i++)
		served |= serve_window(dev, i);
	served |= serve_check(dev);
	if (!served)
		return;
	dev->bank.irqs++;
	reg_write64(dev, IVGPU_REG_BANK_IRQS, dev->bank.irqs);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	raise_irq(dev, IVGPU_IRQ_BANK);
}

/*
 * Doorbell handlers, indexed by vector.  A NULL entry is a vector the device
 * does not implement: ringing it reports IVGPU_ERROR_BAD_DOORBELL.
 * @count is the number of rings coalesced into this wake-up.
 */
static void (*const db_handlers[IVGPU_NUM_VECTORS])(struct ivgpu_dev *dev,
						     unsigned int vector, uint64_t count) = {
	[IVGPU_DB_PING]		= db_ping,
	[IVGPU_DB_BANK]		= db_bank,
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
	c->refused = 0;
	c->switches = 0;
	c->checks = 0;
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

	logmsg("client %u disconnected (pings answered: %" PRIu64 ", errors: %" PRIu64
	       ", bank switches: %" PRIu64 ", refused: %" PRIu64 ", VRAM checks: %" PRIu64 ")",
	       c->id, c->pings, c->errors, c->switches, c->refused, c->checks);
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

/* log_bank_stats - the bank-switch counters, totals and per window. */
static void log_bank_stats(struct ivgpu_dev *dev)
{
	const struct ivgpu_bank_stats *b = &dev->bank;
	const struct ivgpu_window *w;
	uint32_t i;

	logmsg("bank switches %" PRIu64 ", bytes written back %" PRIu64 ", bytes loaded %" PRIu64
	       ", refused %" PRIu64 ", copy time %" PRIu64 " us, bank interrupts %" PRIu64
	       ", VRAM checks %" PRIu64, b->switches, b->bytes_written, b->bytes_loaded,
	       b->refused, b->copy_ns / 1000, b->irqs, b->checks);
	for (i = 0; i < dev->layout.window_count; i++) {
		w = &dev->win[i];
		if (w->bank == IVGPU_BANK_NONE)
			logmsg("window %u: no bank, switches %" PRIu64 ", bytes written back %" PRIu64
			       ", bytes loaded %" PRIu64 ", refused %" PRIu64, i, w->switches,
			       w->bytes_written, w->bytes_loaded, w->refused);
		else
			logmsg("window %u: bank 0x%" PRIx64 ", switches %" PRIu64
			       ", bytes written back %" PRIu64 ", bytes loaded %" PRIu64
			       ", refused %" PRIu64, i, w->bank, w->switches, w->bytes_written,
			       w->bytes_loaded, w->refused);
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

	crc32_init();
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
	if (dev.bar)
		log_bank_stats(&dev);
	logmsg("exit status %d", ret);
	return ret;
}
