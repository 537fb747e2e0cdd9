# slirp4netns runs under its own seccomp filter and in its sandbox
# (--enable-seccomp, --enable-sandbox; keeper/slirp.c fe_spawn_slirp(),
# SECURITY.md "slirp4netns: sandbox and seccomp"), and still does all it is
# there for: DNS, DHCP and port forwards.
#
# Traffic goes only to the host's 127.0.0.1 and into namespaces the tests
# make; no real DNS lookup: the DNS tests run hckns in an outer network and
# mount namespace of their own, whose /etc/resolv.conf names a DNS server
# the test runs there (dns-responder.rb) on 127.0.0.53, the address of
# systemd-resolved's stub.  libslirp forwards to a name server on the
# loopback (measured, slirp4netns 1.2.0 / libslirp 4.7.0), with the host's
# loopback closed to the guests (--disable-host-loopback) as it is by
# default; and it falls back to no other address when it cannot read
# resolv.conf: an answer proves that it read this one.
# The scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"
# shellcheck source-path=SCRIPTDIR source=lib-fwd.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-fwd.sh"

RESPONDER=$(dirname "${BASH_SOURCE[0]}")/dns-responder.rb
DNS_NAME=hckns-hardening.test
DNS_A=192.0.2.77

# The slirp4netns command line from hckns's trace in file $1.
slirp_command() {
	trace_value "$1" 'slirp4netns command:'
}

# assert_hardened TRACE WHAT: the slirp4netns that TRACE names ran with
# both options.
assert_hardened() {
	local cmd
	cmd=$(slirp_command "$1")
	assert_contains " $cmd " " --enable-seccomp " "$2: slirp4netns's command line"
	assert_contains " $cmd " " --enable-sandbox " "$2: slirp4netns's command line"
}

# ---- what the filter and the sandbox are, seen from /proc --------------

# While an instance runs: slirp4netns is in seccomp filter mode with no new
# privileges, holds no capability but CAP_NET_BIND_SERVICE (not even in its
# bounding set), and lives in a mount namespace of its own whose root
# holds nothing but the host's /etc and /run, read-only.  As an
# unprivileged user it has joined the instance's user namespace (it needs
# to be root there to build its sandbox); root stays in the host's.
test_filter_and_sandbox_seen_from_proc() {
	local slirp helper st mounts call
	start_served run --
	slirp=$(trace_pid "$TRACE" 'slirp4netns started, pid')
	helper=$(trace_pid "$TRACE" 'helper started, pid')
	if [ -z "$slirp" ] || ! alive "$slirp"; then
		fail "no running slirp4netns in the trace: $(cat "$TRACE")"
	fi
	assert_hardened "$TRACE" "an instance"
	st=$(cat "/proc/$slirp/status")
	assert_eq 2 "$(sed -n 's/^Seccomp:[[:space:]]*//p' <<<"$st")" \
		"Seccomp of slirp4netns (2: filter mode)"
	assert_eq 1 "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' <<<"$st")" "NoNewPrivs of slirp4netns"
	assert_eq 0000000000000400 "$(sed -n 's/^CapEff:[[:space:]]*//p' <<<"$st")" \
		"slirp4netns's effective capabilities (CAP_NET_BIND_SERVICE only)"
	assert_eq 0000000000000400 "$(sed -n 's/^CapBnd:[[:space:]]*//p' <<<"$st")" \
		"slirp4netns's bounding set (CAP_NET_BIND_SERVICE only)"
	[ "$(readlink "/proc/$slirp/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
		fail "slirp4netns is in the host's mount namespace: no sandbox"
	[ "$(readlink "/proc/$slirp/ns/mnt")" != "$(readlink "/proc/$helper/ns/mnt")" ] ||
		fail "slirp4netns is in the instance's mount namespace, not a sandbox of its own"
	assert_eq "etc run" "$(find "/proc/$slirp/root/" -mindepth 1 -maxdepth 1 -printf '%f\n' |
		LC_ALL=C sort | paste -sd' ' -)" \
		"what slirp4netns's root holds"
	# Its mounts: a read-only tmpfs as /, the host's /etc and /run bound
	# read-only (what the host has mounted below them comes along).
	mounts=$(awk '{ split($6, o, ","); for (i = 7; $i != "-"; i++) ;
		print $5, ($5 == "/" ? $(i + 1) " " : "") o[1] }' "/proc/$slirp/mountinfo")
	assert_eq "/ tmpfs ro" "$(sed -n 1p <<<"$mounts")" "slirp4netns's root mount"
	assert_eq "/etc ro" "$(grep '^/etc ' <<<"$mounts")" "slirp4netns's /etc"
	assert_eq "/run ro" "$(grep '^/run ' <<<"$mounts")" "slirp4netns's /run"
	assert_eq "" "$(sed 1d <<<"$mounts" | grep -v '^/\(etc\|run\)[/ ]')" \
		"slirp4netns's mounts outside /etc and /run"
	if [ "$(id -u)" = 0 ]; then
		assert_eq "$(readlink /proc/self/ns/user)" "$(readlink "/proc/$slirp/ns/user")" \
			"the user namespace of slirp4netns run by root"
	else
		assert_eq "$(readlink "/proc/$helper/ns/user")" "$(readlink "/proc/$slirp/ns/user")" \
			"the user namespace of slirp4netns: the instance's"
	fi
	# Its network namespace stays the host's: that is where it connects.
	assert_eq "$(readlink /proc/self/ns/net)" "$(readlink "/proc/$slirp/ns/net")" \
		"the network namespace of slirp4netns"
	stop_served "$SPAWNED" "$DIR" "$TRACE" "$INODE"
	# What its filter blocks, slirp4netns says on stdout, which it
	# flushes when it ends on its own: the keeper closes its exit
	# descriptor and waits for it before it lets the instance's helper go
	# (slirp4netns is not in the instance's PID namespace).
	for call in execve ptrace mount setns unshare; do
		grep -q "^seccomp: The following syscalls are blocked:.* $call\( \|\$\)" "$TRACE" ||
			fail "slirp4netns did not say that its filter blocks $call: $(cat "$TRACE")"
	done
}

