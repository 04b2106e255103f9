// Package pipeline runs bugscope's main job over a database: import issue
// dumps, classify the stored issues and extract their signals, and build the
// study report. The command line and the web server share it.
package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/internal/par"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/review"
	"github.com/bugscope/bugscope/signals"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

// ImportOptions control Import.
type ImportOptions struct {
	// Repo is the repository of objects that do not name theirs.
	Repo string
	// Progress, when set, is called as issues of a file are stored.
	Progress func(file string, done, total int)
}

// FileResult is what importing one file did.
type FileResult struct {
	File         string `json:"file"`
	Issues       int    `json:"issues"`
	PullRequests int    `json:"pull_requests"`
	Duplicates   int    `json:"duplicates_in_file"`
	sqlite.UpsertStats
}

// Import reads every file first and stores nothing unless all of them
// parse; then it stores each file in its own transaction. A bad file thus
// fails the import with an error naming it and the place, and leaves the
// database as it was.
func Import(ctx context.Context, db *sqlite.DB, files []string, opt ImportOptions) ([]FileResult, error) {
	parsed := make([][]bugscope.Issue, len(files))
	results := make([]FileResult, len(files))
	for i, f := range files {
		res := &results[i]
		res.File = f
		issues, err := importer.ParseFile(f, importer.Options{Repo: opt.Repo, OnDuplicate: func(bugscope.IssueRef) { res.Duplicates++ }})
		if err != nil {
			return nil, err
		}
		parsed[i] = issues
		for _, is := range issues {
			if is.IsPullRequest {
				res.PullRequests++
			} else {
				res.Issues++
			}
		}
	}
	for i, issues := range parsed {
		done := 0
		var progress func()
		if opt.Progress != nil {
			file, total := files[i], len(issues)
			progress = func() { done++; opt.Progress(file, done, total) }
		}
		st, err := db.UpsertIssues(ctx, issues, progress)
		if err != nil {
			return results[:i], fmt.Errorf("%s: %w", files[i], err)
		}
		results[i].UpsertStats = st
	}
	return results, nil
}

// ClassifyOptions control Classify.
type ClassifyOptions struct {
	Filter sqlite.IssueFilter
	// BatchSize issues are classified and stored at a time (default 2000),
	// bounding memory on large databases.
	BatchSize int
	// Progress, when set, is called after each batch with the issues done.
	Progress func(done int)
}

// ClassifyStats summarises a classification run.
type ClassifyStats struct {
	Issues   int            `json:"issues"`
	ByKind   map[string]int `json:"by_kind"`
	Signals  int            `json:"signals"`
	Duration time.Duration  `json:"duration_ns"`
}

// Composite is a classifier made of others (the ensemble of the rules and
// a model). Classify stores the parts' classifications beside the final
// ones and hands it the signals it extracted, so that they are not
// extracted twice.
type Composite interface {
	bugscope.Classifier
	ClassifyWith(ctx context.Context, issues []bugscope.Issue, sigs map[bugscope.IssueRef][]bugscope.Signal) (final, parts []bugscope.Classification, err error)
}

// Classify labels the selected issues with c in taxonomy tax, extracts
// their signals, and stores both, a batch per transaction. For a Composite
// its parts' classifications are stored too; the statistics count the
// final ones.
func Classify(ctx context.Context, db *sqlite.DB, tax *taxonomy.Taxonomy, c bugscope.Classifier, opt ClassifyOptions) (ClassifyStats, error) {
	start := time.Now()
	st := ClassifyStats{ByKind: map[string]int{}}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 2000
	}
	kindDim := tax.ByRole(taxonomy.RoleKind)
	comp, isComposite := c.(Composite)
	err := db.IssueBatches(ctx, opt.Filter, opt.BatchSize, func(batch []bugscope.Issue) error {
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
		for _, s := range sigs {
			st.Signals += len(s)
		}
		if err := db.SaveClassifications(ctx, append(parts, final...), sigs); err != nil {
			return err
		}
		st.Issues += len(batch)
		if kindDim != nil {
			for _, cl := range final {
				st.ByKind[cl.Labels.One(kindDim.ID)]++
			}
		}
		if opt.Progress != nil {
			opt.Progress(st.Issues)
		}
		return nil
	})
	st.Duration = time.Since(start)
	return st, err
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

// Preferred classifiers for a report, best first, when none is named.
var preferred = []string{"ensemble", "model", "llm", "rules"}

// PickClassifier returns name when set; otherwise the best classifier that
// has labelled issues in the taxonomy.
func PickClassifier(ctx context.Context, db *sqlite.DB, tax string, name string) (string, error) {
	have, err := db.Classifiers(ctx, tax)
	if err != nil {
		return "", err
	}
	if name != "" {
		for _, h := range have {
			if h == name {
				return name, nil
			}
		}
		return "", fmt.Errorf("no issues classified by %q in taxonomy %s (have: %v); run bugscope classify", name, tax, have)
	}
	for _, p := range preferred {
		for _, h := range have {
			if h == p {
				return p, nil
			}
		}
	}
	if len(have) > 0 {
		return have[0], nil
	}
	return "", fmt.Errorf("no classified issues in taxonomy %s; run bugscope classify first", tax)
}

