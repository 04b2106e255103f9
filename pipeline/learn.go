package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/review"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// Corpus is what 'bugscope train' learns from: it joins the label records
// with the stored issues, runs the rules and extracts signals for them,
// and lends every stored issue's text to the document frequencies. It also
// returns the labelled issues missing from the database. sources, when not
// nil, names the file of each record (ReadGold), for figures per file.
// unlabelled, when not nil, picks among the stored issues no record labels
// (pull requests left out) those self-training may pseudo-label
// (Corpus.SetUnlabelled), from the same read of the database.
func Corpus(ctx context.Context, db Store, tax *taxonomy.Taxonomy, rules bugscope.Classifier,
	recs []labelrec.Record, sources map[bugscope.IssueRef]string, cfg learn.FeatureConfig,
	unlabelled func(bugscope.IssueRef) bool) (*learn.Corpus, []string, error) {
	var pool []bugscope.Issue
	byRef := map[bugscope.IssueRef]int{}
	if err := db.EachIssue(ctx, bugscope.IssueFilter{IncludePulls: true}, func(is bugscope.Issue) error {
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
		return nil, missing, fmt.Errorf("none of the %d labelled issues is in the database; import them first: %w",
			len(recs), bugscope.ErrNotFound)
	}
	docs, err := learnDocs(ctx, rules, labelled)
	if err != nil {
		return nil, nil, err
	}
	c, err := learn.NewCorpus(tax, cfg, docs, gold, pool)
	if err != nil {
		return nil, missing, err
	}
	if sources != nil {
		c.Source = make([]string, len(docs))
		for i := range docs {
			c.Source[i] = sources[docs[i].Issue.Ref()]
		}
	}
	if unlabelled != nil {
		isLabelled := make(map[bugscope.IssueRef]bool, len(labelled))
		for i := range labelled {
			isLabelled[labelled[i].Ref()] = true
		}
		var rest []bugscope.Issue
		for _, is := range pool {
			if !is.IsPullRequest && !isLabelled[is.Ref()] && unlabelled(is.Ref()) {
				rest = append(rest, is)
			}
		}
		udocs, err := learnDocs(ctx, rules, rest)
		if err != nil {
			return nil, missing, err
		}
		if err := c.SetUnlabelled(udocs); err != nil {
			return nil, missing, err
		}
	}
	return c, missing, nil
}

// learnDocs is what the learned classifier reads of issues: each with the
// rules' decisions and its signals.
func learnDocs(ctx context.Context, rules bugscope.Classifier, issues []bugscope.Issue) ([]learn.Doc, error) {
	cs, err := rules.Classify(ctx, issues)
	if err != nil {
		return nil, err
	}
	sigs := ExtractSignals(issues)
	docs := make([]learn.Doc, len(issues))
	for i := range issues {
		docs[i] = learn.Doc{Issue: issues[i], Signals: sigs[issues[i].Ref()], Rules: &cs[i]}
	}
	return docs, nil
}

// ReviewQueue builds the queue of stored decisions a human should check
// first (package review): the final decisions are the best classifier's
// among the ensemble, the model and the rules, compared with the rules'
// and the model's. It also names the classifier whose decisions are final.
func ReviewQueue(ctx context.Context, db Store, tax *taxonomy.Taxonomy, f bugscope.IssueFilter) ([]review.Item, string, error) {
	if err := CheckRepos(ctx, db, f.Repos); err != nil {
		return nil, "", err
	}
	have, err := db.Classifiers(ctx, tax.Name)
	if err != nil {
		return nil, "", err
	}
	return reviewOf(ctx, db, tax, bugscope.ClassifiedFilter{IssueFilter: f}, have)
}

// ReviewItems returns the review items of refs in a queue whose final
// classifier is final (an issue without a classification is left out),
// in the queue's order: the items of a page of the queue beyond those a
// server keeps, in a query per classifier instead of a queue (and without
// listing the classifiers: at 100,000 issues that alone takes 0.1-0.3 s).
func ReviewItems(ctx context.Context, db Store, tax *taxonomy.Taxonomy, final string, refs []bugscope.IssueRef) ([]review.Item, error) {
	// final, and the classifiers after it that the queue compares: a
	// queue whose final is the rules has no model
	order := []string{"ensemble", "model", "rules"}
	i := slices.Index(order, final)
	if i < 0 {
		return nil, bugscope.Errorf(bugscope.EInvalid, "review queue of classifier %q: want ensemble, model or rules", final)
	}
	items, _, err := reviewOf(ctx, db, tax, bugscope.ClassifiedFilter{Refs: slices.Clip(refs)}, order[i:])
	if bugscope.ErrorCode(err) == bugscope.ENotFound {
		return nil, nil
	}
	return items, err
}

// reviewOf is the review queue of the classified issues cf selects (its
// Taxonomy and Classifier set here), among the classifiers in have.
func reviewOf(ctx context.Context, db Store, tax *taxonomy.Taxonomy, cf bugscope.ClassifiedFilter, have []string) ([]review.Item, string, error) {
	var err error
	byName := map[string][]bugscope.Classified{}
	for _, name := range []string{"rules", "model", "ensemble"} {
		if !slices.Contains(have, name) {
			continue
		}
		cf.Taxonomy, cf.Classifier = tax.Name, name
		if byName[name], err = db.Classified(ctx, cf); err != nil {
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

// ReadGold reads the label-record files training learns from: an issue
// labelled in two files must not be, and every record must label every
// dimension that applies to it (EInvalid errors naming the file and issue).
// It also says which file labelled each issue.
func ReadGold(files []string, tax *taxonomy.Taxonomy) ([]labelrec.Record, map[bugscope.IssueRef]string, error) {
	var out []labelrec.Record
	seen := map[bugscope.IssueRef]string{}
	for _, f := range files {
		recs, err := labelrec.ReadFile(f, tax)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range recs {
			if prev, ok := seen[r.Issue]; ok {
				return nil, nil, bugscope.Errorf(bugscope.EInvalid, "%s: %s is labelled in %s too; give each issue once", f, r.Issue, prev)
			}
			seen[r.Issue] = f
			if miss := labelrec.Unlabelled(tax, r.Labels); len(miss) > 0 {
				return nil, nil, bugscope.Errorf(bugscope.EInvalid, "%s: %s has no %s; training needs complete labels", f, r.Issue, strings.Join(miss, ", "))
			}
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, nil, bugscope.Errorf(bugscope.EInvalid, "%s: no label records", strings.Join(files, ", "))
	}
	return out, seen, nil
}

// SamplePriorities ranks the stored issues for the labelling loop
// (bugscope sample --strategy): for study.StrategyUncertain, 1 - the final
// decision's confidence; for study.StrategyDisagree, the weight of the
// dimensions the rules and the model disagree on (review's weights), the
// uncertainty breaking ties. It names the classifier whose decisions are
// final. Disagreements need the model's labels: without them it is an
// ENotFound error.
func SamplePriorities(ctx context.Context, db Store, tax *taxonomy.Taxonomy, strategy string, f bugscope.IssueFilter) (map[bugscope.IssueRef]float64, string, error) {
	items, final, err := ReviewQueue(ctx, db, tax, f)
	if err != nil {
		return nil, "", err
	}
	prio := make(map[bugscope.IssueRef]float64, len(items))
	anyModel := false
	for _, it := range items {
		ref, err := bugscope.ParseIssueRef(it.Issue)
		if err != nil {
			return nil, "", err
		}
		uncertain := 1 - it.Confidence
		switch strategy {
		case study.StrategyDisagree:
			anyModel = anyModel || it.Model != nil
			// Score is the uncertainty plus the disagreements' weights.
			prio[ref] = (it.Score - uncertain) + uncertain/100
		default:
			prio[ref] = uncertain
		}
	}
	if strategy == study.StrategyDisagree && !anyModel {
		return nil, "", bugscope.Errorf(bugscope.ENotFound, "strategy %s needs the learned model's labels beside the rules': bugscope classify --model MODEL first", strategy)
	}
	if strategy == study.StrategyDisagree {
		final = "rules and model (final: " + final + ")"
	}
	return prio, final, nil
}

// AddSampleLabels adds the final labels of a sample (its raters' answers:
// review corrections, a labelling loop's round) to the records training
// learns from, as the label records of source "sample NAME": the resolved
// items that are not left out. An issue already labelled elsewhere, or an
// answer that leaves a dimension unlabelled, is an EInvalid error naming
// the sample and issue.
func AddSampleLabels(ctx context.Context, svc *study.Service, name string, recs []labelrec.Record, sources map[bugscope.IssueRef]string) ([]labelrec.Record, int, error) {
	finals, err := svc.Finals(ctx, name, nil)
	if err != nil {
		return nil, 0, err
	}
	src := "sample " + name
	added := 0
	for _, f := range finals {
		if !f.Resolved() || f.Excluded() {
			continue
		}
		ref := f.Item.Issue
		if prev, ok := sources[ref]; ok {
			return nil, 0, bugscope.Errorf(bugscope.EInvalid, "%s: %s is labelled in %s too; give each issue once", src, ref, prev)
		}
		if miss := labelrec.Unlabelled(svc.Tax, f.Labels); len(miss) > 0 {
			return nil, 0, bugscope.Errorf(bugscope.EInvalid, "%s: the answer on %s has no %s; training needs complete labels", src, ref, strings.Join(miss, ", "))
		}
		sources[ref] = src
		recs = append(recs, labelrec.Record{Issue: ref, Labels: f.Labels})
		added++
	}
	if added == 0 {
		return nil, 0, bugscope.Errorf(bugscope.EInvalid, "%s has no final labels yet (annotate it first)", src)
	}
	return recs, added, nil
}
