package report

import (
	"fmt"
	"strings"

	"github.com/bugscope/bugscope/stats"
)

// The Markdown helpers of part 5's figures (estimate.go, trends.go,
// compare.go, survival.go); the template lays them out.

// interval says "[9–15%]".
func interval(e *Estimate) string {
	return "[" + strings.TrimSuffix(pct(e.Lo), "%") + "–" + pct(e.Hi) + "]"
}

// shareCell is a table cell: the count, its share and the estimate's
// interval; with hand labels the corrected share follows the raw one.
func shareCell(n, base int, e *Estimate) string {
	if e == nil {
		return fmt.Sprintf("%d (%s)", n, pct(share(n, base)))
	}
	if e.Method == MethodPPI {
		return fmt.Sprintf("%d (%s; est. %s %s)", n, pct(share(n, base)), pct(e.Share), interval(e))
	}
	return fmt.Sprintf("%d (%s %s)", n, pct(e.Share), interval(e))
}

// shareText says a category's share in prose: "12% of bugs, 95% CI
// 9–15%" or, corrected, "corrected 10% of bugs (95% CI 7–14%; raw 12%)".
func shareText(c Count) string {
	e := c.Estimate
	if e == nil {
		return pct(c.Share) + " of bugs"
	}
	if e.Method == MethodPPI {
		return fmt.Sprintf("corrected %s of bugs (95%% CI %s–%s; the classifier's %s)", pct(e.Share), pct(e.Lo), pct(e.Hi), pct(c.Share))
	}
	return fmt.Sprintf("%s of bugs (95%% CI %s–%s)", pct(e.Share), pct(e.Lo), pct(e.Hi))
}

// accuracyText says the classifier's precision and recall for a value.
func accuracyText(a *LabelAccuracy) string {
	if a == nil {
		return ""
	}
	f := func(x *float64) string {
		if x == nil {
			return "–"
		}
		return fmt.Sprintf("%.2f", *x)
	}
	return fmt.Sprintf("precision %s, recall %s (%d predicted, %d hand-labelled)", f(a.Precision), f(a.Recall), a.Predicted, a.Actual)
}

