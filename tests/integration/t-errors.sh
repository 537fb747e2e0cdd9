# Errors a user can hit (doc/design.md: Errors, Exit status): each is ONE line
# "hckns: what failed: why" that says what to do, exit status 125 (127 for
# a command not found), and nothing is left behind: no runtime directory,
# no process.  And the verbose mode: a trace line per step and per helper
# request with -v or HCKNS_VERBOSE=1, nothing at all without.
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"

# An argument no other process has: hckns gets it (after the command), so
# its keeper, a fork of it, has it too; none may be left.
MARK="hckns-test-mark-$$"

# hckns with a runtime base of its own: TMPDIR=$TEST_TMP/rt, no
# XDG_RUNTIME_DIR; check it with assert_no_instance_dir "$TEST_TMP/rt".
private_env() {
	printf '%s\n' env -u XDG_RUNTIME_DIR "TMPDIR=$(private_tmpdir rt)"
}

test_unknown_option() {
	local e
	mapfile -t e < <(private_env)
	expect_error bogus 125 "${e[@]}" "$HCKNS" --bogus -- true "$MARK"
	assert_eq "hckns: unknown option '--bogus'; see 'hckns --help'" "$MSG" "the message"
	expect_error value 125 "${e[@]}" "$HCKNS" --bogus=1 -- true "$MARK"
	assert_eq "hckns: unknown option '--bogus'; see 'hckns --help'" "$MSG" "the message"
	expect_error short 125 "${e[@]}" "$HCKNS" -Z -- true "$MARK"
	assert_eq "hckns: unknown option '-Z'; see 'hckns --help'" "$MSG" "the message"
	assert_no_instance_dir "$TEST_TMP/rt"
}

test_bad_mtu() {
	local e v
	mapfile -t e < <(private_env)
	for v in 70000 575 abc -1 1500x ""; do
		expect_error mtu 125 "${e[@]}" "$HCKNS" --mtu "$v" -- true "$MARK"
		assert_eq "hckns: invalid --mtu '$v': give a number from 576 to 65521" \
			"$MSG" "the message for --mtu '$v'"
	done
	expect_error mtu 125 "${e[@]}" "$HCKNS" --mtu
	assert_eq "hckns: option '--mtu' needs a value; see 'hckns --help'" "$MSG" "the message"
	assert_no_instance_dir "$TEST_TMP/rt"
}

# A single-valued option given twice with two values is an error naming
# both (the same value twice is harmless); nothing is built.
test_option_given_twice() {
	local e
	mapfile -t e < <(private_env)
	expect_error twice 125 "${e[@]}" "$HCKNS" --mtu 1500 --mtu 9000 -- true "$MARK"
	assert_eq "hckns: --mtu given twice ('1500' and '9000'): give it once" "$MSG" "the message"
	expect_error twice 125 "${e[@]}" "$HCKNS" --name a --name b -- true "$MARK"
	assert_eq "hckns: --name given twice ('a' and 'b'): give it once" "$MSG" "the message"
	run same 20 "${e[@]}" "$HCKNS" --mtu 9000 --mtu 9000 -- true "$MARK"
	assert_eq 0 "$STATUS" "--mtu 9000 twice ($(cat "$TEST_TMP/same.err"))"
	assert_no_instance_dir "$TEST_TMP/rt"
}

