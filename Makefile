# hckns — see README.md.  `make`, `make check`, `make install`.
VERSION     := 0.1.0
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBEXECDIR  ?= $(PREFIX)/libexec
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
APPARMORDIR ?= /etc/apparmor.d
DESTDIR     ?=
BUILDDIR    ?= build

CC          ?= cc
PKG_CONFIG  ?= pkg-config
WERROR      ?= -Werror
WARN        := -Wall -Wextra $(WERROR) -Wswitch-enum -Werror=format-security \
               -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS      ?= -O2 -g
ALL_CFLAGS  := -std=gnu11 -D_GNU_SOURCE $(WARN) -I. -Iinclude -I$(BUILDDIR)/gen $(CFLAGS) \
               -DHCKNS_VERSION='"$(VERSION)"' \
               -DHCKNS_LIBEXECDIR='"$(LIBEXECDIR)/hckns"'
ifeq ($(SANITIZE),1)
ALL_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined -DHCKNS_SANITIZE=1
LDFLAGS     += -fsanitize=address,undefined
endif

# Not needed (and maybe not installed yet) for `make deps`.
ifeq ($(filter deps bench-deps,$(MAKECMDGOALS)),)
NL_CFLAGS   := $(shell $(PKG_CONFIG) --cflags libnl-route-3.0)
NL_LIBS     := $(shell $(PKG_CONFIG) --libs libnl-route-3.0)
CAPNG_LIBS  := $(shell $(PKG_CONFIG) --libs libcap-ng)
SECCOMP_CFLAGS := $(shell $(PKG_CONFIG) --cflags libseccomp)
SECCOMP_LIBS:= $(shell $(PKG_CONFIG) --libs libseccomp)
CHECK_CFLAGS:= $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS  := $(shell $(PKG_CONFIG) --libs check)
JSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson)
JSON_LIBS   := $(shell $(PKG_CONFIG) --libs jansson)
endif

