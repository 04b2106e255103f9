package study

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// Sampling methods, as a sample records them.
const (
	MethodCochran  = "cochran"  // per-stratum size from Cochran's formula
	MethodFixed    = "fixed"    // a fixed size per stratum
	MethodExplicit = "explicit" // a given list of issues
)

// Strategies of a sample: a random draw, or the issues whose labels would
// teach the classifier most (the labelling loop). Only a random sample
// estimates shares; the others measure and teach.
const (
	StrategyRandom    = "random"    // a seeded simple random sample per stratum
	StrategyUncertain = "uncertain" // the least confident classifications first
	StrategyDisagree  = "disagree"  // rules-versus-model disagreements first
)

// Stratification of a sample.
const (
	StratifyRepo = "repo" // one stratum per repository (engine), as the source study
	StratifyNone = "none" // the whole population as one stratum
)

// AllStratum names the single stratum of an unstratified sample.
const AllStratum = "all"

// Service is the study workflow over one store and one taxonomy.
type Service struct {
	Store Store
	Tax   *taxonomy.Taxonomy
	// Now is the clock of stored answers; time.Now when nil.
	Now func() time.Time
}

// New returns a Service.
func New(store Store, tax *taxonomy.Taxonomy) *Service {
	return &Service{Store: store, Tax: tax}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Filter selects the population a sample is drawn from. Pull requests are
// never part of it.
type Filter struct {
	Repos  []string   `json:"repos,omitempty"`
	Labels []string   `json:"labels,omitempty"` // GitHub labels, any of them
	State  string     `json:"state,omitempty"`  // open, closed, or "" for both
	Since  *time.Time `json:"since,omitempty"`  // opened on or after
	Until  *time.Time `json:"until,omitempty"`  // opened before
	// Kinds keeps issues whose current classification (by Classifier, or
	// the best available) has one of these values of the kind dimension.
	Kinds      []string `json:"kinds,omitempty"`
	Classifier string   `json:"classifier,omitempty"`
	// Query is a text query over titles and bodies; see ParseQuery.
	Query string `json:"query,omitempty"`
}

// Design says how to draw a sample.
type Design struct {
	Name   string
	Filter Filter
	// Size, when set, is the number drawn from each stratum; otherwise
	// Cochran's formula with Confidence and Margin sets it per stratum.
	Confidence float64
	Margin     float64
	Size       int
	Seed       uint64
	Stratify   string // StratifyRepo (default) or StratifyNone
	// Strategy is StrategyRandom (default), or StrategyUncertain or
	// StrategyDisagree, which take each stratum's issues of highest
	// Priority (the caller's measure of what a label would teach: 1 -
	// confidence, or the weight of the disagreements), ties in seeded
	// random order; issues without a priority come last.
	Strategy string
	Priority map[bugscope.IssueRef]float64
	RankedBy string // the classifier(s) whose decisions gave the priorities
}

// Stratum is one stratum of a sample: its population, the size the
// formula asks for, and how many were drawn.
type Stratum struct {
	Name       string `json:"name"`
	Population int    `json:"population"`
	// Formula is Cochran's size with the finite-population correction
	// before rounding (0 unless the method is cochran).
	Formula  float64 `json:"formula,omitempty"`
	Required int     `json:"required"`
	Drawn    int     `json:"drawn"`
}

// Params is how a sample was drawn, stored with it.
type Params struct {
	Filter     Filter    `json:"filter"`
	Confidence float64   `json:"confidence,omitempty"`
	Margin     float64   `json:"margin,omitempty"`
	Proportion float64   `json:"proportion,omitempty"`
	N0         float64   `json:"n0,omitempty"` // Cochran's size for an infinite population
	Size       int       `json:"size,omitempty"`
	Seed       uint64    `json:"seed"`
	Stratify   string    `json:"stratify"`
	Strata     []Stratum `json:"strata"`
	Population int       `json:"population"`
	// Origin names the list an explicit sample was made from.
	Origin string `json:"origin,omitempty"`
	// ClassifierUsed is the classifier whose kinds filtered the population.
	ClassifierUsed string `json:"classifier_used,omitempty"`
	// Strategy is how the issues were chosen: StrategyRandom (also when
	// empty, in samples drawn before strategies), StrategyUncertain or
	// StrategyDisagree; Ranked names the classifier whose decisions ranked
	// them.
	Strategy string `json:"strategy,omitempty"`
	Ranked   string `json:"ranked_by,omitempty"`
}

// Sample is a named sample with its items in annotation order.
type Sample struct {
	Name            string       `json:"name"`
	Taxonomy        string       `json:"taxonomy"`
	TaxonomyVersion string       `json:"taxonomy_version"`
	Method          string       `json:"method"`
	Params          Params       `json:"params"`
	CreatedAt       time.Time    `json:"created_at"`
	Items           []SampleItem `json:"items,omitempty"`
}

// Random reports whether the sample may be taken for a random draw, the
// kind whose labels can correct a report's shares: not one of the
// labelling loop's strategies. (A given list is taken at its word: the
// list may be a random sample drawn elsewhere.)
func (s *Sample) Random() bool {
	return s.Params.Strategy == "" || s.Params.Strategy == StrategyRandom
}

// Size is the number of issues drawn.
func (s *Sample) Size() int {
	n := 0
	for _, st := range s.Params.Strata {
		n += st.Drawn
	}
	return n
}

// CheckName validates a sample, rater or arbitrator name: 1 to 64
// letters, digits, spaces and . _ - @ +, starting with a letter or digit.
func CheckName(what, name string) error {
	if name == "" {
		return bugscope.Errorf(bugscope.EInvalid, "%s: a name is required", what)
	}
	if len([]rune(name)) > 64 {
		return bugscope.Errorf(bugscope.EInvalid, "%s %q: at most 64 characters", what, name)
	}
	for i, r := range name {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r)
		if i > 0 {
			ok = ok || strings.ContainsRune(" ._-@+", r)
		}
		if !ok {
			return bugscope.Errorf(bugscope.EInvalid, "%s %q: use letters, digits, spaces and . _ - @ + (starting with a letter or digit)", what, name)
		}
	}
	if strings.TrimSpace(name) != name {
		return bugscope.Errorf(bugscope.EInvalid, "%s %q: no leading or trailing spaces", what, name)
	}
	return nil
}

