#!/bin/busybox sh
# /init of the ivgpu test VM.  Mounts the usual filesystems, loads the modules
# ivgpu.ko depends on (and ivgpu.ko itself unless told not to), runs /cmd.sh
# with its output on ttyS1, then reports the exit status and the kernel log on
# ttyS2 and powers off.  ttyS0 is the kernel console.  The runner on the host
# (qemu/ivgpu-vm) reads ttyS1 and ttyS2.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/ivgpu/bin HOME=/root
mkdir -p /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

out=/dev/ttyS1
meta=/dev/ttyS2
for t in $out $meta; do
	stty -F $t raw -echo 115200 2>/dev/null
done

[ -f /env.sh ] && . /env.sh

while read -r m; do
	insmod "$m" || echo "init: insmod $m failed" > $out
done < /etc/ivgpu/modules.order

if [ "${IVGPU_LOAD:-1}" = 1 ]; then
	insmod /ivgpu/ivgpu.ko || echo "init: insmod ivgpu.ko failed" > $out
fi

if [ "${IVGPU_SHELL:-0}" = 1 ]; then
	echo "ivgpu VM shell; 'poweroff -f' (or Ctrl-D) ends it."
	setsid cttyhack sh -l
	rc=$?
else
	cd /ivgpu || exit 1
	sh /cmd.sh > $out 2>&1
	rc=$?
fi

{
	echo "IVGPU-EXIT $rc"
	echo "IVGPU-DMESG-BEGIN"
	dmesg
	echo "IVGPU-DMESG-END"
} > $meta
sync
poweroff -f
