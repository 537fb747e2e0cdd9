#!/bin/bash
# The Debian package, as `make check` runs it as root (`make check-package`;
# README.md, "Install as a package"; issue 14): build it from a copy of the
# tree with `dpkg-buildpackage -us -uc -b`, lintian it, install it with
# `apt-get install ./hckns_*.deb`, run the installed hckns as root and as
# the unprivileged user hckns-test (created as run-all.sh does) -- `hckns
# doctor`, `hckns -- true`, one forward, `hckns ls` empty, no process or
# runtime directory left -- then `apt-get purge` it and check that nothing
# of it remains.
#
# It changes this machine (installs and purges a package, may create
# hckns-test and set /dev/net/tun to 0666), so it runs as root only: as
# another user it skips, saying so.  It refuses to run when a hckns package
# is installed (or its files are there), rather than clobber it.  Traffic:
# 127.0.0.1 on the host and addresses inside the instance only.  Ends with
# "package: N passed, N failed"; exits non-zero when a check failed.
# The checks are functions that check() calls (SC2317), and single quotes
# keep a $ for the shell or the file they reach (SC2016):
# shellcheck disable=SC2317,SC2016
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
test_user=${HCKNS_TEST_USER:-hckns-test}
PATH_SAFE=/usr/bin:/bin:/usr/sbin:/sbin	# no /usr/local: the package's hckns only

