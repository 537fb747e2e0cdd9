# Exit statuses, and what is left after a run: nothing (doc/design.md: Stop,
# Exit status).  Every process of an instance is killed with SIGKILL in
# turn, and the rest must go away within 2 s, the survivor saying what
# happened.
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"

# run_sh NAME SCRIPT: hckns -v -- sh -c SCRIPT.  Before SCRIPT runs, the
# command writes its pid (in the instance's PID namespace) and waits (5 s
# at most) until the test holds the helper's user namespace (hold_userns).
# Sets STATUS, SPAWNED, INODE.
run_sh() {
	local name=$1 script=$2 d=$TEST_TMP
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn "$name" "$HCKNS" -v -- sh -c "echo \$\$ >'$d/$name.pid'; i=0;
		while [ ! -e '$d/$name.held' ] && [ \$i -lt 100 ]; do
			sleep 0.05; i=\$((i + 1)); done; $script"
	wait_for 15 test -s "$d/$name.pid" ||
		fail "the command did not start: $(cat "$d/$name.err")"
	hold_userns "$(trace_pid "$d/$name.err" 'helper started, pid')"
	touch "$d/$name.held"
	finish "$SPAWNED" 20
}

# Also asserts that hckns wrote nothing but its trace (a normal run).
assert_quiet_run() {
	local lines
	lines=$(hckns_lines "$TEST_TMP/$1.err")
	[ -z "$lines" ] || fail "unexpected messages from hckns: $lines"
}

