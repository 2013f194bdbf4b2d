# ivgpu: top-level build.
#
#   make demo     install what is missing, build, boot a VM and show the device
#   make check    install what is missing, build, run every test (Debian's
#                 kernel and the debug kernel, both BAR configurations)
#   make check-debug  only the kselftests on the debug kernel
#   make check-long   make check, plus two more small-BAR configurations:
#                 1 window of 64 KiB, and 4 windows of 2 MiB over 256 MiB
#   make          build the module, the device model, the tests, the initramfs
#   make bench    benchmarks in seven VM boots; writes docs/perf.md (not a test)
#   make fuzz     a long UAPI fuzz in both BAR configurations (FUZZ_CALLS,
#                 FUZZ_SEED to replay)
#   make stress   processes and threads hammering objects for STRESS_TIME
#                 seconds (180) per BAR configuration, data checked
#                 (STRESS_KERNELS="debian debug", STRESS_ARGS="-s SEED")
#   make shell    a shell in a VM with the device (large BAR; SMALL=1 for small)
#   make lint     checkpatch --strict and sparse over the driver
#   make lint-debug  sparse over the driver and its KUnit suites (debug kernel)
#
# Everything built goes to build/, except the kernel module: Kbuild builds an
# external module in place (drivers/gpu/drm/ivgpu/ivgpu.ko).

BUILD		:= $(CURDIR)/build
ifndef KVER
KVER		:= $(shell qemu/kver.sh 2>/dev/null)
endif
KDIR		?= /lib/modules/$(KVER)/build
KSRC_TAR	?= /usr/src/linux-source-6.1.tar.xz
KSRC		:= $(BUILD)/linux-source-6.1
KSFT_DIR	:= $(KSRC)/tools/testing/selftests
TESTDIR		:= tools/testing/selftests/drivers/gpu/ivgpu
KO		:= drivers/gpu/drm/ivgpu/ivgpu.ko
INITRD		:= $(BUILD)/initramfs.cpio.gz
JOBS		?= $(shell nproc)

# Files taken from Debian's linux-source-6.1 at build time (never copied into
# the repository): the kselftest harness and the kernel's style checkers.
KSRC_FILES	:= tools/testing/selftests/lib.mk \
		   tools/testing/selftests/kselftest_harness.h \
		   tools/testing/selftests/kselftest.h \
		   scripts/checkpatch.pl scripts/spelling.txt \
		   scripts/const_structs.checkpatch scripts/kernel-doc

