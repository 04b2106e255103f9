package triage

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

func tax(t *testing.T) *taxonomy.Taxonomy {
	t.Helper()
	x, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestDefaultConfigWorksAsItIs(t *testing.T) {
	c, err := ParseConfig(DefaultConfig(), "default.yaml", tax(t))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := c.Repo("vllm-project/vllm")
	if !ok || r.Mode != ModeShadow || !r.Comment || r.IncludeBots || r.Similar != DefaultSimilar || len(r.Labels) < 10 {
		t.Fatalf("default entry %+v", r)
	}
	if c.Gate.MinPrecision != 0.80 || c.Gate.MinExamples != 10 || c.Webhook.SecretEnv != DefaultSecretEnv || c.Webhook.MaxPayloadBytes != DefaultMaxPayload {
		t.Errorf("defaults %+v %+v", c.Gate, c.Webhook)
	}
	if !r.Allowed("bug") || r.Allowed("wontfix") {
		t.Error("allowlist")
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"repositories: {}", "repositories: none given"},
		{"repositories:\n  \"*\":\n    mode: live\n", `repositories.*.mode "live"`},
		{"repositories:\n  \"*\":\n    labels:\n      kind=bugg: bug\n", `has no value "bugg"`},
		{"repositories:\n  \"*\":\n    labels:\n      kinds=bug: bug\n", `no dimension "kinds"`},
		{"repositories:\n  \"*\":\n    labels:\n      kind: bug\n", "want dimension=value"},
		{"repositories:\n  \"*\":\n    labels:\n      kind=bug: \"a,b\"\n", "no commas"},
		{"repositories:\n  not-a-repo:\n    mode: shadow\n", "repositories.not-a-repo"},
		{"gate:\n  min_precision: 1.5\nrepositories:\n  \"*\": {}\n", "gate.min_precision"},
		{"webhook:\n  max_payload_bytes: 10\nrepositories:\n  \"*\": {}\n", "max_payload_bytes"},
		{"github:\n  app_id: 5\nrepositories:\n  \"*\": {}\n", "app_id, installation_id and private_key_file"},
		{"repositories:\n  \"*\":\n    mdoe: apply\n", "field mdoe not found"},
	} {
		_, err := ParseConfig([]byte(tc.yaml), "t.yaml", tax(t))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "t.yaml") || bugscope.ErrorCode(err) != bugscope.EInvalid {
			t.Errorf("%q: error %v, want one naming %q", tc.yaml, err, tc.want)
		}
	}
}

func TestRepoEntryOverridesDefault(t *testing.T) {
	c, err := ParseConfig([]byte(`
repositories:
  "*":
    mode: dry-run
    similar: 3
    labels:
      kind=bug: bug
  Acme/Engine:
    mode: apply
    include_bots: true
    labels:
      kind=bug: type/bug
`), "t.yaml", tax(t))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := c.Repo("acme/engine") // GitHub's names are case-insensitive
	if r.Mode != ModeApply || !r.IncludeBots || r.Similar != 3 || len(r.Labels) != 1 || r.Labels[0].Label != "type/bug" || r.Entry != "acme/engine" {
		t.Errorf("acme/engine: %+v", r)
	}
	o, _ := c.Repo("other/repo")
	if o.Mode != ModeDryRun || o.IncludeBots || o.Labels[0].Label != "bug" || o.Entry != AllRepos {
		t.Errorf("other/repo: %+v", o)
	}
	if got := c.Entries(); !slices.Equal(got, []string{"*", "Acme/Engine"}) {
		t.Errorf("entries %q", got)
	}
}

func decideRepo(mode string) Repo {
	return Repo{Name: "a/b", Entry: AllRepos, Mode: mode, Comment: true, Labels: []Mapping{
		{"category", "memory.oom", "oom"}, {"kind", "bug", "bug"}, {"kind", "question", "question"}, {"patterns", "quantization", "quant"},
	}}
}

