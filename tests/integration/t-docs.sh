# The documentation a user reads agrees with hckns: hckns(1) renders in 80
# columns without groff warnings, and names every option `hckns --help`
# names; --help fits 80 columns (t-errors.sh: help_words).

MAN_PAGE=$(dirname "${BASH_SOURCE[0]}")/../../man/hckns.1

need_man() {
	[ -f "$MAN_PAGE" ] || fail "$MAN_PAGE is missing"
	command -v man >/dev/null || skip "man is not installed (Debian: apt install man-db)"
}

# What a terminal shows: grotty's overstriking (bold, underline) removed.
plain() { sed 's/.\x08//g'; }

test_man_fits_80_columns() {
	need_man
	MANWIDTH=80 man --warnings -l "$MAN_PAGE" 2>"$TEST_TMP/man.err" </dev/null |
		plain >"$TEST_TMP/man.txt"
	[ -s "$TEST_TMP/man.txt" ] || fail "man -l $MAN_PAGE failed: $(cat "$TEST_TMP/man.err")"
	assert_eq "" "$(cat "$TEST_TMP/man.err")" "groff's warnings"
	assert_eq "" "$(awk 'length > 80' "$TEST_TMP/man.txt")" "lines over 80 columns"
}

test_man_names_every_option() {
	local opt
	need_man
	MANWIDTH=80 man -l "$MAN_PAGE" 2>/dev/null </dev/null | plain >"$TEST_TMP/man.txt"
	for opt in $("$HCKNS" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "$opt" "$TEST_TMP/man.txt" || fail "hckns(1) does not mention $opt"
	done
}
