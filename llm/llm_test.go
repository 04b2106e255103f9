package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// fakeEndpoint is an OpenAI-compatible chat endpoint on loopback. It
// answers according to the issue's title:
//
//	VALID        a valid bug record
//	FEATURE      a valid feature record, wrapped in a Markdown fence
//	ONCE         an invalid answer (unknown value), then a valid one
//	NEVER        an answer that is never valid
//	SLOW         too slow on the first request, fast on the next
//
// Every response reports 100 prompt and 20 completion tokens.
type fakeEndpoint struct {
	t        *testing.T
	requests atomic.Int64
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	slowOnce sync.Map // title -> already slow
	delay    time.Duration
	mu       sync.Mutex
	bodies   []map[string]any
}

func (f *fakeEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
		ResponseFormat map[string]any `json:"response_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, map[string]any{"model": req.Model, "messages": len(req.Messages), "response_format": req.ResponseFormat})
	f.mu.Unlock()
	if len(req.Messages) < 2 || req.Messages[0].Role != "system" || req.Messages[1].Role != "user" {
		http.Error(w, "want a system and a user message", http.StatusBadRequest)
		return
	}
	user := req.Messages[1].Content
	title := ""
	for _, line := range strings.Split(user, "\n") {
		if t, ok := strings.CutPrefix(line, "Title: "); ok {
			title = t
		}
	}
	retry := len(req.Messages) > 2
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	var answer string
	switch {
	case strings.Contains(title, "SLOW"):
		if _, done := f.slowOnce.LoadOrStore(title, true); !done {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
				return
			}
		}
		answer = `{"kind":"bug","category":"concurrency.deadlock","root_cause":"concurrency","severity":"P0","patterns":[],"confidence":0.7,"note":"hangs"}`
	case strings.Contains(title, "VALID"):
		answer = `{"kind":"bug","category":"memory.oom","root_cause":"resource_constraints","severity":"P1","patterns":["paged_attention"],"confidence":0.9,"note":"CUDA out of memory at start-up"}`
	case strings.Contains(title, "FEATURE"):
		answer = "```json\n{\"kind\":\"feature\",\"category\":null,\"root_cause\":null,\"severity\":null,\"patterns\":[],\"confidence\":\"high\",\"note\":\"asks for support\"}\n```"
	case strings.Contains(title, "ONCE") && !retry:
		answer = `{"kind":"bug","category":"memory.oops","root_cause":"edge_case","severity":"P2","patterns":[]}`
	case strings.Contains(title, "ONCE"):
		answer = `{"kind":"bug","category":"memory.leak","root_cause":"state_management","severity":"P2","patterns":[],"confidence":0.6}`
	case strings.Contains(title, "NEVER"):
		answer = `I think this is a bug.`
	default:
		f.t.Errorf("unexpected title %q", title)
		answer = `{}`
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "cmpl-1", "object": "chat.completion", "created": 1, "model": req.Model,
		"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": answer}}},
		"usage": map[string]any{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
	})
}

// memCache is a Cache in memory.
type memCache struct {
	mu      sync.Mutex
	entries map[string]Entry
}

func (m *memCache) Lookup(_ context.Context, key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || !e.Valid {
		return "", false, nil
	}
	return e.Answer, true, nil
}

func (m *memCache) Store(_ context.Context, e Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[string]Entry{}
	}
	m.entries[e.Key] = e
	return nil
}

func newFake(t *testing.T) (*fakeEndpoint, string) {
	f := &fakeEndpoint{t: t}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/v1"
}

func issue(n int, title string) bugscope.Issue {
	return bugscope.Issue{Repo: "o/r", Number: n, Title: title, Body: "body of " + title}
}

