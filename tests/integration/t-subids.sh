# --map-subids: the caller's first ranges of /etc/subuid and /etc/subgid
# become ids 1..N inside, through newuidmap and newgidmap (as root, written
# by hckns itself), and setgroups(2) works inside; without it, setgroups(2)
# is refused.  Errors are one line, exit 125, nothing left behind.
#
# run-all.sh gives its unprivileged user a range.  As root, the tests put
# files of their own on /etc/subuid and /etc/subgid in a private mount
# namespace (unshare -m), so that the host's files are never changed.
# The scripts run inside are single-quoted on purpose: they expand there.
# shellcheck disable=SC2016
# shellcheck source-path=SCRIPTDIR source=lib-procs.sh disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/lib-procs.sh"

MARK="hckns-subids-mark-$$"
ME=$(id -un 2>/dev/null || id -u)

# The first range of this user in FILE, as "START COUNT" (by name or uid,
# like hckns and shadow); nothing when there is none.
first_range() { # FILE
	awk -F: -v n="$ME" -v u="$(id -u)" \
		'NF == 3 && ($1 == n || $1 == u) { print $2, $3; exit }' \
		"$1" 2>/dev/null
}

# need_range: an unprivileged caller with ranges in both files; sets
# UID_START UID_COUNT GID_START GID_COUNT.
need_range() {
	[ "$(id -u)" != 0 ] || skip "root writes its maps itself: see the root_* tests"
	read -r UID_START UID_COUNT < <(first_range /etc/subuid)
	read -r GID_START GID_COUNT < <(first_range /etc/subgid)
	if [ -z "${UID_START:-}" ] || [ -z "${GID_START:-}" ]; then
		skip "$ME has no subordinate range in /etc/subuid and /etc/subgid (run-all.sh, as root, gives its test user one)"
	fi
}

# expect_error (lib-procs.sh) also checks that no runtime directory is
# left in the private TMPDIR of rt_env.
# shellcheck disable=SC2034 # read by expect_error
EXPECT_RT=${TEST_TMP:-}/rt

# A runtime base of its own, so that nothing left can hide among others.
rt_env() { printf '%s\n' env -u XDG_RUNTIME_DIR "TMPDIR=$(private_tmpdir rt)"; }

# A PATH directory with links to slirp4netns and the given commands only.
bin_with() { # NAME COMMAND...
	local dir=$TEST_TMP/$1 c p
	shift
	mkdir -p "$dir"
	for c in slirp4netns "$@"; do
		p=$(command -v "$c") || fail "$c not found"
		ln -sf "$p" "$dir/$c"
	done
	chmod 0755 "$dir"
	echo "$dir"
}

# ---- any user ------------------------------------------------------------

# Without --map-subids, one id each and setgroups(2) denied: the contrast
# that shows --map-subids does something.
test_without_subids_setgroups_is_refused() {
	inside plain 'cat /proc/self/uid_map >uid_map; cat /proc/self/setgroups >setgroups
		setpriv --groups 0 true 2>setpriv.err; echo $? >setpriv.rc'
	assert_eq "0 $(id -u) 1" "$(xargs <"$TEST_TMP/uid_map")" "uid_map without --map-subids"
	assert_eq deny "$(cat "$TEST_TMP/setgroups")" "/proc/self/setgroups"
	[ "$(cat "$TEST_TMP/setpriv.rc")" != 0 ] ||
		fail "setgroups(2) succeeded inside without --map-subids"
	assert_contains "$(cat "$TEST_TMP/setpriv.err")" "Operation not permitted" \
		"setpriv's error without --map-subids"
}

# ---- an unprivileged user with a range ------------------------------------

test_subids_mapped_and_setgroups_works() {
	need_range
	inside subids 'cat /proc/self/uid_map >uid_map; cat /proc/self/gid_map >gid_map
		cat /proc/self/setgroups >setgroups; id -u >id_u
		setpriv --groups 1,0 id -G >groups
		setpriv --reuid 1 --regid 1 --clear-groups sh -c "id -u; id -g" >sub_ids' --map-subids
	assert_eq "0 $(id -u) 1 1 $UID_START $UID_COUNT" "$(xargs <"$TEST_TMP/uid_map")" \
		"uid_map with --map-subids"
	assert_eq "0 $(id -g) 1 1 $GID_START $GID_COUNT" "$(xargs <"$TEST_TMP/gid_map")" \
		"gid_map with --map-subids"
	assert_eq allow "$(cat "$TEST_TMP/setgroups")" "/proc/self/setgroups"
	assert_eq 0 "$(cat "$TEST_TMP/id_u")" "the command's uid inside"
	assert_eq "0 1" "$(xargs -n 1 <"$TEST_TMP/groups" | sort -n | xargs)" \
		"groups after setgroups(2) inside"
	assert_eq "1 1" "$(xargs <"$TEST_TMP/sub_ids")" "ids after switching to uid and gid 1"
	assert_eq "" "$(hckns_lines "$TEST_TMP/subids.err")" "messages from hckns"
}