passed=0 failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
closing() {
	echo "package: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}
# check WHAT COMMAND...: one check; on failure, the end of its output.
check() {
	local what=$1
	shift
	if "$@" >"$stage/check.log" 2>&1; then
		pass "$what"
	else
		fail "$what: $(tail -n 8 "$stage/check.log" | tr '\n' '|')"
	fi
}

if [ "$(id -u)" != 0 ]; then
	echo "package: skipped: building, installing and purging the Debian package needs root (make check as root, as CI runs it, does it)"
	echo "package: 0 passed, 0 failed, 1 skipped"
	exit 0
fi

stage=$(mktemp -d /tmp/hckns-package.XXXXXX)
# apt's _apt user reads the .deb from here.
chmod 0755 "$stage"
installed=0 bg_pid=
cleanup() {
	if [ -n "$bg_pid" ] && kill -0 "$bg_pid" 2>/dev/null; then
		kill -TERM "$bg_pid" 2>/dev/null
	fi
	if [ "$installed" = 1 ] && dpkg-query -W -f='${db:Status-Abbrev}' hckns 2>/dev/null | grep -q '^[a-z]i'; then
		echo "package: purging hckns after an unfinished test"
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q hckns >/dev/null 2>&1
	fi
	rm -rf "$stage"
}
trap cleanup EXIT

# ---- refuse rather than clobber ------------------------------------------

status=$(dpkg-query -W -f='${db:Status-Abbrev}' hckns 2>/dev/null)
if [ -n "$status" ] && [ "$status" != "un " ]; then
	fail "refusing to test the package: a hckns package is on this machine (dpkg status '${status% }'); this test installs and purges its own: remove it first (apt-get purge hckns)"
	closing
fi
for f in /usr/bin/hckns /usr/libexec/hckns/hckns-helper /etc/apparmor.d/hckns; do
	if [ -e "$f" ]; then
		fail "refusing to test the package: $f exists (a 'make install PREFIX=/usr'?) and installing the package would overwrite it: remove it first (make uninstall uninstall-apparmor PREFIX=/usr)"
		closing
	fi
done

# ---- build ---------------------------------------------------------------

version=$(sed -n 's/^VERSION *:= *//p' "$top/Makefile")
arch=$(dpkg --print-architecture)
deb=hckns_${version}_${arch}.deb
check "debian/changelog's version is the Makefile's ($version)" \
	test "$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)" = "$version"

# A copy of the tree without its build directories: dpkg-buildpackage
# writes its results beside the source directory, and this leaves the
# tree as it was.  Make's own variables (a `make asan`'s BUILDDIR, CC,
# SANITIZE) must not reach debian/rules.
mkdir -p "$stage/src"
tar -C "$top" --exclude=./.git --exclude=./build --exclude='./build-*' \
	--exclude=./tests/fuzz/build --exclude=./debian/build -cf - . |
	tar -C "$stage/src" -xf -
echo "package: building $deb (dpkg-buildpackage -us -uc -b; log in the failure below if it fails)"
if (cd "$stage/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	dpkg-buildpackage -us -uc -b) >"$stage/build.log" 2>&1 && [ -f "$stage/$deb" ]; then
	pass "dpkg-buildpackage -us -uc -b builds $deb"
else
	fail "dpkg-buildpackage -us -uc -b: $(grep -E 'error|Error|unmet|dpkg-checkbuilddeps' "$stage/build.log" | tail -n 8 | tr '\n' '|') (make deps installs the build dependencies)"
	closing
fi

contents() { dpkg-deb -c "$stage/$deb" | awk '{ print $6 }'; }
has_all_paths() {
	local p list
	list=$(contents)
	for p in ./usr/bin/hckns ./usr/libexec/hckns/hckns-helper \
		./usr/share/man/man1/hckns.1.gz \
		./usr/share/bash-completion/completions/hckns \
		./etc/apparmor.d/hckns ./usr/share/doc/hckns/copyright \
		./usr/share/doc/hckns/README.md.gz ./usr/share/doc/hckns/SECURITY.md.gz \
		./usr/share/doc/hckns/design.md.gz; do
		grep -qxF "$p" <<<"$list" || { echo "missing: $p"; return 1; }
	done
}
check "the package holds hckns, its helper, the man page, the completion, the AppArmor profile, the documentation" \
	has_all_paths
depends_right() {
	local dep rec
	dep=$(dpkg-deb -f "$stage/$deb" Depends)
	rec=$(dpkg-deb -f "$stage/$deb" Recommends)
	echo "Depends: $dep; Recommends: $rec"
	grep -q 'slirp4netns' <<<"$dep" && grep -q 'libjansson' <<<"$dep" &&
		grep -q 'libcap-ng' <<<"$dep" && grep -q 'libnl-route-3' <<<"$dep" &&
		[ "$rec" = uidmap ]
}
check "it depends on slirp4netns and the libraries hckns links, recommends uidmap" depends_right
postinst_loads_profile() {
	local d=$stage/control
	dpkg-deb -e "$stage/$deb" "$d" &&
		grep -q 'apparmor_parser -r -T -W "$APP_PROFILE"' "$d/postinst" &&
		grep -q 'if aa-enabled --quiet' "$d/postinst"
}
check "its postinst (dh_apparmor) loads the profile where AppArmor runs only" postinst_loads_profile

# --fail-on: errors and warnings fail; info and pedantic tags are shown.
# Overrides, each with its reason: debian/hckns.lintian-overrides.
lintian_clean() {
	lintian --fail-on error,warning -I --show-overrides "$stage/hckns_${version}_${arch}.changes" 2>"$stage/lintian.err"
	local rc=$?
	grep -v '^running with root privileges is not recommended' "$stage/lintian.err"
	return $rc
}
if lintian_clean >"$stage/lintian.log" 2>&1; then
	pass "lintian: no error or warning ($(grep -c '^[A-Z]: ' "$stage/lintian.log") info, pedantic or overridden lines, below)"
	sed 's/^/     /' "$stage/lintian.log"
else
	fail "lintian: $(tr '\n' '|' <"$stage/lintian.log")"
fi

# ---- the machine before ----------------------------------------------------

# Paths of the package that exist before it is installed (directories such
# as /usr/bin): after the purge, every other one must be gone.
contents | sed 's|^\./|/|; s|/$||; /^$/d' | while read -r p; do
	[ -e "$p" ] && echo "$p"
done >"$stage/existed"
# What the maintainer scripts and runs may leave besides the package's
# paths (a new path there after the purge that no other package owns is a
# leftover), and root's runtime base (hckns-test's is added below).
watch_dirs=(/etc /usr /opt /var/lib/dpkg/info /var/cache/apparmor /run/hckns)
snapshot() { find "${watch_dirs[@]}" "$@" 2>/dev/null | sort; }

if ! id "$test_user" >/dev/null 2>&1; then
	echo "package: creating the unprivileged user $test_user for the tests"
	useradd --system --no-create-home --shell /bin/bash "$test_user" ||
		{ fail "cannot create the user $test_user"; closing; }
fi
uid=$(id -u "$test_user")
user_base=/tmp/hckns-$uid
snapshot "$user_base" >"$stage/before"
tun_mode=$(stat -c %a /dev/net/tun 2>/dev/null || echo missing)
if [ "$tun_mode" != 666 ]; then
	echo "package: /dev/net/tun is mode $tun_mode; setting it to 0666, the usual distribution default, so that slirp4netns works for $test_user"
	[ -e /dev/net/tun ] || { modprobe tun 2>/dev/null; mkdir -p /dev/net; mknod -m 0666 /dev/net/tun c 10 200; }
	chmod 0666 /dev/net/tun
fi

# ---- install -------------------------------------------------------------

installed=1
check "apt-get install ./$deb" \
	env -C "$stage" DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb"
check "dpkg says hckns $version is installed" \
	test "$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' hckns)" = "ii  $version"
dpkg -L hckns >"$stage/files" 2>/dev/null

check "hckns in PATH is /usr/bin/hckns" \
	test "$(env -i PATH="$PATH_SAFE" sh -c 'command -v hckns')" = /usr/bin/hckns
check "the installed hckns has /usr/libexec/hckns compiled in (HCKNS_LIBEXECDIR)" \
	grep -qaF /usr/libexec/hckns /usr/bin/hckns
check "man hckns finds the installed page" \
	test "$(env -i PATH="$PATH_SAFE" man -w hckns)" = /usr/share/man/man1/hckns.1.gz
completion_loads() {
	bash -c '. /usr/share/bash-completion/completions/hckns && complete -p hckns' |
		grep -q -- '-F _hckns hckns$'
}
check "the bash completion loads and completes hckns" completion_loads
check "the AppArmor profile names /usr/bin/hckns and grants userns" \
	sh -c "grep -q '^profile hckns /usr/bin/hckns flags=(unconfined) {\$' /etc/apparmor.d/hckns &&
		grep -q '^  userns,\$' /etc/apparmor.d/hckns && test -f /etc/apparmor.d/local/hckns"
if command -v aa-enabled >/dev/null && aa-enabled --quiet 2>/dev/null; then
	check "AppArmor runs here: the profile hckns is loaded" \
		grep -q '^hckns ' /sys/kernel/security/apparmor/profiles
else
	echo "package: AppArmor does not run here: the profile is installed, not loaded (postinst skipped it)"
fi

# ---- smoke, as root and as the unprivileged user ---------------------------

# as WHO COMMAND...: run COMMAND as WHO (root or the test user) in a clean
# environment (no XDG_RUNTIME_DIR: root's runtime base is /run/hckns, the
# user's /tmp/hckns-UID), 60 s at most.
home=$stage/home
mkdir -p "$home" && chown "$test_user" "$home"
as() {
	local who=$1
	shift
	if [ "$who" = root ]; then
		env -i PATH="$PATH_SAFE" HOME=/root TMPDIR=/tmp timeout -k 5 60 "$@"
	else
		env -i PATH="$PATH_SAFE" HOME="$home" TMPDIR=/tmp \
			setpriv --reuid="$test_user" --regid="$test_user" --clear-groups \
			timeout -k 5 60 "$@"
	fi
}

# The runtime directories of this test's instances, from hckns -v's trace:
# they, their locks and their slirp4netns must be gone after each run.  (A
# machine shared with other hckns runs has their instances in the same
# runtime bases: the checks name this test's own.)
: >"$stage/rundirs"
note_rundir() { # TRACE
	sed -n 's/^hckns: \[[ 0-9.]* ms\] runtime directory: //p' "$1" >>"$stage/rundirs"
}

doctor_ok() { # WHO
	as "$1" hckns doctor >"$stage/doctor.out" 2>&1 || { cat "$stage/doctor.out"; return 1; }
	local h
	h=$(sed -n 's/^ok   hckns-helper: //p' "$stage/doctor.out")
	[ "$(readlink -f "$h")" = /usr/libexec/hckns/hckns-helper ] ||
		{ echo "the helper doctor found: '$h'"; return 1; }
}

true_ok() { # WHO
	local rc=0
	as "$1" hckns -v -- true 2>"$stage/true.err" || rc=$?
	note_rundir "$stage/true.err"
	[ "$rc" = 0 ] || { echo "exit status $rc"; tail -n 5 "$stage/true.err"; return 1; }
}

free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 100); do
		[ -z "$(ss -Htuan "sport = :$p")" ] && { echo "$p"; return 0; }
	done
	return 1
}

