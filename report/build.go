package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/preset"
	"github.com/bugscope/bugscope/stats"
	"github.com/bugscope/bugscope/taxonomy"
)

// Options shape a report.
type Options struct {
	Title      string
	Now        time.Time
	Filters    Filters
	Classifier NameVer
	// Examples per subcategory (default 3) and entries per signal list
	// (default 15).
	Examples   int
	TopSignals int
	// Fixes are the merged pull requests that fixed issues (bugscope sync),
	// for the fix-effort section; nil leaves it out.
	Fixes map[bugscope.IssueRef][]bugscope.Fix
	// InFilter counts the stored issues the filter selects, per
	// repository, labelled or not, for the coverage; nil: the items are
	// all of them. Missing are repositories a study could not mine.
	InFilter map[string]int
	Missing  []MissingRepo
	// LinkHosts are the web hosts besides github.com whose stored issue
	// addresses the report may link to (GitHub Enterprise); see links.go.
	LinkHosts []string
	// Gold, when set, holds hand labels of a random sample of the issues:
	// the shares are corrected with them (estimate.go).
	Gold *Gold
	// Period of the trends: month, quarter (default) or year.
	Period string
	// AsOf is the snapshot time open bugs are censored at; zero takes the
	// newest updated_at of the data.
	AsOf time.Time
	// Seed of the Monte-Carlo tests (default 1).
	Seed uint64
}

// Build computes the report from classified issues. Only issues classified
// in tax are expected; an issue's labels decide whether it is a bug (the
// category dimension applies to it). It is BuildItems of what a report
// reads of each (bugscope.ReportItemOf).
func Build(tax *taxonomy.Taxonomy, items []bugscope.Classified, opt Options) (*Report, error) {
	evidenceOf := ""
	if d := tax.ByRole(taxonomy.RoleCategory); d != nil {
		evidenceOf = d.ID
	}
	in := make([]bugscope.ReportItem, len(items))
	for i := range items {
		in[i] = bugscope.ReportItemOf(&items[i], evidenceOf)
	}
	return BuildItems(tax, in, opt)
}

// BuildItems computes the report from what it reads of the classified
// issues (bugscope.ReportItem, with the text of the category dimension's
// evidence). Every part reads the items through pointers: nothing is
// copied per issue, so that a million issues fit in memory.
func BuildItems(tax *taxonomy.Taxonomy, in []bugscope.ReportItem, opt Options) (*Report, error) {
	items := make([]*bugscope.ReportItem, len(in))
	for i := range in {
		items[i] = &in[i]
	}
	if opt.Examples == 0 {
		opt.Examples = 3
	}
	if opt.TopSignals == 0 {
		opt.TopSignals = 15
	}
	catDim := tax.ByRole(taxonomy.RoleCategory)
	if catDim == nil {
		return nil, fmt.Errorf("taxonomy %s has no dimension with role %q; a report needs one", tax.Name, taxonomy.RoleCategory)
	}
	r := &Report{
		Title:             opt.Title,
		GeneratedAt:       opt.Now.UTC(),
		Taxonomy:          NameVer{tax.Name, tax.Version},
		Classifier:        opt.Classifier,
		Filters:           opt.Filters,
		CategoryDimension: catDim.ID,
		Coverage:          coverage(items, opt.InFilter, opt.Missing),
	}
	if r.Classifier == (NameVer{}) && len(r.Coverage.Classifiers) > 0 {
		top := r.Coverage.Classifiers[0]
		r.Classifier = NameVer{top.Name, top.Version}
	}
	if r.Title == "" {
		r.Title = "Bug study of LLM inference and serving engines"
	}
	bugs := bugsOf(tax, catDim, items)
	r.Engines = engines(items)
	r.Totals = totals(items, bugs)
	if d := tax.ByRole(taxonomy.RoleKind); d != nil {
		r.Kinds = distribution(tax, d, items, items)
	}
	r.Categories = categories(tax, catDim, bugs, opt.Examples)
	checkLinks(r, opt.LinkHosts)
	if d := tax.ByRole(taxonomy.RolePatterns); d != nil {
		r.Patterns = enginePatterns(d, r.Engines, bugs)
	}
	if d := tax.ByRole(taxonomy.RoleRootCause); d != nil {
		r.RootCauses = distribution(tax, d, bugs, bugs)
	}
	if d := tax.ByRole(taxonomy.RoleSeverity); d != nil {
		r.Severities = distribution(tax, d, bugs, bugs)
	}
	for _, d := range tax.Dimensions {
		if d.Role == "" {
			base := items
			if len(d.AppliesWhen) > 0 {
				base = bugs
			}
			r.OtherDimensions = append(r.OtherDimensions, distribution(tax, d, base, base))
		}
	}
	r.Signatures = topSignals(bugs, bugscope.SignalErrorSignature, opt.TopSignals)
	r.Exceptions = topSignals(bugs, bugscope.SignalException, opt.TopSignals)
	r.Hardware = topSignals(bugs, bugscope.SignalGPU, opt.TopSignals)
	r.Backends = topSignals(bugs, bugscope.SignalBackend, opt.TopSignals)
	r.Systems = topSignals(bugs, bugscope.SignalOS, opt.TopSignals)
	for _, b := range bugs {
		if b.Confidence < 0.5 {
			r.LowConfidence++
		}
	}
	r.FixEffort = fixEffort(catDim, r.Engines, bugs, opt.Fixes)
	if err := r.inference(tax, catDim, items, bugs, opt); err != nil {
		return nil, err
	}
	return r, nil
}

