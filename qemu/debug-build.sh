#!/bin/bash
# Build ivgpu.ko against the debug kernel (qemu/debug-kernel.sh) and an
# initramfs around it: build/debug/initramfs.cpio.gz.  Kbuild builds an
# external module in its own directory, so the sources are copied to
# build/debug/src first: the tree's objects stay those of Debian's kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=${IVGPU_BUILD:-$top/build}
dk=$("$here/debug-kernel.sh")
kver=$(cat "$dk/kver")
src=$build/debug/src

mkdir -p "$src"
(cd "$top" && find Kbuild drivers include -type f \( -name Kbuild -o -name '*.[ch]' \) \
	! -name '*.mod.c' | cpio -pdmu --quiet "$src")
make -s -C "$dk/obj" M="$src" -j"$(nproc)" modules
"$here/mkinitramfs.sh" -k "$kver" -d "$dk/modules" -m "$src/drivers/gpu/drm/ivgpu/ivgpu.ko" \
	-t "$build/ksft" -b "$build/tools" -o "$build/debug/initramfs.cpio.gz"
