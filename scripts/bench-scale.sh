#!/usr/bin/env bash
# Times bugscope at scale: bench-scale.sh N [RUNS]
#
# Generates N synthetic issues (replicas of ../shared/data with new
# numbers when it is there, else of the repository's own test fixtures;
# nothing is written into the repository), then times, on a fresh
# database in a scratch folder:
#   import      the N issues (one file)
#   classify    every issue (rules and signals)
#   change      an import of 0.1% of the issues with new text
#   reclassify  the plain classify after that change (labels only those)
#   report      the Markdown report of everything
# and prints each step's wall time, CPU time (user + system) and peak
# memory (the maximum resident set of the process, from getrusage: no
# /usr/bin/time needed), with the load average before and after. With RUNS
# above 1 the whole sequence repeats and the medians (by wall time) are
# printed.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: bench-scale.sh N [RUNS]}
runs=${2:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-scale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bugscope" ./cmd/bugscope
go build -o "$tmp/benchscale" ./scripts/benchscale
src=()
if compgen -G "../shared/data/*.json" >/dev/null; then src=(../shared/data/*.json); fi
changed=$(( n / 1000 > 0 ? n / 1000 : 1 ))
"$tmp/benchscale" gen -n "$n" -o "$tmp/issues.json" "${src[@]}"
"$tmp/benchscale" change -n "$changed" -of "$n" -o "$tmp/changed.json" "${src[@]}"
echo "issues: $n ($(du -m "$tmp/issues.json" | cut -f1) MB of JSON), changed: $changed; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
b="$tmp/bugscope --quiet"
for r in $(seq "$runs"); do
	rm -f "$tmp/b.db" "$tmp/b.db-wal" "$tmp/b.db-shm"
	{
		"$tmp/benchscale" run import -- $b --db "$tmp/b.db" import "$tmp/issues.json" >/dev/null
		"$tmp/benchscale" run classify -- $b --db "$tmp/b.db" classify >/dev/null
		"$tmp/benchscale" run change -- $b --db "$tmp/b.db" import "$tmp/changed.json" >/dev/null
		"$tmp/benchscale" run reclassify -- $b --db "$tmp/b.db" classify >"$tmp/reclassify.out"
		"$tmp/benchscale" run report -- $b --db "$tmp/b.db" report -o "$tmp/report.md" >/dev/null
	} 2>>"$tmp/times"
	if [ "$r" = 1 ]; then
		echo "reclassify said: $(head -1 "$tmp/reclassify.out")" >&2
		echo "database: $(du -m "$tmp/b.db" | cut -f1) MB" >&2
	fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf '%-11s %10s %10s %12s\n' step "wall (s)" "CPU (s)" "peak (MiB)"
for step in import classify change reclassify report; do
	awk -v s="$step" '$1 == s {print $2, $3, $4}' "$tmp/times" | sort -n | awk -v s="$step" '
		{w[NR]=$1; m[NR]=$2; c[NR]=$3} END {k=int((NR+1)/2); printf "%-11s %10.2f %10.2f %12.0f\n", s, w[k], c[k], m[k]}'
done
awk '{t += $2; c += $4} END {printf "all steps, per run: %.2f s wall, %.2f s CPU\n", t / '"$runs"', c / '"$runs"'}' "$tmp/times"