# ---- port forwards ------------------------------------------------------

# A TCP forward (-p at start, and `hckns fwd add` at run time) carries data
# through the hardened slirp4netns.  (t-forwards.sh covers every forward;
# it runs with the same options, the only ones hckns uses.)
test_tcp_forward_carries_data() {
	local p1 p2 m=hard-$$-$RANDOM
	read -r p1 p2 <<<"$(free_ports 2)"
	[ -n "$p2" ] || fail "no free ports"
	start_served run -p "127.0.0.1:$p1:8001" -- "8001=$m-1" "8002=$m-2"
	assert_hardened "$TRACE" "an instance with -p"
	expect_answer "$p1" "$m-1"
	fwd_ok add "$p2:8002"
	expect_answer "$p2" "$m-2"
	stop_served "$SPAWNED" "$DIR" "$TRACE" "$INODE"
	assert_nothing_listens "$p1" "$p2"
}

# ---- DHCP ---------------------------------------------------------------

# A guest on br_world gets a lease from slirp4netns's DHCP server.
test_dhcp_lease() {
	dhcp_lease br_world "$HCKNS" -v
	assert_hardened "$TEST_TMP/dhcp.err" "the DHCP run"
	case $LEASE_IP in
	10.0.2.1[5-9] | 10.0.2.2[0-9] | 10.0.2.30) ;;
	*) fail "leased address $LEASE_IP is not in slirp4netns's 10.0.2.15..10.0.2.30" ;;
	esac
	assert_eq 10.0.2.2 "$LEASE_ROUTER" "the lease's router"
	assert_eq 10.0.2.3 "$LEASE_DNS" "the lease's DNS server"
}

# ---- DNS ----------------------------------------------------------------

