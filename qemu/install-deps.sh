#!/bin/sh
# Install the Debian packages the project needs, only those that are missing.
# Run as root on Debian bookworm.  Idempotent: with everything present it
# returns at once without touching apt.
set -eu
pkgs="make gcc libc6-dev pkg-config cpio gzip xz-utils kmod perl
qemu-system-x86 qemu-system-data linux-image-amd64 linux-headers-amd64
busybox-static libdrm-dev linux-source-6.1 sparse
bc flex bison libelf-dev libssl-dev"
missing=
for p in $pkgs; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages and not root; run as root or install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