# `hckns help`, `hckns version`, `hckns enter --help` answer at once,
# exit 0, build nothing; --help names every option hckns accepts.
test_help_words() {
	local e opt
	mapfile -t e < <(private_env)
	run help 10 "${e[@]}" "$HCKNS" help
	assert_eq 0 "$STATUS" "hckns help"
	run dashhelp 10 "${e[@]}" "$HCKNS" --help
	assert_eq "$(cat "$TEST_TMP/dashhelp.out")" "$(cat "$TEST_TMP/help.out")" "hckns help and --help"
	run version 10 "${e[@]}" "$HCKNS" version
	assert_eq 0 "$STATUS" "hckns version"
	assert_eq "$("$HCKNS" --version)" "$(cat "$TEST_TMP/version.out")" "hckns version and --version"
	run enterhelp 10 "${e[@]}" "$HCKNS" enter --help
	assert_eq 0 "$STATUS" "hckns enter --help"
	assert_contains "$(cat "$TEST_TMP/enterhelp.out")" "Usage: hckns enter NAME" "hckns enter --help"
	[ ! -e "$TEST_TMP/rt/hckns-$(id -u)" ] || assert_no_instance_dir "$TEST_TMP/rt"
	for opt in --name --publish --status-fd --control-fd --host-loopback --mtu \
		   --map-subids --bridge --no-default-bridges --uplink --cidr --dns \
		   --ipv6 --txqueuelen --verbose --help --version; do
		assert_contains "$(cat "$TEST_TMP/help.out")" "$opt" "--help"
	done
	[ -z "$(awk 'length > 79' "$TEST_TMP/help.out")" ] ||
		fail "--help has lines over 79 columns: $(awk 'length > 79' "$TEST_TMP/help.out")"
}

test_slirp4netns_missing() {
	local e
	mapfile -t e < <(private_env)
	expect_error noslirp 125 "${e[@]}" PATH=/nonexistent "$HCKNS" -- /bin/true "$MARK"
	assert_contains "$MSG" "hckns: slirp4netns not found in PATH: install it" "the message"
	assert_no_instance_dir "$TEST_TMP/rt"
}

# slirp4netns fails before it is ready: hckns says so, with its exit status
# and its last words, in one line.
test_slirp4netns_exits_early() {
	local e keeper helper
	mapfile -t e < <(private_env)
	mkdir -p "$TEST_TMP/fake"
	cat >"$TEST_TMP/fake/slirp4netns" <<EOF
#!/bin/sh
# Its parent (the keeper) and its arguments (..., helper pid, tap name).
echo "\$PPID \$*" >'$TEST_TMP/slirp.args'
echo 'fake: starting' >&2
echo 'fake: cannot open /dev/net/tun' >&2
exit 1
EOF
	chmod 0755 "$TEST_TMP/fake/slirp4netns"
	expect_error early 125 "${e[@]}" PATH="$TEST_TMP/fake:$PATH" \
		"$HCKNS" -- true "$MARK"
	assert_eq "hckns: slirp4netns exited before it was ready (exited with status 1): fake: cannot open /dev/net/tun" \
		"$MSG" "the message"
	[ -s "$TEST_TMP/slirp.args" ] || fail "the fake slirp4netns did not run"
	read -r keeper _ <"$TEST_TMP/slirp.args"
	helper=$(awk '{ print $(NF - 1) }' "$TEST_TMP/slirp.args")
	gone "$keeper" || fail "the keeper $keeper still runs"
	gone "$helper" || fail "the helper $helper still runs"
	assert_no_instance_dir "$TEST_TMP/rt"
}

