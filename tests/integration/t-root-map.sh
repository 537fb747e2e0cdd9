# --map-root: who root inside is.  By default root of a root's instance is
# host root (uid_map "0 0 1"): these tests show what that means (it reads
# /etc/shadow, signals a host process, reaches the host's /etc under the
# overlay), and that with --map-root=subids it is root's first
# subordinate id instead, host uid 0 unmapped, and none of that works while
# the network, resolv.conf, forwards and setgroups(2) still do.  The
# option is root's only: a user gets one line.  `hckns doctor` tells root
# which one it has.  SECURITY.md, "Root's instance", cites these tests.
#
# As root, the tests put files of their own on /etc/subuid and /etc/subgid
# in a private mount namespace (unshare -m), so that the host's files are
# never changed (the same way as t-subids.sh).
# The scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"
# shellcheck source-path=SCRIPTDIR source=lib-fwd.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-fwd.sh"

# Root's ranges in the private files: uids 200000+65536, gids 300000+65536.
SUBUID='hckns-test:100000:65536\nroot:200000:65536\n'
SUBGID='hckns-test:100000:65536\n0:300000:65536\n'

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root: it is about root's instances (as a user, see not_for_users)"
}

# A host process of root's for the command to try to signal; sets VICTIM.
start_victim() {
	sleep 60 &
	VICTIM=$!
	at_exit "kill $VICTIM 2>/dev/null"
}

# IN: a directory the command writes its findings into, whoever it is
# (root's first subordinate id may not write to $TEST_TMP).
make_in() {
	IN=$TEST_TMP/in
	mkdir -p "$IN"
	chmod 0777 "$IN"
}

# $TEST_TMP/probe.sh DIR PID, the command: what it finds out, into DIR:
# ids, /etc/shadow, a signal to the host process PID, setgroups(2), the
# network, resolv.conf, and /etc once both mounts of the resolv.conf
# overlay are gone; then the lines given to write_probe.  In a file: the
# command lines of with_subids are one argument a line.
write_probe() { # [MORE-LINES]
	printf '%s\n%s\n' "$PROBE" "${1:-}" >"$TEST_TMP/probe.sh"
	chmod 0644 "$TEST_TMP/probe.sh"
}
PROBE='d=$1
cat /proc/self/uid_map /proc/self/gid_map >"$d/maps"
cat /proc/self/setgroups >"$d/setgroups"
echo "$(id -u) $(id -g)" >"$d/ids"
if cat /etc/shadow >/dev/null 2>"$d/shadow.err"; then echo readable; else echo refused; fi >"$d/shadow"
perl -e "kill(0, \$ARGV[0]) ? print qq(signalled\n) : print qq(\$!\n)" "$2" >"$d/kill"
setpriv --groups 1,0 id -G >"$d/groups" 2>&1
ip -j addr >"$d/addr.json"
cat /etc/resolv.conf >"$d/resolv"
if umount /etc && umount /etc; then
	cat /etc/resolv.conf >"$d/host-resolv" 2>/dev/null
	if cat /etc/shadow >/dev/null 2>&1; then echo readable; else echo refused; fi >"$d/host-shadow"
else
	echo "umount failed" >"$d/host-shadow"
fi'

