# Traffic through slirp4netns (doc/design.md: "The network it builds" and the
# host-protecting defaults).  Traffic goes only to the host's 127.0.0.1
# (through 10.0.2.2) and to namespaces the tests make; no DNS.
# The scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016

# start_http_server: busybox httpd on the host's 127.0.0.1:$PORT only,
# serving $TEST_TMP/www/marker.txt; every request it gets is logged in
# $TEST_TMP/httpd.log ("127.0.0.1:PORT: url:/marker.txt").  busybox nc
# cannot listen on one address (its -s is not built in Debian's busybox),
# and a server on 0.0.0.0 would be open to the world; httpd binds
# 127.0.0.1.  Killed when the test ends.
start_http_server() {
	PORT=$(free_port) || fail "no free TCP port on 127.0.0.1"
	MARKER="hckns-connectivity-$$-$RANDOM"
	mkdir -p "$TEST_TMP/www"
	printf '%s\n' "$MARKER" >"$TEST_TMP/www/marker.txt"
	: >"$TEST_TMP/httpd.conf"
	busybox httpd -f -vv -c "$TEST_TMP/httpd.conf" -p "127.0.0.1:$PORT" \
		-h "$TEST_TMP/www" 2>"$TEST_TMP/httpd.log" </dev/null &
	HTTPD_PID=$!
	trap 'kill "$HTTPD_PID" 2>/dev/null; wait "$HTTPD_PID"; rm -rf "$TEST_TMP"' EXIT
	wait_for 10 listening "$PORT" ||
		fail "busybox httpd does not listen on 127.0.0.1:$PORT: $(cat "$TEST_TMP/httpd.log")"
}

listening() { # PORT
	ss -Htln "sport = :$1" | grep -q "127.0.0.1:$1"
}

# fetch_inside NAME [OPTION...]: in `hckns OPTION...`, ask 10.0.2.2:$PORT
# for the marker with busybox nc (bounded by timeout); the answer is in
# $TEST_TMP/NAME.out, nc's status in $TEST_TMP/NAME.rc.
fetch_inside() {
	local name=$1 rc
	shift
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 40 "$HCKNS" "$@" -- sh -c '
		printf "GET /marker.txt HTTP/1.0\r\n\r\n" |
			timeout 10 busybox nc 10.0.2.2 "$1" >"$2.out"
		echo $? >"$2.rc"' sh "$PORT" "$TEST_TMP/$name" \
		>"$TEST_TMP/$name.hckns.out" 2>"$TEST_TMP/$name.err" </dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "hckns $* exited $rc: $(cat "$TEST_TMP/$name.err")"
}

test_host_loopback_reaches_host_service() {
	start_http_server
	fetch_inside on --host-loopback
	assert_eq 0 "$(cat "$TEST_TMP/on.rc")" \
		"busybox nc 10.0.2.2 $PORT with --host-loopback (its stderr: $(cat "$TEST_TMP/on.err"))"
	assert_contains "$(cat "$TEST_TMP/on.out")" "$MARKER" \
		"the answer from the host's 127.0.0.1:$PORT through 10.0.2.2"
	assert_contains "$(cat "$TEST_TMP/httpd.log")" "url:/marker.txt" \
		"the server's log"
}

test_no_host_loopback_by_default() {
	start_http_server
	fetch_inside off
	[ "$(cat "$TEST_TMP/off.rc")" != 0 ] ||
		fail "busybox nc 10.0.2.2 $PORT succeeded without --host-loopback: $(cat "$TEST_TMP/off.out")"
	assert_not_contains "$(cat "$TEST_TMP/off.out")" "$MARKER" \
		"what came back from 10.0.2.2:$PORT without --host-loopback"
	kill -0 "$HTTPD_PID" 2>/dev/null ||
		fail "the server ended: it was reached ($(cat "$TEST_TMP/httpd.log"))"
	assert_eq "" "$(cat "$TEST_TMP/httpd.log")" \
		"the server's log without --host-loopback (it must have seen nothing)"
}

# Guests on br_world get their address from slirp4netns's DHCP server: a
# nested network namespace stands for a guest, on a veth whose other end is
# a port of br_world, and busybox udhcpc asks for a lease.
test_dhcp_on_br_world() {
	dhcp_lease br_world "$HCKNS"
	case $LEASE_IP in
	10.0.2.1[5-9] | 10.0.2.2[0-9] | 10.0.2.30) ;;
	*) fail "leased address $LEASE_IP is not in slirp4netns's 10.0.2.15..10.0.2.30" ;;
	esac
	assert_eq 10.0.2.2 "$LEASE_ROUTER" "the lease's router"
	assert_eq 10.0.2.3 "$LEASE_DNS" "the lease's DNS server"
	assert_eq "" "$LEASE_REST" "more than one router or DNS server in the lease"
}
