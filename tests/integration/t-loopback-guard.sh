# The uplink guard (SECURITY.md, "What guests can reach"): nothing that
# leaves the namespace through tap_host reaches slirp4netns addressed to
# 127.0.0.0/8, 0.0.0.0/8, ::/96 or ::ffff:0:0/96, with or without
# --host-loopback.  libslirp connects to such an address from the host's
# network namespace, so without the guard a guest reaches services that
# listen only on the host's loopback, whatever --disable-host-loopback says.
#
# Proven as a hostile guest would: inside an instance, a network namespace
# the test makes stands for a guest, on a veth whose other end is a port of
# br_world, and sends hand-made frames (tests/tools/raw-syn.c: Ethernet,
# IPv4 or IPv6, a TCP SYN, every checksum right) to slirp4netns's MAC.  On
# the host, a listener the test runs on 127.0.0.1, 127.0.0.2 and ::1 logs
# every connection it accepts.  Each frame that must not pass goes to port
# $DENY; each that must pass (the controls, through 10.0.2.2 or fd00::2
# with --host-loopback) to $ALLOW, and is sent after the others: once a
# control has arrived, slirp4netns has read what came before it.
#
# Traffic goes only to the host's loopback and into namespaces the test
# makes.  (suite.sh sources this file once without lib.sh, only to list its
# tests: then there is no $TEST_TMP, and no script is written.)  The
# scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"
# shellcheck source-path=SCRIPTDIR source=lib-fwd.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-fwd.sh"

# The frame sender, built beside hckns (make check-integration).
RAW_SYN=$(dirname "$HCKNS")/raw-syn

# ---- the host's side: a listener on the loopback that logs accepts -------

# listen.rb LOG DEADLINE PORT,... ADDR...: a TCP listener on every ADDR at
# every PORT; each accepted connection is one line "accept ADDR:PORT" in
# LOG (closed at once).  "ready" once all listen.  Ends after DEADLINE s.
[ -z "${TEST_TMP:-}" ] || cat >"$TEST_TMP/listen.rb" <<'EOF'
require 'socket'
log = File.open(ARGV[0], 'a')
log.sync = true
deadline = Time.now + Integer(ARGV[1])
servers = ARGV[3..].product(ARGV[2].split(',')).map do |addr, port|
  TCPServer.new(addr, Integer(port))
end
log.puts 'ready'
while (left = deadline - Time.now) > 0
  ready, = IO.select(servers, nil, nil, [left, 0.5].min)
  (ready || []).each do |s|
    c = s.accept_nonblock(exception: false)
    next if c == :wait_readable
    a = s.local_address
    log.puts "accept #{a.ip_address}:#{a.ip_port}"
    c.close
  end
end
EOF

# start_listener ADDR...: the listener on ADDR... at $DENY, $ALLOW and
# $ALLOW2 (chosen here), logging to $LOG; killed when the test ends.
start_listener() {
	read -r DENY ALLOW ALLOW2 <<<"$(free_ports 3)"
	[ -n "$ALLOW2" ] || fail "no free ports"
	LOG=$TEST_TMP/listen.log
	: >"$LOG"
	ruby "$TEST_TMP/listen.rb" "$LOG" 50 "$DENY,$ALLOW,$ALLOW2" "$@" \
		</dev/null 2>"$TEST_TMP/listen.err" &
	at_exit "kill $! 2>/dev/null"
	wait_for 10 grep -qx ready "$LOG" ||
		fail "the listener on $* did not start: $(cat "$TEST_TMP/listen.err")"
}

# The host has ::1 (an IPv6 loopback), or the IPv6 tests are skipped.
host_has_ipv6_loopback() {
	ip -j -6 addr show dev lo 2>/dev/null |
		jq -e 'any(.[].addr_info[]; .local == "::1")' >/dev/null
}

# accepts PORT: the addresses at PORT the listener accepted on, sorted.
accepts() {
	sed -n "s/^accept \(.*\):$1\$/\1/p" "$LOG" | sort
}

# ---- inside: a guest that sends frames -----------------------------------

