# Count TAP results framed by "# ivgpu-suite: NAME" / "# ivgpu-suite-exit: NAME RC".
# A program that stops before finishing its plan has its missing results
# counted as failures; one that exits non-zero without a failed result counts
# one failure; a suite with no exit line (the VM died) counts as failed.
# Prints "PASS FAIL SKIP" and a diagnostic line per problem to stderr.
function finish(rc) {
	if (plan > seen) {
		printf "# %s: %d of %d planned results missing\n", suite, plan - seen, plan > "/dev/stderr"
		fail += plan - seen
		sfail += plan - seen
	}
	if (rc != 0 && rc != 4 && sfail == 0) {
		printf "# %s: exited %s without a failed result\n", suite, rc > "/dev/stderr"
		fail++
	}
	if (plan == 0 && seen == 0 && rc == 0) {
		printf "# %s: ran no test\n", suite > "/dev/stderr"
		fail++
	}
	suite = ""
}
/^# ivgpu-suite: / { if (suite != "") finish(-1); suite = $3; plan = 0; seen = 0; sfail = 0; next }
/^# ivgpu-suite-exit: / { if (suite != "") finish($4); next }
suite != "" && /^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; next }
suite != "" && /^(not )?ok [0-9]+/ {
	seen++
	if ($1 == "not") { fail++; sfail++ }
	else if ($0 ~ /# [Ss][Kk][Ii][Pp]/) skip++
	else pass++
}
END {
	if (suite != "") {
		printf "# %s: no exit status (the VM stopped)\n", suite > "/dev/stderr"
		if (plan <= seen) { fail++ } else { fail += plan - seen }
	}
	printf "%d %d %d\n", pass, fail, skip
}
