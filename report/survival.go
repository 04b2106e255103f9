package report

import (
	"math"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/stats"
	"github.com/bugscope/bugscope/taxonomy"
)

// TimeToClose holds Kaplan–Meier curves of the days from a bug's report to
// its closing, open bugs censored at the snapshot time (AsOf), overall,
// per engine and per category, with log-rank tests between engines and
// between categories.
type TimeToClose struct {
	AsOf       time.Time    `json:"as_of"`
	AsOfSource string       `json:"as_of_source"` // flag, updated_at, or newest time in the data
	Overall    KMSummary    `json:"overall"`
	ByRepo     []KMSummary  `json:"by_repo"`
	ByCategory []KMSummary  `json:"by_category"`
	Engines    *LogRankTest `json:"log_rank_engines,omitempty"`
	Categories *LogRankTest `json:"log_rank_categories,omitempty"`
}

// KMSummary is one Kaplan–Meier curve: bugs, closed ones, the median days
// to close with its 95% interval (nil where the curve does not fall to
// one half), and the curve itself, thinned for charts.
type KMSummary struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Bugs     int       `json:"bugs"`
	Closed   int       `json:"closed"`
	Median   *float64  `json:"median_days"`
	MedianLo *float64  `json:"median_days_lo"`
	MedianHi *float64  `json:"median_days_hi"`
	Curve    []KMPoint `json:"curve"`
}

