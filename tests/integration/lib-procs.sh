# Process helpers for t-lifecycle.sh, t-signals.sh and t-errors.sh, sourced
# by them after lib.sh: starting hckns in the background, waiting for it
# (bounded), cleaning up at exit, and checking that an instance left nothing
# behind.  suite.sh only runs t-*.sh files, so this file holds no tests.

# Commands run (last added first) when the test's shell exits, pass or fail;
# then $TEST_TMP is removed, as lib.sh's own trap did.
AT_EXIT=()
run_at_exit() {
	local i
	for ((i = ${#AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${AT_EXIT[i]}" || true
	done
	chmod -R u+rwX "$TEST_TMP" 2>/dev/null
	rm -rf "$TEST_TMP"
}
at_exit() { # COMMAND-STRING
	AT_EXIT+=("$1")
	trap run_at_exit EXIT
}

# alive PID: the process exists and is not a zombie (orphans are reparented
# to an init that may reap them late; a zombie runs nothing and holds
# nothing but its pid).
alive() {
	local state
	state=$(sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' \
		"/proc/$1/status" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
gone() { ! alive "$1"; }

# The live (non-zombie) processes of user namespace "user:[INODE]".
live_userns_pids() {
	local p
	for p in $(userns_pids "$1"); do
		alive "$p" && echo "$p"
	done
	return 0
}
userns_empty() { [ -z "$(live_userns_pids "$1")" ]; }

# hold_userns PID: set INODE to the user namespace of PID and keep that
# namespace open until the test ends, so that no other instance (of a test
# run at the same time) gets its inode number while we look for what is
# left in it.  Holding it keeps no process alive.
hold_userns() {
	local fd
	exec {fd}<"/proc/$1/ns/user" || fail "cannot open /proc/$1/ns/user"
	INODE=$(readlink "/proc/$$/fd/$fd" | sed 's/^user:\[\([0-9]*\)\]$/\1/')
	[ -n "$INODE" ] || fail "cannot read the user namespace of $1"
}

# Kill PID (SIGKILL) if it still runs; for at_exit.  Killing a front end
# with SIGKILL is fine: its keeper then removes the rest.
kill_if_alive() {
	alive "$1" && kill -KILL "$1" 2>/dev/null
	return 0
}

# spawn NAME COMMAND...: run COMMAND in the background, stdout in
# $TEST_TMP/NAME.out, stderr in $TEST_TMP/NAME.err, stdin /dev/null.  Sets
# SPAWNED to its pid (COMMAND is exec'd, so this is hckns's pid when COMMAND
# is hckns, or env/unshare/setpriv exec'ing it) and kills it at exit.
spawn() {
	local name=$1
	shift
	"$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" </dev/null &
	SPAWNED=$!
	at_exit "kill_if_alive $SPAWNED"
}

# finish PID SECONDS: wait at most SECONDS for the child PID to end; sets
# STATUS to its exit status.
finish() {
	wait_for "$2" gone "$1" || fail "process $1 did not end within $2 s"
	wait "$1"
	# shellcheck disable=SC2034 # read by the tests
	STATUS=$?
}

# run NAME SECONDS COMMAND...: spawn, then finish; sets SPAWNED and STATUS.
run() {
	local name=$1 secs=$2
	shift 2
	spawn "$name" "$@"
	finish "$SPAWNED" "$secs"
}

# The lines of file $1 that hckns itself wrote, trace lines left out
# (slirp4netns and the helper write their own lines in verbose mode).
hckns_lines() {
	grep '^hckns: ' "$1" | grep -v '^hckns: \[' || true
}

# assert_one_line FILE WHAT: FILE holds exactly one line, "hckns: ...".
assert_one_line() {
	local n
	n=$(wc -l <"$1")
	[ "$n" = 1 ] || fail "$2: expected one line on stderr, got $n: $(cat "$1")"
	grep -q '^hckns: ' "$1" || fail "$2: the line does not start with 'hckns: ': $(cat "$1")"
}

# The pid a trace line names: trace_pid FILE 'keeper started, pid'
trace_pid() {
	trace_value "$1" "$2" | sed 's/[^0-9].*//'
}

# wait_trace FILE WHAT SECONDS: wait until the trace has the line WHAT.
wait_trace() {
	wait_for "$3" grep -q "^hckns: \[[ 0-9.]* ms\] $2" "$1" ||
		fail "no '$2' in hckns's trace within $3 s: $(cat "$1")"
}

# assert_instance_gone TRACE [INODE]: the keeper, the helper, slirp4netns
# and the command that the verbose TRACE names are gone (those it names),
# its runtime directory too, and (with INODE) nothing lives in the user
# namespace user:[INODE].
assert_instance_gone() {
	local trace=$1 ino=${2:-} what pid rd
	for what in 'keeper started, pid' 'helper started, pid' \
		    'slirp4netns started, pid' 'command started, pid'; do
		pid=$(trace_pid "$trace" "$what")
		[ -z "$pid" ] || gone "$pid" ||
			fail "'$what $pid' still runs: $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")"
	done
	rd=$(trace_value "$trace" 'runtime directory:')
	[ -n "$rd" ] || fail "no runtime directory in the trace: $(cat "$trace")"
	[ ! -e "$rd" ] || fail "the runtime directory $rd is left: $(ls -la "$rd")"
	if [ -n "$ino" ]; then
		userns_empty "$ino" ||
			fail "processes left in user:[$ino]: $(live_userns_pids "$ino" | tr '\n' ' ')"
	fi
	return 0
}

# wait_instance_gone SECONDS TRACE [INODE]: as assert_instance_gone, after
# waiting at most SECONDS for it to become true.
instance_gone() { (assert_instance_gone "$@") 2>/dev/null; }
wait_instance_gone() {
	local secs=$1
	shift
	wait_for "$secs" instance_gone "$@" || true
	assert_instance_gone "$@"
}

# A private runtime base for one run: TMPDIR=$TEST_TMP/NAME (created),
# XDG_RUNTIME_DIR unset; use as: env -u XDG_RUNTIME_DIR TMPDIR="$(private_tmpdir x)" ...
private_tmpdir() {
	mkdir -p "$TEST_TMP/$1" && echo "$TEST_TMP/$1"
}

# assert_no_instance_dir TMPDIR: no instance directory under the runtime
# base of a private TMPDIR (the base itself may exist, empty).
assert_no_instance_dir() {
	local left
	left=$(find "$1" -mindepth 2 2>/dev/null)
	[ -z "$left" ] || fail "runtime entries left under $1: $left"
}

# The processes (not zombies) that have STRING as one of their arguments.
pids_with_arg() {
	local p a args
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] && continue
		mapfile -d '' args 2>/dev/null <"/proc/$p/cmdline" || continue
		for a in "${args[@]}"; do
			if [ "$a" = "$1" ]; then
				alive "$p" && echo "$p"
				break
			fi
		done
	done
	return 0
}

# expect_error NAME STATUS COMMAND...: COMMAND (hckns, maybe wrapped in
# env, unshare, setpriv: exec'd, never forked) exits with STATUS, writes
# nothing on stdout and exactly one line "hckns: ..." on stderr, and leaves
# no process that has $MARK among its arguments, and, when the test set
# EXPECT_RT to the runtime base it gives hckns, no instance directory
# there.  Sets MSG to the line.
expect_error() {
	local name=$1 want=$2
	shift 2
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run "$name" 20 "$@"
	MSG=$(cat "$TEST_TMP/$name.err")
	assert_eq "$want" "$STATUS" "exit status ($MSG)"
	assert_eq "" "$(cat "$TEST_TMP/$name.out")" "stdout"
	assert_one_line "$TEST_TMP/$name.err" "$name"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind"
	[ -z "${EXPECT_RT:-}" ] || assert_no_instance_dir "$EXPECT_RT"
}

# with_subids SUBUID SUBGID COMMAND...: print a command line that runs
# COMMAND in a private mount namespace whose /etc/subuid and /etc/subgid
# say SUBUID and SUBGID (t-subids.sh, t-root-map.sh).  They come from a
# read-only overlay on /etc, not from bind mounts over the two files: hckns
# cannot put its own overlay on an /etc that has mounts below it (the
# kernel refuses a lower layer with locked submounts).
with_subids() {
	mkdir -p "$TEST_TMP/etc"
	printf '%b' "$1" >"$TEST_TMP/etc/subuid"
	printf '%b' "$2" >"$TEST_TMP/etc/subgid"
	chmod 0755 "$TEST_TMP/etc"
	chmod 0644 "$TEST_TMP/etc/subuid" "$TEST_TMP/etc/subgid"
	shift 2
	printf '%s\n' unshare --mount sh -c \
		'mount -t overlay -o "lowerdir=$1:/etc" overlay /etc && shift && exec "$@"' \
		sh "$TEST_TMP/etc" "$@"
}
