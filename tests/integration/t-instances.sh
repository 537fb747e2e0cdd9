# Named instances (README: Shared instances; and forwards in a shared
# instance): `--name NAME` creates the instance or joins it, race-free; it
# lives while any holder lives (a holder killed with SIGKILL is counted
# out) and nothing is left after the last; `hckns enter` joins only, in the
# caller's working directory; `hckns ls [--json]` lists, `hckns stop`
# ends the instance (SIGTERM, then SIGKILL after the timeout); stale state
# left by a crash is cleaned at the next start and never blocks or is
# joined.
#
# Every hckns here runs with a runtime base of the test's own
# (lib-fwd.sh's "${H[@]}": TMPDIR=$RT, no XDG_RUNTIME_DIR), so that tests
# side by side and other users' instances never meet, and `hckns ls` sees
# the test's instances only.
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"
# shellcheck source-path=SCRIPTDIR source=lib-fwd.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-fwd.sh"

# hold.sh DIR [term|keep|-] [PORT=MARKER...]: the command of a holder.
# Writes its network namespace to DIR/net and its pid (and PID namespace:
# outer_pid, lib-procs.sh) to DIR/pid, starts a
# TCP server inside for each PORT=MARKER (busybox nc, answers MARKER), and
# waits (45 s at most) until DIR/stop exists; then exits 0.  While it
# waits, DIR/look makes it look again from inside: DIR/net2 (its network
# namespace now) and DIR/addr (`ip -br addr`, then `ip -o link show
# tap_host`), then DIR/looked.  With "term", SIGTERM is written to
# DIR/got and ends it (killed by SIGTERM); with "keep", SIGTERM is written
# to DIR/got and ignored.
write_hold() {
	[ -e "$TEST_TMP/hold.sh" ] && return 0
	cat >"$TEST_TMP/hold.sh" <<'EOF'
d=$1
mode=${2:--}
[ $# -ge 2 ] && shift 2 || shift $#
case $mode in
term) trap 'echo TERM >>"$d/got"; trap - TERM; kill -TERM $$' TERM ;;
keep) trap 'echo TERM >>"$d/got"' TERM ;;
esac
for pm in "$@"; do
	busybox nc -ll -p "${pm%%=*}" -e echo "${pm#*=}" </dev/null &
done
readlink /proc/self/ns/net >"$d/net"
echo "$$ $(readlink /proc/self/ns/pid)" >"$d/pid.tmp" && mv "$d/pid.tmp" "$d/pid"
i=0
while [ ! -e "$d/stop" ] && [ "$i" -lt 900 ]; do
	if [ -e "$d/look" ] && [ ! -e "$d/looked" ]; then
		readlink /proc/self/ns/net >"$d/net2"
		{ ip -br addr; ip -o link show tap_host; } >"$d/addr" 2>&1
		touch "$d/looked"
	fi
	sleep 0.05
	i=$((i + 1))
done
exit 0
EOF
}

# Per holder NAME: FE[NAME] its hckns's pid, CMD[NAME] its command's pid;
# its files are $TEST_TMP/NAME.d/ (hold.sh's DIR) and $TEST_TMP/NAME.err
# (hckns's -v trace).
declare -A FE CMD

# hold NAME HCKNS-ARGS... -- [HOLD.SH-ARGS...]: spawn "${H[@]}" -v
# HCKNS-ARGS -- sh hold.sh $TEST_TMP/NAME.d HOLD.SH-ARGS, wait (20 s at
# most) until its command runs.
hold() {
	local name=$1 opts=() d=$TEST_TMP/$1.d
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	write_hold
	mkdir -p "$d"
	spawn "$name" "${H[@]}" -v "${opts[@]}" -- sh "$TEST_TMP/hold.sh" "$d" "$@"
	FE[$name]=$SPAWNED
	at_exit "touch '$d/stop'"
	wait_for 20 test -s "$d/pid" ||
		fail "the command of $name did not start: $(cat "$TEST_TMP/$name.err")"
	CMD[$name]=$(outer_pid "$d/pid")
	[ -n "${CMD[$name]}" ] || fail "the command of $name is not on this host: $(cat "$d/pid")"
}

# release NAME [STATUS]: let NAME's command end; hckns must exit with
# STATUS (default 0) within 20 s.
release() {
	touch "$TEST_TMP/$1.d/stop"
	finish "${FE[$1]}" 20
	assert_eq "${2:-0}" "$STATUS" "exit status of $1 ($(hckns_lines "$TEST_TMP/$1.err"))"
}

# look NAME: NAME's command looks from inside again (hold.sh's DIR/look);
# sets NET2 and ADDR.
look() {
	local d=$TEST_TMP/$1.d
	rm -f "$d/looked"
	touch "$d/look"
	wait_for 10 test -e "$d/looked" || fail "the command of $1 did not look again"
	NET2=$(cat "$d/net2")
	ADDR=$(cat "$d/addr")
	rm -f "$d/look"
}

# assert_network ADDR WHEN: what look saw (ADDR) is the instance's network,
# alive: br_world has its address, tap_host is enslaved to it and has a
# carrier (LOWER_UP: slirp4netns holds the tap open).
assert_network() {
	grep -q '^br_world  *[A-Z]*  *10\.0\.2\.100/24' <<<"$1" ||
		fail "br_world has no 10.0.2.100/24 inside $2: $1"
	grep -q '^[0-9]*: tap_host: <[^>]*LOWER_UP[^>]*>.* master br_world' <<<"$1" ||
		fail "tap_host is not up with a carrier in br_world inside $2: $1"
}

netns_of() { cat "$TEST_TMP/$1.d/net"; }

# messages FILE: what hckns said in FILE, its trace and its progress
# lines ("waiting for instance 'X' to be ready (N s)...", which a loaded
# machine may show) left out.
messages() {
	hckns_lines "$1" | grep -v "^hckns: waiting for instance '.*' to be ready" || true
}