# guest.sh DIR RAW_SYN [FRAME...]: the instance's command.  Makes a guest
# network namespace on br_world (veth v0 in the instance, a port of
# br_world; v1 in the guest, 10.0.2.50/24, and fd00::50/64 when the
# instance has IPv6), learns slirp4netns's MAC from the guest's neighbour
# table after a ping to 10.0.2.2 (into DIR/mac), then sends from the guest
# each FRAME, "ADDR/PORT" (a TCP SYN from 10.0.2.50 or fd00::50 to
# ADDR:PORT, three copies; "vlan:ADDR/PORT": with an 802.1Q tag, VLAN 5).
# Then it pings 10.0.2.2 again: slirp4netns reads the tap in order, so its
# answer comes after it read every frame before it.  It
# waits (10 s at most) until DIR/listen.log has the line of DIR/want when
# that file exists, and writes tc's view of tap_host to DIR/qdisc.json
# (with statistics) and DIR/filter.json.
[ -z "${TEST_TMP:-}" ] || cat >"$TEST_TMP/guest.sh" <<'EOF'
d=$1 raw=$2
shift 2
unshare --net sh -c "echo \$\$ >$d/guest.pid; exec sleep 30" &
i=0
while [ ! -s "$d/guest.pid" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
g=$(cat "$d/guest.pid") || exit 1
in_guest() { nsenter -t "$g" -n "$@"; }
ip link add v0 type veth peer name v1 netns "$g" &&
	ip link set v0 master br_world up &&
	in_guest ip link set v1 up &&
	in_guest ip addr add 10.0.2.50/24 dev v1 || exit 1
if ip -6 addr show dev br_world | grep -q fd00::100; then
	in_guest ip -6 addr add fd00::50/64 dev v1 nodad || exit 1
fi
in_guest busybox ping -c 1 -W 5 10.0.2.2 >"$d/ping1.out" 2>&1 || exit 1
in_guest ip -j neigh show 10.0.2.2 dev v1 | jq -r '.[0].lladdr' >"$d/mac"
mac=$(cat "$d/mac")
for f in "$@"; do
	q=
	case $f in vlan:*) q="-q 5" f=${f#vlan:} ;; esac
	addr=${f%/*} port=${f##*/}
	case $addr in *:*) src=fd00::50 ;; *) src=10.0.2.50 ;; esac
	# shellcheck disable=SC2086 # $q: no word, or two
	in_guest "$raw" $q v1 "$mac" "$src" "$addr" "$port" 3 || exit 1
done
in_guest busybox ping -c 1 -W 5 10.0.2.2 >"$d/ping2.out" 2>&1 || exit 1
if [ -e "$d/want" ]; then
	i=0
	while ! grep -qxF "$(cat "$d/want")" "$d/listen.log" && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
else
	sleep 1
fi
tc -s -j qdisc show dev tap_host >"$d/qdisc.json"
tc -j filter show dev tap_host >"$d/filter.json"
kill "$g"
EOF

# attack NAME WANT HCKNS-OPTION... -- FRAME...: run guest.sh as the command
# of `hckns HCKNS-OPTION...`; WANT is the listener's line that a control
# frame must bring ("" when there is none).
attack() {
	local name=$1 want=$2 opts=() rc
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	[ -x "$RAW_SYN" ] || fail "no raw-syn at $RAW_SYN: build it with make check-integration"
	rm -f "$TEST_TMP/want"
	[ -z "$want" ] || printf '%s\n' "$want" >"$TEST_TMP/want"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 45 "${H[@]}" "${opts[@]}" -- sh "$TEST_TMP/guest.sh" \
		"$TEST_TMP" "$RAW_SYN" "$@" \
		>"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" </dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "hckns ${opts[*]} -- guest.sh exited $rc: $(cat "$TEST_TMP/$name.err" "$TEST_TMP/$name.out")"
	assert_eq 52:55:0a:00:02:02 "$(cat "$TEST_TMP/mac")" \
		"slirp4netns's MAC in the guest's neighbour table"
}

# dropped: the packets the guard's pfifo (2:, limit 0) dropped, from tc.
dropped() {
	jq -r '.[] | select(.kind == "pfifo" and .handle == "2:") | .drops' \
		"$TEST_TMP/qdisc.json"
}

# ---- the tests --------------------------------------------------------------

# The default (no --host-loopback): SYNs from a guest to 127.0.0.1,
# 127.0.0.2 and 0.0.0.0 reach nothing on the host, and tc counts them
# dropped on tap_host, all nine (three copies each).  A SYN to 127.0.0.1
# in a frame with a VLAN tag is not IP to the filter and passes it, and
# reaches nothing either: libslirp takes no tagged frame.
test_guest_frames_to_host_loopback_dropped() {
	start_listener 127.0.0.1 127.0.0.2
	attack default "" -- "127.0.0.1/$DENY" "127.0.0.2/$DENY" "0.0.0.0/$DENY" \
		"vlan:127.0.0.1/$DENY"
	assert_eq "" "$(accepts "$DENY")" \
		"connections the guest's frames to 127.0.0.1, 127.0.0.2, 0.0.0.0 (and tagged to 127.0.0.1) brought to the host's loopback"
	assert_eq 9 "$(dropped)" "packets the guard dropped on tap_host (tc -s)"
}

