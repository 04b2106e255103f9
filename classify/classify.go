// Package classify is bugscope's explainable rule-based classifier. Rules
// live in YAML data files (rules/<taxonomy>.yaml, or a team's own file): each
// rule adds weight to one value of one dimension when its phrases, regular
// expression, labels or template headings match a region of the report, and
// the dimension takes the best value of the first precedence tier that
// reaches its minimum score. Every decision keeps the rules that made it and
// the text they matched, with its byte offset.
package classify

import (
	"context"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/ac"
	"github.com/bugscope/bugscope/internal/par"
	"github.com/bugscope/bugscope/taxonomy"
)

// Name is the classifier name recorded with every classification.
const Name = "rules"

// Classifier applies a rule set.
type Classifier struct {
	rs *RuleSet
}

// New returns a rule classifier.
func New(rs *RuleSet) *Classifier { return &Classifier{rs: rs} }

// Name returns "rules".
func (c *Classifier) Name() string { return Name }

// Version returns the rule set's version and content hash.
func (c *Classifier) Version() string { return c.rs.Version() }

// Taxonomy returns the taxonomy the rules serve.
func (c *Classifier) Taxonomy() *taxonomy.Taxonomy { return c.rs.Tax }

// Classify labels issues on all cores. Results are in the order of issues.
func (c *Classifier) Classify(ctx context.Context, issues []bugscope.Issue) ([]bugscope.Classification, error) {
	out := make([]bugscope.Classification, len(issues))
	// Small batches are not worth many goroutines.
	workers := min(runtime.GOMAXPROCS(0), max(1, len(issues)/64))
	err := par.Workers(ctx, len(issues), workers, func(int) func(int) {
		return func(i int) { out[i] = c.One(&issues[i]) }
	})
	return out, err
}

// One classifies one issue.
func (c *Classifier) One(is *bugscope.Issue) bugscope.Classification {
	rs := c.rs
	doc := prepare(is, rs.roles)
	matches := rs.match(doc)
	labels, conf, evidence, defaulted := rs.decide(matches)
	overall := rs.Tax.OverallConfidence(labels, conf)
	for _, role := range []string{taxonomy.RoleKind, taxonomy.RoleCategory} {
		if d := rs.Tax.ByRole(role); d != nil && defaulted[d.ID] {
			overall = min(overall, defaultConfidence)
		}
	}
	return bugscope.Classification{
		Issue:             is.Ref(),
		Taxonomy:          rs.Tax.Name,
		TaxonomyVersion:   rs.Tax.Version,
		Classifier:        Name,
		ClassifierVersion: rs.Version(),
		Labels:            labels,
		DimConfidence:     conf,
		Confidence:        overall,
		Evidence:          evidence,
	}
}

// hit is one match of a rule in one issue.
type hit struct {
	rule   *compiledRule
	field  string // title, body, labels, headings
	region string
	start  int
	text   string
	line   string
	weight float64
}

// ruleHit is what a rule contributes to one issue: its score, the number
// of distinct cues that made it, and the best single match, for evidence.
type ruleHit struct {
	hit
	score float64
	cues  int
}

func (h ruleHit) evidence() bugscope.Evidence {
	e := bugscope.Evidence{Dimension: h.rule.Dim, Value: h.rule.Value, Rule: h.rule.ID,
		Field: h.field, Match: h.text, Offset: h.start, Line: h.line, Weight: h.score}
	if h.rule.Prior {
		e.Note = h.rule.Note
		if e.Note == "" {
			e.Note = "prior given " + describeWhen(h.rule.When)
		}
	}
	return e
}

// better reports whether h is a better piece of evidence than b: higher
// weight, then title before labels before headings before body, then earlier.
func (h hit) better(b hit) bool {
	if b.rule == nil || h.weight != b.weight {
		return b.rule == nil || h.weight > b.weight
	}
	if fieldRank(h.field) != fieldRank(b.field) {
		return fieldRank(h.field) < fieldRank(b.field)
	}
	return h.start < b.start
}

