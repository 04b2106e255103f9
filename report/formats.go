package report

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/bugscope/bugscope/internal/safetext"
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
// "all" for the figure over all engines. base is what share is a fraction of.
var CSVHeader = []string{"section", "dimension", "group", "id", "name", "repo", "count", "base", "share", "lift"}

// WriteCSV writes every figure of the report as one CSV row, in long form
// for spreadsheets and data frames. Every cell is made safe for a
// terminal and a spreadsheet (safetext.CSVCell).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := safetext.NewCSVWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	row := func(section, dim, group, id, name, repo string, count, base int, lift float64) {
		l := ""
		if lift != 0 {
			l = strconv.FormatFloat(lift, 'f', 4, 64)
		}
		cw.Write([]string{section, dim, group, id, name, repo, strconv.Itoa(count), strconv.Itoa(base),
			strconv.FormatFloat(share(count, base), 'f', 4, 64), l})
	}
	perRepo := func(section, dim, group, id, name string, all int, byRepo map[string]int, base int, baseByRepo map[string]int) {
		row(section, dim, group, id, name, "all", all, base, 0)
		for _, e := range r.Engines {
			row(section, dim, group, id, name, e.Repo, byRepo[e.Repo], baseByRepo[e.Repo], 0)
		}
	}
	t := r.Totals
	perRepo("totals", "", "", "issues", "Issues", t.Issues, t.ByRepo, t.Issues, t.ByRepo)
	perRepo("totals", "", "", "bugs", "Bugs", t.Bugs, t.BugsByRepo, t.Issues, t.ByRepo)
	cv := r.Coverage
	row("coverage", "", "", "labelled", "Issues labelled of those the filter selects", "all", cv.Labelled, cv.InFilter, 0)
	for _, c := range cv.Classifiers {
		row("coverage", "", "", c.Name, c.Name+" "+c.Version, "all", c.Issues, cv.Labelled, 0)
	}
	dist := func(section string, d Distribution) {
		for _, c := range d.Values {
			perRepo(section, d.Dimension, c.Group, c.ID, c.Name, c.Count, c.ByRepo, d.Base, d.BaseByRepo)
		}
		for _, g := range d.Groups {
			perRepo(section+"_group", d.Dimension, "", g.ID, g.Name, g.Count, g.ByRepo, d.Base, d.BaseByRepo)
		}
	}
	dist("kind", r.Kinds)
	for _, c := range r.Categories {
		perRepo("category", r.CategoryDimension, "", c.ID, c.Name, c.Count.Count, c.ByRepo, t.Bugs, t.BugsByRepo)
		for _, s := range c.Subcategories {
			perRepo("subcategory", r.CategoryDimension, c.ID, s.ID, s.Name, s.Count.Count, s.ByRepo, t.Bugs, t.BugsByRepo)
		}
	}
	for _, e := range r.Patterns {
		for _, p := range e.Patterns {
			row("pattern", "patterns", "", p.ID, p.Name, e.Repo, p.Count, e.Bugs, p.Lift)
		}
	}
	dist("root_cause", r.RootCauses)
	dist("severity", r.Severities)
	for _, d := range r.OtherDimensions {
		dist("dimension", d)
	}
	signals := func(section string, ss []SignalCount) {
		for _, s := range ss {
			perRepo(section, "", "", s.Value, s.Value, s.Count, s.ByRepo, t.Bugs, t.BugsByRepo)
		}
	}
	signals("error_signature", r.Signatures)
	signals("exception", r.Exceptions)
	signals("gpu", r.Hardware)
	signals("backend", r.Backends)
	signals("os", r.Systems)
	fixEffortCSV(r.FixEffort, r.Engines, cw.Write)
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
