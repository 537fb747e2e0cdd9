# What the processes hckns starts take from its caller (SECURITY.md: "What
# the helper and slirp4netns get from the caller"): programs only by
# absolute paths (frontend/diagnose.c fe_find_in_path()), a fixed
# environment for the helper and slirp4netns (frontend/helper_client.c,
# frontend/keeper.c), and a helper that is seen confined before it is used
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