// ReportOptions control BuildReport.
type ReportOptions struct {
	Filter     sqlite.IssueFilter
	Classifier string // "" picks one (PickClassifier)
	Title      string
	Now        time.Time
	// Gold corrects the shares with hand labels (GoldFiles, or a
	// sample's final labels); Model is the learned model the labels come
	// from, for checking that it did not learn from the hand labels.
	Gold  *report.Gold
	Model *learn.Model
	// Period of the trends; AsOf the snapshot time (zero: the data's).
	Period string
	AsOf   time.Time
}

// BuildReport loads the classified issues and computes the report.
func BuildReport(ctx context.Context, db *sqlite.DB, tax *taxonomy.Taxonomy, opt ReportOptions) (*report.Report, error) {
	cls, err := PickClassifier(ctx, db, tax.Name, opt.Classifier)
	if err != nil {
		return nil, err
	}
	items, err := db.Classified(ctx, sqlite.ClassifiedFilter{IssueFilter: opt.Filter, Taxonomy: tax.Name, Classifier: cls, WithSignals: true})
	if err != nil {
		return nil, err
	}
	version := ""
	if len(items) > 0 {
		version = items[0].Classification.ClassifierVersion
	}
	if opt.Gold != nil && !opt.Gold.NotRandom {
		if err := CheckIndependent(cls, version, opt.Model, opt.Gold); err != nil {
			return nil, err
		}
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	// The pull requests that fixed the issues, from bugscope sync: the
	// fix-effort section.
	fixes, err := db.Fixes(ctx, opt.Filter)
	if err != nil {
		return nil, err
	}
	return report.Build(tax, items, report.Options{
		Gold:       opt.Gold,
		Period:     opt.Period,
		AsOf:       opt.AsOf,
		Fixes:      fixes,
		Title:      opt.Title,
		Now:        now,
		Classifier: report.NameVer{Name: cls, Version: version},
		Filters: report.Filters{Repos: opt.Filter.Repos, Since: opt.Filter.Since,
			Until: opt.Filter.Until, State: opt.Filter.State},
	})
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

// Records turns stored classifications into label records, the format of
// hand labels, so that classifier output and gold are the same kind of
// file. The classifier's confidence is written as a number.
func Records(items []bugscope.Classified) []labelrec.Record {
	recs := make([]labelrec.Record, len(items))
	for i, it := range items {
		conf := it.Classification.Confidence
		recs[i] = labelrec.Record{Issue: it.Issue.Ref(), Labels: it.Classification.Labels, ConfidenceValue: &conf}
	}
	return recs
}

// Corpus is what 'bugscope train' learns from: it joins the label records
// with the stored issues, runs the rules and extracts signals for them,
// and lends every stored issue's text to the document frequencies. It also
// returns the labelled issues missing from the database.
func Corpus(ctx context.Context, db *sqlite.DB, tax *taxonomy.Taxonomy, rules bugscope.Classifier,
	recs []labelrec.Record, cfg learn.FeatureConfig) (*learn.Corpus, []string, error) {
	var pool []bugscope.Issue
	byRef := map[bugscope.IssueRef]int{}
	if err := db.EachIssue(ctx, sqlite.IssueFilter{IncludePulls: true}, func(is bugscope.Issue) error {
		byRef[is.Ref()] = len(pool)
		pool = append(pool, is)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	var labelled []bugscope.Issue
	var gold []bugscope.Labels
	var missing []string
	for _, r := range recs {
		i, ok := byRef[r.Issue]
		if !ok {
			missing = append(missing, r.Issue.String())
			continue
		}
		labelled = append(labelled, pool[i])
		gold = append(gold, r.Labels)
	}
	if len(labelled) == 0 {
		return nil, missing, fmt.Errorf("none of the %d labelled issues is in the database %s; import them first: %w",
			len(recs), db.Path(), bugscope.ErrNotFound)
	}
	cs, err := rules.Classify(ctx, labelled)
	if err != nil {
		return nil, nil, err
	}
	sigs := ExtractSignals(labelled)
	docs := make([]learn.Doc, len(labelled))
	for i := range labelled {
		docs[i] = learn.Doc{Issue: labelled[i], Signals: sigs[labelled[i].Ref()], Rules: &cs[i]}
	}
	c, err := learn.NewCorpus(tax, cfg, docs, gold, pool)
	return c, missing, err
}

// ReviewQueue builds the queue of stored decisions a human should check
// first (package review): the final decisions are the best classifier's
// among the ensemble, the model and the rules, compared with the rules'
// and the model's. It also names the classifier whose decisions are final.
func ReviewQueue(ctx context.Context, db *sqlite.DB, tax *taxonomy.Taxonomy, f sqlite.IssueFilter) ([]review.Item, string, error) {
	have, err := db.Classifiers(ctx, tax.Name)
	if err != nil {
		return nil, "", err
	}
	byName := map[string][]bugscope.Classified{}
	for _, name := range []string{"rules", "model", "ensemble"} {
		if !slices.Contains(have, name) {
			continue
		}
		if byName[name], err = db.Classified(ctx, sqlite.ClassifiedFilter{IssueFilter: f, Taxonomy: tax.Name, Classifier: name}); err != nil {
			return nil, "", err
		}
	}
	for _, name := range []string{"ensemble", "model", "rules"} {
		if final, ok := byName[name]; ok {
			return review.Build(tax, final, byName["rules"], byName["model"]), name, nil
		}
	}
	return nil, "", fmt.Errorf("no classified issues in taxonomy %s; run bugscope classify first: %w", tax.Name, bugscope.ErrNotFound)
}