# The default topology, as `ip -j addr` shows it: links and IPv4 addresses.
assert_default_topology() { # ADDR-JSON
	assert_eq "br_ctrl br_debug br_test br_world lo tap_host" \
		"$(jq -r '.[].ifname' "$1" | sort | xargs)" "links inside"
	assert_eq "br_ctrl 192.168.100.100/24
br_world 10.0.2.100/24
lo 127.0.0.1/8" "$(jq -r '.[] | .ifname as $n | .addr_info[] |
		select(.family == "inet") | "\($n) \(.local)/\(.prefixlen)"' "$1" | sort)" \
		"IPv4 addresses inside"
}

host_resolv() { cat /etc/resolv.conf 2>/dev/null; }

# ---- the default -------------------------------------------------------

test_default_root_is_host_root() {
	need_root
	start_victim
	make_in
	write_probe
	cd "$TEST_TMP" || fail "cd"
	timeout -k 5 30 "${H[@]}" -- sh "$TEST_TMP/probe.sh" "$IN" "$VICTIM" \
		>"$TEST_TMP/def.out" 2>"$TEST_TMP/def.err" </dev/null ||
		fail "hckns failed: $(cat "$TEST_TMP/def.err")"
	assert_eq "0 0 1 0 0 1" "$(xargs <"$IN/maps")" "uid_map and gid_map"
	assert_eq readable "$(cat "$IN/shadow")" "/etc/shadow inside"
	# Not by signals: host processes are outside its PID namespace.
	assert_eq "No such process" "$(cat "$IN/kill")" "kill -0 of host process $VICTIM"
	assert_eq "nameserver 10.0.2.3" "$(cat "$IN/resolv")" "resolv.conf"
	assert_eq "$(host_resolv)" "$(cat "$IN/host-resolv")" \
		"/etc/resolv.conf after umount /etc twice (the host's)"
	assert_eq readable "$(cat "$IN/host-shadow")" "/etc/shadow after umount /etc twice"
}

# ---- --map-root=subids --------------------------------------------------

test_subids_root_is_not_host_root() {
	local w port helper
	need_root
	start_victim
	make_in
	port=$(free_port) || fail "no free port"
	write_probe 'busybox nc -ll -p 8080 -e echo served-by-subids </dev/null &
: >"$d/ready"; i=0
while [ ! -e "$d/go" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done'
	cd "$TEST_TMP" || fail "cd"
	mapfile -t w < <(with_subids "$SUBUID" "$SUBGID" "${H[@]}" \
		-v --map-root=subids -p "tcp:$port:8080" -- sh "$TEST_TMP/probe.sh" \
		"$IN" "$VICTIM" "$MARK")
	spawn sub "${w[@]}"
	wait_for 20 test -e "$IN/ready" || fail "the command did not start: $(cat "$TEST_TMP/sub.err")"
	expect_answer "$port" served-by-subids
	helper=$(trace_pid "$TEST_TMP/sub.err" 'helper started, pid')
	assert_eq "200000 200000 200000 200000" \
		"$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$helper/status" | xargs)" \
		"the helper's uids outside"
	touch "$IN/go"
	finish "$SPAWNED" 20
	assert_eq 0 "$STATUS" "exit status ($(cat "$TEST_TMP/sub.err"))"
	assert_eq "0 200000 65536 0 300000 65536" "$(xargs <"$IN/maps")" \
		"uid_map and gid_map (host uid and gid 0 not in them)"
	assert_eq "0 0" "$(cat "$IN/ids")" "the command's uid and gid inside"
	assert_eq allow "$(cat "$IN/setgroups")" "/proc/self/setgroups"
	assert_eq "0 1" "$(xargs -n 1 <"$IN/groups" | sort -n | xargs)" \
		"groups after setgroups(2) inside"
	assert_eq refused "$(cat "$IN/shadow")" "/etc/shadow inside"
	assert_contains "$(cat "$IN/shadow.err")" "Permission denied" "cat /etc/shadow"
	case $(cat "$IN/kill") in
	"Operation not permitted" | "No such process") ;;
	*) fail "kill -0 of host process $VICTIM: expected EPERM or ESRCH, got '$(cat "$IN/kill")'" ;;
	esac
	assert_default_topology "$IN/addr.json"
	assert_eq "nameserver 10.0.2.3" "$(cat "$IN/resolv")" "resolv.conf"
	assert_eq refused "$(cat "$IN/host-shadow")" "/etc/shadow after umount /etc twice"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind"
	assert_no_instance_dir "$RT"
}

# The files a person looks at from outside: the command's uid is root's
# first subordinate id, and what it creates belongs to it.
test_subids_seen_from_outside() {
	local w
	need_root
	make_in
	cd "$TEST_TMP" || fail "cd"
	mapfile -t w < <(with_subids "$SUBUID" "$SUBGID" "${H[@]}" \
		--map-root=subids -- sh -c 'grep -E "^(Uid|Gid|Groups):" /proc/$$/status >"$1/status"; : >"$1/made"' \
		sh "$IN")
	timeout -k 5 30 "${w[@]}" >"$TEST_TMP/o.out" 2>"$TEST_TMP/o.err" </dev/null ||
		fail "hckns --map-root=subids failed: $(cat "$TEST_TMP/o.err")"
	assert_eq "200000:300000" "$(stat -c %u:%g "$IN/made")" "owner of a file it made, outside"
	assert_eq "Uid: 0 0 0 0 Gid: 0 0 0 0 Groups:" "$(xargs <"$IN/status")" \
		"its /proc status inside"
}

