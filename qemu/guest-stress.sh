#!/bin/sh
# Run ivgpu-stress in the VM as one framed TAP suite ("# ivgpu-suite:
# ivgpu-stress" ... "# ivgpu-suite-exit: ivgpu-stress RC"), which the host
# counts like the kselftests.  Installed as /ivgpu/bin/run-stress.
#
# usage: run-stress SECONDS [ivgpu-stress options...]
t=${1:-20}
[ $# -gt 0 ] && shift
echo "# ivgpu-suite: ivgpu-stress"
ivgpu-stress --tap -t "$t" "$@"
r=$?
echo "# ivgpu-suite-exit: ivgpu-stress $r"
exit $r
