# Helpers for the integration tests.  Sourced by suite.sh into the shell
# that runs one test function.  A test passes when its function returns 0,
# fails with `fail MESSAGE`, and is skipped (with the reason said) with
# `skip MESSAGE`.  Every wait here is bounded in count and time.

: "${HCKNS:?HCKNS must point to the hckns binary}"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hckns-test.XXXXXX")
chmod 0755 "$TEST_TMP"
trap 'rm -rf "$TEST_TMP"' EXIT

fail() { printf '%s\n' "$*" >&2; exit 1; }
skip() { printf '%s\n' "$*" >&2; exit 77; }

assert_eq() { # expected actual what
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_contains() { # haystack needle what
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: '$2' not in: $1" ;;
	esac
}

assert_not_contains() { # haystack needle what
	case "$1" in
	*"$2"*) fail "$3: '$2' unexpectedly in: $1" ;;
	esac
}

# wait_for SECONDS COMMAND...: run COMMAND every 50 ms until it succeeds.
wait_for() {
	local limit=$(( $1 * 20 )) i=0
	shift
	while [ $i -lt $limit ]; do
		"$@" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# The directory hckns puts its instances in (common/runtime.c,
# fe_base_choose): XDG_RUNTIME_DIR/hckns, /run/user/UID/hckns, then
# TMPDIR/hckns-UID when TMPDIR is root's or ours and not writable by others
# (unless sticky, and not for root), else /run/hckns for root.
runtime_base() {
	local uid t mode owner
	uid=$(id -u)
	private_dir_of_uid() {
		[ -n "$1" ] && [ "${1#/}" != "$1" ] && [ -d "$1" ] &&
			[ "$(stat -L -c %u "$1")" = "$uid" ] &&
			[ $((8#$(stat -L -c %a "$1") & 8#077)) = 0 ]
	}
	if private_dir_of_uid "${XDG_RUNTIME_DIR:-}"; then
		echo "$XDG_RUNTIME_DIR/hckns"
		return
	fi
	if private_dir_of_uid "/run/user/$uid"; then
		echo "/run/user/$uid/hckns"
		return
	fi
	t=${TMPDIR:-/tmp}
	[ "${t#/}" != "$t" ] || t=/tmp
	if [ -d "$t" ]; then
		mode=$((8#$(stat -L -c %a "$t")))
		owner=$(stat -L -c %u "$t")
		if { [ "$owner" = 0 ] || [ "$owner" = "$uid" ]; } &&
		   { [ $((mode & 8#022)) = 0 ] ||
		     { [ $((mode & 8#1000)) != 0 ] && [ "$uid" != 0 ]; }; }; then
			echo "$t/hckns-$uid"
			return
		fi
	fi
	[ "$uid" = 0 ] && echo /run/hckns
}

# A value from hckns's verbose trace in file $1: trace_value FILE 'helper started, pid'
trace_value() {
	sed -n "s/^hckns: \[[ 0-9.]* ms\] $2 //p" "$1" | head -n 1
}

# The pids of the processes in the user namespace "user:[INODE]".
userns_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/user" 2>/dev/null)" = "user:[$1]" ] &&
			echo "${p#/proc/}"
	done
	return 0
}

# A process inside an instance has a pid of the instance's PID namespace
# ($$ and $! there); this host knows it by another.  Inside, a command
# writes both its pid there and that namespace into a file:
#   echo "$$ $(readlink /proc/self/ns/pid)" >FILE
# and outer_pid FILE prints the pid on this host of that process, the one
# in that PID namespace whose innermost NSpid is that pid (nothing once it
# has ended).
outer_pid() {
	local inner ns p
	read -r inner ns <"$1" 2>/dev/null || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		[ "$(sed -n 's/^NSpid:.*[[:space:]]\([0-9][0-9]*\)$/\1/p' \
			"$p/status" 2>/dev/null)" = "$inner" ] || continue
		echo "${p#/proc/}"
		return 0
	done
	return 0
}

userns_inode() { # PID
	readlink "/proc/$1/ns/user" | sed 's/^user:\[\(.*\)\]$/\1/'
}

# A TCP port nobody listens on at 127.0.0.1 right now.
free_port() {
	local port
	for port in $(shuf -i 20000-60000 -n 50); do
		if ! ss -Htln "sport = :$port" | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# dhcp_lease BRIDGE COMMAND...: a guest on BRIDGE asks slirp4netns's DHCP
# server for a lease.  COMMAND... is an hckns and its options; it runs
# `COMMAND... -- sh -c SCRIPT` in $TEST_TMP, where a nested network
# namespace stands for the guest, on a veth whose other end is a port of
# BRIDGE, and busybox udhcpc asks.  Fails unless a lease came; sets
# LEASE_IP, LEASE_ROUTER, LEASE_DNS and LEASE_REST (more routers or DNS
# servers than one each, normally empty) from it.
dhcp_lease() {
	local bridge=$1
	shift
	cat >"$TEST_TMP/udhcpc.script" <<-'EOF'
	#!/bin/sh
	# udhcpc's events: only a lease is written down, nothing configured.
	case "$1" in
	bound|renew) echo "$ip $router $dns" >"$LEASE" ;;
	esac
	exit 0
	EOF
	chmod 0755 "$TEST_TMP/udhcpc.script"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	# The script is single-quoted on purpose: it expands inside.
	# shellcheck disable=SC2016
	timeout -k 5 40 "$@" -- sh -c '
		T=$1
		unshare --net sh -c "echo \$\$ >$T/guest.pid; exec sleep 30" &
		i=0
		while [ ! -s "$T/guest.pid" ] && [ $i -lt 200 ]; do
			sleep 0.05; i=$((i + 1))
		done
		guest=$(cat "$T/guest.pid") || exit 1
		ip link add v0 type veth peer name v1 netns "$guest" &&
		ip link set v0 master "$2" up &&
		nsenter -t "$guest" -n ip link set v1 up &&
		LEASE=$T/lease timeout 20 nsenter -t "$guest" -n \
			busybox udhcpc -i v1 -n -q -t 5 -T 1 -s "$T/udhcpc.script"
		rc=$?
		kill "$guest"
		exit $rc' sh "$TEST_TMP" "$bridge" \
		>"$TEST_TMP/dhcp.out" 2>"$TEST_TMP/dhcp.err" </dev/null ||
		fail "the guest got no lease: $(cat "$TEST_TMP/dhcp.out" "$TEST_TMP/dhcp.err")"
	[ -s "$TEST_TMP/lease" ] ||
		fail "udhcpc wrote no lease: $(cat "$TEST_TMP/dhcp.out" "$TEST_TMP/dhcp.err")"
	# shellcheck disable=SC2034 # for the caller's assertions
	read -r LEASE_IP LEASE_ROUTER LEASE_DNS LEASE_REST <"$TEST_TMP/lease"
}

# An outer mount namespace stands for the host in some tests: there /etc
# is replaced by $TEST_TMP/fakeetc, whose resolv.conf the test controls.
# fakeetc holds the real /etc's symbolic links as they are (relative ones
# then resolve the same) and, for everything else, a symbolic link into a
# bind mount of the real /etc at $TEST_TMP/realetc.  make_fake_etc makes
# both directories (and $TEST_TMP/rt), fakeetc without resolv.conf.
make_fake_etc() {
	local e name
	mkdir -p "$TEST_TMP/fakeetc" "$TEST_TMP/realetc" "$TEST_TMP/rt"
	for e in /etc/* /etc/.[!.]*; do
		name=${e#/etc/}
		[ -e "$e" ] || [ -L "$e" ] || continue
		[ "$name" = resolv.conf ] && continue
		if [ -L "$e" ]; then
			ln -s "$(readlink "$e")" "$TEST_TMP/fakeetc/$name"
		else
			ln -s "$TEST_TMP/realetc/$name" "$TEST_TMP/fakeetc/$name"
		fi
	done
}

# inside NAME SCRIPT [OPTION...]: `hckns OPTION... -- sh -c SCRIPT` in
# $TEST_TMP, in the foreground; fail unless it exits 0.  Output in
# $TEST_TMP/NAME.{out,err}.
inside() {
	local name=$1 script=$2 rc
	shift 2
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 30 "$HCKNS" "$@" -- sh -c "$script" \
		>"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" </dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "hckns $* -- sh -c '$script' exited $rc: $(cat "$TEST_TMP/$name.err")"
}