// match scores every rule on the document. One Aho-Corasick pass per span
// covers all phrases of all rules; a match inside a launch flag or a URL
// counts as a match in the cmd region, a match that a guard phrase of its
// rule overlaps (except) does not count, and of two overlapping matches of
// one rule only the longer counts, so that "GPU memory" is one cue and not
// two. Each distinct phrase counts once, at the best weight it reached, and
// a rule's score is the sum of its phrases' (and its regex's, labels' and
// headings') weights, capped; a rule with min_cues needs that many distinct
// cues to match at all.
func (rs *RuleSet) match(d *document) []ruleHit {
	sc := rs.scratch.Get().(*matchScratch)
	defer sc.release(rs)
	phraseBest, other := sc.phraseBest, sc.other // regex hits in other
	type cand struct {
		pattern    int
		start, end int
		region     int
	}
	var cands []cand
	var guards []cand            // except matches: pattern is the rule index
	var lowTitle, lowBody string // the fields ASCII-lowered, made when a regex first needs them
	lowered := func(field, text string) string {
		p := &lowBody
		if field == "title" {
			p = &lowTitle
		}
		if *p == "" && text != "" {
			*p = asciiLower(text)
		}
		return *p
	}
	scan := func(field, text string, s span, region int) {
		seg := text[s.start:s.end]
		var near []int // prefilter hits: rule index, then byte offset
		cands, guards = cands[:0], guards[:0]
		sc.found = rs.ac.Append(sc.found[:0], seg, s.start)
		for _, m := range sc.found {
			p := &rs.phrases[m.Pattern]
			r := rs.rules[p.rule]
			start, end := m.Start, m.End
			reg := region
			if r.weight(reg, s.err) == 0 && r.regions[regCmd] == 0 {
				continue // counts nowhere, inside a token or not
			}
			if reg != regTitle && reg != regCmd && reg != regEnv && inToken(text, start) {
				reg = regCmd
			}
			if r.weight(reg, s.err) == 0 {
				continue
			}
			if p.boundStart && start > 0 && isWordByte(text[start-1]) || p.boundEnd && end < len(text) && isWordByte(text[end]) {
				if !p.prefilter {
					continue
				}
			}
			switch {
			case p.prefilter:
				near = append(near, p.rule, start)
			case p.except:
				guards = append(guards, cand{pattern: p.rule, start: start, end: end})
			default:
				cands = append(cands, cand{pattern: m.Pattern, start: start, end: end, region: reg})
			}
		}
		for i, c := range cands {
			ri := rs.phrases[c.pattern].rule
			drop := false
			for _, g := range guards {
				if g.pattern == ri && g.start < c.end && c.start < g.end {
					drop = true
					break
				}
			}
			for j, o := range cands {
				if drop {
					break
				}
				if j != i && rs.phrases[o.pattern].rule == ri && o.start <= c.start && c.end <= o.end && o.end-o.start > c.end-c.start {
					drop = true // inside a longer match of the same rule
				}
			}
			if drop {
				continue
			}
			r := rs.rules[ri]
			h := hit{rule: r, field: field, region: regionNames[c.region], start: c.start, weight: r.weight(c.region, s.err)}
			if phraseBest[c.pattern].rule == nil {
				sc.touched = append(sc.touched, c.pattern)
			}
			if h.better(phraseBest[c.pattern]) {
				h.text, h.line = excerpt(text, c.start, c.end), LineAround(text, c.start, c.end)
				phraseBest[c.pattern] = h
			}
		}
		try := func(r *compiledRule, a, b int) {
			w := r.weight(region, s.err)
			if r.re == nil || w == 0 || other[r.index].rule != nil && other[r.index].weight >= w {
				return
			}
			if r.need != nil && !r.need.mayMatch(lowered(field, text)[a:b]) {
				return // none of the literals a match needs is there
			}
			var loc []int
			find := func(a, b int) []int {
				var loc []int
				if r.reLower != nil {
					loc = r.reLower.FindStringIndex(lowered(field, text)[a:b])
				} else {
					loc = r.re.FindStringIndex(text[a:b])
				}
				if loc != nil {
					loc[0], loc[1] = a+loc[0], a+loc[1]
				}
				return loc
			}
			if !r.inLine || r.need == nil {
				loc = find(a, b)
			} else {
				// A match lies within one line: the leftmost is in the
				// first line that has one, and only lines that hold
				// what a match needs are tried.
				low := lowered(field, text)
				for la := a; la < b && loc == nil; {
					lb := la + strings.IndexByte(low[la:b], '\n')
					next := lb + 1
					if lb < la {
						lb, next = b, b
					}
					if r.need.mayMatch(low[la:lb]) {
						loc = find(la, lb)
					}
					la = next
				}
			}
			if loc != nil {
				a, b := loc[0], loc[1]
				if other[r.index].rule == nil {
					sc.touchedOther = append(sc.touchedOther, r.index)
				}
				other[r.index] = hit{rule: r, field: field, region: regionNames[region], start: a,
					text: excerpt(text, a, b), line: LineAround(text, a, b), weight: w}
			}
		}
		if field == "title" {
			// A rule with a prefilter runs its regex on the title only when
			// one of its literals is there; others always do (titles are
			// short).
			var hasLiteral map[int]bool
			for i := 0; i < len(near); i += 2 {
				if hasLiteral == nil {
					hasLiteral = map[int]bool{}
				}
				hasLiteral[near[i]] = true
			}
			for _, r := range rs.rules {
				if len(r.Prefilter) == 0 || hasLiteral[r.index] {
					try(r, s.start, s.end)
				}
			}
			return
		}
		// In the body a regex is tried only on the lines around its
		// prefilter literals.
		var tried map[int]int // rule -> end of the last window tried
		for i := 0; i < len(near); i += 2 {
			ri, pos := near[i], near[i+1]
			if end, ok := tried[ri]; ok && pos < end {
				continue // this line was tried for the rule already
			}
			a, b := lineWindow(text, pos, s)
			if tried == nil {
				tried = map[int]int{}
			}
			tried[ri] = b
			try(rs.rules[ri], a, b)
		}
	}
	title := d.issue.Title
	scan("title", title, span{start: 0, end: len(title)}, regTitle)
	for _, s := range d.spans {
		scan("body", d.issue.Body, s, regionIndex[s.region()])
	}
	hits := make([]ruleHit, 0, 32)
	matched := make([]bool, len(rs.rules))
	var cueBest []float64 // per cue of the rule, the best weight of its phrases
	for _, r := range rs.rules {
		var best hit
		score := 0.0
		cues := 0
		add := func(h hit) {
			if h.rule == nil {
				return
			}
			score += h.weight
			cues++
			if h.better(best) {
				best = h
			}
		}
		cueBest = cueBest[:0]
		for range r.numCues {
			cueBest = append(cueBest, 0)
		}
		for i, pi := range r.phrases {
			h := phraseBest[pi]
			if h.rule == nil {
				continue
			}
			if c := r.cueOf[i]; h.weight > cueBest[c] {
				if cueBest[c] == 0 {
					cues++
				}
				score += h.weight - cueBest[c]
				cueBest[c] = h.weight
			}
			if h.better(best) {
				best = h
			}
		}
		add(other[r.index])
		if r.Prior {
			add(hit{rule: r, weight: r.Weight})
		}
		for _, l := range r.labels {
			if orig, ok := d.labels[l]; ok {
				add(hit{rule: r, field: "labels", text: orig, weight: r.Weight})
				break
			}
		}
		for _, h := range r.Headings {
			if i := headingIndex(d.headings, h); i >= 0 {
				add(hit{rule: r, field: "headings", start: i, text: d.headings[i], weight: r.Weight})
				break
			}
		}
		if best.rule != nil && cues >= r.MinCues {
			matched[r.index] = true
			if r.Marker {
				continue
			}
			if r.Cap == 0 {
				score = best.weight
			}
			hits = append(hits, ruleHit{hit: best, score: min(score, r.maxScore), cues: cues})
		}
	}
	out := hits[:0]
	for _, h := range hits {
		silenced := false
		for _, u := range h.rule.unless {
			silenced = silenced || matched[u]
		}
		if !silenced {
			out = append(out, h)
		}
	}
	return out
}