func passing(labels ...string) *GateResult {
	g := &GateResult{CheckedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
	for _, l := range labels {
		g.Labels = append(g.Labels, GateLabel{Entry: AllRepos, Label: l, Pass: true})
	}
	return g
}

func TestDecide(t *testing.T) {
	cls := bugscope.Classification{Taxonomy: "llm-serving-v1", Classifier: "rules", Confidence: 0.7,
		Labels:        bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "severity": {"P1"}, "patterns": {"quantization"}},
		DimConfidence: map[string]float64{"kind": 0.9, "category": 0.6},
		Evidence: []bugscope.Evidence{{Dimension: "kind", Value: "bug", Rule: "r1", Field: "title", Match: "[Bug]"},
			{Dimension: "category", Value: "memory.oom", Rule: "r2", Field: "body", Match: "CUDA out of memory"},
			{Dimension: "category", Value: "memory.leak", Rule: "r3"}}}
	for _, tc := range []struct {
		name    string
		mode    string
		labels  []string // on the issue now
		applied []Applied
		removed []string
		gate    *GateResult
		bot     bool
		want    map[string]string
	}{
		{"shadow", ModeShadow, nil, nil, nil, passing("bug", "oom", "quant"), false,
			map[string]string{"bug": LabelShadow, "oom": LabelShadow, "quant": LabelShadow}},
		{"apply, gated", ModeApply, nil, nil, nil, passing("bug"), false,
			map[string]string{"bug": LabelApply, "oom": LabelGated, "quant": LabelGated}},
		{"apply, no check yet", ModeApply, nil, nil, nil, nil, false,
			map[string]string{"bug": LabelGated, "oom": LabelGated, "quant": LabelGated}},
		{"dry-run", ModeDryRun, nil, nil, nil, passing("bug", "oom"), false,
			map[string]string{"bug": LabelWould, "oom": LabelWould, "quant": LabelGated}},
		{"present", ModeApply, []string{"Bug"}, nil, nil, passing("bug", "oom", "quant"), false,
			map[string]string{"bug": LabelPresent, "oom": LabelApply, "quant": LabelApply}},
		{"a human's kind is not contradicted", ModeApply, []string{"question"}, nil, nil, passing("bug", "oom", "quant"), false,
			map[string]string{"bug": LabelHuman, "oom": LabelApply, "quant": LabelApply}},
		{"removed by a maintainer", ModeApply, nil, []Applied{{Label: "oom"}}, []string{"oom"}, passing("bug", "oom", "quant"), false,
			map[string]string{"bug": LabelApply, "oom": LabelRemoved, "quant": LabelApply}},
		{"a bot's issue", ModeApply, nil, nil, nil, passing("bug", "oom", "quant"), true,
			map[string]string{"bug": LabelShadow, "oom": LabelShadow, "quant": LabelShadow}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(Input{Tax: tax(t), Repo: decideRepo(tc.mode), Issue: bugscope.Issue{Repo: "a/b", Number: 1, Labels: tc.labels},
				Classification: cls, Gate: tc.gate, Applied: tc.applied, Removed: tc.removed, IsBot: tc.bot})
			got := map[string]string{}
			for _, l := range d.Labels {
				got[l.Label] = l.Status
			}
			if len(got) != len(tc.want) {
				t.Errorf("labels %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: %s, want %s", k, got[k], v)
				}
			}
			if tc.bot != (d.Skipped != "") {
				t.Errorf("skipped %q", d.Skipped)
			}
			for _, l := range d.ToApply() {
				if r := decideRepo(tc.mode); !r.Allowed(l) {
					t.Errorf("%s outside the allowlist", l)
				}
			}
		})
	}
	// The issue changed and now reads as a question: bugscope applied bug
	// before, and neither removes it nor adds a contradicting question.
	q := bugscope.Classification{Labels: bugscope.Labels{"kind": {"question"}}}
	d := Decide(Input{Tax: tax(t), Repo: decideRepo(ModeApply), Issue: bugscope.Issue{Repo: "a/b", Number: 1, Labels: []string{"bug"}},
		Classification: q, Gate: passing("bug", "question"), Applied: []Applied{{Label: "bug", Dimension: "kind", Value: "bug"}}})
	if len(d.Labels) != 1 || d.Labels[0].Status != LabelEarlier || len(d.ToApply()) != 0 {
		t.Errorf("changed kind: %+v", d.Labels)
	}
	d = Decide(Input{Tax: tax(t), Repo: decideRepo(ModeShadow), Issue: bugscope.Issue{Repo: "a/b", Number: 1}, Classification: cls})
	if len(d.Proposed) != 4 || d.Proposed[0].Dimension != "kind" || d.Proposed[0].Confidence != 0.9 || len(d.Proposed[1].Evidence) != 1 {
		t.Errorf("proposed %+v", d.Proposed)
	}
	if d.Proposed[2].Dimension != "severity" || d.Proposed[2].Confidence != 0.7 {
		t.Errorf("severity without its own confidence takes the overall one: %+v", d.Proposed[2])
	}
}

