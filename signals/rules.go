package signals

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/bugscope/bugscope"
	"go.yaml.in/yaml/v3"
)

//go:embed patterns.yaml
var patternsYAML []byte

// ruleSpec is one entry of patterns.yaml; see the comment at the top of
// that file for the meaning of each field.
type ruleSpec struct {
	Value    string   `yaml:"value"`
	Match    string   `yaml:"match"`
	Keywords []string `yaml:"keywords"`
	Unless   string   `yaml:"unless"`
	Repos    []string `yaml:"repos"`
	Verbatim bool     `yaml:"verbatim"`
	Fallback bool     `yaml:"fallback"`
	Anchor   string   `yaml:"anchor"`
	Examples []struct {
		Text  string `yaml:"text"`
		Value string `yaml:"value"`
	} `yaml:"examples"`
}

// patternFile is patterns.yaml: the rules of each kind, in priority order.
type patternFile struct {
	ErrorSignature []ruleSpec `yaml:"error_signature"`
	Exception      []ruleSpec `yaml:"exception"`
	GPU            []ruleSpec `yaml:"gpu"`
	CUDA           []ruleSpec `yaml:"cuda_version"`
	ROCm           []ruleSpec `yaml:"rocm_version"`
	Engine         []ruleSpec `yaml:"engine_version"`
	OS             []ruleSpec `yaml:"os"`
	Backend        []ruleSpec `yaml:"backend"`
}

// kinds lists the signal kinds in output order.
var kinds = []string{
	bugscope.SignalErrorSignature,
	bugscope.SignalException,
	bugscope.SignalGPU,
	bugscope.SignalCUDA,
	bugscope.SignalROCm,
	bugscope.SignalEngineVersion,
	bugscope.SignalOS,
	bugscope.SignalBackend,
}

func kindRank(kind string) int {
	for i, k := range kinds {
		if k == kind {
			return i
		}
	}
	return len(kinds)
}

// segment is a piece of a value template: literal text or a group.
type segment struct {
	lit   string
	group int // -1 for a literal
}

type rule struct {
	id       int
	kind     string
	name     string // kind[index], for messages
	re       *regexp.Regexp
	anchored *regexp.Regexp // ^(?:re), when matches start at a known place
	// wordAnchor: matches start one byte before the word that ends in the
	// keyword (anchor: word), else at the keyword itself.
	wordAnchor bool
	value      []segment
	at, msg    int // indexes of the groups named "at" and "msg", or -1
	unless     *regexp.Regexp
	repos      []string
	verbatim   bool
	fallback   bool
	// once: the value does not depend on the match and overlaps do not
	// matter, so the first match in a field is all the rule can give.
	once     bool
	examples []example
}

// example is a text a rule must find and the value it must give; the tests
// check every example in patterns.yaml.
type example struct{ text, value string }

type ruleSet struct {
	rules   []*rule
	ac      *automaton
	kwRules [][]kwRef // keyword id → rules that want it
	kws     []string
}

// kwRef ties a keyword to a rule, with the word boundaries the rule needs
// around it.
type kwRef struct {
	rule          int
	before, after bool
}

var loadRules = sync.OnceValues(func() (*ruleSet, error) { return compileRules(patternsYAML) })

func rulesOrPanic() *ruleSet {
	rs, err := loadRules()
	if err != nil {
		// patterns.yaml is embedded and checked by the tests, so this is a
		// build defect, not an input error.
		panic("signals: " + err.Error())
	}
	return rs
}

// maxKeywordLen bounds the keywords handed to the automaton.
const maxKeywordLen = 12

// minPrefix is the weakest keyword that anchors a rule (a boundary counts
// as a byte): anchored rules run at every keyword hit, so the keyword must
// be rarer than for rules that run once per line.
const minPrefix = 3

// minKeyword is the shortest keyword derived automatically; shorter ones
// would send too many lines to the regexp.
const minKeyword = 2

