// Package pipeline runs bugscope's main job over a store: import issue
// dumps, classify the stored issues and extract their signals, and build the
// study report. The command line and the web server share it.
package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/internal/par"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/signals"
	"github.com/bugscope/bugscope/taxonomy"
)

// Store is what the pipeline needs of a database. Package sqlite
// implements it; each write is one transaction of the store's.
type Store interface {
	// UpsertIssues stores issues, all or none; an issue replaces the
	// stored one unless that one is newer.
	UpsertIssues(ctx context.Context, issues []bugscope.Issue, progress func()) (bugscope.UpsertStats, error)
	// StoreIssues stores the issues fill puts, in one transaction that
	// fill's error rolls back; dup marks a repeated copy, stored by the
	// same rule and not counted again.
	StoreIssues(ctx context.Context, fill func(put func(is *bugscope.Issue, dup bool) error, totals func() bugscope.UpsertStats) error) (bugscope.UpsertStats, error)
	// IssueBatches calls fn with the selected issues, bodies included, a
	// batch at a time; fn may write between batches. EachIssue streams
	// them; CountIssues counts them per repository.
	IssueBatches(ctx context.Context, f bugscope.IssueFilter, size int, fn func([]bugscope.Issue) error) error
	EachIssue(ctx context.Context, f bugscope.IssueFilter, fn func(bugscope.Issue) error) error
	CountIssues(ctx context.Context, f bugscope.IssueFilter) (map[string]int, error)
	// SaveClassifications stores classifications and the signals of their
	// issues, replacing the same classifier's earlier ones.
	SaveClassifications(ctx context.Context, cs []bugscope.Classification, sigs map[bugscope.IssueRef][]bugscope.Signal) error
	// SaveCurrent stores them likewise but leaves out, in the same
	// transaction, those of issues whose text changed after the
	// classifier read it (Classification.InputHash), and returns those
	// issues.
	SaveCurrent(ctx context.Context, cs []bugscope.Classification, sigs map[bugscope.IssueRef][]bugscope.Signal) ([]bugscope.IssueRef, error)
	// PlanClassify counts the issues a run would label, and why;
	// ClassifyBatches hands them over a batch at a time, as IssueBatches.
	PlanClassify(ctx context.Context, f bugscope.ClassifyFilter) (bugscope.ClassifyPlan, error)
	ClassifyBatches(ctx context.Context, f bugscope.ClassifyFilter, size int, fn func([]bugscope.Issue) error) error
	// Classifiers lists the classifiers that labelled issues in a
	// taxonomy; Classified returns one classifier's labelled issues.
	Classifiers(ctx context.Context, taxonomy string) ([]string, error)
	Classified(ctx context.Context, f bugscope.ClassifiedFilter) ([]bugscope.Classified, error)
	// ReportItems returns what a report reads of the issues Classified
	// would return (bugscope.ReportItem), with the text of the evidence
	// of dimension f.EvidenceOf only.
	ReportItems(ctx context.Context, f bugscope.ClassifiedFilter) ([]bugscope.ReportItem, error)
	// Fixes returns the merged pull requests that fixed the selected
	// issues.
	Fixes(ctx context.Context, f bugscope.IssueFilter) (map[bugscope.IssueRef][]bugscope.Fix, error)
	// SaveModel remembers a learned model (a model file's bytes) for a
	// taxonomy; Model returns it, or an ENotFound error.
	SaveModel(ctx context.Context, m bugscope.StoredModel) error
	Model(ctx context.Context, taxonomy string) (bugscope.StoredModel, error)
}

// ImportOptions control Import.
type ImportOptions struct {
	// Repo is the repository of objects that do not name theirs.
	Repo string
	// Progress, when set, is called as issues of a file are stored.
	Progress func(file string, done, total int)
	// ProgressBytes, when set, is called as ImportFiles reads a file, with
	// the bytes read and the file's size.
	ProgressBytes func(file string, done, total int64)
}

// FileResult is what importing one file did.
type FileResult struct {
	File         string `json:"file"`
	Issues       int    `json:"issues"`
	PullRequests int    `json:"pull_requests"`
	Duplicates   int    `json:"duplicates_in_file"`
	bugscope.UpsertStats
}

// Dump is an issue dump read and checked, ready to store.
type Dump struct {
	Result FileResult
	Issues []bugscope.Issue
}

