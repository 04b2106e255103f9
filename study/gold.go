package study

import (
	"context"
	"fmt"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/report"
)

// Gold returns a sample's final labels as the hand labels of a report
// (report --sample NAME), each issue in its stratum: the resolved items
// that are not left out. It says how many items it skipped, unresolved or
// excluded, since a sample whose items are missing is no longer the
// random sample it was. A sample drawn by a labelling loop's strategy
// (uncertain, disagree) has NotRandom set: its labels measure
// accuracy but cannot correct shares.
func (s *Service) Gold(ctx context.Context, sample string) (*report.Gold, int, error) {
	sm, err := s.Store.GetSample(ctx, sample)
	if err != nil {
		return nil, 0, err
	}
	finals, err := s.Finals(ctx, sample, nil)
	if err != nil {
		return nil, 0, err
	}
	g := &report.Gold{Source: fmt.Sprintf("sample %s", sample), Labels: map[bugscope.IssueRef]bugscope.Labels{}, Strata: map[bugscope.IssueRef]string{},
		NotRandom: !sm.Random()}
	skipped := 0
	for _, f := range finals {
		if !f.Resolved() || f.Excluded() {
			skipped++
			continue
		}
		g.Labels[f.Item.Issue] = f.Labels
		if f.Item.Stratum != AllStratum {
			g.Strata[f.Item.Issue] = f.Item.Stratum
		} else {
			g.Strata[f.Item.Issue] = "all"
		}
	}
	if len(g.Labels) == 0 {
		return nil, skipped, bugscope.Errorf(bugscope.EInvalid, "sample %q has no final labels yet (annotate and arbitrate it first)", sample)
	}
	return g, skipped, nil
}