# With --host-loopback the same frames are dropped as well, and the guest
# reaches the host's loopback through 10.0.2.2, the way that option opens:
# a frame that should pass still passes (and proves the frames right).
test_guest_frames_dropped_with_host_loopback() {
	start_listener 127.0.0.1 127.0.0.2
	attack hostlo "accept 127.0.0.1:$ALLOW" --host-loopback -- \
		"127.0.0.1/$DENY" "127.0.0.2/$DENY" "0.0.0.0/$DENY" \
		"10.0.2.2/$ALLOW"
	assert_contains "$(accepts "$ALLOW")" 127.0.0.1 \
		"the guest's SYN to 10.0.2.2:$ALLOW with --host-loopback (the listener's log: $(cat "$LOG"))"
	assert_eq "" "$(accepts "$DENY")" \
		"connections the guest's frames to 127.0.0.1, 127.0.0.2, 0.0.0.0 brought to the host's loopback"
	assert_eq 9 "$(dropped)" "packets the guard dropped on tap_host (tc -s)"
}

# With --ipv6: SYNs to ::1, :: and ::ffff:127.0.0.1 (IPv4-mapped, which
# libslirp would connect to as 127.0.0.1) are dropped; one to fd00::2
# with --host-loopback reaches the host's ::1.
test_guest_ipv6_frames_dropped() {
	host_has_ipv6_loopback || skip "the host's lo has no ::1"
	start_listener 127.0.0.1 ::1
	attack ipv6 "accept ::1:$ALLOW" --ipv6 --host-loopback -- \
		"::1/$DENY" "::/$DENY" "::ffff:127.0.0.1/$DENY" "fd00::2/$ALLOW"
	assert_contains "$(accepts "$ALLOW")" ::1 \
		"the guest's SYN to [fd00::2]:$ALLOW with --host-loopback (the listener's log: $(cat "$LOG"))"
	assert_eq "" "$(accepts "$DENY")" \
		"connections the guest's frames to ::1, ::, ::ffff:127.0.0.1 brought to the host's loopback"
	assert_eq 9 "$(dropped)" "packets the guard dropped on tap_host (tc -s)"
}

# The command itself, root of the namespace, gets no further on the
# uplink: a raw frame to slirp4netns's MAC for 127.0.0.1 out of br_world
# and one out of tap_host, and a TCP connection to 127.0.0.2 that it routes
# out through 10.0.2.2 (route_localnet on, the local table's rule moved
# behind its own): none arrives.  Its raw frames to 10.0.2.2 (with
# --host-loopback) do, out of either link ($ALLOW, $ALLOW2).
[ -z "${TEST_TMP:-}" ] || cat >"$TEST_TMP/command.sh" <<'EOF'
d=$1 raw=$2 deny=$3 allow=$4 allow2=$5
set -e
busybox ping -c 1 -W 5 10.0.2.2 >"$d/ping.out"
mac=$(ip -j neigh show 10.0.2.2 dev br_world | jq -r '.[0].lladdr')
echo "$mac" >"$d/mac"
"$raw" br_world "$mac" 10.0.2.100 127.0.0.1 "$deny" 3
"$raw" tap_host "$mac" 10.0.2.100 127.0.0.1 "$deny" 3 >"$d/raw-tap.out"
sysctl -q -w net.ipv4.conf.all.route_localnet=1 \
	net.ipv4.conf.br_world.route_localnet=1
ip rule add pref 100 lookup local
ip rule del pref 0
ip route add 127.0.0.2/32 via 10.0.2.2 dev br_world table 50
ip rule add pref 10 to 127.0.0.2 lookup 50
ip route get 127.0.0.2 >"$d/route.txt"
set +e
timeout 3 busybox nc 127.0.0.2 "$deny" </dev/null >"$d/nc.out" 2>&1
echo $? >"$d/nc.rc"
set -e
"$raw" br_world "$mac" 10.0.2.100 10.0.2.2 "$allow" 3
"$raw" tap_host "$mac" 10.0.2.100 10.0.2.2 "$allow2" 3
i=0
until grep -qx "accept 127.0.0.1:$allow" "$d/listen.log" &&
	grep -qx "accept 127.0.0.1:$allow2" "$d/listen.log" || [ $i -ge 200 ]; do
	sleep 0.05; i=$((i + 1))