// ReadDumps reads and checks every file before anything is stored, so
// that a bad file changes nothing (and creates no database): the first
// error names the file and the place (an EInvalid error), or a file that
// does not exist (ENotFound).
func ReadDumps(files []string, opt ImportOptions) ([]Dump, error) {
	dumps := make([]Dump, len(files))
	for i, f := range files {
		d := &dumps[i]
		d.Result.File = f
		issues, err := importer.ParseFile(f, importer.Options{Repo: opt.Repo, OnDuplicate: func(bugscope.IssueRef) { d.Result.Duplicates++ }})
		if err != nil {
			return nil, err
		}
		d.Issues = issues
		for _, is := range issues {
			if is.IsPullRequest {
				d.Result.PullRequests++
			} else {
				d.Result.Issues++
			}
		}
	}
	return dumps, nil
}

// StoreDumps stores each dump in its own transaction.
func StoreDumps(ctx context.Context, db Store, dumps []Dump, opt ImportOptions) ([]FileResult, error) {
	results := make([]FileResult, 0, len(dumps))
	for _, d := range dumps {
		done := 0
		var progress func()
		if opt.Progress != nil {
			file, total := d.Result.File, len(d.Issues)
			progress = func() { done++; opt.Progress(file, done, total) }
		}
		st, err := db.UpsertIssues(ctx, d.Issues, progress)
		if err != nil {
			return results, fmt.Errorf("%s: %w", d.Result.File, err)
		}
		r := d.Result
		r.UpsertStats = st
		results = append(results, r)
	}
	return results, nil
}

// Import stores the files, each in one pass and one transaction
// (ImportFiles).
func Import(ctx context.Context, db Store, files []string, opt ImportOptions) ([]FileResult, error) {
	return ImportFiles(ctx, db, files, opt)
}

// CheckFiles checks that the files can be opened, before a database is
// opened for them: a missing one is an ENotFound error.
func CheckFiles(files []string) error {
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		fh.Close()
	}
	return nil
}

