# The default network and its surroundings, looked at from inside with the
# tools a person would use (ip -j | jq, cat, /proc): doc/design.md, "The network
# it builds".  Every test runs hckns in the foreground under `timeout`.
# The scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016

# The links of `ip -j -d link` saved in FILE, one "name kind mtu master
# flags" line per link.
links_summary() { # FILE
	jq -r '.[] | [.ifname, (.linkinfo.info_kind // "-"), (.mtu | tostring),
		(.master // "-"), (.flags | join(","))] | join(" ")' "$1" | sort
}

test_links_exactly_the_default_all_up() {
	local names
	inside links 'ip -j -d link >links.json'
	names=$(jq -r '.[].ifname' "$TEST_TMP/links.json" | sort | tr '\n' ' ')
	assert_eq "br_ctrl br_debug br_test br_world lo tap_host " "$names" \
		"the links inside (and nothing else)"
	# Every link administratively up: "UP" among its flags.
	assert_eq "" "$(jq -r '.[] | select(.flags | index("UP") | not) | .ifname' \
		"$TEST_TMP/links.json")" "links that are not UP"
	# tap_host is br_world's port; nothing else has a master.
	assert_eq "tap_host br_world" \
		"$(jq -r '.[] | select(.master != null) | "\(.ifname) \(.master)"' \
		"$TEST_TMP/links.json")" "links with a master"
	# The four bridges are bridges (linkinfo.info_kind), tap_host a tun.
	assert_eq "br_ctrl bridge
br_debug bridge
br_test bridge
br_world bridge
tap_host tun" "$(jq -r '.[] | select(.linkinfo.info_kind != null) |
		"\(.ifname) \(.linkinfo.info_kind)"' "$TEST_TMP/links.json" | sort)" \
		"kinds of the links"
}

test_addresses_and_default_route() {
	inside addr 'ip -j -4 addr >addr.json && ip -j route >route.json'
	# Exactly these IPv4 addresses: br_test and br_debug have none.
	assert_eq "br_ctrl 192.168.100.100/24
br_world 10.0.2.100/24
lo 127.0.0.1/8" "$(jq -r '.[] | .ifname as $n | .addr_info[] |
		"\($n) \(.local)/\(.prefixlen)"' "$TEST_TMP/addr.json" | sort)" \
		"IPv4 addresses inside"
	assert_eq "10.0.2.2 br_world" \
		"$(jq -r '.[] | select(.dst == "default") | "\(.gateway) \(.dev)"' \
		"$TEST_TMP/route.json")" "the default route (and only one)"
}

test_mtu_default_is_1500() {
	inside mtu 'ip -j link >links.json'
	assert_eq "1500 1500" "$(jq -r '[.[] | select(.ifname == "tap_host" or
		.ifname == "br_world") | .mtu] | map(tostring) | join(" ")' \
		"$TEST_TMP/links.json")" "MTU of tap_host and br_world by default"
}

test_mtu_option_sets_tap_host_and_br_world() {
	inside mtu 'ip -j link >links.json' --mtu 65520
	assert_eq "tap_host 65520" "$(jq -r '.[] | select(.ifname == "tap_host") |
		"\(.ifname) \(.mtu)"' "$TEST_TMP/links.json")" "tap_host with --mtu 65520"
	assert_eq "br_world 65520" "$(jq -r '.[] | select(.ifname == "br_world") |
		"\(.ifname) \(.mtu)"' "$TEST_TMP/links.json")" "br_world with --mtu 65520"
}

# doc/design.md: the three bridge-nf-call-* sysctls are 0 inside where they
# exist; they are per network namespace, so the host's stay as they were.
test_bridge_netfilter_sysctls_off_inside_only() {
	local f before after name script=''
	[ -d /proc/sys/net/bridge ] ||
		skip "the host has no /proc/sys/net/bridge (br_netfilter not loaded): nothing to turn off"
	before=$(grep -H . /proc/sys/net/bridge/bridge-nf-call-* 2>&1)
	for f in arptables iptables ip6tables; do
		script="$script [ -e /proc/sys/net/bridge/bridge-nf-call-$f ] && echo $f \$(cat /proc/sys/net/bridge/bridge-nf-call-$f);"
	done
	inside brnf "$script true"
	after=$(grep -H . /proc/sys/net/bridge/bridge-nf-call-* 2>&1)
	[ -s "$TEST_TMP/brnf.out" ] ||
		skip "no bridge-nf-call-* sysctl inside the namespace (kernel older than 5.3 or br_netfilter not per namespace)"
	while read -r name f; do
		assert_eq 0 "$f" "bridge-nf-call-$name inside"
	done <"$TEST_TMP/brnf.out"
	assert_eq "$before" "$after" "the host's bridge-nf-call-* after the run"
}

# The optional fields of the "/" mount in the mountinfo FILE ("" if none).
root_propagation() { # FILE
	awk '$5 == "/" { s = ""; for (i = 7; $i != "-"; i++) s = s " " $i; print s }' "$1"
}

# "MOUNTPOINT FIELDS" for every mount in the mountinfo FILE that has
# optional (propagation) fields: none when all are private.
propagating_mounts() { # FILE
	awk '{ s = ""; for (i = 7; $i != "-"; i++) s = s " " $i; if (s != "") print $5 s }' "$1"
}

# doc/design.md: "/" is made recursively private first: no mount inside has
# propagation fields.  On a host where nothing is shared this holds
# trivially, so the second half makes every mount shared in an outer mount
# namespace first; there a new less privileged mount namespace would start
# as its slave ("master:N") unless hckns cuts it off.
# /sys inside is the instance's network namespace's (a sysfs mounted by
# the helper): /sys/class/net lists exactly the links `ip` shows, br_world's
# MTU is there, and a tap made later appears with its bridge.
test_sysfs_shows_the_namespace() {
	inside sysfs 'ls /sys/class/net | sort | xargs >sys-links
		ip -j link | jq -r ".[].ifname" | sort | xargs >ip-links
		cat /sys/class/net/br_world/mtu >br-mtu
		basename "$(readlink /sys/class/net/tap_host/master)" >tap-master
		ip tuntap add dev tap9 mode tap && ip link set tap9 master br_test &&
		basename "$(readlink /sys/class/net/tap9/master)" >tap9-master
		cat /sys/class/net/br_test/bridge/stp_state >stp'
	assert_eq "$(cat "$TEST_TMP/ip-links")" "$(cat "$TEST_TMP/sys-links")" "/sys/class/net against ip -j link"
	assert_eq "br_ctrl br_debug br_test br_world lo tap_host" "$(cat "$TEST_TMP/sys-links")" "/sys/class/net"
	assert_eq 1500 "$(cat "$TEST_TMP/br-mtu")" "/sys/class/net/br_world/mtu"
	assert_eq br_world "$(cat "$TEST_TMP/tap-master")" "tap_host's master in /sys"
	assert_eq br_test "$(cat "$TEST_TMP/tap9-master")" "a later tap's master in /sys"
	[ -s "$TEST_TMP/stp" ] || fail "no /sys/class/net/br_test/bridge"
}

test_root_mount_private() {
	local outer
	inside mount 'cat /proc/self/mountinfo >mountinfo'
	assert_eq "" "$(propagating_mounts "$TEST_TMP/mountinfo")" \
		"mounts inside with propagation (shared: or master:), / and below"

	cat >"$TEST_TMP/outer.sh" <<-'EOF'
	cat /proc/self/mountinfo >"$T/outer-mountinfo"
	exec "$HCKNS" -- sh -c 'cat /proc/self/mountinfo >"$T/inner-mountinfo"'
	EOF
	mkdir -p "$TEST_TMP/rt"
	T=$TEST_TMP HCKNS=$HCKNS timeout -k 5 30 env -u XDG_RUNTIME_DIR \
		TMPDIR="$TEST_TMP/rt" unshare --user --map-root-user --mount \
		--propagation shared bash "$TEST_TMP/outer.sh" \
		>"$TEST_TMP/outer.log" 2>&1 </dev/null ||
		fail "hckns in an outer namespace failed: $(cat "$TEST_TMP/outer.log")"
	outer=$(root_propagation "$TEST_TMP/outer-mountinfo")
	assert_contains "$outer" "shared:" "propagation of / in the outer namespace (test set-up)"
	assert_eq "" "$(propagating_mounts "$TEST_TMP/inner-mountinfo")" \
		"mounts inside hckns with propagation when the outer ones are shared"
}

test_resolv_conf_inside_only() {
	local id_before id_after
	if [ -e /etc/resolv.conf ] || [ -L /etc/resolv.conf ]; then
		id_before=$(stat -c '%d:%i %F' /etc/resolv.conf)
		cp /etc/resolv.conf "$TEST_TMP/host-resolv" 2>/dev/null ||
			: >"$TEST_TMP/host-resolv"
	else
		id_before=missing
	fi
	inside resolv 'cat /etc/resolv.conf >resolv.inside; cat /etc/passwd >passwd.inside'
	printf 'nameserver 10.0.2.3\n' >"$TEST_TMP/want"
	cmp -s "$TEST_TMP/want" "$TEST_TMP/resolv.inside" ||
		fail "/etc/resolv.conf inside: expected 'nameserver 10.0.2.3', got: $(cat "$TEST_TMP/resolv.inside")"
	# The rest of /etc is the host's, unchanged.
	cmp -s /etc/passwd "$TEST_TMP/passwd.inside" ||
		fail "/etc/passwd inside differs from the host's"
	if [ "$id_before" = missing ]; then
		if [ -e /etc/resolv.conf ] || [ -L /etc/resolv.conf ]; then
			fail "the host's /etc/resolv.conf appeared during the run"
		fi
		return 0
	fi
	id_after=$(stat -c '%d:%i %F' /etc/resolv.conf)
	assert_eq "$id_before" "$id_after" "device, inode and type of the host's /etc/resolv.conf"
	if [ -s "$TEST_TMP/host-resolv" ]; then
		cmp -s /etc/resolv.conf "$TEST_TMP/host-resolv" ||
			fail "the host's /etc/resolv.conf changed during the run"
	fi
}

test_command_root_cwd_environment() {
	local dir
	dir="$TEST_TMP/work dir"
	mkdir -p "$dir"
	cd "$dir" || fail "cd $dir"
	export HCKNS_TEST_MARKER="marker with spaces and a
newline"
	# "_" is the path of the program bash ran (env here, timeout below).
	env -0 | grep -zv '^_=' | sort -z >"$TEST_TMP/env.outside"
	timeout -k 5 30 "$HCKNS" -- sh -c 'id -u >"$0/uid"; pwd -P >"$0/pwd";
		printf %s "$HCKNS_TEST_MARKER" >"$0/marker";
		grep -zv "^_=" </proc/$$/environ | sort -z >"$0/env.inside"' "$TEST_TMP" \
		>"$TEST_TMP/run.out" 2>"$TEST_TMP/run.err" </dev/null ||
		fail "hckns failed: $(cat "$TEST_TMP/run.err")"
	assert_eq 0 "$(cat "$TEST_TMP/uid")" "uid of the command (id -u)"
	assert_eq "$(pwd -P)" "$(cat "$TEST_TMP/pwd")" "working directory of the command"
	assert_eq "$HCKNS_TEST_MARKER" "$(cat "$TEST_TMP/marker")" "exported variable inside"
	# The whole environment, not only the marker: nothing lost, and
	# nothing added but the four that say where the command is (README).
	assert_eq "AUTOHCK_SLIRP HCKNS_API_SOCKET HCKNS_INSTANCE HCKNS_RUNTIME_DIR" \
		"$(grep -zE '^(AUTOHCK_SLIRP|HCKNS_API_SOCKET|HCKNS_INSTANCE|HCKNS_RUNTIME_DIR)=' \
			"$TEST_TMP/env.inside" | tr '\0' '\n' | cut -d= -f1 | xargs)" \
		"the variables hckns adds"
	grep -zvE '^(AUTOHCK_SLIRP|HCKNS_API_SOCKET|HCKNS_INSTANCE|HCKNS_RUNTIME_DIR)=' \
		"$TEST_TMP/env.inside" >"$TEST_TMP/env.rest"
	cmp -s "$TEST_TMP/env.outside" "$TEST_TMP/env.rest" ||
		fail "environment inside differs: $(diff <(tr '\0' '\n' <"$TEST_TMP/env.outside") \
			<(tr '\0' '\n' <"$TEST_TMP/env.rest"))"
}

# ---- /etc/resolv.conf when the host's is odd ---------------------------------
#
# An outer user+mount namespace stands for the host: there /etc is replaced
# by $TEST_TMP/fakeetc, whose resolv.conf the test controls.  fakeetc holds
# the real /etc's symbolic links as they are (relative ones then resolve
# the same) and, for everything else, a symbolic link into a bind mount of
# the real /etc, so that libraries and programs find what they need.

# in_fake_host NAME SCRIPT: start, in the background, hckns in an outer
# namespace whose /etc is fakeetc, running SCRIPT (sh, $T is $TEST_TMP).
# Sets OUTER_PID.
in_fake_host() {
	local name=$1
	cat >"$TEST_TMP/$name.outer" <<-'EOF'
	set -e
	mount --rbind /etc "$T/realetc"
	mount --bind "$T/fakeetc" /etc
	exec "$HCKNS" -- sh -c "$SCRIPT"
	EOF
	T=$TEST_TMP HCKNS=$HCKNS SCRIPT=$2 timeout -k 5 30 env -u XDG_RUNTIME_DIR \
		TMPDIR="$TEST_TMP/rt" unshare --user --map-root-user --mount \
		bash "$TEST_TMP/$name.outer" \
		>"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" </dev/null &
	OUTER_PID=$!
	# On failure: timeout passes SIGTERM on to hckns, which stops the
	# command and cleans up; then lib.sh's own cleanup.
	trap 'kill -TERM "$OUTER_PID" 2>/dev/null; wait "$OUTER_PID"; rm -rf "$TEST_TMP"' EXIT
}

# finish_fake_host NAME: wait (bounded by its timeout) for it to end; fail
# unless it exited 0.
finish_fake_host() {
	local rc
	wait "$OUTER_PID"
	rc=$?
	[ "$rc" = 0 ] || fail "hckns in the outer namespace exited $rc: $(cat "$TEST_TMP/$1.err")"
}

# What the command saw: $TEST_TMP/FILE must say "nameserver 10.0.2.3".
assert_inside_resolv() { # FILE WHAT
	printf 'nameserver 10.0.2.3\n' >"$TEST_TMP/want"
	cmp -s "$TEST_TMP/want" "$TEST_TMP/$1" ||
		fail "$2: expected 'nameserver 10.0.2.3', got: $(cat "$TEST_TMP/$1" 2>&1)"
}

test_resolv_conf_host_symlink() {
	make_fake_etc
	printf 'nameserver 192.0.2.53\n' >"$TEST_TMP/stub-resolv.conf"
	cp "$TEST_TMP/stub-resolv.conf" "$TEST_TMP/stub.orig"
	ln -s "$TEST_TMP/stub-resolv.conf" "$TEST_TMP/fakeetc/resolv.conf"
	in_fake_host sym 'cat /etc/resolv.conf >"$T/seen"'
	finish_fake_host sym
	assert_inside_resolv seen "/etc/resolv.conf inside when the host's is a symbolic link"
	assert_eq "$TEST_TMP/stub-resolv.conf" "$(readlink "$TEST_TMP/fakeetc/resolv.conf")" \
		"the host's symbolic link after the run"
	cmp -s "$TEST_TMP/stub.orig" "$TEST_TMP/stub-resolv.conf" ||
		fail "the host's resolv.conf (the link's target) changed: $(cat "$TEST_TMP/stub-resolv.conf")"
}

test_resolv_conf_host_dangling_symlink() {
	make_fake_etc
	ln -s "$TEST_TMP/nonexistent/stub-resolv.conf" "$TEST_TMP/fakeetc/resolv.conf"
	in_fake_host dangling 'cat /etc/resolv.conf >"$T/seen"'
	finish_fake_host dangling
	assert_inside_resolv seen "/etc/resolv.conf inside when the host's is a dangling symbolic link"
	assert_eq "$TEST_TMP/nonexistent/stub-resolv.conf" \
		"$(readlink "$TEST_TMP/fakeetc/resolv.conf")" "the host's symbolic link after the run"
	[ ! -e "$TEST_TMP/nonexistent" ] || fail "the dangling link's target was created"
}

# NetworkManager replaces resolv.conf by rename while the run goes on: the
# command must keep seeing its own, and the host keep its new file.
test_resolv_conf_host_replaced_by_rename() {
	make_fake_etc
	printf 'nameserver 192.0.2.53\n' >"$TEST_TMP/fakeetc/resolv.conf"
	in_fake_host rename 'cat /etc/resolv.conf >"$T/seen-before"; : >"$T/started"
		i=0
		while [ ! -e "$T/renamed" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
		cat /etc/resolv.conf >"$T/seen-after"'
	wait_for 20 test -e "$TEST_TMP/started" ||
		fail "the command did not start: $(cat "$TEST_TMP/rename.err")"
	printf 'nameserver 192.0.2.99\n' >"$TEST_TMP/new-resolv.conf"
	cp "$TEST_TMP/new-resolv.conf" "$TEST_TMP/new.orig"
	mv "$TEST_TMP/new-resolv.conf" "$TEST_TMP/fakeetc/resolv.conf"
	: >"$TEST_TMP/renamed"
	finish_fake_host rename
	assert_inside_resolv seen-before "/etc/resolv.conf inside before the host's was replaced"
	assert_inside_resolv seen-after "/etc/resolv.conf inside after the host's was replaced by rename"
	cmp -s "$TEST_TMP/new.orig" "$TEST_TMP/fakeetc/resolv.conf" ||
		fail "the host's new resolv.conf changed: $(cat "$TEST_TMP/fakeetc/resolv.conf")"
}

# With --mtu above 1500, a port that joins the uplink at a smaller MTU (a
# guest's tap as QEMU's ifup makes it) is warned about, once, as a status
# line and a -v trace line; a port at the uplink's MTU, or on another
# bridge, is not.  With the default MTU nothing is watched.
test_mtu_smaller_port_warned() {
	local script='ip link add g0 type veth peer name g1 &&
		ip link set g0 master br_world && ip link set g0 up &&
		ip link add ok0 type veth peer name ok1 && ip link set ok0 mtu 9000 &&
		ip link set ok0 master br_world &&
		ip link add c0 type veth peer name c1 && ip link set c0 master br_ctrl &&
		ip link set g0 nomaster && ip link set g0 master br_world &&
		i=0; while ! grep -q "\"event\":\"warning\"" "$1" && [ $i -lt 100 ]; do
			sleep 0.05; i=$((i + 1)); done'
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	timeout -k 5 30 "$HCKNS" -v --mtu 9000 --status-fd 3 -- sh -c "$script" sh \
		"$TEST_TMP/status" 3>"$TEST_TMP/status" 2>"$TEST_TMP/err" </dev/null ||
		fail "hckns failed: $(cat "$TEST_TMP/err")"
	assert_eq 'g0 1500 br_world 9000' "$(jq -r 'select(.event == "warning") |
		"\(.port) \(.mtu) \(.uplink) \(.uplink_mtu)"' "$TEST_TMP/status")" \
		"the warning lines"
	assert_contains "$(jq -r 'select(.event == "warning") | .message' "$TEST_TMP/status")" \
		"ip link set g0 mtu 9000" "the warning's remedy"
	assert_eq 1 "$(grep -c '\] warning: g0 joined br_world with MTU 1500, below its 9000' \
		"$TEST_TMP/err")" "the -v trace lines of the warning"
	timeout -k 5 30 "$HCKNS" -v --status-fd 3 -- sh -c 'ip link add g0 type veth peer name g1 &&
		ip link set g0 mtu 1280 && ip link set g0 master br_world' 3>"$TEST_TMP/status2" \
		2>"$TEST_TMP/err2" </dev/null || fail "hckns failed: $(cat "$TEST_TMP/err2")"
	assert_not_contains "$(cat "$TEST_TMP/err2")" "watching" "the trace with the default MTU"
}