// inference computes the figures of part 5 (estimate.go, trends.go,
// compare.go, survival.go, findings.go): every share's estimate, the
// trends, the engine comparisons, times to close and attention, the
// adjusted p-values, the key findings and the threats to validity.
func (r *Report) inference(tax *taxonomy.Taxonomy, catDim *taxonomy.Dimension, items, bugs []*bugscope.ReportItem, opt Options) error {
	switch opt.Period {
	case "":
		opt.Period = PeriodQuarter
	case PeriodMonth, PeriodQuarter, PeriodYear:
	default:
		return fmt.Errorf("period %q: want month, quarter or year", opt.Period)
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	est, estimation := newEstimator(tax, catDim, items, opt.Gold)
	r.Estimation = estimation
	est.fillEstimates(r)
	asOf, source := snapshot(items, opt.AsOf)
	r.Trends = trends(tax, catDim, r.Engines, bugs, opt.Period, asOf)
	var cats []Count
	for _, c := range r.Categories {
		cats = append(cats, c.Count)
	}
	seed := opt.Seed
	for _, c := range []*Comparison{
		compareEngines(r.Kinds.Dimension, r.Kinds.Name, "issues", r.Engines, r.Kinds.Values, seed),
		compareEngines(catDim.ID, catDim.Name, "bugs", r.Engines, cats, seed+1),
		compareEngines(r.RootCauses.Dimension, r.RootCauses.Name, "bugs", r.Engines, r.RootCauses.Values, seed+2),
		compareEngines(r.Severities.Dimension, r.Severities.Name, "bugs", r.Engines, r.Severities.Values, seed+3),
	} {
		if c != nil {
			r.EngineComparison = append(r.EngineComparison, *c)
		}
	}
	patternTests(r.Patterns)
	r.TimeToClose = timeToClose(catDim, r.Engines, bugs, asOf, source)
	r.Attention = attention(catDim, r.Categories, bugs)
	r.adjust()
	r.findings()
	r.threats()
	return nil
}

// bugsOf keeps the issues the category dimension applies to.
func bugsOf(tax *taxonomy.Taxonomy, catDim *taxonomy.Dimension, items []*bugscope.ReportItem) []*bugscope.ReportItem {
	n := 0
	for i := range items {
		if tax.Applies(catDim, items[i].Labels) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	bugs := make([]*bugscope.ReportItem, 0, n) // sized once: growing by doubling would hold up to twice as much
	for i := range items {
		if tax.Applies(catDim, items[i].Labels) {
			bugs = append(bugs, items[i])
		}
	}
	return bugs
}

// engines lists the repositories, most issues first.
func engines(items []*bugscope.ReportItem) []Engine {
	n := map[string]int{}
	for _, it := range items {
		n[it.Repo]++
	}
	out := make([]Engine, 0, len(n))
	for repo := range n {
		out = append(out, Engine{Repo: repo, Name: preset.DisplayName(repo)})
	}
	sort.Slice(out, func(i, j int) bool {
		if n[out[i].Repo] != n[out[j].Repo] {
			return n[out[i].Repo] > n[out[j].Repo]
		}
		return out[i].Repo < out[j].Repo
	})
	return out
}

func totals(items, bugs []*bugscope.ReportItem) Totals {
	t := Totals{Issues: len(items), ByRepo: map[string]int{}, Bugs: len(bugs), BugsByRepo: map[string]int{}}
	for _, it := range items {
		t.ByRepo[it.Repo]++
	}
	for _, b := range bugs {
		t.BugsByRepo[b.Repo]++
	}
	return t
}

// distribution counts the values (and groups) of dimension d over items;
// shares are of the issues in base.
func distribution(tax *taxonomy.Taxonomy, d *taxonomy.Dimension, items, base []*bugscope.ReportItem) Distribution {
	dist := Distribution{Dimension: d.ID, Name: d.Name, Base: len(base), BaseByRepo: map[string]int{}, Multi: d.Multi}
	for _, b := range base {
		dist.BaseByRepo[b.Repo]++
	}
	values := map[string]*Count{}
	var order []string
	for _, v := range d.AllValues() {
		values[v.ID] = &Count{ID: v.ID, Name: v.Name, Group: v.Group, ByRepo: map[string]int{}}
		order = append(order, v.ID)
	}
	groups := map[string]*Count{}
	for _, g := range d.Groups {
		groups[g.ID] = &Count{ID: g.ID, Name: g.Name, ByRepo: map[string]int{}}
		if d.AcceptGroups {
			// A group accepted as a label counts as a value of its own.
			if _, ok := values[g.ID]; !ok {
				values[g.ID] = &Count{ID: g.ID, Name: g.Name + " (group)", Group: g.ID, ByRepo: map[string]int{}}
				order = append(order, g.ID)
			}
		}
	}
	for _, it := range items {
		seenGroup := map[string]bool{}
		for _, v := range it.Labels[d.ID] {
			c := values[v]
			if c == nil {
				continue // a value the taxonomy no longer has
			}
			c.Count++
			c.ByRepo[it.Repo]++
			if g := groups[d.GroupOf(v)]; g != nil && !seenGroup[g.ID] {
				seenGroup[g.ID] = true
				g.Count++
				g.ByRepo[it.Repo]++
			}
		}
	}
	for _, id := range order {
		c := values[id]
		c.Share = share(c.Count, len(base))
		dist.Values = append(dist.Values, *c)
	}
	for _, g := range d.Groups {
		c := groups[g.ID]
		c.Share = share(c.Count, len(base))
		dist.Groups = append(dist.Groups, *c)
	}
	return dist
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// categories computes the main section: every group of the category
// dimension with its subcategories, their counts per engine, frequency
// levels, what is seen in their bugs, and examples. A category dimension
// without groups makes every value a category with itself as only
// subcategory.
func categories(tax *taxonomy.Taxonomy, d *taxonomy.Dimension, bugs []*bugscope.ReportItem, nExamples int) []Category {
	dist := distribution(tax, d, bugs, bugs)
	byValue := map[string][]*bugscope.ReportItem{}
	for _, b := range bugs {
		for _, v := range b.Labels[d.ID] {
			byValue[v] = append(byValue[v], b)
		}
	}
	sub := func(c Count) Subcategory {
		s := Subcategory{Count: c}
		if v := d.Value(c.ID); v != nil {
			s.Source, s.Description = v.Source, v.Description
		}
		in := byValue[c.ID]
		if sev := tax.ByRole(taxonomy.RoleSeverity); sev != nil {
			s.Severities = nonZero(distribution(tax, sev, in, in).Values)
		}
		if rc := tax.ByRole(taxonomy.RoleRootCause); rc != nil {
			s.RootCauses = nonZero(distribution(tax, rc, in, in).Values)
		}
		if p := tax.ByRole(taxonomy.RolePatterns); p != nil {
			s.Patterns = nonZero(distribution(tax, p, in, in).Values)
			sort.SliceStable(s.Patterns, func(i, j int) bool { return s.Patterns[i].Count > s.Patterns[j].Count })
		}
		s.Signatures = topSignals(in, bugscope.SignalErrorSignature, 3)
		s.Examples = examples(d.ID, c.ID, in, nExamples)
		return s
	}
	var out []Category
	if len(d.Groups) == 0 {
		for _, c := range dist.Values {
			out = append(out, Category{Count: c, Subcategories: []Subcategory{sub(c)}})
		}
	} else {
		for _, g := range dist.Groups {
			cat := Category{Count: g}
			cat.Source = d.Group(g.ID).Source
			for _, c := range dist.Values {
				if c.Group == g.ID {
					cat.Subcategories = append(cat.Subcategories, sub(c))
				}
			}
			out = append(out, cat)
		}
	}
	setFrequencies(out)
	return out
}

// setFrequencies gives every category and subcategory its level; the
// largest of each is Highest.
func setFrequencies(cats []Category) {
	maxCat, maxSub := 0, 0
	for _, c := range cats {
		maxCat = max(maxCat, c.Count.Count)
		for _, s := range c.Subcategories {
			maxSub = max(maxSub, s.Count.Count)
		}
	}
	for i := range cats {
		cats[i].Frequency = frequency(cats[i].Count, maxCat)
		for j := range cats[i].Subcategories {
			s := &cats[i].Subcategories[j]
			s.Frequency = frequency(s.Count, maxSub)
		}
	}
}

func frequency(c Count, largest int) string {
	switch {
	case c.Count == 0:
		return FrequencyNone
	case c.Count == largest:
		return FrequencyHighest
	}
	for _, t := range FrequencyThresholds {
		if c.Share >= t.Share {
			return t.Level
		}
	}
	return FrequencyLow
}

func nonZero(cs []Count) []Count {
	var out []Count
	for _, c := range cs {
		if c.Count > 0 {
			out = append(out, c)
		}
	}
	return out
}

// cand is an issue that could be an example of a value, with its evidence
// for the value.
type cand struct {
	it     *bugscope.ReportItem
	ev     *bugscope.Evidence
	quoted bool
}

// candidate is it as a candidate example of value of dimension dim, if it
// has evidence for it.
func candidate(it *bugscope.ReportItem, dim, value string) (cand, bool) {
	if it.Text == nil {
		return cand{}, false
	}
	for j := range it.Text.Evidence {
		if e := &it.Text.Evidence[j]; e.Dimension == dim && e.Value == value {
			return cand{it: it, ev: e, quoted: e.Match != ""}, true
		}
	}
	return cand{}, false
}

// sortCandidates puts one engine's candidates in the order examples takes
// them: quoting text first, then most confident, heaviest evidence, newest.
func sortCandidates(cs []cand) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.quoted != b.quoted {
			return a.quoted
		}
		if ca, cb := a.it.Confidence, b.it.Confidence; ca != cb {
			return ca > cb
		}
		if a.ev.Weight != b.ev.Weight {
			return a.ev.Weight > b.ev.Weight
		}
		return a.it.Number > b.it.Number
	})
}

