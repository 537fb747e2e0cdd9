# Another local user (the attacker, hckns-evil) who gets to the shared
# directories first (SECURITY.md, "Another local user"): plants a runtime
# base where a victim's would go (a directory of its own, or a link to the
# victim's files), runs its own instance under the victim's instance name,
# or offers its keeper's socket.  The victims: hckns-test and root.  Each
# refusal is one line naming the path, its owner and what to do; nothing of
# the victim's is deleted; nobody joins the attacker's instance.
#
# The test plays three users, so it needs root: in the suite's pass as the
# unprivileged user it is skipped (the root pass runs every case with
# hckns-test as a victim, through setpriv).
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"

EVIL=${HCKNS_EVIL_USER:-hckns-evil}
VICTIM=${HCKNS_TEST_USER:-hckns-test}
MARK="hckns-test-mark-$$"

need_users() {
	[ "$(id -u)" = 0 ] ||
		skip "plays the attacker and the victims: runs in the root pass (victims root and $VICTIM)"
	id "$EVIL" >/dev/null 2>&1 || skip "no user $EVIL (run-all.sh creates it)"
	id "$VICTIM" >/dev/null 2>&1 || skip "no user $VICTIM (run-all.sh creates it)"
	EUID_=$(id -u "$EVIL")
	VUID=$(id -u "$VICTIM")
	# A /tmp of the test's own: root's, world-writable, sticky.
	SH=$TEST_TMP/shared
	mkdir -p "$SH" && chmod 1777 "$SH"
}

# as USER COMMAND...: run COMMAND as USER with a clean environment, TMPDIR
# the shared directory, no XDG_RUNTIME_DIR.
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		HOME=/ TMPDIR="$SH" "$@"
}

# refused NAME STATUS WANT USER HCKNS-ARGS...: hckns as USER fails with
# STATUS and the one line WANT on stderr.
refused() {
	local name=$1 status=$2 want=$3 u=$4
	shift 4
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	run "$name" 30 as "$u" "$HCKNS" "$@"
	assert_eq "$status" "$STATUS" "exit status of hckns $* as $u ($(cat "$TEST_TMP/$name.err"))"
	assert_contains "$(cat "$TEST_TMP/$name.err")" "$want" "what hckns $* says as $u"
	assert_one_line "$TEST_TMP/$name.err" "hckns $*"
}

# The attacker's directory where the victim's base goes: every subcommand
# refuses it, naming the path and its owner.
test_planted_base_directory() {
	local base want
	need_users
	base=$SH/hckns-$VUID
	as "$EVIL" mkdir -m 0700 "$base" || fail "plant $base"
	as "$EVIL" mkdir -m 0700 "$base/autohck" || fail "plant $base/autohck"
	want="hckns: runtime directory $base belongs to uid $EUID_ ($EVIL), not to you: remove it (as its owner or root), or set XDG_RUNTIME_DIR to a directory of yours (mode 0700)"
	refused create 125 "$want" "$VICTIM" --name autohck -- true "$MARK"
	refused unnamed 125 "$want" "$VICTIM" -- true "$MARK"
	refused enter 125 "$want" "$VICTIM" enter autohck -- true
	refused ls 125 "$want" "$VICTIM" ls
	refused stop 125 "$want" "$VICTIM" stop autohck
	refused fwd 125 "$want" "$VICTIM" fwd list --instance autohck
	run doctor 30 as "$VICTIM" "$HCKNS" doctor
	assert_contains "$(cat "$TEST_TMP/doctor.out")" "FAIL runtime directory: runtime directory $base belongs to uid $EUID_ ($EVIL)" "hckns doctor"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left"
	[ -d "$base/autohck" ] || fail "the attacker's directory was changed"
}

# A link to the victim's own files where the victim's base goes: refused,
# never followed, and nothing the link leads to is removed.
test_planted_base_link() {
	local base victim_dir d
	need_users
	base=$SH/hckns-$VUID
	victim_dir=$TEST_TMP/victim-files
	mkdir -p "$victim_dir"
	for d in 111 222 stale; do mkdir -p "$victim_dir/$d"; done
	chown -R "$VICTIM" "$victim_dir" && chmod -R 0700 "$victim_dir"
	as "$EVIL" ln -s "$victim_dir" "$base" || fail "plant the link"
	refused link 125 "hckns: runtime directory $base is a symbolic link of uid $EUID_ ($EVIL), not a directory of yours" \
		"$VICTIM" -- true "$MARK"
	for d in 111 222 stale; do
		[ -d "$victim_dir/$d" ] || fail "$victim_dir/$d was removed"
	done
	# Root is never sent to a directory others can write: the shared
	# one is ignored (/run/hckns), the link there changes nothing.
	as "$EVIL" ln -s "$victim_dir" "$SH/hckns-0" || fail "plant the link for root"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	keep_run_hckns
	run rootrun 30 env -u XDG_RUNTIME_DIR TMPDIR="$SH" "$HCKNS" -v -- true "$MARK"
	assert_eq 0 "$STATUS" "root's hckns ($(hckns_lines "$TEST_TMP/rootrun.err"))"
	grep -q "runtime base: /run/hckns\$" "$TEST_TMP/rootrun.err" ||
		fail "root's base is not /run/hckns: $(grep 'runtime base' "$TEST_TMP/rootrun.err")"
	for d in 111 222 stale; do
		[ -d "$victim_dir/$d" ] || fail "$victim_dir/$d was removed by root's run"
	done
}

# /run/hckns is root's base when its TMPDIR is shared; remove it after the
# test when it was not there before (with the name locks it keeps).
keep_run_hckns() {
	[ -e /run/hckns ] || at_exit "rm -rf /run/hckns"
}

