#!/bin/bash
# make bench: CPU mapping performance of ivgpu against its peers, in one VM
# boot, then ivgpu's banked windows (small BAR) against the large BAR, in
# three more (see tools/ivgpu/ivgpu-bench.c for the method), then the
# co-processor against the raw doorbell round trip and the CPU, in three
# more (tools/ivgpu/ivgpu-cbench.c).  Writes docs/perf.md and
# docs/perf-first-touch.svg.  Not a test: it judges nothing by time alone.
#
# IVGPU_BENCH_REPS sets the repetitions (default 5); IVGPU_BENCH_RESIDENCY
# the window_residency_us values of the contention rows (default
# 0,200,500,1000,5000); IVGPU_BENCH_PARTS=peers, =windows or =coproc (or
# two of them) runs those parts alone and writes build/bench/ only, not
# docs/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=${IVGPU_BUILD:-$top/build}
reps=${IVGPU_BENCH_REPS:-5}
out=$build/bench
parts=${IVGPU_BENCH_PARTS:-peers windows coproc}
mkdir -p "$out"
start=$(date +%s)

if ! command -v gnuplot > /dev/null; then
	echo "bench: installing gnuplot-nox for the plot"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends gnuplot-nox > /dev/null 2>&1; then
		apt-get update -q > /dev/null
		apt-get install -y -q --no-install-recommends gnuplot-nox > /dev/null
	fi
fi

if [[ " $parts " == *" peers "* ]]; then
	# 512 MiB of ivgpu VRAM and 256 MiB of bochs VRAM (its maximum) so that
	# 256 MiB objects fit; 2 GiB of guest memory for the anonymous and vgem peers.
	"$here/ivgpu-vm" --vram 512M --mem 2048 --bochs 256M --timeout 1800 \
		--dmesg "$out/dmesg.txt" -- \
		"load-extra-modules && ivgpu-bench -r $reps -P 1,16,64,256,1024 -c /tmp/bench.csv && echo '# csv' && cat /tmp/bench.csv" \
		| tr -d '\r' > "$out/raw.txt"
	sed '/^# csv$/,$d' "$out/raw.txt" > "$out/table.md"
	sed '1,/^# csv$/d' "$out/raw.txt" > "$out/bench.csv"
	cat "$out/table.md"
fi

