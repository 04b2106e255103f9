package report

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/stats"
)

// Formats a report can be written in.
var Formats = []string{"markdown", "json", "csv"}

// Write writes the report in one of Formats ("md" is markdown).
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "markdown", "md":
		return r.WriteMarkdown(w)
	case "json":
		return r.WriteJSON(w)
	case "csv":
		return r.WriteCSV(w)
	}
	return fmt.Errorf("unknown report format %q (markdown, json, csv)", format)
}

// WriteJSON writes the report as indented JSON, with the characters a
// terminal would act on escaped (safetext.WriteJSON).
func (r *Report) WriteJSON(w io.Writer) error {
	return safetext.WriteJSON(w, r)
}

// CSVHeader is the header of the CSV form: one row per figure, with repo
// "all" for the figure over all engines. base is what share is a fraction
// of; estimate, lo and hi are the share's estimate and 95% interval
// (method wilson or ppi), or a test's effect size with its interval;
// statistic, p and p_adjusted are a test's (see WriteCSV).
var CSVHeader = []string{"section", "dimension", "group", "id", "name", "repo", "count", "base", "share", "lift",
	"estimate", "lo", "hi", "method", "statistic", "p", "p_adjusted"}

// WriteCSV writes every figure of the report as one CSV row, in long form
// for spreadsheets and data frames. Besides the counts and shares: trend
// rows (one per series and period, group the period) and trend_test rows
// (group count or share, count the periods tested, estimate the slope);
// engine_comparison rows (estimate Cramér's V), residual rows (estimate the
// cell's adjusted standardized residual) and pairwise rows (p_adjusted is
// Holm's); time_to_close rows (count closed of base bugs, estimate the
// median days) and log_rank rows; attention rows (estimate the median). Every
// cell is made safe for a terminal and a spreadsheet (safetext.CSVCell).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := safetext.NewCSVWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	est := func(e *Estimate) []string {
		if e == nil {
			return []string{"", "", "", ""}
		}
		return []string{f(e.Share), f(e.Lo), f(e.Hi), e.Method}
	}
	row := func(section, dim, group, id, name, repo string, count, base int, lift float64, e *Estimate) {
		l := ""
		if lift != 0 {
			l = f(lift)
		}
		rec := []string{section, dim, group, id, name, repo, strconv.Itoa(count), strconv.Itoa(base), f(share(count, base)), l}
		cw.Write(append(append(rec, est(e)...), "", "", ""))
	}
	// test writes a row of a test or an effect.
	test := func(section, dim, group, id, name, repo, count, base string, effect *float64, iv *stats.Interval, method string, stat, p, q *float64) {
		opt := func(x *float64) string {
			if x == nil || math.IsNaN(*x) || math.IsInf(*x, 0) {
				return ""
			}
			return f(*x)
		}
		var lo, hi *float64
		if iv != nil {
			lo, hi = &iv.Lo, &iv.Hi
		}
		cw.Write([]string{section, dim, group, id, name, repo, count, base, "", "", opt(effect), opt(lo), opt(hi), method, opt(stat), opt(p), opt(q)})
	}
	perRepo := func(section, dim, group string, c Count, base int, baseByRepo map[string]int) {
		row(section, dim, group, c.ID, c.Name, "all", c.Count, base, 0, c.Estimate)
		for _, e := range r.Engines {
			var x *Estimate
			if v, ok := c.EstimateByRepo[e.Repo]; ok {
				x = &v
			}
			row(section, dim, group, c.ID, c.Name, e.Repo, c.ByRepo[e.Repo], baseByRepo[e.Repo], 0, x)
		}
	}
	t := r.Totals
	perRepo("totals", "", "", Count{ID: "issues", Name: "Issues", Count: t.Issues, ByRepo: t.ByRepo}, t.Issues, t.ByRepo)
	perRepo("totals", "", "", Count{ID: "bugs", Name: "Bugs", Count: t.Bugs, ByRepo: t.BugsByRepo}, t.Issues, t.ByRepo)
	cv := r.Coverage
	row("coverage", "", "", "labelled", "Issues labelled of those the filter selects", "all", cv.Labelled, cv.InFilter, 0, nil)
	for _, c := range cv.Classifiers {
		row("coverage", "", "", c.Name, c.Name+" "+c.Version, "all", c.Issues, cv.Labelled, 0, nil)
	}
	if cv.Stale > 0 {
		row("coverage", "", "", "stale", "Issues whose labels were made before an import changed them", "all", cv.Stale, cv.Labelled, 0, nil)
	}
	dist := func(section string, d Distribution) {
		for _, c := range d.Values {
			perRepo(section, d.Dimension, c.Group, c, d.Base, d.BaseByRepo)
		}
		for _, g := range d.Groups {
			perRepo(section+"_group", d.Dimension, "", g, d.Base, d.BaseByRepo)
		}
	}
	dist("kind", r.Kinds)
	for _, c := range r.Categories {
		perRepo("category", r.CategoryDimension, "", c.Count, t.Bugs, t.BugsByRepo)
		for _, s := range c.Subcategories {
			perRepo("subcategory", r.CategoryDimension, c.ID, s.Count, t.Bugs, t.BugsByRepo)
		}
	}
	for _, e := range r.Patterns {
		for _, p := range e.Patterns {
			row("pattern", "patterns", "", p.ID, p.Name, e.Repo, p.Count, e.Bugs, p.Lift, p.Estimate)
		}
	}
	dist("root_cause", r.RootCauses)
	dist("severity", r.Severities)
	for _, d := range r.OtherDimensions {
		dist("dimension", d)
	}
	signals := func(section string, ss []SignalCount) {
		for _, s := range ss {
			perRepo(section, "", "", Count{ID: s.Value, Name: s.Value, Count: s.Count, ByRepo: s.ByRepo}, t.Bugs, t.BugsByRepo)
		}
	}
	signals("error_signature", r.Signatures)
	signals("exception", r.Exceptions)
	signals("gpu", r.Hardware)
	signals("backend", r.Backends)
	signals("os", r.Systems)
	fixEffortCSV(r.FixEffort, r.Engines, func(rec []string) error {
		return cw.Write(append(rec, "", "", "", "", "", "", ""))
	})
	if tr := r.Trends; tr != nil {
		for _, s := range tr.Series {
			for _, p := range s.Points {
				row("trend", s.Dimension, p.Period, s.ID, s.Name, s.Repo, p.Count, p.Base, 0, p.Estimate)
			}
			for _, x := range []struct {
				kind string
				tt   *TrendTest
			}{{"count", s.CountTrend}, {"share", s.ShareTrend}} {
				if tt := x.tt; tt != nil {
					test("trend_test", s.Dimension, x.kind, s.ID, s.Name, s.Repo, strconv.Itoa(tt.Periods), "", &tt.Slope, &tt.Interval, tt.Method, &tt.Statistic, &tt.P, &tt.PAdjusted)
				}
			}
		}
	}
	for _, c := range r.EngineComparison {
		method := "chi-square"
		if c.Test.MonteCarlo > 0 {
			method = "chi-square, Monte-Carlo p"
		}
		stat := c.Test.ChiSquare
		test("engine_comparison", c.Dimension, "", "cramers_v", c.Name, "all", strconv.Itoa(c.Test.N), strconv.Itoa(c.Test.DF), &c.CramersV, &c.VInterval, method, &stat, &c.Test.P, &c.Test.PAdjusted)
		for i, repo := range c.Engines {
			for j, v := range c.Values {
				res := c.Residuals[i][j]
				test("residual", c.Dimension, "", v, c.Names[j], repo, strconv.Itoa(c.Table[i][j]), "", &res, nil, "adjusted standardized residual", nil, nil, nil)
			}
		}
		for _, p := range c.Pairwise {
			test("pairwise", c.Dimension, "", p.A, p.B, "all", "", strconv.Itoa(p.DF), nil, nil, "chi-square, Holm", &p.ChiSquare, &p.P, &p.PHolm)
		}
	}
	if tc := r.TimeToClose; tc != nil {
		km := func(dim string, k KMSummary) {
			var iv *stats.Interval
			if k.MedianLo != nil && k.MedianHi != nil {
				iv = &stats.Interval{Lo: *k.MedianLo, Hi: *k.MedianHi}
			}
			test("time_to_close", dim, "", k.ID, k.Name, "all", strconv.Itoa(k.Closed), strconv.Itoa(k.Bugs), k.Median, iv, "kaplan-meier median days", nil, nil, nil)
		}
		km("all", tc.Overall)
		for _, k := range tc.ByRepo {
			km("engine", k)
		}
		for _, k := range tc.ByCategory {
			km("category", k)
		}
		for _, x := range []struct {
			dim string
			t   *LogRankTest
		}{{"engine", tc.Engines}, {"category", tc.Categories}} {
			if x.t != nil {
				test("log_rank", x.dim, "", "log_rank", "log-rank", "all", "", strconv.Itoa(x.t.DF), nil, nil, "log-rank", &x.t.ChiSquare, &x.t.P, &x.t.PAdjusted)
			}
		}
	}
	for _, a := range r.Attention {
		test("attention", "comments", "", a.ID, a.Name, "all", strconv.Itoa(a.Bugs), "", &a.Comments, a.CommentsCI, "median", nil, nil, nil)
		test("attention", "reactions", "", a.ID, a.Name, "all", strconv.Itoa(a.Bugs), "", &a.Reactions, a.ReactionsCI, "median", nil, nil, nil)
	}
	cw.Flush()
	return cw.Error()
}