// ParseQuery splits a text query into terms that must all occur in an
// issue's title or body and terms (written with a leading -) that must
// not. Words are separated by spaces; "double quotes" keep a phrase
// together. Matching is by substring and ignores ASCII case.
func ParseQuery(q string) (terms, without []string, err error) {
	var cur strings.Builder
	inQuote, neg, quoted := false, false, false
	flush := func() {
		t := cur.String()
		cur.Reset()
		if t != "" {
			if neg {
				without = append(without, t)
			} else {
				terms = append(terms, t)
			}
		} else if neg && !quoted {
			terms = append(terms, "-")
		}
		neg, quoted = false, false
	}
	for _, r := range q {
		switch {
		case r == '"':
			inQuote = !inQuote
			quoted = true
		case inQuote:
			cur.WriteRune(r)
		case unicode.IsSpace(r):
			flush()
		case r == '-' && cur.Len() == 0 && !neg && !quoted:
			neg = true
		default:
			cur.WriteRune(r)
		}
	}
	if inQuote {
		return nil, nil, bugscope.Errorf(bugscope.EInvalid, "query %q: a double quote is not closed", q)
	}
	flush()
	return terms, without, nil
}

// Draw draws a seeded random sample from each stratum: sizes[name] of its
// issues, or all of them when the stratum is smaller. It is deterministic:
// each stratum's issues are sorted by (repo, number) and shuffled by a PCG
// generator seeded with seed and the stratum's name, so the same seed
// draws the same sample whatever order the database returns, and adding a
// stratum does not change the others.
//
// Within a stratum the first half of the draw (rounded up) is half 1, the
// rest half 2: two random halves, as the source study used one to settle
// its codebook and the other to measure agreement. Positions interleave
// the strata in proportion to their sizes, half 1 first, so that raters
// meet every engine from the start.
func Draw(strata map[string][]bugscope.IssueRef, sizes map[string]int, seed uint64) []SampleItem {
	return drawRanked(strata, sizes, seed, nil)
}

