#!/bin/sh
# kmemleak check in the VM, as one TAP result.
#   kmemleak-check start   forget what boot left (scan, then clear)
#   kmemleak-check report  scan twice (objects must be 5 s old to count) and
#                          fail if anything unreferenced remains
km=/sys/kernel/debug/kmemleak
[ -e $km ] || { echo "# kmemleak: not in this kernel"; exit 0; }
case $1 in
start)
	echo scan > $km
	echo clear > $km
	;;
report)
	echo "# ivgpu-suite: kmemleak"
	echo "1..1"
	echo scan > $km
	sleep 6
	echo scan > $km
	if [ -s $km ]; then
		sed 's/^/# /' $km | head -n 200
		echo "not ok 1 - kmemleak: unreferenced objects after the tests"
	else
		echo "ok 1 - kmemleak: no unreferenced object after the tests"
	fi
	echo "# ivgpu-suite-exit: kmemleak 0"
	;;
esac
