package study_test

import (
	"context"
	"testing"
)

// A sample's final labels become a report's hand labels: resolved items
// only, each in its stratum; the others are counted as skipped.
func TestGold(t *testing.T) {
	ctx := context.Background()
	s, refs := twoRaters(t)
	finals, err := s.Finals(ctx, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	resolved := 0
	for _, f := range finals {
		if f.Resolved() && !f.Excluded() {
			resolved++
		}
	}
	g, skipped, err := s.Gold(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Labels) != resolved || skipped != len(finals)-resolved || skipped == 0 {
		t.Errorf("%d labels, %d skipped; %d of %d resolved", len(g.Labels), skipped, resolved, len(finals))
	}
	for ref, l := range g.Labels {
		if g.Strata[ref] != "acme/e" || l.One("kind") == "" {
			t.Errorf("%s: stratum %q labels %v", ref, g.Strata[ref], l)
		}
	}
	if _, ok := g.Labels[refs[0]]; !ok {
		t.Errorf("the agreed item %s is missing", refs[0])
	}
	if _, _, err := s.Gold(ctx, "nope"); err == nil {
		t.Error("an unknown sample gave hand labels")
	}
}