// unshown stands for the matched text of evidence StripUnshown emptied:
// not empty, so that the evidence still counts as quoting.
const unshown = "(not shown)"

// StripUnshown drops the text (title, address, matched text, line) of
// every item that no subcategory's examples can show, n examples each
// (0: the default), keeping what the choice of examples reads (the
// evidence's dimension, value, weight and whether it quotes): examples
// take at most the n first candidates of each value and engine, so a
// report of a million issues keeps the text of a few hundred. BuildItems
// (with the same Examples) gives the same report after it.
func StripUnshown(tax *taxonomy.Taxonomy, items []bugscope.ReportItem, n int) {
	if n == 0 {
		n = 3
	}
	d := tax.ByRole(taxonomy.RoleCategory)
	if d == nil {
		return
	}
	type key struct{ value, repo string }
	groups := map[key][]cand{}
	for i := range items {
		it := &items[i]
		if it.Text == nil || !tax.Applies(d, it.Labels) {
			continue
		}
		for _, v := range it.Labels[d.ID] {
			if c, ok := candidate(it, d.ID, v); ok {
				k := key{v, it.Repo}
				groups[k] = append(groups[k], c)
			}
		}
	}
	shown := map[*bugscope.ReportItem]bool{}
	for _, cs := range groups {
		sortCandidates(cs)
		for _, c := range cs[:min(n, len(cs))] {
			shown[c.it] = true
		}
	}
	for i := range items {
		it := &items[i]
		if it.Text == nil || shown[it] {
			continue
		}
		ev := make([]bugscope.Evidence, len(it.Text.Evidence))
		for j, e := range it.Text.Evidence {
			ev[j] = bugscope.Evidence{Dimension: e.Dimension, Value: e.Value, Weight: e.Weight}
			if e.Match != "" {
				ev[j].Match = unshown
			}
		}
		it.Text = &bugscope.ReportText{Evidence: ev}
	}
}

