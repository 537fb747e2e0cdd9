# QEMU's way of attaching guests (README: The network): inside hckns, as root of
# the namespaces, a tap is created and AutoHCK's ifup script runs on it with
# its exact commands, as QEMU runs it (-netdev tap,script=...: the script
# gets the tap's name as $1).  The script is AutoHCK's "net_up" of
# lib/setupmanagers/qemuhck/network_manager.json, @bridge_name@ replaced:
#
#   #!/bin/bash
#   set -e
#   ip link set ${1} up
#   ip link set ${1} master @bridge_name@
#   ip link set ${1} txqueuelen 11000
#   ip link set @bridge_name@ txqueuelen 11000
#   ethtool -K ${1} tx off
#
# QEMU opens /dev/net/tun itself; `ip tuntap add ... mode tap` makes the
# same kind of tap, persistent so that the test can look at it.  Each
# effect is checked with ip -j and ethtool --json, before and after.
# The scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016

# The taps of AutoHCK's world, control and test devices (its ifname
# templates ws_r@run_id@_c@client_id@ ...) and their bridges in hckns.
TAPS="ws_r01_c1:br_world cs_r01_c1:br_ctrl ts_r01_c1:br_test"

# inside NAME SCRIPT: `hckns -- bash -c SCRIPT` in $TEST_TMP; fail unless it
# exits 0.  Output in $TEST_TMP/NAME.{out,err}.
inside() {
	local rc
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	command -v ethtool >/dev/null || fail "ethtool is not installed (make deps)"
	timeout -k 5 30 "$HCKNS" -- bash -c "$2" \
		>"$TEST_TMP/$1.out" 2>"$TEST_TMP/$1.err" </dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "hckns -- bash -c '$2' exited $rc: $(cat "$TEST_TMP/$1.err")"
}

# write_ifup BRIDGE: AutoHCK's script for BRIDGE, as $TEST_TMP/ifup-BRIDGE.sh.
write_ifup() {
	cat >"$TEST_TMP/ifup-$1.sh" <<EOF
#!/bin/bash
set -e
ip link set \${1} up
ip link set \${1} master $1
ip link set \${1} txqueuelen 11000
ip link set $1 txqueuelen 11000
ethtool -K \${1} tx off
EOF
	chmod 0755 "$TEST_TMP/ifup-$1.sh"
}

# One line per link of `ip -j -d link` in FILE: name kind type up master txqlen.
links() { # FILE
	jq -r '.[] | [.ifname, (.linkinfo.info_kind // "-"),
		(.linkinfo.info_data.type // "-"),
		(if (.flags | index("UP")) then "up" else "down" end),
		(.master // "-"), (.txqlen | tostring)] | join(" ")' "$1" | sort
}

# "requested active" for the tx checksum offload that `ethtool -K tx off`
# turns off, from `ethtool --json -k` in FILE.
tx_offload() { # FILE
	jq -r '.[0]["tx-checksum-ip-generic"] |
		"\(.requested) \(.active)"' "$1"
}

test_autohck_ifup_script_on_taps() {
	local t tap br script=''
	for t in $TAPS; do
		tap=${t%%:*} br=${t#*:}
		write_ifup "$br"
		script+="ip tuntap add dev $tap mode tap
			ethtool --json -k $tap >before-$tap.json
			./ifup-$br.sh $tap
			ethtool --json -k $tap >after-$tap.json
			"
	done
	inside ifup "set -e
		ip -j -d link >before.json
		$script
		ip -j -d link >after.json"
	# Before: no taps, bridges at the kernel's default queue length.
	assert_eq "br_ctrl bridge - up - 1000
br_debug bridge - up - 1000
br_test bridge - up - 1000
br_world bridge - up - 1000
lo - - up - 1000
tap_host tun tap up br_world 1000" "$(links "$TEST_TMP/before.json")" \
		"the links before"
	# After: each tap a tap, up, a port of its bridge, txqueuelen 11000;
	# the bridges too at 11000; br_debug and tap_host unchanged.
	assert_eq "br_ctrl bridge - up - 11000
br_debug bridge - up - 1000
br_test bridge - up - 11000
br_world bridge - up - 11000
cs_r01_c1 tun tap up br_ctrl 11000
lo - - up - 1000
tap_host tun tap up br_world 1000
ts_r01_c1 tun tap up br_test 11000
ws_r01_c1 tun tap up br_world 11000" "$(links "$TEST_TMP/after.json")" \
		"the links after AutoHCK's ifup script"
	for t in $TAPS; do
		tap=${t%%:*}
		# A fresh tap asks for tx checksum offload; the script turns it off.
		assert_eq "true false" "$(tx_offload "$TEST_TMP/before-$tap.json")" \
			"tx offload of $tap before (requested active)"
		assert_eq "false false" "$(tx_offload "$TEST_TMP/after-$tap.json")" \
			"tx offload of $tap after 'ethtool -K $tap tx off'"
	done
}

# The same commands one by one, each failure its own: what a person
# attaching a guest by hand types.
test_tap_commands_one_by_one() {
	inside byhand 'set -e
		ip tuntap add dev tap0 mode tap
		ip link set tap0 up
		ip link set tap0 master br_test
		ip link set tap0 txqueuelen 11000
		ethtool -K tap0 tx off
		ethtool -k tap0 >k.txt
		ip -j -d link show dev tap0 >tap0.json
		ip link set tap0 nomaster
		ip link set tap0 master br_world
		ip -j link show dev tap0 >world.json'
	assert_eq "tap0 tun tap up br_test 11000" "$(links "$TEST_TMP/tap0.json")" "tap0"
	assert_eq "br_world" "$(jq -r '.[0].master' "$TEST_TMP/world.json")" \
		"tap0's master after moving it to br_world"
	grep -q '^tx-checksumming: off$' "$TEST_TMP/k.txt" ||
		fail "ethtool -k tap0 does not say 'tx-checksumming: off': $(cat "$TEST_TMP/k.txt")"
	grep -q '^[[:space:]]*tx-checksum-ip-generic: off$' "$TEST_TMP/k.txt" ||
		fail "tx-checksum-ip-generic is not off as asked: $(grep tx-checksum-ip-generic "$TEST_TMP/k.txt")"
}
