#!/bin/bash
# Run every integration test (tests/integration/t-*.sh) as the current user.
# Each test_* function runs in its own bash under a time limit.  Prints one
# line per test and a closing line "integration: N passed, N failed, N skipped".
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${HCKNS:?HCKNS must point to the hckns binary}"
export HCKNS
limit=${HCKNS_TEST_TIMEOUT:-60}
filter=${1:-}
pass=0 failn=0 skipn=0
failed_names=

for file in "$here"/t-*.sh; do
	for t in $(bash -c "source '$file'; declare -F" | awk '{print $3}' | grep '^test_'); do
		name="$(basename "$file" .sh):${t#test_}"
		case "$name" in *"$filter"*) ;; *) continue ;; esac
		out=$(mktemp)
		timeout -k 5 "$limit" bash -c "set -u; source '$here/lib.sh'; source '$file'; $t" >"$out" 2>&1 </dev/null
		rc=$?
		case $rc in
		0) echo "ok   $name"; pass=$((pass + 1)) ;;
		77) echo "skip $name: $(tail -n 1 "$out")"; skipn=$((skipn + 1)) ;;
		*)
			[ $rc = 124 ] && echo "timed out after ${limit}s" >>"$out"
			echo "FAIL $name (exit $rc)"
			sed 's/^/     | /' "$out" | tail -n 30
			failn=$((failn + 1))
			failed_names="$failed_names $name"
			;;
		esac
		rm -f "$out"
	done
done
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "as uid $(id -u):"
echo "integration: $pass passed, $failn failed, $skipn skipped"
[ "$failn" = 0 ]