// drawRanked is Draw, or with prio not nil, each stratum's issues of
// highest priority, ties (and issues without one, after the rest) in the
// seeded random order.
func drawRanked(strata map[string][]bugscope.IssueRef, sizes map[string]int, seed uint64, prio map[bugscope.IssueRef]float64) []SampleItem {
	type drawn struct {
		item SampleItem
		key  float64
	}
	var all []drawn
	for name, refs := range strata {
		pool := append([]bugscope.IssueRef(nil), refs...)
		sortRefs(pool)
		n := min(sizes[name], len(pool))
		rng := rand.New(rand.NewPCG(seed, stratumKey(name)))
		shuffle := n
		if prio != nil {
			shuffle = len(pool)
		}
		for i := 0; i < shuffle && i < len(pool); i++ { // (partial) Fisher–Yates
			j := i + rng.IntN(len(pool)-i)
			pool[i], pool[j] = pool[j], pool[i]
		}
		if prio != nil {
			sort.SliceStable(pool, func(i, j int) bool {
				pi, oki := prio[pool[i]]
				pj, okj := prio[pool[j]]
				if oki != okj {
					return oki
				}
				return pi > pj
			})
		}
		first := (n + 1) / 2
		for i := 0; i < n; i++ {
			half, rank, size := 1, i, first
			if i >= first {
				half, rank, size = 2, i-first, n-first
			}
			all = append(all, drawn{
				item: SampleItem{Issue: pool[i], Stratum: name, StratumPosition: i + 1, Half: half},
				key:  (float64(rank) + 0.5) / float64(size),
			})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.item.Half != b.item.Half {
			return a.item.Half < b.item.Half
		}
		if a.key != b.key {
			return a.key < b.key
		}
		return a.item.Stratum < b.item.Stratum
	})
	out := make([]SampleItem, len(all))
	for i, d := range all {
		d.item.Position = i + 1
		out[i] = d.item
	}
	return out
}

