#!/usr/bin/env bash
# Times every page of bugscope serve with BenchmarkPages (server time, from
# the handler to the last byte, with the figures cached) on the real 4,019
# issues (when ../shared is there) and on synthetic databases of 4,019 and
# 100,000 issues (built once, then cached under the user's cache folder),
# and prints each page's median over the runs, in milliseconds.
#   RUNS=5 (runs per page), SIZES='real4019|synthetic4019|synthetic100k'
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
sizes=${SIZES:-real4019|synthetic4019|synthetic100k}
out=$(go test ./http -run '^$' -bench "^BenchmarkPages/(${sizes})/" -benchtime 20x -count "$runs" -timeout 60m -v)
echo "$out" | grep -E '^Benchmark' >/dev/null || { echo "$out"; echo "no benchmark ran" >&2; exit 1; }
echo "$out" | grep -E 'cold overview' | sed 's/^ *//' | sort | uniq
echo "$out" | awk '/^BenchmarkPages\// && $4 == "ns/op" {name=$1; sub(/-[0-9]+$/, "", name); sub(/^BenchmarkPages\//, "", name); print name, $3}' |
	sort -k1,1 -k2,2n |
	awk '{v[$1]=v[$1] " " $2; n[$1]++} END {for (k in v) {split(substr(v[k],2), a, " "); m=a[int((n[k]+1)/2)]; printf "%-36s median %8.2f ms  (%d runs, %.2f-%.2f)\n", k, m/1e6, n[k], a[1]/1e6, a[n[k]]/1e6}}' | sort