// matchScratch is the per-issue state of match, kept between issues: the
// best hit per phrase and per regex, and which entries were set, so that
// only those are cleared again.
type matchScratch struct {
	phraseBest, other     []hit
	touched, touchedOther []int
	found                 []ac.Match // the automaton's matches in one span
}

func (sc *matchScratch) release(rs *RuleSet) {
	for _, i := range sc.touched {
		sc.phraseBest[i] = hit{}
	}
	for _, i := range sc.touchedOther {
		sc.other[i] = hit{}
	}
	sc.touched, sc.touchedOther = sc.touched[:0], sc.touchedOther[:0]
	rs.scratch.Put(sc)
}

// headingIndex returns the index of the first heading that pattern
// matches (see headingMatches), or -1.
func headingIndex(headings []string, pattern string) int {
	for i, h := range headings {
		if headingMatches(h, pattern) {
			return i
		}
	}
	return -1
}

func fieldRank(f string) int {
	switch f {
	case "title":
		return 0
	case "labels":
		return 1
	case "headings":
		return 2
	default:
		return 3
	}
}

// Confidence given to a value chosen by a default rather than by evidence.
// A decision with evidence never has less (minConfidence), and an issue
// whose kind or category is a default has at most this overall confidence,
// so that review, which ranks by confidence, shows the defaults first.
const (
	defaultConfidence = 0.2
	minConfidence     = 0.25
)