# A request the kernel refuses.  No input of a user reaches a refusal any
# more (the front end refuses first what the kernel would), so
# tests/tools/netlink-refuse-shim.c, preloaded into the helper (through
# hckns's test hook HCKNS_TEST_HELPER_PRELOAD, frontend/helper_client.c:
# the helper gets nothing else of hckns's environment but the
# HCKNS_TEST_* variables that go with it), turns br_test into br_te/t in the netlink
# message the helper sends, and the kernel refuses that name (EINVAL).
# One line naming the request and the reason (the helper's
# "bridge-add br_test: " said once), 125, no command, nothing left; with
# -v, the trace shows the helper's answer and the line is still hckns's
# only one.
test_kernel_refuses_a_request() {
	local e shim pre err touch_ran
	shim=$(dirname "$HCKNS")/netlink-refuse-shim.so
	[ -r "$shim" ] || skip "no netlink-refuse-shim.so at $shim: build it with make check-integration"
	mapfile -t e < <(private_env)
	pre=(HCKNS_TEST_HELPER_PRELOAD="$shim" HCKNS_TEST_REFUSE_LINK=br_test)
	# shellcheck disable=SC2016 # the command's own $1: the file it makes
	touch_ran=': >"$1"'
	expect_error refused 125 "${e[@]}" "${pre[@]}" \
		"$HCKNS" -- sh -c "$touch_ran" sh "$TEST_TMP/ran" "$MARK"
	assert_eq "hckns: cannot bridge-add br_test: Invalid argument" "$MSG" "the message"
	[ ! -e "$TEST_TMP/ran" ] || fail "the command ran without its network"
	assert_no_instance_dir "$TEST_TMP/rt"

	run refused-v 20 "${e[@]}" "${pre[@]}" \
		"$HCKNS" -v -- sh -c "$touch_ran" sh "$TEST_TMP/ran" "$MARK"
	err=$TEST_TMP/refused-v.err
	assert_eq 125 "$STATUS" "exit status with -v ($(hckns_lines "$err"))"
	assert_eq "" "$(cat "$TEST_TMP/refused-v.out")" "stdout with -v"
	grep -q '^hckns: \[[ 0-9.]* ms\] helper: bridge-add br_test: Invalid argument' "$err" ||
		fail "the trace does not show the helper's refusal of bridge-add br_test: $(grep '^hckns: \[' "$err" | tail -n 6)"
	# The steps are sent ahead (setup.c, run_steps()): the answers already
	# due after the refusal are read and traced (link-set br_test finds no
	# br_test), and the first failure is the one said (above).
	grep -q '^hckns: \[[ 0-9.]* ms\] helper: link-set br_test up: No such device' "$err" ||
		fail "the trace does not show the answer to link-set br_test after the refusal: $(grep '^hckns: \[' "$err" | tail -n 12)"
	assert_eq "hckns: cannot bridge-add br_test: Invalid argument" "$(hckns_lines "$err")" \
		"what hckns said with -v, trace lines left out"
	[ ! -e "$TEST_TMP/ran" ] || fail "the command ran without its network (-v)"
	assert_instance_gone "$err"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind (-v)"
	assert_no_instance_dir "$TEST_TMP/rt"
}

# The helper's start-up (hckns-helper.c set_up_namespaces()) ends it when
# the kernel refuses to make "/" private: the same netlink-refuse-shim,
# with HCKNS_TEST_REFUSE_MOUNT=/, makes that mount(2) fail with EPERM.  The
# helper says what failed in its own line, as at any start-up failure, and
# hckns says in one line that the helper did not start, with the advice on
# user namespaces; 125, no command, nothing left.
test_helper_start_up_refused() {
	local e shim pre err touch_ran
	shim=$(dirname "$HCKNS")/netlink-refuse-shim.so
	[ -r "$shim" ] || skip "no netlink-refuse-shim.so at $shim: build it with make check-integration"
	mapfile -t e < <(private_env)
	pre=(HCKNS_TEST_HELPER_PRELOAD="$shim" HCKNS_TEST_REFUSE_MOUNT=/)
	# shellcheck disable=SC2016 # the command's own $1: the file it makes
	touch_ran=': >"$1"'
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run private 20 "${e[@]}" "${pre[@]}" \
		"$HCKNS" -- sh -c "$touch_ran" sh "$TEST_TMP/ran" "$MARK"
	err=$TEST_TMP/private.err
	assert_eq 125 "$STATUS" "exit status ($(cat "$err"))"
	assert_eq "" "$(cat "$TEST_TMP/private.out")" "stdout"
	assert_eq "hckns-helper: make / private: Operation not permitted" \
		"$(grep -v '^hckns: ' "$err")" "the helper's line"
	assert_eq 1 "$(hckns_lines "$err" | wc -l)" "lines from hckns ($(cat "$err"))"
	assert_contains "$(hckns_lines "$err")" \
		"hckns: the helper did not start (exited with status 1): see its message above; " \
		"hckns's line"
	[ ! -e "$TEST_TMP/ran" ] || fail "the command ran without its namespaces set up"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind"
	assert_no_instance_dir "$TEST_TMP/rt"
}