func accuracyTable(as []DimensionAccuracy) string {
	var b strings.Builder
	b.WriteString("| Dimension | Level | Scored | Accuracy | Macro-F1 | κ |\n|---|---|---:|---:|---:|---:|\n")
	for _, a := range as {
		fmt.Fprintf(&b, "| %s | %s | %d | %.3f | %.3f | %.3f (%s) |\n", escapeMarkdown(a.Name), a.Level, a.N, a.Accuracy, a.MacroF1, a.Kappa, escapeMarkdown(a.KappaMeasure))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// periodTable lays out the bugs per period of every engine (the bases of
// the trends), marking sparse periods.
func periodTable(t *Trends, engs []Engine) string {
	bases := map[string]map[string]TrendPoint{}
	for _, s := range t.Series {
		if bases[s.Repo] != nil {
			continue
		}
		bases[s.Repo] = map[string]TrendPoint{}
		for _, p := range s.Points {
			bases[s.Repo][p.Period] = p
		}
	}
	var b strings.Builder
	b.WriteString("| " + strings.ToUpper(t.Period[:1]) + t.Period[1:] + " | All |")
	for _, e := range engs {
		b.WriteString(" " + escapeMarkdown(e.Name) + " |")
	}
	b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(engs)) + "\n")
	cell := func(repo, period string) string {
		p, ok := bases[repo][period]
		switch {
		case !ok:
			return "–"
		case p.Sparse:
			return fmt.Sprintf("%d*", p.Base)
		}
		return fmt.Sprint(p.Base)
	}
	for _, p := range t.Periods {
		label := p
		if p == t.Partial {
			label += " (partial)"
		}
		fmt.Fprintf(&b, "| %s | %s |", label, cell("all", p))
		for _, e := range engs {
			fmt.Fprintf(&b, " %s |", cell(e.Repo, p))
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// trendTable lists the series of one dimension over all engines, and the
// engines' series whose trend is significant.
func trendTable(t *Trends, dim string, engs []Engine) string {
	name := map[string]string{"all": "All"}
	for _, e := range engs {
		name[e.Repo] = e.Name
	}
	test := func(tt *TrendTest, scale float64, unit string) string {
		if tt == nil {
			return "–"
		}
		s := fmt.Sprintf("%+.1f%s [%+.1f, %+.1f], adjusted %s", scale*tt.Slope, unit, scale*tt.Interval.Lo, scale*tt.Interval.Hi, pText(tt.PAdjusted))
		if tt.Significant {
			s = "**" + s + "**"
		}
		return s
	}
	var b strings.Builder
	b.WriteString("| Value | Engine | Share trend (points per " + t.Period + ", Cochran–Armitage) | Count trend (bugs per " + t.Period + ", Mann–Kendall/Sen) |\n|---|---|---|---|\n")
	for _, s := range t.Series {
		if s.Dimension != dim {
			continue
		}
		sig := s.ShareTrend != nil && s.ShareTrend.Significant || s.CountTrend != nil && s.CountTrend.Significant
		if s.Repo != "all" && !sig {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", escapeMarkdown(s.Name), escapeMarkdown(name[s.Repo]), test(s.ShareTrend, 100, ""), test(s.CountTrend, 1, ""))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// compareTable lays out an engine comparison: each cell's count and its
// adjusted standardized residual, the cells beyond ±1.96 in bold.
func compareTable(c Comparison, engs []Engine) string {
	name := map[string]string{}
	for _, e := range engs {
		name[e.Repo] = e.Name
	}
	var b strings.Builder
	b.WriteString("| Engine |")
	for _, n := range c.Names {
		b.WriteString(" " + escapeMarkdown(n) + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(c.Names)) + "\n")
	for i, repo := range c.Engines {
		fmt.Fprintf(&b, "| %s |", escapeMarkdown(name[repo]))
		for j := range c.Values {
			cell := fmt.Sprintf("%d (%+.1f)", c.Table[i][j], c.Residuals[i][j])
			if r := c.Residuals[i][j]; r >= 1.96 || r <= -1.96 {
				cell = "**" + cell + "**"
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func pairText(c Comparison, engs []Engine) string {
	name := map[string]string{}
	for _, e := range engs {
		name[e.Repo] = e.Name
	}
	var parts []string
	for _, p := range c.Pairwise {
		parts = append(parts, fmt.Sprintf("%s vs %s χ²(%d) = %.1f, Holm-adjusted %s", escapeMarkdown(name[p.A]), escapeMarkdown(name[p.B]), p.DF, p.ChiSquare, pText(p.PHolm)))
	}
	return strings.Join(parts, "; ")
}

func kmTable(ks []KMSummary, header string) string {
	var b strings.Builder
	b.WriteString("| " + header + " | Bugs | Closed | Median days to close (95% CI) |\n|---|---:|---:|---|\n")
	for _, k := range ks {
		fmt.Fprintf(&b, "| %s | %d | %d | %s |\n", escapeMarkdown(k.Name), k.Bugs, k.Closed, daysCI(k.Median, k.MedianLo, k.MedianHi))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func attentionTable(as []Attention) string {
	ci := func(iv *stats.Interval) string {
		if iv == nil {
			return ""
		}
		return fmt.Sprintf(" [%g–%g]", iv.Lo, iv.Hi)
	}
	var b strings.Builder
	b.WriteString("| Category | Bugs | Median comments (95% CI) | Median reactions (95% CI) |\n|---|---:|---:|---:|\n")
	for _, a := range as {
		fmt.Fprintf(&b, "| %s | %d | %g%s | %g%s |\n", escapeMarkdown(a.Name), a.Bugs, a.Comments, ci(a.CommentsCI), a.Reactions, ci(a.ReactionsCI))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func ciDays(iv *stats.Interval) string {
	if iv == nil {
		return ""
	}
	lo, hi := iv.Lo, iv.Hi
	return " [" + days(&lo) + "–" + days(&hi) + "]"
}

func ciNumber(iv *stats.Interval) string {
	if iv == nil {
		return ""
	}
	lo, hi := iv.Lo, iv.Hi
	return " [" + number(&lo) + "–" + number(&hi) + "]"
}

// chartLink shows a chart written beside the report: the SVG inline with
// a link to the PNG; nothing when the report has no such chart.
func chartLink(cs []Chart, id string) string {
	for _, c := range cs {
		if c.ID == id {
			return fmt.Sprintf("![%s](%s)\n\n[PNG](%s)", escapeMarkdown(c.Title), c.SVG, c.PNG)
		}
	}
	return ""
}
