package report

import (
	"embed"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/template"

	"github.com/bugscope/bugscope/internal/safetext"
)

//go:embed templates/*.tmpl
var templates embed.FS

var markdownTemplate = template.Must(template.New("report.md.tmpl").Funcs(template.FuncMap{
	"md":           escapeMarkdown,
	"inc":          func(i int) int { return i + 1 },
	"pct":          pct,
	"plural":       plural,
	"engineCounts": engineCounts,
	"filters":      describeFilters,
	"flat":         func(c Category) bool { return len(c.Subcategories) == 1 && c.Subcategories[0].ID == c.ID },
	"countList":    countList,
	"signalList":   signalList,
	"exampleLink":  exampleLink,
	"distTable":    distTable,
	"groupTable":   groupTable,
	"signalTable":  signalTable,
	"fixTable":     fixTable,
	"coverage":     coverageMarkdown,
	"shareText":    shareText,
	"accuracyText": accuracyText,
	"trendTable":   trendTable,
	"periodTable":  periodTable,
	"compareTable": compareTable,
	"pairText":     pairText,
	"chiText":      chiText,
	"kmTable":      kmTable,
	"attnTable":    attentionTable,
	"accTable":     accuracyTable,
	"chart":        chartLink,
	"pText":        pText,
	"list1":        func(k KMSummary) []KMSummary { return []KMSummary{k} },
}).ParseFS(templates, "templates/report.md.tmpl"))

// WriteMarkdown writes the report as Markdown. Every piece of outside
// text goes through md, code or exampleLink; the whole is made safe for a
// terminal once more (safetext.Text), so that no section can forget it.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var buf strings.Builder
	if err := markdownTemplate.Execute(&buf, r); err != nil {
		return err
	}
	_, err := io.WriteString(w, safetext.Text(buf.String()))
	return err
}

// escapeMarkdown makes untrusted text (issue titles, quoted lines) inert in
// Markdown and on a terminal, on one line (safetext.Markdown).
func escapeMarkdown(s string) string { return safetext.Markdown(s) }

// code renders text as an inline code span; backticks inside become quotes.
func code(s string) string {
	s = strings.NewReplacer("`", "'", "|", "\\|").Replace(safetext.Line(s))
	return "`" + s + "`"
}

func pct(f float64) string {
	switch {
	case f == 0:
		return "0%"
	case f < 0.001:
		return "<0.1%"
	case f < 0.1:
		return fmt.Sprintf("%.1f%%", f*100)
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// engineCounts says "44 in vLLM, 52 in llama.cpp, 0 in SGLang".
func engineCounts(engs []Engine, byRepo map[string]int) string {
	parts := make([]string, 0, len(engs))
	for _, e := range engs {
		parts = append(parts, fmt.Sprintf("%d in %s", byRepo[e.Repo], escapeMarkdown(e.Name)))
	}
	return strings.Join(parts, ", ")
}

func describeFilters(f Filters) string {
	var parts []string
	if len(f.Repos) > 0 {
		parts = append(parts, "repositories "+strings.Join(f.Repos, ", "))
	}
	if f.Since != nil {
		parts = append(parts, "opened since "+f.Since.Format("2006-01-02"))
	}
	if f.Until != nil {
		parts = append(parts, "opened before "+f.Until.Format("2006-01-02"))
	}
	if f.State != "" {
		parts = append(parts, "state "+f.State)
	}
	return strings.Join(parts, "; ")
}

// countList says "Critical 3 (5%) · High 20 (31%)", largest first; the
// shares are the counts' own (of the subcategory's bugs).
func countList(cs []Count) string {
	sorted := append([]Count(nil), cs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Count > sorted[j].Count })
	parts := make([]string, len(sorted))
	for i, c := range sorted {
		parts[i] = fmt.Sprintf("%s %d (%s)", escapeMarkdown(c.Name), c.Count, pct(c.Share))
	}
	return strings.Join(parts, " · ")
}

func signalList(ss []SignalCount) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%s (%d)", code(s.Value), s.Count)
	}
	return strings.Join(parts, ", ")
}