// A hand-computed example: 6 gold issues, 4 predicted bug of which 3 are
// gold bugs; 4 gold bugs. Precision 3/4, recall 3/4, rate 4/6.
func TestCheckFigures(t *testing.T) {
	cfg, err := ParseConfig([]byte("gate:\n  min_precision: 0.75\n  min_examples: 4\nrepositories:\n  \"*\":\n    labels:\n      kind=bug: bug\n      category=performance.latency: perf\n      category=performance.throughput: perf\n"), "t.yaml", tax(t))
	if err != nil {
		t.Fatal(err)
	}
	ref := func(n int) bugscope.IssueRef { return bugscope.IssueRef{Repo: "a/b", Number: n} }
	bug := func(cat string) bugscope.Labels { return bugscope.Labels{"kind": {"bug"}, "category": {cat}} }
	q := bugscope.Labels{"kind": {"question"}}
	gold := map[bugscope.IssueRef]bugscope.Labels{ref(1): bug("performance.latency"), ref(2): bug("performance.throughput"), ref(3): bug("memory.oom"), ref(4): bug("memory.oom"), ref(5): q, ref(6): q, ref(7): q}
	pred := map[bugscope.IssueRef]bugscope.Labels{ref(1): bug("performance.throughput"), ref(2): bug("memory.oom"), ref(3): bug("memory.oom"), ref(5): bug("performance.latency"), ref(6): q, ref(4): q}
	res := Check(cfg, pred, gold, "g.jsonl", time.Now())
	if len(res.Labels) != 2 {
		t.Fatalf("labels %+v", res.Labels)
	}
	b, p := res.Labels[1], res.Labels[0]
	if b.Label != "bug" || b.Scored != 6 || b.Examples != 4 || b.Predicted != 4 || b.Correct != 3 || b.Precision() != 0.75 || b.Recall() != 0.75 || b.Rate() != 4.0/6 || !b.Pass {
		t.Errorf("bug %+v", b)
	}
	// perf: two values, one label; gold 1,2; predicted 1,5; correct 1.
	if p.Label != "perf" || p.Value != "performance.latency|performance.throughput" || p.Examples != 2 || p.Predicted != 2 || p.Correct != 1 || p.Pass {
		t.Errorf("perf %+v", p)
	}
	if !res.Passes(AllRepos, "bug") || res.Passes(AllRepos, "perf") || res.Passes("x/y", "bug") {
		t.Error("Passes")
	}
}

