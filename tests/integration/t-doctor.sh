# `hckns doctor`: on this host (where the other tests run hckns) it exits 0
# with "ok" lines; each simulated problem (no slirp4netns in PATH, a runtime
# directory that cannot be created, user namespaces disabled by sysctl, a
# socket path too long, a kernel without what the loopback guard needs) is
# a "FAIL what: why; remedy" line and exit 1.

# doctor NAME [ENV...]: `env ENV... hckns doctor`, its output in
# $TEST_TMP/NAME.out and .err, its exit status in STATUS, the output in OUT.
doctor() {
	local name=$1
	shift
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 30 env "$@" "$HCKNS" doctor >"$TEST_TMP/$name.out" \
		2>"$TEST_TMP/$name.err" </dev/null
	STATUS=$?
	OUT=$(cat "$TEST_TMP/$name.out")
}

# Every line is "ok   ", "FAIL " or "note ", but the summary at the end.
assert_format() {
	local bad
	bad=$(sed '$d' "$TEST_TMP/$1.out" | grep -Ev '^(ok   |FAIL |note )')
	assert_eq "" "$bad" "lines that are not ok/FAIL/note"
	tail -n 1 "$TEST_TMP/$1.out" | grep -q '^hckns doctor: ' ||
		fail "no summary line: $(tail -n 1 "$TEST_TMP/$1.out")"
	assert_eq "" "$(cat "$TEST_TMP/$1.err")" "stderr"
}

test_this_host() {
	doctor host
	assert_eq 0 "$STATUS" "exit status ($OUT)"
	assert_format host
	assert_not_contains "$OUT" "FAIL" "a FAIL line"
	assert_contains "$OUT" "ok   a user+net+mount+pid namespace can be created, and its root holds CAP_NET_ADMIN and CAP_SYS_ADMIN" "the probe"
	assert_contains "$OUT" "ok   a fresh /proc can be mounted in it: ps inside an instance shows the instance's processes" "the probe's /proc"
	assert_contains "$OUT" "ok   /dev/net/tun is readable and writable" "tun"
	assert_contains "$OUT" "ok   slirp4netns " "slirp4netns"
	assert_contains "$OUT" "ok   hckns-helper: " "the helper"
	assert_contains "$OUT" "ok   the loopback guard on tap_host works (htb qdisc, pfifo, u32 classifier)" \
		"the loopback guard"
	assert_contains "$OUT" "ok   runtime directory " "the runtime directory"
	assert_contains "$OUT" "ok   socket paths fit" "socket paths"
	assert_contains "$OUT" "hckns doctor: hckns can run here" "summary"
	# And it runs: the doctor's word holds.
	timeout -k 5 30 "$HCKNS" -- true || fail "hckns -- true failed after an ok doctor"
}

test_usage() {
	cd "$TEST_TMP" || fail "cd"
	"$HCKNS" doctor --help >"$TEST_TMP/help" || fail "doctor --help failed"
	grep -q '^usage: hckns doctor' "$TEST_TMP/help" || fail "no usage: $(cat "$TEST_TMP/help")"
	"$HCKNS" doctor extra >/dev/null 2>"$TEST_TMP/err"
	assert_eq 125 "$?" "exit status with an argument"
	assert_eq "hckns: usage: hckns doctor (it takes no arguments)" "$(cat "$TEST_TMP/err")" "the message"
}

test_no_slirp4netns() {
	local bin=$TEST_TMP/bin t
	mkdir -p "$bin"
	# A PATH with everything hckns may look for but slirp4netns.
	for t in newuidmap newgidmap; do
		command -v "$t" >/dev/null && ln -s "$(command -v "$t")" "$bin/$t"
	done
	doctor noslirp PATH="$bin"
	assert_eq 1 "$STATUS" "exit status ($OUT)"
	assert_format noslirp
	assert_contains "$OUT" "FAIL slirp4netns: not found in PATH; install it (Debian and Ubuntu: 'apt install slirp4netns')" "the FAIL line"
	assert_contains "$OUT" "hckns doctor: 1 problem, hckns cannot run here until it is fixed" "summary"
}

# A kernel without the u32 classifier, as the helper sees one when
# tests/tools/netlink-refuse-shim.c spoils the kind "u32" in its requests:
# the loopback guard cannot be made, and hckns would not run.
test_no_loopback_guard() {
	local shim
	shim=$(dirname "$HCKNS")/netlink-refuse-shim.so
	[ -r "$shim" ] || skip "no netlink-refuse-shim.so at $shim: build it with make check-integration"
	doctor noguard HCKNS_TEST_HELPER_PRELOAD="$shim" HCKNS_TEST_REFUSE_LINK=u32
	assert_eq 1 "$STATUS" "exit status ($OUT)"
	assert_format noguard
	assert_contains "$OUT" "FAIL loopback guard on tap_host: u32 filter for 127.0.0.0/8 (cls_u32): the kernel has none; hckns does not run without it: as root, run 'modprobe -a sch_htb cls_u32', or use a kernel built with CONFIG_NET_SCH_HTB and CONFIG_NET_CLS_U32" \
		"the FAIL line"
	assert_contains "$OUT" "hckns doctor: 1 problem, hckns cannot run here until it is fixed" "summary"
}

