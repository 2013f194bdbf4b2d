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
 *
 * Threads: the main thread runs the event loop (doorbells, clients, bank
 * switches, checks); the co-processor runs in a thread of its own
 * (engine_main()), executing commands from a ring in VRAM.  It sees VRAM as
 * the check does, and takes mem_lock for each piece of its work, so bank
 * switches and its accesses never interleave within a piece.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

/*
 * The co-processor takes the memory lock for at most this many bytes of a
 * command at a time, so a long command delays a bank switch (or a reset) by
 * one such piece only.
 */
#define ENGINE_CHUNK		(64 * SZ_1K)
/* Bookkeeping cost of one piece of work, counted against ENGINE_CHUNK. */
#define ENGINE_OP_COST		64

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
 * @ring_ignored_logged: we logged a ring doorbell that had nothing to start
 *
 * @fd and @irq_fd change only under ivgpu_dev.irq_lock once the
 * co-processor runs, since it raises interrupts from its own thread.
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
	bool ring_ignored_logged;
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
 * struct ivgpu_engine - the co-processor
 * @thread: the engine's thread
 * @started: @thread was created (and must be joined)
 * @lock: protects everything below but @abort and the engine-only fields,
 *	and the co-processor's registers; nests outside ivgpu_dev.irq_lock
 * @cond: signalled (broadcast) on every request and when a halt is done;
 *	uses CLOCK_MONOTONIC (STALL waits on it)
 * @kick: IVGPU_DB_RING rang: read TAIL before going on
 * @reset: a reset request is pending (RESET_REQ_SEQ != @ack_seq)
 * @halt: the client went: stop and forget the ring (main thread waits)
 * @exit: the device model exits: the thread returns
 * @abort: end the command under way now (a reset, halt or exit is
 *	pending); read without @lock between pieces of a command
 * @status: IVGPU_RING_*
 * @base: RING_BASE latched at the last reset
 * @size: RING_SIZE latched at the last reset
 * @head: next command to execute (byte offset in the ring)
 * @tail: end of the commands known (TAIL read at the last doorbell)
 * @fence_seq: sequence number of the last FENCE executed
 * @ack_seq: RESET_REQ_SEQ of the last reset served
 * @cmds: commands executed since start
 * @bytes: VRAM bytes written by commands since start
 * @busy_ns: nanoseconds spent executing commands
 * @resets: resets served
 * @irqs: IVGPU_IRQ_RING raised
 * @mem_locked: engine only: it holds ivgpu_dev.mem_lock
 * @held: engine only: work done under this hold of the memory lock
 * @bounce: engine only: a piece of a COPY on its way
 * @fill: engine only: a FILL pattern repeated, ENGINE_CHUNK + 4 bytes
 *
 * The registers mirror these fields; the device never reads back a
 * register it owns.
 */
