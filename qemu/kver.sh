#!/bin/sh
# Print the version of the newest installed kernel that has both an image in
# /boot and matching headers (/lib/modules/VER/build).  The module is built
# against those headers and the VM boots that image, so they must match.
# Works whatever Debian's ABI number is; exits 1 with a hint when none fits.
set -eu
best=
for build in /lib/modules/*/build; do
	[ -d "$build" ] || continue
	ver=${build#/lib/modules/}
	ver=${ver%/build}
	[ -r "/boot/vmlinuz-$ver" ] || continue
	[ -f "/lib/modules/$ver/modules.dep" ] || continue
	best=$(printf '%s\n%s\n' "$best" "$ver" | sed '/^$/d' | sort -V | tail -n 1)
done
if [ -z "$best" ]; then
	echo "kver.sh: no kernel with both /boot/vmlinuz-VER and /lib/modules/VER/build;" \
		"install linux-image-amd64 and linux-headers-amd64 (make deps)" >&2
	exit 1
fi
echo "$best"
