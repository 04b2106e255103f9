#!/usr/bin/env bash
# Compares bugscope import with the floor of issue 14: bench-import-floor.sh [N]
# (default 100,000). Generates N synthetic issues (scripts/benchscale, from
# ../shared/data when present), then times, one after the other, RUNS
# times each (default 3): BenchmarkDecodeInsertFloor (sqlite: decode with
# encoding/json and insert every row in one transaction, nothing else) and
# `bugscope import` of the same file into a fresh database, and prints the
# medians and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
runs=${RUNS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-floor.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bugscope" ./cmd/bugscope
go build -o "$tmp/benchscale" ./scripts/benchscale
go test -c -o "$tmp/sqlite.test" ./sqlite
src=()
if compgen -G "../shared/data/*.json" >/dev/null; then src=(../shared/data/*.json); fi
"$tmp/benchscale" gen -n "$n" -o "$tmp/issues.json" "${src[@]}"
echo "issues: $n; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for _ in $(seq "$runs"); do
	BUGSCOPE_BENCH_DUMP="$tmp/issues.json" "$tmp/sqlite.test" -test.run '^$' -test.bench '^BenchmarkDecodeInsertFloor$' -test.benchtime 1x |
		awk '/^BenchmarkDecodeInsertFloor/ {print "floor", $3 / 1e9}'
	rm -f "$tmp/b.db" "$tmp/b.db-wal" "$tmp/b.db-shm"
	"$tmp/benchscale" run import -- "$tmp/bugscope" --quiet --db "$tmp/b.db" import "$tmp/issues.json" 2>&1 >/dev/null | awk '{print "import", $2}'
done >"$tmp/times"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
med() { awk -v s="$1" '$1 == s {print $2}' "$tmp/times" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
f=$(med floor) i=$(med import)
echo "floor (decode + insert): median $f s; bugscope import: median $i s; ratio $(echo "$i / $f" | bc -l | cut -c1-4)"