func stratumKey(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

func sortRefs(refs []bugscope.IssueRef) {
	sort.Slice(refs, func(i, j int) bool { return lessRef(refs[i], refs[j]) })
}

func lessRef(a, b bugscope.IssueRef) bool {
	if a.Repo != b.Repo {
		return a.Repo < b.Repo
	}
	return a.Number < b.Number
}

// Draft draws a sample by design without storing it: the population per
// stratum, the sizes and the items. Save stores it.
func (s *Service) Draft(ctx context.Context, d Design) (*Sample, error) {
	if err := CheckName("sample", d.Name); err != nil {
		return nil, err
	}
	p := Params{Filter: d.Filter, Seed: d.Seed, Stratify: d.Stratify}
	method := MethodCochran
	switch {
	case d.Size < 0:
		return nil, bugscope.Errorf(bugscope.EInvalid, "size %d: want a positive number", d.Size)
	case d.Size > 0:
		method, p.Size = MethodFixed, d.Size
	default:
		if d.Confidence == 0 {
			d.Confidence = DefaultConfidence
		}
		if d.Margin == 0 {
			d.Margin = DefaultMargin
		}
		if err := CheckLevels(d.Confidence, d.Margin); err != nil {
			return nil, err
		}
		p.Confidence, p.Margin, p.Proportion = d.Confidence, d.Margin, Proportion
		p.N0 = CochranN0(d.Confidence, d.Margin, Proportion)
	}
	if p.Stratify == "" {
		p.Stratify = StratifyRepo
	}
	if p.Stratify != StratifyRepo && p.Stratify != StratifyNone {
		return nil, bugscope.Errorf(bugscope.EInvalid, "stratify %q: want %s or %s", p.Stratify, StratifyRepo, StratifyNone)
	}
	switch d.Strategy {
	case "", StrategyRandom:
		p.Strategy = StrategyRandom
	case StrategyUncertain, StrategyDisagree:
		p.Strategy, p.Ranked = d.Strategy, d.RankedBy
		if len(d.Priority) == 0 {
			return nil, bugscope.Errorf(bugscope.EInvalid, "strategy %s: no classified issue to rank (bugscope classify first)", d.Strategy)
		}
	default:
		return nil, bugscope.Errorf(bugscope.EInvalid, "strategy %q: want %s, %s or %s", d.Strategy, StrategyRandom, StrategyUncertain, StrategyDisagree)
	}
	cf, err := s.candidateFilter(ctx, &p)
	if err != nil {
		return nil, err
	}
	refs, err := s.Store.Candidates(ctx, cf)
	if err != nil {
		return nil, err
	}
	strata := map[string][]bugscope.IssueRef{}
	for _, r := range refs {
		name := r.Repo
		if p.Stratify == StratifyNone {
			name = AllStratum
		}
		strata[name] = append(strata[name], r)
	}
	// A named repository with no issue in the population is a stratum of
	// size 0, shown rather than silently dropped.
	if p.Stratify == StratifyRepo {
		for _, r := range p.Filter.Repos {
			if _, ok := strata[r]; !ok {
				strata[r] = nil
			}
		}
	}
	sizes := map[string]int{}
	for _, name := range sortedKeys(strata) {
		st := Stratum{Name: name, Population: len(strata[name])}
		if method == MethodFixed {
			st.Required = p.Size
		} else {
			st.Formula, st.Required = SampleSize(st.Population, p.Confidence, p.Margin)
		}
		st.Drawn = min(st.Required, st.Population)
		sizes[name] = st.Drawn
		p.Population += st.Population
		p.Strata = append(p.Strata, st)
	}
	return &Sample{
		Name: d.Name, Taxonomy: s.Tax.Name, TaxonomyVersion: s.Tax.Version, Method: method,
		Params: p, CreatedAt: s.now().UTC(), Items: drawRanked(strata, sizes, d.Seed, priority(p.Strategy, d.Priority)),
	}, nil
}

func (s *Service) candidateFilter(ctx context.Context, p *Params) (CandidateFilter, error) {
	f := p.Filter
	cf := CandidateFilter{IssueFilter: bugscope.IssueFilter{Repos: f.Repos, Labels: f.Labels, State: f.State, Since: f.Since, Until: f.Until}}
	switch f.State {
	case "", "open", "closed":
	default:
		return cf, bugscope.Errorf(bugscope.EInvalid, "state %q: want open or closed", f.State)
	}
	for _, r := range f.Repos {
		if err := bugscope.ValidateRepo(r); err != nil {
			return cf, err
		}
	}
	if len(f.Kinds) > 0 {
		kd := s.Tax.ByRole(taxonomy.RoleKind)
		if kd == nil {
			return cf, bugscope.Errorf(bugscope.EInvalid, "taxonomy %s has no kind dimension to filter by", s.Tax.Name)
		}
		for _, k := range f.Kinds {
			if !kd.Accepts(k) {
				return cf, bugscope.Errorf(bugscope.EInvalid, "kind %q is not a value of %s in taxonomy %s", k, kd.ID, s.Tax.Name)
			}
		}
		have, err := s.Store.Classifiers(ctx, s.Tax.Name)
		if err != nil {
			return cf, err
		}
		cls, err := bugscope.ChooseClassifier(have, s.Tax.Name, f.Classifier)
		if err != nil {
			return cf, err
		}
		p.ClassifierUsed = cls
		cf.Kinds, cf.Taxonomy, cf.Classifier, cf.KindDimension = f.Kinds, s.Tax.Name, cls, kd.ID
	}
	if strings.TrimSpace(f.Query) != "" {
		terms, without, err := ParseQuery(f.Query)
		if err != nil {
			return cf, err
		}
		cf.Terms, cf.Without = terms, without
	}
	return cf, nil
}

// FromRefs makes a sample of the given issues, in the given order (a
// label file's, say): one stratum per repository, each stratum's first
// half (rounded up) half 1. origin names the list for the record.
func (s *Service) FromRefs(name string, refs []bugscope.IssueRef, origin string) (*Sample, error) {
	if err := CheckName("sample", name); err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, bugscope.Errorf(bugscope.EInvalid, "no issues to sample")
	}
	seen := map[bugscope.IssueRef]bool{}
	count := map[string]int{}
	for _, r := range refs {
		if seen[r] {
			return nil, bugscope.Errorf(bugscope.EInvalid, "issue %s is listed twice", r)
		}
		seen[r] = true
		count[r.Repo]++
	}
	p := Params{Stratify: StratifyRepo, Origin: origin, Population: len(refs)}
	for _, repo := range sortedKeys(count) {
		p.Strata = append(p.Strata, Stratum{Name: repo, Population: count[repo], Required: count[repo], Drawn: count[repo]})
	}
	done := map[string]int{}
	items := make([]SampleItem, len(refs))
	for i, r := range refs {
		done[r.Repo]++
		half := 1
		if done[r.Repo] > (count[r.Repo]+1)/2 {
			half = 2
		}
		items[i] = SampleItem{Issue: r, Stratum: r.Repo, Position: i + 1, StratumPosition: done[r.Repo], Half: half}
	}
	return &Sample{Name: name, Taxonomy: s.Tax.Name, TaxonomyVersion: s.Tax.Version, Method: MethodExplicit,
		Params: p, CreatedAt: s.now().UTC(), Items: items}, nil
}

