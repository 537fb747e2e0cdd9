# A topology of one's own (README.md, "Custom topology"): --bridge,
# --no-default-bridges, --uplink, --cidr, --dns, --ipv6, --txqueuelen and
# --mtu, end to end, looked at from inside with ip -j | jq and cat; DHCP
# from slirp4netns on a network that is not 10.0.2.0/24; a port forward
# into an uplink address of one's own; and every clash refused with one
# line before anything exists.
# The scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"
# shellcheck source-path=SCRIPTDIR source=lib-fwd.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-fwd.sh"

# The network of the README's example.
CUSTOM=(--no-default-bridges --bridge lan:172.30.0.1/24 --bridge wan
	--uplink wan --cidr 10.11.12.0/24 --mtu 9000 --txqueuelen 2000)

# inside NAME SCRIPT [OPTION...]: run `hckns OPTION... -- sh -c SCRIPT` in
# $TEST_TMP (its own runtime base), stdout and stderr in $TEST_TMP/NAME.out
# and NAME.err; fail unless it exits 0.
inside() {
	local name=$1 script=$2 rc
	shift 2
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 30 "${H[@]}" "$@" -- sh -c "$script" \
		>"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" </dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "hckns $* -- sh -c '$script' exited $rc: $(cat "$TEST_TMP/$name.err")"
}

# jqf FILE FILTER: jq -r over a file of $TEST_TMP, lines sorted.
jqf() {
	jq -r "$2" "$TEST_TMP/$1" | sort
}

test_custom_links_addresses_routes() {
	inside custom 'ip -j -d link >links.json; ip -j -4 addr >addr.json
		ip -j route >route.json; cat /etc/resolv.conf >resolv' "${CUSTOM[@]}"
	assert_eq "lan
lo
tap_host
wan" "$(jqf links.json '.[].ifname')" "the links inside (and nothing else)"
	assert_eq "lan bridge
tap_host tun
wan bridge" "$(jqf links.json '.[] | select(.linkinfo.info_kind != null) |
		"\(.ifname) \(.linkinfo.info_kind)"')" "kinds of the links"
	assert_eq "" "$(jqf links.json '.[] | select(.flags | index("UP") | not) |
		.ifname')" "links that are not UP"
	assert_eq "tap_host wan" "$(jqf links.json '.[] | select(.master != null) |
		"\(.ifname) \(.master)"')" "links with a master: tap_host on the uplink"
	# --mtu: the uplink and tap_host; the other bridge keeps the default.
	assert_eq "lan 1500
lo 65536
tap_host 9000
wan 9000" "$(jqf links.json '.[] | "\(.ifname) \(.mtu)"')" "MTUs"
	assert_eq "tap_host 2000" "$(jqf links.json '.[] |
		select(.ifname == "tap_host") | "\(.ifname) \(.txqlen)"')" \
		"tap_host's txqueuelen"
	assert_eq "lan 172.30.0.1/24
lo 127.0.0.1/8
wan 10.11.12.100/24" "$(jqf addr.json '.[] | .ifname as $n | .addr_info[] |
		"\($n) \(.local)/\(.prefixlen)"')" "IPv4 addresses inside"
	assert_eq "10.11.12.2 wan" "$(jqf route.json '.[] | select(.dst == "default") |
		"\(.gateway) \(.dev)"')" "the default route (and only one)"
	printf 'nameserver 10.11.12.3\n' >"$TEST_TMP/want"
	cmp -s "$TEST_TMP/want" "$TEST_TMP/resolv" ||
		fail "/etc/resolv.conf inside: expected 'nameserver 10.11.12.3', got: $(cat "$TEST_TMP/resolv")"
}

# --uplink moves tap_host, the default route and slirp's address to another
# default bridge; br_world then has no address, br_ctrl keeps its own.
test_uplink_among_default_bridges() {
	inside up 'ip -j link >links.json; ip -j -4 addr >addr.json
		ip -j route >route.json' --uplink br_test
	assert_eq "tap_host br_test" "$(jqf links.json '.[] | select(.master != null) |
		"\(.ifname) \(.master)"')" "links with a master"
	assert_eq "br_ctrl 192.168.100.100/24
br_test 10.0.2.100/24
lo 127.0.0.1/8" "$(jqf addr.json '.[] | .ifname as $n | .addr_info[] |
		"\($n) \(.local)/\(.prefixlen)"')" "IPv4 addresses inside"
	assert_eq "10.0.2.2 br_test" "$(jqf route.json '.[] | select(.dst == "default") |
		"\(.gateway) \(.dev)"')" "the default route"
}

# A guest on the uplink gets its address from slirp4netns's DHCP server in
# the network --cidr chose: a nested network namespace stands for it, on a
# veth whose other end is a port of the uplink; busybox udhcpc asks.
test_dhcp_on_custom_cidr() {
	dhcp_lease wan "${H[@]}" "${CUSTOM[@]}"
	case $LEASE_IP in
	10.11.12.1[5-9] | 10.11.12.2[0-9] | 10.11.12.30) ;;
	*) fail "leased address $LEASE_IP is not in slirp4netns's 10.11.12.15..10.11.12.30" ;;
	esac
	assert_eq 10.11.12.2 "$LEASE_ROUTER" "the lease's router"
	assert_eq 10.11.12.3 "$LEASE_DNS" "the lease's DNS server"
	assert_eq "" "$LEASE_REST" "more than one router or DNS server in the lease"
}

# --dns names the server of /etc/resolv.conf instead of slirp's forwarder.
test_dns_option() {
	inside dns 'cat /etc/resolv.conf >resolv' --cidr 10.11.12.0/24 \
		--dns 10.11.12.53
	printf 'nameserver 10.11.12.53\n' >"$TEST_TMP/want"
	cmp -s "$TEST_TMP/want" "$TEST_TMP/resolv" ||
		fail "/etc/resolv.conf with --dns 10.11.12.53: $(cat "$TEST_TMP/resolv")"
	inside dns6 'cat /etc/resolv.conf >resolv6' --dns 2001:db8::53
	printf 'nameserver 2001:db8::53\n' >"$TEST_TMP/want6"
	cmp -s "$TEST_TMP/want6" "$TEST_TMP/resolv6" ||
		fail "/etc/resolv.conf with --dns 2001:db8::53: $(cat "$TEST_TMP/resolv6")"
}

# --ipv6: slirp4netns serves fd00::/64 (1.2.0: gateway fd00::2); the uplink
# has fd00::100/64 and a default route via fd00::2, and fd00::2, slirp's
# own address inside the namespace, answers a ping once the address has
# passed duplicate address detection.  Without --ipv6, none of it.
test_ipv6() {
	inside v6 'ip -j -6 addr >addr6.json; ip -j -6 route >route6.json
		i=0
		while ip -6 addr show dev br_world | grep -q tentative &&
		      [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1))
		done
		ok=1
		for try in 1 2 3; do
			busybox ping -6 -c 1 -W 2 fd00::2 >ping.out 2>&1 && { ok=0; break; }
		done
		echo $ok >ping.rc' --ipv6
	assert_eq "br_world fd00::100/64" "$(jqf addr6.json '.[] | .ifname as $n |
		.addr_info[] | select(.local == "fd00::100") |
		"\($n) \(.local)/\(.prefixlen)"')" "fd00::100 inside"
	assert_eq "fd00::2 br_world" "$(jqf route6.json '.[] |
		select(.dst == "default" and .gateway == "fd00::2") |
		"\(.gateway) \(.dev)"')" "the IPv6 default route via fd00::2"
	assert_eq 0 "$(cat "$TEST_TMP/ping.rc")" \
		"ping -6 fd00::2 from inside ($(cat "$TEST_TMP/ping.out"))"
	inside v4only 'ip -j -6 addr >addr6.json; ip -j -6 route >route6.json'
	assert_eq "" "$(jqf addr6.json '.[] | .addr_info[] |
		select(.scope == "global") | .local')" "global IPv6 addresses without --ipv6"
	assert_eq "" "$(jqf route6.json '.[] | select(.dst == "default") |
		.gateway')" "IPv6 default routes without --ipv6"
}

