#!/bin/bash
# Run every ivgpu test: the device model's host-side tests, then the
# kselftests in a VM in each BAR configuration.  Prints the TAP output, scans
# each guest's kernel log for reports, and ends with "N passed, N failed,
# N skipped".  Exits non-zero on any failure.  Logs are kept in build/check/.
#
# IVGPU_CONFIGS selects configurations (default "large small").
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=${IVGPU_BUILD:-$top/build}
logs=$build/check
rm -rf "$logs"
mkdir -p "$logs"

# Kernel reports that fail a run wherever they appear in a guest's log.
dmesg_bad='BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|general protection|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|INFO: task .* blocked|kmemleak|ivgpu.*leak|probe of .* failed'

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

start=$(date +%s)
echo "TAP version 13"
echo "# ivgpu-suite: host/test-ivgpu-dev" > "$logs/host.tap"
make --no-print-directory -s -C "$here" O="$build/host" check 2>&1 | tee -a "$logs/host.tap"
echo "# ivgpu-suite-exit: host/test-ivgpu-dev ${PIPESTATUS[0]}" >> "$logs/host.tap"
account "$logs/host.tap"

echo "# ivgpu-suite: host/test-rig" > "$logs/rig-runner.tap"
"$here/tests/test-rig.sh" 2>&1 | tee -a "$logs/rig-runner.tap"
echo "# ivgpu-suite-exit: host/test-rig ${PIPESTATUS[0]}" >> "$logs/rig-runner.tap"
account "$logs/rig-runner.tap"

for config in ${IVGPU_CONFIGS:-large small}; do
	case $config in
	large) args=(--vram 256M) ;;
	small) args=(--small-bar --vram 64M --windows 2 --window-size 1M) ;;
	*) echo "check.sh: unknown configuration $config" >&2; exit 2 ;;
	esac
	echo "# === kselftests, $config BAR: ${args[*]}"
	"$here/ivgpu-vm" "${args[@]}" --plain-ivshmem --timeout 1500 \
		--dmesg "$logs/dmesg-$config.txt" --console "$logs/console-$config.txt" \
		-- /ivgpu/run-kselftests 2>&1 | tr -d '\r' | tee "$logs/vm-$config.tap"
	rc=${PIPESTATUS[0]}
	account "$logs/vm-$config.tap"
	if [ "$rc" -ge 124 ]; then
		synthetic not-ok "vm-$config" "the VM run failed or hit its time limit (exit $rc)"
	fi
	if [ ! -s "$logs/dmesg-$config.txt" ]; then
		synthetic not-ok "dmesg-$config" "no kernel log came back from the guest"
	elif grep -E "$dmesg_bad" "$logs/dmesg-$config.txt" > "$logs/dmesg-$config.bad"; then
		sed 's/^/# kernel: /' "$logs/dmesg-$config.bad" | head -n 40
		synthetic not-ok "dmesg-$config" "kernel reports in the guest's log"
	else
		synthetic ok "dmesg-$config" "guest kernel log has no BUG, WARNING, Oops, lockdep or KASAN report"
	fi
done
[ -f "$logs/rig.tap" ] && account "$logs/rig.tap"

echo "# logs in $logs; took $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