# A kernel that refuses the fresh sysfs (EPERM, as where the host's has
# parts hidden under other mounts): the helper's start-up goes on, hello's
# answer says so (PROTO_NOTE_NO_SYSFS), hckns runs the command with the
# host's /sys and says so with -v only.
test_sysfs_refused_runs_on() {
	local e shim pre err
	shim=$(dirname "$HCKNS")/netlink-refuse-shim.so
	[ -r "$shim" ] || skip "no netlink-refuse-shim.so at $shim: build it with make check-integration"
	mapfile -t e < <(private_env)
	pre=(HCKNS_TEST_HELPER_PRELOAD="$shim" HCKNS_TEST_REFUSE_MOUNT=/sys)
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run nosys 30 "${e[@]}" "${pre[@]}" \
		"$HCKNS" -v -- sh -c 'ls /sys/class/net >"$1"' sh "$TEST_TMP/links" "$MARK"
	err=$TEST_TMP/nosys.err
	assert_eq 0 "$STATUS" "exit status ($(hckns_lines "$err"))"
	assert_eq "" "$(hckns_lines "$err")" "messages from hckns"
	grep -q "^hckns: \[[ 0-9.]* ms\] no /sys of the network inside (Operation not permitted): /sys/class/net there shows the host's links$" "$err" ||
		fail "the trace does not say that /sys is the host's: $(grep '^hckns: \[' "$err" | head -n 12)"
	assert_not_contains "$(cat "$err")" "no fresh /proc inside" "the trace"
	assert_not_contains "$(cat "$TEST_TMP/links")" "br_world" "/sys/class/net inside (the host's)"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind"
}

test_runtime_dir_not_writable() {
	# A TMPDIR under a regular file: a user is told what to set; root,
	# who never needs TMPDIR, takes /run/hckns (see t-hostile-user.sh).
	: >"$TEST_TMP/file"
	if [ "$(id -u)" != 0 ]; then
		expect_error notdir 125 env -u XDG_RUNTIME_DIR TMPDIR="$TEST_TMP/file/x" \
			"$HCKNS" -- true "$MARK"
		assert_eq "hckns: no runtime directory for hckns: XDG_RUNTIME_DIR is unset or not a directory of yours with mode 0700, and TMPDIR $TEST_TMP/file/x does not exist (Not a directory); set XDG_RUNTIME_DIR or TMPDIR to a directory of yours (mode 0700)" \
			"$MSG" "the message"
		mkdir "$TEST_TMP/ro"
		chmod 0555 "$TEST_TMP/ro"
		expect_error readonly 125 env -u XDG_RUNTIME_DIR TMPDIR="$TEST_TMP/ro" \
			"$HCKNS" -- true "$MARK"
		assert_eq "hckns: cannot create runtime directory $TEST_TMP/ro/hckns-$(id -u): Permission denied; set XDG_RUNTIME_DIR or TMPDIR to a directory you can write" \
			"$MSG" "the message"
		assert_eq "" "$(ls -A "$TEST_TMP/ro")" "entries in the read-only TMPDIR"
	fi
	# A file where the base goes: named, with its owner.
	mkdir -p "$TEST_TMP/t" && : >"$TEST_TMP/t/hckns-$(id -u)"
	expect_error file 125 env -u XDG_RUNTIME_DIR TMPDIR="$TEST_TMP/t" \
		"$HCKNS" -- true "$MARK"
	assert_eq "hckns: runtime directory $TEST_TMP/t/hckns-$(id -u) is a file of uid $(id -u) ($(id -un)), not a directory of yours: remove it (as its owner or root), or set XDG_RUNTIME_DIR to a directory of yours (mode 0700)" \
		"$MSG" "the message"
}