# hk NAME ARG...: "${H[@]}" ARG... in the foreground, 20 s at most, its
# output in $TEST_TMP/NAME.out and .err; sets STATUS, OUT, ERR.  Not
# through spawn: hk also runs in $(...), whose at_exit would clean up the
# whole test when that subshell ends.
hk() {
	local name=$1
	shift
	timeout -k 2 20 "${H[@]}" "$@" >"$TEST_TMP/$name.out" \
		2>"$TEST_TMP/$name.err" </dev/null
	STATUS=$?
	OUT=$(cat "$TEST_TMP/$name.out")
	ERR=$(cat "$TEST_TMP/$name.err")
}

# ls_json: `hckns ls --json`, which must succeed; sets JSON.
ls_json() {
	hk ls-json ls --json
	assert_eq 0 "$STATUS" "exit status of 'hckns ls --json' ($ERR)"
	JSON=$OUT
	jq -e . >/dev/null <<<"$JSON" || fail "'hckns ls --json' is not JSON: $JSON"
}

# field NAME KEY: member KEY of instance NAME in `hckns ls --json`
# (empty when NAME is not listed).
field() {
	ls_json
	jq -r --arg n "$1" --arg k "$2" \
		'.instances[] | select(.name == $n) | .[$k] | tostring' <<<"$JSON"
}
holders_are() { [ "$(field "$1" holders)" = "$2" ]; }

# ls_row NAME: the row of instance NAME in `hckns ls`, blanks squeezed.
ls_row() {
	hk ls ls
	assert_eq 0 "$STATUS" "exit status of 'hckns ls' ($ERR)"
	awk -v n="$1" '$1 == n { $1 = $1; print }' <<<"$OUT"
}

# The instance directories under $BASE (its name locks, .NAME.lock, may
# stay: they are meant to outlive the instances).
instance_dirs() {
	find "$BASE" -mindepth 1 -maxdepth 1 ! -name '.*.lock' 2>/dev/null | sort
}

# assert_no_instance: `hckns ls` lists nothing and no instance directory
# is left.
assert_no_instance() {
	ls_json
	assert_eq 0 "$(jq '.instances | length' <<<"$JSON")" \
		"instances listed by 'hckns ls --json': $JSON"
	assert_eq "" "$(instance_dirs)" "instance directories left under $BASE"
}

# assert_running NAME TRACE: the instance whose creator's -v trace is TRACE
# still runs: its keeper and slirp4netns, its runtime directory.
assert_running() {
	local what pid
	for what in 'keeper started, pid' 'slirp4netns started, pid'; do
		pid=$(trace_pid "$2" "$what")
		[ -n "$pid" ] || fail "no '$what' in the trace $2"
		alive "$pid" || fail "instance $1: '$what $pid' is gone"
	done
	[ -d "$BASE/$1" ] || fail "instance $1: its runtime directory $BASE/$1 is gone"
}

# ---- 1. --name: create or join --------------------------------------------

# 20 `hckns --name X` started at the same moment: one creates, 19 join,
# all in the same network namespace; `hckns ls` shows one instance with 20
# holders; when the last has returned, nothing is left.
test_twenty_at_once_make_one_instance() {
	local i creators=0 joiners=0 creator="" keeper
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	# The gate: each waits on a shared lock the test holds, then all go
	# at the same moment.
	write_hold
	exec 9>"$TEST_TMP/gate"
	flock -x 9 || fail "cannot take the gate lock"
	for i in $(seq 1 20); do
		mkdir -p "$TEST_TMP/c$i.d"
		spawn "c$i" bash -c 'exec 9>&-; touch "$1"; flock -s -w 20 "$0" true
			shift; exec "$@"' "$TEST_TMP/gate" "$TEST_TMP/c$i.ready" \
			"${H[@]}" -v --name X -- sh "$TEST_TMP/hold.sh" "$TEST_TMP/c$i.d"
		FE[c$i]=$SPAWNED
		at_exit "touch '$TEST_TMP/c$i.d/stop'"
	done
	for i in $(seq 1 20); do
		wait_for 10 test -e "$TEST_TMP/c$i.ready" || fail "c$i did not come to the gate"
	done
	# Each is at (or a moment before) the lock now; all go at once.
	sleep 0.3
	flock -u 9
	exec 9>&-
	for i in $(seq 1 20); do
		wait_for 30 test -s "$TEST_TMP/c$i.d/pid" ||
			fail "the command of c$i did not start: $(hckns_lines "$TEST_TMP/c$i.err")"
	done
	hold_userns "$(outer_pid "$TEST_TMP/c1.d/pid")"
	for i in $(seq 1 20); do
		if grep -q '\] keeper started, pid' "$TEST_TMP/c$i.err"; then
			creators=$((creators + 1))
			creator=c$i
		fi
		grep -q "\] joined instance 'X'" "$TEST_TMP/c$i.err" && joiners=$((joiners + 1))
	done
	assert_eq 1 "$creators" "hckns that created an instance"
	assert_eq 19 "$joiners" "hckns that joined instance X"
	assert_eq 1 "$(cat "$TEST_TMP"/c*.d/net | sort -u | wc -l)" \
		"distinct network namespaces: $(cat "$TEST_TMP"/c*.d/net | sort | uniq -c)"
	assert_eq 20 "$(cat "$TEST_TMP"/c*.d/net | wc -l)" "commands that said their network namespace"
	# One instance, 20 holders, in both forms of `hckns ls`.
	ls_json
	assert_eq 1 "$(jq '.instances | length' <<<"$JSON")" "instances listed: $JSON"
	assert_eq X "$(jq -r '.instances[0].name' <<<"$JSON")" "the name listed: $JSON"
	assert_eq 20 "$(jq -r '.instances[0].holders' <<<"$JSON")" "holders in 'hckns ls --json': $JSON"
	keeper=$(trace_pid "$TEST_TMP/$creator.err" 'keeper started, pid')
	assert_eq "$keeper" "$(jq -r '.instances[0].pid' <<<"$JSON")" "the pid listed (the keeper's)"
	hk ls ls
	assert_eq 2 "$(grep -c . <<<"$OUT")" "lines of 'hckns ls': $OUT"
	assert_eq 20 "$(awk '$1 == "X" { print $4 }' <<<"$OUT")" "HOLDERS in 'hckns ls': $OUT"
	# All leave; after the last, nothing is left.
	for i in $(seq 1 20); do
		touch "$TEST_TMP/c$i.d/stop"
	done
	for i in $(seq 1 20); do
		finish "${FE[c$i]}" 20
		assert_eq 0 "$STATUS" "exit status of c$i ($(hckns_lines "$TEST_TMP/c$i.err"))"
	done
	assert_instance_gone "$TEST_TMP/$creator.err" "$INODE"
	gone "$keeper" || fail "the keeper $keeper still runs"
	assert_no_instance
}

