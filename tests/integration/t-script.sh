# Scripts drive hckns over pipes (README: Scripts): --status-fd
# writes the lines ready, started and exited; --control-fd IN,OUT answers
# add_hostfwd, list_hostfwd, remove_hostfwd and stop, one JSON line per
# request, errors included, and the instance goes on.  The pipes are named
# pipes in $TEST_TMP, read and written by this shell with bounded waits,
# the lines read with jq.  (One descriptor for both directions needs a
# socket, which bash cannot make: tests/ruby does that with UNIXSocket.pair.)
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"
# shellcheck source-path=SCRIPTDIR source=lib-fwd.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-fwd.sh"

# spawn_piped NAME ARG...: spawn ARG... (hckns, exec'd by env) with the
# named pipes NAME.status on its fd 5, NAME.ctl_in on fd 3 (it reads) and
# NAME.ctl_out on fd 4 (it writes); the options that use them are the
# caller's.  Opens this shell's ends: ST (read the status lines), CW (write
# requests), CR (read answers).  Opening a pipe O_RDWR never blocks, so
# every open here returns at once; those extra ends are closed in hckns
# and here before anything is read, so that each pipe has one reader and
# one writer and EOF means what it says.  Sets SPAWNED, TRACE.
spawn_piped() {
	local name=$1 st=$TEST_TMP/$1.status ci=$TEST_TMP/$1.ctl_in co=$TEST_TMP/$1.ctl_out
	local hs hi ho
	shift
	mkfifo "$st" "$ci" "$co" || fail "mkfifo"
	exec {hs}<>"$st" {hi}<>"$ci" {ho}<>"$co"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	"$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" </dev/null \
		5>"$st" 3<"$ci" 4>"$co" {hs}>&- {hi}>&- {ho}>&- &
	SPAWNED=$!
	at_exit "kill_if_alive $SPAWNED"
	exec {ST}<"$st" {CW}>"$ci" {CR}<"$co"
	exec {hs}>&- {hi}>&- {ho}>&-
	TRACE=$TEST_TMP/$name.err
}

# next_status [SECONDS]: read the next status line into LINE (10 s at
# most).  Return: 0, 1 at EOF, >128 when none came in time.
next_status() {
	LINE=
	read -r -t "${1:-10}" -u "$ST" LINE
}

# expect_status JQ-FILTER WHAT: the next status line (within 20 s) is one
# JSON object for which FILTER is true.
expect_status() {
	next_status 20 ||
		fail "$2: no status line (read: $?): $(hckns_lines "$TRACE")"
	jq -e "$1" <<<"$LINE" >/dev/null ||
		fail "$2: '$1' is not true of the status line: $LINE"
}

# expect_eof SECONDS: the status pipe ends (EOF) within SECONDS.
expect_eof() {
	local rc
	next_status "$1"
	rc=$?
	if [ "$rc" != 1 ] || [ -n "$LINE" ]; then
		fail "no EOF on the status pipe within $1 s (read: $rc, line: '$LINE')"
	fi
}

# request JSON-LINE: write one request line, read its answer into ANSWER
# (10 s at most).
request() {
	printf '%s\n' "$1" >&"$CW" || fail "cannot write a request"
	ANSWER=
	read -r -t 10 -u "$CR" ANSWER ||
		fail "no answer to '${1:0:200}' (read: $?): $(hckns_lines "$TRACE")"
}

# answer_is JQ-FILTER WHAT: ANSWER is one JSON object for which FILTER is
# true.
answer_is() {
	jq -e "$1" <<<"$ANSWER" >/dev/null ||
		fail "$2: '$1' is not true of the answer: $ANSWER"
}