func compileRules(data []byte) (*ruleSet, error) {
	var pf patternFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pf); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("patterns.yaml: %w", err)
	}
	byKind := map[string][]ruleSpec{
		bugscope.SignalErrorSignature: pf.ErrorSignature,
		bugscope.SignalException:      pf.Exception,
		bugscope.SignalGPU:            pf.GPU,
		bugscope.SignalCUDA:           pf.CUDA,
		bugscope.SignalROCm:           pf.ROCm,
		bugscope.SignalEngineVersion:  pf.Engine,
		bugscope.SignalOS:             pf.OS,
		bugscope.SignalBackend:        pf.Backend,
	}
	rs := &ruleSet{}
	kwID := map[string]int{}
	for _, kind := range kinds {
		for i, sp := range byKind[kind] {
			r, kws, err := compileRule(kind, i, sp)
			if err != nil {
				return nil, err
			}
			r.id = len(rs.rules)
			rs.rules = append(rs.rules, r)
			for _, kw := range kws {
				text, before, after := splitKeyword(kw)
				if len(text) > maxKeywordLen {
					// A keyword's head is as good a filter and keeps the
					// automaton small; a head is still a prefix.
					text, after = text[:maxKeywordLen], false
				}
				id, ok := kwID[text]
				if !ok {
					id = len(rs.kws)
					kwID[text] = id
					rs.kws = append(rs.kws, text)
					rs.kwRules = append(rs.kwRules, nil)
				}
				rs.kwRules[id] = addRef(rs.kwRules[id], kwRef{r.id, before, after})
			}
		}
	}
	if len(rs.rules) == 0 {
		return nil, fmt.Errorf("patterns.yaml: no rules")
	}
	rs.ac = newAutomaton(rs.kws)
	return rs, nil
}

func compileRule(kind string, i int, sp ruleSpec) (*rule, []string, error) {
	name := fmt.Sprintf("%s[%d]", kind, i)
	if sp.Match == "" || sp.Value == "" {
		return nil, nil, fmt.Errorf("patterns.yaml: %s: match and value are required", name)
	}
	re, err := regexp.Compile(sp.Match)
	if err != nil {
		return nil, nil, fmt.Errorf("patterns.yaml: %s: %w", name, err)
	}
	r := &rule{kind: kind, name: name, re: re, at: re.SubexpIndex("at"), msg: re.SubexpIndex("msg"),
		verbatim: sp.Verbatim, fallback: sp.Fallback}
	if r.msg >= 0 && kind != bugscope.SignalException {
		return nil, nil, fmt.Errorf("patterns.yaml: %s: a msg group is for exception rules", name)
	}
	if r.value, err = parseTemplate(sp.Value, re); err != nil {
		return nil, nil, fmt.Errorf("patterns.yaml: %s: %w", name, err)
	}
	r.once = kind != bugscope.SignalErrorSignature
	for _, seg := range r.value {
		if seg.group >= 0 {
			r.once = false
		}
	}
	if sp.Unless != "" {
		if r.unless, err = regexp.Compile(sp.Unless); err != nil {
			return nil, nil, fmt.Errorf("patterns.yaml: %s: unless: %w", name, err)
		}
	}
	for _, e := range sp.Examples {
		r.examples = append(r.examples, example{e.Text, e.Value})
	}
	for _, repo := range sp.Repos {
		r.repos = append(r.repos, strings.ToLower(repo))
	}
	var kws []string
	for _, kw := range sp.Keywords {
		// \b at either end of a hand-written keyword asks for a boundary.
		if strings.HasPrefix(kw, `\b`) {
			kw = boundary + kw[2:]
		}
		if strings.HasSuffix(kw, `\b`) && len(kw) > 2 {
			kw = kw[:len(kw)-2] + boundary
		}
		kws = append(kws, kw)
	}
	switch sp.Anchor {
	case "":
		if len(kws) == 0 {
			if kws = prefixKeywords(sp.Match, minPrefix); kws != nil {
				r.anchored = regexp.MustCompile(`^(?:` + sp.Match + `)`)
			}
		}
	case "word":
		if len(kws) == 0 {
			return nil, nil, fmt.Errorf("patterns.yaml: %s: anchor: word needs keywords", name)
		}
		r.anchored = regexp.MustCompile(`^(?:` + sp.Match + `)`)
		r.wordAnchor = true
	default:
		return nil, nil, fmt.Errorf("patterns.yaml: %s: anchor %q: want word or nothing", name, sp.Anchor)
	}
	if len(kws) == 0 {
		kws = requiredKeywords(sp.Match, minKeyword)
		if kws == nil {
			return nil, nil, fmt.Errorf("patterns.yaml: %s: no literal of %d+ characters is required by %q; add keywords", name, minKeyword, sp.Match)
		}
	}
	for j, kw := range kws {
		kw = strings.ToLower(kw)
		if text, _, _ := splitKeyword(kw); text == "" || !isASCII(text) {
			return nil, nil, fmt.Errorf("patterns.yaml: %s: keyword %q must be non-empty ASCII", name, kw)
		}
		kws[j] = kw
	}
	return r, kws, nil
}