# The creator leaves first: the instance lives on for the joiner (its
# network works, the same namespace), and goes when the joiner leaves.
test_creator_leaves_first() {
	local net keeper
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hold c --name X --
	hold_userns "${CMD[c]}"
	net=$(netns_of c)
	hold j --name X --
	assert_contains "$(cat "$TEST_TMP/j.err")" "joined instance 'X'" "the joiner's trace"
	assert_not_contains "$(cat "$TEST_TMP/j.err")" "keeper started" "the joiner's trace"
	assert_eq "$net" "$(netns_of j)" "the joiner's network namespace"
	assert_eq 2 "$(field X holders)" "holders with the creator and the joiner"
	keeper=$(trace_pid "$TEST_TMP/c.err" 'keeper started, pid')

	release c
	gone "${CMD[c]}" || fail "the creator's command still runs"
	assert_running X "$TEST_TMP/c.err"
	wait_for 2 holders_are X 1 || fail "holders after the creator left: $(field X holders)"
	assert_eq "$keeper" "$(field X pid)" "the keeper listed"
	look j
	assert_eq "$net" "$NET2" "the joiner's network namespace after the creator left"
	assert_network "$ADDR" "after the creator left"
	# Others can still join it, though its creator (and helper) left.
	hk enter enter X -- readlink /proc/self/ns/net
	assert_eq 0 "$STATUS" "exit status of 'hckns enter X' after the creator left ($ERR)"
	assert_eq "$net" "$OUT" "the network namespace 'hckns enter X' saw after the creator left"

	release j
	assert_instance_gone "$TEST_TMP/c.err" "$INODE"
	gone "${CMD[j]}" || fail "the joiner's command still runs"
	assert_no_instance
}

# A holder killed with SIGKILL is counted out: its command dies (parent
# death signal), the others keep the instance.  A joiner first, then the
# creator itself; the last joiner still has the network, and when it
# leaves nothing is left.
test_sigkilled_holder_counted_out() {
	local net
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hold c --name X --
	hold_userns "${CMD[c]}"
	net=$(netns_of c)
	hold j1 --name X --
	hold j2 --name X --
	assert_eq 3 "$(field X holders)" "holders"

	kill -KILL "${FE[j1]}"
	wait_for 2 gone "${FE[j1]}" || fail "j1 survived SIGKILL"
	wait_for 2 gone "${CMD[j1]}" || fail "the command of j1 (killed front end) still runs"
	wait_for 2 holders_are X 2 || fail "holders after j1 was killed: $(field X holders)"
	assert_running X "$TEST_TMP/c.err"
	alive "${CMD[j2]}" || fail "the command of j2 died with j1"
	alive "${CMD[c]}" || fail "the creator's command died with j1"

	kill -KILL "${FE[c]}"
	wait_for 2 gone "${FE[c]}" || fail "the creator survived SIGKILL"
	wait_for 2 gone "${CMD[c]}" || fail "the creator's command (killed front end) still runs"
	wait_for 2 holders_are X 1 || fail "holders after the creator was killed: $(field X holders)"
	assert_running X "$TEST_TMP/c.err"
	alive "${CMD[j2]}" || fail "the command of j2 died with the creator"
	look j2
	assert_eq "$net" "$NET2" "j2's network namespace after the others were killed"
	assert_network "$ADDR" "after the others were killed"

	release j2
	assert_instance_gone "$TEST_TMP/c.err" "$INODE"
	assert_no_instance
}

# A start of the name just as its last holder leaves: the keeper has
# decided to end when the newcomer's connection comes.  Made certain with
# the keeper stopped (SIGSTOP): the holder's leave and the newcomer's
# connection both wait for it, then it sees both at once.  The newcomer
# must start a fresh instance (or join), never fail.
test_start_as_last_holder_leaves() {
	local keeper
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hold c --name X --
	hold_userns "${CMD[c]}"
	keeper=$(trace_pid "$TEST_TMP/c.err" 'keeper started, pid')
	kill -STOP "$keeper" || fail "cannot stop the keeper $keeper"
	at_exit "kill -CONT $keeper 2>/dev/null"
	touch "$TEST_TMP/c.d/stop"
	# Its command ended, its copy of the helper's socket closed: it
	# leaves next (and waits for the keeper's answer).
	wait_trace "$TEST_TMP/c.err" 'helper socket closed' 10
	sleep 0.2
	spawn new "${H[@]}" -v --name X -- readlink /proc/self/ns/net
	wait_for 10 pending_on "$BASE/X/keeper.sock" ||
		fail "the newcomer did not connect to the keeper: $(cat "$TEST_TMP/new.err")"
	kill -CONT "$keeper"
	finish "${FE[c]}" 10
	assert_eq 0 "$STATUS" "exit status of the holder that left ($(hckns_lines "$TEST_TMP/c.err"))"
	finish "$SPAWNED" 20
	assert_eq 0 "$STATUS" "exit status of the newcomer ($(hckns_lines "$TEST_TMP/new.err"))"
	assert_eq "" "$(messages "$TEST_TMP/new.err")" "messages from the newcomer"
	assert_contains "$(cat "$TEST_TMP/new.out")" "net:[" "what the newcomer's command said"
	assert_instance_gone "$TEST_TMP/c.err" "$INODE"
	grep -q '\] runtime directory:' "$TEST_TMP/new.err" &&
		assert_instance_gone "$TEST_TMP/new.err"
	assert_no_instance
}