# A runtime base that others could write is refused, not used.
test_runtime_dir_not_private() {
	local base
	base=$(private_tmpdir rt)/hckns-$(id -u)
	mkdir "$base"
	chmod 0755 "$base"
	expect_error open 125 env -u XDG_RUNTIME_DIR TMPDIR="$TEST_TMP/rt" \
		"$HCKNS" -- true "$MARK"
	assert_eq "hckns: runtime directory $base is mode 0755, open to others: run 'chmod 0700 $base'" \
		"$MSG" "the message"
	assert_no_instance_dir "$TEST_TMP/rt"
}

# TMPDIR of 100 bytes: TMPDIR/hckns-UID/PID/api.sock is longer than a unix
# socket path may be (107 bytes).
test_socket_path_too_long() {
	local dir=$TEST_TMP/
	while [ ${#dir} -lt 100 ]; do dir="${dir}d"; done
	mkdir -p "$dir"
	expect_error long 125 env -u XDG_RUNTIME_DIR TMPDIR="$dir" \
		"$HCKNS" -- true "$MARK"
	assert_contains "$MSG" "hckns: runtime directory $dir/hckns-$(id -u)/" "the message"
	assert_contains "$MSG" "is too long for a unix socket path" "the message"
	assert_contains "$MSG" "set XDG_RUNTIME_DIR or TMPDIR to a shorter directory" "the message"
	assert_eq "" "$(ls -A "$dir")" "entries in TMPDIR"
}

test_command_not_found() {
	local e
	mapfile -t e < <(private_env)
	expect_error notfound 127 "${e[@]}" "$HCKNS" -- "nonexistent-$MARK"
	assert_eq "hckns: nonexistent-$MARK: command not found" "$MSG" "the message"
	assert_no_instance_dir "$TEST_TMP/rt"
}

# Tests that need a host the test cannot change run hckns inside an outer
# user and mount namespace of their own, as its root.
need_outer_ns() {
	unshare --user --map-root-user --mount true 2>/dev/null ||
		skip "cannot create a user namespace with unshare(1) here"
}

# outer.sh SETUP COMMAND...: in the outer namespaces, prepare SETUP, then
# exec COMMAND without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (root of a
# namespace would otherwise open a mode 000 file it owns).
write_outer() {
	cat >"$TEST_TMP/outer.sh" <<'EOF'
setup=$1
shift
case $setup in
tun-noaccess)
	mount -t tmpfs -o mode=0755 tmpfs /dev/net || exit 90
	: >/dev/net/tun && chmod 000 /dev/net/tun || exit 91
	;;
tun-missing)
	mount -t tmpfs -o mode=0755 tmpfs /dev/net || exit 90
	;;
no-userns)
	echo 0 >/proc/sys/user/max_user_namespaces || exit 92
	;;
esac
exec setpriv --bounding-set=-dac_override,-dac_read_search -- "$@"
EOF
}

outer() { # NAME STATUS SETUP: hckns in the outer namespaces, expect_error
	local e
	need_outer_ns
	write_outer
	mapfile -t e < <(private_env)
	expect_error "$1" "$2" "${e[@]}" unshare --user --map-root-user --mount \
		sh "$TEST_TMP/outer.sh" "$3" "$HCKNS" -- true "$MARK"
	assert_no_instance_dir "$TEST_TMP/rt"
}

test_dev_net_tun_not_accessible() {
	outer tun 125 tun-noaccess
	assert_eq "hckns: /dev/net/tun is not accessible (Permission denied): slirp4netns needs it; as root, run 'chmod 0666 /dev/net/tun' (the usual default)" \
		"$MSG" "the message"
}

