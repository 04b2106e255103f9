// Package tidy lays out classified issues as a tidy table for notebooks
// and data frames: one row per issue, one column per variable (bugscope
// export --tidy), written as CSV or Parquet. Columns lists every column
// with its meaning; the label columns follow the taxonomy's dimensions.
package tidy

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// Kinds of a column's values.
const (
	String    = "string"
	Integer   = "integer"
	Number    = "number"    // a fraction in 0..1
	Timestamp = "timestamp" // RFC 3339 in CSV, milliseconds (UTC) in Parquet
)

// Column is one column of the table.
type Column struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Doc  string `json:"doc"`
}

// Separator joins the values of a multi-valued cell (GitHub labels, a
// multi-valued dimension, several signals of a kind).
const Separator = "; "

// signalColumns are the extracted signals the table carries, in order.
var signalColumns = []struct{ kind, doc string }{
	{bugscope.SignalException, "exception types named in the report"},
	{bugscope.SignalErrorSignature, "normalised error signatures"},
	{bugscope.SignalGPU, "GPU models"},
	{bugscope.SignalBackend, "compute back ends (CUDA, ROCm, Metal, Vulkan, ...)"},
	{bugscope.SignalOS, "operating systems"},
	{bugscope.SignalEngineVersion, "engine versions"},
	{bugscope.SignalCUDA, "CUDA versions"},
	{bugscope.SignalROCm, "ROCm versions"},
}

// Columns are the table's columns for a taxonomy: the issue's metadata,
// then for each dimension its values and the classifier's confidence in
// them, then the classifier, then the signals.
func Columns(tax *taxonomy.Taxonomy) []Column {
	cs := []Column{
		{"repo", String, "repository, owner/name"},
		{"number", Integer, "issue number"},
		{"id", String, "owner/name#number"},
		{"url", String, "the issue's page"},
		{"title", String, "title, as written by the reporter"},
		{"state", String, "open or closed"},
		{"created_at", Timestamp, "when the issue was opened"},
		{"closed_at", Timestamp, "when it was closed; empty while open"},
		{"days_to_close", Number, "days from opening to closing; empty while open"},
		{"author_association", String, "the reporter's association with the repository (MEMBER, CONTRIBUTOR, NONE, ...)"},
		{"comments", Integer, "number of comments"},
		{"reactions", Integer, "number of reactions"},
		{"github_labels", String, "GitHub labels, joined by \"; \""},
	}
	for _, d := range tax.Dimensions {
		doc := d.Name + " (" + tax.Name + ")"
		if d.Multi {
			doc += ", values joined by \"; \""
		}
		if len(d.AppliesWhen) > 0 {
			doc += "; empty where it does not apply"
		}
		cs = append(cs, Column{d.ID, String, doc})
		if len(d.Groups) > 0 {
			cs = append(cs, Column{d.ID + "_group", String, "top-level group of " + d.ID})
		}
		cs = append(cs, Column{d.ID + "_confidence", Number, "the classifier's confidence in " + d.ID + ", 0..1, where it gives one"})
	}
	cs = append(cs,
		Column{"classifier", String, "the classifier whose labels these are"},
		Column{"classifier_version", String, "its version"},
		Column{"confidence", Number, "its overall confidence, 0..1"},
	)
	for _, s := range signalColumns {
		cs = append(cs, Column{s.kind, String, s.doc + ", joined by \"; \""})
	}
	return cs
}

// Cell is one value of the table: Null, or a string, integer, number or
// time by the column's kind.
type Cell struct {
	Null bool
	S    string
	I    int64
	F    float64
	T    time.Time
}

// Rows lays out the issues in the columns of Columns(tax).
func Rows(tax *taxonomy.Taxonomy, items []bugscope.Classified) [][]Cell {
	out := make([][]Cell, 0, len(items))
	str := func(s string) Cell { return Cell{S: s, Null: s == ""} }
	tm := func(t *time.Time) Cell {
		if t == nil {
			return Cell{Null: true}
		}
		return Cell{T: t.UTC()}
	}
	for _, it := range items {
		is, cl := it.Issue, it.Classification
		days := Cell{Null: true}
		if is.CreatedAt != nil && is.ClosedAt != nil {
			days = Cell{F: is.ClosedAt.Sub(*is.CreatedAt).Hours() / 24}
		}
		row := []Cell{str(is.Repo), {I: int64(is.Number)}, str(is.Ref().String()), str(is.URL), str(is.Title), str(is.State),
			tm(is.CreatedAt), tm(is.ClosedAt), days, str(is.AuthorAssociation), {I: int64(is.Comments)}, {I: int64(is.Reactions)},
			str(strings.Join(is.Labels, Separator))}
		for _, d := range tax.Dimensions {
			vs := cl.Labels[d.ID]
			row = append(row, str(strings.Join(vs, Separator)))
			if len(d.Groups) > 0 {
				var gs []string
				for _, v := range vs {
					if g := d.GroupOf(v); g != "" && !contains(gs, g) {
						gs = append(gs, g)
					}
				}
				row = append(row, str(strings.Join(gs, Separator)))
			}
			if c, ok := cl.DimConfidence[d.ID]; ok && len(vs) > 0 {
				row = append(row, Cell{F: c})
			} else {
				row = append(row, Cell{Null: true})
			}
		}
		row = append(row, str(cl.Classifier), str(cl.ClassifierVersion), Cell{F: cl.Confidence})
		for _, s := range signalColumns {
			var vs []string
			for _, sig := range it.Signals {
				if sig.Kind == s.kind && !contains(vs, sig.Value) {
					vs = append(vs, sig.Value)
				}
			}
			row = append(row, str(strings.Join(vs, Separator)))
		}
		out = append(out, row)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// WriteCSV writes the table as CSV with a header row. Cells a spreadsheet
// would run as formulas are prefixed with a quote.
func WriteCSV(w io.Writer, tax *taxonomy.Taxonomy, items []bugscope.Classified) error {
	cols := Columns(tax)
	cw := csv.NewWriter(w)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(cols))
	for _, row := range Rows(tax, items) {
		for i, c := range row {
			rec[i] = csvCell(cols[i].Kind, c)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvCell(kind string, c Cell) string {
	if c.Null {
		return ""
	}
	switch kind {
	case Integer:
		return strconv.FormatInt(c.I, 10)
	case Number:
		return strconv.FormatFloat(c.F, 'f', -1, 64)
	case Timestamp:
		return c.T.Format(time.RFC3339)
	}
	if c.S != "" && strings.ContainsRune("=+-@\t\r", rune(c.S[0])) {
		return "'" + c.S
	}
	return c.S
}
