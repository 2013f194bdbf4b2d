#!/bin/bash
# Tests of the VM runner (qemu/ivgpu-vm) itself, as TAP: the guest's exit
# status and output come back, the guest's kernel log is kept, the time limit
# holds, Ctrl-C ends the run, bad options are refused, --kvm falls back to
# TCG when its probe boot fails, and no run leaves a process behind.
#
# usage: test-rig.sh   (needs a built tree: make)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
vm=$here/ivgpu-vm
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ivgpu-rig-test.XXXXXX")
trap 'pkill -f "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
export TMPDIR=$scratch	# every run's files, and so its processes' arguments, live here

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { # description, then a command that must succeed
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# No QEMU or ivgpu-dev started from under $scratch is still running.
none_left() {
	local left
	for _ in $(seq 50); do
		left=$(pgrep -f "$scratch/ivgpu-vm" || true)
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "# left behind: $(pgrep -af "$scratch/ivgpu-vm")"
	return 1
}

echo "TAP version 13"
echo "1..10"

out=$("$vm" --timeout 120 --dmesg "$scratch/dmesg" -- 'echo hello from the guest; exit 7' 2>&1)
rc=$?
check "the guest command's exit status comes back (7, got $rc)" [ "$rc" = 7 ]
check "the guest command's output comes back" grep -q '^hello from the guest$' <<<"$out"
check "the guest's kernel log is kept with --dmesg" grep -q 'Linux version' "$scratch/dmesg"
check "nothing left running after a run" none_left

start=$(date +%s)
"$vm" --timeout 15 -- 'sleep 1000' > /dev/null 2>&1
rc=$?
took=$(( $(date +%s) - start ))
check "the time limit ends a run with 124 (got $rc after ${took}s)" \
	[ "$rc" = 124 -a "$took" -lt 40 ]
check "nothing left running after a time out" none_left

# Ctrl-C: SIGINT to the runner's whole process group, as a terminal sends it.
# A shell started in the background ignores SIGINT and cannot trap what it
# ignored at entry, so the runner is started with SIGINT's default restored.
set -m
env --default-signal=INT "$vm" --timeout 300 -- 'sleep 1000' > /dev/null 2>&1 &
pid=$!
set +m
for _ in $(seq 100); do
	pgrep -f "qemu-system.*$scratch" > /dev/null && break
	sleep 0.1
done
sleep 1
kill -INT -- "-$pid" 2>/dev/null
wait "$pid"
rc=$?
check "Ctrl-C ends a run with 130 (got $rc)" [ "$rc" = 130 ]
check "nothing left running after Ctrl-C" none_left

"$vm" --no-such-option > /dev/null 2>&1
rc=$?
check "an unknown option exits 2 (got $rc)" [ "$rc" = 2 ]

# --kvm: use KVM only if a short probe boot succeeds, else say so and use TCG.
out=$("$vm" --kvm --timeout 120 -- 'echo ran' 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q '^ran$' <<<"$out" && none_left; then
	ok "--kvm runs the command, with KVM or after falling back to TCG"
else
	not_ok "--kvm runs the command, with KVM or after falling back to TCG (exit $rc)"
fi
grep -q 'using TCG' <<<"$out" && echo "# KVM probe failed here; the run used TCG"

exit $((failed > 0))