# A helper that did not confine itself (tests/tools/seccomp-shim.c's
# skip-filter makes its prctl(PR_SET_SECCOMP) a no-op): the doctor reads its
# /proc status after hello as a run does, says FAIL, and sends it nothing
# more.
test_unconfined_helper() {
	local shim
	shim=$(cd "$(dirname "$HCKNS")" && pwd)/seccomp-shim.so
	[ -r "$shim" ] || skip "no seccomp-shim.so at $shim: build it with make check-integration"
	doctor unconfined HCKNS_TEST_HELPER_PRELOAD="$shim" HCKNS_TEST_SECCOMP_CALL=skip-filter
	assert_eq 1 "$STATUS" "exit status ($OUT)"
	assert_format unconfined
	assert_contains "$OUT" "FAIL hckns-helper is not confined as it must be: Seccomp is 0, not 2 (its system call filter is not loaded); reinstall hckns ('make install') and run it as it is" \
		"the FAIL line"
	assert_not_contains "$OUT" "loopback guard" "a guard check after the refusal"
	assert_contains "$OUT" "hckns doctor: 1 problem, hckns cannot run here until it is fixed" "summary"
}

test_old_slirp4netns() {
	local bin=$TEST_TMP/bin
	mkdir -p "$bin"
	printf '#!/bin/sh\necho "slirp4netns version 0.3.2"\n' >"$bin/slirp4netns"
	chmod 0755 "$bin/slirp4netns"
	doctor oldslirp PATH="$bin:$PATH"
	assert_eq 1 "$STATUS" "exit status ($OUT)"
	assert_contains "$OUT" "FAIL slirp4netns ($bin/slirp4netns): version 0.3.2 is too old, hckns needs 0.4.0 or later" "the FAIL line"
}

# Where the runtime directory goes, a file is in the way: FAIL, naming it,
# its owner and what to do.
test_runtime_dir_unwritable() {
	local who
	mkdir -p "$TEST_TMP/t" && chmod 0755 "$TEST_TMP/t"
	: >"$TEST_TMP/t/hckns-$(id -u)"
	doctor rt -u XDG_RUNTIME_DIR TMPDIR="$TEST_TMP/t"
	assert_eq 1 "$STATUS" "exit status ($OUT)"
	assert_format rt
	who="uid $(id -u) ($(id -un))"
	assert_contains "$OUT" "FAIL runtime directory: runtime directory $TEST_TMP/t/hckns-$(id -u) is a file of $who, not a directory of yours: remove it (as its owner or root), or set XDG_RUNTIME_DIR to a directory of yours (mode 0700)" "the FAIL line"
}

test_socket_path_too_long() {
	local long
	long=$TEST_TMP/$(printf 'd%.0s' $(seq 1 80))
	mkdir -p "$long"
	doctor long -u XDG_RUNTIME_DIR TMPDIR="$long"
	assert_eq 1 "$STATUS" "exit status ($OUT)"
	assert_format long
	assert_contains "$OUT" "ok   runtime directory $long/hckns-$(id -u) is yours, mode 0700" "the runtime directory"
	assert_contains "$OUT" "FAIL socket path: $long/hckns-$(id -u)/<32-character name>/keeper.sock would be" "the FAIL line"
	assert_contains "$OUT" "and a unix socket path holds at most 107; set TMPDIR to a short directory" "the remedy"
	[ -d "$long/hckns-$(id -u)" ] || fail "no runtime directory"
	assert_eq "" "$(find "$long/hckns-$(id -u)" -mindepth 1)" "what the doctor left in the runtime directory"
}

# In a user namespace of its own (as root or not), where the namespace's
# root may set user.max_user_namespaces of the namespaces below it to 0.
test_user_namespaces_disabled() {
	cd "$TEST_TMP" || fail "cd"
	unshare --user --map-root-user true 2>/dev/null ||
		skip "cannot create a user namespace to simulate it in"
	# shellcheck disable=SC2016 # expanded by the inner sh
	timeout -k 5 30 env -u XDG_RUNTIME_DIR TMPDIR="$TEST_TMP" \
		unshare --user --map-root-user sh -c \
		'echo 0 >/proc/sys/user/max_user_namespaces || exit 99; exec "$1" doctor' \
		sh "$HCKNS" >"$TEST_TMP/off.out" 2>"$TEST_TMP/off.err" </dev/null
	STATUS=$?
	OUT=$(cat "$TEST_TMP/off.out")
	[ "$STATUS" != 99 ] || fail "cannot set user.max_user_namespaces inside: $(cat "$TEST_TMP/off.err")"
	assert_eq 1 "$STATUS" "exit status ($OUT)"
	assert_format off
	assert_contains "$OUT" "FAIL user namespaces: disabled (user.max_user_namespaces = 0); as root, run 'sysctl -w user.max_user_namespaces=15000'" "the sysctl's FAIL line"
	assert_contains "$OUT" "FAIL cannot create a user+net+mount+pid namespace: user namespaces are disabled (user.max_user_namespaces = 0)" "the probe's FAIL line"
}
