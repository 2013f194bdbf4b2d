#!/bin/sh
# Run the ivgpu kselftests inside the VM and print their TAP output.
# Each program is framed by "# ivgpu-suite: NAME" and "# ivgpu-suite-exit: NAME RC"
# lines so the host can account for programs that die before finishing their
# plan.  Per-program time limit: "timeout=" of the kselftest settings file.
#
# usage: run-kselftests [NAME...]   (default: every program in tests/list)
cd /ivgpu/tests || exit 1
limit=$(sed -n 's/^timeout=//p' settings 2>/dev/null)
limit=${limit:-300}
names=${*:-$(cat list)}
rc=0
for name in $names; do
	echo "# ivgpu-suite: $name"
	timeout "$limit" "./$name"
	r=$?
	echo "# ivgpu-suite-exit: $name $r"
	[ $r -eq 0 ] || [ $r -eq 4 ] || rc=1
done
exit $rc