# A process that became a subordinate uid is still the instance's: seen
# from outside as UID_START, and killed at the end like any other.
test_subids_process_of_subordinate_uid_is_swept() {
	local d=$TEST_TMP pid uid
	need_range
	cd "$TEST_TMP" || fail "cd $TEST_TMP"
	spawn run "$HCKNS" -v --map-subids -- sh -c "
		setpriv --reuid 1 --regid 1 --clear-groups sh -c 'sleep 1000; :' $MARK &
		echo \$! \$(readlink /proc/self/ns/pid) >'$d/sub.pid'; i=0
		while [ ! -e '$d/go' ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done"
	wait_for 15 test -s "$d/sub.pid" || fail "the command did not start: $(cat "$d/run.err")"
	pid=$(outer_pid "$d/sub.pid")
	wait_for 5 sh -c "grep -q '^Uid:[[:space:]]*$UID_START' /proc/$pid/status" ||
		fail "process $pid is not uid $UID_START outside: $(grep Uid "/proc/$pid/status")"
	hold_userns "$pid"
	uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
	assert_eq "$UID_START" "$uid" "the outside uid of uid 1 inside"
	touch "$d/go"
	finish "$SPAWNED" 20
	assert_eq 0 "$STATUS" "exit status"
	wait_instance_gone 5 "$TEST_TMP/run.err" "$INODE"
	assert_eq "" "$(pids_with_arg "$MARK")" "processes left behind"
}

test_subids_tools_missing() {
	local e dir
	need_range
	mapfile -t e < <(rt_env)
	dir=$(bin_with nouidmap)
	expect_error nouid 125 "${e[@]}" PATH="$dir" "$HCKNS" --map-subids -- /bin/true "$MARK"
	assert_eq "hckns: newuidmap not found: install the uidmap package (apt install uidmap)" \
		"$MSG" "the message"
	dir=$(bin_with nogidmap newuidmap)
	expect_error nogid 125 "${e[@]}" PATH="$dir" "$HCKNS" --map-subids -- /bin/true "$MARK"
	assert_eq "hckns: newgidmap not found: install the uidmap package (apt install uidmap)" \
		"$MSG" "the message"
}

# The tool's refusal, in its own words, on the one line.
test_subids_tool_refuses() {
	local e dir
	need_range
	mapfile -t e < <(rt_env)
	dir=$(bin_with refuse newgidmap)
	cat >"$dir/newuidmap" <<'EOF'
#!/bin/sh
echo "newuidmap: uid range [1-65537) -> [100000-165536) not allowed" >&2
exit 1
EOF
	chmod 0755 "$dir/newuidmap"
	expect_error refuse 125 "${e[@]}" PATH="$dir" "$HCKNS" --map-subids -- /bin/true "$MARK"
	assert_eq "hckns: newuidmap refused to map the subordinate uids $UID_START-$((UID_START + UID_COUNT - 1)) (exited with status 1): newuidmap: uid range [1-65537) -> [100000-165536) not allowed" \
		"$MSG" "the message"
}

# A tool that hangs is killed after 5 s; one that exits while a child of
# its own holds its output open is not waited for beyond its exit.
test_subids_tool_bounded_wait() {
	local e dir start took
	need_range
	mapfile -t e < <(rt_env)
	dir=$(bin_with hang newgidmap)
	printf '#!/bin/sh\necho stuck >&2\nexec sleep 60\n' >"$dir/newuidmap"
	chmod 0755 "$dir/newuidmap"
	start=$(date +%s)
	expect_error hang 125 "${e[@]}" PATH="$dir" "$HCKNS" --map-subids -- /bin/true "$MARK"
	took=$(( $(date +%s) - start ))
	assert_eq "hckns: $dir/newuidmap did not finish within 5 s and was killed: stuck" \
		"$MSG" "the message"
	[ "$took" -lt 15 ] || fail "hckns took $took s"

	dir=$(bin_with child newgidmap)
	cat >"$dir/newuidmap" <<EOF
#!/bin/sh
sleep 60 &
echo \$! >'$TEST_TMP/child.pid'
echo 'gone, my child stays' >&2
exit 1
EOF
	chmod 0755 "$dir/newuidmap"
	at_exit "[ -s '$TEST_TMP/child.pid' ] && kill \$(cat '$TEST_TMP/child.pid')"
	start=$(date +%s)
	expect_error child 125 "${e[@]}" PATH="$dir" "$HCKNS" --map-subids -- /bin/true "$MARK"
	took=$(( $(date +%s) - start ))
	assert_contains "$MSG" "(exited with status 1): gone, my child stays" "the message"
	[ "$took" -lt 4 ] || fail "hckns waited $took s for a child of the tool"
}

# For an unprivileged user without a range; run-all.sh's user has one, and
# root tests this message through a private /etc/subuid (root_user_*).
test_subids_no_range() {
	local e range
	[ "$(id -u)" != 0 ] || skip "root: see test root_user_without_range"
	[ -z "$(first_range /etc/subuid)" ] ||
		skip "$ME has a subordinate uid range; root tests this message"
	mapfile -t e < <(rt_env)
	expect_error norange 125 "${e[@]}" "$HCKNS" --map-subids -- /bin/true "$MARK"
	# The range proposed overlaps no line of either file.
	range=$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: '
		BEGIN { end = 100000 }
		NF == 3 && $2 + $3 > end { end = $2 + $3 }
		END { print end "-" end + 65535 }')
	assert_eq "hckns: no subordinate uid range for $ME in /etc/subuid: as root, run 'usermod --add-subuids $range --add-subgids $range $ME'" \
		"$MSG" "the message"
}

# ---- as root, through private /etc/subuid and /etc/subgid -----------------

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (to put a private /etc/subuid in a mount namespace)"
}

