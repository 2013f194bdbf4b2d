#!/bin/bash
# make stress: ivgpu-stress (tools/ivgpu/ivgpu-stress.c) for a given time in
# each BAR configuration, on Debian's kernel and optionally on the debug
# kernel.  Fails on any data mismatch, unexpected errno, leak or hang that
# the program reports, and on any kernel report in the guest's log (the
# patterns of qemu/kernel-reports.sh, as for make check).  Logs stay in
# build/stress/.
#
# STRESS_TIME     seconds per configuration (default 180)
# STRESS_KERNELS  "debian" (default), "debug", or "debian debug"
# STRESS_CONFIGS  BAR configurations (default "large small")
# STRESS_ARGS     more ivgpu-stress options, e.g. "-s SEED" to replay a seed,
#                 "-p 4 -j 4" for more processes and threads, "-M 4M"
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=${IVGPU_BUILD:-$top/build}
logs=$build/stress
time=${STRESS_TIME:-180}
. "$here/kernel-reports.sh"
rm -rf "$logs"
mkdir -p "$logs"

failed=0
results=()
for kernel in ${STRESS_KERNELS:-debian}; do
	case $kernel in
	debian)
		kargs=()
		cmd="run-stress $time ${STRESS_ARGS:-}"
		;;
	debug)
		dk=$("$here/debug-kernel.sh") || { echo "stress: building the debug kernel failed"; exit 1; }
		kargs=(--kernel "$dk/bzImage" --initrd "$build/debug/initramfs.cpio.gz")
		cmd="kmemleak-check start; run-stress $time ${STRESS_ARGS:-}; rc=\$?; kmemleak-check report; exit \$rc"
		;;
	*) echo "stress.sh: unknown kernel $kernel" >&2; exit 2 ;;
	esac
	for config in ${STRESS_CONFIGS:-large small}; do
		name=$kernel-$config
		case $config in
		large) args=(--vram 256M) ;;
		small) args=(--small-bar --vram 64M --windows 2 --window-size 1M) ;;
		*) echo "stress.sh: unknown configuration $config" >&2; exit 2 ;;
		esac
		echo "== ivgpu-stress, $kernel kernel, $config BAR (${args[*]}), $time s"
		"$here/ivgpu-vm" "${kargs[@]}" "${args[@]}" --timeout $((time + 900)) \
			--dmesg "$logs/dmesg-$name.txt" --console "$logs/console-$name.txt" \
			-- "$cmd" 2>&1 | tr -d '\r' | tee "$logs/stress-$name.tap"
		rc=${PIPESTATUS[0]}
		verdict=PASS why=()
		read -r p f s < <(awk -f "$here/tap-count.awk" "$logs/stress-$name.tap" 2>/dev/null)
		[ "$rc" -eq 0 ] || why+=("exit status $rc")
		[ "${f:-1}" -eq 0 ] || why+=("$f failed TAP results")
		if [ ! -s "$logs/dmesg-$name.txt" ]; then
			why+=("no kernel log came back")
		elif grep -E "$dmesg_bad" "$logs/dmesg-$name.txt" > "$logs/dmesg-$name.bad"; then
			sed 's/^/# kernel: /' "$logs/dmesg-$name.bad" | head -n 40
			why+=("kernel reports in the guest's log ($logs/dmesg-$name.bad)")
		fi
		if [ ${#why[@]} -gt 0 ]; then
			verdict="FAIL: ${why[0]}"
			for w in "${why[@]:1}"; do verdict+="; $w"; done
			failed=1
		fi
		results+=("$name: $verdict (${p:-0} passed, ${f:-0} failed, ${s:-0} skipped)")
	done
done

echo "== ivgpu-stress summary (logs in $logs)"
printf '  %s\n' "${results[@]}"
exit $failed
