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
	"github.com/bugscope/bugscope/taxonomy"
)

// Corpus is what 'bugscope train' learns from: it joins the label records
// with the stored issues, runs the rules and extracts signals for them,
// and lends every stored issue's text to the document frequencies. It also
// returns the labelled issues missing from the database. sources, when not
// nil, names the file of each record (ReadGold), for figures per file.
func Corpus(ctx context.Context, db Store, tax *taxonomy.Taxonomy, rules bugscope.Classifier,
	recs []labelrec.Record, sources map[bugscope.IssueRef]string, cfg learn.FeatureConfig) (*learn.Corpus, []string, error) {
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
	if err != nil {
		return nil, missing, err
	}
	if sources != nil {
		c.Source = make([]string, len(docs))
		for i := range docs {
			c.Source[i] = sources[docs[i].Issue.Ref()]
		}
	}
	return c, missing, nil
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
	byName := map[string][]bugscope.Classified{}
	for _, name := range []string{"rules", "model", "ensemble"} {
		if !slices.Contains(have, name) {
			continue
		}
		if byName[name], err = db.Classified(ctx, bugscope.ClassifiedFilter{IssueFilter: f, Taxonomy: tax.Name, Classifier: name}); err != nil {
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