# pending_on SOCKET: a connection to the listening unix socket SOCKET
# waits to be accepted (ss: the accept queue, Recv-Q, is not empty).
pending_on() {
	ss -Hxl | awk -v p="$1" '$5 == p && $3 > 0 { found = 1 } END { exit !found }'
}

# `--name X` while X is being stopped: no error; it waits until X is gone
# and starts a fresh X.
test_start_while_stopping() {
	local stopper
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hold a --name X -- term
	hold_userns "${CMD[a]}"
	hold b --name X -- keep
	spawn stop "${H[@]}" stop X
	stopper=$SPAWNED
	# b ignores SIGTERM: X is stopping until the timeout.
	wait_for 5 test -s "$TEST_TMP/b.d/got" || fail "b's command got no SIGTERM"
	finish "${FE[a]}" 10
	alive "${CMD[b]}" || fail "b's command is gone already"
	hk new -v --name X -- readlink /proc/self/ns/net
	assert_eq 0 "$STATUS" "exit status of 'hckns --name X' while X was stopping ($(hckns_lines "$TEST_TMP/new.err"))"
	assert_contains "$ERR" "keeper started, pid" "the trace of the new X"
	assert_not_contains "$ERR" "joined instance" "the trace of the new X"
	assert_eq "" "$(messages "$TEST_TMP/new.err")" "messages from 'hckns --name X' while X was stopping"
	assert_contains "$OUT" "net:[" "what the command of the new X said"
	finish "$stopper" 15
	assert_eq 0 "$STATUS" "exit status of 'hckns stop X' ($(cat "$TEST_TMP/stop.err"))"
	finish "${FE[b]}" 5
	assert_eq 137 "$STATUS" "exit status of b"
	assert_instance_gone "$TEST_TMP/a.err" "$INODE"
	assert_instance_gone "$TEST_TMP/new.err"
	assert_no_instance
}

# Churn: 3 rounds of 20 `hckns --name R` of short commands, each started
# at a random moment within 1 s, so that some come while an instance of R
# is ending and others while one starts.  Each must create or join: exit
# 0, no message; after each round nothing is left.
test_churn_create_or_join() {
	local round i
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	for round in 1 2 3; do
		for i in $(seq 1 20); do
			spawn "r$round-$i" bash -c 'sleep "$0"; exec "$@"' \
				"0.$((RANDOM % 10))$((RANDOM % 10))" "${H[@]}" --name R -- \
				sh -c 'readlink /proc/self/ns/net' "$MARK"
			FE[r$round-$i]=$SPAWNED
		done
		for i in $(seq 1 20); do
			finish "${FE[r$round-$i]}" 30
			assert_eq 0 "$STATUS" "exit status of r$round-$i ($(cat "$TEST_TMP/r$round-$i.err"))"
			assert_eq "" "$(messages "$TEST_TMP/r$round-$i.err")" "messages from r$round-$i"
			assert_contains "$(cat "$TEST_TMP/r$round-$i.out")" "net:[" "what r$round-$i's command said"
		done
		assert_eq "" "$(pids_with_arg "$MARK")" "processes left after round $round"
		assert_no_instance
	done
}

# ---- 2. enter, ls, stop ---------------------------------------------------

# `hckns enter NAME -- CMD` joins (the same network namespace, no new
# instance), runs in the caller's working directory, and leaves the
# instance to its other holder.
test_enter_joins_in_cwd() {
	local dir=$TEST_TMP/some\ where/deep
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hold c --name X --
	hold_userns "${CMD[c]}"
	mkdir -p "$dir"
	cd "$dir" || fail "cd $dir"
	hk enter enter X -v -- sh -c 'pwd; readlink /proc/self/ns/net'
	assert_eq 0 "$STATUS" "exit status of hckns enter ($(hckns_lines "$TEST_TMP/enter.err"))"
	assert_eq "$dir" "$(sed -n 1p <<<"$OUT")" "the working directory inside"
	assert_eq "$(netns_of c)" "$(sed -n 2p <<<"$OUT")" "the network namespace inside"
	assert_contains "$ERR" "joined instance 'X'" "the trace of hckns enter"
	assert_not_contains "$ERR" "keeper started" "the trace of hckns enter"
	assert_eq "" "$(hckns_lines "$TEST_TMP/enter.err")" "messages from hckns enter"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	assert_eq "$BASE/X" "$(instance_dirs)" "instance directories"
	assert_running X "$TEST_TMP/c.err"
	assert_eq 1 "$(field X holders)" "holders after hckns enter returned"
	release c
	assert_instance_gone "$TEST_TMP/c.err" "$INODE"
	assert_no_instance
}

# What `hckns ls` prints is accepted everywhere: the PID column (the
# keeper's pid) names the instance for enter, fwd --instance and stop, as
# its name does; a name that is a number still wins (its own instance).
test_ls_pid_accepted_everywhere() {
	local pid
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hold c --name lab --
	hold_userns "${CMD[c]}"
	pid=$(field lab pid)
	[ -n "$pid" ] && [ "$pid" != null ] || fail "no pid for lab in: $JSON"
	hk enter enter "$pid" -- sh -c 'readlink /proc/self/ns/net'
	assert_eq 0 "$STATUS" "hckns enter $pid ($ERR)"
	assert_eq "$(netns_of c)" "$OUT" "the network namespace of hckns enter $pid"
	hk fwd fwd list --instance "$pid"
	assert_eq 0 "$STATUS" "hckns fwd list --instance $pid ($ERR)"
	assert_eq "no forwards" "$OUT" "hckns fwd list --instance $pid"
	hk stop stop "$pid"
	assert_eq 0 "$STATUS" "hckns stop $pid ($ERR)"
	assert_eq "stopped lab" "$OUT" "hckns stop $pid"
	finish "${FE[c]}" 20
	assert_instance_gone "$TEST_TMP/c.err" "$INODE"
	assert_no_instance
}

