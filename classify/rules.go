package classify

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/bugscope/bugscope/internal/ac"
	"github.com/bugscope/bugscope/taxonomy"
)

//go:embed rules/*.yaml
var builtinRules embed.FS

// RuleFile is the YAML form of a rule set: which taxonomy it serves, how to
// read issue templates, how each dimension is decided, and the rules.
type RuleFile struct {
	Taxonomy string `yaml:"taxonomy"`
	Version  string `yaml:"version"`
	// Include names rule fragments merged before this file's own content:
	// built-in fragments by name ("common"), a team's by path relative to
	// the including file. Fragments cannot include further.
	Include    []string             `yaml:"include"`
	Sections   SectionConfig        `yaml:"sections"`
	Dimensions map[string]DimConfig `yaml:"dimensions"`
	Rules      []Rule               `yaml:"rules"`
}

// SectionConfig names the template sections (by heading prefix, lower case,
// without emoji; a name ending in "$" is the whole heading) that are
// boilerplate (ignored) or environment dumps.
type SectionConfig struct {
	Boilerplate []string `yaml:"boilerplate"`
	Environment []string `yaml:"environment"`
}

// DimConfig says how one dimension is decided.
type DimConfig struct {
	// Order of decision: rules of later dimensions may depend on earlier ones.
	Order int `yaml:"order"`
	// MinScore is the score a value needs to be chosen (for multi-valued
	// dimensions, to be included).
	MinScore float64 `yaml:"min_score"`
	// Defaults are tried in order when no value reaches MinScore; the first
	// whose condition holds is taken. A multi-valued dimension may have
	// none: then it stays empty.
	Defaults []Default `yaml:"defaults"`
}

// Default is a fallback value, optionally conditional on decided dimensions.
type Default struct {
	Value   string              `yaml:"value"`
	When    map[string][]string `yaml:"when"`
	WhenNot map[string][]string `yaml:"when_not"`
	Note    string              `yaml:"note"`
}

// Rule adds Weight to Value of Dim when it matches. A rule matches when any
// of its phrases (case-insensitive literals, matched as whole words where
// they begin or end with a letter or digit) or its regular expression occurs
// in one of the regions listed in In, or when the issue carries one of its
// Labels, or the body has a section whose heading begins with one of its
// Headings (or, for one ending in "$", is it). When and WhenNot make it
// depend on dimensions decided before; Unless names rules that, when they
// match, silence this one.
type Rule struct {
	ID      string             `yaml:"id"`
	Dim     string             `yaml:"dim"`
	Value   string             `yaml:"value"`
	Tier    int                `yaml:"tier"`
	In      map[string]float64 `yaml:"in"`
	Phrases []string           `yaml:"phrases"`
	Regex   string             `yaml:"regex"`
	// Prefilter names literals (case-insensitive) of which one must occur
	// on a line of the body (or in the title) for the regex to be tried
	// there. Required for a regex over the body: it keeps the cost of a
	// regex flat on long logs.
	Prefilter []string            `yaml:"prefilter"`
	Labels    []string            `yaml:"labels"`
	Headings  []string            `yaml:"headings"`
	Weight    float64             `yaml:"weight"`
	When      map[string][]string `yaml:"when"`
	WhenNot   map[string][]string `yaml:"when_not"`
	Unless    []string            `yaml:"unless"`
	// Except lists guard phrases: a match of one of the rule's phrases
	// that a match of a guard overlaps does not count ("repeating" does
	// not count inside "repeating layers", nor "stuck" in "stuck in a
	// loop"). Guards are matched like phrases, in the rule's regions.
	Except []string `yaml:"except"`
	// MinCues is the number of distinct cues (phrases, the regex, a label,
	// a heading) the rule needs to match at all: a topic rule needs two
	// independent cues, so that one generic word decides nothing.
	MinCues int `yaml:"min_cues"`
	// Group names evidence that is not independent: of the rules of one
	// group that vote for the same value only the best counts (a title
	// prefix, the template it came with and the label the template sets
	// are one choice of the reporter's, not three).
	Group string `yaml:"group"`
	// Cap, when set, makes every distinct phrase that matches add its
	// region's weight to the rule's score, up to Cap. Without it a rule
	// scores the weight of its best match: one match is as good as many.
	Cap float64 `yaml:"cap"`
	// Prior rules match whenever their When condition holds: a base rate
	// for a value given earlier decisions (root cause given the category).
	Prior bool `yaml:"prior"`
	// Marker rules vote for no value: they only match, so that other
	// rules can name them in Unless (a crash in the report silences a
	// topic that words like "requests" would otherwise decide).
	Marker bool   `yaml:"marker"`
	Note   string `yaml:"note"`
}