test_exit_status_of_command() {
	run_sh run 'exit 3'
	assert_eq 3 "$STATUS" "exit status of 'exit 3'"
	assert_quiet_run run
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

test_exit_status_zero() {
	run_sh run 'exit 0'
	assert_eq 0 "$STATUS" "exit status of 'exit 0'"
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

test_exit_status_killed_by_sigkill() {
	run_sh run 'kill -9 $$'
	assert_eq 137 "$STATUS" "exit status of a command killed by SIGKILL"
	assert_quiet_run run
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

test_exit_status_killed_by_sigterm() {
	run_sh run 'kill -TERM $$'
	assert_eq 143 "$STATUS" "exit status of a command killed by SIGTERM"
	assert_quiet_run run
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

# A command that cannot run: one line, its status, nothing left.  The
# quiet run shows the message alone; the traced run names the processes
# to check.
cannot_run() { # COMMAND STATUS MESSAGE
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run quiet 20 "$HCKNS" -- "$1"
	assert_eq "$2" "$STATUS" "exit status for $1"
	assert_eq "" "$(cat "$TEST_TMP/quiet.out")" "stdout"
	assert_one_line "$TEST_TMP/quiet.err" "$1"
	assert_eq "$3" "$(cat "$TEST_TMP/quiet.err")" "the message"
	[ ! -e "$(runtime_base)/$SPAWNED" ] ||
		fail "runtime directory $(runtime_base)/$SPAWNED is left"

	run traced 20 "$HCKNS" -v -- "$1"
	assert_eq "$2" "$STATUS" "exit status for $1 with -v"
	assert_eq "$3" "$(hckns_lines "$TEST_TMP/traced.err")" "the message with -v"
	assert_instance_gone "$TEST_TMP/traced.err"
}

test_command_not_found() {
	cannot_run /nonexistent 127 "hckns: /nonexistent: command not found"
}

# A PATH directory that cannot be searched from inside does not turn "not
# found" into "cannot execute": 127, as sh says; a file found but not
# executable is still 126.
test_command_not_found_past_unsearchable_dir() {
	local d=$TEST_TMP/nosearch
	if [ "$(id -u)" = 0 ]; then
		# Owned by an id the instance does not map: root inside cannot
		# override its mode.
		mkdir -p "$d" && chown 65534:65534 "$d" && chmod 0700 "$d" || fail "mkdir $d"
	elif [ -d /root ] && ! [ -x /root ]; then
		d=/root
	else
		skip "no directory this user cannot search (as root the test makes one)"
	fi
	PATH="$d:$PATH" cannot_run no-such-command-$$ 127 \
		"hckns: no-such-command-$$: command not found"
	printf '#!/bin/sh\necho ran\n' >"$TEST_TMP/bin/notexec" 2>/dev/null ||
		{ mkdir -p "$TEST_TMP/bin" && printf '#!/bin/sh\necho ran\n' >"$TEST_TMP/bin/notexec"; }
	chmod 0644 "$TEST_TMP/bin/notexec"
	PATH="$d:$TEST_TMP/bin:$PATH" cannot_run notexec 126 \
		"hckns: notexec: cannot execute: Permission denied"
}

test_command_not_executable() {
	printf '#!/bin/sh\necho ran\n' >"$TEST_TMP/notexec"
	chmod 0644 "$TEST_TMP/notexec"
	cannot_run "$TEST_TMP/notexec" 126 \
		"hckns: $TEST_TMP/notexec: cannot execute: Permission denied"
}

# A command that leaves a child behind: when hckns returns, the child is
# gone too (the helper's end ends its PID namespace).  The child is found
# on this host by a unique argument.
test_background_child_is_removed() {
	local mark=hckns-bg-$$-$RANDOM
	run_sh run "sh -c 'sleep 60' $mark & kill -0 \$! && echo alive >'$TEST_TMP/bg'; exit 0"
	assert_eq 0 "$STATUS" "exit status"
	assert_eq alive "$(cat "$TEST_TMP/bg" 2>/dev/null)" "the background child, before the command exited"
	assert_eq "" "$(pids_with_arg "$mark")" "the background child after hckns returned"
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

# The command of the kill tests: says it is ready, records SIGTERM (or
# ignores it when its second argument is "ignore"), and ends by itself
# after 60 s at most.
write_command() {
	cat >"$TEST_TMP/cmd.sh" <<'EOF'
d=$1
if [ "${2:-}" = ignore ]; then
	trap '' TERM
else
	trap 'echo TERM >>"$d/got"; exit 0' TERM
fi
echo "$$" >"$d/ready.tmp" && mv "$d/ready.tmp" "$d/ready"
i=0
while [ "$i" -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
EOF
}

# start_instance [ignore]: hckns -v running cmd.sh, ready.  Sets SPAWNED,
# TRACE, INODE (of the helper's user namespace) and RUNDIR, after checking
# that every process of the instance runs.
start_instance() {
	local what pid
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	write_command
	spawn run "$HCKNS" -v -- sh "$TEST_TMP/cmd.sh" "$TEST_TMP" "$@"
	TRACE=$TEST_TMP/run.err
	wait_for 15 test -s "$TEST_TMP/ready" ||
		fail "the command did not start: $(cat "$TRACE")"
	hold_userns "$(trace_pid "$TRACE" 'helper started, pid')"
	RUNDIR=$(trace_value "$TRACE" 'runtime directory:')
	[ -d "$RUNDIR" ] || fail "no runtime directory '$RUNDIR'"
	for what in 'keeper started, pid' 'helper started, pid' \
		    'slirp4netns started, pid' 'command started, pid'; do
		pid=$(trace_pid "$TRACE" "$what")
		alive "$pid" || fail "'$what $pid' does not run"
	done
	[ -n "$(live_userns_pids "$INODE")" ] || fail "nothing in user:[$INODE]"
}

# kill_part WHAT STATUS REPORT [GOT]: SIGKILL the process the trace names
# WHAT; within 2 s everything is gone; hckns exits with STATUS and, when
# REPORT is not empty, says in one line that REPORT died, and stops the
# command with SIGTERM (the command got GOT: TERM, or "" when the kernel
# killed it with the instance's PID namespace).
kill_part() {
	local what=$1 want=$2 report=$3 got=${4-TERM} victim lines
	start_instance
	victim=$(trace_pid "$TRACE" "$what")
	kill -KILL "$victim"
	wait_instance_gone 2 "$TRACE" "$INODE"
	finish "$SPAWNED" 2
	assert_eq "$want" "$STATUS" "exit status of hckns after killing '$what'"
	lines=$(hckns_lines "$TRACE")
	if [ -n "$report" ]; then
		assert_eq 1 "$(printf '%s\n' "$lines" | grep -c .)" "lines from hckns: $lines"
		assert_contains "$lines" "hckns: $report killed by signal 9 (Killed) unexpectedly" "the report"
		assert_eq "$got" "$(cat "$TEST_TMP/got" 2>/dev/null)" "what the command got"
	else
		assert_eq "" "$lines" "messages from hckns"
		[ ! -e "$TEST_TMP/got" ] || fail "the command got SIGTERM"
	fi
}

test_kill_command() {
	kill_part 'command started, pid' 137 ""
}

# The helper is PID 1 of the instance: its death ends the instance at
# once, the command killed by the kernel, not stopped by hckns.
test_kill_helper() {
	kill_part 'helper started, pid' 125 hckns-helper ""
}

test_kill_keeper() {
	kill_part 'keeper started, pid' 125 "the keeper process"
}

test_kill_slirp4netns() {
	kill_part 'slirp4netns started, pid' 125 slirp4netns
}

# fd_targets PID: the targets of PID's descriptors, one a line.
fd_targets() {
	local f
	for f in /proc/"$1"/fd/*; do readlink "$f"; done 2>/dev/null
}

# Descriptor hygiene (SECURITY.md): the command inherits the caller's
# descriptors, as any command launcher does, and none of hckns's own; the
# keeper, the helper and slirp4netns hold none of the caller's beyond 0-2,
# and slirp4netns shares nothing with the front end (its one link to hckns
# is the keeper's exit pipe).
test_descriptors_of_each_process() {
	local x pid what target fe_objs
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	write_command
	exec {x}>"$TEST_TMP/caller-fd"
	spawn run "$HCKNS" -v -- sh "$TEST_TMP/cmd.sh" "$TEST_TMP"
	exec {x}>&-
	TRACE=$TEST_TMP/run.err
	wait_for 15 test -s "$TEST_TMP/ready" ||
		fail "the command did not start: $(cat "$TRACE")"
	pid=$(trace_pid "$TRACE" 'command started, pid')
	[ "$(readlink "/proc/$pid/fd/$x")" = "$TEST_TMP/caller-fd" ] ||
		fail "the command lacks the caller's descriptor $x: $(fd_targets "$pid" | tr '\n' ' ')"
	# The front end's own: what it holds and this shell (its caller) does not.
	fe_objs=$(fd_targets "$SPAWNED" | grep -E '^(socket|pipe|anon_inode|user|net|mnt):|/lock$' |
		grep -vxF -f <(fd_targets "$BASHPID"; echo /nonexistent))
	[ -n "$fe_objs" ] || fail "no descriptors of the front end to compare with"
	while read -r target; do
		fd_targets "$pid" | grep -qxF "$target" &&
			fail "the command holds the front end's $target"
	done <<<"$fe_objs"
	for what in 'keeper started, pid' 'helper started, pid' 'slirp4netns started, pid'; do
		pid=$(trace_pid "$TRACE" "$what")
		alive "$pid" || fail "'$what $pid' does not run"
		fd_targets "$pid" | grep -qxF "$TEST_TMP/caller-fd" &&
			fail "'$what $pid' holds the caller's descriptor: $(fd_targets "$pid" | tr '\n' ' ')"
	done
	pid=$(trace_pid "$TRACE" 'slirp4netns started, pid')
	while read -r target; do
		fd_targets "$pid" | grep -qxF "$target" &&
			fail "slirp4netns holds the front end's $target"
	done <<<"$fe_objs"
	touch "$TEST_TMP/end" 2>/dev/null
	kill -TERM "$(trace_pid "$TRACE" 'command started, pid')"
	finish "$SPAWNED" 10
}

# kill_in_teardown WHAT REPORT: with a forward (whose removal is the
# keeper's first teardown step) and slirp4netns stopped (SIGSTOP) so that
# the removal waits, let the command exit, then SIGKILL the process the
# trace names WHAT.  hckns exits with the command's status (it ran and
# ended well), says in one line that REPORT died during teardown, and
# nothing is left.
kill_in_teardown() {
	local what=$1 report=$2 port slirp lines
	port=$(free_port) || skip "no free port"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn run "$HCKNS" -v -p "127.0.0.1:$port:80" -- \
		sh -c "echo x >'$TEST_TMP/ready'; i=0; while [ ! -e '$TEST_TMP/end' ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i + 1)); done; exit 3"
	TRACE=$TEST_TMP/run.err
	wait_for 15 test -s "$TEST_TMP/ready" ||
		fail "the command did not start: $(cat "$TRACE")"
	hold_userns "$(trace_pid "$TRACE" 'helper started, pid')"
	slirp=$(trace_pid "$TRACE" 'slirp4netns started, pid')
	kill -STOP "$slirp" || fail "cannot stop slirp4netns $slirp"
	at_exit "kill -CONT $slirp 2>/dev/null"
	touch "$TEST_TMP/end"
	wait_trace "$TRACE" 'command exited with status 3' 10
	wait_trace "$TRACE" 'helper socket closed' 5
	sleep 0.2
	kill -KILL "$(trace_pid "$TRACE" "$what")"
	finish "$SPAWNED" 10
	wait_instance_gone 3 "$TRACE" "$INODE"
	assert_eq 3 "$STATUS" "exit status of hckns (the command's)"
	lines=$(hckns_lines "$TRACE")
	assert_eq 1 "$(printf '%s\n' "$lines" | grep -c .)" "lines from hckns: $lines"
	assert_contains "$lines" "hckns: $report killed by signal 9 (Killed) during teardown" "the report"
	[ -z "$(ss -Htln "sport = :$port")" ] || fail "something still listens on port $port"
	return 0
}

test_kill_slirp4netns_in_teardown() {
	kill_in_teardown 'slirp4netns started, pid' slirp4netns
}

test_kill_keeper_in_teardown() {
	kill_in_teardown 'keeper started, pid' "the keeper process"
}

# No front end, no report: the keeper (channel EOF) and the parent-death
# signals must take everything away.  The helper's own end waits until
# this host's init has reaped the front end's command (t-pidns.sh says
# why): 10 s for it, as some sandboxes' init reaps every 2 s or so.
test_kill_front_end() {
	start_instance
	kill -KILL "$SPAWNED"
	wait_for 2 gone "$SPAWNED" || fail "the front end survived SIGKILL"
	wait_instance_gone 10 "$TRACE" "$INODE"
}

# A command that ignores SIGTERM when the network dies is killed with
# SIGKILL after the grace period (1 s, hckns(1)); 3 s after slirp4netns
# died nothing is left.
test_ignored_sigterm_gets_sigkill() {
	start_instance ignore
	kill -KILL "$(trace_pid "$TRACE" 'slirp4netns started, pid')"
	wait_instance_gone 3 "$TRACE" "$INODE"
	finish "$SPAWNED" 1
	assert_eq 125 "$STATUS" "exit status of hckns"
	assert_contains "$(cat "$TRACE")" "command killed by signal 9" "the trace"
	assert_contains "$(hckns_lines "$TRACE")" "slirp4netns killed by signal 9" "the report"
}

# A low descriptor limit (ulimit -n 20) is no reason to fail: hckns, its
# keeper and its helper need only a few descriptors each.
test_low_descriptor_limit() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run low 20 bash -c 'ulimit -n 20 && exec "$1" -- sh -c "exit 3"' sh "$HCKNS"
	assert_eq 3 "$STATUS" "exit status under ulimit -n 20 ($(cat "$TEST_TMP/low.err"))"
	assert_eq "" "$(cat "$TEST_TMP/low.err")" "stderr under ulimit -n 20"
}

# The command learns where it is (README: Usage): HCKNS_INSTANCE,
# HCKNS_RUNTIME_DIR, HCKNS_API_SOCKET and AUTOHCK_SLIRP, the same as the
# ready line's instance, runtime_dir and api_socket; the API socket answers
# slirp4netns's own requests from inside, as AutoHCK's QemuHCK sends them
# (list_hostfwd here: perl's IO::Socket::UNIX, perl-base is Essential).
test_command_environment() {
	local ready
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 30 "$HCKNS" --status-fd 3 -- sh -c '
		printf "%s\n" "$HCKNS_INSTANCE" "$HCKNS_RUNTIME_DIR" "$HCKNS_API_SOCKET" "$AUTOHCK_SLIRP"
		test -S "$AUTOHCK_SLIRP" && echo socket
		perl -MIO::Socket::UNIX -e "
			my \$s = IO::Socket::UNIX->new(Peer => \$ENV{AUTOHCK_SLIRP}) or die \"connect: \$!\";
			print \$s qq({\"execute\":\"list_hostfwd\"}\n); shutdown(\$s, 1);
			print scalar <\$s>;"' \
		3>"$TEST_TMP/status" >"$TEST_TMP/env.out" 2>"$TEST_TMP/env.err" </dev/null ||
		fail "hckns failed: $(cat "$TEST_TMP/env.err")"
	ready=$(head -n 1 "$TEST_TMP/status")
	assert_eq "$(jq -r '.instance, .runtime_dir, .api_socket, .api_socket' <<<"$ready")
socket" "$(head -n 5 "$TEST_TMP/env.out")" "the environment inside against the ready line"
	assert_contains "$(sed -n 6p "$TEST_TMP/env.out")" '"entries"' "slirp4netns's answer through AUTOHCK_SLIRP"
}
