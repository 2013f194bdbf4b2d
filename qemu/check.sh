#!/bin/bash
# Run every ivgpu test: the device model's host-side tests and the runner's
# tests, then the kselftests in a VM in each BAR configuration, on Debian's
# kernel and on the debug kernel (lockdep, KASAN, kmemleak, DEBUG_VM...),
# where the driver's KUnit suites run too.
# Prints the TAP output, scans each guest's kernel log for reports, and ends
# with "N passed, N failed, N skipped".  Exits non-zero on any failure.
# Logs are kept in build/check/.
#
# IVGPU_CONFIGS   BAR configurations (default "large small"; also "small1": 1 window
#                 of 64 KiB, "small4": 4 windows of 2 MiB over 256 MiB)
# IVGPU_KERNELS   which guest kernels: "debian debug" (default), or one of them
# IVGPU_HOST=0    skip the host-side tests
# IVGPU_STRESS_TIME  seconds of ivgpu-stress after the kselftests on Debian's
#                 kernel, per configuration (default 20; 0 leaves it out)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=${IVGPU_BUILD:-$top/build}
logs=$build/check
rm -rf "$logs"
mkdir -p "$logs"

# Kernel reports that fail a run wherever they appear in a guest's log.
. "$here/kernel-reports.sh"

pass=0 fail=0 skip=0
account() { # TAP file
	local p f s
	read -r p f s < <(awk -f "$here/tap-count.awk" "$1")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}
synthetic() { # ok|not-ok NAME DESCRIPTION: one result the rig itself checked
	local line
	if [ "$1" = ok ]; then line="ok 1 - $3"; else line="not ok 1 - $3"; fi
	printf '# ivgpu-suite: %s\n1..1\n%s\n# ivgpu-suite-exit: %s 0\n' "$2" "$line" "$2" \
		| tee -a "$logs/rig.tap"
}
host_suite() { # NAME, then the command
	local name=$1
	shift
	echo "# ivgpu-suite: $name" > "$logs/$name.tap"
	"$@" 2>&1 | tee -a "$logs/$name.tap"
	echo "# ivgpu-suite-exit: $name ${PIPESTATUS[0]}" >> "$logs/$name.tap"
	account "$logs/$name.tap"
}

# vm_suites LABEL GUEST-COMMAND [ivgpu-vm options...]: the kselftests in each
# BAR configuration, counted, with the guest's kernel log scanned.
vm_suites() {
	local label=$1 cmd=$2 config rc
	shift 2
	for config in ${IVGPU_CONFIGS:-large small}; do
		local name=$label-$config args
		case $config in
		large) args=(--vram 256M) ;;
		small) args=(--small-bar --vram 64M --windows 2 --window-size 1M) ;;
		small1) args=(--small-bar --vram 64M --windows 1 --window-size 64K) ;;
		small4) args=(--small-bar --vram 256M --windows 4 --window-size 2M) ;;
		*) echo "check.sh: unknown configuration $config" >&2; exit 2 ;;
		esac
		echo "# === kselftests, $label kernel, $config BAR: ${args[*]}"
		"$here/ivgpu-vm" "$@" "${args[@]}" --plain-ivshmem \
			--dmesg "$logs/dmesg-$name.txt" --console "$logs/console-$name.txt" \
			-- "$cmd" 2>&1 | tr -d '\r' | tee "$logs/vm-$name.tap"
		rc=${PIPESTATUS[0]}
		account "$logs/vm-$name.tap"
		if [ "$rc" -ge 124 ]; then
			synthetic not-ok "vm-$name" "the VM run failed or hit its time limit (exit $rc)"
		fi
		if [ ! -s "$logs/dmesg-$name.txt" ]; then
			synthetic not-ok "dmesg-$name" "no kernel log came back from the guest"
		elif grep -E "$dmesg_bad" "$logs/dmesg-$name.txt" > "$logs/dmesg-$name.bad"; then
			sed 's/^/# kernel: /' "$logs/dmesg-$name.bad" | head -n 40
			synthetic not-ok "dmesg-$name" "kernel reports in the guest's log"
		else
			synthetic ok "dmesg-$name" "guest kernel log has no BUG, WARNING, Oops, lockdep, KASAN or leak report"
		fi
	done
}

start=$(date +%s)
echo "TAP version 13"
if [ "${IVGPU_HOST:-1}" = 1 ]; then
	host_suite host-ivgpu-dev make --no-print-directory -s -C "$here" O="$build/host" check
	host_suite host-rig "$here/tests/test-rig.sh"
	host_suite host-kunit-tap "$here/tests/test-kunit-tap.sh"
fi

for kernel in ${IVGPU_KERNELS:-debian debug}; do
	case $kernel in
	debian)
		# After the kselftests, in the same boot, a short ivgpu-stress run
		# (make stress runs it long).
		cmd=/ivgpu/run-kselftests
		if [ "${IVGPU_STRESS_TIME:-20}" != 0 ]; then
			cmd="$cmd; rc=\$?; run-stress ${IVGPU_STRESS_TIME:-20} || rc=1; exit \$rc"
		fi
		vm_suites debian "$cmd" --timeout 1500
		;;
	debug)
		# Built and cached by qemu/debug-kernel.sh; the modules and initramfs
		# for it by qemu/debug-build.sh (make debug).  The KUnit suites
		# (run-kunit) do not use the device: they run once, in the
		# large-BAR VM, before the kselftests and inside the kmemleak check.
		dk=$("$here/debug-kernel.sh") || { synthetic not-ok debug-kernel "building the debug kernel failed"; continue; }
		# slub_debug=A marks the caches failslab may fail (ivgpu_faultinj;
		# see "Fault injection" in docs/testing.md).
		vm_suites debug \
			'kmemleak-check start; [ "$IVGPU_EXPECT_BAR_CONFIG" = 1 ] || run-kunit; /ivgpu/run-kselftests; rc=$?; kmemleak-check report; exit $rc' \
			--kernel "$dk/bzImage" --initrd "$build/debug/initramfs.cpio.gz" --timeout 2700 \
			--append 'slub_debug=A,kmalloc-*,radix_tree_node'
		;;
	*) echo "check.sh: unknown kernel $kernel" >&2; exit 2 ;;
	esac
done
[ -f "$logs/rig.tap" ] && account "$logs/rig.tap"

echo "# logs in $logs; took $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