test_subids_errors() {
	local e=("${H[@]}") w
	need_root
	mapfile -t w < <(with_subids 'alice:100000:65536\n' "$SUBGID" \
		"${e[@]}" --map-root=subids -- /bin/true "$MARK")
	expect_error norange 125 "${w[@]}"
	assert_eq "hckns: no subordinate uid range for root in /etc/subuid: as root, run 'usermod --add-subuids 365536-431071 --add-subgids 365536-431071 root'" \
		"$MSG" "without a range"
	# Host uid 0 must stay out: a range over it is refused.
	mapfile -t w < <(with_subids 'root:0:65536\n' "$SUBGID" \
		"${e[@]}" --map-root=subids -- /bin/true "$MARK")
	expect_error overzero 125 "${w[@]}"
	assert_eq "hckns: the subordinate uid range of root in /etc/subuid, 0-65535, cannot be mapped: it contains your own uid 0, which --map-root=subids leaves unmapped; as root, give root another range in /etc/subuid" \
		"$MSG" "a range over uid 0"
	# A working directory only host root may enter.
	mkdir -p "$TEST_TMP/root-only"
	chmod 0700 "$TEST_TMP/root-only"
	mapfile -t w < <(with_subids "$SUBUID" "$SUBGID" sh -c 'cd "$1" && shift && exec "$@"' \
		sh "$TEST_TMP/root-only" "${e[@]}" --map-root=subids -- /bin/true "$MARK")
	expect_error cwd 125 "${w[@]}"
	assert_eq "hckns: cannot enter the working directory $TEST_TMP/root-only inside the namespaces: Permission denied; root inside is a subordinate id (--map-root=subids), not you: start hckns in a directory that id may enter" \
		"$MSG" "a working directory closed to the subordinate root"
	expect_error both 125 "${e[@]}" --map-root=subids --map-subids -- /bin/true "$MARK"
	assert_eq "hckns: --map-subids and --map-root=subids exclude each other: --map-root=subids maps your whole subordinate range already, from 0; give one of them" \
		"$MSG" "with --map-subids"
}

# The helper's uplink-add opens /dev/net/tun as a subordinate id: a mode that
# lets only root in is said before anything is made.
test_subids_tun_not_open_to_others() {
	local w
	need_root
	mknod -m 0660 "$TEST_TMP/tun" c 10 200 || skip "cannot make a device node in $TEST_TMP"
	mapfile -t w < <(with_subids "$SUBUID" "$SUBGID" sh -c \
		'mount --bind "$1" /dev/net/tun && shift && exec "$@"' sh "$TEST_TMP/tun" \
		"${H[@]}" --map-root=subids -- /bin/true "$MARK")
	expect_error tun 125 "${w[@]}"
	assert_eq "hckns: /dev/net/tun is mode 0660: with --map-root=subids the helper opens it as root's first subordinate id, a user other than root to it; as root, run 'chmod 0666 /dev/net/tun' (the usual default)" \
		"$MSG" "the message"
}

# Not for users: their instance's root is never host root.
test_not_for_users() {
	[ "$(id -u)" != 0 ] || skip "root may use it: see the subids_* tests"
	expect_error user 125 "${H[@]}" --map-root=subids -- /bin/true "$MARK"
	assert_eq "hckns: --map-root=subids is for root only: it keeps host root out of root's instances, and root of yours is you, never host root; leave it out (--map-subids gives you more ids)" \
		"$MSG" "the message"
}

# ---- joiners: the instance's choice, or none ---------------------------

