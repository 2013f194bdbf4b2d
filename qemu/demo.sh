#!/bin/bash
# make demo: boot a VM in each BAR configuration, load ivgpu.ko and show
# what the driver found.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
show='dmesg | grep -E "ivgpu.*(ivgpu|VRAM|BAR)" | sed "s/^/  kernel: /"; ivgpu-info && echo && ivgpu-mmdemo'
echo "== ivgpu demo: large BAR (256 MiB of VRAM, all of it in BAR2)"
"$here/ivgpu-vm" --vram 256M --timeout 300 -- "$show"
echo
echo "== ivgpu demo: small BAR (64 MiB of VRAM behind 2 windows of 1 MiB)"
"$here/ivgpu-vm" --small-bar --vram 64M --windows 2 --window-size 1M --timeout 300 -- "$show"