// fixEffortCSV writes the fix-effort section in the CSV's long form
// (CSVHeader): for each row and engine, the fixed bugs (count, of base
// bugs, with their share), and each median rounded to a whole number in
// count, with base the bugs it is over and no share. The JSON form keeps
// the exact medians.
func fixEffortCSV(rows []CategoryFixEffort, engs []Engine, write func([]string) error) {
	one := func(r CategoryFixEffort, repo string, f FixEffort) {
		rec := func(dim string, count, base int, share string) {
			write([]string{"fix_effort", dim, r.Group, r.ID, r.Name, repo, strconv.Itoa(count), strconv.Itoa(base), share, ""})
		}
		rec("fixed", f.Fixed, f.Bugs, strconv.FormatFloat(share(f.Fixed, f.Bugs), 'f', 4, 64))
		if f.MedianDaysToFix != nil {
			rec("median_hours_to_fix", int(math.Round(*f.MedianDaysToFix*24)), f.Timed, "")
		}
		if f.MedianLinesChanged != nil {
			rec("median_lines_changed", int(math.Round(*f.MedianLinesChanged)), f.Sized, "")
		}
		if f.MedianFilesChanged != nil {
			rec("median_files_changed", int(math.Round(*f.MedianFilesChanged)), f.Sized, "")
		}
	}
	for _, r := range rows {
		one(r, "all", r.FixEffort)
		for _, e := range engs {
			one(r, e.Repo, r.ByRepo[e.Repo])
		}
	}
}