struct ivgpu_engine {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool kick;
	bool reset;
	bool halt;
	bool exit;
	int abort;
	uint32_t status;
	uint64_t base;
	uint32_t size;
	uint32_t head;
	uint32_t tail;
	uint64_t fence_seq;
	uint32_t ack_seq;
	uint64_t cmds;
	uint64_t bytes;
	uint64_t busy_ns;
	uint64_t resets;
	uint64_t irqs;
	bool mem_locked;
	uint64_t held;
	uint8_t bounce[ENGINE_CHUNK];
	uint8_t fill[ENGINE_CHUNK + 4];
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
 * @mem_lock: serialises the co-processor's accesses to VRAM and the windows
 *	with bank switches and VRAM checks (the main thread's); the banks
 *	change only under it.  Nothing else is taken while it is held.
 * @mem_waiters: the main thread waits for @mem_lock (see mem_lock_main())
 * @irq_lock: serialises raising interrupts and errors (both threads) with
 *	the client's coming and going
 * @eng: the co-processor (0x2000 block)
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
	pthread_mutex_t mem_lock;
	int mem_waiters;
	pthread_mutex_t irq_lock;
	struct ivgpu_engine eng;
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
	l->caps = IVGPU_CAP_PING | IVGPU_CAP_COPROC;
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
 * publish_ring - mirror the co-processor's state into its registers.
 * Caller holds eng.lock.
 */
static void publish_ring(struct ivgpu_dev *dev)
{
	const struct ivgpu_engine *e = &dev->eng;

	reg_write32(dev, IVGPU_REG_RING_STATUS, e->status);
	reg_write32(dev, IVGPU_REG_RING_HEAD, e->head);
	reg_write64(dev, IVGPU_REG_RING_CMDS, e->cmds);
	reg_write64(dev, IVGPU_REG_RING_BYTES, e->bytes);
	reg_write64(dev, IVGPU_REG_RING_BUSY_NS, e->busy_ns);
	reg_write64(dev, IVGPU_REG_RING_RESETS, e->resets);
	reg_write64(dev, IVGPU_REG_RING_IRQS, e->irqs);
}

/*
 * publish_ring_all - rewrite every co-processor register, the driver's ones
 * included (from the state latched at the last reset, an empty ring), and
 * cancel a reset request a previous client left unserved.
 */
static void publish_ring_all(struct ivgpu_dev *dev)
{
	struct ivgpu_engine *e = &dev->eng;

	pthread_mutex_lock(&e->lock);
	reg_write64(dev, IVGPU_REG_RING_BASE, e->base);
	reg_write32(dev, IVGPU_REG_RING_SIZE, e->size);
	reg_write32(dev, IVGPU_REG_RING_TAIL, e->head);
	reg_write64(dev, IVGPU_REG_FENCE_SEQ, e->fence_seq);
	reg_write32(dev, IVGPU_REG_RESET_ACK_SEQ, e->ack_seq);
	reg_write32(dev, IVGPU_REG_RESET_REQ_SEQ, e->ack_seq);
	publish_ring(dev);
	pthread_mutex_unlock(&e->lock);
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
	publish_ring_all(dev);
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

/* raise_irq_locked - raise_irq() with irq_lock held. */
static void raise_irq_locked(struct ivgpu_dev *dev, unsigned int vector)
{
	uint64_t one = 1;
	ssize_t n;

	if (dev->client.fd < 0 || dev->client.irq_fd[vector] < 0)
		return;
	n = write(dev->client.irq_fd[vector], &one, sizeof(one));
	/* EAGAIN: the counter is saturated, an interrupt is pending anyway. */
	if (n != sizeof(one) && !(n < 0 && errno == EAGAIN))
		logmsg("client %u: raising vector %u: %s", dev->client.id, vector,
		       n < 0 ? strerror(errno) : "short write");
}

/* raise_irq - raise MSI-X @vector in the connected guest, if any. */
static void raise_irq(struct ivgpu_dev *dev, unsigned int vector)
{
	pthread_mutex_lock(&dev->irq_lock);
	raise_irq_locked(dev, vector);
	pthread_mutex_unlock(&dev->irq_lock);
}

/*
 * record_error - write an error into the error registers (and the log),
 * without the interrupt: raise_error() does both; the co-processor shows
 * its state in between.
 * @count: how many times it happened (an eventfd counter may hold several)
 */
static void record_error(struct ivgpu_dev *dev, uint32_t code, uint64_t arg, uint64_t count)
{
	struct ivgpu_client *c = &dev->client;

	pthread_mutex_lock(&dev->irq_lock);
	dev->error_count += (uint32_t)count;
	reg_write32(dev, IVGPU_REG_ERROR_CODE, code);
	reg_write64(dev, IVGPU_REG_ERROR_ARG, arg);
	reg_write32(dev, IVGPU_REG_ERROR_COUNT, dev->error_count);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	if (c->errors < ERROR_LOG_LIMIT)
		logmsg("client %u: error %u (arg %" PRIu64 ") x%" PRIu64 "%s", c->id, code, arg,
		       count, c->errors + count >= ERROR_LOG_LIMIT ?
		       "; further errors of this client are not logged" : "");
	c->errors += count;
	pthread_mutex_unlock(&dev->irq_lock);
}

/* raise_error - report an error to the guest: its registers, then IVGPU_IRQ_ERROR. */
static void raise_error(struct ivgpu_dev *dev, uint32_t code, uint64_t arg, uint64_t count)
{
	record_error(dev, code, arg, count);
	raise_irq(dev, IVGPU_IRQ_ERROR);
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
 * mem_lock_main - the main thread takes mem_lock.  It says so first, and
 * the engine, which drops the lock after each piece of its work, waits for
 * it to get the lock before it takes it again: a mutex alone would let the
 * engine take it back at once, again and again, for as long as a command
 * runs.
 */
static void mem_lock_main(struct ivgpu_dev *dev)
{
	__atomic_add_fetch(&dev->mem_waiters, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&dev->mem_lock);
	__atomic_sub_fetch(&dev->mem_waiters, 1, __ATOMIC_SEQ_CST);
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
		mem_lock_main(dev);
		switch_window(dev, i, req);
		pthread_mutex_unlock(&dev->mem_lock);
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
 * vram_seg - where the CPU's view of VRAM at @off is: in the window that
 * shows it (if @use_windows), else in VRAM.  Sets *@p and *@in_window and
 * returns how many bytes from @off on, at most @len, are there.  Windows
 * never overlap, so each byte has one place.  [@off, @off + @len) must be
 * inside VRAM; the caller holds mem_lock (or is the main thread, which
 * alone changes the banks).
 */
static uint64_t vram_seg(struct ivgpu_dev *dev, uint64_t off, uint64_t len, bool use_windows,
			 uint8_t **p, bool *in_window)
{
	uint64_t seg = len, bank, wend;
	uint32_t i;

	*p = dev->vram + off;
	*in_window = false;
	for (i = 0; use_windows && i < dev->layout.window_count; i++) {
		bank = dev->win[i].bank;
		if (bank == IVGPU_BANK_NONE)
			continue;
		wend = bank + window_vram_bytes(dev, bank);
		if (bank <= off && off < wend) {
			*p = window_mem(dev, i) + (off - bank);
			*in_window = true;
			return wend - off < len ? wend - off : len;
		}
		if (bank > off && bank - off < seg)
			seg = bank - off;
	}
	return seg;
}

/*
 * check_range - check [@off, @off + @len) of VRAM as the guest sees it:
 * bytes that a window shows come from the window (unless @vram_only), the
 * rest from VRAM.
 */
static void check_range(struct ivgpu_dev *dev, struct check_state *st, uint64_t off,
			uint64_t len, bool vram_only)
{
	bool use_windows = dev->cfg.small_bar && !vram_only, in_window;
	uint64_t cur = off, end = off + len, n;
	uint8_t *src;

	while (cur < end) {
		n = vram_seg(dev, cur, end - cur, use_windows, &src, &in_window);
		check_bytes(st, src, cur, n);
		if (in_window)
			st->from_windows += n;
		cur += n;
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
		mem_lock_main(dev);
		check_range(dev, &st, off, len, flags & IVGPU_CHECK_F_VRAM_ONLY);
		pthread_mutex_unlock(&dev->mem_lock);
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

/* ---------------------------------------------------------------------- */
/* The co-processor                                                       */
/* ---------------------------------------------------------------------- */

/*
 * The engine runs in its own thread and executes commands from the ring in
 * VRAM (see ivgpu_regs.h and docs/device.md).  The main thread only posts
 * requests to it (eng.kick, eng.reset, eng.halt, eng.exit): the engine
 * serves them between commands, and a pending reset, halt or exit sets
 * eng.abort, which ends the command under way at its next piece.
 *
 * The engine sees VRAM as the CPU does: a byte that a window shows is read
 * and written in the window, any other in VRAM.  Bank switches (main thread)
 * move bytes between the two under mem_lock, and the engine takes mem_lock
 * for each piece of at most ENGINE_CHUNK bytes, so each piece sees one
 * consistent placement and a switch waits for one piece at most.
 */

/**
 * struct ivgpu_cmd - a command as read from the ring
 * @opcode: IVGPU_CMD_*
 * @flags: IVGPU_CMD_F_*
 * @arg: arguments
 */
struct ivgpu_cmd {
	uint32_t opcode;
	uint32_t flags;
	uint64_t arg[7];
};

_Static_assert(sizeof(struct ivgpu_cmd) == IVGPU_CMD_SIZE, "command layout");

static bool engine_aborted(struct ivgpu_engine *e)
{
	return __atomic_load_n(&e->abort, __ATOMIC_ACQUIRE);
}

/*
 * eng_hold - make sure the engine holds mem_lock for @n more bytes of work.
 * Once ENGINE_CHUNK bytes were done under one hold, the lock is dropped,
 * the main thread let in if it waits for it (a bank switch or a check),
 * and the lock taken again.  Returns false, without the lock, if the
 * command is to be abandoned.
 */
static bool eng_hold(struct ivgpu_dev *dev, uint64_t n)
{
	struct ivgpu_engine *e = &dev->eng;

	n += ENGINE_OP_COST;
	if (e->mem_locked && e->held + n <= ENGINE_CHUNK) {
		e->held += n;
		return true;
	}
	if (e->mem_locked) {
		pthread_mutex_unlock(&dev->mem_lock);
		e->mem_locked = false;
		while (__atomic_load_n(&dev->mem_waiters, __ATOMIC_SEQ_CST))
			sched_yield();
	}
	if (engine_aborted(e))
		return false;
	pthread_mutex_lock(&dev->mem_lock);
	e->mem_locked = true;
	e->held = n;
	return true;
}

/* eng_unhold - drop mem_lock if the engine holds it. */
static void eng_unhold(struct ivgpu_dev *dev)
{
	if (dev->eng.mem_locked)
		pthread_mutex_unlock(&dev->mem_lock);
	dev->eng.mem_locked = false;
}

/*
 * view_read, view_write, view_crc - read, write or CRC @n bytes of VRAM at
 * @off as the CPU sees it.  The range is inside VRAM; mem_lock is held.
 */
static void view_read(struct ivgpu_dev *dev, uint64_t off, uint8_t *buf, uint64_t n)
{
	uint64_t k;
	uint8_t *p;
	bool w;

	for (; n; off += k, buf += k, n -= k) {
		k = vram_seg(dev, off, n, dev->cfg.small_bar, &p, &w);
		memcpy(buf, p, k);
	}
}

static void view_write(struct ivgpu_dev *dev, uint64_t off, const uint8_t *buf, uint64_t n)
{
	uint64_t k;
	uint8_t *p;
	bool w;

	for (; n; off += k, buf += k, n -= k) {
		k = vram_seg(dev, off, n, dev->cfg.small_bar, &p, &w);
		memcpy(p, buf, k);
	}
}

static uint32_t view_crc(struct ivgpu_dev *dev, uint32_t crc, uint64_t off, uint64_t n)
{
	uint64_t k;
	uint8_t *p;
	bool w;

	for (; n; off += k, n -= k) {
		k = vram_seg(dev, off, n, dev->cfg.small_bar, &p, &w);
		crc = crc32_update(crc, p, k);
	}
	return crc;
}

/* range_ok - [@off, @off + @len) lies in VRAM; an empty range anywhere. */
static bool range_ok(const struct ivgpu_dev *dev, uint64_t off, uint64_t len)
{
	uint64_t vram = dev->cfg.vram_size;

	return !len || (len <= vram && off <= vram - len);
}

/*
 * rect_ok - @h rows of @w bytes, @pitch apart, from @base lie in VRAM:
 * base + (h - 1) * pitch + w <= VRAM size, without overflow.  @w and @h
 * are not 0, and @pitch >= @w if @h > 1.
 */
static bool rect_ok(const struct ivgpu_dev *dev, uint64_t base, uint64_t pitch, uint64_t w,
		    uint64_t h)
{
	uint64_t vram = dev->cfg.vram_size, lim;

	if (w > vram)
		return false;
	lim = vram - w;
	if (h > 1) {
		if (h - 1 > lim / pitch)
			return false;
		lim -= (h - 1) * pitch;
	}
	return base <= lim;
}

/*
 * cmd_check - IVGPU_ERROR_* that @c earns, or IVGPU_ERROR_NONE if it is
 * valid.  Checked in this order: opcode, flags, other arguments
 * (alignment, pitch, time), then address ranges.
 */
static uint32_t cmd_check(const struct ivgpu_dev *dev, const struct ivgpu_cmd *c)
{
	const uint64_t *a = c->arg;
	uint32_t flags_ok;

	switch (c->opcode) {
	case IVGPU_CMD_CRC32:
		flags_ok = IVGPU_CMD_F_CRC_CONTINUE;
		break;
	case IVGPU_CMD_FENCE:
		flags_ok = IVGPU_CMD_F_FENCE_WRITE;
		break;
	case IVGPU_CMD_NOP: case IVGPU_CMD_FILL: case IVGPU_CMD_COPY: case IVGPU_CMD_BLIT:
	case IVGPU_CMD_STALL: case IVGPU_CMD_HANG:
		flags_ok = 0;
		break;
	default:
		return IVGPU_ERROR_CMD_OPCODE;
	}
	if (c->flags & ~flags_ok)
		return IVGPU_ERROR_CMD_FLAGS;

	switch (c->opcode) {
	case IVGPU_CMD_FILL:
		if (!range_ok(dev, a[0], a[1]))
			return IVGPU_ERROR_CMD_RANGE;
		break;
	case IVGPU_CMD_COPY:
		if (!range_ok(dev, a[0], a[2]) || !range_ok(dev, a[1], a[2]))
			return IVGPU_ERROR_CMD_RANGE;
		break;
	case IVGPU_CMD_CRC32:
		if (a[2] & 3)
			return IVGPU_ERROR_CMD_ARG;
		if (!range_ok(dev, a[0], a[1]) || !range_ok(dev, a[2], 4))
			return IVGPU_ERROR_CMD_RANGE;
		break;
	case IVGPU_CMD_BLIT:
		if (!a[4] || !a[5])
			break;		/* nothing to copy */
		if (a[5] > 1 && (a[2] < a[4] || a[3] < a[4]))
			return IVGPU_ERROR_CMD_ARG;
		if (!rect_ok(dev, a[0], a[2], a[4], a[5]) || !rect_ok(dev, a[1], a[3], a[4], a[5]))
			return IVGPU_ERROR_CMD_RANGE;
		break;
	case IVGPU_CMD_FENCE:
		if (!(c->flags & IVGPU_CMD_F_FENCE_WRITE))
			break;
		if (a[1] & 7)
			return IVGPU_ERROR_CMD_ARG;
		if (!range_ok(dev, a[1], 8))
			return IVGPU_ERROR_CMD_RANGE;
		break;
	case IVGPU_CMD_STALL:
		if (a[0] > IVGPU_CMD_STALL_MAX_NS)
			return IVGPU_ERROR_CMD_ARG;
		break;
	}
	return IVGPU_ERROR_NONE;
}

/* do_fill - FILL: byte k of [@dst, @dst + @len) is byte k % 4 of @pattern. */
static bool do_fill(struct ivgpu_dev *dev, uint64_t dst, uint64_t len, uint32_t pattern)
{
	uint8_t *fill = dev->eng.fill;
	uint64_t k, n;

	for (k = 0; k < ENGINE_CHUNK + 4; k++)
		fill[k] = (uint8_t)(pattern >> (k % 4 * 8));
	for (k = 0; k < len; k += n) {
		n = len - k < ENGINE_CHUNK ? len - k : ENGINE_CHUNK;
		if (!eng_hold(dev, n))
			return false;
		view_write(dev, dst + k, fill + k % 4, n);
	}
	return true;
}

/*
 * do_copy - COPY @len bytes from @src to @dst as if through a temporary
 * buffer: piece by piece through the bounce buffer, from the end when the
 * destination starts inside the source, so no source byte is overwritten
 * before it is read.
 */
static bool do_copy(struct ivgpu_dev *dev, uint64_t dst, uint64_t src, uint64_t len)
{
	bool backward = dst > src && dst - src < len;
	uint8_t *buf = dev->eng.bounce;
	uint64_t done, n, k;

	if (dst == src)
		return true;	/* nothing changes */
	for (done = 0; done < len; done += n) {
		n = len - done < ENGINE_CHUNK ? len - done : ENGINE_CHUNK;
		k = backward ? len - done - n : done;
		if (!eng_hold(dev, 2 * n))
			return false;
		view_read(dev, src + k, buf, n);
		view_write(dev, dst + k, buf, n);
	}
	return true;
}

/*
 * do_crc32 - CRC32 of [@src, @src + @len), written little-endian at
 * @result; with @cont, continued from the CRC-32 found at @result.
 */
static bool do_crc32(struct ivgpu_dev *dev, uint64_t src, uint64_t len, uint64_t result,
		     bool cont)
{
	uint32_t crc = 0xffffffffu, prev;
	uint64_t k, n;

	if (cont) {
		if (!eng_hold(dev, 4))
			return false;
		view_read(dev, result, (uint8_t *)&prev, 4);
		crc = ~prev;
	}
	for (k = 0; k < len; k += n) {
		n = len - k < ENGINE_CHUNK ? len - k : ENGINE_CHUNK;
		if (!eng_hold(dev, n))
			return false;
		crc = view_crc(dev, crc, src + k, n);
	}
	if (!eng_hold(dev, 4))
		return false;
	crc = ~crc;
	view_write(dev, result, (const uint8_t *)&crc, 4);
	return true;
}

/*
 * do_blit - BLIT @h rows of @w bytes, as if through a temporary buffer.
 *
 * Let delta(r) = (dst + r * dpitch) - (src + r * spitch), linear in r.
 * With both pitches at least @w (checked for @h > 1), writing destination
 * row r can overwrite only source rows r' <= r if delta(r) <= 0 ("up"
 * rows), and only rows r' >= r if delta(r) > 0 ("down" rows); row r itself
 * is a COPY, which handles its own overlap.  So the up rows are copied
 * first to last and the down rows last to first.  The two groups are runs
 * of rows, and neither overwrites a source row of the other: where they
 * meet, between rows r0 - 1 and r0, the destination rows of the first run
 * end before the source rows of the second start and the other way round
 * (one pitch minus one width of room, by the sign change of delta).
 */
static bool do_blit(struct ivgpu_dev *dev, uint64_t dst, uint64_t src, uint64_t dpitch,
		    uint64_t spitch, uint64_t w, uint64_t h)
{
	int64_t delta0, step, r0, r, up_lo, up_hi;

	if (!w || !h)
		return true;
	if (h == 1)
		return do_copy(dev, dst, src, w);
	/* Validated: every offset and (h - 1) * pitch is at most the VRAM size. */
	delta0 = (int64_t)dst - (int64_t)src;
	step = (int64_t)dpitch - (int64_t)spitch;
	if (step >= 0) {
		/* up rows [0, r0), down rows [r0, h) */
		if (delta0 > 0)
			r0 = 0;
		else if (!step)
			r0 = h;
		else
			r0 = -delta0 / step + 1;
	} else {
		/* down rows [0, r0), up rows [r0, h) */
		r0 = delta0 <= 0 ? 0 : (delta0 + -step - 1) / -step;
	}
	if (r0 > (int64_t)h)
		r0 = h;
	up_lo = step >= 0 ? 0 : r0;
	up_hi = step >= 0 ? r0 : (int64_t)h;
	for (r = up_lo; r < up_hi; r++)
		if (!do_copy(dev, dst + r * dpitch, src + r * spitch, w))
			return false;
	for (r = (int64_t)h - 1; r >= 0; r--)
		if ((r < up_lo || r >= up_hi) &&
		    !do_copy(dev, dst + r * dpitch, src + r * spitch, w))
			return false;
	return true;
}

/* timespec_at - the CLOCK_MONOTONIC time @ns nanoseconds from now. */
static struct timespec timespec_at(uint64_t ns)
{
	uint64_t t = now_ns() + ns;

	return (struct timespec){ .tv_sec = t / 1000000000u, .tv_nsec = t % 1000000000u };
}

/* do_stall - STALL: wait @ns nanoseconds, or until a reset (or halt) comes. */
static bool do_stall(struct ivgpu_dev *dev, uint64_t ns)
{
	struct ivgpu_engine *e = &dev->eng;
	uint64_t end = now_ns() + ns;
	struct timespec ts = timespec_at(ns);

	pthread_mutex_lock(&e->lock);
	while (!engine_aborted(e) && now_ns() < end)
		pthread_cond_timedwait(&e->cond, &e->lock, &ts);
	pthread_mutex_unlock(&e->lock);
	return !engine_aborted(e);
}

/* do_hang - HANG: RING_STATUS says so until a reset (or halt) ends it. */
static bool do_hang(struct ivgpu_dev *dev)
{
	struct ivgpu_engine *e = &dev->eng;

	pthread_mutex_lock(&e->lock);
	if (!engine_aborted(e)) {
		e->status = IVGPU_RING_HUNG;
		publish_ring(dev);
	}
	while (!engine_aborted(e))
		pthread_cond_wait(&e->cond, &e->lock);
	pthread_mutex_unlock(&e->lock);
	return false;
}

/*
 * cmd_exec - execute the valid command @c (without eng.lock).  Returns
 * false if it was abandoned for a reset, halt or exit; else adds the VRAM
 * bytes it wrote to *@bytes.
 */
static bool cmd_exec(struct ivgpu_dev *dev, const struct ivgpu_cmd *c, uint64_t *bytes)
{
	const uint64_t *a = c->arg;
	uint64_t le;
	bool done = true;

	switch (c->opcode) {
	case IVGPU_CMD_NOP:
		break;
	case IVGPU_CMD_FILL:
		done = do_fill(dev, a[0], a[1], (uint32_t)a[2]);
		*bytes = a[1];
		break;
	case IVGPU_CMD_COPY:
		done = do_copy(dev, a[0], a[1], a[2]);
		*bytes = a[2];
		break;
	case IVGPU_CMD_CRC32:
		done = do_crc32(dev, a[0], a[1], a[2], c->flags & IVGPU_CMD_F_CRC_CONTINUE);
		*bytes = 4;
		break;
	case IVGPU_CMD_BLIT:
		done = do_blit(dev, a[0], a[1], a[2], a[3], a[4], a[5]);
		*bytes = a[4] && a[5] ? a[4] * a[5] : 0;
		break;
	case IVGPU_CMD_FENCE:
		if (c->flags & IVGPU_CMD_F_FENCE_WRITE) {
			le = a[0];
			done = eng_hold(dev, 8);
			if (done)
				view_write(dev, a[1], (const uint8_t *)&le, 8);
			*bytes = 8;
		}
		break;
	case IVGPU_CMD_STALL:
		done = do_stall(dev, a[0]);
		break;
	case IVGPU_CMD_HANG:
		done = do_hang(dev);
		break;
	}
	eng_unhold(dev);
	return done;
}

/*
 * engine_error - stop the engine at an error (eng.lock held): the error
 * registers first, so whoever sees RING_STATUS = IVGPU_RING_ERROR finds
 * them, then the status, then IVGPU_IRQ_ERROR.
 */
static void engine_error(struct ivgpu_dev *dev, uint32_t code, uint64_t arg)
{
	record_error(dev, code, arg, 1);
	dev->eng.status = IVGPU_RING_ERROR;
	publish_ring(dev);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	raise_irq(dev, IVGPU_IRQ_ERROR);
}

/*
 * engine_step - fetch, check and execute the command at HEAD (eng.lock
 * held; dropped while the command runs).  A bad command stops the engine
 * at it; an abandoned one is left to the reset, halt or exit that ended it.
 */
static void engine_step(struct ivgpu_dev *dev)
{
	struct ivgpu_engine *e = &dev->eng;
	uint64_t base = e->base, t0, bytes = 0;
	uint32_t head = e->head, code;
	struct ivgpu_cmd c;
	bool done;

	if (e->status != IVGPU_RING_BUSY) {
		e->status = IVGPU_RING_BUSY;
		publish_ring(dev);
	}
	pthread_mutex_unlock(&e->lock);

	t0 = now_ns();
	/* The ring was checked to lie in VRAM at the reset that latched it. */
	pthread_mutex_lock(&dev->mem_lock);
	view_read(dev, base + head, (uint8_t *)&c, sizeof(c));
	pthread_mutex_unlock(&dev->mem_lock);
	code = cmd_check(dev, &c);
	done = !code && cmd_exec(dev, &c, &bytes);

	pthread_mutex_lock(&e->lock);
	e->busy_ns += now_ns() - t0;
	if (engine_aborted(e))
		return;		/* what ended it will publish */
	if (code) {
		engine_error(dev, code, head);
		return;
	}
	if (!done)
		return;
	e->head = (head + IVGPU_CMD_SIZE) & (e->size - 1);
	e->cmds++;
	e->bytes += bytes;
	if (c.opcode == IVGPU_CMD_FENCE) {
		e->fence_seq = c.arg[0];
		e->irqs++;
		__atomic_store_n((uint64_t *)(dev->bar + IVGPU_REG_FENCE_SEQ), e->fence_seq,
				 __ATOMIC_RELEASE);
		publish_ring(dev);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		raise_irq(dev, IVGPU_IRQ_RING);
	} else {
		publish_ring(dev);
	}
}

/* ring_config_ok - RING_BASE and RING_SIZE as the contract wants them. */
static bool ring_config_ok(const struct ivgpu_dev *dev, uint64_t base, uint32_t size)
{
	return !(base & (IVGPU_RING_ALIGN - 1)) && is_pow2(size) &&
	       size >= IVGPU_RING_SIZE_MIN && size <= IVGPU_RING_SIZE_MAX &&
	       range_ok(dev, base, size);
}

/* tail_ok - @tail is a command position in a ring of @size bytes. */
static bool tail_ok(uint32_t tail, uint32_t size)
{
	return !(tail % IVGPU_CMD_SIZE) && tail < size;
}

/*
 * engine_reset - serve a reset request (eng.lock held): the engine is idle
 * (what it did was abandoned), the pending commands are dropped (HEAD =
 * TAIL), BASE and SIZE are latched; then the acknowledgement and
 * IVGPU_IRQ_RING.  A bad ring (or TAIL) is reported first.
 */
static void engine_reset(struct ivgpu_dev *dev)
{
	struct ivgpu_engine *e = &dev->eng;
	uint32_t seq, tail, code = IVGPU_ERROR_NONE;
	uint64_t arg = 0;

	seq = reg_read32_acquire(dev, IVGPU_REG_RESET_REQ_SEQ);
	e->base = reg_read64(dev, IVGPU_REG_RING_BASE);
	e->size = reg_read32(dev, IVGPU_REG_RING_SIZE);
	tail = reg_read32(dev, IVGPU_REG_RING_TAIL);
	e->reset = false;
	e->kick = false;
	__atomic_store_n(&e->abort, 0, __ATOMIC_RELEASE);

	if (!ring_config_ok(dev, e->base, e->size)) {
		code = IVGPU_ERROR_RING_CONFIG;
		arg = e->base;
		e->head = 0;
	} else if (!tail_ok(tail, e->size)) {
		code = IVGPU_ERROR_RING_TAIL;
		arg = tail;
		e->head = 0;
	} else {
		e->head = tail;
	}
	e->tail = e->head;
	e->resets++;
	e->irqs++;
	if (code) {
		engine_error(dev, code, arg);
	} else {
		e->status = IVGPU_RING_IDLE;
		publish_ring(dev);
	}
	e->ack_seq = seq;
	reg_write32_release(dev, IVGPU_REG_RESET_ACK_SEQ, seq);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	raise_irq(dev, IVGPU_IRQ_RING);
}

/*
 * engine_read_tail - take TAIL after a doorbell (eng.lock held).  A bad
 * TAIL stops the engine; returns false then.
 */
static bool engine_read_tail(struct ivgpu_dev *dev)
{
	struct ivgpu_engine *e = &dev->eng;
	uint32_t tail;

	e->kick = false;
	tail = reg_read32_acquire(dev, IVGPU_REG_RING_TAIL);
	if (!tail_ok(tail, e->size)) {
		engine_error(dev, IVGPU_ERROR_RING_TAIL, tail);
		return false;
	}
	e->tail = tail;
	return true;
}

/* engine_main - the co-processor's thread. */
static void *engine_main(void *arg)
{
	struct ivgpu_dev *dev = arg;
	struct ivgpu_engine *e = &dev->eng;
	bool running;

	pthread_mutex_lock(&e->lock);
	while (!e->exit) {
		if (e->halt) {
			/* The client went: stopped, as if never reset. */
			e->halt = false;
			e->reset = false;
			e->kick = false;
			__atomic_store_n(&e->abort, 0, __ATOMIC_RELEASE);
			e->status = IVGPU_RING_STOPPED;
			e->tail = e->head;
			publish_ring(dev);
			pthread_cond_broadcast(&e->cond);
			continue;
		}
		if (e->reset) {
			engine_reset(dev);
			continue;
		}
		running = e->status == IVGPU_RING_IDLE || e->status == IVGPU_RING_BUSY;
		if (running && e->kick && !engine_read_tail(dev))
			continue;
		if (running && e->head != e->tail) {
			engine_step(dev);
			continue;
		}
		if (e->status == IVGPU_RING_BUSY) {
			e->status = IVGPU_RING_IDLE;
			publish_ring(dev);
		}
		pthread_cond_wait(&e->cond, &e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* engine_post - post a request to the engine (eng.lock held); @abort ends its command. */
static void engine_post(struct ivgpu_engine *e, bool abort)
{
	if (abort)
		__atomic_store_n(&e->abort, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&e->cond);
}

/*
 * db_ring - IVGPU_DB_RING: TAIL moved.  The engine reads TAIL when it gets
 * to it; rings coalesce.  Ignored (and logged once per client) unless the
 * engine runs: only a reset starts it.
 */
static void db_ring(struct ivgpu_dev *dev, unsigned int vector, uint64_t count)
{
	struct ivgpu_engine *e = &dev->eng;
	struct ivgpu_client *c = &dev->client;
	uint32_t status;

	(void)vector;
	(void)count;
	pthread_mutex_lock(&e->lock);
	status = e->status;
	e->kick = true;
	engine_post(e, false);
	pthread_mutex_unlock(&e->lock);
	if (status == IVGPU_RING_STOPPED && !c->ring_ignored_logged) {
		logmsg("client %u: ring doorbell before any reset; ignored", c->id);
		c->ring_ignored_logged = true;
	}
}

/*
 * db_reset - IVGPU_DB_RESET: if a reset is requested (RESET_REQ_SEQ !=
 * RESET_ACK_SEQ), end the engine's command and let it serve the reset.
 * A ring with nothing pending does nothing.
 */
static void db_reset(struct ivgpu_dev *dev, unsigned int vector, uint64_t count)
{
	struct ivgpu_engine *e = &dev->eng;
	uint32_t seq;

	(void)vector;
	(void)count;
	seq = reg_read32_acquire(dev, IVGPU_REG_RESET_REQ_SEQ);
	pthread_mutex_lock(&e->lock);
	if (seq != e->ack_seq && !e->reset) {
		e->reset = true;
		engine_post(e, true);
	}
	pthread_mutex_unlock(&e->lock);
}

/* engine_halt - the client went: stop the engine and wait until it has. */
static void engine_halt(struct ivgpu_dev *dev)
{
	struct ivgpu_engine *e = &dev->eng;

	if (!e->started)
		return;
	pthread_mutex_lock(&e->lock);
	e->halt = true;
	engine_post(e, true);
	while (e->halt)
		pthread_cond_wait(&e->cond, &e->lock);
	pthread_mutex_unlock(&e->lock);
}

/* engine_init - the locks; before anything publishes registers. */
static int engine_init(struct ivgpu_dev *dev)
{
	struct ivgpu_engine *e = &dev->eng;
	pthread_condattr_t attr;
	int err;

	if ((err = pthread_mutex_init(&dev->mem_lock, NULL)) ||
	    (err = pthread_mutex_init(&dev->irq_lock, NULL)) ||
	    (err = pthread_mutex_init(&e->lock, NULL)) ||
	    (err = pthread_condattr_init(&attr)) ||
	    (err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)) ||
	    (err = pthread_cond_init(&e->cond, &attr))) {
		logmsg("co-processor locks: %s", strerror(err));
		return -1;
	}
	pthread_condattr_destroy(&attr);
	return 0;
}

/* engine_start - start the engine's thread (signals stay blocked in it). */
static int engine_start(struct ivgpu_dev *dev)
{
	int err;

	err = pthread_create(&dev->eng.thread, NULL, engine_main, dev);
	if (err) {
		logmsg("co-processor thread: %s", strerror(err));
		return -1;
	}
	dev->eng.started = true;
	return 0;
}

/* engine_stop - end the engine's thread, abandoning what it does. */
static void engine_stop(struct ivgpu_dev *dev)
{
	struct ivgpu_engine *e = &dev->eng;

	if (!e->started)
		return;
	pthread_mutex_lock(&e->lock);
	e->exit = true;
	engine_post(e, true);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	e->started = false;
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
	[IVGPU_DB_RING]		= db_ring,
	[IVGPU_DB_RESET]	= db_reset,
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

	pthread_mutex_lock(&dev->irq_lock);
	close_fd(&c->fd);
	for (v = 0; v < IVGPU_NUM_VECTORS; v++)
		close_fd(&c->irq_fd[v]);
	pthread_mutex_unlock(&dev->irq_lock);
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
	int v, fd;

	for (v = 0; v < IVGPU_NUM_VECTORS; v++) {
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0) {
			logmsg("client %u: eventfd: %s", c->id, strerror(errno));
			return -1;
		}
		pthread_mutex_lock(&dev->irq_lock);
		c->irq_fd[v] = fd;
		pthread_mutex_unlock(&dev->irq_lock);
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

	pthread_mutex_lock(&dev->irq_lock);
	c->fd = fd;
	c->id = dev->next_id;
	c->pings = 0;
	c->errors = 0;
	c->refused = 0;
	c->switches = 0;
	c->checks = 0;
	c->junk_logged = false;
	c->ring_ignored_logged = false;
	pthread_mutex_unlock(&dev->irq_lock);
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

/*
 * client_gone - log a disconnect, stop the co-processor (the next client
 * finds it stopped, as if never reset) and release the client.
 */
static void client_gone(struct ivgpu_dev *dev)
{
	struct ivgpu_client *c = &dev->client;

	engine_halt(dev);
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

/* log_stats - the co-processor's and the bank-switch counters. */
static void log_stats(struct ivgpu_dev *dev)
{
	const struct ivgpu_bank_stats *b = &dev->bank;
	const struct ivgpu_engine *e = &dev->eng;
	const struct ivgpu_window *w;
	uint32_t i;

	logmsg("co-processor commands %" PRIu64 ", bytes written %" PRIu64 ", busy %" PRIu64
	       " us, resets %" PRIu64 ", ring interrupts %" PRIu64 ", last fence %" PRIu64,
	       e->cmds, e->bytes, e->busy_ns / 1000, e->resets, e->irqs, e->fence_seq);

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
	/* Signals are blocked before the engine's thread inherits the mask. */
	if (setup_signals(&dev) || engine_init(&dev) || setup_memory(&dev) ||
	    setup_doorbells(&dev) || engine_start(&dev))
		goto out;
	log_config(&dev);
	if (create_socket(&dev))
		goto out;
	logmsg("listening on %s", dev.cfg.socket_path);

	ret = run(&dev);
out:
	if (dev.client.fd >= 0)
		client_gone(&dev);
	engine_stop(&dev);
	remove_socket(&dev);
	close_fd(&dev.listen_fd);
	if (dev.bar)
		log_stats(&dev);
	logmsg("exit status %d", ret);
	return ret;
}
