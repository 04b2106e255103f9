package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// list filters labels and confidence in the database: its rows are those
// of the whole list filtered here, for every value (and category group)
// the classified fixture has, confidence bounds, and combinations.
func TestListFiltersInTheDatabase(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "../../http/testdata/issues.json") // 49 issues of two engines
	mustRun(t, "--db", db, "-q", "classify")
	list := func(args ...string) []listed {
		t.Helper()
		var out []listed
		if err := json.Unmarshal([]byte(mustRun(t, append([]string{"--db", db, "list", "--json", "-L", "0", "--sort", "number", "--asc"}, args...)...)), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := list()
	if len(all) < 40 {
		t.Fatalf("%d issues listed", len(all))
	}
	flags := map[string]string{"kind": "--kind", "category": "--category", "root_cause": "--root-cause", "severity": "--severity", "patterns": "--pattern"}
	type filter struct {
		args []string
		keep func(listed) bool
	}
	has := func(dim string, want []string) func(listed) bool {
		return func(r listed) bool {
			for _, h := range r.Labels[dim] {
				for _, w := range want {
					if h == w || dim == "category" && strings.HasPrefix(h, w+".") {
						return true
					}
				}
			}
			return false
		}
	}
	var filters []filter
	seen := map[string]bool{}
	for _, r := range all {
		for dim, vals := range r.Labels {
			for _, v := range vals {
				vs := []string{v}
				if g, _, ok := strings.Cut(v, "."); ok && dim == "category" {
					vs = append(vs, g) // the group
				}
				for _, v := range vs {
					if k := dim + "=" + v; !seen[k] && flags[dim] != "" {
						seen[k] = true
						filters = append(filters, filter{[]string{flags[dim], v}, has(dim, []string{v})})
					}
				}
			}
		}
	}
	slices.SortFunc(filters, func(a, b filter) int { return strings.Compare(fmt.Sprint(a.args), fmt.Sprint(b.args)) })
	if len(filters) < 10 {
		t.Fatalf("only %d label filters in the fixture", len(filters))
	}
	conf := func(lo, hi float64) func(listed) bool {
		return func(r listed) bool { return r.Confidence >= lo && r.Confidence <= hi }
	}
	and := func(a, b func(listed) bool) func(listed) bool { return func(r listed) bool { return a(r) && b(r) } }
	filters = append(filters,
		filter{[]string{"--min-confidence", "0.5"}, conf(0.5, 1)},
		filter{[]string{"--max-confidence", "0.6"}, conf(0, 0.6)},
		filter{[]string{"--min-confidence", "0.4", "--max-confidence", "0.8"}, conf(0.4, 0.8)},
		filter{[]string{"--kind", "bug,feature"}, has("kind", []string{"bug", "feature"})},
		filter{[]string{"--kind", "bug", "--category", "memory", "--min-confidence", "0.3"}, and(and(has("kind", []string{"bug"}), has("category", []string{"memory"})), conf(0.3, 1))},
		filter{[]string{"--category", "memory,performance", "--state", "open"}, and(has("category", []string{"memory", "performance"}), func(r listed) bool { return r.State == "open" })},
		filter{[]string{"--category", "memor"}, has("category", []string{"memor"})}, // a prefix that is no group: refused
	)
	// the bounds hold: a confidence the fixture has, exactly
	c := all[len(all)/2].Confidence
	cs := strconv.FormatFloat(c, 'g', -1, 64)
	filters = append(filters, filter{[]string{"--min-confidence", cs}, conf(c, 1)}, filter{[]string{"--max-confidence", cs}, conf(0, c)},
		filter{[]string{"--min-confidence", cs, "--max-confidence", cs}, conf(c, c)})
	nonEmpty := 0
	for _, f := range filters {
		if slices.Contains(f.args, "memor") {
			if _, _, code := run(t, append([]string{"--db", db, "list"}, f.args...)...); code != exitUsage {
				t.Errorf("list %q: exit %d, want a usage error", f.args, code)
			}
			continue
		}
		var want []listed
		for _, r := range all {
			if f.keep(r) {
				want = append(want, r)
			}
		}
		got := list(f.args...)
		if len(got) > 0 {
			nonEmpty++
		}
		if !reflect.DeepEqual(nonNilSlice(got), nonNilSlice(want)) {
			t.Errorf("list %q: %d rows, filtered here %d", f.args, len(got), len(want))
		}
	}
	if nonEmpty < len(filters)-3 {
		t.Errorf("only %d of %d filters select anything", nonEmpty, len(filters))
	}
}
