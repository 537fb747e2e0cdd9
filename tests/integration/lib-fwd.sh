# Helpers for t-forwards.sh and t-script.sh, sourced by them after
# lib-procs.sh: servers inside an instance, clients on the host, ports.
# suite.sh only runs t-*.sh files, so this file holds no tests.
#
# Traffic: the host side connects to 127.0.0.1 only; the servers listen
# inside the instance's network namespace, never on the host.  Every wait
# is bounded in count and time.

# suite.sh sources the t-*.sh files once without lib.sh, only to list
# their tests: then there is no $TEST_TMP, and nothing to set up.
[ -n "${TEST_TMP:-}" ] || return 0

# A runtime base of the test's own, so that `hckns fwd` without --instance
# sees only the instances of this test: run hckns as "${H[@]}" (it execs
# hckns: SPAWNED is hckns's pid, the name of its instance) and look for
# instances in $BASE.
RT=$TEST_TMP/rt
mkdir -p "$RT"
# shellcheck disable=SC2034 # read by expect_error (lib-procs.sh)
EXPECT_RT=$RT
H=(env -u XDG_RUNTIME_DIR "TMPDIR=$RT" "$HCKNS")
# shellcheck disable=SC2034 # read by the tests
BASE=$RT/hckns-$(id -u)

# An argument no other process has, for commands that must leave nothing
# behind: hckns gets it after the command, so its keeper (a fork) has it too.
MARK="hckns-test-mark-$$"

# ---- the command inside: TCP servers, then wait for a stop file ---------

# serve.sh DIR [PORT=MARKER | ADDR:PORT=MARKER | udp:PORT]...: started as
# the command of an instance.  For each PORT=MARKER, a TCP server inside
# the namespace (busybox nc -ll: one child per connection) that answers
# MARKER and closes; ADDR:PORT=MARKER gives br_world the address ADDR/24
# too (as a guest there would have) and listens on that address only; for
# each udp:PORT, udpecho.pl on PORT.  Then writes its pid and PID
# namespace to DIR/pid (outer_pid, lib-procs.sh), waits (30 s at most)
# until DIR/stop exists and exits with
# the number in DIR/stop (0 when empty).  What it leaves in the background
# goes at teardown with the rest of the instance.
cat >"$TEST_TMP/serve.sh" <<'EOF'
d=$1
shift
for pm in "$@"; do
	case $pm in
	udp:*) perl "${0%/*}/udpecho.pl" "${pm#udp:}" </dev/null 2>>"$d/udp.log" & ;;
	*.*:*=*) # ADDR:PORT=MARKER: a second address on br_world, for a guest
		a=${pm%%:*} p=${pm#*:}
		ip addr add "$a/24" dev br_world 2>>"$d/ip.log"
		perl "${0%/*}/tcpserve.pl" "$a" "${p%%=*}" "${p#*=}" </dev/null 2>>"$d/tcp.log" & ;;
	*) busybox nc -ll -p "${pm%%=*}" -e echo "${pm#*=}" </dev/null & ;;
	esac