done
tc -s -j qdisc show dev tap_host >"$d/qdisc.json"
EOF

test_command_frames_on_uplink_dropped() {
	local rc
	start_listener 127.0.0.1 127.0.0.2
	[ -x "$RAW_SYN" ] || fail "no raw-syn at $RAW_SYN: build it with make check-integration"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 45 "${H[@]}" --host-loopback -- sh "$TEST_TMP/command.sh" \
		"$TEST_TMP" "$RAW_SYN" "$DENY" "$ALLOW" "$ALLOW2" \
		>"$TEST_TMP/cmd.out" 2>"$TEST_TMP/cmd.err" </dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "hckns --host-loopback -- command.sh exited $rc: $(cat "$TEST_TMP/cmd.err" "$TEST_TMP/cmd.out")"
	assert_eq "" "$(accepts "$DENY")" \
		"connections the command's raw frames and routed SYNs brought to the host's loopback"
	assert_eq 52:55:0a:00:02:02 "$(cat "$TEST_TMP/mac")" \
		"slirp4netns's MAC in the namespace's neighbour table"
	assert_contains "$(cat "$TEST_TMP/raw-tap.out")" "3 dropped by tap_host's queue" \
		"what raw-syn says of its frames to 127.0.0.1 out of tap_host"
	assert_contains "$(cat "$TEST_TMP/route.txt")" "127.0.0.2 via 10.0.2.2 dev br_world" \
		"the command's route to 127.0.0.2"
	[ "$(cat "$TEST_TMP/nc.rc")" != 0 ] ||
		fail "the command's busybox nc 127.0.0.2 $DENY (routed via 10.0.2.2) connected: $(cat "$TEST_TMP/nc.out")"
	assert_contains "$(accepts "$ALLOW")" 127.0.0.1 \
		"the command's raw SYN to 10.0.2.2:$ALLOW out of br_world (the listener's log: $(cat "$LOG"))"
	assert_contains "$(accepts "$ALLOW2")" 127.0.0.1 \
		"the command's raw SYN to 10.0.2.2:$ALLOW2 out of tap_host (the listener's log: $(cat "$LOG"))"
	# Six raw frames, and the routed SYN at least once (nc retries it).
	[ "$(dropped)" -ge 7 ] ||
		fail "packets the guard dropped on tap_host (tc -s): $(dropped), not 7 or more"
}

# Ordinary traffic through the guard: a guest's DHCP lease from
# slirp4netns, the command's TCP connection to the host's loopback through
# 10.0.2.2 with --host-loopback, and a -p forward from the host inwards.
test_ordinary_traffic_passes() {
	local p m=guard-$$-$RANDOM
	dhcp_lease br_world "$HCKNS"
	case $LEASE_IP in
	10.0.2.1[5-9] | 10.0.2.2[0-9] | 10.0.2.30) ;;
	*) fail "leased address $LEASE_IP is not in slirp4netns's 10.0.2.15..10.0.2.30" ;;
	esac
	assert_eq 10.0.2.2 "$LEASE_ROUTER" "the lease's router"

	start_listener 127.0.0.1
	# inside runs `sh -c SCRIPT` with no arguments: the port goes in it.
	inside nc "timeout 10 busybox nc 10.0.2.2 $ALLOW </dev/null; echo \$? >nc.rc" \
		--host-loopback
	assert_eq 0 "$(cat "$TEST_TMP/nc.rc")" \
		"busybox nc 10.0.2.2 $ALLOW with --host-loopback ($(cat "$TEST_TMP/nc.err"))"
	assert_contains "$(accepts "$ALLOW")" 127.0.0.1 \
		"the command's connection to 10.0.2.2:$ALLOW (the listener's log: $(cat "$LOG"))"

	p=$(free_ports 1) || fail "no free port"
	start_served run -p "$p:8001" -- "8001=$m"
	expect_answer "$p" "$m"
	stop_served "$SPAWNED" "$DIR" "$TRACE" "$INODE"
}