if [[ " $parts " == *" windows "* ]]; then
	# The banked windows (docs/windows.md): ivgpu-bench -w in three more boots,
	# each with 64 MiB of VRAM: the large BAR (the baseline for the sequential
	# and random workloads, and two processes without windows), the small BAR
	# as make check runs it (2 windows of 1 MiB), and one window of 1 MiB for
	# two processes contending for it, with each minimum residency in turn.
	residencies=${IVGPU_BENCH_RESIDENCY:-0,200,500,1000,5000}
	wboot() {
		local name=$1 cmd=$2
		shift 2
		"$here/ivgpu-vm" --vram 64M --timeout 900 --dmesg "$out/dmesg-$name.txt" "$@" -- \
			"$cmd -c /tmp/w.kv && echo '# kv' && cat /tmp/w.kv" | tr -d '\r' > "$out/raw-$name.txt"
		sed '/^# kv$/,$d' "$out/raw-$name.txt"
		sed '1,/^# kv$/d' "$out/raw-$name.txt" > "$out/$name.kv"
		grep -q '^config reps' "$out/$name.kv" || { echo "bench: the $name boot failed" >&2; exit 1; }
	}
	wboot large "ivgpu-bench -w -r $reps -n 1000 -C 2000 -a"
	wboot small "ivgpu-bench -w -r $reps -n 1000" --small-bar --windows 2 --window-size 1M
	wboot small1 "ivgpu-bench -w -r $reps -s 0 -C 2000 -R $residencies -a" \
		--small-bar --windows 1 --window-size 1M

	# The tables: the kv files hold "workload field median" lines.
	awk '
	function v(boot, key, field) { return val[boot, key, field] + 0 }
	function mbs(boot, key) { return v(boot, key, "bytes") / 1048576 / (v(boot, key, "ns") / 1e9) }
	FNR == 1 { boot = FILENAME; sub(".*/", "", boot); sub("\\.kv$", "", boot) }
	{ val[boot, $1, $2] = $3 }
	END {
		mib = v("small", "config", "size") / 1048576
		wmib = v("small", "config", "window_size") / 1048576
		nwin = v("small", "config", "windows")
		printf "\nSequential access through the mapping (one %d MiB object, fresh; %d windows of %g MiB against the large BAR):\n\n", mib, nwin, wmib
		print "| workload | large BAR MB/s | small BAR MB/s | small / large | anon reference MB/s, large / small boot | small / large, normalised | slides per window'"'"'s worth | faults/MiB, large / small |"
		print "|---|---:|---:|---:|---:|---:|---:|---:|"
		split("seq-write ref-memset seq-read ref-memcpy", w, " ")
		for (i = 1; i <= 4; i += 2) {
			l = mbs("large", w[i]); s = mbs("small", w[i])
			rl = mbs("large", w[i + 1]); rs = mbs("small", w[i + 1])
			printf "| %s | %.0f | %.0f | %.2fx | %.0f / %.0f (%s) | %.2fx | %.2f | %.2f / %.2f |\n",
				w[i], l, s, s / l, rl, rs, w[i + 1], (s / rs) / (l / rl),
				v("small", w[i], "slides") / (mib / wmib),
				v("large", w[i], "mm_faults") / mib, v("small", w[i], "mm_faults") / mib
		}

		acc = v("small", "config", "accesses")
		printf "\nRandom aligned 4 KiB accesses in a %d MiB object (%d per repetition; the windows show %g MiB of it at a time):\n\n", mib, acc, nwin * wmib
		print "| workload | slides/access | without re-slides (1 - shown/size) | median us/access, large BAR | small BAR | small / large | small / large, normalised |"
		print "|---|---:|---:|---:|---:|---:|---:|"
		tref = (v("small", "ref-memcpy", "ns") / v("large", "ref-memcpy", "ns"))
		split("rand-read rand-write", w, " ")
		for (i = 1; i <= 2; i++) {
			l = v("large", w[i], "access_ns"); s = v("small", w[i], "access_ns")
			printf "| %s | %.3f | %.3f | %.1f | %.1f | %.1fx | %.1fx |\n", w[i],
				v("small", w[i], "slides") / acc, 1 - nwin * wmib / mib,
				l / 1e3, s / 1e3, s / l, (s / l) / tref
		}

		print "\nWhat one slide does (the driver'"'"'s counters in debugfs ivgpu_windows, medians per run):\n"
		print "| workload | windows | slides | entries inserted/slide | entries zapped/slide | faults/slide | fault hits | switch wait us/slide |"
		print "|---|---:|---:|---:|---:|---:|---:|---:|"
		split("seq-write seq-read rand-read rand-write", w, " ")
		for (i = 1; i <= 4; i++)
			row("small", w[i], w[i])
		def = v("small1", "config", "residency")
		row("small1", "cont-1", "contention, one process")
		row("small1", "cont-2-r" def, "contention, two processes")

		cms = v("small1", "config", "cont_ms")
		cmib = v("small1", "config", "cont_size") / 1048576
		printf "\nTwo processes, each writing its own %d MiB object sequentially for %d ms, against one alone (one window of %g MiB; window_residency_us set for each row, default %d):\n\n", cmib, cms, v("small1", "config", "window_size") / 1048576, def
		print "| configuration | CPUs | window_residency_us | one process MB/s | two, added up MB/s | two / one | slower one / one | slowest 64 KiB write ms | slides/MiB | steals | residency waits | switch wait us/slide | two / one >= 0.5 |"
		print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		crow("large", "cont-2-r" v("large", "config", "residency"), "large BAR (no window)", "2", "-")
		crow("large", "cont-2-cpu0", "large BAR (no window)", "1 (both on CPU 0)", "-")
		n = split(resid, r, ",")
		for (i = 1; i <= n; i++)
			crow("small1", "cont-2-r" r[i], "1 window", "2", r[i] (r[i] == def ? " (default)" : ""))
		crow("small1", "cont-2-cpu0", "1 window", "1 (both on CPU 0)", def " (default)")
	}
	function row(boot, key, label,    sl) {
		sl = v(boot, key, "slides")
		if (!sl)
			sl = 1e-9
		printf "| %s | %d | %.0f | %.1f | %.1f | %.2f | %.0f | %.0f |\n", label,
			v(boot, "config", "windows"), v(boot, key, "slides"),
			v(boot, key, "pages_inserted") / sl, v(boot, key, "entries_zapped") / sl,
			v(boot, key, "faults") / sl, v(boot, key, "fault_hits"),
			v(boot, key, "switch_ns") / 1e3 / sl
	}
	function crow(boot, key, label, cpus, res,    ratio, mib, sl) {
		ratio = v(boot, key, "ratio")
		mib = v(boot, key, "bytes") / 1048576
		sl = v(boot, key, "slides")
		printf "| %s | %s | %s | %.0f | %.0f | %.2f | %.2f | %.1f | %.2f | %.0f | %.0f | %s | %s |\n",
			label, cpus, res, v(boot, "cont-1", "rate") / 1048576,
			v(boot, key, "rate") / 1048576, ratio, v(boot, key, "fewest"),
			v(boot, key, "worst_ns") / 1e6, mib ? sl / mib : 0, v(boot, key, "steals"),
			v(boot, key, "residency_waits"),
			sl ? sprintf("%.0f", v(boot, key, "switch_ns") / 1e3 / sl) : "-",
			boot == "large" ? "" : (ratio >= 0.5 ? "yes" : "NO")
	}
	' resid="$residencies" "$out/large.kv" "$out/small.kv" "$out/small1.kv" > "$out/windows.md"
	cat "$out/windows.md"