DRIVER_SRCS	:= $(filter-out %.mod.c,$(wildcard drivers/gpu/drm/ivgpu/*.[ch])) \
		   include/uapi/drm/ivgpu_drm.h
HOST_SRCS	:= $(wildcard qemu/*.c qemu/tests/*.c) drivers/gpu/drm/ivgpu/ivgpu_regs.h
TEST_SRCS	:= $(wildcard $(TESTDIR)/*.c $(TESTDIR)/*.h $(TESTDIR)/Makefile \
		   $(TESTDIR)/settings $(TESTDIR)/config) include/uapi/drm/ivgpu_drm.h
TOOL_SRCS	:= $(wildcard tools/ivgpu/*.c tools/ivgpu/*.h) tools/ivgpu/Makefile \
		   include/uapi/drm/ivgpu_drm.h
RIG_SRCS	:= qemu/mkinitramfs.sh qemu/guest-init.sh qemu/guest-kselftests.sh \
		   qemu/guest-stress.sh qemu/guest-kmemleak.sh qemu/guest-kunit.sh

.PHONY: all deps demo check check-debug check-long bench _demo _check _check-debug _check-long _bench debug module host tests tools initramfs shell \
	lint lint-debug check-host fuzz stress clean distclean

all: module host tests tools initramfs

deps:
	@qemu/install-deps.sh

# The two entry points: dependencies first, then a fresh make that sees them.
demo check check-debug check-long bench:
	@qemu/install-deps.sh
	@$(MAKE) --no-print-directory _$@

_demo: all
	@qemu/demo.sh

_check: all debug
	@qemu/check.sh

_check-debug: all debug
	@IVGPU_HOST=0 IVGPU_KERNELS=debug qemu/check.sh

_check-long: all debug
	@IVGPU_CONFIGS="large small small1 small4" qemu/check.sh

# The debug kernel (built once, cached outside the tree), ivgpu.ko for it and
# its initramfs.
debug: tests tools
	@qemu/debug-build.sh

_bench: all
	@qemu/bench.sh

# A long run of ivgpu_fuzz, large BAR then small; FUZZ_SEED=N replays a seed.
FUZZ_CALLS	?= 200000
fuzz: all
	qemu/ivgpu-vm --timeout 3600 -- \
		'IVGPU_FUZZ_CALLS=$(FUZZ_CALLS) $(if $(FUZZ_SEED),IVGPU_FUZZ_SEED=$(FUZZ_SEED)) ./tests/ivgpu_fuzz'
	qemu/ivgpu-vm --timeout 3600 --small-bar --vram 64M -- \
		'IVGPU_FUZZ_CALLS=$(FUZZ_CALLS) $(if $(FUZZ_SEED),IVGPU_FUZZ_SEED=$(FUZZ_SEED)) ./tests/ivgpu_fuzz'

# A long ivgpu-stress run in both BAR configurations; see qemu/stress.sh.
STRESS_TIME	?= 180
STRESS_KERNELS	?= debian
stress: all $(if $(filter debug,$(STRESS_KERNELS)),debug)
	STRESS_TIME='$(STRESS_TIME)' STRESS_KERNELS='$(STRESS_KERNELS)' \
		STRESS_ARGS='$(STRESS_ARGS)' qemu/stress.sh

module: $(KO)
$(KO): $(DRIVER_SRCS) Kbuild drivers/gpu/drm/ivgpu/Kbuild
	@test -n "$(KVER)" || { qemu/kver.sh; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) -j$(JOBS) modules

host:
	@$(MAKE) --no-print-directory -C qemu O=$(BUILD)/host

check-host: host
	@$(MAKE) --no-print-directory -C qemu O=$(BUILD)/host check

$(KSRC)/.stamp: $(KSRC_TAR)
	@mkdir -p $(BUILD)
	tar -xf $(KSRC_TAR) -C $(BUILD) $(addprefix linux-source-6.1/,$(KSRC_FILES))
	@touch $@

tests: $(BUILD)/ksft/.stamp
$(BUILD)/ksft/.stamp: $(KSRC)/.stamp $(TEST_SRCS)
	@mkdir -p $(BUILD)/ksft
	$(MAKE) --no-print-directory -C $(TESTDIR) KSFT_DIR=$(KSFT_DIR) OUTPUT=$(BUILD)/ksft
	@cp $(TESTDIR)/settings $(TESTDIR)/config $(BUILD)/ksft/
	@$(MAKE) --no-print-directory -s -C $(TESTDIR) KSFT_DIR=$(KSFT_DIR) \
		OUTPUT=$(BUILD)/ksft list-progs > $(BUILD)/ksft/list
	@touch $@

tools: $(BUILD)/tools/.stamp
$(BUILD)/tools/.stamp: $(TOOL_SRCS)
	@$(MAKE) --no-print-directory -C tools/ivgpu O=$(BUILD)/tools
	@touch $@

initramfs: $(INITRD)
$(INITRD): $(KO) $(BUILD)/ksft/.stamp $(BUILD)/tools/.stamp $(RIG_SRCS)
	qemu/mkinitramfs.sh -k $(KVER) -m $(KO) -t $(BUILD)/ksft -b $(BUILD)/tools \
		-x bochs -x vgem -o $@

shell: all
	qemu/ivgpu-vm $(if $(SMALL),--small-bar) --plain-ivshmem --shell

# The KUnit suites (drivers/gpu/drm/ivgpu/tests) build only against a kernel
# with KUnit: checkpatch and kernel-doc see them here, sparse in lint-debug.
KUNIT_SRCS	:= $(wildcard drivers/gpu/drm/ivgpu/tests/*.[ch])
lint: $(KSRC)/.stamp
	perl $(KSRC)/scripts/checkpatch.pl --no-tree --strict --terse -f $(DRIVER_SRCS) $(KUNIT_SRCS)
	perl $(KSRC)/scripts/kernel-doc -none $(DRIVER_SRCS) $(KUNIT_SRCS)
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules

# sparse over the driver and its KUnit suites as built for the debug kernel.
lint-debug: debug
	$(MAKE) -C $$(qemu/debug-kernel.sh)/obj M=$(BUILD)/debug/src C=2 modules

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	-$(MAKE) -C $(TESTDIR) KSFT_DIR=$(KSFT_DIR) OUTPUT=$(BUILD)/ksft clean 2>/dev/null
	rm -rf $(BUILD)/host $(BUILD)/ksft $(BUILD)/tools $(INITRD)

distclean: clean
	rm -rf $(BUILD)