# The reproduction: the attacker runs an instance named autohck whose
# command puts a script over /usr/bin/id, and links its base where root's
# and the victim's would go.  Root's `hckns --name autohck -- id -u` gets
# an instance of its own (uid 0, the real id); the script never runs as
# root; the user is refused; the attacker's instance is untouched.
test_attackers_instance_not_joined() {
	local evil evil_base pwned=$TEST_TMP/rootonly/pwned fake
	need_users
	mkdir -m 0700 "$TEST_TMP/rootonly"
	fake=$SH/evil-id
	printf '#!/bin/sh\ntouch %s\necho 4242\n' "$pwned" >"$fake"
	chmod 0755 "$fake" && chown "$EVIL" "$fake"
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn evil as "$EVIL" "$HCKNS" --name autohck -- sh -c \
		'mount --bind "$1" /usr/bin/id && touch "$2.ready" && sleep 30' sh "$fake" "$SH/evil" "$MARK"
	evil=$SPAWNED
	at_exit "kill $evil 2>/dev/null"
	wait_for 15 test -e "$SH/evil.ready" || fail "the attacker's instance did not start: $(cat "$TEST_TMP/evil.err")"
	evil_base=$SH/hckns-$EUID_
	as "$EVIL" ln -s "$evil_base" "$SH/hckns-0" || fail "plant for root"
	as "$EVIL" ln -s "$evil_base" "$SH/hckns-$VUID" || fail "plant for $VICTIM"
	keep_run_hckns
	run rootid 30 env -u XDG_RUNTIME_DIR TMPDIR="$SH" "$HCKNS" --name autohck -- id -u
	assert_eq 0 "$STATUS" "root's hckns --name autohck ($(cat "$TEST_TMP/rootid.err"))"
	assert_eq 0 "$(cat "$TEST_TMP/rootid.out")" "id -u in root's instance"
	[ ! -e "$pwned" ] || fail "the attacker's script ran as root"
	refused victimid 125 "hckns: runtime directory $SH/hckns-$VUID is a symbolic link of uid $EUID_ ($EVIL)" \
		"$VICTIM" --name autohck -- id -u
	alive "$evil" || fail "the attacker's instance ended: $(cat "$TEST_TMP/evil.err")"
}

# A keeper of another user behind a directory of the victim's (its socket
# linked in by root, the lock held): the victim's client refuses it by
# SO_PEERCRED; and a keeper refuses a client of another uid.
test_foreign_keeper_refused() {
	local vt vbase fake evil_sock reply
	need_users
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn evil as "$EVIL" "$HCKNS" --name x -- sh -c 'touch "$1" && sleep 30' sh "$SH/evil.ready" "$MARK"
	at_exit "kill $SPAWNED 2>/dev/null"
	wait_for 15 test -e "$SH/evil.ready" || fail "the attacker's instance did not start: $(cat "$TEST_TMP/evil.err")"
	evil_sock=$SH/hckns-$EUID_/x/keeper.sock
	# Anyone may connect to it, as the attacker would make it.
	as "$EVIL" chmod 0777 "$evil_sock" || fail "chmod $evil_sock"
	# The victim's own base, made by hckns itself.
	vt=$TEST_TMP/victim-tmp
	mkdir -m 0700 "$vt" && chown "$VICTIM" "$vt"
	setpriv --reuid="$VICTIM" --regid="$VICTIM" --init-groups env -i \
		PATH=/usr/bin:/bin TMPDIR="$vt" "$HCKNS" -- true || fail "the victim cannot run hckns"
	vbase=$vt/hckns-$VUID
	fake=$vbase/fake
	mkdir -m 0700 "$fake" && ln "$evil_sock" "$fake/keeper.sock" && : >"$fake/lock" &&
		chown "$VICTIM" "$fake" "$fake/lock" || fail "set up $fake"
	spawn holder setpriv --reuid="$VICTIM" --regid="$VICTIM" --init-groups \
		flock "$fake/lock" sleep 20
	at_exit "kill $SPAWNED 2>/dev/null"
	wait_for 5 sh -c "! flock -n '$fake/lock' true" || fail "the lock is not held"
	SH=$vt refused enterfake 125 "hckns: the keeper of instance 'fake' ($fake/keeper.sock) is not yours: refusing it" \
		"$VICTIM" enter fake -- true
	SH=$vt refused stopfake 125 "hckns: the keeper of instance 'fake' ($fake/keeper.sock) is not yours: refusing it" \
		"$VICTIM" stop fake
	# The keeper's side: root asks the attacker's keeper; no answer, only
	# EOF.  The attacker itself gets its answer (the same bytes).
	reply=$(keeper_query "$evil_sock")
	assert_eq "eof" "$reply" "the attacker's keeper's answer to root"
	reply=$(as "$EVIL" ruby "$TEST_TMP/query.rb" "$evil_sock")
	assert_eq "answer" "$reply" "the attacker's keeper's answer to the attacker"
}

# keeper_query SOCKET: send a QUERY (struct fe_keeper_msg, type 8, 32
# bytes) and say "answer" or "eof".
keeper_query() {
	cat >"$TEST_TMP/query.rb" <<'RUBY'
require 'socket'
s = Socket.new(:UNIX, :SEQPACKET)
s.connect(Socket.sockaddr_un(ARGV[0]))
# A keeper that refuses closes at once: the write or the read may fail.
begin
  s.write([8].pack("L") + "\0" * 28)
  puts(IO.select([s], nil, nil, 5) && !s.recv(64).empty? ? 'answer' : 'eof')
rescue Errno::ECONNRESET, Errno::EPIPE
  puts 'eof'
end
RUBY
	chmod 0644 "$TEST_TMP/query.rb"
	ruby "$TEST_TMP/query.rb" "$1"
}