fi
if [[ " $parts " == *" coproc "* ]]; then
	# The co-processor (docs/coprocessor.md#performance): ivgpu-cbench in a
	# large-BAR boot (two objects of 16 MiB and two of 64 MiB), in a
	# small-BAR boot as make check runs it (64 MiB of VRAM, 2 windows of
	# 1 MiB; 16 MiB objects), and, for the latency alone, in a large-BAR boot
	# with one vCPU (no wake-up crosses to another vCPU, so the host's
	# scheduling of two vCPU threads stays out).  Each compares within its
	# own boot.
	csamples=${IVGPU_BENCH_SAMPLES:-200}
	cboot() {
		local name=$1 cmd=$2
		shift 2
		"$here/ivgpu-vm" --timeout 900 --dmesg "$out/dmesg-$name.txt" "$@" -- \
			"$cmd -c /tmp/c.kv && echo '# kv' && cat /tmp/c.kv" | tr -d '\r' > "$out/raw-$name.txt"
		sed '/^# kv$/,$d' "$out/raw-$name.txt"
		sed '1,/^# kv$/d' "$out/raw-$name.txt" > "$out/$name.kv"
		grep -q '^config reps' "$out/$name.kv" || { echo "bench: the $name boot failed" >&2; exit 1; }
	}
	cboot coproc-large "ivgpu-cbench -r $reps -n $csamples -j 1000 -s 16,64 -t $csamples" --vram 256M
	cboot coproc-small "ivgpu-cbench -r $reps -n $csamples -j 1000 -s 16 -t $csamples" \
		--small-bar --vram 64M --windows 2 --window-size 1M
	cboot coproc-1cpu "ivgpu-cbench -r $reps -n $csamples -j 1000 -s 0 -t $csamples" --smp 1

	# The tables: the kv files hold "workload field value" lines.
	awk '
	function v(boot, key, field) { return val[boot, key, field] + 0 }
	function us(x) { return sprintf("%.0f", x / 1e3) }
	function mbs(boot, key) { return v(boot, key, "bytes") / 1048576 / (v(boot, key, "ns") / 1e9) }
	FNR == 1 { boot = FILENAME; sub(".*/coproc-", "", boot); sub("\\.kv$", "", boot); boots[++nb] = boot }
	{ val[boot, $1, $2] = $3; if ($1 ~ /^fill-/ && $2 == "bytes") size[boot, ++ns[boot]] = $3 / 1048576 }
	END {
		for (i = 1; i <= nb; i++) {
			b = boots[i]
			label[b] = val[b, "config", "bar"] == "small" ? "small BAR, " v(b, "config", "windows") " windows of " v(b, "config", "window_size") / 1048576 " MiB" : "large BAR"
			label[b] = label[b] ", " v(b, "config", "cpus") " vCPU" (v(b, "config", "cpus") > 1 ? "s" : "")
		}
		n = v("large", "config", "samples") * v("large", "config", "reps")
		printf "\nSubmit-to-signal latency: a one-NOP job (SUBMIT with an out-syncobj, then SYNCOBJ_WAIT) against the raw doorbell round trip (a read of debugfs ivgpu_ping), %d of each, alternating, per boot:\n\n", n
		print "| configuration | raw round trip, median / p99 us | its doorbell -> interrupt us | job, median / p99 us | SUBMIT ioctl us | job / raw | at most 2x | stream, jobs/s | stream, per job / raw round trip | interrupts per job | window pins / slides per job |"
		print "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"
		for (i = 1; i <= nb; i++) {
			b = boots[i]
			r = v(b, "latency", "ratio")
			printf "| %s | %s / %s | %s | %s / %s | %s | %.2fx (%.2f-%.2f) | %s | %.0f | %.2fx | %.2f | %s |\n", label[b],
				us(v(b, "latency", "raw_median_ns")), us(v(b, "latency", "raw_p99_ns")),
				us(v(b, "latency", "raw_kernel_ns")),
				us(v(b, "latency", "job_median_ns")), us(v(b, "latency", "job_p99_ns")),
				us(v(b, "latency", "submit_ns")), r, v(b, "latency", "ratio_min"),
				v(b, "latency", "ratio_max"), r <= 2 ? "yes" : "NO",
				v(b, "stream", "jobs_per_s"),
				v(b, "stream", "ns_per_job") / v(b, "latency", "raw_median_ns"),
				v(b, "stream", "irqs_per_job"),
				(v(b, "config", "windows") > 0 ? sprintf("%.2f / %.3f", v(b, "latency", "pins_per_job"), v(b, "latency", "slides_per_job")) : "-")
		}

		print "\nWhere the time goes, with tracepoints on (syscalls, gpu_scheduler, irq; medians of each stage, so they need not add up; the tracing slows both paths):\n"
		printf "| stage |"
		for (i = 1; i <= nb; i++)
			printf " %s us |", label[boots[i]]
		printf "\n|---|"
		for (i = 1; i <= nb; i++)
			printf "---:|"
		printf "\n"
		split("submit_ns queue_ns device_ns irq_ns wake_ns total_ns ping_device_ns ping_wake_ns ping_total_ns ping_kernel_ns", key, " ")
		split("job: SUBMIT ioctl|job: pushed -> the scheduler thread runs it (drm_sched_job -> drm_run_job)|job: run_job -> ring interrupt (ring write, doorbell, engine, MSI-X)|job: interrupt -> job done (drm_sched_process_job)|job: done -> SYNCOBJ_WAIT returns|job: total|raw: pread -> ping interrupt|raw: interrupt -> pread returns|raw: total|raw: doorbell -> interrupt, kernel-timed", name, "|")
		for (k = 1; k <= 10; k++) {
			printf "| %s |", name[k]
			for (i = 1; i <= nb; i++)
				printf " %s |", v(boots[i], "config", "traced") ? us(v(boots[i], "trace", key[k])) : "-"
			printf "\n"
		}

		print "\nThroughput of the engine against the CPU through the mapping (mappings touched before; the engine'"'"'s time is SUBMIT to the end of the wait, its own busy time beside it):\n"
		print "| configuration | size | FILL MB/s | memset MB/s | FILL / memset | COPY MB/s | memcpy MB/s | COPY / memcpy | engine busy MB/s, FILL / COPY |"
		print "|---|---|---:|---:|---:|---:|---:|---:|---|"
		for (i = 1; i <= nb; i++) {
			b = boots[i]
			for (k = 1; k <= ns[b]; k++) {
				m = size[b, k]
				f = mbs(b, "fill-" m); ms = mbs(b, "memset-" m)
				c = mbs(b, "copy-" m); mc = mbs(b, "memcpy-" m)
				printf "| %s | %d MiB | %.0f | %.0f | %.1fx | %.0f | %.0f | %.1fx | %.0f / %.0f |\n",
					label[b], m, f, ms, f / ms, c, mc, c / mc,
					m / (v(b, "fill-" m, "busy_ns") / 1e9), m / (v(b, "copy-" m, "busy_ns") / 1e9)
			}
		}
	}
	' "$out/coproc-large.kv" "$out/coproc-small.kv" "$out/coproc-1cpu.kv" > "$out/coproc.md"
	cat "$out/coproc.md"
