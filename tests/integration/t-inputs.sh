# What the processes hckns starts take from its caller (SECURITY.md: "What
# the helper and slirp4netns get from the caller"): programs only by
# absolute paths (common/diagnose.c fe_find_in_path()), a fixed
# environment for the helper and slirp4netns (frontend/helper_client.c,
# keeper/slirp.c), and a helper that is seen confined before it is used
# (frontend/main.c, after hello).
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"

MARK="hckns-test-mark-$$"

# hckns with a runtime base of its own: TMPDIR=$TEST_TMP/rt, no
# XDG_RUNTIME_DIR; check it with assert_no_instance_dir "$TEST_TMP/rt".
private_env() {
	printf '%s\n' env -u XDG_RUNTIME_DIR "TMPDIR=$(private_tmpdir rt)"
}

# ---- programs by absolute path only ------------------------------------------

# A slirp4netns planted in the working directory (a script that leaves a
# marker, then runs the real one) is never run, whatever an empty ("") or
# relative (".") PATH entry says: hckns runs the one in /usr/bin, and says
# with -v that it skipped the entry.  `hckns doctor` follows the same rule.
test_path_empty_and_relative_entries_skipped() {
	local e real p i=0
	real=$(command -v slirp4netns) || skip "no slirp4netns in PATH"
	case $real in /usr/bin/*) ;; *) skip "slirp4netns is $real, not in /usr/bin" ;; esac
	mapfile -t e < <(private_env)
	mkdir -p "$TEST_TMP/cwd"
	cat >"$TEST_TMP/cwd/slirp4netns" <<EOF
#!/bin/sh
: >'$TEST_TMP/planted.ran'
exec '$real' "\$@"
EOF
	chmod 0755 "$TEST_TMP/cwd/slirp4netns"
	for p in ":/usr/bin:/bin" ".:/usr/bin:/bin"; do
		i=$((i + 1))
		cd "$TEST_TMP/cwd" || fail "cd $TEST_TMP/cwd"
		run "path$i" 30 "${e[@]}" PATH="$p" "$HCKNS" -v -- /bin/true "$MARK"
		assert_eq 0 "$STATUS" "exit status with PATH=$p ($(hckns_lines "$TEST_TMP/path$i.err"))"
		[ ! -e "$TEST_TMP/planted.ran" ] ||
			fail "PATH=$p: hckns ran the slirp4netns planted in its working directory"
		assert_eq "$real" "$(trace_value "$TEST_TMP/path$i.err" 'slirp4netns:')" \
			"the slirp4netns hckns ran with PATH=$p"
		grep -q "^hckns: \[[ 0-9.]* ms\] PATH: skipping the $([ "$i" = 1 ] && echo "empty entry ''" || echo "relative entry '.'") while looking for slirp4netns$" \
			"$TEST_TMP/path$i.err" ||
			fail "PATH=$p: the trace does not say the entry was skipped: $(grep 'PATH' "$TEST_TMP/path$i.err")"
		run "doctor$i" 30 env PATH="$p" "$HCKNS" doctor
		assert_contains "$(cat "$TEST_TMP/doctor$i.out")" "($real)" "doctor's slirp4netns line with PATH=$p"
		[ ! -e "$TEST_TMP/planted.ran" ] ||
			fail "PATH=$p: hckns doctor ran the slirp4netns planted in its working directory"
	done
	assert_no_instance_dir "$TEST_TMP/rt"
}

# ---- the environment of the helper and slirp4netns ---------------------------

# An LD_PRELOAD in hckns's environment: the front end and the command load
# it (the caller's own choice), the helper and slirp4netns never do
# (tests/tools/load-marker-shim.c leaves a marker named by the pid of each
# process that loads it).
test_ld_preload_reaches_neither_helper_nor_slirp4netns() {
	local e shim dir helper slirp f
	shim=$(cd "$(dirname "$HCKNS")" && pwd)/load-marker-shim.so
	[ -r "$shim" ] || skip "no load-marker-shim.so at $shim: build it with make check-integration"
	mapfile -t e < <(private_env)
	dir=$TEST_TMP/markers
	mkdir -p "$dir"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run preload 30 "${e[@]}" LD_PRELOAD="$shim" HCKNS_TEST_LOAD_MARKER_DIR="$dir" \
		"$HCKNS" -v -- sh -c 'echo "$$" >"$1/command.pid"' sh "$TEST_TMP" "$MARK"
	assert_eq 0 "$STATUS" "exit status ($(hckns_lines "$TEST_TMP/preload.err"))"
	helper=$(trace_pid "$TEST_TMP/preload.err" 'helper started, pid')
	slirp=$(trace_pid "$TEST_TMP/preload.err" 'slirp4netns started, pid')
	[ -n "$helper" ] && [ -n "$slirp" ] ||
		fail "no helper or slirp4netns pid in the trace: $(cat "$TEST_TMP/preload.err")"
	# The shim works: the command's shell loaded it.
	[ -e "$dir/$(cat "$TEST_TMP/command.pid")" ] ||
		fail "the command did not load the shim: markers $(ls "$dir")"
	[ ! -e "$dir/$helper" ] || fail "the helper ($helper) loaded the caller's LD_PRELOAD"
	[ ! -e "$dir/$slirp" ] || fail "slirp4netns ($slirp) loaded the caller's LD_PRELOAD"
	for f in "$dir"/*; do
		case $(cat "$f") in
		hckns-helper | slirp4netns) fail "$(cat "$f") (pid ${f##*/}) loaded the caller's LD_PRELOAD" ;;
		esac
	done
	assert_no_instance_dir "$TEST_TMP/rt"
}