# The ready line and the forwards in place; the command; the way it ended.
# Right after "ready" is read, every -p forward listens: a connection to
# each succeeds at once, with no wait.
test_status_lines() {
	local p1 p2 p3 p4 helper ino cmd ns c m=st-$$-$RANDOM
	read -r p1 p2 p3 p4 <<<"$(free_ports 4)"
	[ -n "$p4" ] || fail "no free ports"
	mkdir -p "$TEST_TMP/run.d"
	spawn_piped run "${H[@]}" -v --host-loopback --status-fd 5 -p "$p1" \
		-p "$p2:8002" -p "udp:$p3:7007" -p "127.0.0.1:$p4" -- \
		sh "$TEST_TMP/serve.sh" "$TEST_TMP/run.d" "$p1=$m"
	next_status 20 || fail "no ready line (read: $?): $(cat "$TRACE")"
	# At once: no wait, no retry.
	assert_eq "127.0.0.1:$p1" "$(tcp_listeners "$p1")" "listener of -p $p1 when ready came"
	assert_eq "127.0.0.1:$p2" "$(tcp_listeners "$p2")" "listener of -p $p2:8002 when ready came"
	assert_eq "127.0.0.1:$p3" "$(udp_listeners "$p3")" "listener of -p udp:$p3:7007 when ready came"
	assert_eq "127.0.0.1:$p4" "$(tcp_listeners "$p4")" "listener of -p 127.0.0.1:$p4 when ready came"
	exec {c}<>"/dev/tcp/127.0.0.1/$p1" || fail "cannot connect to 127.0.0.1:$p1 right after ready"
	exec {c}>&-

	jq -e . <<<"$LINE" >/dev/null || fail "the ready line is not JSON: $LINE"
	jq -e '["api_socket","event","forwards","helper_pid","namespaces","pid","runtime_dir"] - keys == []' \
		<<<"$LINE" >/dev/null || fail "members missing from the ready line: $LINE"
	# A new instance is named by its runtime directory, and was not joined.
	jq -e '(has("instance") | not) or .instance == (.runtime_dir | split("/") | last)' \
		<<<"$LINE" >/dev/null || fail "instance of the ready line: $LINE"
	jq -e '(has("joined") | not) or .joined == false' <<<"$LINE" >/dev/null ||
		fail "joined of the ready line: $LINE"
	assert_eq ready "$(jq -r .event <<<"$LINE")" "event"
	assert_eq "$SPAWNED" "$(jq -r .pid <<<"$LINE")" "pid (hckns's)"
	helper=$(jq -r .helper_pid <<<"$LINE")
	assert_eq "$(trace_pid "$TRACE" 'helper started, pid')" "$helper" "helper_pid"
	assert_contains "$(tr '\0' ' ' <"/proc/$helper/cmdline")" hckns-helper "the command line of helper_pid"
	assert_eq "$BASE/$SPAWNED" "$(jq -r .runtime_dir <<<"$LINE")" "runtime_dir"
	assert_eq "$(trace_value "$TRACE" 'runtime directory:')" "$(jq -r .runtime_dir <<<"$LINE")" \
		"runtime_dir against the trace"
	[ -d "$BASE/$SPAWNED" ] || fail "runtime_dir $BASE/$SPAWNED is not a directory"
	assert_eq "$BASE/$SPAWNED/api.sock" "$(jq -r .api_socket <<<"$LINE")" "api_socket"
	[ -S "$BASE/$SPAWNED/api.sock" ] || fail "api_socket is not a socket"
	assert_eq '["mnt","net","pid","user"]' "$(jq -c '.namespaces | keys' <<<"$LINE")" "the namespaces"
	for ns in user net mnt pid; do
		assert_eq "/proc/$helper/ns/$ns" "$(jq -r ".namespaces.$ns" <<<"$LINE")" "namespaces.$ns"
		[ -e "/proc/$helper/ns/$ns" ] || fail "namespaces.$ns does not exist"
		[ "$(readlink "/proc/$helper/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ] ||
			fail "namespaces.$ns is this shell's own"
	done
	jq -e ".forwards == [
		{id:1, proto:\"tcp\", host_addr:\"127.0.0.1\", host_port:$p1, guest_addr:\"10.0.2.100\", guest_port:$p1},
		{id:2, proto:\"tcp\", host_addr:\"127.0.0.1\", host_port:$p2, guest_addr:\"10.0.2.100\", guest_port:8002},
		{id:3, proto:\"udp\", host_addr:\"127.0.0.1\", host_port:$p3, guest_addr:\"10.0.2.100\", guest_port:7007},
		{id:4, proto:\"tcp\", host_addr:\"127.0.0.1\", host_port:$p4, guest_addr:\"10.0.2.100\", guest_port:$p4}]" \
		<<<"$LINE" >/dev/null || fail "forwards of the ready line: $LINE"

	expect_status '. == {event:"started", pid:.pid} and (.pid | type) == "number"' "the started line"
	wait_for 10 test -s "$TEST_TMP/run.d/pid" || fail "the command did not start"
	cmd=$(outer_pid "$TEST_TMP/run.d/pid")
	assert_eq "$cmd" "$(jq -r .pid <<<"$LINE")" "the pid of the started line (the command's)"
	ino=$(userns_inode "$helper")
	assert_eq "$ino" "$(userns_inode "$cmd")" "the user namespace of the command"
	hold_userns "$cmd"
	expect_answer "$p1" "$m"

	echo 0 >"$TEST_TMP/run.d/stop"
	expect_status '. == {event:"exited", exit_status:0, how:"exited", code:0}' "the exited line"
	expect_eof 5
	finish "$SPAWNED" 10
	assert_eq 0 "$STATUS" "exit status of hckns"
	wait_instance_gone 2 "$TRACE" "$INODE"
	assert_nothing_listens "$p1" "$p2" "$p3" "$p4"
}

# status_run NAME EXIT-FILTER HCKNS-ARGS...: hckns --status-fd 5 ARGS...,
# its status lines read to EOF; the last is the exited line, for which
# EXIT-FILTER is true.  Sets LINES (all of them), STATUS.
status_run() {
	local name=$1 filter=$2 n=0
	shift 2
	spawn_piped "$name" "$@"
	LINES=
	while next_status 20; do
		LINES="$LINES$LINE
"
		n=$((n + 1))
		[ $n -lt 10 ] || fail "more than 10 status lines: $LINES"
	done
	[ -z "$LINE" ] || fail "no EOF after the status lines: $LINES"
	jq -e "$filter" <<<"$(printf '%s' "$LINES" | tail -n 1)" >/dev/null ||
		fail "'$filter' is not true of the last status line: $LINES"
	finish "$SPAWNED" 20
}

events() { printf '%s' "$LINES" | jq -r .event | paste -sd' ' -; }

test_status_exited_with_code() {
	mkdir -p "$TEST_TMP/d"
	echo 3 >"$TEST_TMP/d/stop"
	status_run run '. == {event:"exited", exit_status:3, how:"exited", code:3}' \
		"${H[@]}" --status-fd 5 -- sh "$TEST_TMP/serve.sh" "$TEST_TMP/d"
	assert_eq "ready started exited" "$(events)" "the status events"
	assert_eq 3 "$STATUS" "exit status of hckns"
}

test_status_exited_killed() {
	# shellcheck disable=SC2016 # $$ of the command
	status_run run '. == {event:"exited", exit_status:137, how:"killed", signal:9, signal_name:"KILL"}' \
		"${H[@]}" --status-fd 5 -- sh -c 'kill -KILL $$'
	assert_eq "ready started exited" "$(events)" "the status events"
	assert_eq 137 "$STATUS" "exit status of hckns"
}

# hckns fails before the command starts (a port taken): no ready line,
# exited says how=failed with hckns's message; one line on stderr, 125,
# nothing left.
test_status_exited_failed() {
	local p msg
	p=$(free_ports 1) || fail "no free port"
	take_port "$p"
	msg="cannot publish '$p': host port $p on 127.0.0.1 is in use or not permitted"
	status_run run ". == {event:\"exited\", exit_status:125, how:\"failed\", error:\"$msg\"}" \
		"${H[@]}" --status-fd 5 -p "$p" -- true "$MARK"
	assert_eq "exited" "$(events)" "the status events"
	assert_eq 125 "$STATUS" "exit status of hckns"
	assert_one_line "$TEST_TMP/run.err" "a port taken"
	assert_eq "hckns: $msg" "$(cat "$TEST_TMP/run.err")" "the message"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind"
	assert_no_instance_dir "$RT"
}

# The command cannot be run: the network was ready, the command never
# started; exited has its status and hckns's message.
test_status_exited_command_not_found() {
	status_run run '. == {event:"exited", exit_status:127, how:"failed", error:"nonexistent-command-'"$MARK"': command not found"}' \
		"${H[@]}" --status-fd 5 -- "nonexistent-command-$MARK"
	assert_eq "ready exited" "$(events)" "the status events"
	assert_eq 127 "$STATUS" "exit status of hckns"
	assert_no_instance_dir "$RT"
}

# The status and control descriptors are close-on-exec: the command does
# not hold them (it lists its own descriptors), so a background child it
# leaves cannot keep the pipes open either; the reader sees EOF right
# after the exited line, and the child is gone.
test_script_fds_not_inherited() {
	local fds
	mkdir -p "$TEST_TMP/d"
	# shellcheck disable=SC2016 # expanded by the command
	status_run run '. == {event:"exited", exit_status:0, how:"exited", code:0}' \
		"${H[@]}" --status-fd 5 --control-fd 3,4 -- sh -c '
		ls -l /proc/$$/fd >"$1/fds"
		sh -c "sleep 60" "$2" &
		kill -0 $! && echo alive >"$1/bg"' sh "$TEST_TMP/d" "$MARK"
	# "FD TARGET" a line.
	fds=$(awk '/ -> / { print $(NF - 2), $NF }' "$TEST_TMP/d/fds")
	[ -n "$fds" ] || fail "the command listed no descriptors: $(cat "$TEST_TMP/d/fds")"
	assert_not_contains "$fds" "$TEST_TMP/run.status" "the command's descriptors"
	assert_not_contains "$fds" "$TEST_TMP/run.ctl_in" "the command's descriptors"
	assert_not_contains "$fds" "$TEST_TMP/run.ctl_out" "the command's descriptors"
	assert_eq "" "$(printf '%s\n' "$fds" | awk '$1 == 3 || $1 == 4 || $1 == 5')" \
		"descriptors 3, 4, 5 in the command"
	assert_eq alive "$(cat "$TEST_TMP/d/bg" 2>/dev/null)" "the background child, before the command exited"
	assert_eq "" "$(pids_with_arg "$MARK")" "the command's background child after hckns returned"
	assert_eq 0 "$STATUS" "exit status of hckns"
}

# The status pipe is the script's lifeline: when its reader goes away,
# hckns stops the command (SIGTERM), tears down and exits 125.
test_status_reader_gone() {
	local d=$TEST_TMP/d
	mkdir -p "$d"
	# shellcheck disable=SC2016 # expanded by the command
	spawn_piped run "${H[@]}" -v --status-fd 5 -- sh -c '
		trap "echo TERM >$1/got; exit 0" TERM
		echo "$$ $(readlink /proc/self/ns/pid)" >$1/pid
		i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done' sh "$d"
	expect_status '.event == "ready"' "the ready line"
	expect_status '.event == "started"' "the started line"
	wait_for 10 test -s "$d/pid" || fail "the command did not start"
	hold_userns "$(outer_pid "$d/pid")"
	exec {ST}<&-
	finish "$SPAWNED" 5
	assert_eq 125 "$STATUS" "exit status of hckns"
	assert_eq "hckns: the reader of --status-fd went away (the script that started hckns is gone): stopping the command" \
		"$(hckns_lines "$TRACE")" "what hckns said"
	assert_eq TERM "$(cat "$d/got" 2>/dev/null)" "what the command got"
	wait_instance_gone 2 "$TRACE" "$INODE"
}

# ---- --control-fd -------------------------------------------------------

# start_controlled NAME [HCKNS-OPTION...] -- [PORT=MARKER...]: hckns -v with
# --status-fd 5 --control-fd 3,4, running serve.sh; ready and started read.
# Sets SPAWNED, TRACE, DIR, INODE.
start_controlled() {
	local name=$1 opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	DIR=$TEST_TMP/$name.d
	mkdir -p "$DIR"
	spawn_piped "$name" "${H[@]}" -v --status-fd 5 --control-fd 3,4 "${opts[@]}" -- \
		sh "$TEST_TMP/serve.sh" "$DIR" "$@"
	at_exit "touch '$DIR/stop'"
	expect_status '.event == "ready"' "the ready line"
	expect_status '.event == "started"' "the started line"
	wait_for 10 test -s "$DIR/pid" || fail "the command did not start"
	hold_userns "$(outer_pid "$DIR/pid")"
}

# add, list and remove, tags echoed, each forward proven from the host;
# `hckns fwd list` from another terminal sees the same.
test_control_add_list_remove() {
	local p1 p2 m=ctl-$$-$RANDOM
	read -r p1 p2 <<<"$(free_ports 2)"
	[ -n "$p2" ] || fail "no free ports"
	# --host-loopback: the UDP forward below is on the loopback.
	start_controlled run --host-loopback -- "8001=$m"
	request '{"execute":"list_hostfwd"}'
	answer_is '. == {return:{entries:[]}}' "list_hostfwd, none yet"

	request '{"execute":"add_hostfwd","arguments":{"host_port":'"$p1"',"guest_port":8001},"tag":"add-1"}'
	answer_is '. == {return:{id:1}, tag:"add-1"}' "add_hostfwd"
	expect_answer "$p1" "$m"
	request '{"tag":2,"arguments":{"proto":"udp","host_addr":"127.0.0.1","host_port":'"$p2"',"guest_addr":"10.0.2.100","guest_port":7007},"execute":"add_hostfwd"}'
	answer_is '. == {return:{id:2}, tag:2}' "add_hostfwd udp, all arguments"
	assert_eq "127.0.0.1:$p2" "$(udp_listeners "$p2")" "where the udp forward listens"

	request '{"execute":"list_hostfwd","arguments":{},"tag":{"x":[1,null,"y"]}}'
	answer_is ". == {return:{entries:[
		{id:1, proto:\"tcp\", host_addr:\"127.0.0.1\", host_port:$p1, guest_addr:\"10.0.2.100\", guest_port:8001},
		{id:2, proto:\"udp\", host_addr:\"127.0.0.1\", host_port:$p2, guest_addr:\"10.0.2.100\", guest_port:7007}]},
		tag:{x:[1,null,\"y\"]}}" "list_hostfwd"
	fwd_ok list --json --instance "$SPAWNED"
	assert_eq "$(jq -c .return.entries <<<"$ANSWER")" "$(jq -c .entries <<<"$OUT")" \
		"the forwards hckns fwd list sees"

	request '{"execute":"remove_hostfwd","arguments":{"id":1},"tag":null}'
	answer_is '. == {return:{}, tag:null}' "remove_hostfwd 1"
	assert_nothing_listens "$p1"
	request '{"execute":"list_hostfwd"}'
	answer_is '[.return.entries[].id] == [2]' "list_hostfwd after remove_hostfwd 1"
	request '{"execute":"remove_hostfwd","arguments":{"id":2}}'
	answer_is '. == {return:{}}' "remove_hostfwd 2"
	assert_nothing_listens "$p2"
	request '{"execute":"list_hostfwd"}'
	answer_is '. == {return:{entries:[]}}' "list_hostfwd at the end"

	echo 0 >"$DIR/stop"
	expect_status '. == {event:"exited", exit_status:0, how:"exited", code:0}' "the exited line"
	finish "$SPAWNED" 10
	assert_eq 0 "$STATUS" "exit status of hckns"
	wait_instance_gone 2 "$TRACE" "$INODE"
}

# bad REQUEST-LINE DESC-PART [TAG-FILTER]: an error answer whose desc
# contains DESC-PART (and whose tag FILTER is true, or no tag); then a
# list_hostfwd is answered, no forward added: nothing else changed.
N_BAD=0
bad() {
	local tagf=${3:-'has("tag") | not'}
	request "$1"
	answer_is '(keys - ["tag"]) == ["error"] and (.error | keys) == ["desc"] and (.error.desc | type) == "string"' \
		"the answer to '${1:0:100}'"
	assert_contains "$(jq -r .error.desc <<<"$ANSWER")" "$2" "the error of '${1:0:100}'"
	answer_is "$tagf" "the tag of the answer to '${1:0:100}'"
	N_BAD=$((N_BAD + 1))
	request '{"execute":"list_hostfwd","tag":"after-'$N_BAD'"}'
	answer_is '. == {return:{entries:[]}, tag:"after-'$N_BAD'"}' "list_hostfwd after '${1:0:100}'"
}

# Malformed JSON, unknown requests, bad arguments, oversized lines: an
# error object each, in order; the instance goes on.
test_control_errors() {
	local p q line
	read -r p q <<<"$(free_ports 2)"
	[ -n "$q" ] || fail "no free ports"
	take_port "$q"
	start_controlled run --
	bad 'garbage' 'malformed JSON'
	bad '{"execute":"list_hostfwd"' 'malformed JSON'
	bad '[1,2]' 'a request must be a JSON object'
	bad '{"execute":"add_hostfwd","arguments":{"proto":"udp","host_port":'"$p"'}}' \
		"gets no replies unless the instance runs with --host-loopback"
	bad '"list_hostfwd"' 'malformed JSON'
	bad '{"execute":"nope","tag":"t1"}' 'unknown request' '.tag == "t1"'
	bad '{"tag":[7]}' '' '.tag == [7]'
	bad '{"execute":"list_hostfwd","bogus":1,"tag":3}' 'unknown member "bogus"' '.tag == 3'
	bad '{"execute":"add_hostfwd","tag":4}' 'host_port' '.tag == 4'
	bad '{"execute":"add_hostfwd","arguments":{"host_port":0}}' 'host port 0 is out of range'
	bad '{"execute":"add_hostfwd","arguments":{"host_port":65536}}' 'out of range'
	bad '{"execute":"add_hostfwd","arguments":{"host_port":"'"$p"'"}}' 'must be an integer'
	bad '{"execute":"add_hostfwd","arguments":{"host_port":'"$p"'.0}}' 'must be an integer'
	bad '{"execute":"add_hostfwd","arguments":{"host_port":'"$p"',"bogus":1}}' 'unknown member "bogus"'
	bad '{"execute":"add_hostfwd","arguments":{"host_port":'"$p"',"proto":"sctp"}}' '"proto" must be "tcp" or "udp"'
	bad '{"execute":"add_hostfwd","arguments":{"host_port":'"$p"',"host_addr":"::1"}}' 'host'
	bad '{"execute":"add_hostfwd","arguments":{"host_port":'"$p"',"guest_port":-1}}' 'out of range'
	bad '{"execute":"add_hostfwd","arguments":{"host_port":'"$q"'},"tag":"taken"}' \
		"host port $q on 127.0.0.1 is in use or not permitted" '.tag == "taken"'
	bad '{"execute":"remove_hostfwd","arguments":{"id":99}}' 'no forward with id 99'
	bad '{"execute":"remove_hostfwd"}' 'id'
	bad '{"execute":"remove_hostfwd","arguments":{"id":"1"}}' 'must be an integer'
	bad '{"execute":"stop","arguments":{"now":true}}' 'unknown member "now"'
	# A line of 4096 bytes is a request; one of 4097 is too long, and so
	# is one of 100000 (the rest of it is dropped, up to its newline).
	line='{"execute":"list_hostfwd","tag":"b"}'
	line=$line$(printf '%*s' $((4096 - ${#line})) '')
	assert_eq 4096 "${#line}" "the length of the long request"
	request "$line"
	answer_is '. == {return:{entries:[]}, tag:"b"}' "a request of 4096 bytes"
	bad "$line " 'request line too long (at most 4096 bytes)'
	bad "{\"execute\":\"list_hostfwd\",\"tag\":\"$(head -c 100000 /dev/zero | tr '\0' x)\"}" \
		'request line too long (at most 4096 bytes)'
	# Every line gets its answer, blank ones too (an error each), in order.
	printf '\n\n   \n' >&"$CW"
	for i in 1 2 3; do
		ANSWER=
		read -r -t 10 -u "$CR" ANSWER || fail "no answer to blank line $i"
		answer_is '. == {error:{desc:"blank line"}}' "the answer to blank line $i"
	done
	request '{"execute":"list_hostfwd","tag":"after-blank"}'
	answer_is '.tag == "after-blank"' "the answer after blank lines"
	# Still running, still serving, from the control fd and from outside.
	alive "$SPAWNED" || fail "hckns ended"
	alive "$(outer_pid "$DIR/pid")" || fail "the command ended"
	request '{"execute":"add_hostfwd","arguments":{"host_port":'"$p"'}}'
	answer_is '. == {return:{id:1}}' "add_hostfwd after the errors"
	fwd_ok list --instance "$SPAWNED" --json
	assert_eq "[$p]" "$(jq -c '[.entries[].host_port]' <<<"$OUT")" "the forwards after the errors"
	echo 0 >"$DIR/stop"
	finish "$SPAWNED" 10
	assert_eq 0 "$STATUS" "exit status of hckns"
	wait_instance_gone 2 "$TRACE" "$INODE"
	assert_nothing_listens "$p"
}

# stop: answered, then the command gets SIGTERM; it dies of it, so hckns
# exits 143 and says so in the exited line.
test_control_stop() {
	local p
	p=$(free_ports 1) || fail "no free port"
	start_controlled run -p "$p" --
	request '{"execute":"stop","tag":"bye"}'
	answer_is '. == {return:{}, tag:"bye"}' "stop"
	expect_status '. == {event:"exited", exit_status:143, how:"killed", signal:15, signal_name:"TERM"}' \
		"the exited line"
	expect_eof 5
	finish "$SPAWNED" 10
	assert_eq 143 "$STATUS" "exit status of hckns"
	wait_instance_gone 2 "$TRACE" "$INODE"
	assert_nothing_listens "$p"
}

# stop to a command that handles SIGTERM: its own exit status is hckns's.
test_control_stop_handled() {
	local d=$TEST_TMP/d
	mkdir -p "$d"
	# shellcheck disable=SC2016 # expanded by the command
	spawn_piped run "${H[@]}" -v --status-fd 5 --control-fd 3,4 -- sh -c '
		trap "echo TERM >>$1/got; exit 7" TERM
		echo "$$ $(readlink /proc/self/ns/pid)" >$1/pid
		i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done' sh "$d"
	expect_status '.event == "ready"' "the ready line"
	expect_status '.event == "started"' "the started line"
	wait_for 10 test -s "$d/pid" || fail "the command did not start"
	hold_userns "$(outer_pid "$d/pid")"
	request '{"execute":"stop","arguments":{}}'
	answer_is '. == {return:{}}' "stop"
	expect_status '. == {event:"exited", exit_status:7, how:"exited", code:7}' "the exited line"
	finish "$SPAWNED" 10
	assert_eq 7 "$STATUS" "exit status of hckns"
	assert_eq TERM "$(cat "$d/got")" "the signals the command got"
	wait_instance_gone 2 "$TRACE" "$INODE"
}

# EOF on the control fd ends the requests and nothing else: the command
# goes on, the forwards stay, and it ends normally later.
test_control_eof_changes_nothing() {
	local p m=eof-$$-$RANDOM
	p=$(free_ports 1) || fail "no free port"
	start_controlled run -- "8000=$m"
	request '{"execute":"add_hostfwd","arguments":{"host_port":'"$p"',"guest_port":8000}}'
	answer_is '. == {return:{id:1}}' "add_hostfwd"
	exec {CW}>&-
	wait_trace "$TRACE" 'control fd: end of requests' 5
	sleep 0.5
	alive "$SPAWNED" || fail "hckns ended after EOF on the control fd"
	alive "$(outer_pid "$DIR/pid")" || fail "the command ended after EOF on the control fd"
	expect_answer "$p" "$m"
	fwd_ok list --instance "$SPAWNED" --json
	assert_eq "[$p]" "$(jq -c '[.entries[].host_port]' <<<"$OUT")" "the forwards after EOF"
	next_status 0.2 && fail "a status line after EOF on the control fd: $LINE"
	echo 0 >"$DIR/stop"
	expect_status '. == {event:"exited", exit_status:0, how:"exited", code:0}' "the exited line"
	finish "$SPAWNED" 10
	assert_eq 0 "$STATUS" "exit status of hckns"
	assert_eq "" "$(hckns_lines "$TRACE")" "messages from hckns"
	wait_instance_gone 2 "$TRACE" "$INODE"
	assert_nothing_listens "$p"
}

# Descriptors hckns cannot use: one line, 125, before anything exists.
test_script_fd_errors() {
	expect_error closed 125 "${H[@]}" --status-fd 99 -- true "$MARK"
	assert_eq "hckns: --status-fd 99: not an open descriptor; give a descriptor the caller opened for hckns (3 or above)" \
		"$MSG" "the message"
	expect_error stdout 125 "${H[@]}" --control-fd 0,1 -- true "$MARK"
	assert_eq "hckns: --control-fd 0: not for standard input, output or error; give a descriptor the caller opened for hckns (3 or above)" \
		"$MSG" "the message"
	expect_error notnum 125 "${H[@]}" --control-fd 3,x -- true "$MARK"
	assert_eq "hckns: invalid --control-fd '3,x': give FD or IN,OUT descriptor numbers" \
		"$MSG" "the message"
	expect_error notnum 125 "${H[@]}" --status-fd '' -- true "$MARK"
	assert_eq "hckns: invalid --status-fd '': give a descriptor number" "$MSG" "the message"
}