# forward WHO: hckns -p PORT:80 with a TCP server on port 80 inside (busybox
# nc answers a marker to each connection); 127.0.0.1:PORT on the host must
# answer it; then the command ends, hckns exits 0 and PORT is closed.
forward() {
	local who=$1 p d mark answer="" rc
	p=$(free_port) || { echo "no free port"; return 1; }
	d=$stage/fwd-$who
	mark=hckns-package-$who-$$
	# Root inside root's instance has no power over files of ids it does
	# not map: the directory is WHO's own.
	mkdir -p "$d" && chown "$who" "$d"
	# The command: the server, then wait (30 s at most) for d/stop.
	as "$who" hckns -v -p "$p:80" -- sh -c '
		busybox nc -ll -p 80 -e echo "$1" </dev/null &
		: >"$2/ready"
		i=0
		while [ ! -e "$2/stop" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done' \
		sh "$mark" "$d" >"$d/out" 2>&1 &
	bg_pid=$!
	for _ in $(seq 100); do
		[ -e "$d/ready" ] && answer=$(timeout -k 1 5 busybox nc 127.0.0.1 "$p" </dev/null 2>/dev/null)
		[ "$answer" = "$mark" ] && break
		sleep 0.1
	done
	touch "$d/stop"
	wait "$bg_pid"
	rc=$?
	bg_pid=
	note_rundir "$d/out"
	[ "$answer" = "$mark" ] ||
		{ echo "127.0.0.1:$p answered '$answer', not '$mark'; hckns said: $(grep -v '\] helper: ' "$d/out" | tail -n 5)"; return 1; }
	[ "$rc" = 0 ] || { echo "hckns exited $rc: $(tail -n 5 "$d/out")"; return 1; }
	[ -z "$(ss -Htuan "sport = :$p")" ] || { echo "port $p still open: $(ss -Htuan "sport = :$p")"; return 1; }
}

# hckns ls: no instance at all, or (on a machine shared with other runs of
# the same user) none of this test's.
no_instances() { # WHO
	local d
	as "$1" hckns ls >"$stage/ls.out" 2>&1 || { cat "$stage/ls.out"; return 1; }
	grep -q '^no instances (looked in ' "$stage/ls.out" && return 0
	while read -r d; do
		awk -v n="${d##*/}" '$1 == n { found = 1 } END { exit found }' "$stage/ls.out" ||
			{ echo "hckns ls lists ${d##*/}:"; cat "$stage/ls.out"; return 1; }
	done <"$stage/rundirs"
}

# Processes of the package's files, and slirp4netns processes serving one
# of this test's runtime directories: none, within 5 s.
leftover_processes() {
	local proc pid exe
	for proc in /proc/[0-9]*; do
		pid=${proc#/proc/}
		exe=$(readlink "$proc/exe" 2>/dev/null) || continue
		case $exe in
		/usr/bin/hckns | /usr/libexec/hckns/hckns-helper) echo "$pid $exe" ;;
		*/slirp4netns)
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
				grep -qFf "$stage/rundirs" && echo "$pid slirp4netns" ;;
		esac
	done
}
nothing_runs() {
	local _
	for _ in $(seq 50); do
		[ -z "$(leftover_processes)" ] && return 0
		sleep 0.1
	done
	leftover_processes
	return 1
}