// exampleLink links an example to its issue; Build has checked the URL
// (safetext.IssueURL).
func exampleLink(e Example) string {
	return safetext.MarkdownLink(e.ID, e.URL)
}

// distTable lays out a distribution: one row per value with its count and
// share overall and per engine.
func distTable(d Distribution, engs []Engine) string {
	return countTable(d.Name, d.Values, d.Base, d.BaseByRepo, engs)
}

func groupTable(d Distribution, engs []Engine) string {
	return countTable("Group", d.Groups, d.Base, d.BaseByRepo, engs)
}

func countTable(header string, cs []Count, base int, baseByRepo map[string]int, engs []Engine) string {
	var b strings.Builder
	b.WriteString("| " + escapeMarkdown(header) + " | All |")
	for _, e := range engs {
		b.WriteString(" " + escapeMarkdown(e.Name) + " |")
	}
	b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(engs)) + "\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "| %s (%s) | %s |", escapeMarkdown(c.Name), code(c.ID), shareCell(c.Count, base, c.Estimate))
		for _, e := range engs {
			n := c.ByRepo[e.Repo]
			var est *Estimate
			if x, ok := c.EstimateByRepo[e.Repo]; ok {
				est = &x
			}
			fmt.Fprintf(&b, " %s |", shareCell(n, baseByRepo[e.Repo], est))
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func signalTable(ss []SignalCount, engs []Engine, header string) string {
	var b strings.Builder
	b.WriteString("| " + header + " | Bugs |")
	for _, e := range engs {
		b.WriteString(" " + escapeMarkdown(e.Name) + " |")
	}
	b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(engs)) + "\n")
	for _, s := range ss {
		fmt.Fprintf(&b, "| %s | %d |", code(s.Value), s.Count)
		for _, e := range engs {
			fmt.Fprintf(&b, " %d |", s.ByRepo[e.Repo])
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// fixTable lays out the fix-effort section: a row per category with the
// figures over all engines, and a cell per engine.
func fixTable(rows []CategoryFixEffort, engs []Engine) string {
	var b strings.Builder
	b.WriteString("| Category | Fixed bugs | Median time to fix | Median lines changed | Median files changed |")
	for _, e := range engs {
		b.WriteString(" " + escapeMarkdown(e.Name) + " |")
	}
	b.WriteString("\n|---|---:|---:|---:|---:|" + strings.Repeat("---|", len(engs)) + "\n")
	for _, r := range rows {
		name := escapeMarkdown(r.Name)
		switch r.Level {
		case "all":
			name = "**" + name + "**"
		case "subcategory":
			name = "&nbsp;&nbsp;" + name + " (" + code(r.ID) + ")"
		}
		fmt.Fprintf(&b, "| %s | %d of %d | %s%s | %s%s | %s%s |", name, r.Fixed, r.Bugs, days(r.MedianDaysToFix), ciDays(r.DaysToFixCI),
			number(r.MedianLinesChanged), ciNumber(r.LinesChangedCI), number(r.MedianFilesChanged), ciNumber(r.FilesChangedCI))
		for _, e := range engs {
			f := r.ByRepo[e.Repo]
			if f.Fixed == 0 {
				fmt.Fprintf(&b, " 0 of %d |", f.Bugs)
				continue
			}
			fmt.Fprintf(&b, " %d of %d · %s · %s lines |", f.Fixed, f.Bugs, days(f.MedianDaysToFix), number(f.MedianLinesChanged))
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// days says a duration in days, or in hours under two days.
func days(d *float64) string {
	switch {
	case d == nil:
		return "–"
	case *d < 2:
		return fmt.Sprintf("%.1f h", *d*24)
	}
	return fmt.Sprintf("%.1f d", *d)
}

func number(x *float64) string {
	if x == nil {
		return "–"
	}
	if *x == math.Trunc(*x) {
		return fmt.Sprintf("%.0f", *x)
	}
	return fmt.Sprintf("%.1f", *x)
}