# dns_run NAME KIND: in an outer network and mount namespace, the "host":
# lo up, dns-responder.rb on 127.0.0.53, /etc replaced by $TEST_TMP/fakeetc
# (the real /etc's entries, linked), whose resolv.conf, by KIND, is
#   file      a file naming 127.0.0.53;
#   run-link  a link to /run/systemd/resolve/stub-resolv.conf, as with
#             systemd-resolved (a tmpfs on /run there);
#   elsewhere a link to $TEST_TMP/wsl/resolv.conf, outside /etc and /run
#             (as WSL's link to /mnt/wsl/resolv.conf).
# There `hckns -v -- busybox nslookup` asks 10.0.2.3 for $DNS_NAME and for
# nx.$DNS_NAME.  Root runs it as root (unshare --mount --net); another user
# as itself, in a user namespace of its own that maps only its ids, with no
# capability left for hckns: as such a user, slirp4netns builds its
# sandbox in the instance's user namespace.  Sets ANSWER and NXANSWER
# (what nslookup printed), QUERIES (the responder's log) and TRACE.
dns_run() {
	local name=$1 kind=$2 rc
	command -v ruby >/dev/null || skip "ruby is not installed (Debian: apt install ruby)"
	[ -r "$RESPONDER" ] || fail "$RESPONDER is missing"
	make_fake_etc
	mkdir -p "$TEST_TMP/wsl"
	case $kind in
	file) echo "nameserver 127.0.0.53" >"$TEST_TMP/fakeetc/resolv.conf" ;;
	run-link) ln -s /run/systemd/resolve/stub-resolv.conf "$TEST_TMP/fakeetc/resolv.conf" ;;
	elsewhere)
		echo "nameserver 127.0.0.53" >"$TEST_TMP/wsl/resolv.conf"
		ln -s "$TEST_TMP/wsl/resolv.conf" "$TEST_TMP/fakeetc/resolv.conf"
		;;
	esac
	cat >"$TEST_TMP/$name.outer" <<-'EOF'
	set -e
	ip link set lo up
	if [ "$KIND" = run-link ]; then
		mount -t tmpfs tmpfs /run
		mkdir -p /run/systemd/resolve
		echo "nameserver 127.0.0.53" >/run/systemd/resolve/stub-resolv.conf
	fi
	mount --rbind /etc "$T/realetc"
	mount --bind "$T/fakeetc" /etc
	ruby "$RESPONDER" 127.0.0.53 "$DNS_NAME" "$DNS_A" "$T/$NAME.queries" 30 &
	responder=$!
	i=0
	while ! grep -q '^ready$' "$T/$NAME.queries" 2>/dev/null; do
		[ $i -lt 200 ] && kill -0 $responder || { echo "dns-responder.rb did not start" >&2; exit 1; }
		sleep 0.05; i=$((i + 1))
	done
	set +e
	$DROP "$HCKNS" -v -- sh -c '
		timeout 10 busybox nslookup "$1" 10.0.2.3 >"$2.answer" 2>&1
		timeout 10 busybox nslookup "nx.$1" 10.0.2.3 >"$2.nxanswer" 2>&1
		exit 0' sh "$DNS_NAME" "$T/$NAME"
	rc=$?
	kill $responder 2>/dev/null
	wait $responder
	$DROP "$HCKNS" doctor >"$T/$NAME.doctor" 2>&1
	exit $rc
	EOF
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	if [ "$(id -u)" = 0 ]; then
		set -- unshare --mount --net
		DROP=
	else
		set -- unshare --user --map-user="$(id -u)" --map-group="$(id -g)" \
			--keep-caps --mount --net
		DROP="setpriv --inh-caps=-all --ambient-caps=-all"
	fi
	T=$TEST_TMP NAME=$name KIND=$kind HCKNS=$HCKNS RESPONDER=$RESPONDER \
		DNS_NAME=$DNS_NAME DNS_A=$DNS_A DROP=$DROP timeout -k 5 40 \
		env -u XDG_RUNTIME_DIR TMPDIR="$TEST_TMP/rt" "$@" \
		bash "$TEST_TMP/$name.outer" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" </dev/null
	rc=$?
	TRACE=$TEST_TMP/$name.err
	[ "$rc" = 0 ] || fail "hckns in the outer namespaces exited $rc: $(cat "$TEST_TMP/$name.err")"
	ANSWER=$(cat "$TEST_TMP/$name.answer" 2>&1)
	NXANSWER=$(cat "$TEST_TMP/$name.nxanswer" 2>&1)
	DOCTOR=$(cat "$TEST_TMP/$name.doctor" 2>&1)
	QUERIES=$(cat "$TEST_TMP/$name.queries")
}

# assert_resolved WHAT: the command got the responder's record for
# $DNS_NAME and its NXDOMAIN for nx.$DNS_NAME, and the responder saw both
# names asked (through slirp4netns, from the outer namespace's loopback).
assert_resolved() {
	assert_contains "$ANSWER" "Address: $DNS_A" "$1: nslookup $DNS_NAME 10.0.2.3"
	assert_contains "$NXANSWER" "NXDOMAIN" "$1: nslookup nx.$DNS_NAME 10.0.2.3"
	assert_not_contains "$NXANSWER" "$DNS_A" "$1: nslookup nx.$DNS_NAME 10.0.2.3"
	assert_contains "$QUERIES" "query $DNS_NAME 1 from 127.0.0.1" "$1: what the DNS server was asked"
	assert_contains "$QUERIES" "query nx.$DNS_NAME 1 from 127.0.0.1" "$1: what the DNS server was asked"
}

