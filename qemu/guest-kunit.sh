#!/bin/sh
# Run the KUnit suites of the modules in /ivgpu/kunit inside the VM and print
# their results as TAP, each suite framed like a kselftest program:
#   # ivgpu-suite: kunit-SUITE ... # ivgpu-suite-exit: kunit-SUITE RC
# so that qemu/tap-count.awk counts every KUnit case once.  KUnit runs a
# module's suites when the module is loaded and prints KTAP to the kernel
# log; this script loads each module, takes the log from a mark it wrote
# just before, converts it, and unloads the module.
#
# /ivgpu/kunit/list has one line per module: "FILE.ko SUITE..." (the suites
# it must run; qemu/debug-build.sh writes it).  A listed suite that does not
# run, or does not finish, counts as failed; so does a suite that runs but
# is not listed.
#
# usage: run-kunit
# (IVGPU_KUNIT_DIR and IVGPU_KMSG replace /ivgpu/kunit and /dev/kmsg for
# qemu/tests/test-kunit-tap.sh, which runs this on the host with fakes.)
dir=${IVGPU_KUNIT_DIR:-/ivgpu/kunit}
kmsg=${IVGPU_KMSG:-/dev/kmsg}
[ -f "$dir/list" ] || { echo "# kunit: no KUnit module in this initramfs"; exit 0; }

uptime_cs() { # hundredths of a second since boot
	read -r up _ < /proc/uptime
	echo "${up%.*}${up#*.}"
}

rc=0
while read -r ko suites; do
	case $ko in '' | '#'*) continue ;; esac
	mark="ivgpu-kunit: loading $ko ($$)"
	echo "$mark" > "$kmsg"
	t0=$(uptime_cs)
	insmod "$dir/$ko" > /tmp/kunit-insmod.txt 2>&1
	r=$?
	t1=$(uptime_cs)
	[ $r -eq 0 ] || sed "s/^/# kunit: insmod $ko: /" /tmp/kunit-insmod.txt
	dmesg | sed -n "/$mark/,\$p" | awk -v want="$suites" -v ko="$ko" -v insmod_rc=$r '
	function strip(l) {
		sub(/^<[0-9]+>/, "", l)
		sub(/^\[[ 0-9.]*\] ?/, "", l)
		return l
	}
	function fail_suite(name, why) {
		print "# ivgpu-suite: kunit-" name
		print "1..1"
		print "not ok 1 - " why
		print "# ivgpu-suite-exit: kunit-" name " 1"
		bad = 1
	}
	function end_suite(r) {
		print "# ivgpu-suite-exit: kunit-" suite " " r
		if (!(suite in wanted))
			fail_suite(suite "-unlisted", "suite " suite " of " ko " ran but is not in the list")
		suite = ""
	}
	BEGIN {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++)
			wanted[w[i]] = 1
		suite = ""
	}
	{ line = strip($0) }
	line ~ /^    # Subtest: / {
		if (suite != "")
			end_suite(1)
		suite = substr(line, 16)
		ran[suite] = 1
		print "# ivgpu-suite: kunit-" suite
		next
	}
	suite != "" && line ~ /^    1\.\.[0-9]+$/ { print substr(line, 5); next }
	suite != "" && line ~ /^    (not )?ok [0-9]+ / { print substr(line, 5); next }
	line ~ /^(not )?ok [0-9]+ / {
		# A suite result: "ok N NAME" or "not ok N NAME".
		name = line
		sub(/^(not )?ok [0-9]+ /, "", name)
		sub(/ .*/, "", name)
		if (suite == "") {
			# The suite failed before its first case (its init failed).
			if (name in wanted) {
				ran[name] = 1
				fail_suite(name, "suite " name " did not start (see the kernel log)")
			}
			next
		}
		end_suite(line ~ /^not / ? 1 : 0)
		next
	}
	suite != "" && line ~ /^[ #]/ { sub(/^ +/, "", line); sub(/^# /, "", line); print "# " line }
	END {
		if (suite != "") {
			print "# kunit: suite " suite " did not finish (insmod exit " insmod_rc ")"
			end_suite(1)
		}
		for (i = 1; i <= n; i++)
			if (!(w[i] in ran))
				fail_suite(w[i], "suite " w[i] " of " ko " did not run (insmod exit " insmod_rc ")")
		exit bad
	}' || rc=1
	echo "# kunit: $ko: loading and running took $(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 )) s"
	if [ $r -eq 0 ] && ! rmmod "${ko%.ko}"; then
		echo "# kunit: rmmod ${ko%.ko} failed"
		rc=1
	fi
done < "$dir/list"
exit $rc