# ---- the helper seen confined before it is used ------------------------------

# A helper that skips its system call filter (tests/tools/seccomp-shim.c
# skip-filter, through the test hook: its prctl(PR_SET_SECCOMP) does
# nothing) answers hello, but the front end reads its /proc status first:
# one line, 125, no command, nothing left.
test_unconfined_helper_refused() {
	local e shim
	shim=$(cd "$(dirname "$HCKNS")" && pwd)/seccomp-shim.so
	[ -r "$shim" ] || skip "no seccomp-shim.so at $shim: build it with make check-integration"
	mapfile -t e < <(private_env)
	expect_error unconfined 125 "${e[@]}" HCKNS_TEST_HELPER_PRELOAD="$shim" \
		HCKNS_TEST_SECCOMP_CALL=skip-filter \
		"$HCKNS" -- sh -c ': >"$1"' sh "$TEST_TMP/ran" "$MARK"
	assert_eq "hckns: hckns-helper is not confined as it must be: Seccomp is 0, not 2 (its system call filter is not loaded); reinstall hckns ('make install') and run it as it is" \
		"$MSG" "the message"
	[ ! -e "$TEST_TMP/ran" ] || fail "the command ran with an unconfined helper"
	assert_no_instance_dir "$TEST_TMP/rt"

	run unconfined-v 20 "${e[@]}" HCKNS_TEST_HELPER_PRELOAD="$shim" \
		HCKNS_TEST_SECCOMP_CALL=skip-filter \
		"$HCKNS" -v -- sh -c ': >"$1"' sh "$TEST_TMP/ran" "$MARK"
	assert_eq 125 "$STATUS" "exit status with -v"
	assert_eq 1 "$(hckns_lines "$TEST_TMP/unconfined-v.err" | grep -c .)" \
		"lines hckns said with -v, trace lines left out"
	[ ! -e "$TEST_TMP/ran" ] || fail "the command ran with an unconfined helper (-v)"
	assert_instance_gone "$TEST_TMP/unconfined-v.err"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind (-v)"
	assert_no_instance_dir "$TEST_TMP/rt"
}

# The same check passes for every helper hckns runs; and the trace says so.
test_confined_helper_traced() {
	local e
	mapfile -t e < <(private_env)
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run confined 30 "${e[@]}" "$HCKNS" -v -- true "$MARK"
	assert_eq 0 "$STATUS" "exit status ($(hckns_lines "$TEST_TMP/confined.err"))"
	grep -q '^hckns: \[[ 0-9.]* ms\] helper confined: Seccomp 2, NoNewPrivs 1, CapPrm, CapEff and CapBnd CAP_NET_ADMIN and CAP_SYS_ADMIN, CapInh and CapAmb none$' \
		"$TEST_TMP/confined.err" || fail "no 'helper confined' in the trace: $(cat "$TEST_TMP/confined.err")"
}
