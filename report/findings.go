package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/bugscope/bugscope/stats"
)

// Alpha is the level below which an adjusted p-value is significant.
const Alpha = 0.05

// MaxFindings bounds the key findings, the strongest first.
const MaxFindings = 10

// adjust applies Benjamini–Hochberg across every test of the report: the
// trend tests, the engine comparisons, the log-rank tests and the
// patterns' tests.
func (r *Report) adjust() {
	var ps []*float64
	var set []func(float64)
	add := func(p float64, f func(float64)) {
		v := p
		ps = append(ps, &v)
		set = append(set, f)
	}
	if r.Trends != nil {
		for i := range r.Trends.Series {
			for _, t := range []*TrendTest{r.Trends.Series[i].CountTrend, r.Trends.Series[i].ShareTrend} {
				if t != nil {
					add(t.P, func(q float64) { t.PAdjusted, t.Significant = q, q < Alpha })
				}
			}
		}
	}
	for i := range r.EngineComparison {
		t := &r.EngineComparison[i].Test
		add(t.P, func(q float64) { t.PAdjusted, t.Significant = q, q < Alpha })
	}
	if tc := r.TimeToClose; tc != nil {
		for _, t := range []*LogRankTest{tc.Engines, tc.Categories} {
			if t != nil {
				add(t.P, func(q float64) { t.PAdjusted, t.Significant = q, q < Alpha })
			}
		}
	}
	for i := range r.Patterns {
		for j := range r.Patterns[i].Patterns {
			p := &r.Patterns[i].Patterns[j]
			if p.P != nil {
				add(*p.P, func(q float64) { p.PAdjusted = &q })
			}
		}
	}
	raw := make([]float64, len(ps))
	for i, p := range ps {
		raw[i] = *p
	}
	for i, q := range stats.BenjaminiHochberg(raw) {
		set[i](q)
	}
}

// finding is a sentence with the adjusted p-value that orders it.
type finding struct {
	q    float64
	text string
}

