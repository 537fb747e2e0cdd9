# Signals (doc/design.md: Signals): a terminal's Ctrl-C reaches the command
# once, directly; a signal another process sends to hckns is relayed once;
# SIGINT or SIGTERM before the command starts aborts the setup and leaves
# nothing behind.
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"

# The command: counts SIGINT, SIGTERM and SIGHUP into files INT, TERM and
# HUP of directory $1, writes "PID PPID" to $1/ready once its traps are set,
# and ends with status 0 when $1/stop appears (or after 30 s).  Sets
# COUNTER to the command line that runs it.
#
# In Ruby when there is one, as AutoHCK is: Ruby counts every delivery in
# its C signal handler, so a second SIGINT that arrives a moment after the
# first is counted.  A shell runs a trap once for all the deliveries since
# it last looked, which hides most duplicates.
write_counter() {
	if command -v ruby >/dev/null; then
		cat >"$TEST_TMP/counter.rb" <<'EOF'
d = ARGV[0]
counts = Hash.new(0)
%w[INT TERM HUP].each do |s|
  Signal.trap(s) do
    counts[s] += 1
    File.write("#{d}/#{s}", "#{counts[s]}\n")
  end
end
File.write("#{d}/ready.tmp", "#{Process.pid} #{Process.ppid}\n")
File.rename("#{d}/ready.tmp", "#{d}/ready")
600.times do
  break if File.exist?("#{d}/stop")
  sleep 0.05
end
EOF
		COUNTER=(ruby "$TEST_TMP/counter.rb" "$TEST_TMP")
		return
	fi
	cat >"$TEST_TMP/counter.sh" <<'EOF'
d=$1
n_INT=0 n_TERM=0 n_HUP=0
trap 'n_INT=$((n_INT + 1)); echo "$n_INT" >"$d/INT"' INT
trap 'n_TERM=$((n_TERM + 1)); echo "$n_TERM" >"$d/TERM"' TERM
trap 'n_HUP=$((n_HUP + 1)); echo "$n_HUP" >"$d/HUP"' HUP
echo "$$ $PPID" >"$d/ready.tmp" && mv "$d/ready.tmp" "$d/ready"
i=0
while [ ! -e "$d/stop" ] && [ "$i" -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
exit 0
EOF
	COUNTER=(sh "$TEST_TMP/counter.sh" "$TEST_TMP")
}

count_of() { # SIGNAME: how many the command counted
	cat "$TEST_TMP/$1" 2>/dev/null || echo 0
}

# assert_counts INT TERM HUP: what the command counted.  A duplicate
# delivery comes right after the first; give it 300 ms to show.
assert_counts() {
	sleep 0.3
	assert_eq "$1" "$(count_of INT)" "SIGINTs the command got"
	assert_eq "$2" "$(count_of TERM)" "SIGTERMs the command got"
	assert_eq "$3" "$(count_of HUP)" "SIGHUPs the command got"
}

# One Ctrl-C at a real terminal (tmux) is one SIGINT for the command: it
# runs in the terminal's foreground process group with hckns, so the
# terminal signals it directly and hckns must not relay its own copy.
test_ctrl_c_reaches_command_once() {
	local sock=$TEST_TMP/tmux.sock hckns_pid
	command -v tmux >/dev/null || skip "tmux is not installed"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	write_counter
	# hckns -v, its trace in a file: hckns must not relay the SIGINT.
	cat >"$TEST_TMP/term.sh" <<EOF
#!/bin/bash
cd '$TEST_TMP' || exit 1
sh -c 'echo \$\$ >"\$0.pid"; exec "\$@"' '$TEST_TMP/hckns' '$HCKNS' -v -- ${COUNTER[*]} 2>'$TEST_TMP/trace'
echo \$? >'$TEST_TMP/rc'
EOF
	chmod 0755 "$TEST_TMP/term.sh"
	export TERM=xterm
	# A server of our own, its socket in $TEST_TMP (-L leaves a socket
	# file in /tmp/tmux-UID behind).
	at_exit "tmux -S '$sock' kill-server 2>/dev/null"
	tmux -S "$sock" -f /dev/null new-session -d -s hckns -x 100 -y 30 \
		"$TEST_TMP/term.sh" || fail "cannot start tmux"
	wait_for 15 test -s "$TEST_TMP/ready" || fail "the command did not start in tmux"
	hckns_pid=$(cat "$TEST_TMP/hckns.pid")
	at_exit "kill_if_alive $hckns_pid"

	tmux -S "$sock" send-keys -t hckns C-c || fail "tmux send-keys"
	wait_for 5 test -s "$TEST_TMP/INT" || fail "the command got no SIGINT from Ctrl-C"
	assert_counts 1 0 0
	touch "$TEST_TMP/stop"
	wait_for 5 test -s "$TEST_TMP/rc" || fail "hckns did not end"
	assert_eq 0 "$(cat "$TEST_TMP/rc")" "exit status of hckns"
	assert_eq 1 "$(count_of INT)" "SIGINTs the command got, in the end"
	assert_not_contains "$(cat "$TEST_TMP/trace")" "relaying signal" "hckns's trace"
	assert_eq "" "$(hckns_lines "$TEST_TMP/trace")" "messages from hckns"
}

# kill -SIG <hckns> from another process: the command counts exactly one.
relayed() { # SIGNAME INT TERM HUP
	local sig=$1
	shift
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	write_counter
	spawn run "$HCKNS" -v -- "${COUNTER[@]}"
	wait_for 15 test -s "$TEST_TMP/ready" ||
		fail "the command did not start: $(cat "$TEST_TMP/run.err")"
	hold_userns "$(trace_pid "$TEST_TMP/run.err" 'helper started, pid')"
	kill "-$sig" "$SPAWNED"
	wait_for 5 test -s "$TEST_TMP/$sig" || fail "the command got no SIG$sig"
	assert_counts "$@"
	alive "$SPAWNED" || fail "hckns ended on SIG$sig instead of relaying it"
	touch "$TEST_TMP/stop"
	finish "$SPAWNED" 5
	assert_eq 0 "$STATUS" "exit status of hckns"
	assert_eq 1 "$(grep -c "relaying signal $(kill -l "$sig") from" "$TEST_TMP/run.err")" \
		"relays of SIG$sig in the trace"
	assert_eq "" "$(hckns_lines "$TEST_TMP/run.err")" "messages from hckns"
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

test_sigterm_is_relayed_once() { relayed TERM 0 1 0; }
test_sigint_is_relayed_once() { relayed INT 1 0 0; }
test_sighup_is_relayed_once() { relayed HUP 0 0 1; }

# A slirp4netns that never becomes ready keeps hckns in its setup: it
# records its pid, then sleeps without writing to its ready fd.
write_slow_slirp() {
	mkdir -p "$TEST_TMP/fake"
	cat >"$TEST_TMP/fake/slirp4netns" <<EOF
#!/bin/sh
echo \$\$ >'$TEST_TMP/slirp.pid'
exec sleep 30
EOF
	chmod 0755 "$TEST_TMP/fake/slirp4netns"
}

# A signal during the setup: hckns stops, says so in one line, exits with
# 128+N and leaves nothing behind.
interrupted() { # SIGNAME STATUS
	local slirp helper
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	write_slow_slirp
	spawn run env PATH="$TEST_TMP/fake:$PATH" "$HCKNS" -v -- true
	wait_trace "$TEST_TMP/run.err" 'slirp4netns started' 10
	wait_for 5 test -s "$TEST_TMP/slirp.pid" || fail "the fake slirp4netns did not run"
	slirp=$(cat "$TEST_TMP/slirp.pid")
	helper=$(trace_pid "$TEST_TMP/run.err" 'helper started, pid')
	hold_userns "$helper"
	alive "$slirp" || fail "the fake slirp4netns does not run"
	alive "$helper" || fail "the helper does not run"
	kill "-$1" "$SPAWNED"
	finish "$SPAWNED" 5
	assert_eq "$2" "$STATUS" "exit status of hckns on SIG$1 during the setup"
	assert_eq 1 "$(hckns_lines "$TEST_TMP/run.err" | grep -c .)" \
		"lines from hckns: $(hckns_lines "$TEST_TMP/run.err")"
	assert_contains "$(hckns_lines "$TEST_TMP/run.err")" "interrupted by SIG$1" "the message"
	# It says "nothing is left behind": only once that is true.
	[ "$(grep -n 'interrupted by' "$TEST_TMP/run.err" | cut -d: -f1)" -gt \
	  "$(grep -n '\] keeper ended' "$TEST_TMP/run.err" | cut -d: -f1)" ] ||
		fail "the message came before the keeper ended: $(cat "$TEST_TMP/run.err")"
	assert_not_contains "$(cat "$TEST_TMP/run.err")" "command started" "the trace"
	gone "$slirp" || fail "the fake slirp4netns $slirp still runs"
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

test_sigint_during_setup() { interrupted INT 130; }
test_sigterm_during_setup() { interrupted TERM 143; }

# A signal that comes while the last steps run (after slirp4netns is
# ready, before the command starts) still aborts the setup: it must not be
# left for the command.  Since the helper makes tap_host before slirp4netns
# starts, no helper request is left after ready; the last step is the -p
# forward, added through slirp4netns's API.  A wrapper around the real
# slirp4netns stops it (SIGSTOP) before it reports ready, so hckns is held
# in that request while the test sends SIGINT; then slirp4netns goes on.
# Whether the SIGINT comes before or during the request, it aborts the
# setup.
test_sigint_at_end_of_setup() {
	local real helper port
	real=$(command -v slirp4netns) || skip "slirp4netns is not installed"
	port=$(free_port) || skip "no free port"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	mkdir -p "$TEST_TMP/fake"
	mkfifo "$TEST_TMP/ready.fifo"
	cat >"$TEST_TMP/fake/slirp4netns" <<EOF
#!/bin/bash
# Arguments: ... --ready-fd=3 ... PID TAP; PID is the helper's.
echo "\${*: -2:1}" >'$TEST_TMP/helper'
args=()
for a in "\$@"; do
	[ "\$a" = --ready-fd=3 ] && a=--ready-fd=5
	args+=("\$a")
done
'$real' "\${args[@]}" 5>'$TEST_TMP/ready.fifo' &
slirp=\$!
exec 6<'$TEST_TMP/ready.fifo'
read -r -N 1 -t 10 c <&6 || exit 1
kill -STOP "\$slirp" || exit 1
echo "\$slirp" >'$TEST_TMP/stopped'
printf '%s' "\$c" >&3
exec 3>&- 6<&-
wait
EOF
	chmod 0755 "$TEST_TMP/fake/slirp4netns"
	at_exit "[ -s '$TEST_TMP/stopped' ] && kill -CONT \$(cat '$TEST_TMP/stopped') 2>/dev/null"
	spawn run env PATH="$TEST_TMP/fake:$PATH" "$HCKNS" -v \
		-p "127.0.0.1:$port:80" -- sh -c "touch '$TEST_TMP/command-ran'"
	wait_for 10 test -s "$TEST_TMP/stopped" ||
		fail "the wrapper did not stop slirp4netns: $(cat "$TEST_TMP/run.err")"
	helper=$(cat "$TEST_TMP/helper")
	hold_userns "$helper"
	wait_for 2 grep -q '\] slirp4netns is ready' "$TEST_TMP/run.err" || true
	kill -INT "$SPAWNED"
	kill -CONT "$(cat "$TEST_TMP/stopped")"
	finish "$SPAWNED" 10
	assert_eq 130 "$STATUS" "exit status of hckns"
	assert_not_contains "$(cat "$TEST_TMP/run.err")" "command started" "the trace"
	[ ! -e "$TEST_TMP/command-ran" ] || fail "the command ran"
	assert_contains "$(hckns_lines "$TEST_TMP/run.err")" "interrupted by SIGINT" "the message"
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

# A process inside that signals its own process group (kill -TERM 0):
# the command's group, its own (command.c), not hckns's, so the command
# gets it once and hckns nothing to relay.
test_group_signal_from_inside_not_doubled() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	write_counter
	# Its own session and process group, so that kill 0 stays in it.
	spawn run setsid "$HCKNS" -v -- sh -c "trap '' TERM; ${COUNTER[*]} &
		i=0; while [ ! -s '$TEST_TMP/ready' ] && [ \$i -lt 300 ]; do sleep 0.05; i=\$((i+1)); done
		kill -TERM 0; wait"
	wait_for 15 test -s "$TEST_TMP/TERM" ||
		fail "the counter got no SIGTERM: $(cat "$TEST_TMP/run.err")"
	hold_userns "$(trace_pid "$TEST_TMP/run.err" 'helper started, pid')"
	assert_counts 0 1 0
	touch "$TEST_TMP/stop"
	finish "$SPAWNED" 5
	assert_eq 0 "$STATUS" "exit status of hckns"
	assert_eq 0 "$(grep -c '\] relaying signal' "$TEST_TMP/run.err")" "relays in hckns's trace"
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

# The helper or the keeper dying during the setup ends it at once, with one
# line naming what died (not a 10 s wait for slirp4netns, nor a wrong
# culprit), exit 125, nothing left behind.
died_during_setup() { # TRACE-NAME REPORT
	local helper
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	write_slow_slirp
	spawn run env PATH="$TEST_TMP/fake:$PATH" "$HCKNS" -v -- true
	wait_trace "$TEST_TMP/run.err" 'slirp4netns started' 10
	helper=$(trace_pid "$TEST_TMP/run.err" 'helper started, pid')
	hold_userns "$helper"
	kill -KILL "$(trace_pid "$TEST_TMP/run.err" "$1")"
	finish "$SPAWNED" 3
	assert_eq 125 "$STATUS" "exit status of hckns"
	assert_eq "hckns: $2 killed by signal 9 (Killed) during the setup" \
		"$(hckns_lines "$TEST_TMP/run.err")" "the message"
	wait_for 2 gone "$(cat "$TEST_TMP/slirp.pid")" || fail "the fake slirp4netns still runs"
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

# A process killed while the helper starts (a fake helper that waits for
# the kill, then execs the real one): the one line names the kill, not a user namespace
# restriction (what a helper failing by itself there usually means) nor a
# broken pipe; 125, nothing left.
killed_before_hello() { # helper|keeper REPORT
	local real victim
	real="$(dirname "$HCKNS")/hckns-helper"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	mkdir -p "$TEST_TMP/bin"
	cp "$HCKNS" "$TEST_TMP/bin/hckns"
	cat >"$TEST_TMP/bin/hckns-helper" <<EOF
#!/bin/sh
echo \$\$ \$(readlink /proc/self/ns/pid) >'$TEST_TMP/helper.pid'
i=0
while [ ! -e '$TEST_TMP/go' ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
exec '$real' "\$@"
EOF
	chmod 0755 "$TEST_TMP/bin/hckns-helper"
	spawn run "$TEST_TMP/bin/hckns" -v -- true
	wait_for 10 test -s "$TEST_TMP/helper.pid" ||
		fail "the helper did not start: $(cat "$TEST_TMP/run.err")"
	victim=$(outer_pid "$TEST_TMP/helper.pid")
	hold_userns "$victim"
	[ "$1" = keeper ] && victim=$(trace_pid "$TEST_TMP/run.err" 'keeper started, pid')
	kill -KILL "$victim"
	touch "$TEST_TMP/go"
	finish "$SPAWNED" 5
	assert_eq 125 "$STATUS" "exit status of hckns"
	assert_eq "hckns: $2 killed by signal 9 (Killed) during the setup" \
		"$(hckns_lines "$TEST_TMP/run.err")" "the message"
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}

test_helper_killed_before_hello() { killed_before_hello helper hckns-helper; }
test_keeper_killed_before_hello() { killed_before_hello keeper "the keeper process"; }

test_helper_dies_during_setup() { died_during_setup 'helper started, pid' hckns-helper; }
test_keeper_dies_during_setup() { died_during_setup 'keeper started, pid' "the keeper process"; }

# `hckns stop NAME` while NAME is still setting up (slirp4netns never
# ready): the setup ends as SIGTERM would end it, exit 143, one line that
# says who stopped it, nothing left behind.
test_stop_during_setup() {
	local helper
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	write_slow_slirp
	spawn run env PATH="$TEST_TMP/fake:$PATH" "$HCKNS" -v --name slowstart -- true
	wait_trace "$TEST_TMP/run.err" 'slirp4netns started' 10
	helper=$(trace_pid "$TEST_TMP/run.err" 'helper started, pid')
	hold_userns "$helper"
	env PATH="$TEST_TMP/fake:$PATH" "$HCKNS" stop slowstart >"$TEST_TMP/stop.out" 2>&1 ||
		fail "hckns stop failed: $(cat "$TEST_TMP/stop.out")"
	finish "$SPAWNED" 10
	assert_eq 143 "$STATUS" "exit status of hckns stopped during the setup"
	assert_eq 1 "$(hckns_lines "$TEST_TMP/run.err" | grep -c .)" \
		"lines from hckns: $(hckns_lines "$TEST_TMP/run.err")"
	assert_contains "$(hckns_lines "$TEST_TMP/run.err")" \
		"stopped by 'hckns stop' (pid " "the message"
	assert_contains "$(hckns_lines "$TEST_TMP/run.err")" \
		"during setup; nothing is left behind" "the message"
	assert_not_contains "$(cat "$TEST_TMP/run.err")" "command started" "the trace"
	assert_instance_gone "$TEST_TMP/run.err" "$INODE"
}