# Inside an instance, hckns means that instance (its command's environment
# names it: HCKNS_RUNTIME_DIR, HCKNS_INSTANCE), whatever XDG_RUNTIME_DIR and
# TMPDIR say there: fwd adds and lists its forwards, ls lists it, enter of
# itself says so; nothing is created elsewhere.
test_inside_means_this_instance() {
	local p
	p=$(free_ports 1) || fail "no free port"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hk inside --name lab -- sh -c '
		unset XDG_RUNTIME_DIR; export TMPDIR=/tmp
		"$1" fwd add "$2:80" && "$1" fwd ls && "$1" ls
		"$1" enter lab -- true; echo "enter: $?"' sh "$HCKNS" "$p"
	assert_eq 0 "$STATUS" "hckns ($ERR)"
	assert_eq "added forward 1: tcp 127.0.0.1:$p -> 10.0.2.100:80
ID   PROTO HOST -> GUEST
1    tcp   127.0.0.1:$p -> 10.0.2.100:80" "$(sed -n 1,3p <<<"$OUT")" "hckns fwd add and fwd ls inside"
	assert_contains "$(sed -n 4,5p <<<"$OUT")" "lab " "hckns ls inside"
	assert_eq "enter: 125" "$(sed -n 6p <<<"$OUT")" "hckns enter lab inside lab"
	assert_eq "hckns: you are inside instance 'lab' already (see HCKNS_INSTANCE): run the command here, without hckns enter" \
		"$ERR" "the message of hckns enter lab inside"
	assert_no_instance
}

# `hckns stop` tells a holder at a terminal why its command ends, and who
# asked, before SIGTERM; a holder without one (a script) is not told
# (its status fd says how the command ended).
test_stop_tells_interactive_holders() {
	local tty=$TEST_TMP/tty.out
	command -v script >/dev/null || skip "no script(1) (Debian: bsdutils)"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn term script -qfc "$(printf '%q ' "${H[@]}" --name lab -- sleep 30)" "$tty"
	local term=$SPAWNED
	hold c --name lab --
	wait_for 10 holders_are lab 2 || fail "two holders expected: $JSON"
	hk stop stop lab
	assert_eq 0 "$STATUS" "hckns stop ($ERR)"
	finish "$term" 20
	grep -qE "^hckns: instance 'lab' is being stopped by 'hckns stop' \(pid [0-9]+\): the command gets SIGTERM now, SIGKILL 5 s later" "$tty" ||
		fail "no line for the holder at a terminal: $(cat "$tty")"
	finish "${FE[c]}" 20
	assert_not_contains "$(cat "$TEST_TMP/c.err")" "is being stopped" "the holder without a terminal"
	assert_no_instance
}

# --detach: returns once the instance runs, which lives (held by sleep
# infinity) until `hckns stop`; ls shows it, enter joins it; nothing left.
# Without --name: one line, 125.
test_detach() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hk start --name lab --detach
	assert_eq 0 "$STATUS" "hckns --name lab --detach ($ERR)"
	assert_eq "instance 'lab' runs; 'hckns stop lab' ends it" "$OUT" "what it says"
	assert_eq 1 "$(field lab holders)" "holders of the detached instance"
	hk enter enter lab -- sh -c 'ps -e -o comm= | sort | xargs'
	assert_eq 0 "$STATUS" "hckns enter lab ($ERR)"
	assert_contains "$OUT" "sleep" "the processes inside"
	hk stop stop lab
	assert_eq 0 "$STATUS" "hckns stop lab ($ERR)"
	wait_for 10 sh -c "[ -z \"\$(ls -A '$BASE' 2>/dev/null | grep -v '^\.')\" ]" ||
		fail "instance directories left: $(ls -A "$BASE")"
	assert_no_instance
	hk nameless --detach -- true
	assert_eq 125 "$STATUS" "--detach without --name"
	assert_eq "hckns: --detach needs --name NAME: the name is how 'hckns enter', 'hckns stop' and 'hckns ls' find it" \
		"$ERR" "the message"
}

# `hckns enter` of an instance that does not run: one line, 125, nothing
# created or started (with no instance at all, and beside another one).
test_enter_nosuch() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hk enter enter nosuch -- true "$MARK"
	assert_eq 125 "$STATUS" "exit status of 'hckns enter nosuch' ($ERR)"
	assert_eq "" "$OUT" "stdout of 'hckns enter nosuch'"
	assert_one_line "$TEST_TMP/enter.err" "hckns enter nosuch"
	assert_contains "$ERR" "no instance 'nosuch' is running" "the message"
	assert_eq "" "$(find "$RT" -mindepth 1)" "what 'hckns enter nosuch' created under $RT"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind"

	hold other --name other --
	hk enter enter nosuch -- true "$MARK"
	assert_eq 125 "$STATUS" "exit status of 'hckns enter nosuch' beside an instance ($ERR)"
	assert_eq "" "$OUT" "stdout of 'hckns enter nosuch' beside an instance"
	assert_one_line "$TEST_TMP/enter.err" "hckns enter nosuch"
	assert_contains "$ERR" "no instance 'nosuch' is running" "the message"
	assert_eq "$BASE/other" "$(instance_dirs)" "instance directories"
	[ ! -e "$BASE/.nosuch.lock" ] || fail "'hckns enter nosuch' created $BASE/.nosuch.lock"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind"
	assert_eq 1 "$(field other holders)" "holders of the other instance"
	release other
}