fi

elapsed=$(( $(date +%s) - start ))
echo "bench: $parts took $((elapsed / 60)) min $((elapsed % 60)) s"
if [[ "$parts" != "peers windows coproc" ]]; then
	exit 0
fi

kver=$("$here/kver.sh")
kv() { awk -v k="$2" -v f="$3" '$1 == k && $2 == f { print $3 + 0 }' "$out/$1.kv"; }
wmib=$(( $(kv small config size) >> 20 ))
wacc=$(kv small config accesses)
cmib=$(( $(kv small1 config cont_size) >> 20 ))
cms=$(kv small1 config cont_ms)
{
	cat <<HDR
# ivgpu performance

Regenerated by \`make bench\` ($(date -u +%Y-%m-%d)). Method (DESIGN.md section 4): one
VM boot, every peer measured in the same VM, repetitions interleaved, medians of
$reps; the guest runs under QEMU TCG, so only ratios and counts mean anything.
Guest kernel $kver, $(qemu-system-x86_64 --version | head -n 1), 2 vCPUs,
ivgpu in the large-BAR configuration with 512 MiB of VRAM.

Peers: **anon** (private anonymous memory; the kernel backs it with transparent
huge pages where it can, hence few faults), **populated** (anonymous memory
mapped with MAP_POPULATE: the limit, no fault at all), **bochs** (a dumb buffer
of bochs-drm, TTM through drm_gem_vram_helper with TTM's 16-page prefault; its
buffers start in system memory, so its first touch also allocates pages),
**vgem** (a shmem-backed dumb buffer, one page per fault).

Workloads: *first-touch* writes one word in every page of a fresh mapping;
*memset* and *memcpy* (first half onto second half) run on a mapping already
touched. faults/MiB is the process's page faults (for ivgpu, its fault
handler's count from debugfs); pages/fault is the prefault batch achieved.

The first table sweeps ivgpu's prefault batch (module parameter
\`prefault_pages\`: one fault inserts the aligned run of that many pages around
the faulting address, clamped to the VMA and to the VRAM block, with
vmf_insert_pfn_prot() per page) to choose its default; the second compares the
peers with the default.

[Banked windows](#banked-windows-small-bar) ([windows.md](windows.md)) are
measured after that with \`ivgpu-bench -w\`, in three more boots of 64 MiB of
VRAM and 1 GiB of memory each: the large BAR, the small BAR as \`make check\`
runs it (2 windows of 1 MiB), and a single window of 1 MiB.

- *Sequential*: *seq-write* is a memset of a fresh $wmib MiB object through
  its mapping, *seq-read* a memcpy of it into anonymous memory. A ratio
  between two boots also carries whatever changed between them (the machine
  is shared; its load varies), so each boot also measures a reference, memset
  and memcpy of touched anonymous memory of the same size: the *normalised*
  column divides the ratio by the reference's; where the two columns agree,
  the difference is ivgpu's. One slide per window's worth means that no part
  of the object was shown twice.
- *Random*: $wacc memcpys out of (*rand-read*) or memsets into (*rand-write*)
  random aligned 4 KiB of a $wmib MiB object. Without re-slides an access
  slides a window unless one already shows it: 1 - (what the windows
  show) / (object size) slides per access.
- *Per slide*: the driver's counters (debugfs \`ivgpu_windows\`, see
  windows.md). A fault that slides a window inserts the window's worth of
  entries (256 for 1 MiB); the slide zaps those the window had (seq-write's
  first slides find none: the object's clear used the windows without user
  entries).
- *Contention*: one process writes its own $cmib MiB object sequentially,
  round and round in 64 KiB memsets, for $cms ms; then two processes do so at
  once, once for every value of \`window_residency_us\` (the minimum
  residency), interleaved. *two / one* is their two rates added up over the
  lone process's in the same repetition (the target is at least 0.5); *slower
  one / one* shows that both progress; *slowest 64 KiB write* is the longest
  single memset of a run. The large-BAR rows are the same pairs without
  windows (what two vCPUs give under TCG); the *1 (both on CPU 0)* rows pin
  both processes to one vCPU. The window is 1 MiB as in \`make check\` and
  the sequential rows, so the lone process runs a configuration measured
  there (one slide per MiB); a smaller window makes a steal cheaper but costs
  the lone process more slides per MiB.

HDR
	cat "$out/table.md"
	cat <<FTR

![first-touch time per peer](perf-first-touch.svg)

## Banked windows (small BAR)
FTR
	cat "$out/windows.md"
	cat <<FTR

$reps repetitions each, interleaved; every ratio is a ratio of medians except
*two / one* and *slower one / one*, medians of the per-repetition ratios.

## Co-processor

\`ivgpu-cbench\` in three more boots ([coprocessor.md](coprocessor.md#performance)
has the method): the large BAR with 256 MiB of VRAM, the small BAR as
\`make check\` runs it, and, for the latency alone, the large BAR with one
vCPU, where no wake-up crosses vCPUs (each vCPU is a host thread, and the
host is shared). *Latency*: $(( csamples * reps )) one-NOP jobs, each
SUBMIT with an out-syncobj then SYNCOBJ_WAIT, alternating with as many raw
round trips (one read of debugfs \`ivgpu_ping\`: doorbell, ping interrupt,
wake-up), $reps repetitions; *job / raw* is the median of the repetitions'
ratios of medians (their range in brackets), the target at most 2x.
*Stream*: 1000 jobs submitted back to back, the syncobj on the last.
*Where the time goes*: as many again of each with tracepoints on.
*Throughput*: the engine's FILL and COPY of whole objects against the CPU's
memset and memcpy through their mappings, interleaved, medians of $reps.
FTR
	cat "$out/coproc.md"
	cat <<FTR

The raw numbers are in build/bench/ after a run.
FTR
} > "$top/docs/perf.md"

gnuplot <<GP
set terminal svg size 720,400 font "sans,11"
set output "$top/docs/perf-first-touch.svg"
set datafile separator ","
set title "First touch of a fresh mapping (median ms, lower is better; TCG)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel "ms"
set key top left
set grid ytics
plot "< awk -F, '\$2==\"first-touch\" && \$1==64' $out/bench.csv" using 4:xtic(3) title "64 MiB", \
     "< awk -F, '\$2==\"first-touch\" && \$1==256' $out/bench.csv" using 4 title "256 MiB"
GP
echo "bench: wrote docs/perf.md and docs/perf-first-touch.svg"
