package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bugscope/bugscope"
)

// Coverage says which of the issues the report's filter selects it covers,
// whose labels it uses for them, and which repositories it misses.
type Coverage struct {
	// InFilter counts the stored issues the filter selects, Labelled those
	// the report covers (a classification in the taxonomy);
	// UnlabelledByRepo the others, per repository.
	InFilter         int            `json:"in_filter"`
	Labelled         int            `json:"labelled"`
	UnlabelledByRepo map[string]int `json:"unlabelled_by_repo,omitempty"`
	// Classifiers: how many of the issues each classifier (and version)
	// labelled, most first. Each issue has the labels of the best
	// classifier that labelled it (bugscope.ClassifierPreference) unless
	// the report names one.
	Classifiers []ClassifierCount `json:"classifiers"`
	// Missing are repositories the study was asked for and could not mine.
	Missing []MissingRepo `json:"missing_repos,omitempty"`
	// Stale counts the covered issues whose labels were made from text the
	// issue no longer has (an import changed it since: bugscope classify
	// labels them again).
	Stale int `json:"stale,omitempty"`
	// Complete: every issue of the filter is covered, no label is stale
	// and no repository is missing.
	Complete bool `json:"complete"`
}

// ClassifierCount is how many of the report's issues one classifier
// labelled.
type ClassifierCount struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Issues  int    `json:"issues"`
}

// MissingRepo is a repository the report lacks, and why.
type MissingRepo struct {
	Repo   string `json:"repo"`
	Reason string `json:"reason"`
}

// coverage computes the report's coverage from its items and the issues
// the filter selects per repository (nil: the items are all of them).
func coverage(items []*bugscope.ReportItem, inFilter map[string]int, missing []MissingRepo) Coverage {
	c := Coverage{Labelled: len(items), Missing: missing, Classifiers: []ClassifierCount{}}
	byCls := map[NameVer]int{}
	byRepo := map[string]int{}
	for _, it := range items {
		byCls[NameVer{it.By.Name, it.By.Version}]++
		byRepo[it.Repo]++
		if it.Stale {
			c.Stale++
		}
	}
	for nv, n := range byCls {
		c.Classifiers = append(c.Classifiers, ClassifierCount{Name: nv.Name, Version: nv.Version, Issues: n})
	}
	sort.Slice(c.Classifiers, func(i, j int) bool {
		a, b := c.Classifiers[i], c.Classifiers[j]
		if a.Issues != b.Issues {
			return a.Issues > b.Issues
		}
		if a.Name != b.Name {
			return bugscope.ClassifierRank(a.Name) < bugscope.ClassifierRank(b.Name)
		}
		return a.Version < b.Version
	})
	if inFilter == nil {
		inFilter = byRepo
	}
	for repo, n := range inFilter {
		c.InFilter += n
		if left := n - byRepo[repo]; left > 0 {
			if c.UnlabelledByRepo == nil {
				c.UnlabelledByRepo = map[string]int{}
			}
			c.UnlabelledByRepo[repo] = left
		}
	}
	c.Complete = c.UnlabelledByRepo == nil && len(missing) == 0 && c.Stale == 0
	return c
}

// Warnings words what the coverage lacks, one sentence each; none when it
// is complete.
func (c Coverage) Warnings() []string {
	var out []string
	if n := c.InFilter - c.Labelled; n > 0 {
		var parts []string
		for _, repo := range sortedRepos(c.UnlabelledByRepo) {
			parts = append(parts, fmt.Sprintf("%d of %s", c.UnlabelledByRepo[repo], repo))
		}
		out = append(out, fmt.Sprintf("%d of the %d issues the filter selects are not labelled (%s) and are left out; run bugscope classify to label them",
			n, c.InFilter, strings.Join(parts, ", ")))
	}
	if c.Stale > 0 {
		out = append(out, fmt.Sprintf("%d of the %d labelled issues have stale labels, made before an import changed their text; run bugscope classify to label them again",
			c.Stale, c.Labelled))
	}
	for _, m := range c.Missing {
		out = append(out, fmt.Sprintf("repository %s is missing: %s", m.Repo, m.Reason))
	}
	return out
}

func sortedRepos(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// coverageMarkdown is the Overview's paragraph on coverage: which
// classifiers labelled the issues, and a warning when issues or
// repositories are missing.
func coverageMarkdown(c Coverage) string {
	var b strings.Builder
	if len(c.Classifiers) > 1 {
		var parts []string
		for _, cc := range c.Classifiers {
			parts = append(parts, fmt.Sprintf("`%s` version `%s` %d", cc.Name, escapeMarkdown(cc.Version), cc.Issues))
		}
		fmt.Fprintf(&b, "Each issue carries the labels of the best classifier that labelled it: %s.\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "Coverage: %d of the %d issues the filter selects are labelled.", c.Labelled, c.InFilter)
	for _, w := range c.Warnings() {
		fmt.Fprintf(&b, "\n\n> **Warning: the report is incomplete.** %s.", escapeMarkdown(w))
	}
	return b.String()
}