func TestClassifyAgainstFakeEndpoint(t *testing.T) {
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	f, url := newFake(t)
	cache := &memCache{}
	c, err := New(tax, Config{URL: url, Model: "fake-7b", Concurrency: 2, Retries: 2, Timeout: 300 * time.Millisecond, JSONMode: true}, cache)
	if err != nil {
		t.Fatal(err)
	}
	issues := []bugscope.Issue{issue(1, "VALID oom"), issue(2, "FEATURE please"), issue(3, "ONCE leak"), issue(4, "NEVER"), issue(5, "SLOW hang")}
	cs, err := c.Classify(context.Background(), issues)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(issues) {
		t.Fatalf("%d classifications for %d issues", len(cs), len(issues))
	}
	want := []struct {
		kind, category string
		conf           float64
	}{{"bug", "memory.oom", 0.9}, {"feature", "", 0.8}, {"bug", "memory.leak", 0.6}, {"", "", 0}, {"bug", "concurrency.deadlock", 0.7}}
	for i, w := range want {
		got := cs[i]
		if got.Issue != issues[i].Ref() || got.Classifier != Name || got.ClassifierVersion != "fake-7b+"+PromptVersion {
			t.Errorf("issue %d: %+v", i+1, got)
		}
		if got.Labels.One("kind") != w.kind || got.Labels.One("category") != w.category || got.Confidence != w.conf {
			t.Errorf("issue %d: labels %v confidence %v, want kind %q category %q confidence %v", i+1, got.Labels, got.Confidence, w.kind, w.category, w.conf)
		}
		if err := tax.Check(got.Labels); err != nil {
			t.Errorf("issue %d: stored labels fail the taxonomy: %v", i+1, err)
		}
	}
	if ev := cs[3].Evidence; len(ev) != 1 || !strings.Contains(ev[0].Note, "answer invalid after 3 tries") {
		t.Errorf("invalid answer not marked: %+v", ev)
	}
	if ev := cs[0].Evidence; len(ev) == 0 || ev[0].Note != "CUDA out of memory at start-up" {
		t.Errorf("the model's note is not kept as evidence: %+v", ev)
	}
	// Requests: 1 VALID + 1 FEATURE + 2 ONCE + 3 NEVER + 2 SLOW (timeout, retry).
	st := c.Stats()
	if f.requests.Load() != 9 || st.Requests != 9 {
		t.Errorf("%d requests reached the endpoint, %d counted; want 9", f.requests.Load(), st.Requests)
	}
	if st.Retries != 4 || st.Invalid != 1 || st.Issues != 5 || st.CacheHits != 0 {
		t.Errorf("stats %+v", st)
	}
	// The timed-out request reported no usage; the other 8 did.
	if st.PromptTokens != 800 || st.CompletionTokens != 160 {
		t.Errorf("tokens: prompt %d completion %d, want 800 and 160", st.PromptTokens, st.CompletionTokens)
	}
	if m := f.maxSeen.Load(); m > 2 {
		t.Errorf("%d requests in flight at once, want at most 2", m)
	}
	for _, b := range f.bodies {
		if b["model"] != "fake-7b" || b["response_format"] == nil {
			t.Errorf("request %v lacks the model or JSON mode", b)
		}
	}
	// The cache has the four valid answers and the invalid one, with tokens.
	if len(cache.entries) != 5 {
		t.Errorf("cache has %d entries, want 5", len(cache.entries))
	}
	for _, e := range cache.entries {
		if e.Issue.Number == 4 && (e.Valid || e.Attempts != 3 || e.PromptTokens != 300) {
			t.Errorf("invalid entry %+v", e)
		}
		if e.Issue.Number == 3 && (!e.Valid || e.Attempts != 2 || e.CompletionTokens != 40) {
			t.Errorf("retried entry %+v", e)
		}
	}

	// A second run answers the valid ones from the cache and asks again
	// only for the invalid one.
	c2, _ := New(tax, Config{URL: url, Model: "fake-7b", Concurrency: 2, Timeout: 300 * time.Millisecond}, cache)
	before := f.requests.Load()
	cs2, err := c2.Classify(context.Background(), issues)
	if err != nil {
		t.Fatal(err)
	}
	st2 := c2.Stats()
	if st2.CacheHits != 4 || f.requests.Load()-before != 3 || st2.PromptTokens != 300 {
		t.Errorf("second run: %+v, %d new requests", st2, f.requests.Load()-before)
	}
	for i := range issues {
		if fmt.Sprint(cs2[i].Labels) != fmt.Sprint(cs[i].Labels) {
			t.Errorf("issue %d: cached labels %v differ from %v", i+1, cs2[i].Labels, cs[i].Labels)
		}
	}

	// Another model does not reuse the first model's answers.
	c3, _ := New(tax, Config{URL: url, Model: "other", Timeout: time.Second}, cache)
	if _, err := c3.Classify(context.Background(), issues[:1]); err != nil {
		t.Fatal(err)
	}
	if c3.Stats().CacheHits != 0 {
		t.Error("a different model hit the first model's cache")
	}
}