// addRef adds ref to refs; a rule that already wants the keyword (two of
// its keywords cut to the same head) keeps one reference with the weaker
// boundary requirements, so that it runs once per occurrence.
func addRef(refs []kwRef, ref kwRef) []kwRef {
	for i, o := range refs {
		if o.rule == ref.rule {
			refs[i].before = o.before && ref.before
			refs[i].after = o.after && ref.after
			return refs
		}
	}
	return append(refs, ref)
}

// parseTemplate splits a value template at $1, ${1} and ${name}.
func parseTemplate(t string, re *regexp.Regexp) ([]segment, error) {
	var segs []segment
	lit := func(s string) {
		if s != "" {
			segs = append(segs, segment{lit: s, group: -1})
		}
	}
	for {
		i := strings.IndexByte(t, '$')
		if i < 0 {
			lit(t)
			return segs, nil
		}
		lit(t[:i])
		t = t[i+1:]
		var ref string
		switch {
		case strings.HasPrefix(t, "$"):
			lit("$")
			t = t[1:]
			continue
		case strings.HasPrefix(t, "{"):
			j := strings.IndexByte(t, '}')
			if j < 0 {
				return nil, fmt.Errorf("value: unclosed ${")
			}
			ref, t = t[1:j], t[j+1:]
		default:
			j := 0
			for j < len(t) && isDigit(t[j]) {
				j++
			}
			if j == 0 {
				return nil, fmt.Errorf("value: $ must be followed by a group number or {name}")
			}
			ref, t = t[:j], t[j:]
		}
		g := -1
		if isDigits(ref) {
			fmt.Sscan(ref, &g)
		} else {
			g = re.SubexpIndex(ref)
		}
		if g < 0 || g > re.NumSubexp() {
			return nil, fmt.Errorf("value: no group %q in match", ref)
		}
		segs = append(segs, segment{group: g})
	}
}

func (r *rule) appliesTo(repo string) bool {
	if len(r.repos) == 0 {
		return true
	}
	repo = strings.ToLower(repo)
	for _, p := range r.repos {
		if strings.Contains(repo, p) {
			return true
		}
	}
	return false
}

// expand builds the rule's value from a match m in s, normalising the
// groups' text according to the kind.
func (r *rule) expand(s string, m []int) string {
	var b strings.Builder
	for _, seg := range r.value {
		if seg.group < 0 {
			b.WriteString(seg.lit)
			continue
		}
		lo, hi := m[2*seg.group], m[2*seg.group+1]
		if lo < 0 {
			continue
		}
		g := s[lo:hi]
		if len(g) > 4*maxValue {
			g = g[:4*maxValue]
		}
		switch r.kind {
		case bugscope.SignalErrorSignature:
			if r.verbatim {
				g = stripANSI(g)
			} else {
				g = normMessage(g)
			}
		case bugscope.SignalGPU:
			g = gpuTokens(g)
		case bugscope.SignalEngineVersion:
			g = engineVersion(g)
		}
		b.WriteString(g)
	}
	v := b.String()
	switch r.kind {
	case bugscope.SignalCUDA:
		v = majorMinor(strings.TrimSpace(v), 7, 13)
	case bugscope.SignalROCm:
		v = majorMinor(strings.TrimSpace(v), 1, 9)
	case bugscope.SignalException:
		if strings.ContainsAny(v, " \t\r\n") || len(v) > maxValue {
			return "" // a cut name would be a wrong name
		}
	}
	return tidy(v, maxValue)
}
