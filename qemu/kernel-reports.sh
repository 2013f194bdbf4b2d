# Kernel reports that fail a run wherever they appear in a guest's kernel
# log, as one extended regular expression.  Sourced by qemu/check.sh and
# qemu/stress.sh so that both judge a guest's log the same way.
# shellcheck shell=bash disable=SC2034
dmesg_bad='BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|general protection|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|INFO: task .* blocked|suspected memory leak|ivgpu.*leak|probe of .* failed'