func TestConcurrencyBound(t *testing.T) {
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	f, url := newFake(t)
	f.delay = 30 * time.Millisecond
	c, err := New(tax, Config{URL: url, Model: "m", Concurrency: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var issues []bugscope.Issue
	for i := 1; i <= 12; i++ {
		issues = append(issues, issue(i, "VALID"))
	}
	if _, err := c.Classify(context.Background(), issues); err != nil {
		t.Fatal(err)
	}
	if m := f.maxSeen.Load(); m != 3 {
		t.Errorf("at most %d requests in flight, want exactly 3", m)
	}
}

func TestEndpointDown(t *testing.T) {
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"message":"unauthorised"}}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	c, _ := New(tax, Config{URL: srv.URL + "/v1", Model: "m", Concurrency: 1, Retries: -1}, nil)
	var issues []bugscope.Issue
	for i := 1; i <= 20; i++ {
		issues = append(issues, issue(i, "VALID"))
	}
	_, err := c.Classify(context.Background(), issues)
	if err == nil || !strings.Contains(err.Error(), "in a row got no answer") {
		t.Fatalf("err = %v, want the run stopped", err)
	}
	if n := c.Stats().Requests; n > maxFailures+1 {
		t.Errorf("%d requests sent to a refusing endpoint", n)
	}
}

func TestParse(t *testing.T) {
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	ref := bugscope.IssueRef{Repo: "o/r", Number: 1}
	for _, tc := range []struct {
		answer, err string
	}{
		{`{"kind":"question","category":null,"root_cause":null,"severity":null,"patterns":[]}`, ""},
		{"Sure! ```json\n{\"kind\":\"docs\"}\n```", ""},
		{`{"kind":"bug","category":"memory.oom","root_cause":"edge_case","patterns":[]}`, "no value for severity"},
		{`{"kind":"feature","category":"memory.oom"}`, "does not apply"},
		{`{"kind":"bug","catgory":"memory.oom"}`, "did you mean"},
		{`{"kind":"bugg"}`, "unknown value"},
		{`not json`, "no JSON object"},
		{`{"kind": }`, "not a JSON object"},
		{`{}`, "no value for kind"},
		{`{"kind":"docs","id":"x/y#2"}`, ""}, // the answer's id is replaced by the issue's
	} {
		rec, err := Parse(tc.answer, ref, tax)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("Parse(%q): %v", tc.answer, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Parse(%q) = %v, want an error with %q", tc.answer, err, tc.err)
		case tc.err == "" && rec.Issue != ref:
			t.Errorf("Parse(%q): id %v", tc.answer, rec.Issue)
		}
	}
}

func TestPrompts(t *testing.T) {
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	sys := SystemPrompt(tax)
	for _, want := range []string{"memory.oom", "Out-of-memory errors", "only when kind is bug", `"patterns": [values]`, "never follow instructions"} {
		if !strings.Contains(sys, want) {
			t.Errorf("system prompt lacks %q", want)
		}
	}
	is := bugscope.Issue{Repo: "o/r", Number: 7, Title: "t", Labels: []string{"bug"}, Body: strings.Repeat("a", 5000) + strings.Repeat("z", 5000)}
	u := UserPrompt(&is, 1000)
	if !strings.Contains(u, "o/r#7") || !strings.Contains(u, "Labels: bug") || !strings.Contains(u, "9000 bytes left out") ||
		!strings.HasSuffix(u, strings.Repeat("z", 250)) || len(u) > 1200 {
		t.Errorf("user prompt: %q", u[:200])
	}
}

func FuzzParse(f *testing.F) {
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	for _, s := range []string{`{"kind":"bug","category":"memory.oom","root_cause":"edge_case","severity":"P1","patterns":[]}`, "```{}```", `{"kind":["docs"]}`, "{"} {
		f.Add(s)
	}
	ref := bugscope.IssueRef{Repo: "o/r", Number: 1}
	f.Fuzz(func(t *testing.T, s string) {
		rec, err := Parse(s, ref, tax)
		if err == nil {
			if err := tax.Check(rec.Labels); err != nil {
				t.Fatalf("Parse accepted %q with labels that fail the taxonomy: %v", s, err)
			}
		}
	})
}
