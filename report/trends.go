package report

import (
	"fmt"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/stats"
	"github.com/bugscope/bugscope/taxonomy"
)

// Periods a trend can be counted by.
const (
	PeriodMonth   = "month"
	PeriodQuarter = "quarter"
	PeriodYear    = "year"
)

// Periods lists the period lengths Options.Period accepts.
var Periods = []string{PeriodMonth, PeriodQuarter, PeriodYear}

// MinPeriodBugs is the fewest bugs a period of a series needs not to be
// marked sparse: its share moves by more than 10 points with one bug.
const MinPeriodBugs = 10

// Trends holds the counts and shares of bugs per period (by the issue's
// creation time), overall and per engine, with a trend test per series.
type Trends struct {
	Period  string        `json:"period"`
	Periods []string      `json:"periods"`
	Series  []TrendSeries `json:"series"`
	// Partial names the last period when the data's snapshot ends before
	// it does: its counts are left out of the count tests.
	Partial string `json:"partial,omitempty"`
}

// TrendSeries is one value's bugs per period in one engine ("all" for
// every engine): the count, the engine's bugs (the base) and the share.
type TrendSeries struct {
	Dimension string       `json:"dimension"` // category, root_cause, severity
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Repo      string       `json:"repo"`
	Points    []TrendPoint `json:"points"`
	// CountTrend: Mann–Kendall on the counts with Sen's slope (bugs per
	// period); ShareTrend: Cochran–Armitage on the shares with the
	// least-squares slope (share per period).
	CountTrend *TrendTest `json:"count_trend,omitempty"`
	ShareTrend *TrendTest `json:"share_trend,omitempty"`
}

// TrendPoint is one period of a series.
type TrendPoint struct {
	Period string  `json:"period"`
	Count  int     `json:"count"`
	Base   int     `json:"base"`
	Share  float64 `json:"share"`
	Sparse bool    `json:"sparse,omitempty"` // fewer than MinPeriodBugs bugs
	// Estimate: the share with its Wilson interval (the classifier's
	// labels: trends are not corrected).
	Estimate *Estimate `json:"estimate,omitempty"`
}

// TrendTest is one trend test with its effect size and adjusted p-value.
type TrendTest struct {
	Method    string         `json:"method"`
	Statistic float64        `json:"statistic"`
	P         float64        `json:"p"`
	PAdjusted float64        `json:"p_adjusted"`
	Slope     float64        `json:"slope"`
	Interval  stats.Interval `json:"interval"`
	Periods   int            `json:"periods"`
	// Significant: PAdjusted below 0.05. Only those are called trends.
	Significant bool `json:"significant"`
}

// Trend test methods.
const (
	MethodMannKendall     = "Mann-Kendall, Sen's slope"
	MethodCochranArmitage = "Cochran-Armitage"
)

