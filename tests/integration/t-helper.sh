# hckns-helper: its confinement while a command runs, seen from /proc, and
# its protocol against the real binary (doc/design.md: "The helper and its
# protocol"; helper/hckns-helper.c).
# The scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016

HELPER_BIN=$(dirname "$HCKNS")/hckns-helper

# The command of a running instance: waits (bounded, 30 s) until the test
# creates $1/stop, so that the test looks at the helper while it serves.
WAIT_FOR_STOP='i=0
while [ ! -e "$1/stop" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done'

# start_instance [SCRIPT]: `hckns -v -- sh -c SCRIPT` in the background
# (SCRIPT defaults to $WAIT_FOR_STOP; $1 is $TEST_TMP in it), its trace in
# $TEST_TMP/run.err.  Waits for "command started".  Sets RUN_PID (the
# `timeout` around hckns), HELPER and CMD (pids from the trace), and stops
# the instance at exit whatever happens.
start_instance() {
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 40 "$HCKNS" -v -- sh -c "${1:-$WAIT_FOR_STOP}" sh "$TEST_TMP" \
		>"$TEST_TMP/run.out" 2>"$TEST_TMP/run.err" </dev/null &
	RUN_PID=$!
	# On failure: timeout passes SIGTERM to hckns, which relays it to the
	# command and tears everything down; then lib.sh's own cleanup.
	trap ': >"$TEST_TMP/stop"; kill -TERM "$RUN_PID" 2>/dev/null; wait "$RUN_PID"; rm -rf "$TEST_TMP"' EXIT
	wait_for 20 grep -q 'command started, pid' "$TEST_TMP/run.err" ||
		fail "the command did not start: $(cat "$TEST_TMP/run.err")"
	HELPER=$(trace_value "$TEST_TMP/run.err" 'helper started, pid')
	CMD=$(trace_value "$TEST_TMP/run.err" 'command started, pid' | sed 's/[^0-9].*//')
	if [ -z "$HELPER" ] || [ -z "$CMD" ]; then
		fail "no helper or command pid in the trace: $(cat "$TEST_TMP/run.err")"
	fi
	[ -d "/proc/$HELPER" ] || fail "the helper $HELPER is not running: $(cat "$TEST_TMP/run.err")"
}

# stop_instance: let the command end; sets STATUS (hckns's exit status).
stop_instance() {
	: >"$TEST_TMP/stop"
	wait "$RUN_PID"
	STATUS=$?
	trap 'rm -rf "$TEST_TMP"' EXIT
}

# status_field PID NAME: the value of NAME: in /proc/PID/status.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}

# ---- confinement while a command runs ---------------------------------------

# CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21): bits 0x1000 and 0x200000.
TWO_CAPS=0000000000201000

test_helper_capabilities_and_no_new_privs() {
	start_instance
	assert_eq 0000000000000000 "$(status_field "$HELPER" CapInh)" "the helper's CapInh"
	assert_eq "$TWO_CAPS" "$(status_field "$HELPER" CapPrm)" "the helper's CapPrm"
	assert_eq "$TWO_CAPS" "$(status_field "$HELPER" CapEff)" "the helper's CapEff"
	assert_eq "$TWO_CAPS" "$(status_field "$HELPER" CapBnd)" "the helper's CapBnd"
	assert_eq 0000000000000000 "$(status_field "$HELPER" CapAmb)" "the helper's CapAmb"
	assert_eq 1 "$(status_field "$HELPER" NoNewPrivs)" "the helper's NoNewPrivs"
	stop_instance
	assert_eq 0 "$STATUS" "hckns's exit status"
}

# The seccomp allow-list (helper/hckns-helper.c confine_syscalls()): loaded
# before the first request, so a serving helper is in filter mode (2) with
# exactly one filter of its own.
test_helper_seccomp_filter() {
	start_instance
	assert_eq 2 "$(status_field "$HELPER" Seccomp)" "the helper's Seccomp mode (2: filter)"
	assert_eq 1 "$(status_field "$HELPER" Seccomp_filters)" "the helper's Seccomp_filters"
	stop_instance
	assert_eq 0 "$STATUS" "hckns's exit status"
}

# Non-dumpable.  No /proc file shows the flag, and the obvious signs fail
# here: the owner of /proc/PID/* is then the root of the process's own user
# namespace, which is the caller again; and the caller, as the owner of that
# namespace, holds CAP_SYS_PTRACE over it and reads everything anyway.
#
# What does show it is the kernel's ptrace access check
# (__ptrace_may_access()): a reader with the helper's uid, in the helper's
# user namespace, holding the helper's capabilities (so the capability
# check passes) but not CAP_SYS_PTRACE, may read /proc/PID/environ of a
# dumpable process and not of a non-dumpable one.  So a "twin" is started
# next to the helper: same user namespace, same uid, same capability sets
# (setpriv keeps only the two in the bounding set; root's exec then gets
# exactly those), dumpable as processes are by default.  The same reader
# must read the twin's environ and be refused the helper's.
test_helper_not_dumpable() {
	local reader twin
	start_instance 'setpriv --bounding-set=-all,+net_admin,+sys_admin sleep 60 &
		echo "$! $(readlink /proc/self/ns/pid)" >"$1/twin.pid"
		'"$WAIT_FOR_STOP"'
		kill $!'
	twin=$(outer_pid "$TEST_TMP/twin.pid")
	[ -d "/proc/${twin:-none}" ] || fail "the twin did not start"
	assert_eq "$(status_field "$HELPER" Uid)" "$(status_field "$twin" Uid)" "uids of the helper and its twin"
	assert_eq "$(readlink "/proc/$HELPER/ns/user")" "$(readlink "/proc/$twin/ns/user")" \
		"user namespaces of the helper and its twin"
	assert_eq "$TWO_CAPS" "$(status_field "$twin" CapEff)" "the twin's CapEff"
	assert_eq "$TWO_CAPS" "$(status_field "$twin" CapPrm)" "the twin's CapPrm"

	reader() { # PID: try to read its environ as the reader described above
		nsenter --preserve-credentials -t "$HELPER" -U \
			setpriv --bounding-set=-all,+net_admin,+sys_admin sh -c '
				grep "^CapEff:" /proc/self/status
				if head -c 1 "/proc/$1/environ" >/dev/null 2>&1; then
					echo readable
				else
					echo refused
				fi' sh "$1" 2>&1
	}
	reader=$(reader "$twin")
	assert_eq "CapEff:	$TWO_CAPS
readable" "$reader" "the reader on the (dumpable) twin's environ"
	reader=$(reader "$HELPER")
	assert_eq "CapEff:	$TWO_CAPS
refused" "$reader" "the same reader on the helper's environ (the helper must not be dumpable)"
	stop_instance
	assert_eq 0 "$STATUS" "hckns's exit status"
}

# Descriptors: 0 and 1 /dev/null, 2 the front end's stderr, 3 the
# SOCK_SEQPACKET socket to the front end, and one netlink route socket of
# its own network namespace; nothing else.
test_helper_descriptors() {
	local fds target inode
	start_instance
	# Listing them takes ptrace access: the caller has it as the owner of
	# the helper's user namespace; where it does not, say so.
	ls "/proc/$HELPER/fd" >/dev/null 2>&1 ||
		skip "cannot list /proc/$HELPER/fd as uid $(id -u) (no ptrace access to the non-dumpable helper)"
	fds=$(find "/proc/$HELPER/fd" -mindepth 1 -printf '%f\n' | sort -n | tr '\n' ' ')
	assert_eq "0 1 2 3 4 " "$fds" "the helper's descriptors"
	assert_eq /dev/null "$(readlink "/proc/$HELPER/fd/0")" "the helper's fd 0"
	assert_eq /dev/null "$(readlink "/proc/$HELPER/fd/1")" "the helper's fd 1"
	assert_eq "$(readlink -f "$TEST_TMP/run.err")" "$(readlink -f "/proc/$HELPER/fd/2")" \
		"the helper's fd 2 (hckns's stderr)"
	# fd 3: a unix socket of the caller's network namespace (the front end
	# made the pair there), type 0005 = SOCK_SEQPACKET in /proc/net/unix.
	target=$(readlink "/proc/$HELPER/fd/3")
	inode=$(echo "$target" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
	[ -n "$inode" ] || fail "the helper's fd 3 is not a socket: $target"
	assert_eq 0005 "$(awk -v i="$inode" '$7 == i { print $5 }' /proc/self/net/unix)" \
		"type of the helper's fd 3 in /proc/net/unix (SOCK_SEQPACKET)"
	# fd 4: a netlink socket of the helper's own network namespace,
	# protocol 0 = NETLINK_ROUTE, in its /proc/PID/net/netlink.
	target=$(readlink "/proc/$HELPER/fd/4")
	inode=$(echo "$target" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
	[ -n "$inode" ] || fail "the helper's fd 4 is not a socket: $target"
	assert_eq 0 "$(awk -v i="$inode" '$10 == i { print $2 }' "/proc/$HELPER/net/netlink")" \
		"protocol of the helper's fd 4 in its /proc/net/netlink (NETLINK_ROUTE)"
	stop_instance
	assert_eq 0 "$STATUS" "hckns's exit status"
}

# Its capabilities count only in its own user namespace and below
# (user_namespaces(7)); that namespace is not the initial one nor the
# caller's, and maps a single id, the caller's.  So even when hckns runs as
# real root, the helper holds nothing in the initial namespace.
test_helper_user_namespace_and_maps() {
	local ns
	start_instance
	ns=$(readlink "/proc/$HELPER/ns/user")
	[ -n "$ns" ] || fail "cannot read /proc/$HELPER/ns/user"
	[ "$ns" != "$(readlink /proc/self/ns/user)" ] ||
		fail "the helper is in the caller's user namespace $ns"
	if [ "$(id -u)" = 0 ]; then
		[ "$ns" != "$(readlink /proc/1/ns/user)" ] ||
			fail "the helper is in the initial user namespace $ns"
	fi
	assert_eq "0 $(id -u) 1" "$(awk '{ print $1, $2, $3 }' "/proc/$HELPER/uid_map")" \
		"the helper's uid_map (one line: 0 maps to the caller)"
	assert_eq "0 $(id -g) 1" "$(awk '{ print $1, $2, $3 }' "/proc/$HELPER/gid_map")" \
		"the helper's gid_map (one line: 0 maps to the caller)"
	assert_eq "$(id -u)	$(id -u)	$(id -u)	$(id -u)" "$(status_field "$HELPER" Uid)" \
		"the helper's uids as the caller's namespace sees them"
	# Network and mount namespaces of its own, too.
	[ "$(readlink "/proc/$HELPER/ns/net")" != "$(readlink /proc/self/ns/net)" ] ||
		fail "the helper is in the caller's network namespace"
	[ "$(readlink "/proc/$HELPER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
		fail "the helper is in the caller's mount namespace"
	stop_instance
	assert_eq 0 "$STATUS" "hckns's exit status"
}

test_helper_executable() {
	local exe
	start_instance
	exe=$(readlink "/proc/$HELPER/exe" 2>/dev/null) ||
		skip "cannot read /proc/$HELPER/exe as uid $(id -u) (no ptrace access to the non-dumpable helper)"
	assert_eq "$(readlink -f "$HELPER_BIN")" "$exe" "the helper's executable"
	assert_eq "hckns-helper " "$(tr '\0' ' ' <"/proc/$HELPER/cmdline")" "the helper's command line"
	stop_instance
	assert_eq 0 "$STATUS" "hckns's exit status"
}

# doc/design.md: "serves the socketpair; exits on EOF".  After the run the
# helper is gone, and it exited by itself with status 0 (the front end's
# trace says "helper ended (0)"; a helper killed after the grace time would
# be reported as -110, ETIMEDOUT).
test_helper_exits_on_eof() {
	local start
	start_instance
	start=$(awk '{ print $22 }' "/proc/$HELPER/stat")
	stop_instance
	assert_eq 0 "$STATUS" "hckns's exit status"
	assert_contains "$(cat "$TEST_TMP/run.err")" "hckns-helper exited with status 0 (stage teardown)" "the front end's trace"
	if [ -e "/proc/$HELPER/stat" ]; then
		[ "$(awk '{ print $22 }' "/proc/$HELPER/stat" 2>/dev/null)" != "$start" ] ||
			fail "the helper $HELPER still runs after the run"
	fi
}

# ---- the protocol, against the real helper ---------------------------------
#
# tests/tools/helper-probe starts the helper as hckns does (new namespaces,
# single-id maps) and sends it exact bytes; it prints each message sent
# ("> ..."), each answer ("< answer:OP seq=N err=ERRNO reason=...") and how
# the helper ended.  The helper's own stderr is the probe's.

PROBE=${HCKNS_PROBE:-$(dirname "$HCKNS")/helper-probe}

# run_probe SCENARIO: sets OUT and ERR (the probe's stdout and stderr).
run_probe() {
	local rc
	[ -x "$PROBE" ] ||
		skip "no helper-probe at $PROBE: build it with make (make check-integration sets HCKNS_PROBE)"
	timeout -k 5 60 "$PROBE" "$HELPER_BIN" "$1" \
		>"$TEST_TMP/probe.out" 2>"$TEST_TMP/probe.err" </dev/null
	rc=$?
	OUT=$(cat "$TEST_TMP/probe.out")
	ERR=$(cat "$TEST_TMP/probe.err")
	[ "$rc" = 0 ] || fail "helper-probe $1 exited $rc: $OUT
$ERR"
}

# assert_probe SCENARIO EXPECTED-STDOUT [EXPECTED-STDERR]
assert_probe() {
	run_probe "$1"
	[ "$OUT" = "$2" ] || fail "helper-probe $1: unexpected output:
$(diff <(echo "$2") <(echo "$OUT"))
(stderr: $ERR)"
	assert_eq "${3:-}" "$ERR" "helper-probe $1: the helper's stderr"
}

HELLO_OK='> hello
< answer:hello seq=1 err=0'

# doc/design.md: "It reads one request at a time ..., validates it completely,
# does exactly one operation, and answers with 0".  Before hello's answer,
# its start-up made "/" private and mounted its own /proc and /sys
# (hckns-helper.c set_up_namespaces()).  Every operation, well
# formed and acceptable (the veth is made with ip(8) in the helper's
# namespaces, as the helper only makes bridges); then EOF ends the helper
# with status 0 ("exits on EOF").
test_protocol_valid_requests() {
	assert_probe valid "$HELLO_OK
(/ in the helper's mount namespace: private)
(/proc in the helper's mount namespace: its pid 1 is hckns-helper)
(/sys/class/net in the helper's mount namespace: lo)
> resolv-set 10.0.2.3
< answer:resolv-set seq=2 err=0
> link-set lo up
< answer:link-set seq=3 err=0
> bridge-add br0
< answer:bridge-add seq=4 err=0
> link-set br0 mtu 9000
< answer:link-set seq=5 err=0
> addr-add br0 10.9.8.7/24
< answer:addr-add seq=6 err=0
> addr-add br0 fd00::1/64
< answer:addr-add seq=7 err=0
> link-set br0 up
< answer:link-set seq=8 err=0
> route-add default via 10.9.8.1 dev br0
< answer:route-add seq=9 err=0
(ip link add p0 type veth peer name p1, in the helper's netns)
> link-enslave p0 to br0
< answer:link-enslave seq=10 err=0
> link-set p0 mtu 68
< answer:link-set seq=11 err=0
> link-set p0 mtu 65535 up
< answer:link-set seq=12 err=0
> uplink-add txqlen 11000
< answer:uplink-add seq=13 err=0
(tap_host: attached, tap, persistent)
(tap_host txqlen 11000)
> link-enslave tap_host to br0
< answer:link-enslave seq=14 err=0
> link-set tap_host up
< answer:link-set seq=15 err=0
(/sys/class/net in the helper's mount namespace: br0 lo p0 p1 tap_host)
> close the socket
helper: exited with status 0"
}

test_protocol_eof_ends_helper() {
	assert_probe eof "$HELLO_OK
> close the socket
helper: exited with status 0"
}

# doc/design.md: "A well-formed request whose arguments fail validation ...
# gets an errno and a reason, and the helper keeps serving"; "Names are
# validated as the kernel would (1..15 bytes, no /, no whitespace, not . or
# ..); addresses, prefix lengths and MTUs by range."
test_protocol_invalid_arguments() {
	assert_probe invalid "$HELLO_OK
> bridge-add \"\"
< answer:bridge-add seq=2 err=EINVAL reason=bridge-add: interface name is empty
> bridge-add \"a/b\"
< answer:bridge-add seq=3 err=EINVAL reason=bridge-add: interface name contains '/'
> bridge-add \"a b\"
< answer:bridge-add seq=4 err=EINVAL reason=bridge-add: interface name contains whitespace
> bridge-add \"..\"
< answer:bridge-add seq=5 err=EINVAL reason=bridge-add: interface name may not be \".\" or \"..\"
> link-set \"eth0:1\" up
< answer:link-set seq=6 err=EINVAL reason=link-set: interface name contains ':'
> link-set up with 16 name bytes and no NUL
< answer:link-set seq=7 err=EINVAL reason=link-set: interface name is 16 bytes or longer (at most 15)
> link-set \"lo\" up with a byte hidden after its NUL
< answer:link-set seq=8 err=EINVAL reason=link-set: interface name has bytes after its end
> bridge-add with 16 name bytes and no NUL
< answer:bridge-add seq=9 err=EINVAL reason=bridge-add: interface name is 16 bytes or longer (at most 15)
> link-enslave br0 to br0
< answer:link-enslave seq=10 err=EINVAL reason=link-enslave: a link cannot be its own master
> link-set lo mtu 67
< answer:link-set seq=11 err=EINVAL reason=link-set: MTU is out of range (68..65535)
> link-set lo mtu 65536 up
< answer:link-set seq=12 err=EINVAL reason=link-set: MTU is out of range (68..65535)
> link-set lo up 2
< answer:link-set seq=13 err=EINVAL reason=link-set: up is neither 0 nor 1
> link-set lo (no MTU, not up)
< answer:link-set seq=14 err=EINVAL reason=link-set: nothing to change (no MTU, not up)
> link-set lo up, padding 1
< answer:link-set seq=15 err=EINVAL reason=link-set: padding is not zero
> uplink-add txqlen 1000001
< answer:uplink-add seq=16 err=EINVAL reason=uplink-add: transmit queue length is out of range (1..1000000)
> addr-add lo 10.9.8.7/33
< answer:addr-add seq=17 err=EINVAL reason=addr-add: prefix length is out of range
> addr-add lo family 99
< answer:addr-add seq=18 err=EINVAL reason=addr-add: address family is neither AF_INET nor AF_INET6
> addr-add lo 0.0.0.0/24
< answer:addr-add seq=19 err=EINVAL reason=addr-add: address is unspecified
> addr-add lo 224.0.0.1/24
< answer:addr-add seq=20 err=EINVAL reason=addr-add: address is multicast
> addr-add lo 10.9.8.7/24, padding 1
< answer:addr-add seq=21 err=EINVAL reason=addr-add: padding is not zero
> route-add 10.9.8.7/24 (host bits) via 10.9.8.1 dev lo
< answer:route-add seq=22 err=EINVAL reason=route-add: destination has bits set past its prefix length
> route-add default via 0.0.0.0 dev lo
< answer:route-add seq=23 err=EINVAL reason=route-add: address is unspecified
> route-add default via 10.9.8.1 with bytes past the IPv4 address
< answer:route-add seq=24 err=EINVAL reason=route-add: IPv4 address has bytes past its 4
> resolv-set 224.0.0.1
< answer:resolv-set seq=25 err=EINVAL reason=resolv-set: address is multicast
> resolv-set 10.0.2.3, padding 1
< answer:resolv-set seq=26 err=EINVAL reason=resolv-set: padding is not zero
> link-set lo up (still serving?)
< answer:link-set seq=27 err=0
> close the socket
helper: exited with status 0"
}

# doc/design.md: "... or whose operation the kernel refuses, gets an errno and a
# reason, and the helper keeps serving"; "Enslaves ... to one of our
# bridges, only" (the helper's own check, EINVAL); the table's one-shot
# operations (EALREADY) refuse without ending the helper either.
test_protocol_kernel_refusal() {
	assert_probe refused "$HELLO_OK
> bridge-add br0
< answer:bridge-add seq=2 err=0
> bridge-add br0 again
< answer:bridge-add seq=3 err=EEXIST reason=bridge-add br0: File exists
> bridge-add br1
< answer:bridge-add seq=4 err=0
> link-set nosuch0 up
< answer:link-set seq=5 err=EIO reason=link-set nosuch0: No such device
> link-set nosuch0 mtu 1500
< answer:link-set seq=6 err=EIO reason=link-set nosuch0: No such device
> link-enslave br1 to lo (not a bridge)
< answer:link-enslave seq=7 err=EINVAL reason=link-enslave br1: master lo is not a bridge
> link-enslave br1 to nosuch0
< answer:link-enslave seq=8 err=EIO reason=link-enslave master nosuch0: No such device
> link-enslave br1 to br0 (a bridge into a bridge)
< answer:link-enslave seq=9 err=ELOOP reason=link-enslave br1: Too many levels of symbolic links
> link-enslave lo to br0
< answer:link-enslave seq=10 err=EINVAL reason=link-enslave lo: Invalid argument
> addr-add br0 10.9.8.7/24
< answer:addr-add seq=11 err=0
> addr-add br0 10.9.8.7/24 again
< answer:addr-add seq=12 err=EEXIST reason=addr-add br0: File exists
> route-add default via 172.31.0.1 dev br0 (unreachable)
< answer:route-add seq=13 err=ENETUNREACH reason=route-add br0: Network is unreachable
> route-add default via 10.2.2.2 dev nosuch0
< answer:route-add seq=14 err=EIO reason=route-add nosuch0: No such device
> resolv-set 10.0.2.3
< answer:resolv-set seq=15 err=0
> resolv-set again
< answer:resolv-set seq=16 err=EALREADY reason=resolv-set: runs only once
> bridge-add tap_host
< answer:bridge-add seq=17 err=0
> uplink-add (a bridge tap_host exists)
< answer:uplink-add seq=18 err=EEXIST reason=uplink-add tap_host: a link of that name exists
> uplink-add again
< answer:uplink-add seq=19 err=EALREADY reason=uplink-add: runs only once
> link-set lo up (still serving?)
< answer:link-set seq=20 err=0
> close the socket
helper: exited with status 0"
}

# A system call outside the allow-list kills the helper (SIGSYS, 31).
# tests/tools/seccomp-shim.c, preloaded into the helper (through the test
# hook HCKNS_TEST_HELPER_PRELOAD, which helper-probe's fe_helper_spawn()
# honours as hckns does), makes the serving helper ask for an AF_INET socket
# when it formats the reason of the first answer that needs strerror(): the
# kernel's EEXIST for "bridge-add br0 again".  Everything before it was
# served under the filter; nothing after it is answered; the helper leaves
# no message, it is killed.  The probe's scenarios without the shim are the
# tests above: the filter admits every operation, valid, invalid or refused,
# and every violation's exit.
test_seccomp_kills_forbidden_call() {
	seccomp_shim_probe socket
	assert_eq "" "$ERR" "the helper's stderr"
}

# seccomp_shim_probe CALL: helper-probe refused with the shim making CALL
# (HCKNS_TEST_SECCOMP_CALL) on the first refusal; the helper must be killed
# there.  Sets OUT and ERR.
seccomp_shim_probe() {
	local shim
	shim=$(cd "$(dirname "$PROBE")" && pwd)/seccomp-shim.so
	[ -r "$shim" ] || skip "no seccomp-shim.so at $shim: build it with make check-integration"
	HCKNS_TEST_HELPER_PRELOAD=$shim HCKNS_TEST_SECCOMP_CALL=$1 run_probe refused
	assert_contains "$OUT" "$HELLO_OK
> bridge-add br0
< answer:bridge-add seq=2 err=0
> bridge-add br0 again
< EOF
> bridge-add br1" "helper-probe refused, with a forbidden call ($1) on the first refusal"
	assert_eq "helper: killed by signal 31" "$(echo "$OUT" | tail -n 1)" \
		"how the helper ended (31: SIGSYS, killed by its seccomp filter)"
}

# Sanitizer builds admit open, read and mmap of files for the ASan runtime
# (helper/filter-gen.c seccomp_allow_sanitizer()): the two tests below
# need the filter that is installed.
skip_if_sanitized() {
	! grep -q __asan_init "$HELPER_BIN" ||
		skip "a sanitizer build: its filter admits open, read and mmap for the ASan runtime"
}

# The helper opens no file once it serves (helper/hckns-helper.c
# prepare_files()), and maps no file: a file of the user's, mode 0600, which
# the helper's uid may open, cannot be opened read-write and read through
# mmap(2).  (The filter this replaced admitted both, for /dev/net/tun.)
test_seccomp_kills_reading_a_private_file() {
	skip_if_sanitized
	printf 'hckns-secret-%s\n' "$$" >"$TEST_TMP/secret"
	chmod 0600 "$TEST_TMP/secret"
	seccomp_shim_probe "read:$TEST_TMP/secret"
	assert_not_contains "$ERR" "hckns-secret" "the helper's stderr (what it read)"
	assert_eq "" "$ERR" "the helper's stderr"
}

# ... and creates none: a new file in /tmp (as resolv-set's O_CREAT once
# could, anywhere).
test_seccomp_kills_creating_a_file() {
	local f=/tmp/hckns-test-created.$$.$RANDOM
	skip_if_sanitized
	trap 'rm -f "$f"; rm -rf "$TEST_TMP"' EXIT
	seccomp_shim_probe "create:$f"
	[ ! -e "$f" ] || fail "the helper created $f"
	assert_eq "" "$ERR" "the helper's stderr"
}

# What the helper's start-up does before its filter, the serving helper
# cannot do (helper/filter-gen.c admits one mount, resolv-set's read-only
# overlay): make "/" private again, or mount a proc.
test_seccomp_kills_mount_private() {
	seccomp_shim_probe mount-private
	assert_eq "" "$ERR" "the helper's stderr"
}

test_seccomp_kills_mounting_proc() {
	seccomp_shim_probe mount-proc
	assert_eq "" "$ERR" "the helper's stderr"
}

# Protocol violations.  doc/design.md: "A protocol violation (bad header or
# length, unknown operation, descriptors or other control data, which the
# kernel discards unread) is answered with an error and the helper exits:
# it never guesses."  The helper logs one line and exits with status 1.
#
# violation SCENARIO HELLO-FIRST(yes|no) SENT ANSWER [AFTER]: the output is
# the hello (if any), "> SENT", "< ANSWER", the line AFTER (if given), EOF
# and exit status 1; the helper's stderr is "hckns-helper: protocol
# violation: " and the answer's reason.
violation() {
	local want="" after=""
	[ "$2" = yes ] && want="$HELLO_OK
"
	[ -n "${5:-}" ] && after="
$5"
	assert_probe "$1" "$want> $3
< $4$after
< EOF
helper: exited with status 1" "hckns-helper: protocol violation: ${4#*reason=}"
}

# "bad header": text where a header should be.
test_protocol_violation_garbage() {
	violation garbage no '"GET / HTTP/1.0" (18 bytes of text)' \
		'answer:violation seq=1414012975 err=EPROTONOSUPPORT reason=protocol version 17735, expected 8'
}

# "bad ... length": shorter than a header.
test_protocol_violation_short() {
	violation short no 'the first 7 bytes of a hello' \
		'answer:violation seq=0 err=EBADMSG reason=message shorter than its header'
}

# "bad ... length": an empty datagram is not EOF (the socket is still open).
test_protocol_violation_empty_datagram() {
	violation empty yes 'an empty datagram' \
		'answer:violation seq=0 err=EBADMSG reason=message shorter than its header'
}

# "bad ... length": trailing bytes after an exact payload.
test_protocol_violation_trailing_bytes() {
	violation trailing yes 'link-set lo up plus one trailing byte' \
		'answer:violation seq=2 err=EBADMSG reason=message length mismatch'
}

# "bad ... length": a payload one byte short.
test_protocol_violation_truncated_payload() {
	violation truncated yes 'link-set lo up without its last payload byte' \
		'answer:violation seq=2 err=EBADMSG reason=message length mismatch'
}

# "bad header": the header's length is not the operation's payload size.
test_protocol_violation_length_field() {
	violation length-field yes 'uplink-add whose header claims 8 payload bytes (and has them)' \
		'answer:violation seq=2 err=EBADMSG reason=message length mismatch'
}

# "bad ... length": larger than PROTO_MSG_MAX, just and by far (the second
# arrives truncated in the helper's buffer).
test_protocol_violation_oversized() {
	violation oversized yes '257 bytes (one more than PROTO_MSG_MAX)' \
		'answer:violation seq=2 err=EBADMSG reason=message longer than 256 bytes'
}

test_protocol_violation_huge() {
	violation huge yes '65536 bytes' \
		'answer:violation seq=2 err=EBADMSG reason=message longer than 256 bytes'
}

# "The first message checks the protocol version" (and every later one).
test_protocol_violation_wrong_version() {
	violation version no 'hello of the next protocol version' \
		'answer:violation seq=1 err=EPROTONOSUPPORT reason=protocol version 9, expected 8'
}

test_protocol_violation_wrong_version_later() {
	violation version-later yes 'link-set lo up of protocol version 0' \
		'answer:violation seq=2 err=EPROTONOSUPPORT reason=protocol version 0, expected 8'
}

# "unknown operation".
test_protocol_violation_unknown_op() {
	violation unknown-op yes 'operation 99' \
		'answer:violation seq=2 err=EOPNOTSUPP reason=unknown operation 99'
}

test_protocol_violation_op_zero() {
	violation op-zero yes 'operation 0' \
		'answer:violation seq=2 err=EOPNOTSUPP reason=unknown operation 0'
}

# An answer is not a request (STYLE.md: replies carry a type, checked).
test_protocol_violation_answer_as_request() {
	violation answer-op yes 'an answer (answer:link-set, err 0) sent to the helper' \
		'answer:violation seq=2 err=EPROTO reason=answer:link-set is not a request'
}

# "The first message checks the protocol version": hello first, once
# (the list's PROTO_FIRST, include/hckns/proto.h).
test_protocol_violation_request_before_hello() {
	violation before-hello no 'link-set lo up, before any hello' \
		'answer:link-set seq=1 err=EPROTO reason=the first request must be hello, not link-set'
}

test_protocol_violation_hello_twice() {
	violation hello-twice yes 'hello' \
		'answer:hello seq=2 err=EPROTO reason=hello sent twice'
}

# "file descriptors only through SCM_RIGHTS and only for the operations
# that declare them" (none does): the helper reads with no control buffer,
# so the kernel discards the descriptor (MSG_CTRUNC): "unexpected control
# data".  The probe sends one end of a socket pair and keeps the other:
# its hang-up, seen once the answer is in, shows that no copy of the
# descriptor is left in the helper, which answers only after the receive
# that took the message.
FD_GONE='(the descriptor sent: closed, none left in the helper)'

test_protocol_violation_descriptor() {
	violation fd yes 'link-set lo up with a descriptor (SCM_RIGHTS)' \
		'answer:link-set seq=2 err=EPROTO reason=unexpected control data' \
		"$FD_GONE"
}

test_protocol_violation_descriptor_with_hello() {
	violation fd-hello no 'hello with a descriptor (SCM_RIGHTS)' \
		'answer:hello seq=1 err=EPROTO reason=unexpected control data' \
		"$FD_GONE"
}

test_protocol_violation_descriptor_alone() {
	violation fd-alone yes 'a descriptor (SCM_RIGHTS) in an empty datagram' \
		'answer:violation seq=0 err=EPROTO reason=unexpected control data' \
		"$FD_GONE"
}

# The helper refuses to run outside a user namespace of its own: started by
# hand (here with a proper socket on descriptor 3) in the caller's, it would
# otherwise keep two real capabilities when run by root, and its start-up
# would change the host's mounts and sysctls.
test_refuses_initial_user_namespace() {
	[ "$(cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" = "0 0 4294967295" ] ||
		skip "this test already runs inside a user namespace"
	assert_probe initial-ns "helper: exited with status 1" \
		"hckns-helper: refusing to run in the initial user namespace: hckns starts it in a new one"
}