# Forwards lead to the uplink's address, here one of our own (slirp4netns
# would send them to network + 100, where nothing is): -p at start, and
# `hckns fwd add` from outside, which reads it from the runtime directory.
test_forward_to_custom_uplink_address() {
	local p1 p2 m=custom-$$-$RANDOM
	read -r p1 p2 <<<"$(free_ports 2)"
	[ -n "$p2" ] || fail "no free ports"
	start_served run --cidr 10.11.12.0/24 --no-default-bridges \
		--bridge wan:10.11.12.50/24 -p "$p1:8001" -- "8001=$m-1" "8002=$m-2"
	expect_answer "$p1" "$m-1"
	grep -q "forward 1: tcp:127.0.0.1:$p1:10.11.12.50:8001\$" "$TRACE" ||
		fail "no trace line 'forward 1: tcp:127.0.0.1:$p1:10.11.12.50:8001': $(cat "$TRACE")"
	fwd add "$p2:8002"
	assert_eq 0 "$STATUS" "hckns fwd add $p2:8002 ($ERR)"
	assert_contains "$OUT" "10.11.12.50:8002" "what hckns fwd add says"
	expect_answer "$p2" "$m-2"
	fwd list --json
	assert_eq "10.11.12.50 10.11.12.50" "$(jq -r '[.entries[].guest_addr] | join(" ")' \
		<<<"$OUT")" "the guest addresses of the forwards"
	stop_served "$SPAWNED" "$DIR" "$TRACE" "$INODE"
	assert_nothing_listens "$p1" "$p2"
}