// findings writes the key findings from the significant results only, each
// with its figure, interval and test, strongest (smallest adjusted p)
// first.
func (r *Report) findings() {
	name := map[string]string{"all": "all engines"}
	for _, e := range r.Engines {
		name[e.Repo] = e.Name
	}
	var fs []finding
	est := r.Estimation.Method
	for _, c := range r.EngineComparison {
		if !c.Test.Significant {
			continue
		}
		// The cell that stands out most.
		bi, bj, best := -1, -1, 0.0
		for i := range c.Residuals {
			for j, v := range c.Residuals[i] {
				if math.Abs(v) > math.Abs(best) {
					bi, bj, best = i, j, v
				}
			}
		}
		text := fmt.Sprintf("The engines differ in %s (%s; Cramér's V %.2f, 95%% CI %.2f–%.2f)", strings.ToLower(c.Name), chiText(c.Test), c.CramersV, c.VInterval.Lo, c.VInterval.Hi)
		if bi >= 0 && math.Abs(best) >= 1.96 {
			more := "more"
			if best < 0 {
				more = "fewer"
			}
			repo := c.Engines[bi]
			cell := fmt.Sprintf("%s has %s %s than the other engines", name[repo], more, pluralValue(c, bj))
			if e := r.valueEstimate(c.Dimension, c.Values[bj], repo); e != nil {
				cell += fmt.Sprintf(": %s of its %s (95%% CI %s–%s, %s)", pct(e.Share), c.Base, pct(e.Lo), pct(e.Hi), est)
			}
			text += "; " + cell + fmt.Sprintf(", adjusted residual %+.1f", best)
		}
		fs = append(fs, finding{c.Test.PAdjusted, text + "."})
	}
	if r.Trends != nil {
		for _, s := range r.Trends.Series {
			where := "across engines"
			if s.Repo != "all" {
				where = "in " + name[s.Repo]
			}
			if t := s.ShareTrend; t != nil && t.Significant {
				dir := "rose"
				if t.Slope < 0 {
					dir = "fell"
				}
				fs = append(fs, finding{t.PAdjusted, fmt.Sprintf("The share of bugs labelled %s %s %s by %.1f points per %s (95%% CI %+.1f to %+.1f) over %d %ss (Cochran–Armitage χ²(1) = %.1f, BH-adjusted %s).",
					s.Name, where, dir, math.Abs(100*t.Slope), r.Trends.Period, 100*t.Interval.Lo, 100*t.Interval.Hi, t.Periods, r.Trends.Period, t.Statistic, pText(t.PAdjusted))})
			}
			if t := s.CountTrend; t != nil && t.Significant && t.Slope != 0 {
				dir := "rose"
				if t.Slope < 0 {
					dir = "fell"
				}
				fs = append(fs, finding{t.PAdjusted, fmt.Sprintf("The number of bugs labelled %s %s %s by %.1f per %s (Sen's slope, 95%% CI %.1f to %.1f) over %d %ss (Mann–Kendall τ = %.2f, BH-adjusted %s).",
					s.Name, where, dir, math.Abs(t.Slope), r.Trends.Period, t.Interval.Lo, t.Interval.Hi, t.Periods, r.Trends.Period, t.Statistic, pText(t.PAdjusted))})
			}
		}
	}
	if tc := r.TimeToClose; tc != nil {
		if t := tc.Engines; t != nil && t.Significant {
			fs = append(fs, finding{t.PAdjusted, fmt.Sprintf("Time to close a bug differs between engines: median %s (log-rank χ²(%d) = %.1f, BH-adjusted %s).", medians(tc.ByRepo), t.DF, t.ChiSquare, pText(t.PAdjusted))})
		}
		if t := tc.Categories; t != nil && t.Significant {
			fs = append(fs, finding{t.PAdjusted, fmt.Sprintf("Time to close differs between categories: median %s (log-rank χ²(%d) = %.1f, BH-adjusted %s).", medians(tc.ByCategory), t.DF, t.ChiSquare, pText(t.PAdjusted))})
		}
	}
	for _, ep := range r.Patterns {
		for _, p := range ep.Patterns {
			if p.PAdjusted == nil || *p.PAdjusted >= Alpha || p.Lift <= 1 || p.Estimate == nil {
				continue
			}
			fs = append(fs, finding{*p.PAdjusted, fmt.Sprintf("%s is typical of %s: %s of its bugs (95%% CI %s–%s), lift %.2f over all engines (Fisher's exact test, BH-adjusted %s).",
				p.Name, ep.Name, pct(p.Estimate.Share), pct(p.Estimate.Lo), pct(p.Estimate.Hi), p.Lift, pText(*p.PAdjusted))})
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].q < fs[j].q })
	r.KeyFindings = []string{}
	for i, f := range fs {
		if i == MaxFindings {
			break
		}
		r.KeyFindings = append(r.KeyFindings, f.text)
	}
}

func chiText(t ChiTest) string {
	how := ""
	if t.MonteCarlo > 0 {
		how = fmt.Sprintf(", Monte-Carlo p from %d tables", t.MonteCarlo)
	}
	return fmt.Sprintf("χ²(%d) = %.1f, n = %d%s, BH-adjusted %s", t.DF, t.ChiSquare, t.N, how, pText(t.PAdjusted))
}

func pluralValue(c Comparison, j int) string {
	return c.Base + " labelled " + c.Names[j]
}

// pText writes a p-value as papers do: "p = 0.012", or "p < 0.001".
func pText(p float64) string {
	if p < 0.001 {
		return "p < 0.001"
	}
	return fmt.Sprintf("p = %.3f", p)
}

func medians(ks []KMSummary) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s in %s", daysCI(k.Median, k.MedianLo, k.MedianHi), k.Name))
	}
	return strings.Join(parts, ", ")
}

// daysCI says "12.0 days (95% CI 9.1–15.3)", with "not reached" for a
// median or bound the curve does not get to.
func daysCI(m, lo, hi *float64) string {
	f := func(x *float64) string {
		if x == nil {
			return "not reached"
		}
		return fmt.Sprintf("%.1f", *x)
	}
	if m == nil {
		return "not reached"
	}
	return fmt.Sprintf("%s days (95%% CI %s–%s)", f(m), f(lo), f(hi))
}

