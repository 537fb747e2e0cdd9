# The terminal after the command (README: Signals and the terminal):
# it is usable after the command ends, however it ends.  Each case runs in a
# real terminal, a tmux pane of a server of the test's own, whose shell is
# an interactive bash (the outer shell, prompt "outer$ ") into which the
# test types an hckns command line as a user would, its command an
# interactive bash too (the inner shell, prompt "inner$ ").  While the
# inner shell waits at its prompt, its readline holds the terminal in
# -icanon -echo -icrnl (and the inner shell has made its own process
# group the terminal's foreground); when the inner shell ends by itself,
# readline puts the modes back.  When it is killed instead (by `hckns
# stop` after the timeout, by hckns when slirp4netns died, or by anyone
# with SIGKILL), readline cannot, and the outer shell restores the modes
# only when its child dies by a signal, while hckns exits (137, 125).  So
# hckns must restore the modes it found before the command started, and
# take the terminal's foreground back.  Afterwards the outer shell's
# `stty -a` shows icanon, echo and icrnl, and a line typed at a program
# that reads the terminal itself (`read`, no readline) is echoed.  Until
# hckns does so, the first three cases fail: the outer shell is left in
# -icanon -echo -icrnl (its own readline, which takes the modes it finds
# for the user's, then echoes nothing either).
#
# Every hckns here runs with a runtime base of the test's own (TMPDIR=$RT,
# no XDG_RUNTIME_DIR), so that `hckns stop` and `hckns ls` see only this
# test's instance, and writes its status lines (--status-fd 3) to
# $TEST_TMP/status: the command's pid on this host, the helper's, the
# runtime directory and slirp4netns's API socket.  Its stdin, stdout and
# stderr are the terminal, as a user's are.  What the test types is
# single-quoted: it expands in the outer shell.
# shellcheck shell=bash disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"

# The pane, and its tmux server.
term_tmux() { tmux -S "$TEST_TMP/tmux.sock" "$@"; }

# What the pane shows, its history included (a line of blanks is empty).
screen() { term_tmux capture-pane -p -J -t hckns -S -500; }
screen_has() { screen | grep -qF -- "$1"; }
screen_has_line() { screen | grep -qxF -- "$1"; }

# The outer shell waits at its prompt: the last line of the pane that is
# not empty ends with it (a killed inner shell leaves its own prompt
# before it, on the same line).
last_line() { screen | sed 's/ *$//; /^$/d' | tail -n 1; }
at_outer_prompt() {
	case $(last_line) in
	*'outer$') return 0 ;;
	esac
	return 1
}

# type_line TEXT: type TEXT at the pane, then Enter.
type_line() {
	term_tmux send-keys -t hckns -l -- "$1" || fail "tmux send-keys"
	term_tmux send-keys -t hckns Enter || fail "tmux send-keys Enter"
}

# start_terminal: the tmux server with its one pane, the outer shell at
# its prompt.  In the outer shell, T is $TEST_TMP, RT the runtime base,
# HCKNS hckns and MARK an argument no other process has (hckns gets it
# with the command, so its keeper, a fork, has it too).  HOME is $TEST_TMP:
# no rc file is read anywhere.  Skips without tmux.
start_terminal() {
	command -v tmux >/dev/null || skip "tmux is not installed"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	RT=$TEST_TMP/rt
	mkdir -p "$RT"
	H=(env -u XDG_RUNTIME_DIR "TMPDIR=$RT" "$HCKNS")
	MARK=HCKNS_TEST_MARK=hckns-test-mark-$$
	cat >"$TEST_TMP/outer.sh" <<EOF
#!/bin/sh
exec env HOME='$TEST_TMP' PS1='outer\$ ' HISTFILE= T='$TEST_TMP' RT='$RT' \
	HCKNS='$HCKNS' MARK='$MARK' bash --norc --noprofile -i
EOF
	chmod 0755 "$TEST_TMP/outer.sh"
	export TERM=xterm
	# A server of our own, its socket in $TEST_TMP (-L leaves a socket
	# file in /tmp/tmux-UID behind).
	at_exit "tmux -S '$TEST_TMP/tmux.sock' kill-server 2>/dev/null"
	term_tmux -f /dev/null new-session -d -s hckns -x 150 -y 40 \
		"$TEST_TMP/outer.sh" || fail "cannot start tmux"
	wait_for 10 at_outer_prompt || fail "no prompt of the outer shell: $(screen)"
	PANE_TTY=$(term_tmux display-message -p -t hckns '#{pane_tty}')
	[ -c "$PANE_TTY" ] || fail "the pane's terminal '$PANE_TTY' is no terminal"
}