done
echo "$$ $(readlink /proc/self/ns/pid)" >"$d/pid.tmp" && mv "$d/pid.tmp" "$d/pid"
i=0
while [ ! -e "$d/stop" ] && [ "$i" -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
read -r code <"$d/stop" 2>/dev/null
exit "${code:-0}"
EOF

# tcpserve.pl ADDR PORT MARKER: a TCP server inside the namespace on
# ADDR:PORT only (busybox nc cannot choose its address): answers MARKER to
# each connection and closes it; 50 connections or 30 s at most.
cat >"$TEST_TMP/tcpserve.pl" <<'EOF'
use strict;
use IO::Socket::INET;
my $s = IO::Socket::INET->new(Listen => 5, LocalAddr => $ARGV[0],
			      LocalPort => $ARGV[1], ReuseAddr => 1)
	or die "tcpserve: cannot listen on $ARGV[0]:$ARGV[1]: $!\n";
alarm 30;
for (1 .. 50) {
	my $c = $s->accept or last;
	print $c "$ARGV[2]\n";
	close $c;
}
EOF

# udpecho.pl PORT: a UDP echo server inside the namespace: answers every
# datagram with "echo:" and the datagram, 50 datagrams or 30 s at most,
# and says on stderr what it got from whom and what it sent back.
# perl-base is Essential in Debian; busybox nc has no UDP there.
cat >"$TEST_TMP/udpecho.pl" <<'EOF'
use strict;
use IO::Socket::INET;
use Socket qw(sockaddr_in inet_ntoa);
$| = 1;
my $s = IO::Socket::INET->new(Proto => 'udp', LocalPort => $ARGV[0])
	or die "udpecho: cannot bind port $ARGV[0]: $!\n";
alarm 30;
for (1 .. 50) {
	my $peer = $s->recv(my $data, 2048);
	last unless defined $peer;
	my ($port, $ip) = sockaddr_in($peer);
	my $sent = $s->send("echo:$data", 0, $peer);
	printf STDERR "udpecho: %d bytes from %s:%d, answered: %s; ",
		length $data, inet_ntoa($ip), $port, defined $sent ? "$sent bytes" : $!;
}
EOF

# start_served NAME HCKNS-OPTION... -- [PORT=MARKER...]: spawn hckns -v
# (private runtime base) running serve.sh in $TEST_TMP/NAME.d; wait until
# the command runs.  Sets SPAWNED (hckns's pid: the instance's name),
# TRACE, DIR (the command's directory), INODE (its user namespace, held),
# RUNDIR (the runtime directory).
start_served() {
	local name=$1 opts=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	DIR=$TEST_TMP/$name.d
	mkdir -p "$DIR"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn "$name" "${H[@]}" -v "${opts[@]}" -- sh "$TEST_TMP/serve.sh" "$DIR" "$@"
	TRACE=$TEST_TMP/$name.err
	at_exit "touch '$DIR/stop'"
	wait_for 15 test -s "$DIR/pid" ||
		fail "the command of $name did not start: $(cat "$TRACE")"
	hold_userns "$(outer_pid "$DIR/pid")"
	RUNDIR=$(trace_value "$TRACE" 'runtime directory:')
	[ -d "$RUNDIR" ] || fail "no runtime directory '$RUNDIR' for $name"
}

# stop_served PID DIR TRACE INODE [CODE]: let the command end (with CODE,
# default 0); hckns exits with it and leaves nothing behind.
stop_served() {
	echo "${5:-0}" >"$2/stop"
	finish "$1" 20
	assert_eq "${5:-0}" "$STATUS" "exit status of hckns ($(hckns_lines "$3"))"
	wait_instance_gone 3 "$3" "$4"
}

# ---- the host side ------------------------------------------------------

# ask PORT: what a TCP server behind 127.0.0.1:PORT answers (5 s at most).
ask() {
	timeout -k 1 5 busybox nc 127.0.0.1 "$1" </dev/null 2>/dev/null
}

# expect_answer PORT MARKER: the server behind 127.0.0.1:PORT answers
# MARKER, within 10 s (the server inside may still be starting: before it
# listens, slirp4netns accepts and closes at once).
answers() { [ "$(ask "$1")" = "$2" ]; }
expect_answer() {
	wait_for 10 answers "$1" "$2" ||
		fail "127.0.0.1:$1 did not answer '$2' (last answer: '$(ask "$1")')"
}

# udp_ask PORT MESSAGE: send MESSAGE to 127.0.0.1:PORT over UDP and print
# the answer; up to 10 tries, each waiting 1 s for an answer.  In perl, as
# bash reads a socket one byte at a time, and each read(2) of a UDP socket
# takes a whole datagram.
cat >"$TEST_TMP/udpask.pl" <<'EOF'
use strict;
use IO::Socket::INET;
use IO::Select;
my $s = IO::Socket::INET->new(Proto => 'udp', PeerAddr => '127.0.0.1',
			      PeerPort => $ARGV[0]) or die "udpask: $!\n";
my $sel = IO::Select->new($s);
for (1 .. 10) {
	$s->send($ARGV[1]);
	next unless $sel->can_read(1);
	next unless defined $s->recv(my $data, 2048);
	print "$data\n";
	exit 0;
}
exit 1;
EOF
udp_ask() {
	timeout -k 1 15 perl "$TEST_TMP/udpask.pl" "$1" "$2"
}

# The local addresses (ADDR:PORT) listening on host port PORT, TCP or UDP.
tcp_listeners() { ss -Htln "sport = :$1" | awk '{ print $4 }'; }
udp_listeners() { ss -Huln "sport = :$1" | awk '{ print $4 }'; }
tcp_listening() { [ -n "$(tcp_listeners "$1")" ]; }

# assert_nothing_listens PORT...: no TCP or UDP socket is bound to PORT.
assert_nothing_listens() {
	local p
	for p in "$@"; do
		assert_eq "" "$(tcp_listeners "$p")" "TCP listeners on port $p"
		assert_eq "" "$(udp_listeners "$p")" "UDP listeners on port $p"
	done
}

# free_ports N: N distinct ports (20000-60000) with no TCP or UDP socket
# bound on this host now, on one line: read -r p1 p2 <<<"$(free_ports 2)".
free_ports() {
	local n=$1 p got=" "
	for p in $(shuf -i 20000-60000 -n 200); do
		[ "$n" -gt 0 ] || break
		case $got in *" $p "*) continue ;; esac
		[ -z "$(ss -Htuan "sport = :$p")" ] || continue
		got="$got$p "
		n=$((n - 1))
	done
	got=${got# }
	echo "${got% }"
	[ "$n" = 0 ]
}

# A server on the host's 127.0.0.1:PORT only (busybox httpd: busybox nc
# cannot bind one address), to take a port; killed when the test ends.
take_port() { # PORT
	mkdir -p "$TEST_TMP/www"
	: >"$TEST_TMP/httpd.conf"
	busybox httpd -f -c "$TEST_TMP/httpd.conf" -p "127.0.0.1:$1" \
		-h "$TEST_TMP/www" </dev/null >/dev/null 2>&1 &
	at_exit "kill $! 2>/dev/null"
	wait_for 10 tcp_listening "$1" ||
		fail "busybox httpd does not listen on 127.0.0.1:$1"
}

# ---- hckns fwd ----------------------------------------------------------

# fwd ARG...: `hckns fwd ARG...` in the test's runtime base, 20 s at most;
# sets STATUS, OUT (stdout) and ERR (stderr).
fwd() {
	"${H[@]}" fwd "$@" >"$TEST_TMP/fwd.out" 2>"$TEST_TMP/fwd.err" </dev/null &
	finish $! 20
	OUT=$(cat "$TEST_TMP/fwd.out")
	ERR=$(cat "$TEST_TMP/fwd.err")
}

# fwd_ok ARG...: fwd, which must succeed quietly on stderr.
fwd_ok() {
	fwd "$@"
	assert_eq 0 "$STATUS" "exit status of 'hckns fwd $*' ($ERR)"
	assert_eq "" "$ERR" "stderr of 'hckns fwd $*'"
}

# fwd_err MESSAGE ARG...: fwd, which must fail with 125 and the one line
# MESSAGE on stderr, nothing on stdout.
fwd_err() {
	local want=$1
	shift
	fwd "$@"
	assert_eq 125 "$STATUS" "exit status of 'hckns fwd $*' ($ERR)"
	assert_eq "" "$OUT" "stdout of 'hckns fwd $*'"
	assert_one_line "$TEST_TMP/fwd.err" "hckns fwd $*"
	assert_eq "$want" "$ERR" "the message of 'hckns fwd $*'"
}

# The trace of file $1 without times and pids, one step a line.
trace_steps() {
	sed -n 's/^hckns: \[[ 0-9.]* ms\] //p' "$1" | sed 's/[0-9][0-9]*/N/g'
}

# The trace lines of file $1 after its line "network ready", without the
# time stamps.
trace_after_ready() {
	sed -n '/^hckns: \[[ 0-9.]* ms\] network ready$/,$p' "$1" |
		sed -n 's/^hckns: \[[ 0-9.]* ms\] //p'
}