func TestSimilarOrder(t *testing.T) {
	at := func(d int) *time.Time { x := time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC); return &x }
	ref := func(n int) bugscope.IssueRef { return bugscope.IssueRef{Repo: "a/b", Number: n} }
	cands := []Candidate{
		{Issue: ref(1), Title: "CUDA out of memory with long prompts", CreatedAt: at(1), Signatures: []string{"CUDA out of memory"}},
		{Issue: ref(2), Title: "server crashes on startup", CreatedAt: at(2), Signatures: []string{"CUDA out of memory"}},
		{Issue: ref(3), Title: "out of memory with long prompts and prefix caching", CreatedAt: at(3)},
		{Issue: ref(4), Title: "tokenizer mismatch", CreatedAt: at(4), Exceptions: []string{"FancyError"}},
		{Issue: ref(5), Title: "unrelated docs typo", CreatedAt: at(5)},
		{Issue: ref(6), Title: "CUDA out of memory with long prompts", CreatedAt: at(20), Signatures: []string{"CUDA out of memory"}}, // after the target
	}
	for i := 0; i < 3; i++ { // a template's placeholder title matches nothing
		cands = append(cands, Candidate{Issue: ref(50 + i), Title: "[Bug]: CUDA out of memory with long prompts (fill in)", CreatedAt: at(6)})
	}
	cands[len(cands)-1].Title = "fill in: CUDA out of memory with long prompts [Bug]"
	for i := 0; i < 200; i++ { // so that RuntimeError is common, FancyError rare
		cands = append(cands, Candidate{Issue: ref(100 + i), Title: "something else entirely " + string(rune('a'+i%26)), CreatedAt: at(6), Exceptions: []string{"RuntimeError"}})
	}
	ix := NewIndex(cands)
	target := Candidate{Issue: ref(10), Title: "[Bug]: CUDA out of memory with long prompts", CreatedAt: at(10), Signatures: []string{"CUDA out of memory"}, Exceptions: []string{"FancyError", "RuntimeError"}}
	got := ix.Find(target, 5)
	var nums []int
	for _, s := range got {
		nums = append(nums, s.Issue.Number)
	}
	if !slices.Equal(nums, []int{1, 2, 4, 3}) {
		t.Fatalf("order %v (%+v)", nums, got)
	}
	if !got[0].Duplicate || got[1].Duplicate || got[2].Duplicate || !strings.HasPrefix(got[0].Reason, "error signature") || got[2].Reason != "exception: FancyError" {
		t.Errorf("marks %+v", got)
	}
}

func TestCommentIsInert(t *testing.T) {
	d := Decision{Issue: bugscope.IssueRef{Repo: "a/b", Number: 1}, Classifier: "rules", Taxonomy: "llm-serving-v1",
		Proposed: []Proposal{{Dimension: "kind", Values: []string{"bug"}, Confidence: 0.9,
			Evidence: []bugscope.Evidence{{Dimension: "kind", Value: "bug", Field: "body", Match: "x", Line: "ping @octocat <img src=x onerror=alert(1)> [link](http://evil)"}}}},
		Similar: []Similar{{Issue: bugscope.IssueRef{Repo: "a/b", Number: 2}, Title: "**bold** @team", State: "closed", Reason: "similar title", Duplicate: true,
			FixedBy: []bugscope.IssueRef{{Repo: "a/b", Number: 3}}}}}
	body := CommentBody(tax(t), d, []string{"bug"})
	for _, bad := range []string{"@octocat", "@team", "<img", "[link](", " **bold**"} {
		if strings.Contains(body, bad) {
			t.Errorf("comment keeps %q:\n%s", bad, body)
		}
	}
	for _, want := range []string{Marker, "`bug`", "likely duplicate", "fixed by a/b#3", "Definitions"} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q:\n%s", want, body)
		}
	}
	if !IsOurs(body) || BodyHash(body) != BodyHash(CommentBody(tax(t), d, []string{"bug"})) {
		t.Error("marker or hash")
	}
}