// ImportFiles stores the files in one pass each, parsing and storing their
// issues one at a time inside one transaction, so that memory stays
// bounded whatever their size. A malformed file rolls the transaction
// back: the database is left as it was, and the error names file, line,
// column and field (every bad object of the file, up to
// importer.MaxErrors). Each file is thus all or nothing, and so is the
// whole call, as when every file was read before anything was stored.
func ImportFiles(ctx context.Context, db Store, files []string, opt ImportOptions) ([]FileResult, error) {
	if opt.Repo != "" {
		if err := bugscope.ValidateRepo(opt.Repo); err != nil {
			return nil, fmt.Errorf("--repo: %w", err)
		}
	}
	results := make([]FileResult, 0, len(files))
	_, err := db.StoreIssues(ctx, func(put func(*bugscope.Issue, bool) error, totals func() bugscope.UpsertStats) error {
		for _, f := range files {
			before := totals()
			r, err := importFile(ctx, f, opt, put)
			if err != nil {
				return err
			}
			after := totals()
			r.UpsertStats = bugscope.UpsertStats{Inserted: after.Inserted - before.Inserted, Updated: after.Updated - before.Updated,
				Unchanged: after.Unchanged - before.Unchanged, Stale: after.Stale - before.Stale}
			results = append(results, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func importFile(ctx context.Context, path string, opt ImportOptions, put func(*bugscope.Issue, bool) error) (FileResult, error) {
	res := FileResult{File: path}
	fh, err := os.Open(path)
	if err != nil {
		return res, err
	}
	defer fh.Close()
	var size int64
	if fi, err := fh.Stat(); err == nil {
		size = fi.Size()
	}
	cr := &countingReader{r: fh}
	err = importer.Stream(cr, path, importer.Options{Repo: opt.Repo}, func(is bugscope.Issue, dup bool) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case dup:
			res.Duplicates++
		case is.IsPullRequest:
			res.PullRequests++
		default:
			res.Issues++
		}
		if err := put(&is, dup); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if opt.ProgressBytes != nil {
			opt.ProgressBytes(path, cr.n, size)
		}
		return nil
	})
	return res, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ClassifyOptions control Classify.
type ClassifyOptions struct {
	Filter bugscope.IssueFilter
	// All labels every selected issue; by default only those that lack a
	// current classification by one of the run's classifiers: new issues,
	// issues whose text changed, issues another version labelled.
	All bool
	// BatchSize issues are classified and stored at a time (default 2000),
	// bounding memory on large databases.
	BatchSize int
	// Progress, when set, is called after each batch with the issues done.
	Progress func(done int)
}

// ClassifyStats summarises a classification run.
type ClassifyStats struct {
	Issues int `json:"issues"` // labelled
	// Skipped issues had current classifications; Reasons says why the
	// selected issues were labelled or skipped (with All, the Current
	// ones were labelled too).
	Skipped int                   `json:"skipped"`
	Reasons bugscope.ClassifyPlan `json:"reasons"`
	// Rejected counts classifications refused because their issue
	// changed while they were computed; Classify labels those issues
	// again from their new text, up to MaxRounds times.
	Rejected int            `json:"rejected"`
	ByKind   map[string]int `json:"by_kind"`
	Signals  int            `json:"signals"`
	Duration time.Duration  `json:"duration_ns"`
}

// MaxRounds bounds the passes of Classify over issues that changed while
// they were classified.
const MaxRounds = 3

// Composite is a classifier made of others (the ensemble of the rules and
// a model). Classify stores the parts' classifications beside the final
// ones and hands it the signals it extracted, so that they are not
// extracted twice.
type Composite interface {
	bugscope.Classifier
	ClassifyWith(ctx context.Context, issues []bugscope.Issue, sigs map[bugscope.IssueRef][]bugscope.Signal) (final, parts []bugscope.Classification, err error)
}

// Versions are the classifiers c stores, by name, with their versions:
// the ensemble's parts too.
func Versions(c bugscope.Classifier) map[string]string {
	v := map[string]string{c.Name(): c.Version()}
	if e, ok := c.(*ensemble.Classifier); ok {
		v[e.Rules.Name()] = e.Rules.Version()
		v[learn.Name] = learn.ModelVersion(e.Model.Learned)
	}
	return v
}

// Classify labels the selected issues with c in taxonomy tax, extracts
// their signals, and stores both, a batch per transaction; by default only
// the issues without a current classification by c (and its parts). For a
// Composite its parts' classifications are stored too; the statistics
// count the final ones. Each classification records the text it read: one
// whose issue an import changed meanwhile is refused by the store, and the
// issue labelled again in a further round; an issue still changing after
// MaxRounds is an EConflict error.
func Classify(ctx context.Context, db Store, tax *taxonomy.Taxonomy, c bugscope.Classifier, opt ClassifyOptions) (ClassifyStats, error) {
	start := time.Now()
	st := ClassifyStats{ByKind: map[string]int{}}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 2000
	}
	f := bugscope.ClassifyFilter{IssueFilter: opt.Filter, Taxonomy: tax.Name, Current: Versions(c), All: opt.All}
	var err error
	if st.Reasons, err = db.PlanClassify(ctx, f); err != nil {
		return st, err
	}
	if !opt.All {
		st.Skipped = st.Reasons.Current
	}
	for round := 0; ; round++ {
		rejected, err := classifyPass(ctx, db, tax, c, f, opt, &st)
		st.Rejected += len(rejected)
		if err != nil || len(rejected) == 0 {
			st.Duration = time.Since(start)
			return st, err
		}
		if round+1 == MaxRounds {
			st.Duration = time.Since(start)
			return st, bugscope.Errorf(bugscope.EConflict, "%d issues (%s, ...) kept changing while they were classified (an import running alongside?): their labels were not stored; run bugscope classify again", len(rejected), rejected[0])
		}
		// The next round labels the issues that changed, from their new
		// text: the others are current now.
		f.All = false
	}
}

// labelledBatch is a batch classified, on its way to the store.
type labelledBatch struct {
	issues     int
	all, final []bugscope.Classification
	sigs       map[bugscope.IssueRef][]bugscope.Signal
}

// classifyPass labels the issues f selects once. Classifying a batch (on
// all cores) and storing the one before overlap: a goroutine stores while
// the next batch is read and classified. It returns the issues whose
// classifications the store refused.
func classifyPass(ctx context.Context, db Store, tax *taxonomy.Taxonomy, c bugscope.Classifier, f bugscope.ClassifyFilter, opt ClassifyOptions, st *ClassifyStats) ([]bugscope.IssueRef, error) {
	kindDim := tax.ByRole(taxonomy.RoleKind)
	comp, isComposite := c.(Composite)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan labelledBatch, 1)
	var rejected []bugscope.IssueRef
	var werr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range todo {
			if werr != nil {
				continue // drain
			}
			bad, err := db.SaveCurrent(ctx, b.all, b.sigs)
			if err != nil {
				werr = err
				cancel()
				continue
			}
			rejected = append(rejected, bad...)
			refused := make(map[bugscope.IssueRef]bool, len(bad))
			for _, r := range bad {
				refused[r] = true
			}
			for ref, s := range b.sigs {
				if !refused[ref] {
					st.Signals += len(s)
				}
			}
			st.Issues += b.issues - len(bad)
			if kindDim != nil {
				for _, cl := range b.final {
					if !refused[cl.Issue] {
						st.ByKind[cl.Labels.One(kindDim.ID)]++
					}
				}
			}
			if opt.Progress != nil {
				opt.Progress(st.Issues)
			}
		}
	}()
	err := db.ClassifyBatches(ctx, f, opt.BatchSize, func(batch []bugscope.Issue) error {
		sigs := ExtractSignals(batch)
		var final, parts []bugscope.Classification
		var err error
		if isComposite {
			final, parts, err = comp.ClassifyWith(ctx, batch, sigs)
		} else {
			final, err = c.Classify(ctx, batch)
		}
		if err != nil {
			return err
		}
		all := append(parts, final...)
		hashes := make(map[bugscope.IssueRef]string, len(batch))
		for i := range batch {
			hashes[batch[i].Ref()] = batch[i].TextHash()
		}
		for i := range all {
			all[i].InputHash = hashes[all[i].Issue]
		}
		select {
		case todo <- labelledBatch{issues: len(batch), all: all, final: final, sigs: sigs}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(todo)
	<-done
	if werr != nil {
		return rejected, werr
	}
	return rejected, err
}

// ExtractSignals extracts the signals of issues on all cores.
func ExtractSignals(issues []bugscope.Issue) map[bugscope.IssueRef][]bugscope.Signal {
	out := make([][]bugscope.Signal, len(issues))
	par.Each(context.Background(), len(issues), func(i int) {
		is := &issues[i]
		out[i] = signals.Extract(is.Repo, is.Title, is.Body)
	})
	m := make(map[bugscope.IssueRef][]bugscope.Signal, len(issues))
	for i := range issues {
		m[issues[i].Ref()] = out[i]
	}
	return m
}

// GoldFiles reads hand labels (label records) for report.Gold; a
// record's x_stratum names its stratum. An id in two files is an error.
func GoldFiles(paths []string, tax *taxonomy.Taxonomy, notRandom bool) (*report.Gold, error) {
	g := &report.Gold{Source: strings.Join(paths, ", "), Labels: map[bugscope.IssueRef]bugscope.Labels{},
		Strata: map[bugscope.IssueRef]string{}, NotRandom: notRandom}
	from := map[bugscope.IssueRef]string{}
	for _, path := range paths {
		recs, err := labelrec.ReadFile(path, tax)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if prev, dup := from[r.Issue]; dup {
				return nil, bugscope.Errorf(bugscope.EInvalid, "%s: %s is labelled in %s too", path, r.Issue, prev)
			}
			from[r.Issue] = path
			g.Labels[r.Issue] = r.Labels
			if raw, ok := r.Extra["x_stratum"]; ok {
				var s string
				if err := json.Unmarshal(raw, &s); err != nil {
					return nil, bugscope.Errorf(bugscope.EInvalid, "%s: %s: x_stratum is not a string", path, r.Issue)
				}
				g.Strata[r.Issue] = s
			}
		}
	}
	return g, nil
}

// Classifiers whose labels come from a model trained on hand labels.
var learned = []string{"model", "ensemble"}

// CheckIndependent refuses to correct the labels of a learned classifier
// with hand labels it learned from: its predictions for those are
// memorised, and the correction would hide its errors. m is the model the
// stored labels (classifier cls, version) come from.
func CheckIndependent(cls, version string, m *learn.Model, g *report.Gold) error {
	if !slices.Contains(learned, cls) {
		return nil
	}
	if m == nil {
		return bugscope.Errorf(bugscope.EInvalid, "the %s labels come from a learned model: give the model file they were classified with (--model FILE), so that the hand labels it learned from are not used to correct it, or report another classifier (--classifier rules)", cls)
	}
	if mv := learn.ModelVersion(m); !strings.HasPrefix(version, mv) {
		return bugscope.Errorf(bugscope.EInvalid, "the stored %s labels are of model version %s, the model file is %s: give the model the issues were classified with", cls, version, mv)
	}
	if m.Training.Examples > 0 && len(m.Training.Issues) == 0 {
		return bugscope.Errorf(bugscope.EInvalid, "the model file does not list the issues it was trained on (it predates that record): train it again, or report --classifier rules")
	}
	trained := map[string]bool{}
	for _, id := range m.Training.Issues {
		trained[id] = true
	}
	var both []string
	for ref := range g.Labels {
		if trained[ref.String()] {
			both = append(both, ref.String())
		}
	}
	if len(both) > 0 {
		slices.Sort(both)
		return bugscope.Errorf(bugscope.EInvalid, "%d of the hand labels (%s, ...) were used to train the model: its predictions for them are memorised and would hide its errors. Correct with hand labels it did not learn from, train a model without them, or report --classifier rules", len(both), both[0])
	}
	return nil
}