// DefaultNote begins the note of every decision made by a default.
const DefaultNote = "no cue: default"

// decide turns hits into labels, dimension by dimension in the rule file's
// order, so that rules can depend on earlier decisions. defaulted tells
// the dimensions decided by a default.
func (rs *RuleSet) decide(hits []ruleHit) (labels bugscope.Labels, conf map[string]float64, evidence []bugscope.Evidence, defaulted map[string]bool) {
	labels = bugscope.Labels{}
	conf = map[string]float64{}
	defaulted = map[string]bool{}
	for _, dimID := range rs.dimOrder {
		d := rs.Tax.Dimension(dimID)
		if !rs.Tax.Applies(d, labels) {
			continue
		}
		dc := rs.File.Dimensions[dimID]
		type key struct {
			tier  int
			value string
		}
		score := map[key]float64{}
		support := map[key][]ruleHit{}
		total := map[string]float64{}
		type groupKey struct {
			key
			group string
		}
		groupBest := map[groupKey]float64{}
		for _, h := range hits {
			r := h.rule
			if r.Dim != dimID || !holds(r.When, labels, true) || !holds(r.WhenNot, labels, false) {
				continue
			}
			k := key{r.Tier, r.Value}
			add := h.score
			if r.Group != "" {
				// Evidence of one group counts once: at its best.
				gk := groupKey{k, r.Group}
				prev := groupBest[gk]
				add = max(0, h.score-prev)
				groupBest[gk] = max(prev, h.score)
			}
			score[k] += add
			support[k] = append(support[k], h)
			total[r.Value] += add
		}
		if d.Multi {
			var chosen []string
			minConf := 1.0
			for _, v := range d.AllValues() {
				if s := total[v.ID]; s >= dc.MinScore && s > 0 {
					chosen = append(chosen, v.ID)
					minConf = min(minConf, max(minConfidence, s/(s+1)))
					var sup []ruleHit
					for k, hs := range support {
						if k.value == v.ID {
							sup = append(sup, hs...)
						}
					}
					evidence = append(evidence, topEvidence(sup, 2)...)
				}
			}
			if len(chosen) > 0 {
				labels[dimID] = chosen
				conf[dimID] = minConf
				continue
			}
			if applyDefault(dimID, dc.Defaults, labels, conf, &evidence) {
				defaulted[dimID] = true
			} else {
				conf[dimID] = 0.5 // an empty set, with no evidence either way
			}
			continue
		}
		tiers := map[int]bool{}
		for k := range score {
			tiers[k.tier] = true
		}
		order := make([]int, 0, len(tiers))
		for t := range tiers {
			order = append(order, t)
		}
		sort.Ints(order)
		decided := false
		for _, t := range order {
			bestV, bestS, second := "", 0.0, 0.0
			for _, v := range d.AllValues() { // taxonomy order breaks ties
				s := score[key{t, v.ID}]
				switch {
				case s > bestS:
					bestV, second, bestS = v.ID, bestS, s
				case s > second:
					second = s
				}
			}
			if bestV == "" || bestS < dc.MinScore {
				continue
			}
			sup := support[key{t, bestV}]
			if d.Ordinal && second == bestS {
				var tied []string
				bestV, tied = middleOfTie(d, func(v string) float64 { return score[key{t, v}] }, bestS)
				sup = nil // the tied values' rules are the evidence
				for _, v := range tied {
					sup = append(sup, support[key{t, v}]...)
				}
			}
			labels[dimID] = []string{bestV}
			// Evidence from other tiers against the choice lowers confidence too.
			against := 0.0
			for v, s := range total {
				if v != bestV {
					against = max(against, s)
				}
			}
			conf[dimID] = max(minConfidence, bestS/(bestS+max(second, against/2)+1))
			evidence = append(evidence, topEvidence(sup, 3)...)
			decided = true
			break
		}
		if decided {
			continue
		}
		defaulted[dimID] = applyDefault(dimID, dc.Defaults, labels, conf, &evidence)
	}
	return labels, conf, evidence, defaulted
}