// RuleSet is a compiled, validated rule file.
type RuleSet struct {
	File     RuleFile
	Tax      *taxonomy.Taxonomy
	Hash     string // of the file's bytes, part of the classifier version
	dimOrder []string
	rules    []*compiledRule
	byID     map[string]int
	ac       *ac.Automaton
	phrases  []phraseRef // AC pattern index -> rule
	roles    sectionRoles
	scratch  sync.Pool // of *matchScratch
}

type compiledRule struct {
	Rule
	index    int
	re       *regexp.Regexp
	reLower  *regexp.Regexp      // re for ASCII-lowered text (lowerRegex), or nil
	need     *need               // what a text needs for re to match (needOf), or nil
	inLine   bool                // every match of re lies within a line (inLine)
	regions  [numRegions]float64 // weight per region; body expanded to text and log
	labels   []string            // lower case
	unless   []int
	hasText  bool
	maxScore float64 // the largest score the rule can give
	phrases  []int   // indexes into RuleSet.phrases
	// cueOf gives each phrase its cue (parallel to phrases): the variants
	// of one word ("image", "images") are one cue, counted and scored once.
	cueOf   []int
	numCues int
}

type phraseRef struct {
	rule   int
	phrase string
	// prefilter marks a literal that only enables the rule's regex nearby.
	prefilter bool
	// except marks a guard phrase (Rule.Except).
	except bool
	// word boundaries are required at the start / end of the match
	boundStart, boundEnd bool
}