# Root writes "0 0 1" and its own range itself: no newuidmap needed, and
# the map is never the identity that the helper refuses to run in.
test_root_subids_from_roots_range() {
	local w dir
	need_root
	dir=$(bin_with rootbin sh cat id setpriv sort)
	mapfile -t w < <(with_subids 'alice:100000:65536\nroot:200000:65536\n' \
		'0:300000:1000\n' env PATH="$dir" "$HCKNS" --map-subids -- sh -c \
		'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; setpriv --groups 1,0 id -G')
	cd "$TEST_TMP" || fail "cd"
	timeout -k 5 30 "${w[@]}" >"$TEST_TMP/root.out" 2>"$TEST_TMP/root.err" </dev/null ||
		fail "hckns --map-subids as root failed: $(cat "$TEST_TMP/root.err")"
	assert_eq "0 0 1 1 200000 65536 0 0 1 1 300000 1000 allow 0 1" \
		"$(xargs <"$TEST_TMP/root.out")" "maps, setgroups and groups inside"
}

test_root_without_range() {
	local e w
	need_root
	mapfile -t e < <(rt_env)
	mapfile -t w < <(with_subids 'alice:100000:65536\n' 'root:100000:65536\n' \
		"${e[@]}" "$HCKNS" --map-subids -- /bin/true "$MARK")
	expect_error norange 125 "${w[@]}"
	# Past alice's range, which the range proposed must not overlap.
	assert_eq "hckns: no subordinate uid range for root in /etc/subuid: as root, run 'usermod --add-subuids 165536-231071 --add-subgids 165536-231071 root'" \
		"$MSG" "the message"
	mapfile -t w < <(with_subids 'root:100000:65536\n' '' \
		"${e[@]}" "$HCKNS" --map-subids -- /bin/true "$MARK")
	expect_error nogrange 125 "${w[@]}"
	assert_eq "hckns: no subordinate gid range for root in /etc/subgid: as root, run 'usermod --add-subgids 165536-231071 root'" \
		"$MSG" "the message"
}

test_root_range_over_own_id() {
	local e w
	need_root
	mapfile -t e < <(rt_env)
	mapfile -t w < <(with_subids 'root:0:65536\n' 'root:100000:65536\n' \
		"${e[@]}" "$HCKNS" --map-subids -- /bin/true "$MARK")
	expect_error overlap 125 "${w[@]}"
	assert_eq "hckns: the subordinate uid range of root in /etc/subuid, 0-65535, cannot be mapped: it contains your own uid 0, which is mapped to 0; as root, give root another range in /etc/subuid" \
		"$MSG" "the message"
}

# The unprivileged path's message, for run-all.sh's user, whose real
# range is hidden by an empty private /etc/subuid.
test_root_user_without_range() {
	local e w user=${HCKNS_TEST_USER:-hckns-test}
	need_root
	id "$user" >/dev/null 2>&1 || skip "no user $user (run-all.sh creates it)"
	setpriv --reuid="$user" --regid="$user" --clear-groups test -x "$HCKNS" ||
		skip "$user cannot run $HCKNS (run-all.sh stages it where it can)"
	# Root's, sticky, like /tmp: the user may put its runtime base there.
	chmod 1777 "$(private_tmpdir rt)"
	mapfile -t e < <(rt_env)
	mapfile -t w < <(with_subids '' '' setpriv --reuid="$user" --regid="$user" \
		--clear-groups "${e[@]}" "$HCKNS" --map-subids -- /bin/true "$MARK")
	expect_error usernorange 125 "${w[@]}"
	assert_eq "hckns: no subordinate uid range for $user in /etc/subuid: as root, run 'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $user'" \
		"$MSG" "the message"
}