# The tree is the process tree (doc/design.md, "Code layout"): frontend/
# the hckns process, keeper/ the keeper and slirp4netns, cmd/ the
# short-lived clients, common/ what they share, model/ the pure core
# (options, topology, forward specs, control lines, subids, slirp's JSON:
# no system calls; the fuzz harnesses link model/ and the helper protocol
# only, so the linker keeps it pure), protocol/ both wire protocols.
PROTO_SRC   := protocol/proto.c
HELPER_SRC  := helper/hckns-helper.c
MODEL_SRC   := $(wildcard model/*.c)
FE_SRC      := $(filter-out frontend/main.c,$(wildcard frontend/*.c)) \
               $(wildcard keeper/*.c cmd/*.c common/*.c) $(MODEL_SRC) \
               protocol/keeper.c
HDR_ALL     := $(wildcard include/hckns/*.h frontend/*.h keeper/*.h cmd/*.h \
               common/*.h model/*.h)
UNIT_SRC    := $(wildcard tests/unit/*.c)

obj = $(patsubst %.c,$(BUILDDIR)/obj/%.o,$(1))

HCKNS       := $(BUILDDIR)/hckns
HELPER      := $(BUILDDIR)/hckns-helper
UNIT        := $(BUILDDIR)/unit-tests

all: $(HCKNS) $(HELPER)

$(BUILDDIR)/obj/%.o: %.c $(HDR_ALL) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(NL_CFLAGS) $(SECCOMP_CFLAGS) $(CHECK_CFLAGS) $(JSON_CFLAGS) -c $< -o $@

# The helper links only the protocol code, libnl-route-3 and libcap-ng
# (its seccomp filter and its uplink guard's tc requests are made at build
# time, below: it uses libnl's link, address and route code, no tc code).
# libnl is linked statically, libc and libcap-ng dynamically: shared, libnl-route-3's
# constructors (one per link type, qdisc and classifier it knows) fault in
# nearly all of its text, pages no other process maps, and the helper's
# PSS is about 1.0 MiB instead of 0.55 (BENCHMARKS.md).  HELPER_LIBNL=shared
# links libnl dynamically, for a distribution that wants libnl's fixes
# without rebuilding hckns.
HELPER_LIBNL ?= static
ifeq ($(HELPER_LIBNL),static)
HELPER_NL_LIBS = -Wl,-Bstatic $(NL_LIBS) -Wl,-Bdynamic -lpthread
else
HELPER_NL_LIBS = $(NL_LIBS)
endif
$(HELPER): $(call obj,$(HELPER_SRC) $(PROTO_SRC))
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(HELPER_NL_LIBS) $(CAPNG_LIBS)

# The helper's seccomp filter: helper/filter-gen.c states it with libseccomp
# and prints the compiled BPF as a C array, at build time only.
FILTER_GEN  := $(BUILDDIR)/filter-gen
FILTER_H    := $(BUILDDIR)/gen/helper-filter.h
$(FILTER_GEN): helper/filter-gen.c helper/filter.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SECCOMP_CFLAGS) $< -o $@ $(LDFLAGS) $(SECCOMP_LIBS)
$(FILTER_H): $(FILTER_GEN)
	@mkdir -p $(dir $@)
	$(FILTER_GEN) >$@.tmp && mv $@.tmp $@

# The uplink guard's netlink requests: helper/guard-gen.c builds them with
# libnl-route-3 and prints them as C arrays, at build time only (why that
# is safe: its comment); the helper sends them with tap_host's ifindex.
GUARD_GEN   := $(BUILDDIR)/guard-gen
GUARD_H     := $(BUILDDIR)/gen/helper-guard.h
$(GUARD_GEN): helper/guard-gen.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(NL_CFLAGS) $< -o $@ $(LDFLAGS) $(NL_LIBS)
$(GUARD_H): $(GUARD_GEN)
	@mkdir -p $(dir $@)
	$(GUARD_GEN) >$@.tmp && mv $@.tmp $@
$(call obj,$(HELPER_SRC)): $(FILTER_H) $(GUARD_H) helper/filter.h

$(HCKNS): $(call obj,frontend/main.c $(FE_SRC) $(PROTO_SRC))
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(JSON_LIBS) -ldl

$(UNIT): $(call obj,$(UNIT_SRC) $(FE_SRC) $(PROTO_SRC))
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(CHECK_LIBS) $(JSON_LIBS) -ldl

# Drives a real helper with raw protocol bytes (tests/integration/t-helper.sh).
PROBE       := $(BUILDDIR)/helper-probe
$(PROBE): $(call obj,tests/tools/helper-probe.c $(FE_SRC) $(PROTO_SRC))
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(JSON_LIBS) -ldl

# An LD_PRELOAD shim that makes the helper call what its seccomp filter
# forbids, while it serves (t-helper.sh).  Never sanitized: it is loaded
# into a sanitized helper too, and only makes one system call.
SECCOMP_SHIM := $(BUILDDIR)/seccomp-shim.so
$(SECCOMP_SHIM): tests/tools/seccomp-shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC -shared $< -o $@ -ldl

# An LD_PRELOAD shim that spoils one link name (HCKNS_TEST_REFUSE_LINK) in
# the netlink messages the helper sends, so that the kernel refuses the
# request (t-errors.sh, tests/fault/fault.sh).  Not sanitized either.
NETLINK_REFUSE_SHIM := $(BUILDDIR)/netlink-refuse-shim.so
$(NETLINK_REFUSE_SHIM): tests/tools/netlink-refuse-shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC -shared $< -o $@ -ldl

# An LD_PRELOAD shim that leaves a marker per process that loads it
# (HCKNS_TEST_LOAD_MARKER_DIR): the helper and slirp4netns must not
# (t-inputs.sh).  Not sanitized either.
LOAD_MARKER_SHIM := $(BUILDDIR)/load-marker-shim.so
$(LOAD_MARKER_SHIM): tests/tools/load-marker-shim.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC -shared $< -o $@

# Sends a hand-made TCP SYN in a raw Ethernet frame, as a hostile guest
# would (tests/integration/t-loopback-guard.sh).  Needs nothing of hckns.
RAW_SYN     := $(BUILDDIR)/raw-syn
$(RAW_SYN): tests/tools/raw-syn.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LDFLAGS)

# `make check`: unit tests, then the integration suite (as this user; when
# run as root, also as an unprivileged user the setup creates).
check: all $(UNIT) $(PROBE) $(SECCOMP_SHIM) $(NETLINK_REFUSE_SHIM) $(LOAD_MARKER_SHIM) $(RAW_SYN) check-fuzz-corpus check-install
	$(UNIT)
	HCKNS=$(abspath $(HCKNS)) HCKNS_PROBE=$(abspath $(PROBE)) tests/integration/run-all.sh
	$(CHECK_PACKAGE)

# `make check-package` (part of `make check`): the Debian package (debian/,
# README.md "Install as a package"), by tests/package/run.sh, as root only
# (else it skips, saying so): dpkg-buildpackage -us -uc -b from a copy of
# the tree, lintian, `apt-get install ./hckns_*.deb`, the installed hckns as
# root and as hckns-test (doctor, a run, a forward, nothing left), `apt-get
# purge`, nothing of it left.  It refuses when a hckns package is installed.
# Not in the sanitizer build: the package is built with Debian's own flags.
ifeq ($(SANITIZE),1)
CHECK_PACKAGE := @echo "check-package: not in the sanitizer build (make check runs it)"
else
CHECK_PACKAGE := tests/package/run.sh
endif
check-package:
	tests/package/run.sh

check-unit: $(UNIT) check-fuzz-corpus
	$(UNIT)

# Every fuzz seed through its harness, without libFuzzer (tests/fuzz/).
FUZZ_HARNESSES := proto fwd control slirp_reply
FUZZ_REPLAY := $(FUZZ_HARNESSES:%=$(BUILDDIR)/fuzz-replay-%)
FUZZ_LIB_SRC:= $(PROTO_SRC) $(MODEL_SRC)
$(FUZZ_REPLAY): $(BUILDDIR)/fuzz-replay-%: \
		$(call obj,tests/fuzz/replay.c tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRC))
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDFLAGS) $(JSON_LIBS)

check-fuzz-corpus: $(FUZZ_REPLAY)
	set -e; for h in $(FUZZ_HARNESSES); do \
		$(BUILDDIR)/fuzz-replay-$$h tests/fuzz/corpus/$$h; done

check-integration: all $(PROBE) $(SECCOMP_SHIM) $(NETLINK_REFUSE_SHIM) $(LOAD_MARKER_SHIM) $(RAW_SYN)
	HCKNS=$(abspath $(HCKNS)) HCKNS_PROBE=$(abspath $(PROBE)) tests/integration/run-all.sh

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILDDIR=build-asan SANITIZE=1 CC=clang check

# memcheck on the unit tests, the corpus replay and the real helper; see
# tests/valgrind.sh for why the front end runs under `make asan` instead.
valgrind: all $(UNIT) $(FUZZ_REPLAY) $(PROBE)
	tests/valgrind.sh $(BUILDDIR)

# `make lint`: clang-tidy (.clang-tidy: its checks, and why some are off)
# and cppcheck (tests/lint/cppcheck.supp: its suppressions, each with its
# reason) over every C file of the product and of the test tools, with the
# build's flags, includes and defines (generated headers made first); any
# finding fails.  LINT_JOBS: clang-tidy runs at once (default: one a CPU).
LINT_SRC    := $(sort $(wildcard frontend/*.c keeper/*.c cmd/*.c common/*.c model/*.c \
               helper/*.c protocol/*.c \
               tests/unit/*.c tests/tools/*.c tests/fuzz/*.c))
LINT_FLAGS   = $(ALL_CFLAGS) $(NL_CFLAGS) $(SECCOMP_CFLAGS) $(CHECK_CFLAGS) $(JSON_CFLAGS)
LINT_JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
lint: $(FILTER_H) $(GUARD_H)
	@rc=0; printf '%s\n' $(LINT_SRC) | xargs -P$(LINT_JOBS) -I{} sh -c \
		'out=$$(clang-tidy --quiet "$$0" -- "$$@" 2>&1) || { printf "%s\n" "$$out" | grep -v " generated\.$$"; exit 1; }' \
		{} $(LINT_FLAGS) || rc=1; \
	cppcheck -q -j$(LINT_JOBS) --std=c11 --library=posix --library=gnu \
		--enable=warning,style,performance,portability --error-exitcode=1 \
		--inline-suppr --suppressions-list=tests/lint/cppcheck.supp \
		$(filter -D% -I%,$(LINT_FLAGS)) $(LINT_SRC) || rc=1; \
	if [ $$rc = 0 ]; then echo "lint: clang-tidy and cppcheck: no findings in $(words $(LINT_SRC)) files"; \
	else echo "lint: findings above (clang-tidy and/or cppcheck)"; fi; \
	$(MAKE) -s readme-helper-lines || rc=1; exit $$rc

# README's count of the helper's code lines is `make helper-lines`'s now:
# the helper's own file, with the protocol code it links, and helper/'s
# build-time generators.
readme-helper-lines:
	@counts=$$($(MAKE) -s helper-lines); \
	own=$$(echo "$$counts" | awk '$$2 == "helper/hckns-helper.c" { print $$1 }'); \
	linked=$$(echo "$$counts" | awk '/linked into hckns-helper/ { print $$1 }'); \
	gen=$$(echo "$$counts" | awk '$$2 ~ /^helper\/.*-gen\.c$$/ { n += $$1 } END { print n }'); \
	said=$$(tr '\n' ' ' <README.md | grep -o 'helper/hckns-helper.c` ([0-9]* lines[^)]*)' | head -n 1 | tr -d ,); \
	grep -q ": $$gen lines more for" README.md || \
		{ echo "lint: README's count of helper/'s build-time generators is not make helper-lines' ($$gen)"; exit 1; }; \
	case "$$said" in *"($$own lines"*" $$linked)"*) echo "lint: README counts $$own, $$linked and $$gen helper lines, as make helper-lines does" ;; \
	*) echo "lint: README's count of the helper's lines is not make helper-lines' ($$own, $$linked): $$said"; exit 1 ;; esac

.PHONY: lint readme-helper-lines

# `make helper-lines`: the helper's code lines, as README counts them:
# what `gcc -fpreprocessed -E` leaves (no comments, nothing expanded or
# included, and it drops #if/#endif lines), blank lines left out; the
# count the helper's history uses.  hckns-helper.c is the helper's own
# code; filter.h, proto.c and proto.h are linked into it too; filter-gen.c
# states the seccomp filter and guard-gen.c the uplink guard's tc requests,
# and both run at build time only.  gcc, whatever CC
# is: clang's -E has no -fpreprocessed.
HELPER_LINES_SRC := helper/hckns-helper.c helper/filter.h protocol/proto.c \
                    include/hckns/proto.h helper/filter-gen.c \
                    helper/guard-gen.c
helper-lines:
	@for f in $(HELPER_LINES_SRC); do \
		printf '%5d  %s\n' "$$(gcc -fpreprocessed -dD -E -P "$$f" 2>/dev/null | \
			grep -cv '^[[:space:]]*$$')" "$$f"; done | \
	awk '{ print } NR <= 4 { n += $$1 } NR == 4 { printf "%5d  linked into hckns-helper (the four above)\n", n }'

.PHONY: helper-lines

fuzz:
	$(MAKE) -C tests/fuzz run

# `make fault`, `make load`: fault injection and load (tests/fault/,
# tests/load/), as this user and, as root, also as hckns-test.
# Minutes long, so not part of `make check`.  FAULT_N (20), FAULT_SEED,
# FAULT_TIME_LIMIT; LOAD_SEQ, LOAD_PAR, LOAD_JOIN, LOAD_FWD.
fault: all $(NETLINK_REFUSE_SHIM)
	HCKNS=$(abspath $(HCKNS)) tests/fault/run.sh fault

load: all
	HCKNS=$(abspath $(HCKNS)) tests/fault/run.sh load

.PHONY: fault load

# Debian/Ubuntu packages to build, run and test (sudo when not root).
DEPS := build-essential pkg-config libnl-3-dev libnl-route-3-dev \
        libcap-ng-dev libseccomp-dev libjansson-dev check slirp4netns iproute2 busybox jq \
        tmux clang valgrind util-linux passwd ruby uidmap ethtool \
        bash-completion clang-tidy cppcheck man-db \
        debhelper dh-apparmor lintian
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEPS)

# `make bench`: hckns against its baselines (bench/, results in BENCHMARKS.md).
# It installs nothing; `make bench-deps` installs what it measures with
# (apt-get, sudo when not root) and, as root, creates the unprivileged user
# hckns-bench (with subordinate ids, which rootlesskit needs) it runs as.
# BENCH_QUICK=1: a smoke run, reported in $(BUILDDIR)/bench/report.md only.
# `make bench-profile`: the profiles behind BENCHMARKS.md's analysis.
BENCH_DEPS := iperf3 rootlesskit hyperfine uidmap linux-perf
bench: all
	bench/bench.sh $(BUILDDIR)

bench-profile: all
	bench/profile.sh $(BUILDDIR)

bench-deps:
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BENCH_DEPS)
	id hckns-bench >/dev/null 2>&1 || $(SUDO) useradd --no-create-home --shell /usr/sbin/nologin hckns-bench
	grep -q "^hckns-bench:" /etc/subuid || echo "bench-deps: hckns-bench has no subordinate ids (/etc/subuid): rootlesskit will not be measured"

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/hckns $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(HCKNS) $(DESTDIR)$(BINDIR)/hckns
	install -m 0755 $(HELPER) $(DESTDIR)$(LIBEXECDIR)/hckns/hckns-helper
	install -m 0644 man/hckns.1 $(DESTDIR)$(MANDIR)/man1/hckns.1
	install -m 0644 contrib/bash-completion/hckns $(DESTDIR)$(BASHCOMPDIR)/hckns

# Only when asked (as root, on a system whose AppArmor restricts
# unprivileged user namespaces: see `hckns doctor`): the profile that grants
# the installed hckns 'userns', for $(BINDIR)/hckns.  Then, as root:
# apparmor_parser -r $(APPARMORDIR)/hckns
install-apparmor:
	install -d $(DESTDIR)$(APPARMORDIR)
	sed 's|/usr/local/bin/hckns|$(BINDIR)/hckns|g' contrib/apparmor/hckns >$(DESTDIR)$(APPARMORDIR)/hckns.tmp
	chmod 0644 $(DESTDIR)$(APPARMORDIR)/hckns.tmp
	mv $(DESTDIR)$(APPARMORDIR)/hckns.tmp $(DESTDIR)$(APPARMORDIR)/hckns

uninstall-apparmor:
	rm -f $(DESTDIR)$(APPARMORDIR)/hckns

# Install into a scratch DESTDIR and run from there: the installed front
# end must find its installed helper, and never one in PATH.
check-install: all
	rm -rf $(BUILDDIR)/destdir
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(BUILDDIR))/destdir PREFIX=/usr
	test -x $(BUILDDIR)/destdir/usr/bin/hckns
	test -x $(BUILDDIR)/destdir/usr/libexec/hckns/hckns-helper
	test -f $(BUILDDIR)/destdir/usr/share/man/man1/hckns.1
	cmp contrib/bash-completion/hckns $(BUILDDIR)/destdir/usr/share/bash-completion/completions/hckns
	bash -c '. $(BUILDDIR)/destdir/usr/share/bash-completion/completions/hckns && complete -p hckns' | grep -q -- '-F _hckns hckns$$'
	$(BUILDDIR)/destdir/usr/bin/hckns -- true
	$(BUILDDIR)/destdir/usr/bin/hckns doctor | grep -q '^ok   hckns-helper: .*/destdir/usr/bin/../libexec/hckns/hckns-helper$$'
	$(MAKE) --no-print-directory install-apparmor DESTDIR=$(abspath $(BUILDDIR))/destdir PREFIX=/usr
	grep -q '^profile hckns /usr/bin/hckns flags=(unconfined) {$$' $(BUILDDIR)/destdir/etc/apparmor.d/hckns
	grep -q '^  userns,$$' $(BUILDDIR)/destdir/etc/apparmor.d/hckns
	mv $(BUILDDIR)/destdir/usr/libexec/hckns/hckns-helper $(BUILDDIR)/destdir/usr/bin/../hckns-helper-moved
	cp $(HELPER) $(BUILDDIR)/destdir/hckns-helper
	! PATH=$(abspath $(BUILDDIR))/destdir:$$PATH $(BUILDDIR)/destdir/usr/bin/hckns -- true 2>$(BUILDDIR)/destdir/err
	grep -q 'cannot find hckns-helper' $(BUILDDIR)/destdir/err
	rm -rf $(BUILDDIR)/destdir
	@echo "check-install: installed hckns finds its helper, not one in PATH; its bash completion is installed; install-apparmor names the installed hckns"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hckns $(DESTDIR)$(LIBEXECDIR)/hckns/hckns-helper \
	      $(DESTDIR)$(MANDIR)/man1/hckns.1 $(DESTDIR)$(BASHCOMPDIR)/hckns
	-rmdir $(DESTDIR)$(LIBEXECDIR)/hckns

clean:
	rm -rf build build-* tests/fuzz/build

.PHONY: deps bench bench-deps bench-profile all check check-install check-package check-unit check-fuzz-corpus check-integration asan valgrind fuzz install install-apparmor uninstall uninstall-apparmor clean
