# The instance's PID namespace (doc/design.md: Stop; SECURITY.md: "Nothing
# started inside survives the instance"): hckns-helper is its PID 1, and
# when the instance ends the kernel ends every process started in it,
# whatever that process did: a nested user namespace, setsid, a double
# fork, a kill of hckns's own processes.  The command, joiners and
# `hckns enter` run in it, and inside, /proc is the namespace's own.
#
# Processes are found on this host by a unique argument (pids_with_arg),
# never by a pid seen inside.
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"
# shellcheck source-path=SCRIPTDIR source=lib-fwd.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-fwd.sh"

# The scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016

# linger.sh TAG: lives 60 s at most; TAG is only its name on this host.
# escape.sh DIR TAG: started by a command inside, it leaves three
# processes that try to outlive the instance, each a linger.sh: one in a
# nested user namespace and a session of its own (TAG-nested), one from a
# double fork (TAG-dfork), one from `setsid -f` (TAG-setsid); then
# DIR/escaped.
write_escape() {
	cat >"$TEST_TMP/linger.sh" <<'EOF'
i=0
while [ "$i" -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
EOF
	cat >"$TEST_TMP/escape.sh" <<'EOF'
d=$1 tag=$2 l=${0%/*}/linger.sh
unshare --user --map-root-user sh -c 'setsid sh "$1" "$2" & true' sh "$l" "$tag-nested"
(sh "$l" "$tag-dfork" &)
setsid -f sh "$l" "$tag-setsid"
touch "$d/escaped"
EOF
}

ESCAPES="nested dfork setsid"

# The escapes of TAG that run on this host, one pid a line.
escapes_of() {
	local e
	for e in $ESCAPES; do pids_with_arg "$1-$e"; done
}
all_escaped() { [ "$(escapes_of "$1" | grep -c .)" = 3 ]; }
none_left() { [ -z "$(escapes_of "$1")" ]; }

# wait_escaped DIR TAG: the command ran escape.sh and all three run; the
# nested one in a user namespace below the instance's.
wait_escaped() {
	local p
	wait_for 20 test -e "$1/escaped" ||
		fail "the command did not run escape.sh: $(cat "$TEST_TMP"/*.err 2>/dev/null)"
	wait_for 10 all_escaped "$2" ||
		fail "not all escapes run: $(escapes_of "$2" | tr '\n' ' ')"
	p=$(pids_with_arg "$2-nested")
	[ "$(readlink "/proc/$p/ns/user")" != "user:[$INODE]" ] ||
		fail "the nested escape $p is in the instance's own user namespace"
}

# assert_escapes_gone TAG: within 5 s, none of TAG's escapes runs.
assert_escapes_gone() {
	wait_for 5 none_left "$1" ||
		fail "processes started inside survive the instance: $(for p in $(escapes_of "$1"); do tr '\0' ' ' <"/proc/$p/cmdline"; echo "(pid $p)"; done)"
}

# escaping NAME [HCKNS-OPTION...]: spawn hckns -v (private runtime base)
# whose command runs escape.sh, then waits (30 s at most) for DIR/stop.
# Sets DIR ($TEST_TMP/NAME.d), TAG, TRACE, INODE (held), RUNDIR.
escaping() {
	local name=$1
	shift
	DIR=$TEST_TMP/$name.d TAG=$MARK-$name TRACE=$TEST_TMP/$name.err
	mkdir -p "$DIR"
	write_escape
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn "$name" "${H[@]}" -v "$@" -- sh -c 'sh "$1/escape.sh" "$2" "$3"
		i=0; while [ ! -e "$2/stop" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done' \
		sh "$TEST_TMP" "$DIR" "$TAG"
	at_exit "touch '$DIR/stop'"
	wait_trace "$TRACE" 'command started, pid' 20
	hold_userns "$(trace_pid "$TRACE" 'helper started, pid')"
	RUNDIR=$(trace_value "$TRACE" 'runtime directory:')
	wait_escaped "$DIR" "$TAG"
}

# A nested user namespace in a session of its own, a double fork and
# `setsid -f`: after hckns returns, none of them runs.
test_escapes_end_with_the_instance() {
	escaping run
	touch "$DIR/stop"
	finish "$SPAWNED" 20
	assert_eq 0 "$STATUS" "exit status of hckns ($(hckns_lines "$TRACE"))"
	assert_escapes_gone "$TAG"
	wait_instance_gone 3 "$TRACE" "$INODE"
}

# From inside, hckns's own processes cannot be named: a kill of the front
# end's and the keeper's pids (this host's) fails with ESRCH, and both
# live on; the command ends normally.
test_hckns_processes_unreachable_from_inside() {
	local keeper out
	mkdir -p "$TEST_TMP/d"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn run "${H[@]}" -v -- sh -c '
		i=0; while [ ! -s "$1/pids" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
		for p in $(cat "$1/pids"); do
			kill -KILL "$p" 2>>"$1/kill.err" && echo "killed $p" >>"$1/kill.out"
		done
		exit 0' sh "$TEST_TMP/d"
	TRACE=$TEST_TMP/run.err
	wait_trace "$TRACE" 'command started, pid' 20
	hold_userns "$(trace_pid "$TRACE" 'helper started, pid')"
	keeper=$(trace_pid "$TRACE" 'keeper started, pid')
	echo "$SPAWNED $keeper" >"$TEST_TMP/d/pids.tmp" && mv "$TEST_TMP/d/pids.tmp" "$TEST_TMP/d/pids"
	finish "$SPAWNED" 20
	assert_eq 0 "$STATUS" "exit status of hckns ($(hckns_lines "$TRACE"))"
	assert_eq "" "$(cat "$TEST_TMP/d/kill.out" 2>/dev/null)" "kills from inside that worked"
	out=$(cat "$TEST_TMP/d/kill.err" 2>/dev/null)
	assert_eq 2 "$(grep -c 'No such process' <<<"$out")" "kills refused with ESRCH: $out"
	assert_eq "" "$(hckns_lines "$TRACE")" "messages from hckns"
	wait_instance_gone 3 "$TRACE" "$INODE"
}

# SIGKILL from outside: the keeper alone, the front end alone (each time
# the other one ends the instance and removes its runtime directory), or
# both at once (the helper's socket is gone with them: the kernel ends the
# instance; the next hckns run removes the directory).
#
# When the front end dies, its command (killed by its parent-death signal,
# and by the namespace's end) goes to this host's init, and the kernel lets
# the helper finish exiting only once every process of its namespace is
# reaped, that zombie included: an init that reaps late (some sandboxes'
# do, every 2 s or so) delays the helper's end, not the others'.  Hence
# 10 s for the helper there.
test_keeper_sigkilled_escapes_end() {
	escaping run
	kill -KILL "$(trace_pid "$TRACE" 'keeper started, pid')"
	finish "$SPAWNED" 10
	assert_eq 125 "$STATUS" "exit status of hckns"
	assert_escapes_gone "$TAG"
	wait_instance_gone 3 "$TRACE" "$INODE"
}

test_front_end_sigkilled_escapes_end() {
	escaping run
	kill -KILL "$SPAWNED"
	wait_for 2 gone "$SPAWNED" || fail "the front end survived SIGKILL"
	assert_escapes_gone "$TAG"
	wait_instance_gone 10 "$TRACE" "$INODE"
}

test_front_end_and_keeper_sigkilled_escapes_end() {
	local keeper
	escaping run
	keeper=$(trace_pid "$TRACE" 'keeper started, pid')
	kill -KILL "$SPAWNED" "$keeper"
	wait_for 2 gone "$SPAWNED" || fail "the front end survived SIGKILL"
	wait_for 2 gone "$keeper" || fail "the keeper survived SIGKILL"
	assert_escapes_gone "$TAG"
	wait_for 10 gone "$(trace_pid "$TRACE" 'helper started, pid')" ||
		fail "the helper still runs"
	wait_for 3 userns_empty "$INODE" ||
		fail "processes left in user:[$INODE]: $(live_userns_pids "$INODE" | tr '\n' ' ')"
	[ -d "$RUNDIR" ] || fail "nobody was left to remove $RUNDIR, yet it is gone"
	run next 20 "${H[@]}" -- true
	assert_eq 0 "$STATUS" "exit status of the next run ($(cat "$TEST_TMP/next.err"))"
	[ ! -e "$RUNDIR" ] || fail "the next run did not remove $RUNDIR"
	assert_instance_gone "$TRACE" "$INODE"
}

# A named instance whose creator leaves first: the joiner's command runs
# on, and so does the instance (the keeper holds its helper, still PID 1
# inside), what the creator's command left included; when the joiner, the
# last holder, leaves, everything is gone.
test_creator_leaves_first_instance_lives() {
	local j=$TEST_TMP/j.d c_trace creator joiner
	escaping c --name pidns-$$
	c_trace=$TRACE creator=$SPAWNED
	mkdir -p "$j"
	spawn j "${H[@]}" -v --name "pidns-$$" -- sh -c '
		echo "$$ $(readlink /proc/self/ns/pid)" >"$1/pid"
		i=0; while [ ! -e "$1/stop" ] && [ $i -lt 600 ]; do
			if [ -e "$1/look" ] && [ ! -e "$1/comm" ]; then
				cat /proc/1/comm >"$1/comm.tmp" && mv "$1/comm.tmp" "$1/comm"
			fi
			sleep 0.05; i=$((i + 1))
		done' sh "$j"
	joiner=$SPAWNED
	at_exit "touch '$j/stop'"
	wait_for 20 test -s "$j/pid" || fail "the joiner's command did not start: $(cat "$TEST_TMP/j.err")"
	assert_contains "$(cat "$TEST_TMP/j.err")" "joined instance 'pidns-$$'" "the joiner's trace"
	touch "$DIR/stop"
	finish "$creator" 20
	assert_eq 0 "$STATUS" "exit status of the creator ($(hckns_lines "$c_trace"))"
	# The creator has left; the instance lives on.
	alive "$(outer_pid "$j/pid")" || fail "the joiner's command ended with the creator"
	all_escaped "$TAG" || fail "the creator's leftovers ended while the joiner holds the instance"
	touch "$j/look"
	wait_for 10 test -s "$j/comm" || fail "the joiner's command did not look at /proc/1"
	assert_eq hckns-helper "$(cat "$j/comm")" "PID 1 inside, after the creator left"
	touch "$j/stop"
	finish "$joiner" 20
	assert_eq 0 "$STATUS" "exit status of the joiner ($(hckns_lines "$TEST_TMP/j.err"))"
	assert_escapes_gone "$TAG"
	wait_instance_gone 3 "$c_trace" "$INODE"
}

# look.sh DIR: the command of test_proc_is_the_instances: writes what it
# sees of /proc (DIR/comm1: /proc/1/comm; DIR/ps: `ps -e -o comm=`;
# DIR/nspid: its own NSpid line) and its pid there with the namespace
# (DIR/pid, for outer_pid), then waits (30 s at most) for DIR/stop.
write_look() {
	cat >"$TEST_TMP/look.sh" <<'EOF'
d=$1
cat /proc/1/comm >"$d/comm1"
ps -e -o comm= >"$d/ps"
grep '^NSpid:' /proc/self/status >"$d/nspid"
echo "$$ $(readlink /proc/self/ns/pid)" >"$d/pid.tmp" && mv "$d/pid.tmp" "$d/pid"
i=0
while [ ! -e "$d/stop" ] && [ "$i" -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
EOF
}

# assert_sees_instance WHO: what WHO's look.sh saw is the instance alone:
# PID 1 is hckns-helper, `ps -e` shows only the instance's processes, and
# its own NSpid has one level there (the fresh /proc's); on this host its
# NSpid has two, the inner one the pid it has inside.
assert_sees_instance() {
	local d=$TEST_TMP/$1.d host inner others
	wait_for 20 test -s "$d/pid" || fail "the command of $1 did not start: $(cat "$TEST_TMP/$1.err")"
	assert_eq hckns-helper "$(cat "$d/comm1")" "/proc/1/comm inside, for $1"
	others=$(grep -vxE 'hckns-helper|sh|ps|sleep|cat|grep' "$d/ps" | tr '\n' ' ')
	assert_eq "" "$others" "processes ps shows inside, for $1, beyond the instance's ($(tr '\n' ' ' <"$d/ps"))"
	read -r inner _ <"$d/pid"
	assert_eq 2 "$(awk '{ print NF }' "$d/nspid")" \
		"fields of an NSpid line inside, for $1 ($(cat "$d/nspid"))"
	host=$(outer_pid "$d/pid")
	[ -n "$host" ] || fail "the command of $1 is not on this host"
	assert_eq "NSpid:	$host	$inner" "$(grep '^NSpid:' "/proc/$host/status")" \
		"the NSpid line of $1 on this host"
}

# ps inside shows the instance's processes only, for the creator, a
# joiner (--name) and `hckns enter`: /proc inside is a proc of the
# instance's PID namespace.
test_proc_is_the_instances() {
	local who name=look-$$
	local -A fe
	write_look
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	for who in c j e; do
		mkdir -p "$TEST_TMP/$who.d"
		case $who in
		c | j) spawn "$who" "${H[@]}" -v --name "$name" -- sh "$TEST_TMP/look.sh" "$TEST_TMP/$who.d" ;;
		e) spawn "$who" "${H[@]}" enter "$name" -v -- sh "$TEST_TMP/look.sh" "$TEST_TMP/$who.d" ;;
		esac
		fe[$who]=$SPAWNED
		at_exit "touch '$TEST_TMP/$who.d/stop'"
		wait_for 20 test -s "$TEST_TMP/$who.d/pid" ||
			fail "the command of $who did not start: $(cat "$TEST_TMP/$who.err")"
		[ "$who" = c ] && hold_userns "$(trace_pid "$TEST_TMP/c.err" 'helper started, pid')"
	done
	for who in c j e; do assert_sees_instance "$who"; done
	for who in e j c; do
		touch "$TEST_TMP/$who.d/stop"
		finish "${fe[$who]}" 20
		assert_eq 0 "$STATUS" "exit status of $who ($(hckns_lines "$TEST_TMP/$who.err"))"
	done
	wait_instance_gone 3 "$TEST_TMP/c.err" "$INODE"
}

# Orphans inside are re-parented to PID 1, the helper, which ignores
# SIGCHLD: the kernel reaps them, and no zombie is left after many.
test_orphans_reaped_no_zombies() {
	local d=$TEST_TMP/d helper z
	mkdir -p "$d"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn run "${H[@]}" -v -- sh -c '
		d=$1
		(sh -c "sleep 0.3; grep ^PPid: /proc/\$\$/status >$d/ppid.tmp; mv $d/ppid.tmp $d/ppid" &)
		i=0; while [ $i -lt 200 ]; do (sleep 0.01 &); i=$((i + 1)); done
		cat /proc/1/comm >"$d/comm1"
		i=0; while [ $i -lt 100 ] && { [ ! -e "$d/ppid" ] || pgrep -x sleep >/dev/null; }; do
			sleep 0.05; i=$((i + 1)); done
		ps -e -o stat=,pid=,comm= >"$d/ps"
		touch "$d/done"
		i=0; while [ ! -e "$d/stop" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done' sh "$d"
	TRACE=$TEST_TMP/run.err
	at_exit "touch '$d/stop'"
	wait_trace "$TRACE" 'command started, pid' 20
	helper=$(trace_pid "$TRACE" 'helper started, pid')
	hold_userns "$helper"
	wait_for 20 test -e "$d/done" || fail "the orphans did not end: $(cat "$d/ps" 2>/dev/null)"
	assert_eq hckns-helper "$(cat "$d/comm1")" "PID 1 inside"
	assert_eq "PPid:	1" "$(cat "$d/ppid")" "an orphan's parent inside"
	z=$(awk '$1 ~ /^Z/' "$d/ps")
	assert_eq "" "$z" "zombies inside ($(tr '\n' ';' <"$d/ps"))"
	# The same seen from this host: the helper's children, none a zombie.
	for z in $(cat "/proc/$helper/task/$helper/children" 2>/dev/null); do
		[ "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$z/status")" != Z ] ||
			fail "the helper has a zombie child $z"
	done
	touch "$d/stop"
	finish "$SPAWNED" 20
	assert_eq 0 "$STATUS" "exit status of hckns ($(hckns_lines "$TRACE"))"
	wait_instance_gone 3 "$TRACE" "$INODE"
}

# A host whose /proc has a part hidden under another mount (here a tmpfs
# on /proc/sys/fs, in an outer user and mount namespace of the test's):
# the kernel refuses a fresh proc.  hckns runs on, says so with -v, the
# command sees the host's /proc, `hckns doctor` notes it, and the PID
# namespace still ends everything.
test_proc_refused_runs_on() {
	unshare --user --map-root-user --mount true 2>/dev/null ||
		skip "cannot create a user namespace with unshare(1) here"
	write_escape
	mkdir -p "$TEST_TMP/d"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	# A runtime base of the test's: /tmp/hckns-0 is real root's.
	run run 30 env -u XDG_RUNTIME_DIR TMPDIR="$RT" \
		unshare --user --map-root-user --mount sh -c '
		mount -t tmpfs tmpfs /proc/sys/fs || exit 90
		"$1" doctor >"$2/doctor"
		exec "$1" -v -- sh -c "cat /proc/1/comm >$2/comm1; sh $3/escape.sh $2 $4"' \
		sh "$HCKNS" "$TEST_TMP/d" "$TEST_TMP" "$MARK-refused"
	[ "$STATUS" != 90 ] || skip "cannot mount a tmpfs on /proc/sys/fs in a user namespace here"
	[ -e "$TEST_TMP/d/escaped" ] || fail "the command did not run escape.sh: $(cat "$TEST_TMP/run.err")"
	assert_eq 0 "$STATUS" "exit status of hckns ($(hckns_lines "$TEST_TMP/run.err"))"
	assert_contains "$(cat "$TEST_TMP/run.err")" "no fresh /proc inside (Operation not permitted): ps there shows the host's processes" "the trace"
	assert_eq "" "$(hckns_lines "$TEST_TMP/run.err")" "messages from hckns"
	[ "$(cat "$TEST_TMP/d/comm1")" != hckns-helper ] || fail "a fresh /proc was mounted after all"
	assert_contains "$(cat "$TEST_TMP/d/doctor")" "note a fresh /proc cannot be mounted in a new PID namespace here (Operation not permitted;" "the doctor's note"
	assert_escapes_gone "$MARK-refused"
	assert_instance_gone "$TEST_TMP/run.err"
}