// Save stores a drafted sample. A sample of that name is an error unless
// replace is set and it has no annotations yet.
func (s *Service) Save(ctx context.Context, sm *Sample, replace bool) error {
	return s.Store.CreateSample(ctx, *sm, replace)
}

// Load returns a stored sample with its items. The service's taxonomy
// must be the sample's.
func (s *Service) Load(ctx context.Context, name string) (*Sample, error) {
	sm, err := s.Store.GetSample(ctx, name)
	if err != nil {
		return nil, err
	}
	if sm.Taxonomy != s.Tax.Name {
		return nil, bugscope.Errorf(bugscope.EInvalid, "sample %q is labelled in taxonomy %s, not %s; pass --taxonomy %s", name, sm.Taxonomy, s.Tax.Name, sm.Taxonomy)
	}
	if sm.Items, err = s.Store.SampleItems(ctx, name); err != nil {
		return nil, err
	}
	return &sm, nil
}

// Delete removes a sample. One that raters have answered in is only
// removed with force, with their answers and the decisions.
func (s *Service) Delete(ctx context.Context, name string, force bool) error {
	list, err := s.Store.Samples(ctx)
	if err != nil {
		return err
	}
	for _, sm := range list {
		if sm.Name == name && sm.Answers() > 0 && !force {
			return bugscope.Errorf(bugscope.EConflict, "sample %q has answers from %d raters; delete it with force (--force) to delete them with it", name, len(sm.Raters))
		}
	}
	return s.Store.DeleteSample(ctx, name)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// priority is the ranking of a strategy: none for a random draw.
func priority(strategy string, prio map[bugscope.IssueRef]float64) map[bugscope.IssueRef]float64 {
	if strategy == StrategyRandom {
		return nil
	}
	return prio
}