// valueEstimate finds the estimate of one value of a dimension in one
// engine.
func (r *Report) valueEstimate(dim, id, repo string) *Estimate {
	pick := func(cs []Count) *Estimate {
		for _, c := range cs {
			if c.ID == id {
				if e, ok := c.EstimateByRepo[repo]; ok {
					return &e
				}
			}
		}
		return nil
	}
	switch dim {
	case r.Kinds.Dimension:
		return pick(r.Kinds.Values)
	case r.CategoryDimension:
		var cs []Count
		for _, c := range r.Categories {
			cs = append(cs, c.Count)
		}
		return pick(cs)
	case r.RootCauses.Dimension:
		return pick(r.RootCauses.Values)
	case r.Severities.Dimension:
		return pick(r.Severities.Values)
	}
	return nil
}

// threats writes the threats to validity from what was measured.
func (r *Report) threats() {
	var ts []string
	e := r.Estimation
	acc := func() string {
		var parts []string
		for _, a := range e.Accuracy {
			if a.Level == "group" && a.Dimension != r.CategoryDimension {
				continue
			}
			name := strings.ToLower(a.Name)
			parts = append(parts, fmt.Sprintf("%s accuracy %.2f, κ %.2f on %d", name, a.Accuracy, a.Kappa, a.N))
		}
		return strings.Join(parts, "; ")
	}
	switch {
	case e.Gold == nil:
		ts = append(ts, fmt.Sprintf("Labels are automatic (classifier %s) and no hand labels were given: every share is the classifier's, and its intervals cover sampling noise only. The labels' accuracy is not measured here; measure it with bugscope eval and correct the shares with report --gold.", r.Classifier.Name))
	case !e.Gold.Corrected:
		ts = append(ts, fmt.Sprintf("Labels are automatic (classifier %s). On %d hand labels that are not a random sample: %s. The shares are not corrected; their intervals cover sampling noise only.", r.Classifier.Name, e.Gold.Used, acc()))
	default:
		ts = append(ts, fmt.Sprintf("Labels are automatic (classifier %s). On the %d hand labels of a random sample: %s. The shares and their intervals are corrected for these errors (prediction-powered inference), so they hold as far as the hand labels are right and the sample is random; with %d hand-labelled bugs, a category's interval is several points wide.", r.Classifier.Name, e.Gold.Used, acc(), e.Gold.Bugs))
	}
	ts = append(ts, "Trends, engine comparisons, times to close and attention use the classifier's labels of every issue, uncorrected: errors that are the same in every period and engine blur differences rather than create them, but errors that differ between engines (say, a rule that fits one engine's issue template) can create a difference; read a comparison beside the labels' accuracy.")
	if r.Trends != nil {
		starts := map[string]bool{}
		for _, s := range r.Trends.Series {
			if s.Repo != "all" && len(s.Points) > 0 {
				starts[s.Points[0].Period] = true
			}
		}
		if len(starts) > 1 {
			ts = append(ts, "The engines' issues start in different periods, so a trend over all engines mixes a change within the engines with a change in which engines report: read it beside the engines' own series.")
		}
	}
	if r.Trends != nil && r.Trends.Partial != "" {
		ts = append(ts, fmt.Sprintf("The last %s (%s) is cut by the data's snapshot: its counts are left out of the count trends.", r.Trends.Period, r.Trends.Partial))
	}
	if tc := r.TimeToClose; tc != nil {
		ts = append(ts, fmt.Sprintf("Open bugs are censored at %s (%s); closing is not fixing: an issue may be closed as stale, duplicate or not planned.", tc.AsOf.Format("2006-01-02"), tc.AsOfSource))
	}
	tests := 0
	if r.Trends != nil {
		for _, s := range r.Trends.Series {
			if s.CountTrend != nil {
				tests++
			}
			if s.ShareTrend != nil {
				tests++
			}
		}
	}
	tests += len(r.EngineComparison)
	ts = append(ts, fmt.Sprintf("The report runs %d trend and comparison tests (and the patterns' tests); p-values are adjusted with Benjamini–Hochberg across all of them, so about 5%% of the findings called significant may be false discoveries.", tests))
	r.Threats = ts
}
