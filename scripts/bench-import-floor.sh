#!/usr/bin/env bash
# Compares bugscope import with the floor of issue 14: bench-import-floor.sh [N]
# (default 100,000). Generates N synthetic issues (scripts/benchscale, from
# ../shared/data when present), then times, one after the other, RUNS
# times each (default 3): BenchmarkDecodeInsertFloor (sqlite: decode with
# encoding/json and insert every row in one transaction, nothing else) and
# `bugscope import` of the same file into a fresh database, and prints the
# medians of wall time and of CPU time (user + system, from getrusage via
# scripts/benchscale; the machine is shared, so CPU time is the steadier
# figure) and their ratios, with the load average before and after.
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
	# benchscale prints: label, wall s, peak MiB, CPU s.
	BUGSCOPE_BENCH_DUMP="$tmp/issues.json" "$tmp/benchscale" run floor -- "$tmp/sqlite.test" -test.run '^$' \
		-test.bench '^BenchmarkDecodeInsertFloor$' -test.benchtime 1x 2>&1 >/dev/null | tail -1
	rm -f "$tmp/b.db" "$tmp/b.db-wal" "$tmp/b.db-shm"
	"$tmp/benchscale" run import -- "$tmp/bugscope" --quiet --db "$tmp/b.db" import "$tmp/issues.json" 2>&1 >/dev/null | tail -1
done >"$tmp/times"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cat "$tmp/times" >&2
med() { awk -v s="$1" -v c="$2" '$1 == s {print $c}' "$tmp/times" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fw=$(med floor 2) iw=$(med import 2) fc=$(med floor 4) ic=$(med import 4)
echo "floor (decode + insert): median $fw s wall, $fc s CPU; bugscope import: median $iw s wall, $ic s CPU, peak $(med import 3) MiB"
echo "ratio: wall $(echo "$iw / $fw" | bc -l | cut -c1-4), CPU $(echo "$ic / $fc" | bc -l | cut -c1-4)"