# The runtime directories of this test's instances and their locks are
# gone.
rundirs_gone() {
	local d bad=0
	[ -s "$stage/rundirs" ] || { echo "no runtime directory in hckns -v's traces"; return 1; }
	while read -r d; do
		for f in "$d" "${d%/*}/.${d##*/}.lock"; do
			[ -e "$f" ] && { echo "left: $f"; ls -la "$f"; bad=1; }
		done
	done <"$stage/rundirs"
	return "$bad"
}

for who in root "$test_user"; do
	check "as $who: hckns doctor exits 0 and finds /usr/libexec/hckns/hckns-helper" doctor_ok "$who"
	check "as $who: hckns -- true exits 0" true_ok "$who"
	check "as $who: hckns -p PORT:80 -- (a server on 80 inside) answers on 127.0.0.1:PORT, then closes it" \
		forward "$who"
	check "as $who: hckns ls lists no instance of this test" no_instances "$who"
	check "as $who: no hckns, hckns-helper or slirp4netns process of it is left" nothing_runs
	check "as $who: the runtime directories of its instances so far are gone ($(sed 's|/[^/]*$||' "$stage/rundirs" | sort -u | paste -sd' '))" \
		rundirs_gone
done

# ---- purge -----------------------------------------------------------------

check "apt-get purge hckns" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q hckns
installed=0
check "dpkg knows hckns no more (not even its configuration files)" \
	sh -c '! dpkg-query -W hckns'
