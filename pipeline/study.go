package pipeline

import (
	"context"
	"io"
	"path/filepath"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/chart"
	"github.com/bugscope/bugscope/internal/atomic"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/taxonomy"
)

// StudyOptions control Study.
type StudyOptions struct {
	// Dumps are issue dumps to store first (ReadDumps).
	Dumps []Dump
	// Classifiers are those a classification run uses: the rules, and the
	// model the store remembers (or ModelFile).
	Classifiers ClassifierOptions
	// Dir is where the report and the labels go.
	Dir   string
	Title string
	Now   time.Time
	// Missing are the repositories the study was asked to mine and could
	// not; the report names them.
	Missing []report.MissingRepo
	// LinkHosts: GitHub Enterprise web hosts the report may link to.
	LinkHosts []string
}

// StudyResult says what Study did.
type StudyResult struct {
	Imported    []FileResult    `json:"imported"`
	Classified  ClassifyStats   `json:"classified"`
	Classifiers string          `json:"classifiers"`
	Notes       []string        `json:"notes,omitempty"`
	Coverage    report.Coverage `json:"coverage"`
	Files       []string        `json:"files"`
}

// Study is the main job after mining: it stores the dumps, classifies
// every stored issue as `bugscope classify` does (so that the remembered
// model is refreshed too), and writes the report of the whole store, as
// `bugscope report` builds it, into o.Dir as report.md, report.json and
// report.csv, with the labels of the report as labels.jsonl.
func Study(ctx context.Context, db Store, tax *taxonomy.Taxonomy, o StudyOptions) (StudyResult, error) {
	var res StudyResult
	var err error
	if res.Imported, err = StoreDumps(ctx, db, o.Dumps, ImportOptions{}); err != nil {
		return res, err
	}
	cs, err := LoadClassifiers(ctx, db, tax, o.Classifiers)
	if err != nil {
		return res, err
	}
	res.Classifiers, res.Notes = cs.Names, cs.Notes
	if res.Classified, err = Classify(ctx, db, tax, cs.Classifier, ClassifyOptions{}); err != nil {
		return res, err
	}
	r, err := BuildReport(ctx, db, tax, ReportOptions{Title: o.Title, Now: o.Now, Missing: o.Missing, LinkHosts: o.LinkHosts})
	if err != nil {
		return res, err
	}
	res.Coverage = r.Coverage
	// The charts first: the Markdown links to them.
	if r.Charts, err = chart.Write(o.Dir, r); err != nil {
		return res, err
	}
	// The labels the report used, so that both agree.
	items, err := Labelled(ctx, db, tax, "", bugscope.IssueFilter{}, false)
	if err != nil {
		return res, err
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{
		{"report.md", func(w io.Writer) error { return r.Write(w, "markdown") }},
		{"report.json", func(w io.Writer) error { return r.Write(w, "json") }},
		{"report.csv", func(w io.Writer) error { return r.Write(w, "csv") }},
		{"labels.jsonl", func(w io.Writer) error { return labelrec.Write(w, tax, Records(items)) }},
	} {
		path := filepath.Join(o.Dir, f.name)
		if err := atomic.WriteFile(path, f.write); err != nil {
			return res, err
		}
		res.Files = append(res.Files, path)
	}
	return res, nil
}