# A named instance keeps its creator's network: a front end that joins it
# with the default options publishes into the creator's uplink address.
test_joiner_forward_leads_to_creators_uplink() {
	local p m=joiner-$$-$RANDOM name=topo-$$ rc
	p=$(free_ports 1) || fail "no free port"
	start_served run --name "$name" --cidr 10.11.12.0/24 \
		--no-default-bridges --bridge wan:10.11.12.50/24 -- "8002=$m"
	spawn joiner "${H[@]}" -v --name "$name" -p "$p:8002" -- sh -c '
		i=0
		while [ ! -e "$1/stop-joiner" ] && [ $i -lt 600 ]; do
			sleep 0.05; i=$((i + 1))
		done' sh "$DIR"
	rc=$SPAWNED
	at_exit "touch '$DIR/stop-joiner'"
	wait_trace "$TEST_TMP/joiner.err" "joined instance '$name'" 15
	wait_trace "$TEST_TMP/joiner.err" "forward [0-9]*: tcp:127.0.0.1:$p:10.11.12.50:8002" 15
	expect_answer "$p" "$m"
	touch "$DIR/stop-joiner"
	finish "$rc" 20
	assert_eq 0 "$STATUS" "exit status of the joiner ($(hckns_lines "$TEST_TMP/joiner.err"))"
	stop_served "$SPAWNED" "$DIR" "$TRACE" "$INODE"
}

# clash MESSAGE OPTION...: hckns OPTION... exits 125 with the one line
# "hckns: MESSAGE", before anything exists: no runtime directory, no
# process left.
clash() {
	local want=$1 name=clash
	shift
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run "$name" 20 "${H[@]}" "$@" -- true "$MARK"
	assert_eq 125 "$STATUS" "exit status of hckns $* ($(cat "$TEST_TMP/$name.err"))"
	assert_eq "" "$(cat "$TEST_TMP/$name.out")" "stdout of hckns $*"
	assert_one_line "$TEST_TMP/$name.err" "hckns $*"
	assert_eq "hckns: $want" "$(cat "$TEST_TMP/$name.err")" "the message of hckns $*"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind by hckns $*"
	assert_no_instance_dir "$RT"
}

test_clashes_refused_before_anything_exists() {
	clash "invalid --bridge 'tap_host': tap_host is the tap slirp4netns serves; choose another name" \
		--bridge tap_host
	clash "invalid --bridge 'lo:10.9.0.1/24': lo is the loopback device; choose another name" \
		--bridge lo:10.9.0.1/24
	clash "--bridge lan given twice ('lan' and 'lan:172.30.0.1/24')" \
		--bridge lan --bridge lan:172.30.0.1/24
	clash "--uplink given twice ('lan' and 'wan'): give it once" \
		--bridge lan --bridge wan --uplink lan --uplink wan
	clash "--uplink wan: not a bridge of this network (the bridges: br_world, br_ctrl, br_test, br_debug); add it with --bridge wan" \
		--uplink wan
	clash "bridges br_world (10.0.2.100/24) and lan (10.0.2.1/16) have overlapping subnets: give each its own (--bridge NAME:ADDR/PREFIX, --cidr)" \
		--bridge lan:10.0.2.1/16
	clash "invalid --bridge 'lan:172.30.0.1/24' for the uplink lan: 172.30.0.1 is not in slirp4netns's network 10.0.2.0/24; give it an address there, or choose the network with --cidr" \
		--no-default-bridges --bridge lan:172.30.0.1/24
	clash "invalid --bridge 'br_world:10.0.2.2/24' for the uplink br_world: 10.0.2.2 is slirp4netns's gateway" \
		--bridge br_world:10.0.2.2/24
	clash "--no-default-bridges leaves no bridge: add one with --bridge NAME[:ADDR/PREFIX] (the first holds tap_host and the default route, or choose one with --uplink)" \
		--no-default-bridges
	clash "invalid --bridge 'lan:172.30.0/24': give NAME or NAME:ADDR/PREFIX with an IPv4 address, e.g. lan:172.30.0.1/24" \
		--bridge lan:172.30.0/24
	clash "invalid --bridge 'br%d': the kernel takes an interface name with '%' as a pattern and makes up another name" \
		--bridge 'br%d'
	clash "invalid --cidr '10.11.12.0': give an IPv4 network A.B.C.D/N, e.g. 10.0.2.0/24" \
		--cidr 10.11.12.0
	clash "invalid --cidr '10.11.12.0/26': the prefix length must be 8..25 (slirp4netns puts the uplink's address at network + 100)" \
		--cidr 10.11.12.0/26
	clash "invalid --cidr '10.11.12.5/24': that is an address in the network, not the network; did you mean 10.11.12.0/24?" \
		--cidr 10.11.12.5/24
	clash "invalid --dns 'dns.example': give an IPv4 or IPv6 address, e.g. 10.0.2.3" \
		--dns dns.example
	clash "invalid --txqueuelen '0': give a number from 1 to 1000000" \
		--txqueuelen 0
}