// periodKey names the period of t: 2025-07, 2025-Q3 or 2025.
func periodKey(t time.Time, period string) string {
	t = t.UTC()
	switch period {
	case PeriodMonth:
		return t.Format("2006-01")
	case PeriodYear:
		return t.Format("2006")
	}
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

// periodStart is the first instant of t's period; next the one after.
func periodStart(t time.Time, period string) time.Time {
	t = t.UTC()
	switch period {
	case PeriodMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	case PeriodYear:
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), time.Month((int(t.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
}

func nextPeriod(t time.Time, period string) time.Time {
	switch period {
	case PeriodMonth:
		return t.AddDate(0, 1, 0)
	case PeriodYear:
		return t.AddDate(1, 0, 0)
	}
	return t.AddDate(0, 3, 0)
}

// trends counts each category, root cause and severity per period,
// overall and per engine, and tests each series for a trend.
func trends(tax *taxonomy.Taxonomy, catDim *taxonomy.Dimension, engs []Engine, bugs []*bugscope.ReportItem, period string, asOf time.Time) *Trends {
	first := bugscope.NoTime
	for _, b := range bugs {
		if c := b.Created; c != bugscope.NoTime && (first == bugscope.NoTime || c < first) {
			first = c
		}
	}
	if first == bugscope.NoTime || asOf.IsZero() {
		return nil
	}
	tr := &Trends{Period: period}
	index := map[string]int{}
	// A snapshot at the very start of a period has nothing in it.
	end := periodStart(asOf.Add(-time.Nanosecond), period)
	for t := periodStart(time.Unix(first, 0), period); !t.After(end); t = nextPeriod(t, period) {
		index[periodKey(t, period)] = len(tr.Periods)
		tr.Periods = append(tr.Periods, periodKey(t, period))
	}
	if nextPeriod(end, period).After(asOf) {
		tr.Partial = tr.Periods[len(tr.Periods)-1]
	}
	type dimSpec struct {
		name   string
		dim    *taxonomy.Dimension
		groups bool
	}
	specs := []dimSpec{{"category", catDim, len(catDim.Groups) > 0}}
	if d := tax.ByRole(taxonomy.RoleRootCause); d != nil {
		specs = append(specs, dimSpec{"root_cause", d, false})
	}
	if d := tax.ByRole(taxonomy.RoleSeverity); d != nil {
		specs = append(specs, dimSpec{"severity", d, false})
	}
	repos := append([]string{"all"}, repoList(engs)...)
	// base[repo][period]: bugs; firstP[repo]: the engine's first period.
	base := map[string][]int{}
	firstP := map[string]int{}
	for _, repo := range repos {
		base[repo] = make([]int, len(tr.Periods))
		firstP[repo] = len(tr.Periods)
	}
	periodOf := make([]int, len(bugs))
	for i, b := range bugs {
		periodOf[i] = -1
		if b.Created == bugscope.NoTime {
			continue
		}
		p, ok := index[periodKey(time.Unix(b.Created, 0), period)]
		if !ok {
			continue
		}
		periodOf[i] = p
		for _, repo := range []string{"all", b.Repo} {
			base[repo][p]++
			firstP[repo] = min(firstP[repo], p)
		}
	}
	for _, sp := range specs {
		type val struct{ id, name string }
		var vals []val
		if sp.groups {
			for _, g := range sp.dim.Groups {
				vals = append(vals, val{g.ID, g.Name})
			}
		} else {
			for _, v := range sp.dim.AllValues() {
				vals = append(vals, val{v.ID, v.Name})
			}
		}
		for _, v := range vals {
			match := has(sp.dim, v.id, sp.groups)
			counts := map[string][]int{}
			for _, repo := range repos {
				counts[repo] = make([]int, len(tr.Periods))
			}
			for i, b := range bugs {
				if periodOf[i] < 0 || !match(b.Labels) {
					continue
				}
				counts["all"][periodOf[i]]++
				counts[b.Repo][periodOf[i]]++
			}
			for _, repo := range repos {
				if firstP[repo] >= len(tr.Periods) {
					continue
				}
				s := TrendSeries{Dimension: sp.name, ID: v.id, Name: v.name, Repo: repo}
				total := 0
				for p := firstP[repo]; p < len(tr.Periods); p++ {
					n, k := base[repo][p], counts[repo][p]
					total += k
					iv := stats.Wilson(float64(k), float64(n), Confidence)
					s.Points = append(s.Points, TrendPoint{Period: tr.Periods[p], Count: k, Base: n, Share: share(k, n), Sparse: n < MinPeriodBugs,
						Estimate: &Estimate{Share: share(k, n), Lo: iv.Lo, Hi: iv.Hi, Method: MethodWilson}})
				}
				if total == 0 {
					continue // a value this engine never had
				}
				s.CountTrend, s.ShareTrend = trendTests(s.Points, tr.Partial)
				tr.Series = append(tr.Series, s)
			}
		}
	}
	return tr
}

func repoList(engs []Engine) []string {
	out := make([]string, len(engs))
	for i, e := range engs {
		out[i] = e.Repo
	}
	return out
}

// trendTests runs Mann–Kendall with Sen's slope on the counts (without a
// partial last period) and Cochran–Armitage on the shares (periods with
// bugs), each when there are at least four periods to test.
func trendTests(pts []TrendPoint, partial string) (count, shr *TrendTest) {
	var xs []float64
	for _, p := range pts {
		if p.Period != partial {
			xs = append(xs, float64(p.Count))
		}
	}
	if len(xs) >= 4 {
		mk := stats.MannKendall(xs)
		sen := stats.SenSlope(xs, Confidence)
		count = &TrendTest{Method: MethodMannKendall, Statistic: mk.Tau, P: mk.P, Slope: sen.Slope, Interval: sen.Interval, Periods: len(xs)}
	}
	var k, n []int
	var score []float64
	for i, p := range pts {
		if p.Base > 0 {
			k, n, score = append(k, p.Count), append(n, p.Base), append(score, float64(i))
		}
	}
	if len(k) >= 4 {
		ca := stats.CochranArmitage(k, n, score, Confidence)
		shr = &TrendTest{Method: MethodCochranArmitage, Statistic: ca.ChiSquare, P: ca.P, Slope: ca.Slope, Interval: ca.Interval, Periods: len(k)}
	}
	return count, shr
}