# `hckns ls`: columns NAME PID AGE HOLDERS FORWARDS, one row per instance
# (sorted), the keeper's pid, the holders and the forwards; `--json` the
# same with the runtime directory.  With no instance, nothing listed.
test_ls_and_ls_json() {
	local p row ka kb
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	p=$(free_ports 1) || fail "no free port"
	hold b1 --name beta --
	hold a1 --name alpha -p "$p" --
	hold a2 --name alpha --
	ka=$(trace_pid "$TEST_TMP/a1.err" 'keeper started, pid')
	kb=$(trace_pid "$TEST_TMP/b1.err" 'keeper started, pid')

	hk ls ls
	assert_eq 0 "$STATUS" "exit status of 'hckns ls' ($ERR)"
	assert_eq "" "$ERR" "stderr of 'hckns ls'"
	assert_eq 3 "$(grep -c . <<<"$OUT")" "lines of 'hckns ls': $OUT"
	assert_eq "NAME PID AGE HOLDERS FORWARDS" "$(sed -n 1p <<<"$OUT" | awk '{ $1 = $1; print }')" \
		"the header of 'hckns ls'"
	assert_eq "alpha beta" "$(sed 1d <<<"$OUT" | awk '{ print $1 }' | paste -sd' ')" \
		"the names listed, in order"
	row=$(ls_row alpha)
	[[ $row =~ ^alpha\ $ka\ [0-9]+m[0-5][0-9]s\ 2\ 1$ ]] ||
		fail "the row of alpha: expected 'alpha $ka <AGE> 2 1', got '$row'"
	row=$(ls_row beta)
	[[ $row =~ ^beta\ $kb\ [0-9]+m[0-5][0-9]s\ 1\ 0$ ]] ||
		fail "the row of beta: expected 'beta $kb <AGE> 1 0', got '$row'"
	[ "$(cat "/proc/$ka/comm")" = hckns-keeper ] || fail "pid $ka listed is not a keeper"

	ls_json
	assert_eq 2 "$(jq '.instances | length' <<<"$JSON")" "instances in 'hckns ls --json': $JSON"
	jq -e --arg ka "$ka" --arg dir "$BASE/alpha" '.instances[] | select(.name == "alpha") |
		(.pid | tostring) == $ka and .holders == 2 and .forwards == 1 and
		.runtime_dir == $dir' <<<"$JSON" >/dev/null ||
		fail "alpha in 'hckns ls --json' (pid $ka, 2 holders, 1 forward, $BASE/alpha): $JSON"
	jq -e --arg kb "$kb" --arg dir "$BASE/beta" '.instances[] | select(.name == "beta") |
		(.pid | tostring) == $kb and .holders == 1 and .forwards == 0 and
		.runtime_dir == $dir' <<<"$JSON" >/dev/null ||
		fail "beta in 'hckns ls --json' (pid $kb, 1 holder, no forward, $BASE/beta): $JSON"
	[ -d "$(jq -r '.instances[0].runtime_dir' <<<"$JSON")" ] ||
		fail "the runtime_dir listed is not a directory: $JSON"

	release a2
	assert_eq 1 "$(field alpha holders)" "holders of alpha after one left"
	release a1
	release b1
	hk ls ls
	assert_eq 0 "$STATUS" "exit status of 'hckns ls' with no instance ($ERR)"
	assert_not_contains "$OUT" "alpha" "'hckns ls' with no instance"
	assert_not_contains "$OUT" "beta" "'hckns ls' with no instance"
	assert_no_instance
}

# stop_two_holders MODE-A MODE-B: instance X of holders a (the creator)
# and b (a joiner), whose commands trap SIGTERM: "term" ends on it (hckns
# exits 143), "keep" ignores it and is killed (SIGKILL) after the timeout
# (hckns exits 137).  `hckns stop X` sends them SIGTERM, says "stopped X",
# exits 0 once nothing is left.  A stop is no failure: neither holder says
# anything went wrong.
stop_two_holders() {
	local stopper h term keep
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hold a --name X -- "$1"
	hold_userns "${CMD[a]}"
	hold b --name X -- "$2"
	if [ "$1" = term ]; then term=a keep=b; else term=b keep=a; fi
	assert_eq 2 "$(field X holders)" "holders"
	spawn stop "${H[@]}" stop X
	stopper=$SPAWNED
	wait_for 5 test -s "$TEST_TMP/$keep.d/got" || fail "$keep's command got no SIGTERM"
	# It ignores SIGTERM: it still runs, until the timeout.
	alive "${CMD[$keep]}" || fail "$keep's command was killed at once, not after the timeout"
	finish "${FE[$term]}" 10
	assert_eq 143 "$STATUS" "exit status of $term, whose command ended on SIGTERM ($(hckns_lines "$TEST_TMP/$term.err"))"
	assert_eq TERM "$(cat "$TEST_TMP/$term.d/got" 2>/dev/null)" "what $term's command got"
	finish "$stopper" 15
	assert_eq 0 "$STATUS" "exit status of 'hckns stop X' ($(cat "$TEST_TMP/stop.err"))"
	assert_eq "stopped X" "$(cat "$TEST_TMP/stop.out")" "stdout of 'hckns stop X'"
	assert_eq "" "$(cat "$TEST_TMP/stop.err")" "stderr of 'hckns stop X'"
	finish "${FE[$keep]}" 5
	assert_eq 137 "$STATUS" "exit status of $keep, whose command ignored SIGTERM ($(hckns_lines "$TEST_TMP/$keep.err"))"
	assert_eq TERM "$(cat "$TEST_TMP/$keep.d/got")" "what $keep's command got"
	for h in a b; do
		assert_eq "" "$(hckns_lines "$TEST_TMP/$h.err")" "messages from $h, stopped by 'hckns stop'"
	done
	wait_instance_gone 2 "$TEST_TMP/a.err" "$INODE"
	assert_no_instance
}

test_stop_joiner_ignores_sigterm() { stop_two_holders term keep; }
test_stop_creator_ignores_sigterm() { stop_two_holders keep term; }

test_stop_nosuch() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hk stop stop nosuch
	assert_eq 125 "$STATUS" "exit status of 'hckns stop nosuch' ($ERR)"
	assert_eq "" "$OUT" "stdout of 'hckns stop nosuch'"
	assert_one_line "$TEST_TMP/stop.err" "hckns stop nosuch"
	assert_contains "$ERR" "nosuch" "the message"
	assert_eq "" "$(find "$RT" -mindepth 1)" "what 'hckns stop nosuch' created under $RT"
}