# A command that holds its instance: `sh -c "$held_cmd" sh DIR` writes its
# uid and uid_map to DIR/up, then waits (20 s at most) for DIR/stop.
held_cmd='echo "$(id -u) $(xargs </proc/self/uid_map)" >"$1/up"; i=0; while [ ! -e "$1/stop" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done'

test_joiner_other_root_map_refused() {
	local w d=$TEST_TMP/in c1 c2
	need_root
	make_in
	cd "$TEST_TMP" || fail "cd"
	at_exit "touch '$d/stop'"
	# A default instance: a joiner asking for subids is refused.
	spawn c1 "${H[@]}" --name R -- sh -c "$held_cmd" sh "$d"
	c1=$SPAWNED
	wait_for 20 test -s "$d/up" || fail "instance R did not start: $(cat "$TEST_TMP/c1.err")"
	EXPECT_RT='' expect_error j1 125 "${H[@]}" --name R --map-root=subids -- /bin/true "$MARK"
	assert_eq "hckns: instance 'R' runs with --map-root self, not --map-root subids; join it without network or id options (or with the ones it was started with), or choose another --name" \
		"$MSG" "a subids joiner of a default instance"
	timeout -k 5 30 "${H[@]}" --name R --map-root=self -- true ||
		fail "a joiner with --map-root=self, the default's, was refused"
	touch "$d/stop"
	finish "$c1" 20
	assert_eq 0 "$STATUS" "exit status of instance R ($(cat "$TEST_TMP/c1.err"))"
	rm -f "$d/up" "$d/stop"

	# A subids instance: --map-root=self is refused; no option joins, as
	# the instance's root.
	mapfile -t w < <(with_subids "$SUBUID" "$SUBGID" "${H[@]}" --name S \
		--map-root=subids -- sh -c "$held_cmd" sh "$d")
	spawn c2 "${w[@]}"
	c2=$SPAWNED
	wait_for 20 test -s "$d/up" || fail "instance S did not start: $(cat "$TEST_TMP/c2.err")"
	assert_eq "0 0 200000 65536" "$(cat "$d/up")" "the creator inside"
	EXPECT_RT='' expect_error j2 125 "${H[@]}" --name S --map-root=self -- /bin/true "$MARK"
	assert_contains "$MSG" "instance 'S' runs with --map-root subids, not --map-root self" \
		"a self joiner of a subids instance"
	timeout -k 5 30 "${H[@]}" --name S -- sh -c 'echo "$(id -u) $(xargs </proc/self/uid_map)"; cat /etc/shadow >/dev/null 2>&1 || echo shadow-refused' \
		>"$TEST_TMP/j3.out" 2>"$TEST_TMP/j3.err" </dev/null ||
		fail "a joiner without options failed: $(cat "$TEST_TMP/j3.err")"
	assert_eq "0 0 200000 65536
shadow-refused" "$(cat "$TEST_TMP/j3.out")" \
		"a joiner without options: root inside, not host root"
	timeout -k 5 30 "${H[@]}" --name S --map-root=subids -- true ||
		fail "a joiner with the instance's --map-root=subids was refused"
	touch "$d/stop"
	finish "$c2" 20
	assert_eq 0 "$STATUS" "exit status of instance S ($(cat "$TEST_TMP/c2.err"))"
}

# ---- hckns doctor ------------------------------------------------------

ROOT_NOTE="note root's instances map root inside to host root by default: the command is uid 0 outside with every capability over the instance's namespaces (it can read /etc/shadow, write root's files, unmount the overlay on /etc and see the host's /etc); --map-root=subids makes root inside root's first subordinate id instead, host uid 0 unmapped (for untrusted guests)"

doctor_in() { # NAME SUBUID SUBGID
	local w
	cd "$TEST_TMP" || fail "cd"
	mapfile -t w < <(with_subids "$2" "$3" "$HCKNS" doctor)
	timeout -k 5 30 "${w[@]}" >"$TEST_TMP/$1.out" 2>"$TEST_TMP/$1.err" </dev/null
	OUT=$(cat "$TEST_TMP/$1.out")
}