test_dev_net_tun_missing() {
	outer notun 125 tun-missing
	assert_eq "hckns: /dev/net/tun does not exist: slirp4netns needs it; as root, run 'modprobe tun'" \
		"$MSG" "the message"
}

test_user_namespaces_disabled() {
	outer nouserns 125 no-userns
	assert_contains "$MSG" "hckns: cannot create user, network, mount and PID namespaces" "the message"
	assert_contains "$MSG" "user namespaces are disabled (user.max_user_namespaces = 0)" "the message"
	assert_contains "$MSG" "'sysctl -w user.max_user_namespaces=" "the message"
}

# ---- verbose mode -------------------------------------------------------

# The trace lines every run has: each step, and helper requests with their
# answers.
TRACE_LINES=(
	'stage: claim'
	'runtime directory: '
	'keeper started, pid '
	'helper started, pid '
	'helper: hello: ok'
	'helper: make tap_host guarded against packets to loopback addresses: ok'
	'slirp4netns started, pid '
	'helper: point /etc/resolv.conf at 10.0.2.3: ok'
	'helper: link-set lo up: ok'
	'helper: bridge-add br_world: ok'
	'helper: addr-add br_world 10.0.2.100/24: ok'
	'helper: link-set br_world mtu 1500 up: ok'
	'helper: bridge-add br_ctrl: ok'
	'helper: addr-add br_ctrl 192.168.100.100/24: ok'
	'helper: bridge-add br_test: ok'
	'helper: bridge-add br_debug: ok'
	'helper: link-set br_debug up: ok'
	'helper: default route via 10.0.2.2 dev br_world: ok'
	'helper: link-set tap_host mtu 1500: ok'
	'helper: enslave tap_host to br_world: ok'
	'helper: link-set tap_host up: ok'
	'slirp4netns is ready'
	'network ready'
	'command started, pid '
	'stage: command'
	'command exited with status 0'
	'stage: teardown'
	'helper socket closed'
	'helper ended'
	'keeper ended'
	'exit status 0'
)

# The trace of file $1 without times and pids, one step a line.
trace_steps() {
	sed -n 's/^hckns: \[[ 0-9.]* ms\] //p' "$1" | sed 's/[0-9][0-9]*/N/g'
}

# assert_traced NAME: $TEST_TMP/NAME.err is a full trace; the command's
# output is untouched.
assert_traced() {
	local err=$TEST_TMP/$1.err line steps
	assert_eq 0 "$STATUS" "exit status"
	assert_eq "out" "$(cat "$TEST_TMP/$1.out")" "stdout"
	for line in "${TRACE_LINES[@]}"; do
		grep -q "^hckns: \[[ 0-9.]* ms\] $line" "$err" ||
			fail "no trace line '$line' in: $(cat "$err")"
	done
	# Every helper request is traced with its answer, in order.
	steps=$(trace_steps "$err" | grep '^helper: ' | grep -v '^helper: /')
	assert_eq "" "$(printf '%s\n' "$steps" | grep -v ': ok$')" "helper requests without 'ok'"
	assert_eq "" "$(hckns_lines "$err")" "hckns lines that are not trace lines"
}

test_verbose_option() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run v 20 env -u HCKNS_VERBOSE "$HCKNS" -v -- echo out
	assert_traced v
	run long 20 env -u HCKNS_VERBOSE "$HCKNS" --verbose -- echo out
	assert_traced long
}

# HCKNS_VERBOSE=1 traces the same steps and requests as -v.
test_verbose_environment() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run env 20 env HCKNS_VERBOSE=1 "$HCKNS" -- echo out
	assert_traced env
	run v 20 env -u HCKNS_VERBOSE "$HCKNS" -v -- echo out
	# The same lines; sorted, as the ends of the helper and the keeper
	# come in either order.
	assert_eq "$(trace_steps "$TEST_TMP/v.err" | grep -v '^\(helper\|slirp4netns\): /' | sort)" \
		"$(trace_steps "$TEST_TMP/env.err" | grep -v '^\(helper\|slirp4netns\): /' | sort)" \
		"the trace of HCKNS_VERBOSE=1 against -v"
}