func TestMaintainerRecords(t *testing.T) {
	ref := bugscope.IssueRef{Repo: "a/b", Number: 1}
	d := Decision{Issue: ref, Proposed: []Proposal{{Dimension: "kind", Values: []string{"bug"}}, {Dimension: "category", Values: []string{"memory.oom"}},
		{Dimension: "root_cause", Values: []string{"resource_constraints"}}, {Dimension: "severity", Values: []string{"P1"}}, {Dimension: "patterns", Values: []string{"quantization"}}}}
	fb := []Feedback{
		{Issue: ref, Action: FeedbackRemoved, Label: "oom", Dimension: "category", Value: "memory.oom"},
		{Issue: ref, Action: FeedbackAdded, Label: "leak", Dimension: "category", Value: "memory.leak"},
		{Issue: ref, Action: FeedbackRemoved, Label: "quant", Dimension: "patterns", Value: "quantization"},
		{Issue: bugscope.IssueRef{Repo: "a/b", Number: 2}, Action: FeedbackAdded, Label: "question", Dimension: "kind", Value: "question"},
		{Issue: bugscope.IssueRef{Repo: "a/b", Number: 3}, Action: FeedbackRemoved, Label: "bug", Dimension: "kind", Value: "bug"},
	}
	decs := map[bugscope.IssueRef]Decision{ref: d, {Repo: "a/b", Number: 3}: {Proposed: []Proposal{{Dimension: "kind", Values: []string{"bug"}}, {Dimension: "severity", Values: []string{"P2"}}}}}
	recs, skipped := MaintainerRecords(tax(t), decs, fb)
	if len(recs) != 2 || skipped != 1 {
		t.Fatalf("records %+v skipped %d", recs, skipped)
	}
	b, _ := json.Marshal(recs[0].Labels)
	if string(b) != `{"category":["memory.leak"],"kind":["bug"],"root_cause":["resource_constraints"],"severity":["P1"]}` {
		t.Errorf("#1 %s", b)
	}
	if recs[1].Issue.Number != 2 || recs[1].Labels.One("kind") != "question" {
		t.Errorf("#2 %+v", recs[1])
	}
	use := PrecisionInUse(map[string]map[string]int{"a/b": {"oom": 4, "bug": 2}}, append(fb, fb[0]))
	got := map[string]InUse{}
	for _, u := range use {
		got[u.Label] = u
	}
	if got["oom"].Applied != 4 || got["oom"].Removed != 1 || got["oom"].Precision() != 0.75 || got["leak"].Added != 1 || got["bug"].Removed != 1 {
		t.Errorf("in use %+v", use)
	}
}

func TestParseEvent(t *testing.T) {
	b := []byte(`{"action":"labeled","label":{"name":"bug"},"issue":{"number":5,"title":"t\u0000x","body":null,"state":"OPEN","labels":[{"name":"bug"}],
		"user":{"login":"dependabot[bot]","type":"Bot"},"created_at":"2025-01-02T03:04:05Z","pull_request":null},
		"repository":{"full_name":"a/b"},"sender":{"login":"m","type":"User"}}`)
	ev, err := ParseEvent(b)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Action != "labeled" || ev.Label != "bug" || ev.Issue.Ref().String() != "a/b#5" || ev.Issue.Title != "t\uFFFDx" || ev.Issue.State != "open" ||
		!ev.AuthorIsBot || ev.SenderIsBot || ev.Issue.IsPullRequest || ev.Issue.CreatedAt == nil {
		t.Errorf("%+v", ev)
	}
	for _, bad := range []string{`{`, `[]`, `{"issue":{"number":1}}`, `{"issue":{"number":0},"repository":{"full_name":"a/b"}}`,
		`{"action":"unlabeled","issue":{"number":1},"repository":{"full_name":"a/b"}}`} {
		if _, err := ParseEvent([]byte(bad)); bugscope.ErrorCode(err) != bugscope.EInvalid {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"action":"opened","issue":{"number":1,"title":"x","labels":[{"name":"a"}],"user":{"login":"u"}},"repository":{"full_name":"a/b"}}`))
	f.Add([]byte(`{"action":"labeled","label":{"name":"bug"},"issue":{"number":2,"pull_request":{}},"repository":{"full_name":"a/b"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseEvent(b)
		if err != nil {
			if bugscope.ErrorCode(err) != bugscope.EInvalid {
				t.Fatalf("error of kind %s: %v", bugscope.ErrorCode(err), err)
			}
			return
		}
		if ev.Issue.Number <= 0 || bugscope.ValidateRepo(ev.Repo) != nil || strings.ContainsRune(ev.Issue.Title, 0) || len(ev.Issue.Body) > maxText {
			t.Fatalf("accepted %+v", ev)
		}
	})
}