files_gone() {
	local p bad=0
	while read -r p; do
		[ "$p" = /. ] && continue
		if [ -e "$p" ] || [ -L "$p" ]; then
			grep -qxF "$p" "$stage/existed" && [ -d "$p" ] && continue
			echo "left: $p"
			bad=1
		fi
	done <"$stage/files"
	[ -s "$stage/files" ] || { echo "no dpkg -L list"; bad=1; }
	return "$bad"
}
check "every file and directory dpkg -L listed is gone (directories there before aside)" files_gone
# The runtime bases these runs created are hckns's, not the package's:
# removed here when empty, like the rest of the test's traces.
for b in /run/hckns "$user_base"; do
	grep -qxF "$b" "$stage/before" || rmdir "$b" 2>/dev/null
done
# Entries in the runtime bases that are not this test's instances are other
# runs' (none in CI): set aside.
mine() { # SNAPSHOT
	local re="^(/run/hckns|$user_base)/"
	grep -vE "$re" "$1"
	grep -E "$re" "$1" | grep -E -f <(sed 's|.*/||; s|.*|/(&\|\\.&\\.lock)(/\|$)|' "$stage/rundirs")
}
nothing_new() {
	local p bad=0
	snapshot "$user_base" >"$stage/after"
	while read -r p; do
		# Another package's (one installed meanwhile on a shared machine).
		dpkg -S "$p" >/dev/null 2>&1 && continue
		echo "left: $p"
		bad=1
	done < <(comm -13 <(mine "$stage/before" | sort) <(mine "$stage/after" | sort))
	return "$bad"
}
check "nothing else of it remains: no new path in ${watch_dirs[*]:0:5}, none of its instances in /run/hckns or $user_base" \
	nothing_new
check "no process of it is left" nothing_runs

closing