# guard_filters FILE: the u32 filters of `tc -j filter show dev tap_host`
# in FILE that lead to class 1:1, one line each: "PROTOCOL FLOWID
# VALUE/MASK@OFFSET..." (jq --stream: tc repeats the key "match").
guard_filters() {
	jq -j --stream 'select(length == 2) | .[0] as $p |
		if $p[1] == "protocol" then "\n\(.[1])"
		elif $p[2] == "flowid" then " \(.[1])"
		elif $p[2] == "match" and $p[3] == "value" then " \(.[1])"
		elif $p[2] == "match" and $p[3] == "mask" then "/\(.[1])"
		elif $p[2] == "match" and $p[3] == "off" then "@\(.[1])"
		else empty end' "$1" | grep ' 1:1 '
}

# The guard as a person sees it with tc inside the namespace: tap_host's
# root qdisc an htb (handle 1:, default class 0) whose direct queue is the
# tap's transmit queue length, a pfifo of limit 0 under class 1:1, and the
# four u32 filters sending 127/8, 0/8, ::/96 and ::ffff:0:0/96 to 1:1.
# The same with --host-loopback (one mechanism, no special case), and with
# --txqueuelen (the htb made after the tap's queue length is set).
test_tc_shows_the_guard() {
	local opts name want_filters
	want_filters='ip 1:1 7f000000/ff000000@16
ip 1:1 0/ff000000@16
ipv6 1:1 0/ffffffff@24 0/ffffffff@28 0/ffffffff@32
ipv6 1:1 0/ffffffff@24 0/ffffffff@28 ffff/ffffffff@32'
	for opts in "default:" "hostlo:--host-loopback" "txq:--txqueuelen 2000"; do
		name=${opts%%:*}
		# shellcheck disable=SC2086 # the options, split on purpose
		inside "$name" "tc -j qdisc show dev tap_host >$name-qdisc.json &&
			tc -j filter show dev tap_host >$name-filter.json &&
			ip -j link show dev tap_host >$name-link.json" ${opts#*:}
		assert_eq "htb 1: true 0 $([ "$name" = txq ] && echo 2000 || echo 1000)
pfifo 2: 1:1 0" "$(jq -r '.[] | if .kind == "htb" then
			"htb \(.handle) \(.root) \(.options.default) \(.options.direct_qlen)"
			else "\(.kind) \(.handle) \(.parent) \(.options.limit)" end' \
			"$TEST_TMP/$name-qdisc.json")" \
			"tc -j qdisc show dev tap_host ($name)"
		assert_eq "$([ "$name" = txq ] && echo 2000 || echo 1000)" \
			"$(jq -r '.[0].txqlen' "$TEST_TMP/$name-link.json")" \
			"tap_host's transmit queue length ($name)"
		assert_eq "$want_filters" "$(guard_filters "$TEST_TMP/$name-filter.json")" \
			"tc -j filter show dev tap_host ($name)"
	done
}

# Without the guard, no run: a kernel that lacks the htb qdisc or the u32
# classifier answers ENOENT, as the kernel does here when
# tests/tools/netlink-refuse-shim.c (preloaded into the helper) spoils the
# kind "htb" or "u32" in the helper's request.  One line naming what is
# missing and what to do, 125, no command, nothing left behind.
test_no_guard_no_run() {
	local e shim kind what
	shim=$(dirname "$HCKNS")/netlink-refuse-shim.so
	[ -r "$shim" ] || skip "no netlink-refuse-shim.so at $shim: build it with make check-integration"
	mapfile -t e < <(printf '%s\n' env -u XDG_RUNTIME_DIR "TMPDIR=$RT")
	for kind in htb u32; do
		case $kind in
		htb) what='htb qdisc (sch_htb)' ;;
		u32) what='u32 filter for 127.0.0.0/8 (cls_u32)' ;;
		esac
		expect_error "no-$kind" 125 "${e[@]}" HCKNS_TEST_HELPER_PRELOAD="$shim" \
			HCKNS_TEST_REFUSE_LINK="$kind" "$HCKNS" -- \
			sh -c ': >"$1"' sh "$TEST_TMP/ran" "$MARK"
		assert_eq "hckns: cannot make tap_host guarded against packets to loopback addresses: $what: the kernel has none; hckns does not run without it: the kernel must have the htb qdisc and the u32 classifier (as root: 'modprobe -a sch_htb cls_u32'; 'hckns doctor' checks)" \
			"$MSG" "the message without $kind"
		[ ! -e "$TEST_TMP/ran" ] || fail "the command ran without the guard ($kind)"
	done
}