// BuiltinRules returns the built-in rule set for a taxonomy.
func BuiltinRules(tax *taxonomy.Taxonomy) (*RuleSet, error) {
	b, err := builtinRules.ReadFile(path.Join("rules", tax.Name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("no built-in rules for taxonomy %q; give a rule file with --rules", tax.Name)
	}
	return parseRules(b, "builtin:"+tax.Name, tax, readBuiltinFragment)
}

func readBuiltinFragment(name string) ([]byte, error) {
	return builtinRules.ReadFile(path.Join("rules", name+".yaml"))
}

// LoadRules reads a rule file for the taxonomy. Its includes are built-in
// fragments by name, or files inside the rule file's directory (or below
// it): an include never reads a file outside it, whatever its path says
// ("../", an absolute path, a symbolic link that leads out).
func LoadRules(file string, tax *taxonomy.Taxonomy) (*RuleSet, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(file)
	return parseRules(b, file, tax, func(name string) ([]byte, error) {
		if b, err := readBuiltinFragment(name); err == nil {
			return b, nil
		}
		return readInside(dir, name)
	})
}

// errOutside is the error of an include that leads out of the rule file's
// directory. It names the include, never what lies outside.
var errOutside = errors.New("outside the rules file's directory; includes are built-in fragments or files beside the rules file")

// readInside reads the file name inside dir, refusing any name that leads
// outside (os.Root also refuses symbolic links that do).
func readInside(dir, name string) ([]byte, error) {
	if filepath.IsAbs(name) || !filepath.IsLocal(name) {
		return nil, errOutside
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(name) // a link that leads out: "path escapes from parent"
}

// ParseRules reads and validates a rule file against its taxonomy; it may
// include built-in fragments only.
func ParseRules(r io.Reader, origin string, tax *taxonomy.Taxonomy) (*RuleSet, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", origin, err)
	}
	return parseRules(data, origin, tax, readBuiltinFragment)
}

// DecisionCodeVersion is part of the rules' hash, and so of the classifier
// version stored with every label: bump it when a change to this package's
// Go code changes decisions (how templates are read, how ties settle), so
// that `bugscope classify` re-classifies what the old code labelled instead
// of keeping its labels because the rule files did not change.
const DecisionCodeVersion = "2026-12-03"

// parseRules decodes a rule file and its fragments and validates the whole
// against the taxonomy: every dimension, value and condition must exist
// there, so that a typo is an error, not a rule that never fires.
func parseRules(data []byte, origin string, tax *taxonomy.Taxonomy, fragment func(string) ([]byte, error)) (*RuleSet, error) {
	f, err := decodeRuleFile(data, origin)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write([]byte(DecisionCodeVersion))
	h.Write(data)
	merged := RuleFile{Taxonomy: f.Taxonomy, Version: f.Version, Dimensions: map[string]DimConfig{}}
	for _, inc := range f.Include {
		b, err := fragment(inc)
		if err != nil {
			return nil, fmt.Errorf("rules %s: include %q: %w", origin, inc, err)
		}
		h.Write(b)
		frag, err := decodeRuleFile(b, origin+": include "+inc)
		if err != nil {
			return nil, err
		}
		if len(frag.Include) > 0 {
			return nil, fmt.Errorf("rules %s: include %q includes further; fragments cannot", origin, inc)
		}
		merged.merge(frag)
	}
	merged.merge(f)
	rs := &RuleSet{File: merged, Tax: tax, Hash: hex.EncodeToString(h.Sum(nil))[:8], byID: map[string]int{}}
	if err := rs.compile(); err != nil {
		return nil, fmt.Errorf("rules %s: %w", origin, err)
	}
	return rs, nil
}

func decodeRuleFile(data []byte, origin string) (RuleFile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f RuleFile
	if err := dec.Decode(&f); err != nil && err != io.EOF {
		return f, fmt.Errorf("rules %s: %w", origin, err)
	}
	return f, nil
}

// merge adds a file's sections, dimension settings and rules; settings of
// a dimension given again replace the earlier ones.
func (f *RuleFile) merge(o RuleFile) {
	f.Sections.Boilerplate = append(f.Sections.Boilerplate, o.Sections.Boilerplate...)
	f.Sections.Environment = append(f.Sections.Environment, o.Sections.Environment...)
	for k, v := range o.Dimensions {
		f.Dimensions[k] = v
	}
	f.Rules = append(f.Rules, o.Rules...)
}

// Version identifies the rule set: its declared version and content hash.
func (rs *RuleSet) Version() string { return rs.File.Version + "+" + rs.Hash }

func (rs *RuleSet) compile() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	f := &rs.File
	tax := rs.Tax
	if f.Taxonomy != tax.Name {
		return fmt.Errorf("written for taxonomy %q, not %q", f.Taxonomy, tax.Name)
	}
	if f.Version == "" {
		bad("version is missing")
	}
	for _, d := range tax.Dimensions {
		if _, ok := f.Dimensions[d.ID]; !ok {
			bad("dimension %q of the taxonomy has no entry under dimensions", d.ID)
		}
	}
	dims := make([]string, 0, len(f.Dimensions))
	for id := range f.Dimensions {
		dims = append(dims, id)
	}
	sort.Slice(dims, func(i, j int) bool {
		a, b := f.Dimensions[dims[i]], f.Dimensions[dims[j]]
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return dims[i] < dims[j]
	})
	rs.dimOrder = dims
	orderOf := map[string]int{}
	for i, id := range dims {
		orderOf[id] = i
	}
	checkCond := func(where, dim string, cond map[string][]string) {
		for k, vals := range cond {
			d := tax.Dimension(k)
			if d == nil {
				bad("%s: condition on unknown dimension %q", where, k)
				continue
			}
			if orderOf[k] >= orderOf[dim] {
				bad("%s: condition on %q, which is not decided before %q (see order)", where, k, dim)
			}
			for _, v := range vals {
				if !d.Accepts(v) {
					bad("%s: condition %s=%q: no such value", where, k, v)
				}
			}
		}
	}
	for _, id := range dims {
		dc := f.Dimensions[id]
		d := tax.Dimension(id)
		if d == nil {
			bad("dimensions: %q is not a dimension of taxonomy %s", id, tax.Name)
			continue
		}
		if !d.Multi && len(dc.Defaults) == 0 {
			bad("dimension %q: needs at least one default", id)
		}
		for i, df := range dc.Defaults {
			where := fmt.Sprintf("dimension %q default %d", id, i+1)
			if !d.Accepts(df.Value) {
				bad("%s: %q is not a value of %q", where, df.Value, id)
			}
			checkCond(where, id, df.When)
			checkCond(where, id, df.WhenNot)
		}
	}
	var patterns []string
	for i := range f.Rules {
		r := &compiledRule{Rule: f.Rules[i], index: i}
		where := fmt.Sprintf("rule %d", i+1)
		if r.ID != "" {
			where = fmt.Sprintf("rule %q", r.ID)
		} else {
			bad("%s: id is missing", where)
		}
		if _, dup := rs.byID[r.ID]; dup && r.ID != "" {
			bad("%s: id used twice", where)
		}
		rs.byID[r.ID] = i
		d := tax.Dimension(r.Dim)
		switch {
		case d == nil:
			bad("%s: unknown dimension %q", where, r.Dim)
		case r.Marker && r.Value != "":
			bad("%s: a marker votes for no value (value %q)", where, r.Value)
		case !r.Marker && !d.Accepts(r.Value):
			bad("%s: %q is not a value of %q", where, r.Value, r.Dim)
		}
		checkCond(where, r.Dim, r.When)
		checkCond(where, r.Dim, r.WhenNot)
		for region, w := range r.In {
			if w < 0 {
				bad("%s: weight of region %q must not be negative", where, region)
			}
			if region == RegionBody {
				r.regions[regText] = max(r.regions[regText], w)
				r.regions[regLog] = max(r.regions[regLog], w)
			} else if i, ok := regionIndex[region]; ok {
				r.regions[i] = max(r.regions[i], w)
			} else {
				bad("%s: unknown region %q (%s)", where, region, strings.Join(append(regionNames[:], RegionBody), ", "))
			}
			r.maxScore = max(r.maxScore, w)
		}
		r.hasText = len(r.Phrases) > 0 || r.Regex != ""
		if r.hasText && len(r.In) == 0 {
			bad("%s: phrases or regex need regions under in", where)
		}
		if !r.hasText && len(r.In) > 0 {
			bad("%s: in is set but there are no phrases or regex", where)
		}
		if (len(r.Labels) > 0 || len(r.Headings) > 0 || r.Prior) && r.Weight <= 0 {
			bad("%s: labels, headings and priors need a positive weight", where)
		}
		if r.Prior && (r.hasText || len(r.Labels) > 0 || len(r.Headings) > 0 || len(r.When) == 0) {
			bad("%s: a prior has a when condition and nothing to match", where)
		}
		if !r.hasText && len(r.Labels) == 0 && len(r.Headings) == 0 && !r.Prior {
			bad("%s: matches nothing (no phrases, regex, labels, headings or prior)", where)
		}
		r.maxScore = max(r.maxScore, r.Weight)
		if r.Cap < 0 {
			bad("%s: cap must not be negative", where)
		}
		if r.Cap > 0 {
			r.maxScore = r.Cap
		}
		if r.Regex != "" {
			re, err := regexp.Compile("(?i)" + r.Regex)
			if err != nil {
				bad("%s: regex: %v", where, err)
			}
			r.re = re
			r.reLower = lowerRegex(r.Regex)
			r.need = needOf(r.Regex)
			r.inLine = inLine(r.Regex)
			bodyRegions := false
			for i, w := range r.regions {
				bodyRegions = bodyRegions || i != regTitle && w > 0
			}
			if bodyRegions && len(r.Prefilter) == 0 {
				bad("%s: a regex over the body needs a prefilter (literals one of which must be on the line)", where)
			}
		}
		if len(r.Prefilter) > 0 && r.Regex == "" {
			bad("%s: prefilter without regex", where)
		}
		// literals adds the prefilter or except literals of the rule to
		// the automaton.
		literals := func(list []string, what string, ref phraseRef) {
			for _, p := range list {
				if strings.TrimSpace(p) == "" {
					bad("%s: empty %s", where, what)
					continue
				}
				ref.phrase = p
				if ref.except { // guards are matched like phrases
					ref.boundStart, ref.boundEnd = isAlnum(p[0]), isAlnum(p[len(p)-1])
				}
				patterns = append(patterns, p)
				rs.phrases = append(rs.phrases, ref)
			}
		}
		literals(r.Prefilter, "prefilter literal", phraseRef{rule: i, prefilter: true})
		for _, p := range r.Phrases {
			// A trailing * makes the phrase a prefix ("quantiz*" matches
			// quantize, quantized, quantization).
			prefix := strings.HasSuffix(p, "*")
			p = strings.TrimSuffix(p, "*")
			if strings.TrimSpace(p) == "" {
				bad("%s: empty phrase", where)
				continue
			}
			patterns = append(patterns, p)
			key := cueKey(p)
			cue := -1
			for j, q := range r.phrases {
				if cueKey(rs.phrases[q].phrase) == key {
					cue = r.cueOf[j]
					break
				}
			}
			if cue < 0 {
				cue = r.numCues
				r.numCues++
			}
			r.cueOf = append(r.cueOf, cue)
			r.phrases = append(r.phrases, len(rs.phrases))
			rs.phrases = append(rs.phrases, phraseRef{rule: i, phrase: p,
				boundStart: isAlnum(p[0]), boundEnd: !prefix && isAlnum(p[len(p)-1])})
		}
		if len(r.Except) > 0 && len(r.Phrases) == 0 {
			bad("%s: except guards phrases; the rule has none", where)
		}
		literals(r.Except, "except phrase", phraseRef{rule: i, except: true})
		if r.MinCues < 0 {
			bad("%s: min_cues must not be negative", where)
		}
		if possible := len(r.Phrases) + btoi(r.Regex != "") + btoi(len(r.Labels) > 0) + btoi(len(r.Headings) > 0); r.MinCues > possible {
			bad("%s: min_cues %d, but the rule has only %d cues", where, r.MinCues, possible)
		}
		if r.Prior && r.Group != "" {
			bad("%s: a prior cannot be in a group", where)
		}
		for _, l := range r.Labels {
			r.labels = append(r.labels, strings.ToLower(l))
		}
		for j, h := range r.Headings {
			r.Headings[j] = normaliseHeading(h)
		}
		rs.rules = append(rs.rules, r)
	}
	for _, r := range rs.rules {
		for _, u := range r.Unless {
			j, ok := rs.byID[u]
			if !ok {
				bad("rule %q: unless names unknown rule %q", r.ID, u)
				continue
			}
			r.unless = append(r.unless, j)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Every occurrence counts, overlapping ones too, so that "out of
	// memory" is found inside "CUDA out of memory" for another rule.
	rs.ac = ac.New(patterns)
	rs.scratch.New = func() any {
		return &matchScratch{phraseBest: make([]hit, len(rs.phrases)), other: make([]hit, len(rs.rules))}
	}
	rs.roles = NewTemplate(f.Sections).roles
	return nil
}

func normaliseAll(hs []string) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = normaliseHeading(h)
	}
	return out
}