# The host's resolv.conf is a file: slirp4netns's sandbox sees it through
# its bind mount of /etc, and forwards 10.0.2.3 to the server it names.
test_dns_resolv_conf_file() {
	dns_run file file
	assert_hardened "$TRACE" "resolv.conf a file"
	assert_resolved "resolv.conf a file"
	assert_contains "$DOCTOR" "ok   slirp4netns will run in its sandbox, under its seccomp filter" "hckns doctor"
}

# The host's resolv.conf is a link into /run (systemd-resolved): the
# sandbox has /run too.
test_dns_resolv_conf_link_into_run() {
	dns_run runlink run-link
	assert_hardened "$TRACE" "resolv.conf a link into /run"
	assert_resolved "resolv.conf a link into /run"
}

# The host's resolv.conf leads outside /etc and /run (WSL: a link to
# /mnt/wsl/resolv.conf): slirp4netns's sandbox would hide it and DNS would
# stop without a word (measured), so hckns leaves the sandbox out, says so
# in its trace, and keeps the filter.
test_dns_resolv_conf_elsewhere_no_sandbox() {
	local cmd
	dns_run elsewhere elsewhere
	cmd=$(slirp_command "$TRACE")
	assert_contains " $cmd " " --enable-seccomp " "slirp4netns's command line"
	assert_not_contains " $cmd " " --enable-sandbox " "slirp4netns's command line"
	assert_eq "/etc/resolv.conf leads to $TEST_TMP/wsl/resolv.conf, outside /etc and /run, which its sandbox would hide (DNS would stop)" \
		"$(trace_value "$TRACE" 'slirp4netns: no --enable-sandbox:')" "why the trace says there is no sandbox"
	assert_resolved "resolv.conf a link outside /etc and /run"
	assert_contains "$DOCTOR" "note slirp4netns will run under its seccomp filter but without its sandbox: /etc/resolv.conf leads to $TEST_TMP/wsl/resolv.conf, outside /etc and /run" "hckns doctor"
}

# ---- root without the capabilities the sandbox needs --------------------

# As root, slirp4netns builds its sandbox with CAP_SYS_ADMIN and drops its
# capabilities with CAP_SETPCAP; a root without them (a container's or a
# service's reduced bounding set) would see slirp4netns exit at start
# (measured: "cannot unshare new mount namespace").  hckns leaves the
# sandbox out there, says so in its trace, and keeps the filter.
test_root_without_sys_admin_no_sandbox() {
	local cap slirp
	[ "$(id -u)" = 0 ] || skip "root only: as another user slirp4netns builds its sandbox in the instance's user namespace"
	for cap in sys_admin setpcap; do
		cd "$TEST_TMP" || fail "cd $TEST_TMP"
		run "$cap" 20 setpriv --bounding-set="-$cap" "${H[@]}" -v -- true
		assert_eq 0 "$STATUS" "exit status without CAP_${cap^^} ($(hckns_lines "$TEST_TMP/$cap.err"))"
		assert_eq "root whose bounding set lacks CAP_SYS_ADMIN or CAP_SETPCAP, which its sandbox needs" \
			"$(trace_value "$TEST_TMP/$cap.err" 'slirp4netns: no --enable-sandbox:')" \
			"why the trace says there is no sandbox (CAP_${cap^^} dropped)"
		assert_not_contains " $(slirp_command "$TEST_TMP/$cap.err") " " --enable-sandbox " \
			"slirp4netns's command line without CAP_${cap^^}"
		assert_contains " $(slirp_command "$TEST_TMP/$cap.err") " " --enable-seccomp " \
			"slirp4netns's command line without CAP_${cap^^}"
		slirp=$(trace_pid "$TEST_TMP/$cap.err" 'slirp4netns started, pid')
		[ -n "$slirp" ] || fail "no slirp4netns in the trace: $(cat "$TEST_TMP/$cap.err")"
		grep -q '^seccomp: The following syscalls are blocked: .*execve' "$TEST_TMP/$cap.err" ||
			fail "slirp4netns ran without its filter (CAP_${cap^^} dropped): $(cat "$TEST_TMP/$cap.err")"
	done
}
