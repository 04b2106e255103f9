package metrics

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// WriteText renders the comparison as plain text for a terminal: a summary
// line per dimension (N, accuracy, macro-F1, kappa and its interval), then a
// confusion matrix per single-valued row and a per-label table per
// multi-valued row. Undefined figures print as "n/a".
func (c Comparison) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "taxonomy %s (version %s): %d items in both, %d only in a, %d only in b\n\n",
		c.Taxonomy, c.TaxonomyVersion, c.Common, c.OnlyA, c.OnlyB)

	names := []string{"dimension"}
	scopes := []string{"scope"}
	for _, d := range c.Dimensions {
		names, scopes = append(names, rowName(d)), append(scopes, d.Scope)
	}
	names, scopes = padRight(names), padRight(scopes)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t%s\tn\tno b\taccuracy\tmacro-F1\tkappa\t\t95%% CI\t\n", names[0], scopes[0])
	for i, d := range c.Dimensions {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n",
			names[i+1], scopes[i+1], d.N, d.MissingB, d.Accuracy, d.MacroF1, d.Kappa, measureMark(d.KappaMeasure), ciText(d.KappaCI))
	}
	tw.Flush()
	fmt.Fprintln(ew)
	fmt.Fprintln(ew, "accuracy of a multi-valued dimension is exact match; kappa: c Cohen's, q quadratic-weighted, m mean per-label yes/no kappa")
	fmt.Fprintln(ew, "no b: scored items to which b gives no value, counted as "+None)

	for _, d := range c.Dimensions {
		fmt.Fprintln(ew)
		switch {
		case d.Single != nil:
			writeSingle(ew, d)
		case d.MultiLabel != nil:
			writeMulti(ew, d)
		}
	}
	if len(c.Disagreements) > 0 {
		fmt.Fprintf(ew, "\n%d disagreements (a -> b)\n", len(c.Disagreements))
	}
	return ew.err
}

// WriteDisagreements lists the disagreements, one a line: item, dimension,
// a's value(s) and b's.
func (c Comparison) WriteDisagreements(w io.Writer) error {
	ew := &errWriter{w: w}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "item\tdimension\ta\tb")
	for _, d := range c.Disagreements {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Item, d.Dimension, setText(d.A), setText(d.B))
	}
	tw.Flush()
	return ew.err
}

func writeSingle(w io.Writer, d DimensionScores) {
	s := d.Single
	fmt.Fprintf(w, "%s: %d items; Cohen's kappa %s (SE %s)", rowName(d), d.N, s.Kappa, s.KappaSE)
	if s.Weighted != nil {
		fmt.Fprintf(w, "; weighted kappa linear %s, quadratic %s (SE %s)", s.Weighted.Linear, s.Weighted.Quadratic, s.Weighted.QuadraticSE)
	}
	fmt.Fprintf(w, "; Krippendorff's alpha (%s, %d items both label) %s\n", s.AlphaLevel, s.AlphaN, s.Alpha)
	m := s.Confusion
	if len(m.Labels) == 0 {
		return
	}
	// Columns carry the labels when they are short, else row numbers.
	short := true
	for _, l := range m.Labels {
		if len(l) > 8 {
			short = false
		}
	}
	head := func(i int) string {
		if short {
			return m.Labels[i]
		}
		return strconv.Itoa(i + 1)
	}
	rows := padRight(append([]string{"a \\ b"}, m.Labels...))
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	if !short {
		fmt.Fprint(tw, "\t")
	}
	fmt.Fprintf(tw, "%s\t", rows[0])
	for i := range m.Labels {
		fmt.Fprintf(tw, " %s\t", head(i))
	}
	fmt.Fprint(tw, "\n")
	for i, row := range m.Counts {
		if !short {
			fmt.Fprintf(tw, "%d\t", i+1)
		}
		fmt.Fprintf(tw, "%s\t", rows[i+1])
		for _, n := range row {
			cell := "."
			if n != 0 {
				cell = strconv.Itoa(n)
			}
			fmt.Fprintf(tw, " %s\t", cell)
		}
		fmt.Fprint(tw, "\n")
	}
	tw.Flush()
	if len(s.Classes) > 0 {
		names := []string{"class"}
		for _, c := range s.Classes {
			names = append(names, c.Class)
		}
		names = padRight(names)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "%s\tin a\tin b\tboth\tprecision\trecall\tF1\t\n", names[0])
		for i, c := range s.Classes {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t\n", names[i+1], c.Support, c.Predicted, c.Correct, c.Precision, c.Recall, c.F1)
		}
		tw.Flush()
	}
}

func writeMulti(w io.Writer, d DimensionScores) {
	m := d.MultiLabel
	fmt.Fprintf(w, "%s: %d items; exact match %s, micro-F1 %s, macro-F1 %s, mean Jaccard %s, mean per-label kappa %s\n",
		rowName(d), m.N, m.ExactMatch, m.MicroF1, m.MacroF1, m.MeanJaccard, m.MeanKappa)
	if len(m.Labels) == 0 {
		return
	}
	names := []string{"label"}
	for _, l := range m.Labels {
		names = append(names, l.Label)
	}
	names = padRight(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tin a\tin b\tboth\tprecision\trecall\tF1\tkappa\t\n", names[0])
	for i, l := range m.Labels {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", names[i+1], l.Support, l.Predicted, l.Correct, l.Precision, l.Recall, l.F1, l.Kappa)
	}
	tw.Flush()
}

// padRight pads strings to one width so that a right-aligned tabwriter
// column reads left-aligned.
func padRight(ss []string) []string {
	w := 0
	for _, s := range ss {
		w = max(w, utf8.RuneCountInString(s))
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s + strings.Repeat(" ", w-utf8.RuneCountInString(s))
	}
	return out
}

func rowName(d DimensionScores) string {
	if d.Level == LevelGroup {
		return d.Dimension + "/group"
	}
	return d.Dimension
}

func measureMark(m string) string {
	switch m {
	case KappaCohen:
		return "c"
	case KappaQuadratic:
		return "q"
	case KappaMeanPerLabel:
		return "m"
	}
	return m
}

func ciText(iv CI) string {
	if !iv.Defined() {
		return "n/a"
	}
	return "[" + iv.Lo.String() + ", " + iv.Hi.String() + "]"
}

func setText(vs []string) string {
	if len(vs) == 0 {
		return "-"
	}
	return strings.Join(vs, ",")
}

// errWriter keeps the first write error so that the renderers need not
// check each Fprintf.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	if _, err := e.w.Write(p); err != nil {
		e.err = err
	}
	return len(p), nil
}