# The terminal's modes icanon, echo and icrnl, on or off, sorted on one
# line ("-echo -icanon -icrnl "), as stty -a says them in FILE or (none
# given) as the test reads them from the pane's terminal itself.
modes() {
	if [ $# = 1 ]; then cat "$1"; else stty -a -F "$PANE_TTY"; fi |
		tr -s ' ;' '\n' | grep -E '^-?(icanon|echo|icrnl)$' | sort | tr '\n' ' '
}
readline_modes() { [ "$(modes)" = "-echo -icanon -icrnl " ]; }

# status_field EVENT KEY: member KEY of hckns's status line EVENT.
status_field() {
	jq -r --arg e "$1" --arg k "$2" 'select(.event == $e) | .[$k]' \
		"$TEST_TMP/status" 2>/dev/null | head -n 1
}
has_started() { [ -n "$(status_field started pid)" ]; }

# start_inner HCKNS-OPTION...: type at the outer shell
#   hckns --status-fd 3 OPTION... -- env PS1='inner$ ' $MARK \
#       bash --norc --noprofile -i 3>$T/status; echo $? >$T/rc
# and wait until the inner shell waits at its prompt, the terminal in
# readline's modes (-icanon -echo -icrnl: the case's precondition).  Sets
# HCKNS_PID, CMD_PID (the inner shell, as this host knows it), RUNDIR,
# API_SOCKET and INODE (its user namespace, held: lib-procs.sh).
start_inner() {
	type_line "env -u XDG_RUNTIME_DIR TMPDIR=\"\$RT\" \"\$HCKNS\" --status-fd 3 $* -- env PS1='inner\$ ' \"\$MARK\" bash --norc --noprofile -i 3>\"\$T/status\"; echo \$? >\"\$T/rc\""
	wait_for 20 has_started ||
		fail "the inner shell did not start: $(screen; cat "$TEST_TMP/status" 2>/dev/null)"
	HCKNS_PID=$(status_field ready pid)
	CMD_PID=$(status_field started pid)
	RUNDIR=$(status_field ready runtime_dir)
	API_SOCKET=$(status_field ready api_socket)
	at_exit "kill_if_alive $HCKNS_PID"
	hold_userns "$(status_field ready helper_pid)"
	wait_for 10 screen_has 'inner$' || fail "no prompt of the inner shell: $(screen)"
	wait_for 10 readline_modes ||
		fail "the inner shell's readline did not put the terminal in -icanon -echo -icrnl: $(modes)"
}

# hckns_ended SECONDS: hckns ended within SECONDS (the outer shell wrote
# its exit status); sets RC to it.
hckns_ended() {
	wait_for "$1" test -s "$TEST_TMP/rc" ||
		fail "hckns did not end within $1 s: $(screen)"
	RC=$(cat "$TEST_TMP/rc")
}

# assert_instance_ended: nothing of the instance is left: no process in
# its user namespace, no slirp4netns (the process with its API socket as
# argument), no hckns nor keeper (those with $MARK), no runtime directory,
# and `hckns ls --json` lists nothing.  The keeper may finish a moment
# after hckns: 5 s at most.
instance_ended() {
	userns_empty "$INODE" && [ -z "$(pids_with_arg "$API_SOCKET")" ] &&
		[ -z "$(pids_with_arg "$MARK")" ] && [ ! -e "$RUNDIR" ]
}
assert_instance_ended() {
	local json
	wait_for 5 instance_ended || true
	userns_empty "$INODE" ||
		fail "processes left in user:[$INODE]: $(live_userns_pids "$INODE" | tr '\n' ' ')"
	assert_eq "" "$(pids_with_arg "$API_SOCKET")" "slirp4netns left"
	assert_eq "" "$(pids_with_arg "$MARK")" "hckns or its keeper left"
	[ ! -e "$RUNDIR" ] || fail "the runtime directory $RUNDIR is left"
	json=$(timeout -k 2 10 "${H[@]}" ls --json </dev/null) ||
		fail "hckns ls --json failed"
	assert_eq 0 "$(jq '.instances | length' <<<"$json")" "instances listed: $json"
}

# assert_terminal_sane: back at the outer shell's prompt, `stty -a` typed
# there shows icanon, echo and icrnl, and a line typed at `read` (which
# has no readline to echo it) shows on the pane as typed, echoed by the
# terminal.
assert_terminal_sane() {
	local got visible=yes mark="typed-$$-$RANDOM"
	wait_for 10 at_outer_prompt || fail "no prompt of the outer shell after hckns: $(screen)"
	rm -f "$TEST_TMP/stty.out"
	type_line 'stty -a >"$T/stty.out"'
	wait_for 10 test -s "$TEST_TMP/stty.out" ||
		fail "the outer shell did not run stty: $(screen)"
	got=$(modes "$TEST_TMP/stty.out")
	wait_for 10 at_outer_prompt || fail "no prompt of the outer shell after stty: $(screen)"
	# read -t: without icrnl, Enter ends no line; what was typed is
	# printed after 5 s all the same.
	type_line 'read -r -t 5 line; echo "got:$line"'
	type_line "$mark"
	wait_for 10 screen_has "got:$mark" ||
		fail "the outer shell's read got nothing: $(screen)"
	screen_has_line "$mark" || visible=no
	[ "$got" = "echo icanon icrnl " ] && [ $visible = yes ] && return 0
	fail "the terminal is not usable after hckns exited $RC: stty -a in the outer shell says '$got' (expected 'echo icanon icrnl'); typed text echoed: $visible; the pane:
$(screen | sed '/^$/d' | tail -n 12)"
}

# `hckns stop` on an instance whose command is an interactive shell: it
# ignores SIGTERM, so SIGKILL comes 5 s later (FE_STOP_TIMEOUT_MS); hckns
# exits non-zero (137) and the terminal is as before the command.
test_terminal_after_hckns_stop() {
	local out
	start_terminal
	start_inner --name lab
	out=$(timeout -k 2 20 "${H[@]}" stop lab 2>&1 </dev/null) ||
		fail "hckns stop lab failed: $out"
	assert_eq "stopped lab" "$out" "what hckns stop said"
	hckns_ended 10
	[ "$RC" != 0 ] || fail "hckns exited 0 when 'hckns stop' killed its command"
	gone "$CMD_PID" || fail "the inner shell $CMD_PID still runs"
	assert_instance_ended
	assert_terminal_sane
}

# The inner shell killed with SIGKILL: hckns exits 137, and the terminal
# is as before the command.
test_terminal_after_inner_shell_killed() {
	start_terminal
	start_inner
	kill -KILL "$CMD_PID" || fail "cannot kill the inner shell $CMD_PID"
	hckns_ended 10
	assert_eq 137 "$RC" "exit status of hckns, its command killed by SIGKILL"
	assert_instance_ended
	assert_terminal_sane
}

# slirp4netns killed with SIGKILL: hckns says so, stops the inner shell
# (SIGTERM, which it ignores, then SIGKILL 1 s later), exits 125, and the
# terminal is as before the command.
test_terminal_after_slirp_dies() {
	local slirp
	start_terminal
	start_inner
	slirp=$(pids_with_arg "$API_SOCKET")
	[ "$(wc -w <<<"$slirp")" = 1 ] ||
		fail "not one slirp4netns with $API_SOCKET: '$slirp'"
	kill -KILL "$slirp" || fail "cannot kill slirp4netns $slirp"
	hckns_ended 10
	assert_eq 125 "$RC" "exit status of hckns, slirp4netns killed"
	screen_has "hckns: slirp4netns killed by signal 9 (Killed) unexpectedly" ||
		fail "hckns did not say slirp4netns died: $(screen)"
	gone "$CMD_PID" || fail "the inner shell $CMD_PID still runs"
	assert_instance_ended
	assert_terminal_sane
}

count() { cat "$TEST_TMP/count" 2>/dev/null || echo 0; }
count_above() { [ "$(count)" -gt "$1" ]; }

# Job control in the terminal: Ctrl-Z stops the command (the outer shell
# shows its prompt, `jobs` says Stopped, the command's counter stands
# still), `fg` lets it go on, and it then ends well (0), the terminal
# sane.  Whatever process group the command runs in, the outer shell's
# job must stop and continue as a whole.
test_ctrl_z_and_fg() {
	local c1 c2 helper
	start_terminal
	at_exit "touch '$TEST_TMP/end'"
	# The loop's $i and $T expand in the command.  No "; echo $? >rc"
	# here: once the job stops, the outer shell goes on with the list (and
	# $? is 148); fg's status is the job's.
	type_line 'env -u XDG_RUNTIME_DIR TMPDIR="$RT" "$HCKNS" --status-fd 3 -- sh -c '\''i=0; while [ $i -lt 600 ] && [ ! -e "$T/end" ]; do i=$((i + 1)); echo $i >"$T/count"; sleep 0.1; done'\'' "$MARK" 3>"$T/status"'
	wait_for 20 has_started ||
		fail "the command did not start: $(screen; cat "$TEST_TMP/status" 2>/dev/null)"
	HCKNS_PID=$(status_field ready pid)
	RUNDIR=$(status_field ready runtime_dir)
	API_SOCKET=$(status_field ready api_socket)
	helper=$(status_field ready helper_pid)
	at_exit "kill_if_alive $HCKNS_PID"
	hold_userns "$helper"
	wait_for 10 count_above 2 || fail "the counter does not count: $(screen)"

	term_tmux send-keys -t hckns C-z || fail "tmux send-keys C-z"
	wait_for 5 screen_has Stopped || fail "Ctrl-Z stopped no job: $(screen)"
	wait_for 5 at_outer_prompt || fail "no prompt of the outer shell after Ctrl-Z: $(screen)"
	type_line 'jobs >"$T/jobs.out"'
	wait_for 5 test -s "$TEST_TMP/jobs.out" || fail "jobs wrote nothing: $(screen)"
	assert_contains "$(cat "$TEST_TMP/jobs.out")" Stopped "jobs after Ctrl-Z"
	alive "$HCKNS_PID" || fail "hckns ended on Ctrl-Z: $(cat "$TEST_TMP/status")"
	c1=$(count)
	sleep 1
	c2=$(count)
	assert_eq "$c1" "$c2" "the counter a second after the job stopped"

	type_line 'fg; echo $? >"$T/rc"'
	wait_for 10 count_above "$c2" || fail "the counter stands still after fg: $(screen)"
	touch "$TEST_TMP/end"
	hckns_ended 10
	assert_eq 0 "$RC" "exit status of hckns after Ctrl-Z and fg"
	assert_instance_ended
	assert_terminal_sane
}
