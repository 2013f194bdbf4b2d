#!/bin/bash
# Build the debug guest kernel once, cached: Debian's linux-source-6.1,
# `make tinyconfig`, then qemu/debug-kernel.config merged on top.  The cache
# key is the source package's version and the config fragment, so a second
# run with nothing changed returns at once.
#
# Prints the directory of the result: bzImage, modules/ (an INSTALL_MOD_PATH
# tree with lib/modules/KVER), obj/ (the build tree, for M= module builds),
# kver.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# Outside the work tree, so fresh clones on the same machine share it.
build=${IVGPU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ivgpu}/debug-kernel
tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$here/debug-kernel.config
jobs=${JOBS:-$(( $(nproc) + 1 ))}

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
# Bump the suffix when a change to this script changes what it builds.
key=$( { echo "$srcver"; cat "$fragment"; echo build-1; } | sha256sum | cut -c1-16)
out=$build/$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

src=$build/src-$srcver
if [ ! -f "$src/.done" ]; then
	echo "debug-kernel: unpacking linux-source-6.1 $srcver" >&2
	rm -rf "$src" && mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
	touch "$src/.done"
fi

rm -rf "$out"
mkdir -p "$out/obj"
obj=$out/obj
echo "debug-kernel: configuring in $obj" >&2
make -s -C "$src" O="$obj" tinyconfig > /dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" > /dev/null
make -s -C "$src" O="$obj" olddefconfig > /dev/null

# Every option of the fragment must have survived Kconfig's dependencies.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=n)
		opt=${line%%=*}
		if grep -q "^$opt=" "$obj/.config"; then
			echo "debug-kernel: should be off: $opt" >&2
			missing=1
		fi ;;
	CONFIG_*) grep -qx "$line" "$obj/.config" || { echo "debug-kernel: not set: $line" >&2; missing=1; } ;;
	esac
done < "$fragment"
[ "$missing" = 0 ] || { echo "debug-kernel: the configuration lost options" >&2; exit 1; }

echo "debug-kernel: building with $jobs jobs (about 6 minutes on 2 cores)" >&2
start=$(date +%s)
make -s -C "$src" O="$obj" -j"$jobs" bzImage modules >&2
make -s -C "$src" O="$obj" INSTALL_MOD_PATH="$out/modules" modules_install >&2
cp "$obj/arch/x86/boot/bzImage" "$out/bzImage"
make -s -C "$src" O="$obj" kernelrelease > "$out/kver"
echo "debug-kernel: built in $(( $(date +%s) - start )) s" >&2
touch "$out/.done"
echo "$out"
