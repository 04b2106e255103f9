package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/taxonomy"
)

// ReportOptions control BuildReport.
type ReportOptions struct {
	Filter bugscope.IssueFilter
	// Classifier names whose labels to report; "" takes, per issue, the
	// best classifier that labelled it (bugscope.ClassifierPreference).
	Classifier string
	Title      string
	Now        time.Time
	// Missing are repositories a study could not mine, for the report to
	// name.
	Missing []report.MissingRepo
	// LinkHosts are the GitHub Enterprise web hosts whose issue addresses
	// the report may link to, besides github.com (report.Options).
	LinkHosts []string
	// Gold corrects the shares with hand labels (GoldFiles, or a
	// sample's final labels); Model is the learned model the labels come
	// from (default: the one the store remembers), for checking that it
	// did not learn from the hand labels, or, where it did, for its
	// out-of-fold predictions of them (cross-prediction).
	Gold  *report.Gold
	Model *ensemble.Model
	// Period of the trends; AsOf the snapshot time (zero: the data's).
	Period string
	AsOf   time.Time
}

// BuildReport loads the classified issues and computes the report. It
// covers every issue of the filter that a classifier labelled, each with
// the best classifier's labels unless opt.Classifier names one, and states
// its coverage: how many issues the filter selects, how many each
// classifier labelled, which are left out.
func BuildReport(ctx context.Context, db Store, tax *taxonomy.Taxonomy, opt ReportOptions) (*report.Report, error) {
	if err := CheckRepos(ctx, db, opt.Filter.Repos); err != nil {
		return nil, err
	}
	cf := bugscope.ClassifiedFilter{IssueFilter: opt.Filter, Taxonomy: tax.Name}
	if d := tax.ByRole(taxonomy.RoleCategory); d != nil {
		cf.EvidenceOf = d.ID // the report quotes evidence in its categories' examples alone
	}
	items, err := labelled(ctx, db, tax, opt.Classifier, cf, db.ReportItems, (*bugscope.ReportItem).Ref)
	if err != nil {
		return nil, err
	}
	if opt.Gold != nil && !opt.Gold.NotRandom {
		cross, err := checkGoldIndependent(ctx, db, tax, items, opt)
		if err != nil {
			return nil, err
		}
		if len(cross) > 0 {
			g := *opt.Gold
			opt.Gold = &g
			for i := range items {
				if l, ok := cross[items[i].Ref()]; ok {
					items[i].Labels = l
					g.CrossPredicted++
				}
			}
		}
	}
	// The examples' text of the few issues shown alone is kept (BuildItems
	// below uses the default number of examples).
	report.StripUnshown(tax, items, 0)
	inFilter, err := db.CountIssues(ctx, opt.Filter)
	if err != nil {
		return nil, err
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
	return report.BuildItems(tax, items, report.Options{
		Fixes:     fixes,
		Title:     opt.Title,
		Now:       now,
		InFilter:  inFilter,
		Missing:   opt.Missing,
		LinkHosts: opt.LinkHosts,
		Gold:      opt.Gold,
		Period:    opt.Period,
		AsOf:      opt.AsOf,
		Filters: report.Filters{Repos: opt.Filter.Repos, Since: opt.Filter.Since,
			Until: opt.Filter.Until, State: opt.Filter.State},
	})
}

// checkGoldIndependent applies GoldIndependent to every learned
// classifier whose labels the report uses, and returns the out-of-fold
// predictions to label issues with, of all of them.
func checkGoldIndependent(ctx context.Context, db Store, tax *taxonomy.Taxonomy, items []bugscope.ReportItem, opt ReportOptions) (map[bugscope.IssueRef]bugscope.Labels, error) {
	seen := map[bugscope.ClassifierID]bool{}
	var cross map[bugscope.IssueRef]bugscope.Labels
	for i := range items {
		c := *items[i].By
		if seen[c] {
			continue
		}
		seen[c] = true
		cp, err := GoldIndependent(ctx, db, tax, c.Name, c.Version, opt.Model, opt.Gold)
		if err != nil {
			return nil, err
		}
		if len(cp) > 0 && cross == nil {
			cross = map[bugscope.IssueRef]bugscope.Labels{}
		}
		for ref, l := range cp {
			cross[ref] = l
		}
	}
	return cross, nil
}

// GoldIndependent applies CheckIndependent to the labels of classifier
// cls (of version) and the hand labels g that are to measure or correct
// them, for the report and the triage gate alike. A classifier that
// learned nothing passes. For a learned one the model is m, else the one
// the store remembers. Where the model learned from some of the hand
// labels and its file has its out-of-fold predictions of every one of
// them (train's cross-validation), it returns those predictions instead
// of an error: the caller uses them for those issues, so that the hand
// labels are compared with predictions made without them
// (cross-prediction-powered inference, Zrnic and Candès, PNAS 2024).
func GoldIndependent(ctx context.Context, db Store, tax *taxonomy.Taxonomy, cls, version string, m *ensemble.Model, g *report.Gold) (map[bugscope.IssueRef]bugscope.Labels, error) {
	if !slices.Contains(learned, cls) {
		return nil, nil
	}
	if m == nil {
		var err error
		if m, err = RememberedModel(ctx, db, tax); err != nil && bugscope.ErrorCode(err) != bugscope.EConflict {
			return nil, err
		}
	}
	var lm *learn.Model
	if m != nil {
		lm = m.Learned
	}
	err := CheckIndependent(cls, version, lm, g)
	if err == nil {
		return nil, nil
	}
	cp, ok := CrossPredictions(cls, version, m, g)
	if !ok {
		if m != nil && lm.Training.Examples > 0 && len(m.CrossPredictions) == 0 && strings.Contains(err.Error(), "were used to train") {
			return nil, bugscope.Errorf(bugscope.EInvalid, "%v (a model trained with cross-validation, train --cv K, keeps its out-of-fold predictions of them, which a report or the triage gate can use instead)", err)
		}
		return nil, err
	}
	return cp, nil
}

// CrossPredictions returns the out-of-fold predictions of classifier cls
// (of model version version) for the hand labels of g the model learned
// from, when its file has one for every such issue.
func CrossPredictions(cls, version string, m *ensemble.Model, g *report.Gold) (map[bugscope.IssueRef]bugscope.Labels, bool) {
	if m == nil || !strings.HasPrefix(version, learn.ModelVersion(m.Learned)) {
		return nil, false
	}
	preds := m.CrossPredictions[cls]
	trained := map[string]bool{}
	for _, id := range m.Learned.Training.Issues {
		trained[id] = true
	}
	out := map[bugscope.IssueRef]bugscope.Labels{}
	for ref := range g.Labels {
		if !trained[ref.String()] {
			continue
		}
		l, ok := preds[ref.String()]
		if !ok {
			return nil, false
		}
		out[ref] = l
	}
	return out, len(out) > 0
}

// Labelled returns the selected issues with their labels in the taxonomy,
// in (repo, number) order: the named classifier's, or with name empty,
// per issue the best classifier's that labelled it. Issues no classifier
// labelled are left out (a report says how many). With nothing labelled
// at all (or nothing by name) it is an ENotFound error.
func Labelled(ctx context.Context, db Store, tax *taxonomy.Taxonomy, name string, f bugscope.IssueFilter, withSignals bool) ([]bugscope.Classified, error) {
	cf := bugscope.ClassifiedFilter{IssueFilter: f, Taxonomy: tax.Name, WithSignals: withSignals}
	return labelled(ctx, db, tax, name, cf, db.Classified, func(c *bugscope.Classified) bugscope.IssueRef { return c.Issue.Ref() })
}

// labelled is Labelled with the loader of one classifier's issues
// (Store.Classified, or Store.ReportItems for reports) and their
// references; cf's classifier is set per classifier.
func labelled[T any](ctx context.Context, db Store, tax *taxonomy.Taxonomy, name string, cf bugscope.ClassifiedFilter,
	load func(context.Context, bugscope.ClassifiedFilter) ([]T, error), refOf func(*T) bugscope.IssueRef) ([]T, error) {
	f := cf.IssueFilter
	have, err := db.Classifiers(ctx, tax.Name)
	if err != nil {
		return nil, err
	}
	first, err := bugscope.ChooseClassifier(have, tax.Name, name)
	if err != nil {
		return nil, err
	}
	order := []string{first}
	if name == "" {
		order = slices.Clone(have)
		sort.SliceStable(order, func(i, j int) bool { return bugscope.ClassifierRank(order[i]) < bugscope.ClassifierRank(order[j]) })
	}
	counts, err := db.CountIssues(ctx, f)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	var out []T
	seen := map[bugscope.IssueRef]bool{}
	for _, cls := range order {
		if len(out) >= total {
			break // every issue has the best labels already
		}
		cf.Classifier = cls
		items, err := load(ctx, cf)
		if err != nil {
			return nil, err
		}
		if out == nil && len(items) >= total {
			out = items // the best classifier labelled every issue: no copy
			break
		}
		for i := range items {
			if ref := refOf(&items[i]); !seen[ref] {
				seen[ref] = true
				out = append(out, items[i])
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := refOf(&out[i]), refOf(&out[j])
		if a.Repo != b.Repo {
			return a.Repo < b.Repo
		}
		return a.Number < b.Number
	})
	return out, nil
}

// CheckRepos checks that the store holds issues of every named
// repository: a name it does not know is an ENotFound error that lists
// the ones it does (a filter on a typo would select nothing, silently).
func CheckRepos(ctx context.Context, db Store, repos []string) error {
	if len(repos) == 0 {
		return nil
	}
	stored, err := db.CountIssues(ctx, bugscope.IssueFilter{IncludePulls: true})
	if err != nil {
		return err
	}
	var unknown []string
	for _, r := range repos {
		if stored[r] == 0 {
			unknown = append(unknown, r)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	names := make([]string, 0, len(stored))
	for r := range stored {
		names = append(names, r)
	}
	sort.Strings(names)
	msg := fmt.Sprintf("no issues of %s in the database", strings.Join(unknown, ", "))
	if len(names) == 0 {
		return bugscope.Errorf(bugscope.ENotFound, "%s: it holds none (bugscope import or sync first)", msg)
	}
	msg += fmt.Sprintf(" (it holds %s)", strings.Join(names, ", "))
	for _, u := range unknown {
		for _, n := range names {
			if strings.EqualFold(n, u) || strings.EqualFold(repoName(n), repoName(u)) {
				msg += fmt.Sprintf("; did you mean %s?", n)
				break
			}
		}
	}
	return bugscope.Errorf(bugscope.ENotFound, "%s", msg)
}

// repoName is the name part of owner/name.
func repoName(r string) string {
	_, name, _ := strings.Cut(r, "/")
	return name
}

// Records turns stored classifications into label records, the format of
// hand labels, so that classifier output and gold are the same kind of
// file. The classifier's confidence is written as a number, its name as
// x_classifier.
func Records(items []bugscope.Classified) []labelrec.Record {
	recs := make([]labelrec.Record, len(items))
	for i, it := range items {
		conf := it.Classification.Confidence
		name, _ := json.Marshal(it.Classification.Classifier)
		recs[i] = labelrec.Record{Issue: it.Issue.Ref(), Labels: it.Classification.Labels, ConfidenceValue: &conf,
			Extra: map[string]json.RawMessage{"x_classifier": name}}
	}
	return recs
}