// middleOfTie settles a tie of an ordinal dimension (severity): with equal
// evidence for two or more values the estimate is between them, so it takes
// the value halfway between the lowest- and highest-ranked tied values (the
// lower one of two neighbours), which under a quadratic-weighted agreement
// is never more than half the spread away from either. It returns that
// value and the tied values, whose rules are its evidence.
func middleOfTie(d *taxonomy.Dimension, score func(string) float64, best float64) (string, []string) {
	all := d.AllValues()
	lo, hi := -1, -1
	var tied []string
	for i, v := range all {
		if score(v.ID) == best {
			if lo < 0 {
				lo = i
			}
			hi = i
			tied = append(tied, v.ID)
		}
	}
	return all[(lo+hi)/2].ID, tied
}

// applyDefault sets the first default whose condition holds; it reports
// whether one did.
func applyDefault(dimID string, defaults []Default, labels bugscope.Labels, conf map[string]float64, evidence *[]bugscope.Evidence) bool {
	for i, df := range defaults {
		if holds(df.When, labels, true) && holds(df.WhenNot, labels, false) {
			labels[dimID] = []string{df.Value}
			conf[dimID] = defaultConfidence
			note := DefaultNote
			if df.Note != "" {
				note += " (" + df.Note + ")"
			}
			*evidence = append(*evidence, bugscope.Evidence{Dimension: dimID, Value: df.Value,
				Rule: "default-" + dimID + "-" + strconv.Itoa(i+1), Note: note})
			return true
		}
	}
	return false
}

// holds reports whether a condition holds (want=true) or, for WhenNot,
// whether none of it holds (want=false). An empty condition always passes.
func holds(cond map[string][]string, labels bugscope.Labels, want bool) bool {
	if len(cond) == 0 {
		return true
	}
	any := false
	all := true
	for dim, vals := range cond {
		got := labels[dim]
		ok := false
		for _, v := range vals {
			for _, g := range got {
				if g == v {
					ok = true
				}
			}
		}
		any = any || ok
		all = all && ok
	}
	if want {
		return all
	}
	return !any
}

func topEvidence(hs []ruleHit, n int) []bugscope.Evidence {
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].score > hs[j].score })
	if len(hs) > n {
		hs = hs[:n]
	}
	out := make([]bugscope.Evidence, len(hs))
	for i, h := range hs {
		out[i] = h.evidence()
	}
	return out
}

func describeWhen(cond map[string][]string) string {
	keys := make([]string, 0, len(cond))
	for k := range cond {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " in " + strings.Join(cond[k], "|")
	}
	return strings.Join(parts, " and ")
}

// RuleScore is what one rule contributed to one issue: the value it votes
// for and its score. Learned classifiers use the scores as features.
type RuleScore struct {
	Rule  string
	Dim   string
	Value string
	Tier  int
	Score float64
}

// Scores returns every rule that matched the issue with its score, before
// any decision (conditions on earlier dimensions are not applied).
func (c *Classifier) Scores(is *bugscope.Issue) []RuleScore {
	hits := c.rs.match(prepare(is, c.rs.roles))
	out := make([]RuleScore, len(hits))
	for i, h := range hits {
		out[i] = RuleScore{Rule: h.rule.ID, Dim: h.rule.Dim, Value: h.rule.Value, Tier: h.rule.Tier, Score: h.score}
	}
	return out
}