// examples picks up to n issues of one value to show: those whose evidence
// for the value quotes text, most confident first, taking engines in turn so
// that each engine is shown.
func examples(dim, value string, in []*bugscope.ReportItem, n int) []Example {
	// Candidates point into in; only the n shown become Examples, so that
	// a category of a million issues builds no string per issue.
	byRepo := map[string][]cand{}
	var repos []string
	for _, it := range in {
		c, ok := candidate(it, dim, value)
		if !ok {
			continue // no evidence to show
		}
		if _, ok := byRepo[it.Repo]; !ok {
			repos = append(repos, it.Repo)
		}
		byRepo[it.Repo] = append(byRepo[it.Repo], c)
	}
	for _, cs := range byRepo {
		sortCandidates(cs)
	}
	// Engines with the most examples first, so that the big engines lead.
	sort.SliceStable(repos, func(i, j int) bool {
		if len(byRepo[repos[i]]) != len(byRepo[repos[j]]) {
			return len(byRepo[repos[i]]) > len(byRepo[repos[j]])
		}
		return repos[i] < repos[j]
	})
	var out []Example
	for round := 0; len(out) < n; round++ {
		added := false
		for _, repo := range repos {
			if cs := byRepo[repo]; round < len(cs) && len(out) < n {
				c := cs[round]
				ex := Example{
					ID:         c.it.Ref().String(),
					Repo:       c.it.Repo,
					Number:     c.it.Number,
					URL:        c.it.Text.URL,
					Title:      c.it.Text.Title,
					Confidence: c.it.Confidence,
					Evidence:   c.ev.String(),
				}
				if c.ev.Field != "title" {
					ex.Quote = c.ev.Line // a title is shown anyway
				}
				out = append(out, ex)
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}

// enginePatterns counts each pattern in each engine's bugs, with its lift
// over all engines.
func enginePatterns(d *taxonomy.Dimension, engs []Engine, bugs []*bugscope.ReportItem) []EnginePatterns {
	bugsOfRepo := map[string]int{}
	count := map[string]map[string]int{} // repo -> pattern -> bugs
	overall := map[string]int{}
	for _, b := range bugs {
		bugsOfRepo[b.Repo]++
		for _, p := range b.Labels[d.ID] {
			if count[b.Repo] == nil {
				count[b.Repo] = map[string]int{}
			}
			count[b.Repo][p]++
			overall[p]++
		}
	}
	var out []EnginePatterns
	for _, e := range engs {
		ep := EnginePatterns{Engine: e, Bugs: bugsOfRepo[e.Repo]}
		for _, v := range d.AllValues() {
			n := count[e.Repo][v.ID]
			if n == 0 {
				continue
			}
			pc := PatternCount{ID: v.ID, Name: v.Name, Count: n, Share: share(n, ep.Bugs)}
			if all := share(overall[v.ID], len(bugs)); all > 0 {
				pc.Lift = pc.Share / all
			}
			ep.Patterns = append(ep.Patterns, pc)
		}
		sort.SliceStable(ep.Patterns, func(i, j int) bool { return ep.Patterns[i].Count > ep.Patterns[j].Count })
		out = append(out, ep)
	}
	return out
}

// topSignals counts the issues that show each value of a signal kind.
func topSignals(items []*bugscope.ReportItem, kind string, limit int) []SignalCount {
	byValue := map[string]*SignalCount{}
	for _, it := range items {
		for _, s := range it.Signals { // distinct: an issue counts once per value
			if s.Kind != kind {
				continue
			}
			sc := byValue[s.Value]
			if sc == nil {
				sc = &SignalCount{Value: s.Value, ByRepo: map[string]int{}}
				byValue[s.Value] = sc
			}
			sc.Count++
			sc.ByRepo[it.Repo]++
		}
	}
	out := make([]SignalCount, 0, len(byValue))
	for _, sc := range byValue {
		out = append(out, *sc)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return strings.ToLower(out[i].Value) < strings.ToLower(out[j].Value)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// fixEffort computes the fix-effort section: for all bugs, then each
// category with its subcategories, the bugs a merged pull request fixed,
// the median time from report to the first merged fix, and the median
// size of the fix (all its pull requests together). Nil when no bug has a
// fix.
func fixEffort(d *taxonomy.Dimension, engs []Engine, bugs []*bugscope.ReportItem, fixes map[bugscope.IssueRef][]bugscope.Fix) []CategoryFixEffort {
	type bugFix struct {
		repo         string
		fixed, timed bool
		days         float64
		sized        bool
		lines, files float64
	}
	of := func(b *bugscope.ReportItem) bugFix {
		bf := bugFix{repo: b.Repo}
		fs := fixes[b.Ref()]
		if len(fs) == 0 {
			return bf
		}
		bf.fixed, bf.sized = true, true
		first := math.Inf(1)
		for _, f := range fs {
			if f.TimeToFix > 0 {
				first = min(first, f.TimeToFix.Hours()/24)
			}
			if !f.SizeKnown {
				bf.sized = false
			}
			bf.lines += float64(f.LinesChanged())
			bf.files += float64(f.ChangedFiles)
		}
		if !math.IsInf(first, 1) {
			bf.timed, bf.days = true, first
		}
		return bf
	}
	all := make([]bugFix, len(bugs))
	fixedAny := false
	for i, b := range bugs {
		all[i] = of(b)
		fixedAny = fixedAny || all[i].fixed
	}
	if !fixedAny {
		return nil
	}
	summarise := func(in []bugFix) FixEffort {
		var days, lines, files []float64
		e := FixEffort{Bugs: len(in)}
		for _, b := range in {
			if !b.fixed {
				continue
			}
			e.Fixed++
			if b.timed {
				days = append(days, b.days)
			}
			if b.sized {
				lines, files = append(lines, b.lines), append(files, b.files)
			}
		}
		e.Timed, e.Sized = len(days), len(lines)
		e.MedianDaysToFix, e.MedianLinesChanged, e.MedianFilesChanged = median(days), median(lines), median(files)
		e.DaysToFixCI, e.LinesChangedCI, e.FilesChangedCI = medianCI(days), medianCI(lines), medianCI(files)
		return e
	}
	row := func(level, id, name, group string, in []bugFix) CategoryFixEffort {
		c := CategoryFixEffort{Level: level, ID: id, Name: name, Group: group, FixEffort: summarise(in), ByRepo: map[string]FixEffort{}}
		for _, e := range engs {
			var mine []bugFix
			for _, b := range in {
				if b.repo == e.Repo {
					mine = append(mine, b)
				}
			}
			c.ByRepo[e.Repo] = summarise(mine)
		}
		return c
	}
	byValue := map[string][]bugFix{}
	byGroup := map[string][]bugFix{}
	for i, b := range bugs {
		seen := map[string]bool{}
		for _, v := range b.Labels[d.ID] {
			byValue[v] = append(byValue[v], all[i])
			if g := d.GroupOf(v); g != "" && !seen[g] {
				seen[g] = true
				byGroup[g] = append(byGroup[g], all[i])
			}
		}
	}
	out := []CategoryFixEffort{row("all", "all", "All bugs", "", all)}
	if len(d.Groups) == 0 {
		for _, v := range d.AllValues() {
			if in := byValue[v.ID]; len(in) > 0 {
				out = append(out, row("category", v.ID, v.Name, "", in))
			}
		}
		return out
	}
	for _, g := range d.Groups {
		if len(byGroup[g.ID]) == 0 {
			continue
		}
		out = append(out, row("category", g.ID, g.Name, "", byGroup[g.ID]))
		for _, v := range d.AllValues() {
			if v.Group == g.ID && len(byValue[v.ID]) > 0 {
				out = append(out, row("subcategory", v.ID, v.Name, g.ID, byValue[v.ID]))
			}
		}
	}
	return out
}

// medianCI is the distribution-free 95% interval of the median of xs, or
// nil when there are too few for one.
func medianCI(xs []float64) *stats.Interval {
	iv, _, ok := stats.MedianInterval(xs, Confidence)
	if !ok {
		return nil
	}
	return &iv
}

// median of xs, or nil when empty.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &m
}
