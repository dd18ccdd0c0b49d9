# SPDX-License-Identifier: GPL-2.0
#
# ipcoff: top-level entry.  Everything generated goes to build/.
#
#   make                 module for KDIR, libipcoff, tools, selftests
#   make module KDIR=..  ipcoff.ko against any kernel tree
#   make modules-all     ipcoff.ko for every kernel scripts/select-kernels picks
#   make lib|tools|examples|selftests
#   make check           lint, builds, dkms, then the selftests in a QEMU
#                        guest per kernel (what CI runs)
#   make demo            ipcoff-demo in a 6.1 guest
#   make bench           ipcoff-bench in a 6.1 guest: table, JSON and plot in
#                        build/bench/ (BENCH=--quick or --full; see
#                        Documentation/bench.rst)
#   make bench-sched     the scheduler's run: auto against forced engines,
#                        5 runs per case, in build/bench-sched/
#   make bench-rdma      the rdma transport against shm in one rdma guest
#                        (build/bench-rdma/); bench-rdma-pair: between two
#                        (build/bench-rdma-pair/)
#   make install         library, headers, pkg-config file, udev rule
#   make clean
#
# V=1 shows full commands.  See scripts/run-guest for the guest's knobs.

SHELL := /bin/bash
.DEFAULT_GOAL := all

# dkms.conf holds the project's only copy of the version.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\([^"]*\)".*/\1/p' dkms.conf)
ifeq ($(VERSION),)
$(error cannot read PACKAGE_VERSION from dkms.conf)
endif

BUILD := $(abspath build)
LIB_OUT := $(BUILD)/user/lib
TOOLS_OUT := $(BUILD)/user/tools
SELFTESTS_OUT := $(BUILD)/user/selftests
KSFT_INC := $(BUILD)/ksrc/tools/testing/selftests

# The running kernel's headers when it has them; otherwise (a build host
# running some other kernel) the 6.1 line's.  Evaluated only when used.
KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),$(shell \
	IPCOFF_KERNELS=6.1 scripts/select-kernels --kdir | cut -d' ' -f3))

PREFIX ?= /usr/local
UDEVRULESDIR ?= /etc/udev/rules.d

all: module lib tools examples selftests

module:
	@test -n "$(KDIR)" || { echo "no KDIR: pass KDIR=<kernel tree>" >&2; exit 1; }
	+@scripts/build-module "$(KDIR)"

modules-all:
	+@set -e; scripts/select-kernels --kdir | while read -r line kver kdir; do \
		scripts/build-module "$$kdir"; \
	done

lib:
	+$(MAKE) -C libipcoff O=$(LIB_OUT)

tools: lib
	+$(MAKE) -C tools O=$(TOOLS_OUT) LIBDIR=$(LIB_OUT)

# Documentation/channels.rst's examples, so they keep compiling.
examples: lib
	+$(MAKE) -C examples O=$(BUILD)/user/examples LIBDIR=$(LIB_OUT)

# libipcoff's and the operator tools' own tests, natively under ASan and
# UBSan (no module needed).
check-native:
	+$(MAKE) -C libipcoff O=$(LIB_OUT) check-native
	+$(MAKE) -C tools O=$(TOOLS_OUT) LIBDIR=$(LIB_OUT) check-native

ksrc:
	@scripts/extract-ksrc

selftests: lib ksrc
	+$(MAKE) -C selftests O=$(SELFTESTS_OUT) KSFT_INC=$(KSFT_INC) \
		LIBDIR=$(LIB_OUT)

lint:
	@scripts/lint

dkms-check:
	@scripts/dkms-check

check:
	+@MAKE="$(MAKE)" scripts/check

demo:
	@scripts/install-deps
	+@set -e; read -r line kver kdir < <(IPCOFF_KERNELS=6.1 scripts/select-kernels --kdir); \
	scripts/build-module "$$kdir"; \
	$(MAKE) --no-print-directory tools; \
	scripts/run-guest "$$kver" --demo

bench:
	+@scripts/bench $(BENCH)

bench-sched:
	+@scripts/bench --sched $(BENCH)

# The rdma transport against shm in one rdma guest, and between two; by
# hand only (not in make check: they take minutes of TCG).
bench-rdma:
	+@scripts/bench --rdma $(BENCH)

bench-rdma-pair:
	+@scripts/bench --rdma-pair $(BENCH)

install: lib tools
	+$(MAKE) -C libipcoff O=$(LIB_OUT) PREFIX=$(PREFIX) install
	+$(MAKE) -C tools O=$(TOOLS_OUT) LIBDIR=$(LIB_OUT) PREFIX=$(PREFIX) install
	install -D -m 644 scripts/60-ipcoff.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-ipcoff.rules

clean:
	rm -rf build

.PHONY: all module modules-all lib tools examples ksrc selftests lint dkms-check check-native \
	check demo bench bench-sched bench-rdma bench-rdma-pair install clean