test_doctor_root_note() {
	local tun
	if [ "$(id -u)" != 0 ]; then
		timeout -k 5 30 "$HCKNS" doctor >"$TEST_TMP/d.out" 2>&1 </dev/null
		assert_not_contains "$(cat "$TEST_TMP/d.out")" "root's instances" \
			"hckns doctor as $(id -un)"
		return 0
	fi
	tun=$(stat -c %a /dev/net/tun)
	[ "$tun" = 666 ] || skip "/dev/net/tun is mode $tun, so the note says more (run-all.sh makes it 0666)"
	doctor_in have "$SUBUID" "$SUBGID"
	assert_contains "$OUT" "$ROOT_NOTE: root has subordinate uids 200000-265535 and gids 300000-365535 for it
" "the note, root with ranges"
	# Past every line of both files, whoever's: no overlap.
	doctor_in none 'alice:100000:65536\nbob:300000:10\n' 'carol:500000:65536\n# x:900000:1\n'
	assert_contains "$OUT" "$ROOT_NOTE: root has no subordinate range for it; run 'usermod --add-subuids 565536-631071 --add-subgids 565536-631071 root' (a range no line of /etc/subuid or /etc/subgid overlaps)
" "the note, root without ranges"
	doctor_in zero 'root:0:65536\n' "$SUBGID"
	assert_contains "$OUT" "$ROOT_NOTE: it cannot work yet: the subordinate uid range of root in /etc/subuid, 0-65535, cannot be mapped: it contains your own uid 0, which --map-root=subids leaves unmapped" \
		"the note, root's range over uid 0"
}

# ---- forwards: loopback is every local user's --------------------------

# A forward on 127.0.0.1 (the default) answers any local user, here
# nobody: the loopback has no per-user access control.  A unix socket in
# a directory only its owner may enter, which a service inside can listen
# on instead (SECURITY.md recommends it), refuses nobody and serves root.
test_forward_open_to_every_local_user() {
	local port d=$TEST_TMP/private as_nobody
	[ "$(id -u)" = 0 ] || skip "needs root: to connect as another user (uid 65534)"
	as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	"${as_nobody[@]}" true || skip "cannot run a command as uid 65534"
	port=$(free_port) || fail "no free port"
	mkdir -p "$d"
	chmod 0700 "$d"
	cat >"$TEST_TMP/userve.pl" <<'PERL'
use strict;
use IO::Socket::UNIX;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 5)
	or die "userve: $!\n";
alarm 30;
for (1 .. 5) { my $c = $s->accept or last; print $c "unix-answer\n"; close $c; }
PERL
	cat >"$TEST_TMP/uask.pl" <<'PERL'
use strict;
use IO::Socket::UNIX;
my $c = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0])
	or do { print "$!\n"; exit 0 };
print scalar <$c>;
PERL
	chmod 0644 "$TEST_TMP/userve.pl" "$TEST_TMP/uask.pl"
	make_in
	cd "$TEST_TMP" || fail "cd"
	spawn fw "${H[@]}" -p "$port:8080" -- sh -c '
		busybox nc -ll -p 8080 -e echo tcp-answer </dev/null &
		perl "$1/userve.pl" "$2/sock" &
		i=0; while [ ! -S "$2/sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
		: >"$3/ready"; i=0
		while [ ! -e "$3/go" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done' \
		sh "$TEST_TMP" "$d" "$IN" "$MARK"
	wait_for 20 test -e "$IN/ready" || fail "the command did not start: $(cat "$TEST_TMP/fw.err")"
	expect_answer "$port" tcp-answer
	assert_eq tcp-answer "$("${as_nobody[@]}" busybox nc 127.0.0.1 "$port" </dev/null 2>&1)" \
		"uid 65534 through the forward on 127.0.0.1:$port"
	assert_eq "Permission denied" "$("${as_nobody[@]}" perl "$TEST_TMP/uask.pl" "$d/sock")" \
		"uid 65534 on the unix socket in a private directory"
	assert_eq unix-answer "$(perl "$TEST_TMP/uask.pl" "$d/sock")" \
		"its owner on the unix socket"
	touch "$IN/go"
	finish "$SPAWNED" 20
	assert_eq 0 "$STATUS" "exit status ($(cat "$TEST_TMP/fw.err"))"
}
