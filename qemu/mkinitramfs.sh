#!/bin/bash
# Build the guest's initramfs: busybox-static, the modules ivgpu.ko needs from
# the installed Debian kernel (resolved through modinfo and modules.dep, in load
# order), ivgpu.ko itself, the statically linked test programs and the init
# script.  The runner (qemu/ivgpu-vm) appends a small archive with the command
# to run.
#
# usage: mkinitramfs.sh -k KVER -m ivgpu.ko -t TESTDIR -o OUT.cpio.gz
#                       [-x extra_module]... [-b bindir] [-d MODROOT] [-u KUNITDIR]
# -d: the modules are under MODROOT/lib/modules/KVER (a kernel built with
# INSTALL_MOD_PATH=MODROOT) instead of the installed kernel's.
# -u: KUnit test modules and their list, for /ivgpu/bin/run-kunit
# (qemu/guest-kunit.sh), go to /ivgpu/kunit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kver= ko= tests= out= bindir= modroot= kunit=
extra=()
while getopts "k:m:t:o:x:b:d:u:" opt; do
	case $opt in
	k) kver=$OPTARG ;;
	m) ko=$OPTARG ;;
	t) tests=$OPTARG ;;
	o) out=$OPTARG ;;
	x) extra+=("$OPTARG") ;;
	b) bindir=$OPTARG ;;
	d) modroot=$OPTARG ;;
	u) kunit=$OPTARG ;;
	*) echo "usage: $0 -k KVER -m ivgpu.ko -t TESTDIR -o OUT [-x MOD]... [-b BINDIR]" >&2
	   exit 2 ;;
	esac
done
[ -n "$kver" ] && [ -n "$ko" ] && [ -n "$tests" ] && [ -n "$out" ] || {
	echo "mkinitramfs.sh: -k, -m, -t and -o are required" >&2; exit 2; }

moddir=$modroot/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || { echo "mkinitramfs.sh: no $moddir/modules.dep" >&2; exit 1; }
busybox=/bin/busybox	# from busybox-static: the guest has no libc
[ -x "$busybox" ] || { echo "mkinitramfs.sh: busybox-static is not installed" >&2; exit 1; }

root=$(mktemp -d "${TMPDIR:-/tmp}/ivgpu-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

# name -> path (relative to $moddir) for every module of the kernel; module
# names use '_' where file names may use '-'.
declare -A modpath
while IFS=: read -r path _; do
	name=${path##*/}
	name=${name%%.ko*}
	modpath[${name//-/_}]=$path
done < "$moddir/modules.dep"

# Depth-first over modinfo's "depends", so every module follows what it needs.
# Modules needed by ivgpu.ko go to "order" (loaded at boot); those only the
# extra modules (-x: peers for benchmarks) need go to "extra_order", loaded
# on request by /ivgpu/bin/load-extra-modules.
declare -A seen
order=()
extra_order=()
into=order
visit() { # $1: module name, $2: file
	local name=${1//-/_} file=$2 dep deps
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	deps=$(modinfo -F depends "$file")
	for dep in ${deps//,/ }; do
		dep=${dep//-/_}
		[ -n "${modpath[$dep]:-}" ] || {
			echo "mkinitramfs.sh: $name needs $dep, not in $moddir" >&2; exit 1; }
		visit "$dep" "$moddir/${modpath[$dep]}"
	done
	if [ "$file" != "$ko" ]; then
		local -n list=$into
		list+=("${modpath[$name]}")
	fi
}
visit ivgpu "$ko"
into=extra_order
for m in "${extra[@]}"; do
	m=${m//-/_}
	[ -n "${modpath[$m]:-}" ] || { echo "mkinitramfs.sh: no module $m" >&2; exit 1; }
	visit "$m" "$moddir/${modpath[$m]}"
done

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc/ivgpu,ivgpu/tests,ivgpu/bin} \
	"$root/lib/modules/$kver"
cp "$busybox" "$root/bin/busybox"
# busybox insmod takes plain .ko files: decompress whatever Debian compressed.
: > "$root/etc/ivgpu/modules.order"
: > "$root/etc/ivgpu/extra-modules.order"
install_module() { # $1: path relative to $moddir, $2: order file
	local rel=$1 dest=/lib/modules/$kver/${1%.ko*}.ko
	mkdir -p "$root$(dirname "$dest")"
	case $rel in
	*.ko.xz) xz -dc "$moddir/$rel" > "$root$dest" ;;
	*.ko.zst) zstd -qdc "$moddir/$rel" > "$root$dest" ;;
	*.ko.gz) gzip -dc "$moddir/$rel" > "$root$dest" ;;
	*) cp "$moddir/$rel" "$root$dest" ;;
	esac
	echo "$dest" >> "$2"
}
for rel in "${order[@]}"; do
	install_module "$rel" "$root/etc/ivgpu/modules.order"
done
for rel in "${extra_order[@]}"; do
	install_module "$rel" "$root/etc/ivgpu/extra-modules.order"
done
cp "$ko" "$root/ivgpu/ivgpu.ko"
cp -r "$tests"/. "$root/ivgpu/tests/"
[ -z "$bindir" ] || cp -r "$bindir"/. "$root/ivgpu/bin/"
[ -z "$kunit" ] || { mkdir -p "$root/ivgpu/kunit" && cp -r "$kunit"/. "$root/ivgpu/kunit/"; }
cp "$here/guest-init.sh" "$root/init"
cp "$here/guest-kselftests.sh" "$root/ivgpu/run-kselftests"
cp "$here/guest-kmemleak.sh" "$root/ivgpu/bin/kmemleak-check"
cp "$here/guest-stress.sh" "$root/ivgpu/bin/run-stress"
cp "$here/guest-kunit.sh" "$root/ivgpu/bin/run-kunit"
printf '#!/bin/sh\n# Load the modules built in for benchmarks (bochs, vgem and what they need).\nwhile read -r m; do insmod "$m" || exit 1; done < /etc/ivgpu/extra-modules.order\n' \
	> "$root/ivgpu/bin/load-extra-modules"
chmod +x "$root/init" "$root/ivgpu/run-kselftests" "$root/ivgpu/bin/load-extra-modules" \
	"$root/ivgpu/bin/kmemleak-check" "$root/ivgpu/bin/run-stress" "$root/ivgpu/bin/run-kunit"
echo "$kver" > "$root/etc/ivgpu/kver"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) \
	| gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out ($(du -h "$out" | cut -f1)), modules: ${order[*]:-none};" \
	"on request: ${extra_order[*]:-none}"
