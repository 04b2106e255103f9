package classify

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

func mkIssue(title, body string, labels ...string) *bugscope.Issue {
	return &bugscope.Issue{Repo: "test/repo", Number: 1, Title: title, Body: body, Labels: labels}
}

// evidenceFor returns the evidence of one dimension.
func evidenceFor(c bugscope.Classification, dim string) []bugscope.Evidence {
	var out []bugscope.Evidence
	for _, e := range c.Evidence {
		if e.Dimension == dim {
			out = append(out, e)
		}
	}
	return out
}

func TestEngineDecisions(t *testing.T) {
	cl := New(miniRules(t))
	type want struct {
		kind, category, cause string
		tags                  []string
		rule                  string  // a rule among the category evidence, "" to skip
		weight                float64 // the category evidence weight of that rule, 0 to skip
	}
	cases := []struct {
		name        string
		title, body string
		labels      []string
		want        want
	}{
		// Phrase matching.
		{"whole word: oom does not match room", "Not enough room", "The room is bloom and oomph, oom_killer too.", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		{"whole word: oom between punctuation", "Crash", "It died (OOM).", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource", rule: "cat.oom", weight: 2}},
		{"case-insensitive", "Crash", "We ran Out Of Memory", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource", rule: "cat.oom"}},
		{"phrase inside a longer phrase of the same rule", "x", "OutOfMemoryError raised", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource"}},
		// Region weights: title 3, text 2, log 2, env not listed.
		{"title weight", "Out of memory at start", "", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource", rule: "cat.oom", weight: 3}},
		{"log weight", "x", "```\nRuntimeError: out of memory\n```\n", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource", rule: "cat.oom", weight: 2}},
		{"env region not listed: ignored", "x", "### Environment\nOOM killer enabled\n### Describe\nnothing else\n", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		{"boilerplate never looked at", "x", "### Checklist\n- [ ] not an out of memory report\n", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		// A rule scores its best match only: two phrases of cat.oom in text give 2, not 4.
		{"without cap one match is as good as many", "x", "out of memory, OOM, OutOfMemoryError", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource", rule: "cat.oom", weight: 2}},
		// Cap: each distinct phrase adds its weight (text 1) up to 3.
		{"cap: one phrase is not enough", "x", "a timeout", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		{"cap: the same phrase twice counts once", "x", "a timeout, another timeout, timeout", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		{"cap: two distinct phrases reach min_score", "x", "a timeout: it timed out", nil,
			want{kind: "bug", category: "net.timeout", cause: "unknown", rule: "cat.timeout", weight: 2}},
		{"cap: four phrases stop at the cap", "deadline", "timeout, timed out, too slow to answer", nil,
			want{kind: "bug", category: "net.timeout", cause: "unknown", rule: "cat.timeout", weight: 3}},
		// Tiers: the lowest tier that reaches min_score wins.
		{"tier 0 beats a higher score in tier 1", "Out of memory after a day", "There is a memory leak.", nil,
			want{kind: "bug", category: "mem.leak", cause: "resource", rule: "cat.leak", weight: 2}},
		{"tier 0 below min_score does not win", "Out of memory", "```\nmemory leak suspected\n```\n", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource", rule: "cat.oom", weight: 3}},
		{"tier 2 regex beats tier 3", "x", "NCCL timeout after it timed out, timeout again", nil,
			want{kind: "bug", category: "net.nccl", cause: "unknown", rule: "cat.nccl", weight: 2}},
		{"later tier with a high score loses to an earlier tier", "slow", "NCCL error", nil,
			want{kind: "bug", category: "net.nccl", cause: "unknown"}},
		{"default tier rule wins alone", "slow server", "", nil,
			want{kind: "bug", category: "misc.other", cause: "logic", rule: "cat.slow", weight: 4}},
		// Prefilters: a body regex is tried on the line of a literal and the next.
		{"prefilter on the line before the regex match", "x", "the process was killed\nexit code 137\n", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource", rule: "cat.exit137", weight: 2}},
		{"prefilter on the same line", "x", "```\nkilled with exit code 137\n```\n", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource", rule: "cat.exit137", weight: 2}},
		{"no prefilter literal: regex not tried", "x", "exit code 137\n", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		{"prefilter two lines away: regex not tried", "x", "killed\nby the kernel\nexit code 137\n", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		{"title regex needs no prefilter", "[feature] code 137", "", nil,
			want{kind: "feature"}},
		// Unless.
		{"unless silences a rule", "x", "set this to avoid OOM in production", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		{"a marker silences a rule", "x", "a timeout: it timed out, then a segfault", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		{"a marker votes for nothing", "x", "a segfault", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		// Priors and defaults with conditions.
		{"prior given the category", "x", "out of memory", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource"}},
		{"default with when", "x", "memory leak", nil,
			want{kind: "bug", category: "mem.leak", cause: "resource"}},
		{"default with when_not", "x", "NCCL error", nil,
			want{kind: "bug", category: "net.nccl", cause: "unknown"}},
		{"last default", "x", "nothing to see", nil,
			want{kind: "bug", category: "misc.other", cause: "logic"}},
		// when / when_not on rules.
		{"when_not blocks a rule", "x", "out of memory, an off by one", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource"}},
		{"when_not lets a rule through", "x", "an off by one in the timeout, it timed out", nil,
			want{kind: "bug", category: "net.timeout", cause: "logic"}},
		{"when on an earlier multi-valued dimension", "x", "NCCL error with the wrong kernel on A100", nil,
			want{kind: "bug", category: "net.nccl", cause: "logic", tags: []string{"gpu"}}},
		{"when not met", "x", "NCCL error with the wrong kernel", nil,
			want{kind: "bug", category: "net.nccl", cause: "unknown"}},
		// Multi-valued threshold: env weight 1 is below min_score 2.
		{"multi: below threshold left out", "x", "### Environment\nGPU: H100\n### Describe\nNCCL error\n", nil,
			want{kind: "bug", category: "net.nccl", cause: "unknown"}},
		{"multi: several values in taxonomy order", "Crash on Windows", "On an A100 and H100, NCCL error", []string{"cache"},
			want{kind: "bug", category: "net.nccl", cause: "unknown", tags: []string{"gpu", "windows", "cache"}}},
		{"multi: phrase ending in a backslash", "x", "path C:\\models\\x failed with NCCL error", nil,
			want{kind: "bug", category: "net.nccl", cause: "unknown", tags: []string{"windows"}}},
		// Labels and headings.
		{"labels rule, case-insensitive", "x", "", []string{"documentation"},
			want{kind: "docs"}},
		{"headings rule", "x", "### 🐛 Describe the bug\nout of memory\n", nil,
			want{kind: "bug", category: "mem.oom", cause: "resource"}},
		// Kind gates the other dimensions.
		{"feature gets no category", "[Feature] out of memory handling", "out of memory, NCCL error, H100", nil,
			want{kind: "feature"}},
		{"question", "How do I run it?", "how do i start", nil,
			want{kind: "question"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cl.One(mkIssue(tc.title, tc.body, tc.labels...))
			got := want{kind: c.Labels.One("kind"), category: c.Labels.One("category"), cause: c.Labels.One("cause"), tags: c.Labels["tags"]}
			w := tc.want
			if got.kind != w.kind || got.category != w.category || got.cause != w.cause || !reflect.DeepEqual(got.tags, w.tags) {
				t.Errorf("labels = %v, want kind %q category %q cause %q tags %v\nevidence:\n%s",
					c.Labels, w.kind, w.category, w.cause, w.tags, evidenceText(c))
			}
			if err := cl.Taxonomy().Check(c.Labels); err != nil {
				t.Errorf("labels fail the taxonomy: %v", err)
			}
			if w.rule != "" {
				found := false
				for _, e := range evidenceFor(c, "category") {
					if e.Rule == w.rule {
						found = true
						if w.weight != 0 && e.Weight != w.weight {
							t.Errorf("rule %s weight %v, want %v", e.Rule, e.Weight, w.weight)
						}
					}
				}
				if !found {
					t.Errorf("no category evidence from rule %s:\n%s", w.rule, evidenceText(c))
				}
			}
		})
	}
}

func evidenceText(c bugscope.Classification) string {
	var b strings.Builder
	for _, e := range c.Evidence {
		b.WriteString("  " + e.String() + "\n")
	}
	return b.String()
}

func TestEngineEvidenceAndConfidence(t *testing.T) {
	cl := New(miniRules(t))

	// Labels: evidence names the label as written.
	c := cl.One(mkIssue("x", "", "Documentation"))
	ev := evidenceFor(c, "kind")
	if len(ev) != 1 || ev[0].Rule != "kind.docs" || ev[0].Field != "labels" || ev[0].Match != "Documentation" || ev[0].Weight != 3 {
		t.Errorf("label evidence = %+v", ev)
	}
	if _, ok := c.Labels["category"]; ok {
		t.Errorf("docs report has a category: %v", c.Labels)
	}
	if c.Confidence != c.DimConfidence["kind"] {
		t.Errorf("confidence of a non-bug = %v, want the kind confidence %v", c.Confidence, c.DimConfidence["kind"])
	}

	// Headings: evidence names the normalised heading.
	c = cl.One(mkIssue("x", "### 🐛 Describe the bug\nsomething\n"))
	ev = evidenceFor(c, "kind")
	if len(ev) != 1 || ev[0].Field != "headings" || ev[0].Match != "describe the bug" {
		t.Errorf("heading evidence = %+v", ev)
	}

	// Defaults: a note, no text, and the default confidence.
	c = cl.One(mkIssue("x", "nothing"))
	for _, dim := range []string{"kind", "category", "cause"} {
		ev := evidenceFor(c, dim)
		if len(ev) != 1 || !strings.HasPrefix(ev[0].Rule, "default-"+dim+"-") || ev[0].Note == "" || ev[0].Match != "" {
			t.Errorf("%s default evidence = %+v", dim, ev)
		}
		if c.DimConfidence[dim] != defaultConfidence {
			t.Errorf("%s confidence = %v, want %v", dim, c.DimConfidence[dim], defaultConfidence)
		}
	}
	if ev := evidenceFor(c, "cause"); ev[0].Rule != "default-cause-3" || ev[0].Note != DefaultNote+" (last resort)" {
		t.Errorf("cause default = %+v, want the third default", ev)
	}
	if c.DimConfidence["tags"] != 0.5 || c.Labels["tags"] != nil {
		t.Errorf("empty multi-valued dimension: labels %v, confidence %v", c.Labels["tags"], c.DimConfidence["tags"])
	}
	if c.Confidence != defaultConfidence {
		t.Errorf("overall confidence of defaults = %v", c.Confidence)
	}

	// A prior: a note that names the condition.
	c = cl.One(mkIssue("x", "out of memory"))
	ev = evidenceFor(c, "cause")
	if len(ev) != 1 || ev[0].Rule != "cause.prior.oom" || ev[0].Note != "prior given category in mem.oom" || ev[0].Weight != 3 {
		t.Errorf("prior evidence = %+v", ev)
	}
	if got := ev[0].String(); got != "cause=resource: prior given category in mem.oom (rule cause.prior.oom)" {
		t.Errorf("prior evidence string = %q", got)
	}

	// Confidence rises with the evidence and stays in (0, 1).
	weak := cl.One(mkIssue("x", "a timeout: it timed out")).DimConfidence["category"]
	strong := cl.One(mkIssue("deadline", "timeout, timed out, too slow to answer")).DimConfidence["category"]
	if !(0 < weak && weak < strong && strong < 1) {
		t.Errorf("category confidence weak %v, strong %v", weak, strong)
	}
	// Competing evidence in another tier lowers confidence.
	alone := cl.One(mkIssue("x", "There is a memory leak.")).DimConfidence["category"]
	contested := cl.One(mkIssue("Out of memory", "There is a memory leak.")).DimConfidence["category"]
	if !(contested < alone) {
		t.Errorf("confidence with competing evidence %v, alone %v", contested, alone)
	}

	c = cl.One(mkIssue("x", "out of memory"))
	if c.Classifier != Name || c.ClassifierVersion != cl.Version() || c.Taxonomy != "mini" || c.TaxonomyVersion != "1" || c.Issue.String() != "test/repo#1" {
		t.Errorf("classification header = %+v", c)
	}
	if cl.Name() != "rules" || !strings.HasPrefix(cl.Version(), "t1+") {
		t.Errorf("Name %q Version %q", cl.Name(), cl.Version())
	}
	// A kind by default caps the overall confidence; with evidence for
	// both, it is their mean.
	if c.Confidence != defaultConfidence {
		t.Errorf("overall confidence %v with a default kind, want %v", c.Confidence, defaultConfidence)
	}
	c = cl.One(mkIssue("x", "### 🐛 Describe the bug\nout of memory"))
	if math.Abs(c.Confidence-(c.DimConfidence["kind"]+c.DimConfidence["category"])/2) > 1e-12 {
		t.Errorf("overall confidence %v is not the mean of kind and category %v", c.Confidence, c.DimConfidence)
	}
}

// evidenceFixtures are issues for the evidence property test: matches in
// title and body, in every region, with multi-byte text, long lines and
// CRLF line ends.
func evidenceFixtures() []*bugscope.Issue {
	long := strings.Repeat("padding words ", 40)
	return []*bugscope.Issue{
		mkIssue("Out of memory on H100 — Windows", "### Environment\nGPU: A100\n### 🐛 Describe the bug\nThe server ran out of memory.\n```\ntorch.OutOfMemoryError: CUDA out of memory\n```\n"),
		mkIssue("ünïcödé title with OOM", "Préambule: ça plante — NCCL error ici.\nthen a timeout, it timed out\n"),
		mkIssue("x", long+"memory leak"+long+"\nand "+long+"NCCL timeout "+long),
		mkIssue("deadline", "timeout\r\ntimed out\r\ntoo slow to answer\r\n```\r\nOOM\r\n```\r\n"),
		mkIssue("[Feature] add memory leak detection", "how do i add it"),
		mkIssue("Crash on Windows", "C:\\Users\\me> run\nwrong kernel on A100, off by one\n", "cache"),
	}
}

func checkEvidence(t *testing.T, is *bugscope.Issue, c bugscope.Classification) {
	t.Helper()
	for _, e := range c.Evidence {
		var field string
		switch e.Field {
		case "title":
			field = is.Title
		case "body":
			field = is.Body
		default:
			continue
		}
		if e.Match == "" {
			t.Errorf("%s: text evidence without a match: %+v", is.Title, e)
			continue
		}
		if e.Offset < 0 || e.Offset > len(field) || !strings.HasPrefix(field[e.Offset:], e.Match) {
			t.Errorf("%s: %s[%d:] does not start with %q", is.Title, e.Field, e.Offset, e.Match)
		}
		if !strings.Contains(e.Line, strings.TrimSpace(e.Match)) {
			t.Errorf("%s: line %q does not contain the match %q", is.Title, e.Line, e.Match)
		}
		if strings.ContainsAny(e.Line, "\n\r") || len(e.Line) > 200+utf8Max {
			t.Errorf("%s: line %q is not one bounded line", is.Title, e.Line)
		}
	}
}

const utf8Max = 3 // a line may widen by a partial rune at each end

func TestEvidenceOffsetsAndLines(t *testing.T) {
	cl := New(miniRules(t))
	for _, is := range evidenceFixtures() {
		checkEvidence(t, is, cl.One(is))
	}
}

func TestEvidenceOfLongRegexMatch(t *testing.T) {
	// A regex match longer than the quoted line: the line must still show
	// where the match begins.
	rules := strings.Replace(baseRules, "    phrases: [oom]\n", "    prefilter: [start]\n    regex: 'start[a-z ]+end'\n", 1)
	rs, err := ParseRules(strings.NewReader(rules), "long.yaml", miniTaxonomy(t))
	if err != nil {
		t.Fatal(err)
	}
	body := "prefix words before it " + "start " + strings.Repeat("abcdefgh ", 40) + "end and more words after it"
	is := mkIssue("x", body)
	c := New(rs).One(is)
	if c.Labels.One("category") != "mem.oom" {
		t.Fatalf("long regex did not match: %v", c.Labels)
	}
	checkEvidence(t, is, c)
}

func TestEvidenceString(t *testing.T) {
	cases := []struct {
		e    bugscope.Evidence
		want string
	}{
		{bugscope.Evidence{Dimension: "category", Value: "memory.oom", Rule: "r1", Field: "body", Match: "CUDA out of memory", Offset: 42},
			`category=memory.oom: body matched "CUDA out of memory" at byte 42 (rule r1)`},
		{bugscope.Evidence{Dimension: "kind", Value: "bug", Rule: "r2", Field: "labels"},
			`kind=bug: labels (rule r2)`},
		{bugscope.Evidence{Dimension: "kind", Value: "bug", Rule: "default-kind-1", Note: "no cue", Field: "body", Match: "x"},
			`kind=bug: no cue (rule default-kind-1)`},
		{bugscope.Evidence{Dimension: "severity", Value: "P2", Rule: "r3"},
			`severity=P2: rule r3`},
		{bugscope.Evidence{Dimension: "kind", Value: "bug", Rule: "r4", Field: "title", Match: "say \"hi\"\n"},
			`kind=bug: title matched "say \"hi\"\n" at byte 0 (rule r4)`},
	}
	for _, tc := range cases {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestClassifyOrderAndCancel(t *testing.T) {
	cl := New(miniRules(t))
	var issues []bugscope.Issue
	fx := evidenceFixtures()
	for i := 0; i < 300; i++ {
		is := *fx[i%len(fx)]
		is.Number = i + 1
		issues = append(issues, is)
	}
	got, err := cl.Classify(context.Background(), issues)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(issues) {
		t.Fatalf("%d classifications for %d issues", len(got), len(issues))
	}
	for i := range issues {
		want := cl.One(&issues[i])
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("classification %d differs from One:\n got %+v\nwant %+v", i, got[i], want)
		}
	}
	if got, err := cl.Classify(context.Background(), nil); err != nil || len(got) != 0 {
		t.Errorf("Classify(nil) = %v, %v", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cl.Classify(ctx, issues); err == nil {
		t.Errorf("Classify with a cancelled context returned no error")
	}
}

// A body of several megabytes is classified from its head and tail only,
// and quickly.
func TestHugeBody(t *testing.T) {
	cl := New(miniRules(t))
	body := "start\n" + strings.Repeat("filler line without cues\n", 200_000) + "```\nOutOfMemoryError\n```\n"
	c := cl.One(mkIssue("x", body))
	if c.Labels.One("category") != "mem.oom" {
		t.Errorf("tail of a huge body not scanned: %v", c.Labels)
	}
	middle := strings.Repeat("filler\n", 60_000) + "memory leak\n" + strings.Repeat("filler\n", 60_000)
	c = cl.One(mkIssue("x", middle))
	if c.Labels.One("category") != "misc.other" {
		t.Errorf("middle of a huge body scanned: %v", c.Labels)
	}
}

func ExampleClassifier_One() {
	tax, _ := taxonomy.LoadFile("testdata/mini.taxonomy.yaml")
	rs, _ := LoadRules("testdata/mini.rules.yaml", tax)
	c := New(rs).One(&bugscope.Issue{Repo: "o/r", Number: 1, Title: "Server dies", Body: "It ran out of memory."})
	fmt.Println(c.Labels.One("kind"), c.Labels.One("category"), c.Labels.One("cause"))
	for _, e := range c.Evidence {
		if e.Dimension == "category" {
			fmt.Println(e)
		}
	}
	// Output:
	// bug mem.oom resource
	// category=mem.oom: body matched "out of memory" at byte 7 (rule cat.oom)
}
