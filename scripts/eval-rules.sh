#!/usr/bin/env bash
# Scores the rule classifier against hand labels: imports ../shared/data into
# a scratch database (once), classifies every issue with the rules, and
# prints the headline figure of each dimension for each gold file given
# (default: ../shared/gold/dev.jsonl, the labels the rules are tuned on).
#
#   scripts/eval-rules.sh                           # dev
#   scripts/eval-rules.sh ../shared/gold/random-300.jsonl
#   RULES=my.yaml DB=/tmp/x.db scripts/eval-rules.sh
#
# Needs jq. The database is kept between runs (DB, default /tmp/rules.db);
# classify replaces the rules' labels every time.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
db=${DB:-/tmp/rules.db}
bin=$(mktemp -d)/bugscope
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/bugscope
if [ ! -s "$db" ]; then
	"$bin" --db "$db" --quiet import "$shared"/data/*.json >/dev/null
fi
rules=()
[ -n "${RULES:-}" ] && rules=(--rules "$RULES")
"$bin" --db "$db" --quiet classify "${rules[@]}" >/dev/null
[ $# -eq 0 ] && set -- "$shared/gold/dev.jsonl"
printf '%-18s %6s %8s %8s %8s %8s %8s %8s\n' gold n kind-F1 group-k cat-k root-k sev-qk pat-k
for gold in "$@"; do
	"$bin" --db "$db" eval --classifier rules --gold "$gold" --json | jq -r --arg g "$(basename "$gold" .jsonl)" '
		def dim(d; lvl): [.dimensions[] | select(.dimension == d and .level == lvl)][0];
		[ $g, .common,
		  dim("kind"; "value").macro_f1,
		  dim("category"; "group").kappa,
		  dim("category"; "value").kappa,
		  dim("root_cause"; "value").kappa,
		  dim("severity"; "value").kappa,
		  dim("patterns"; "value").kappa ]
		| "\(.[0]) \(.[1]) " + ([.[2:][] | . * 1000 | round / 1000 | tostring] | join(" "))' |
		awk '{printf "%-18s %6s %8s %8s %8s %8s %8s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8}'
done