// Region indexes of compiledRule.regions.
const (
	regTitle = iota
	regText
	regLog
	regEnv
	regCmd
	regFrame
	regData
	regError
	numRegions
)

var regionNames = [numRegions]string{RegionTitle, RegionText, RegionLog, RegionEnv, RegionCmd, RegionFrame, RegionData, RegionError}

var regionIndex = func() map[string]int {
	m := map[string]int{}
	for i, n := range regionNames {
		m[n] = i
	}
	return m
}()

// weight is what a match in region (an error line or not) is worth to the
// rule: the weight of the region, or of error lines if that is higher.
func (r *compiledRule) weight(region int, errLine bool) float64 {
	w := r.regions[region]
	if errLine && region != regTitle && region != regCmd {
		w = max(w, r.regions[regError])
	}
	return w
}

// cueKey folds the variants of a phrase to one key: case and a plural
// ending ("images", "crashes", "OOMs").
func cueKey(p string) string {
	k := strings.ToLower(strings.TrimSpace(p))
	switch {
	case len(k) > 5 && strings.HasSuffix(k, "ies"):
		return k[:len(k)-3] + "y"
	case len(k) > 4 && (strings.HasSuffix(k, "ches") || strings.HasSuffix(k, "shes") || strings.HasSuffix(k, "sses")):
		return k[:len(k)-2]
	case len(k) > 3 && strings.HasSuffix(k, "s") && !strings.HasSuffix(k, "ss"):
		return k[:len(k)-1]
	}
	return k
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isAlnum decides whether a phrase needs a word boundary at that end: only
// where it begins or ends with a letter or digit.
func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// isWordByte tells what continues a word in the text: a phrase that needs a
// boundary does not match next to one.
func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}