# ---- 3. stale state --------------------------------------------------------

# stale NAME: BASE/NAME as a crash leaves it: its lock file (held by
# nobody), files where its sockets were (nobody listens), a file of our
# own; and, for a name (not a pid), the name lock BASE/.NAME.lock, held by
# nobody.
stale() {
	mkdir -p "$BASE" && chmod 0700 "$BASE"
	mkdir -m 0700 "$BASE/$1" || fail "cannot make $BASE/$1"
	: >"$BASE/$1/lock"
	: >"$BASE/$1/keeper.sock"
	: >"$BASE/$1/api.sock"
	: >"$BASE/$1/left-by-a-crash"
	case $1 in
	*[!0-9]*) : >"$BASE/.$1.lock" ;;
	esac
}

# A runtime directory left by a crash is not listed, is not joined (enter
# says no instance runs), is removed at the next start (of any instance),
# and `--name` of its name starts a fresh instance.
test_stale_dirs_cleaned_never_joined() {
	local dead net
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	sh -c 'echo $$' >"$TEST_TMP/dead.pid"
	dead=$(cat "$TEST_TMP/dead.pid")
	stale ghost
	stale 4194303
	alive "$dead" || stale "$dead"

	ls_json
	assert_eq 0 "$(jq '.instances | length' <<<"$JSON")" "instances listed with stale directories: $JSON"
	hk ls ls
	assert_not_contains "$OUT" "ghost" "'hckns ls' with stale directories"
	assert_not_contains "$OUT" "4194303" "'hckns ls' with stale directories"

	hk enter enter ghost -- true "$MARK"
	assert_eq 125 "$STATUS" "exit status of 'hckns enter ghost', ghost stale ($ERR)"
	assert_eq "" "$OUT" "stdout of 'hckns enter ghost'"
	assert_one_line "$TEST_TMP/enter.err" "hckns enter ghost"
	assert_contains "$ERR" "no instance 'ghost' is running" "the message"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind"

	# The next start (of another instance) removes them all.
	[ -e "$BASE/ghost" ] || stale ghost
	hk other -v -- true
	assert_eq 0 "$STATUS" "exit status of hckns beside stale directories ($(hckns_lines "$TEST_TMP/other.err"))"
	[ ! -e "$BASE/ghost" ] || fail "the stale $BASE/ghost is left after the next start: $(ls -la "$BASE/ghost")"
	[ ! -e "$BASE/4194303" ] || fail "the stale $BASE/4194303 is left after the next start"
	if ! alive "$dead"; then
		[ ! -e "$BASE/$dead" ] || fail "the stale $BASE/$dead (pid $dead has exited) is left after the next start"
	fi
	assert_no_instance

	# --name of a stale one: a fresh instance, created, not joined.
	stale ghost
	hk ghost -v --name ghost -- sh -c 'readlink /proc/self/ns/net; ls -A "$0"' "$BASE/ghost"
	assert_eq 0 "$STATUS" "exit status of 'hckns --name ghost', ghost stale ($(hckns_lines "$TEST_TMP/ghost.err"))"
	assert_contains "$ERR" "keeper started, pid" "the trace of 'hckns --name ghost'"
	assert_not_contains "$ERR" "joined instance" "the trace of 'hckns --name ghost'"
	net=$(sed -n 1p <<<"$OUT")
	assert_contains "$net" "net:[" "the network namespace of 'hckns --name ghost'"
	assert_not_contains "$OUT" "left-by-a-crash" "the fresh runtime directory of ghost"
	assert_instance_gone "$TEST_TMP/ghost.err"
	assert_no_instance
}

# One sweep at a time (common/runtime.c, a lock on the base directory):
# while another run sweeps, a run leaves the stale directories to it, and
# says so with -v; the next run once the lock is free removes them.
test_stale_sweep_one_at_a_time() {
	local holder
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	stale ghost
	# One process that holds the lock (no child that would keep it).
	bash -c 'exec 9<"$1" && flock -x 9 && exec sleep 30' sh "$BASE" &
	holder=$!
	at_exit "kill $holder 2>/dev/null"
	for _ in $(seq 50); do
		flock -x -n "$BASE" true 2>/dev/null || break
		sleep 0.1
	done
	hk held -v -- true
	assert_eq 0 "$STATUS" "exit status while another holds the base's lock ($(hckns_lines "$TEST_TMP/held.err"))"
	assert_contains "$ERR" "runtime base: another run is sweeping it" "the trace while the base's lock is held"
	[ -e "$BASE/ghost" ] || fail "$BASE/ghost was removed while another run held the base's lock"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	hk free -v -- true
	assert_eq 0 "$STATUS" "exit status once the lock is free ($(hckns_lines "$TEST_TMP/free.err"))"
	assert_not_contains "$ERR" "another run is sweeping" "the trace once the lock is free"
	[ ! -e "$BASE/ghost" ] || fail "the stale $BASE/ghost is left after a run with the base's lock free"
	rm -f "$BASE/.ghost.lock"
	assert_no_instance
}

# A stale runtime directory without its name lock (removed by hand, or a
# base copied around): it is still cleaned at the next start.
test_stale_dir_without_name_lock() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	stale ghost
	rm -f "$BASE/.ghost.lock"
	hk other -v -- true
	assert_eq 0 "$STATUS" "exit status of hckns beside a stale directory ($(hckns_lines "$TEST_TMP/other.err"))"
	[ ! -e "$BASE/ghost" ] ||
		fail "the stale $BASE/ghost (no $BASE/.ghost.lock) is left after the next start: $(ls -A "$BASE/ghost" | paste -sd' ')"
	hk ghost -v --name ghost -- true
	assert_eq 0 "$STATUS" "exit status of 'hckns --name ghost' ($(hckns_lines "$TEST_TMP/ghost.err"))"
	assert_contains "$ERR" "keeper started, pid" "the trace of 'hckns --name ghost'"
	assert_no_instance
}

