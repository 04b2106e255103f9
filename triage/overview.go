package triage

import (
	"context"

	"github.com/bugscope/bugscope"
)

// OverviewStore is what Overview reads (Store implements it).
type OverviewStore interface {
	LatestGate(ctx context.Context) (GateResult, error)
	AppliedCounts(ctx context.Context) (map[string]map[string]int, error)
	Feedback(ctx context.Context, repos []string) ([]Feedback, error)
	Deliveries(ctx context.Context, limit int) ([]Delivery, error)
	Decisions(ctx context.Context, repos []string, limit int) ([]Decision, error)
}

// Overview is triage at a glance, as `bugscope triage status` and the
// dashboard's /triage show it: the latest go-live check with its date,
// precision in use per label, the webhook's queue, the latest deliveries
// and decisions.
type Overview struct {
	Gate      *GateResult    `json:"gate"`
	InUse     []InUse        `json:"precision_in_use"`
	Queue     map[string]int `json:"queue"`
	Recent    []Delivery     `json:"recent_deliveries"`
	Decisions []Decision     `json:"decisions"`
	Triaged   int            `json:"triaged"`
}

// Bounds of an overview.
const (
	overviewDeliveries = 1000
	overviewRecent     = 10
)

// BuildOverview reads the overview; at most decisions decisions are
// listed (0: none), newest first.
func BuildOverview(ctx context.Context, s OverviewStore, decisions int) (Overview, error) {
	o := Overview{Queue: map[string]int{}, Recent: []Delivery{}, Decisions: []Decision{}}
	if g, err := s.LatestGate(ctx); err == nil {
		o.Gate = &g
	} else if bugscope.ErrorCode(err) != bugscope.ENotFound {
		return o, err
	}
	counts, err := s.AppliedCounts(ctx)
	if err != nil {
		return o, err
	}
	fb, err := s.Feedback(ctx, nil)
	if err != nil {
		return o, err
	}
	o.InUse = PrecisionInUse(counts, fb)
	ds, err := s.Deliveries(ctx, overviewDeliveries)
	if err != nil {
		return o, err
	}
	for i, d := range ds {
		o.Queue[d.State]++
		if i < overviewRecent {
			o.Recent = append(o.Recent, d)
		}
	}
	all, err := s.Decisions(ctx, nil, 0)
	if err != nil {
		return o, err
	}
	o.Triaged = len(all)
	if len(all) > decisions {
		all = all[:decisions]
	}
	o.Decisions = append(o.Decisions, all...)
	return o, nil
}
