# Bash completion (contrib/bash-completion/hckns): options, subcommands,
# instance names from the runtime base, commands after `--`.  Each input is
# completed in a fresh bash, with bash-completion's helpers (package
# bash-completion) and without them, and COMPREPLY is compared.

COMPLETION=${HCKNS_COMPLETION:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/contrib/bash-completion/hckns}
HELPERS=/usr/share/bash-completion/bash_completion

need_completion() {
	[ -r "$COMPLETION" ] || fail "no completion file at $COMPLETION"
	[ -r "$HELPERS" ] || fail "bash-completion is not installed ($HELPERS; make deps)"
}

# complete_line MODE LINE: COMPREPLY for LINE with the cursor at its end,
# one a line, sorted.  MODE: helpers (bash-completion loaded) or bare.
# LINE is split on blanks, as bash would split these lines.
complete_line() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	bash -c '
		[ "$1" = helpers ] && . "$2"
		. "$3" || exit 90
		line=$4
		read -ra COMP_WORDS <<<"$line"
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_LINE=$line
		COMP_POINT=${#line}
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_hckns hckns "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' \
		_ "$1" "$HELPERS" "$COMPLETION" "$2" </dev/null
}

# expect LINE WORDS...: in both modes, LINE completes to exactly WORDS.
expect() {
	local line=$1 mode want got
	shift
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	for mode in helpers bare; do
		got=$(complete_line "$mode" "$line")
		assert_eq "$want" "$got" "completion of '$line' ($mode)"
	done
}

# expect_has LINE WORD: in both modes, WORD is among LINE's completions.
expect_has() {
	local mode
	for mode in helpers bare; do
		complete_line "$mode" "$1" | grep -qxF -- "$2" ||
			fail "'$2' not among the completions of '$1' ($mode): $(complete_line "$mode" "$1" | head -n 20 | tr '\n' ' ')"
	done
}

test_options_and_subcommands() {
	need_completion
	expect "hckns --pu" --publish
	expect "hckns --map" --map-root --map-subids
	expect "hckns --map-s" --map-subids
	expect "hckns --map-root " self subids
	expect "hckns --map-root su" subids
	expect "hckns --no" --no-default-bridges
	expect "hckns " doctor enter fwd ls stop
	expect "hckns fwd " add list ls rm
	expect "hckns fwd l" list ls
	expect "hckns fwd add " tcp: udp:
	expect "hckns fwd --" --help --instance --json --verbose
	expect "hckns fwd list --json " ""
	expect "hckns ls --" --help --json
	expect "hckns --uplink " br_ctrl br_debug br_test br_world
	expect "hckns --uplink br_w" br_world
	# Values that cannot be guessed: nothing, not file names.
	expect "hckns --mtu " ""
	expect "hckns -p " ""
	expect "hckns --cidr " ""
}

# Every long option `hckns --help` lists is completed (a new option must
# be added to the completion too), and the ones it does not list yet.
test_every_option_of_help() {
	local opts o got
	need_completion
	opts=$("$HCKNS" --help | sed -n '/^Options:/,/^Exit status/p' |
		grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
	[ -n "$opts" ] || fail "no options in 'hckns --help'"
	got=$(complete_line helpers "hckns --")
	for o in $opts --name; do
		printf '%s\n' "$got" | grep -qxF -- "$o" ||
			fail "'hckns --<TAB>' does not offer $o: $got"
	done
	assert_eq "$got" "$(complete_line bare "hckns --")" "the options without bash-completion"
}

# A runtime base like hckns's: instance directories, a lock file and a
# stray file that are not instances.
fake_base() { # DIR
	mkdir -p "$1/alpha" "$1/beta" "$1/4242"
	: >"$1/.alpha.lock"
	: >"$1/stray"
}

test_instance_names_from_xdg_runtime_dir() {
	need_completion
	mkdir -p "$TEST_TMP/xdg"
	fake_base "$TEST_TMP/xdg/hckns"
	export XDG_RUNTIME_DIR=$TEST_TMP/xdg
	expect "hckns stop " 4242 alpha beta
	expect "hckns stop a" alpha
	expect "hckns enter " 4242 alpha beta
	expect "hckns enter b" beta
	expect "hckns --name " 4242 alpha beta
	expect "hckns -v --name al" alpha
	expect "hckns fwd list --instance " 4242 alpha beta
	expect "hckns fwd --instance 4" 4242
	expect "hckns stop alpha " ""
}

# Without a usable XDG_RUNTIME_DIR (unset, relative, or not one's own),
# $TMPDIR/hckns-UID, as hckns itself picks it.
test_instance_names_from_tmpdir() {
	local other=/
	need_completion
	fake_base "$TEST_TMP/tmp/hckns-$(id -u)"
	mkdir -p "$TEST_TMP/tmp/hckns-$(id -u)/gamma" "$TEST_TMP/xdg/hckns/delta"
	unset XDG_RUNTIME_DIR
	export TMPDIR=$TEST_TMP/tmp
	expect "hckns stop g" gamma
	XDG_RUNTIME_DIR=xdg expect "hckns stop g" gamma
	if [ "$(id -u)" = 0 ]; then
		other=$TEST_TMP/others
		mkdir -p "$other/hckns/delta"
		chown 65534 "$other"
	fi
	XDG_RUNTIME_DIR=$other expect "hckns stop " 4242 alpha beta gamma
}

test_command_after_options() {
	need_completion
	expect_has "hckns bas" bash
	expect_has "hckns -- bas" bash
	expect_has "hckns -v --map-subids -- bas" bash
	expect_has "hckns --mtu 1500 bas" bash
	expect_has "hckns --mtu 1500 -- bas" bash
	expect_has "hckns enter alpha -- bas" bash
	expect_has "hckns enter alpha bas" bash
	# After the command's name, its own arguments, not hckns's options.
	[ -z "$(complete_line bare "hckns -- true --pu")" ] ||
		fail "hckns's options offered after the command: $(complete_line bare "hckns -- true --pu")"
	# The subcommands only in the first place.
	assert_not_contains "$(complete_line helpers "hckns -v f")" fwd \
		"completions of 'hckns -v f'"
}