# A real crash: the front end, the keeper, the helper and slirp4netns of a
# named instance are killed at once (SIGKILL).  Its command goes (parent
# death signal); the next `hckns --name same` creates a fresh instance.
test_crashed_instance_restarts() {
	local keeper helper slirp what pid
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hold c --name same --
	keeper=$(trace_pid "$TEST_TMP/c.err" 'keeper started, pid')
	helper=$(trace_pid "$TEST_TMP/c.err" 'helper started, pid')
	slirp=$(trace_pid "$TEST_TMP/c.err" 'slirp4netns started, pid')
	for pid in "$keeper" "$helper" "$slirp"; do
		[ -n "$pid" ] || fail "the trace does not name the keeper, helper and slirp4netns: $(cat "$TEST_TMP/c.err")"
	done
	hold_userns "$helper"
	kill -KILL "${FE[c]}" "$keeper" "$helper" "$slirp"
	for pid in "${FE[c]}" "$keeper" "$helper" "$slirp" "${CMD[c]}"; do
		wait_for 2 gone "$pid" || fail "pid $pid survived the crash"
	done
	wait_for 2 userns_empty "$INODE" ||
		fail "processes left in user:[$INODE]: $(live_userns_pids "$INODE" | tr '\n' ' ')"

	ls_json
	assert_eq 0 "$(jq '.instances | length' <<<"$JSON")" "instances listed after the crash: $JSON"
	hk same -v --name same -- readlink /proc/self/ns/net
	assert_eq 0 "$STATUS" "exit status of 'hckns --name same' after the crash ($(hckns_lines "$TEST_TMP/same.err"))"
	assert_contains "$ERR" "keeper started, pid" "the trace of 'hckns --name same' after the crash"
	assert_not_contains "$ERR" "joined instance" "the trace of 'hckns --name same' after the crash"
	assert_contains "$OUT" "net:[" "what the command of 'hckns --name same' said"
	for what in 'keeper started, pid' 'slirp4netns started, pid'; do
		pid=$(trace_pid "$TEST_TMP/same.err" "$what")
		assert_not_contains " $keeper $slirp " " $pid " "'$what' of the new instance"
	done
	assert_instance_gone "$TEST_TMP/same.err"
	assert_no_instance
}

# ---- 4. forwards in a shared instance -------------------------------------

# shared_forward FIRST: the creator c of instance fw asks for -p P, a
# joiner j asks for the same -p P (already there: no error, no second
# forward); FIRST ("creator" or "joiner") leaves first, the other runs the
# server behind the forward.  The forward stays and answers while any
# holder lives; after the last, nothing listens on P.
shared_forward() {
	local first=$1 p m=shared-$$-$RANDOM
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	p=$(free_ports 1) || fail "no free port"
	if [ "$first" = creator ]; then
		hold c --name fw -p "$p:8080" --
		hold_userns "${CMD[c]}"
		hold j --name fw -p "$p:8080" -- - "8080=$m"
	else
		hold c --name fw -p "$p:8080" -- - "8080=$m"
		hold_userns "${CMD[c]}"
		hold j --name fw -p "$p:8080" --
	fi
	assert_contains "$(cat "$TEST_TMP/j.err")" "joined instance 'fw'" "the joiner's trace"
	assert_eq "" "$(hckns_lines "$TEST_TMP/j.err")" "messages from the joiner asking for the same -p"
	grep -q "\] forward 1: tcp:127.0.0.1:$p:10.0.2.100:8080\$" "$TEST_TMP/j.err" ||
		fail "the joiner's trace does not name the forward the creator made: $(cat "$TEST_TMP/j.err")"
	assert_eq 1 "$(field fw forwards)" "forwards of instance fw"
	assert_eq "127.0.0.1:$p" "$(tcp_listeners "$p")" "where port $p listens"
	expect_answer "$p" "$m"

	if [ "$first" = creator ]; then
		release c
	else
		release j
	fi
	assert_eq "127.0.0.1:$p" "$(tcp_listeners "$p")" "where port $p listens after the $first left"
	expect_answer "$p" "$m"
	assert_eq 1 "$(field fw forwards)" "forwards of instance fw after the $first left"
	assert_eq 1 "$(field fw holders)" "holders of instance fw after the $first left"

	if [ "$first" = creator ]; then
		release j
	else
		release c
	fi
	assert_instance_gone "$TEST_TMP/c.err" "$INODE"
	assert_nothing_listens "$p"
	assert_no_instance
}

test_shared_forward_creator_leaves_first() { shared_forward creator; }
test_shared_forward_joiner_leaves_first() { shared_forward joiner; }

# A joiner's network options must be the instance's, or absent: the network
# was built when the instance was created.  Other ones: one line, 125, and
# the instance is untouched.
test_joiner_network_options() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	hold c --name X --mtu 9000 --
	hold_userns "${CMD[c]}"
	hk plain --name X -- true
	assert_eq 0 "$STATUS" "a joiner without network options ($ERR)"
	hk same --name X --mtu 9000 -- true
	assert_eq 0 "$STATUS" "a joiner with the instance's options ($ERR)"
	hk other --name X --mtu 1400 -- true
	assert_eq 125 "$STATUS" "a joiner with other options"
	assert_one_line "$TEST_TMP/other.err" "a joiner with other options"
	assert_eq "hckns: instance 'X' runs with --mtu 9000, not --mtu 1400; join it without network or id options (or with the ones it was started with), or choose another --name" \
		"$ERR" "the message names the option"
	hk enter enter X --cidr 10.9.0.0/24 -- true
	assert_eq 125 "$STATUS" "hckns enter with other options"
	assert_eq 1 "$(field X holders)" "holders after the refused joiners"
	release c
	assert_instance_gone "$TEST_TMP/c.err" "$INODE"
	assert_no_instance
}
