#!/bin/bash
# Build ivgpu.ko and the KUnit module ivgpu_kunit.ko against the debug
# kernel (qemu/debug-kernel.sh) and an initramfs around them:
# build/debug/initramfs.cpio.gz.  Kbuild builds an external module in its
# own directory, so the sources are copied to build/debug/src first: the
# tree's objects stay those of Debian's kernel.
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

# The KUnit module (the debug kernel has KUnit) and the suites it must run:
# the name of every struct kunit_suite of drivers/gpu/drm/ivgpu/tests.
kunit=$build/debug/kunit
rm -rf "$kunit"
mkdir -p "$kunit"
cp "$src/drivers/gpu/drm/ivgpu/tests/ivgpu_kunit.ko" "$kunit/"
suites=$(awk '/^static struct kunit_suite /{ s = 1 }
	s && /\.name = "/{ match($0, /"[^"]*"/); print substr($0, RSTART + 1, RLENGTH - 2); s = 0 }' \
	"$top"/drivers/gpu/drm/ivgpu/tests/*.c)
echo "ivgpu_kunit.ko" $suites > "$kunit/list"

"$here/mkinitramfs.sh" -k "$kver" -d "$dk/modules" -m "$src/drivers/gpu/drm/ivgpu/ivgpu.ko" \
	-t "$build/ksft" -b "$build/tools" -u "$kunit" -o "$build/debug/initramfs.cpio.gz"