// KMPoint is one step of a curve: after Days, the share still open.
type KMPoint struct {
	Days float64 `json:"days"`
	Open float64 `json:"open"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
}

// LogRankTest is a log-rank test with its adjusted p-value.
type LogRankTest struct {
	ChiSquare   float64 `json:"chi_square"`
	DF          int     `json:"df"`
	P           float64 `json:"p"`
	PAdjusted   float64 `json:"p_adjusted"`
	Significant bool    `json:"significant"`
}

// snapshot is the data's snapshot time: asOf when set, else the newest
// updated_at, else the newest creation or closing time.
func snapshot(items []*bugscope.ReportItem, asOf time.Time) (time.Time, string) {
	if !asOf.IsZero() {
		return asOf.UTC(), "--as-of"
	}
	zero := time.Time{}.Unix()
	upd, any := zero, zero
	for _, it := range items {
		for _, t := range []int64{it.Created, it.Closed} {
			if t != bugscope.NoTime && t > any {
				any = t
			}
		}
		if t := it.Updated; t != bugscope.NoTime && t > upd {
			upd = t
		}
	}
	if upd != zero {
		return time.Unix(upd, 0).UTC(), "the newest updated_at"
	}
	return time.Unix(any, 0).UTC(), "the newest created_at or closed_at; the data has no updated_at"
}

// observation is a bug's time to close in days, censored when still open.
func observation(is *bugscope.ReportItem, asOf time.Time) (stats.Observation, bool) {
	if is.Created == bugscope.NoTime {
		return stats.Observation{}, false
	}
	created := time.Unix(is.Created, 0)
	if is.Closed != bugscope.NoTime && (is.State == "closed" || is.State == "") {
		d := time.Unix(is.Closed, 0).Sub(created).Hours() / 24
		return stats.Observation{Time: math.Max(0, d), Event: true}, true
	}
	d := asOf.Sub(created).Hours() / 24
	if d < 0 {
		return stats.Observation{}, false
	}
	return stats.Observation{Time: d}, true
}

func timeToClose(catDim *taxonomy.Dimension, engs []Engine, bugs []*bugscope.ReportItem, asOf time.Time, source string) *TimeToClose {
	tc := &TimeToClose{AsOf: asOf, AsOfSource: source}
	var all []stats.Observation
	byRepo := map[string][]stats.Observation{}
	byGroup := map[string][]stats.Observation{}
	for _, b := range bugs {
		o, ok := observation(b, asOf)
		if !ok {
			continue
		}
		all = append(all, o)
		byRepo[b.Repo] = append(byRepo[b.Repo], o)
		seen := map[string]bool{}
		for _, v := range b.Labels[catDim.ID] {
			g := v
			if len(catDim.Groups) > 0 {
				g = catDim.GroupOf(v)
			}
			if g != "" && !seen[g] {
				seen[g] = true
				byGroup[g] = append(byGroup[g], o)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	tc.Overall = kmSummary("all", "All bugs", all)
	type idName struct{ id, name string }
	var repos, cats []idName
	for _, e := range engs {
		repos = append(repos, idName{e.Repo, e.Name})
	}
	if len(catDim.Groups) > 0 {
		for _, g := range catDim.Groups {
			cats = append(cats, idName{g.ID, g.Name})
		}
	} else {
		for _, v := range catDim.AllValues() {
			cats = append(cats, idName{v.ID, v.Name})
		}
	}
	// curves estimates one curve per group with observations, and the
	// log-rank test between them.
	curves := func(groups []idName, obs map[string][]stats.Observation) ([]KMSummary, *LogRankTest) {
		var ks []KMSummary
		var in [][]stats.Observation
		for _, g := range groups {
			if o := obs[g.id]; len(o) > 0 {
				ks = append(ks, kmSummary(g.id, g.name, o))
				in = append(in, o)
			}
		}
		if len(in) < 2 {
			return ks, nil
		}
		lr := stats.LogRank(in)
		return ks, &LogRankTest{ChiSquare: lr.ChiSquare, DF: lr.DF, P: lr.P}
	}
	tc.ByRepo, tc.Engines = curves(repos, byRepo)
	tc.ByCategory, tc.Categories = curves(cats, byGroup)
	return tc
}

// kmSummary estimates one curve and thins it to steps at least half a
// percentage point apart (and the last), for JSON and charts.
func kmSummary(id, name string, obs []stats.Observation) KMSummary {
	km := stats.KaplanMeier(obs, Confidence)
	s := KMSummary{ID: id, Name: name, Bugs: km.N, Closed: km.Events, Median: km.Median, MedianLo: km.MedianLo, MedianHi: km.MedianHi}
	s.Curve = []KMPoint{{Days: 0, Open: 1, Lo: 1, Hi: 1}}
	last := 1.0
	for i, st := range km.Steps {
		if last-st.Survival >= 0.005 || i == len(km.Steps)-1 {
			s.Curve = append(s.Curve, KMPoint{Days: round(st.Time, 3), Open: round(st.Survival, 4), Lo: round(st.Lo, 4), Hi: round(st.Hi, 4)})
			last = st.Survival
		}
	}
	return s
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// Attention is how much attention one category's bugs drew: the median
// comments and reactions, with distribution-free 95% intervals.
type Attention struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Bugs        int             `json:"bugs"`
	Comments    float64         `json:"median_comments"`
	CommentsCI  *stats.Interval `json:"median_comments_ci,omitempty"`
	Reactions   float64         `json:"median_reactions"`
	ReactionsCI *stats.Interval `json:"median_reactions_ci,omitempty"`
}

func attention(catDim *taxonomy.Dimension, cats []Category, bugs []*bugscope.ReportItem) []Attention {
	var out []Attention
	row := func(id, name string, in []*bugscope.ReportItem) {
		if len(in) == 0 {
			return
		}
		var cm, re []float64
		for _, b := range in {
			cm = append(cm, float64(b.Comments))
			re = append(re, float64(b.Reactions))
		}
		a := Attention{ID: id, Name: name, Bugs: len(in), Comments: *median(cm), Reactions: *median(re),
			CommentsCI: medianCI(cm), ReactionsCI: medianCI(re)}
		out = append(out, a)
	}
	row("all", "All bugs", bugs)
	for _, c := range cats {
		isGroup := catDim.Group(c.ID) != nil
		match := has(catDim, c.ID, isGroup)
		var in []*bugscope.ReportItem
		for _, b := range bugs {
			if match(b.Labels) {
				in = append(in, b)
			}
		}
		row(c.ID, c.Name, in)
	}
	return out
}