# Without -v, a successful run prints nothing: stderr empty, stdout the
# command's alone; HCKNS_VERBOSE set to empty, 0, no or false is quiet too.
test_quiet_by_default() {
	local v
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run quiet 20 env -u HCKNS_VERBOSE "$HCKNS" -- echo out
	assert_eq 0 "$STATUS" "exit status"
	assert_eq "out" "$(cat "$TEST_TMP/quiet.out")" "stdout"
	assert_eq "" "$(cat "$TEST_TMP/quiet.err")" "stderr"
	for v in "" 0 no false; do
		run quiet 20 env HCKNS_VERBOSE="$v" "$HCKNS" -- echo out
		assert_eq 0 "$STATUS" "exit status with HCKNS_VERBOSE='$v'"
		assert_eq "out" "$(cat "$TEST_TMP/quiet.out")" "stdout with HCKNS_VERBOSE='$v'"
		assert_eq "" "$(cat "$TEST_TMP/quiet.err")" "stderr with HCKNS_VERBOSE='$v'"
	done
}

# Something mounted below /etc (as a container runtime does with
# /etc/hosts): the overlay cannot cover it; one line that says so, 125,
# nothing left.
test_mount_below_etc() {
	local rt=$TEST_TMP/rt
	command -v unshare >/dev/null || skip "unshare is not installed"
	mkdir -p "$rt"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run below 20 unshare --user --map-root-user --mount sh -c \
		'mount --bind /etc/hostname /etc/hosts && exec env -u XDG_RUNTIME_DIR TMPDIR="$1" "$2" -- true' \
		sh "$rt" "$HCKNS"
	assert_eq 125 "$STATUS" "exit status ($(cat "$TEST_TMP/below.err"))"
	assert_one_line "$TEST_TMP/below.err" "mount below /etc"
	assert_contains "$(cat "$TEST_TMP/below.err")" "something is mounted below /etc" "the message"
	assert_eq "" "$(find "$rt" -mindepth 2 -maxdepth 2 ! -name '.*')" "instances left under $rt"
}

# Remedies for what a shell session can get wrong: a working directory that
# was removed, a $SHELL that does not exist or cannot be run.  One line each,
# saying what to do; nothing built is left.
test_remedies_cwd_and_shell() {
	local e
	mapfile -t e < <(private_env)
	mkdir "$TEST_TMP/gone" && cd "$TEST_TMP/gone" && rmdir "$TEST_TMP/gone" || fail "rmdir"
	run nocwd 20 "${e[@]}" "$HCKNS" -- true "$MARK"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	assert_eq 125 "$STATUS" "exit status in a removed directory"
	assert_eq "hckns: cannot get the working directory: No such file or directory; it was removed: cd to a directory that exists and run hckns again" \
		"$(cat "$TEST_TMP/nocwd.err")" "the message in a removed directory"
	expect_error noshell 127 env SHELL=/nonexistent/sh "${e[@]}" "$HCKNS"
	assert_eq "hckns: your shell /nonexistent/sh (SHELL) was not found: set SHELL to an installed shell (such as /bin/bash), or give hckns a command" \
		"$MSG" "the message for a missing \$SHELL"
	printf 'not a program\n' >"$TEST_TMP/noshell" && chmod 0644 "$TEST_TMP/noshell"
	expect_error badshell 126 env SHELL="$TEST_TMP/noshell" "${e[@]}" "$HCKNS"
	assert_eq "hckns: your shell $TEST_TMP/noshell (SHELL) cannot be executed: Permission denied; set SHELL to an installed shell (such as /bin/bash), or give hckns a command" \
		"$MSG" "the message for a \$SHELL that is no program"
	assert_no_instance_dir "$TEST_TMP/rt"
}
