#!/bin/bash
# splice.sh FILE REPORT: put REPORT between FILE's markers
#   <!-- bench:begin -->  and  <!-- bench:end -->
# keeping everything else (the written analysis) as it is.  A FILE without
# them gets them, with REPORT, at its end.
set -eu
file=$1 report=$2
begin='<!-- bench:begin -->' end='<!-- bench:end -->'
tmp=$(mktemp "$file.XXXXXX")
if [ -f "$file" ] && grep -qx -- "$begin" "$file" && grep -qx -- "$end" "$file"; then
	awk -v b="$begin" -v e="$end" -v r="$report" '
		$0 == b { print; while ((getline l < r) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip' "$file" >"$tmp"
else
	{ [ ! -f "$file" ] || cat "$file"; echo; echo "$begin"; cat "$report"; echo "$end"; } >"$tmp"
fi
chmod 0644 "$tmp"
mv "$tmp" "$file"
