#!/bin/bash
# Tests of qemu/guest-kunit.sh, the conversion of KUnit's KTAP (from the
# kernel log) into the framed TAP that qemu/tap-count.awk counts, run on
# the host with fake insmod, rmmod and dmesg: every case counts once,
# failures and skips count as such, nested parameter results do not count,
# and a suite that crashes, does not start, does not run or is not listed
# counts as failed.
#
# usage: test-kunit-tap.sh
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ivgpu-kunit-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

mkdir -p "$scratch/bin" "$scratch/kunit"
# insmod appends the KTAP the case prepared to the fake kernel log.
cat > "$scratch/bin/insmod" <<'EOT'
#!/bin/sh
cat "$FAKE_KTAP" >> "$IVGPU_KMSG"
exit "${FAKE_INSMOD_RC:-0}"
EOT
printf '#!/bin/sh\ncat "$IVGPU_KMSG"\n' > "$scratch/bin/dmesg"
printf '#!/bin/sh\nexit 0\n' > "$scratch/bin/rmmod"
chmod +x "$scratch/bin/"*
# The guest's tools are busybox's: use its awk and sed here too.  (Its sh
# would run its own insmod applet rather than the fake: dash runs the script.)
for tool in awk sed; do
	ln -s /bin/busybox "$scratch/bin/$tool"
done
export PATH=$scratch/bin:$PATH IVGPU_KUNIT_DIR=$scratch/kunit IVGPU_KMSG=$scratch/kmsg
export FAKE_KTAP=$scratch/ktap

n=0 failed=0
# run NAME "PASS FAIL SKIP" LIST: the kernel log is on stdin.
run() {
	local what=$1 want=$2 got
	echo "$3" > "$scratch/kunit/list"
	cat > "$FAKE_KTAP"
	# Something the kernel said before the module was loaded is not read.
	echo "    ok 99 from before the mark" > "$IVGPU_KMSG"
	sh "$here/guest-kunit.sh" > "$scratch/out.tap" 2>&1
	got=$(awk -f "$here/tap-count.awk" "$scratch/out.tap" 2>/dev/null)
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - $what"
	else
		failed=$((failed + 1))
		echo "not ok $n - $what: counted \"$got\", want \"$want\""
		sed 's/^/#   /' "$scratch/out.tap"
	fi
}

echo "TAP version 13"
echo "1..9"

run "passing suites: one result per case" "5 0 0" "m.ko suite_a suite_b" <<'EOT'
    KTAP version 1
    # Subtest: suite_a
    1..3
    ok 1 a_one
    ok 2 a_two
    ok 3 a_three
# suite_a: pass:3 fail:0 skip:0 total:3
# Totals: pass:3 fail:0 skip:0 total:3
ok 1 suite_a
    KTAP version 1
    # Subtest: suite_b
    1..2
    ok 1 b_one
    ok 2 b_two
ok 2 suite_b
EOT

run "kernel-log timestamps are ignored" "2 0 0" "m.ko suite_a" <<'EOT'
[    5.101010]     KTAP version 1
[    5.101020]     # Subtest: suite_a
[    5.101030]     1..2
[    5.101040]     ok 1 a_one
[    5.101050] ivgpu 0000:00:02.0: [drm] something else the kernel said
[    5.101060]     ok 2 a_two
[    5.101070] ok 1 suite_a
EOT

run "a failed case counts as failed, and only once" "1 1 0" "m.ko suite_a" <<'EOT'
    KTAP version 1
    # Subtest: suite_a
    1..2
    # a_one: EXPECTATION FAILED at drivers/gpu/drm/ivgpu/tests/x.c:10
    Expected x == y, but
        x == 1
        y == 2
    not ok 1 a_one
    ok 2 a_two
not ok 1 suite_a
EOT

run "a skipped case counts as skipped" "1 0 1" "m.ko suite_a" <<'EOT'
    KTAP version 1
    # Subtest: suite_a
    1..2
    ok 1 a_one # SKIP not on this machine
    ok 2 a_two
ok 1 suite_a
EOT

run "a parameterised case counts once, its parameters not at all" "2 0 0" "m.ko suite_a" <<'EOT'
    KTAP version 1
    # Subtest: suite_a
    1..2
        KTAP version 1
        # Subtest: a_param
        ok 1 zero
        ok 2 one
        ok 3 two
    ok 1 a_param
    ok 2 a_two
ok 1 suite_a
EOT

run "a suite that stops (a crash) counts its missing cases, and a suite after it that never ran" \
	"1 3 0" "m.ko suite_a suite_b" <<'EOT'
    KTAP version 1
    # Subtest: suite_a
    1..3
    ok 1 a_one
BUG: kernel NULL pointer dereference, address: 0000000000000000
EOT

FAKE_INSMOD_RC=1 run "a module that does not load fails every suite it lists" "0 2 0" \
	"m.ko suite_a suite_b" < /dev/null

run "a suite whose init fails counts as failed" "2 1 0" "m.ko suite_a suite_b" <<'EOT'
    # failed to initialize (-12)
not ok 1 suite_a
    KTAP version 1
    # Subtest: suite_b
    1..2
    ok 1 b_one
    ok 2 b_two
ok 2 suite_b
EOT

run "a suite that runs but is not listed counts as failed" "2 1 0" "m.ko suite_a" <<'EOT'
    KTAP version 1
    # Subtest: suite_a
    1..1
    ok 1 a_one
ok 1 suite_a
    KTAP version 1
    # Subtest: suite_new
    1..1
    ok 1 new_one
ok 2 suite_new
EOT

[ "$failed" -eq 0 ]
