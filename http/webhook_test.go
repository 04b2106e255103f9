package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/github/githubtest"
	bhttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/internal/testshared"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
	"github.com/bugscope/bugscope/triage"
)

// The published example of GitHub's docs, "Validating webhook
// deliveries" (docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation).
func TestWebhookSignatureGitHubVector(t *testing.T) {
	secret := []byte("It's a Secret to Everybody")
	body := []byte("Hello, World!")
	const want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got := bhttp.Sign(secret, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	for _, tc := range []struct {
		name   string
		secret []byte
		body   []byte
		header string
		ok     bool
	}{
		{"published", secret, body, want, true},
		{"other body", secret, []byte("Hello, World?"), want, false},
		{"other secret", []byte("It's a secret to everybody"), body, want, false},
		{"no prefix", secret, body, strings.TrimPrefix(want, "sha256="), false},
		{"sha1 header", secret, body, "sha1=" + strings.TrimPrefix(want, "sha256="), false},
		{"not hex", secret, body, "sha256=zz", false},
		{"truncated", secret, body, want[:len(want)-2], false},
		{"empty", secret, body, "", false},
		{"empty secret", nil, body, bhttp.Sign(nil, body), false},
	} {
		if got := bhttp.VerifySignature(tc.secret, tc.body, tc.header); got != tc.ok {
			t.Errorf("%s: VerifySignature = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

// env is a webhook on loopback in front of a real database, the rule
// classifier, and the fake GitHub.
type env struct {
	t      *testing.T
	db     *sqlite.DB
	fake   *githubtest.Server
	svc    *triage.Service
	srv    *httptest.Server
	secret []byte
	tax    *taxonomy.Taxonomy
	logs   []string
}

const testRepo = "acme/engine"

// testConfig maps kind=bug, kind=question, category=memory.oom and
// severity=P1; the gate passes "bug" and "oom" only.
func testConfig(mode string) string {
	return fmt.Sprintf(`
repositories:
  "*":
    mode: %s
    labels:
      kind=bug: bug
      kind=question: question
      category=memory.oom: oom
      severity=P1: "severity: P1"
`, mode)
}

func newEnv(t *testing.T, mode string) *env {
	t.Helper()
	ctx := context.Background()
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg, err := triage.ParseConfig([]byte(testConfig(mode)), "test.yaml", tax)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := classify.BuiltinRules(tax)
	if err != nil {
		t.Fatal(err)
	}
	clock := githubtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	fake := githubtest.New(clock)
	t.Cleanup(fake.Close)
	client, err := github.New(github.Options{Token: "t0ken", BaseURL: fake.URL, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, fake: fake, secret: []byte("s3cret"), tax: tax}
	e.svc = &triage.Service{Store: db, Issues: db, Config: cfg, Tax: tax, GitHub: client,
		Classify: pipeline.ClassifyOne(db, tax, classify.New(rs)),
		Logf:     func(f string, a ...any) { e.logs = append(e.logs, fmt.Sprintf(f, a...)) }}
	gate := triage.GateResult{Gold: "fixture", Gate: cfg.Gate, CheckedAt: time.Now(), Labels: []triage.GateLabel{
		{Entry: "*", Label: "bug", Dimension: "kind", Value: "bug", Examples: 50, Predicted: 50, Correct: 45, Scored: 100, Pass: true},
		{Entry: "*", Label: "oom", Dimension: "category", Value: "memory.oom", Examples: 12, Predicted: 10, Correct: 9, Scored: 100, Pass: true},
		{Entry: "*", Label: "severity: P1", Dimension: "severity", Value: "P1", Examples: 30, Predicted: 40, Correct: 20, Scored: 100, Pass: false},
	}}
	if _, err := db.SaveGate(ctx, gate); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(bhttp.NewWebhook(bhttp.WebhookOptions{Secret: e.secret, MaxBytes: 64 << 10, Queue: db}))
	t.Cleanup(e.srv.Close)
	return e
}

const oomBody = "### Your current environment\nvLLM 0.6.3, 2x A100\n\n### Describe the bug\nThe server fails to start with CUDA out of memory when loading a 70B model with a long context.\n\n```\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n```\n"

// payload is an issues event as GitHub sends it, for the fake's issue.
func (e *env) payload(action string, number int, label string) []byte {
	e.t.Helper()
	var is *gh.Issue
	for _, n := range e.fake.Numbers(testRepo) {
		if n == number {
			is = e.fake.Repo(testRepo).Issues[n]
		}
	}
	if is == nil {
		e.t.Fatalf("no issue %d", number)
	}
	p := map[string]any{"action": action, "issue": is, "repository": map[string]any{"full_name": testRepo},
		"sender": map[string]any{"login": "maintainer", "type": "User"}}
	if label != "" {
		p["label"] = map[string]any{"name": label}
	}
	b, err := json.Marshal(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) post(event, delivery string, body []byte, sign bool) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("Content-Type", "application/json")
	if sign {
		req.Header.Set("X-Hub-Signature-256", bhttp.Sign(e.secret, body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

func (e *env) drain() {
	e.t.Helper()
	if _, err := e.svc.Drain(context.Background()); err != nil {
		e.t.Fatalf("drain: %v (log %v)", err, e.logs)
	}
}

func (e *env) calls() []string {
	var out []string
	for _, c := range e.fake.Calls() {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

func TestWebhookAcceptsSignedRefusesOthers(t *testing.T) {
	e := newEnv(t, triage.ModeShadow)
	e.fake.AddIssue(testRepo, 7, "[Bug]: CUDA out of memory with long prompts", oomBody, "alice")
	body := e.payload("opened", 7, "")

	if code, _ := e.post("issues", "d-unsigned", body, false); code != http.StatusUnauthorized {
		t.Errorf("unsigned: %d, want 401", code)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL, bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", "d-wrong")
	req.Header.Set("X-Hub-Signature-256", bhttp.Sign([]byte("not the secret"), body))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrongly signed: %v %v, want 401", resp.StatusCode, err)
	}
	if code, ans := e.post("ping", "d-ping", []byte(`{"zen":"Keep it logically awesome."}`), true); code != http.StatusOK || !strings.Contains(ans, "pong") {
		t.Errorf("ping: %d %s", code, ans)
	}
	if code, _ := e.post("issues", "d-big", bytes.Repeat([]byte("x"), 65<<10), true); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d, want 413", code)
	}
	if code, _ := e.post("issues", "d-junk", []byte(`{"action":"opened"}`), true); code != http.StatusBadRequest {
		t.Errorf("not an issues payload: %d, want 400", code)
	}
	if code, ans := e.post("issues", "d-1", body, true); code != http.StatusAccepted || !strings.Contains(ans, `"queued":true`) {
		t.Errorf("signed: %d %s, want 202 queued", code, ans)
	}
	// A replayed delivery (GitHub's redeliver keeps the id) is not queued again.
	if code, ans := e.post("issues", "d-1", body, true); code != http.StatusOK || !strings.Contains(ans, `"duplicate":true`) {
		t.Errorf("replayed: %d %s, want 200 duplicate", code, ans)
	}
	if code, ans := e.post("issues", "d-closed", e.payload("closed", 7, ""), true); code != http.StatusAccepted || !strings.Contains(ans, "ignored") {
		t.Errorf("closed: %d %s, want 202 ignored", code, ans)
	}
	ds, err := e.db.Deliveries(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].DeliveryID != "d-1" || ds[0].State != triage.DeliveryPending {
		t.Fatalf("queue = %+v, want d-1 pending alone", ds)
	}
	e.drain()
	ds, _ = e.db.Deliveries(context.Background(), 10)
	if ds[0].State != triage.DeliveryDone || ds[0].Attempts != 1 {
		t.Errorf("after drain: %+v", ds[0])
	}
	if n, _ := e.svc.Drain(context.Background()); n != 0 {
		t.Errorf("a second drain processed %d", n)
	}
}

func TestWebhookModesCallGitHubExactly(t *testing.T) {
	for _, mode := range []string{triage.ModeShadow, triage.ModeDryRun, triage.ModeApply} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, mode)
			e.fake.AddIssue(testRepo, 7, "[Bug]: CUDA out of memory with long prompts", oomBody, "alice", "needs-triage")
			if code, _ := e.post("issues", "d-1", e.payload("opened", 7, ""), true); code != http.StatusAccepted {
				t.Fatalf("status %d", code)
			}
			e.drain()
			d, err := e.db.Decision(context.Background(), bugscope.IssueRef{Repo: testRepo, Number: 7})
			if err != nil {
				t.Fatal(err)
			}
			status := map[string]string{}
			for _, l := range d.Labels {
				status[l.Label] = l.Status
			}
			if _, ok := status["bug"]; !ok {
				t.Fatalf("decision %+v has no bug label; proposed %+v", d.Labels, d.Proposed)
			}
			if _, ok := status["oom"]; !ok {
				t.Fatalf("decision %+v has no oom label", d.Labels)
			}
			wantSev := triage.LabelGated // proposed, but it failed the gate
			if mode == triage.ModeShadow {
				wantSev = triage.LabelShadow
			}
			if status["severity: P1"] != wantSev {
				t.Errorf("severity: P1 is %q, want %q (%+v)", status["severity: P1"], wantSev, d.Labels)
			}
			var want []string
			switch mode {
			case triage.ModeShadow, triage.ModeDryRun:
				// no call at all: dry-run logs them instead
			case triage.ModeApply:
				want = []string{"POST /repos/acme/engine/issues/7/labels", "POST /repos/acme/engine/issues/7/comments"}
			}
			if got := e.calls(); !slices.Equal(got, want) {
				t.Fatalf("calls = %q, want %q", got, want)
			}
			if mode == triage.ModeDryRun {
				joined := strings.Join(e.logs, "\n")
				if !strings.Contains(joined, `dry-run: POST /repos/acme/engine/issues/7/labels ["bug","oom"]`) || !strings.Contains(joined, "dry-run: POST /repos/acme/engine/issues/7/comments") {
					t.Errorf("dry-run log:\n%s", joined)
				}
				return
			}
			if mode != triage.ModeApply {
				return
			}
			calls := e.fake.Calls()
			var added []string
			json.Unmarshal([]byte(calls[0].Body), &struct{ Labels *[]string }{&added})
			if len(added) == 0 {
				json.Unmarshal([]byte(calls[0].Body), &added)
			}
			slices.Sort(added)
			if !slices.Equal(added, []string{"bug", "oom"}) {
				t.Errorf("labels sent %q (body %s), want bug and oom only: the gate holds severity: P1, nothing outside the map", added, calls[0].Body)
			}
			labels := e.fake.IssueLabels(testRepo, 7)
			if !slices.Contains(labels, "needs-triage") {
				t.Errorf("the human label is gone: %q", labels)
			}
			bodies := e.fake.IssueCommentBodies(testRepo, 7)
			if len(bodies) != 1 {
				t.Fatalf("comments %v", bodies)
			}
			for _, b := range bodies {
				for _, want := range []string{triage.Marker, "`bug`", "`oom`", "memory.oom", "Definitions"} {
					if !strings.Contains(b, want) {
						t.Errorf("comment lacks %q:\n%s", want, b)
					}
				}
			}

			// A second event (the reporter edits the issue) edits the one
			// comment in place: no second comment, no label sent again.
			e.fake.Edit(testRepo, 7, func(is *gh.Issue) {
				is.Body = gh.Ptr(oomBody + "\nIt also happens with tensor parallel 4. Segmentation fault follows.\n")
			})
			if code, _ := e.post("issues", "d-2", e.payload("edited", 7, ""), true); code != http.StatusAccepted {
				t.Fatalf("status %d", code)
			}
			e.drain()
			want = append(want, "PATCH /repos/acme/engine/issues/comments/900001")
			if got := e.calls(); !slices.Equal(got, want) {
				t.Fatalf("after an edit, calls = %q, want %q", got, want)
			}
			if n := len(e.fake.IssueCommentBodies(testRepo, 7)); n != 1 {
				t.Errorf("%d comments, want 1", n)
			}
			// The same event again changes nothing: the comment is as it should be.
			if code, _ := e.post("issues", "d-3", e.payload("edited", 7, ""), true); code != http.StatusAccepted {
				t.Fatalf("status %d", code)
			}
			e.drain()
			if got := e.calls(); !slices.Equal(got, want) {
				t.Fatalf("after an unchanged edit, calls = %q, want %q", got, want)
			}
		})
	}
}

func TestWebhookHumanLabelsWin(t *testing.T) {
	e := newEnv(t, triage.ModeApply)
	// A maintainer already called it a question: bugscope's bug (same
	// single-valued dimension) is held, its oom is still added.
	e.fake.AddIssue(testRepo, 8, "[Bug]: CUDA out of memory with long prompts", oomBody, "alice", "question")
	e.post("issues", "d-1", e.payload("opened", 8, ""), true)
	e.drain()
	labels := e.fake.IssueLabels(testRepo, 8)
	slices.Sort(labels)
	if !slices.Equal(labels, []string{"oom", "question"}) {
		t.Fatalf("labels %q, want oom and question", labels)
	}
	for _, c := range e.fake.Calls() {
		if c.Method == http.MethodDelete || c.Method == http.MethodPut {
			t.Errorf("a label call that removes or replaces: %s", c)
		}
	}

	// The maintainer removes bugscope's oom: feedback of rater
	// maintainers, and oom is never added again.
	e.fake.Edit(testRepo, 8, func(is *gh.Issue) { is.Labels = []*gh.Label{{Name: "question"}} })
	e.post("issues", "d-2", e.payload("unlabeled", 8, "oom"), true)
	e.drain()
	e.post("issues", "d-3", e.payload("edited", 8, ""), true)
	e.drain()
	for _, c := range e.fake.Calls()[1:] {
		if c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/labels") {
			t.Errorf("labels sent again after a maintainer removed one: %s", c)
		}
	}
	for _, body := range e.fake.IssueCommentBodies(testRepo, 8) {
		if strings.Contains(body, "`oom`") {
			t.Errorf("the comment still claims the removed label:\n%s", body)
		}
	}
	fb, err := e.db.Feedback(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fb) != 1 || fb[0].Action != triage.FeedbackRemoved || fb[0].Label != "oom" || fb[0].Actor != "maintainer" {
		t.Fatalf("feedback %+v", fb)
	}
	counts, _ := e.db.AppliedCounts(context.Background())
	use := triage.PrecisionInUse(counts, fb)
	if len(use) != 1 || use[0].Applied != 1 || use[0].Removed != 1 || use[0].Precision() != 0 {
		t.Errorf("precision in use %+v", use)
	}
	d, _ := e.db.Decision(context.Background(), bugscope.IssueRef{Repo: testRepo, Number: 8})
	// The removal alone leaves the bug without a category: no complete
	// record to train on yet.
	if recs, skipped := triage.MaintainerRecords(e.tax, map[bugscope.IssueRef]triage.Decision{d.Issue: d}, fb); len(recs) != 0 || skipped != 1 {
		t.Errorf("maintainer records %+v (skipped %d)", recs, skipped)
	}
	// The maintainer labels it a question (again, by hand): a record of
	// kind question.
	e.post("issues", "d-4", e.payload("labeled", 8, "question"), true)
	e.drain()
	fb, _ = e.db.Feedback(context.Background(), nil)
	recs, skipped := triage.MaintainerRecords(e.tax, map[bugscope.IssueRef]triage.Decision{d.Issue: d}, fb)
	if len(recs) != 1 || skipped != 0 || recs[0].Labels.One("kind") != "question" || len(recs[0].Labels["category"]) != 0 {
		t.Errorf("maintainer records %+v (skipped %d)", recs, skipped)
	}
}

func TestWebhookSkipsBots(t *testing.T) {
	e := newEnv(t, triage.ModeApply)
	is := e.fake.AddIssue(testRepo, 9, "[Bug]: CUDA out of memory with long prompts", oomBody, "renovate[bot]")
	is.User.Type = gh.Ptr("Bot")
	e.post("issues", "d-1", e.payload("opened", 9, ""), true)
	e.drain()
	if got := e.calls(); len(got) != 0 {
		t.Fatalf("calls for a bot's issue: %q", got)
	}
	d, _ := e.db.Decision(context.Background(), bugscope.IssueRef{Repo: testRepo, Number: 9})
	if !strings.Contains(d.Skipped, "bot") {
		t.Errorf("decision not skipped: %+v", d)
	}
}

// The webhook answers at once while the worker classifies: the answer
// does not wait for the queue.
func TestWebhookAnswersWhileWorking(t *testing.T) {
	e := newEnv(t, triage.ModeShadow)
	for n := 1; n <= 40; n++ {
		e.fake.AddIssue(testRepo, n, fmt.Sprintf("[Bug]: CUDA out of memory case %d", n), strings.Repeat(oomBody, 20), "alice")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() { done <- e.svc.Run(ctx, wake) }()
	var slowest time.Duration
	for n := 1; n <= 40; n++ {
		start := time.Now()
		code, _ := e.post("issues", fmt.Sprintf("d-%d", n), e.payload("opened", n, ""), true)
		if el := time.Since(start); el > slowest {
			slowest = el
		}
		if code != http.StatusAccepted {
			t.Fatalf("delivery %d: %d", n, code)
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	if slowest >= time.Second {
		t.Errorf("slowest answer %v, want under a second", slowest)
	}
	t.Logf("slowest of 40 answers while the worker classifies: %v", slowest)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ds, _ := e.db.Deliveries(context.Background(), 100)
		pending := 0
		for _, d := range ds {
			if d.State != triage.DeliveryDone {
				pending++
			}
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries not done", pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestWebhookDashboardShowsGateDecisionsAndPrecisionInUse(t *testing.T) {
	e := newEnv(t, triage.ModeApply)
	e.fake.AddIssue(testRepo, 7, "[Bug]: CUDA out of memory <script>alert(1)</script>", oomBody, "alice")
	e.post("issues", "d-1", e.payload("opened", 7, ""), true)
	e.drain()
	e.post("issues", "d-2", e.payload("unlabeled", 7, "oom"), true)
	e.drain()
	dash := serverOver(t, e.db, e.tax, 10)
	dash.MountTriage(e.db, map[string]string{"*": triage.ModeApply})
	srv := httptest.NewServer(dash)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/triage")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	page := buf.String()
	if csp := resp.Header.Get("Content-Security-Policy"); csp != bhttp.ContentSecurityPolicy {
		t.Errorf("CSP %q", csp)
	}
	// In the dashboard's layout: its style sheet and navigation bar, the
	// triage entry marked, and no inline style the CSP would block.
	for _, want := range []string{`href="/static/style.css"`, `<a href="/triage" class="here">Triage</a>`, `<a href="/team">Study team</a>`, `<a href="/categories">`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<style") || strings.Contains(page, "style=") {
		t.Error("inline style in the page")
	}
	for _, want := range []string{"go live", "stays shadow", "severity: P1", "acme/engine#7", "oom: present", "&lt;script&gt;", "<td>1</td><td>1</td><td>0</td><td>0.0%</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("issue text not escaped")
	}
	// The JSON twin: ?format=json, /api/triage, Accept: application/json.
	for _, get := range []func() (*http.Response, error){
		func() (*http.Response, error) { return http.Get(srv.URL + "/triage?format=json") },
		func() (*http.Response, error) { return http.Get(srv.URL + "/api/triage") },
		func() (*http.Response, error) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/triage", nil)
			req.Header.Set("Accept", "application/json")
			return http.DefaultClient.Do(req)
		},
	} {
		resp, err := get()
		if err != nil {
			t.Fatal(err)
		}
		var p bhttp.TriagePage
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %s, %v", resp.Request.URL, resp.Header.Get("Content-Type"), err)
		}
		if p.Gate == nil || len(p.Decisions) != 1 || p.Queue["done"] != 2 || len(p.InUse) != 2 {
			t.Errorf("%s: json %+v", resp.Request.URL, p)
		}
	}
	if r, _ := http.Post(srv.URL+"/triage", "text/plain", nil); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", r.StatusCode)
	}
}

// BenchmarkWebhookAccept: one signed delivery checked, stored in the
// queue (one SQLite transaction) and answered, over loopback.
func BenchmarkWebhookAccept(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	secret := []byte("s3cret")
	srv := httptest.NewServer(bhttp.NewWebhook(bhttp.WebhookOptions{Secret: secret, Queue: db}))
	defer srv.Close()
	body := []byte(`{"action":"opened","issue":{"number":7,"title":"[Bug]: CUDA out of memory","body":"` + strings.Repeat("x", 4000) + `"},"repository":{"full_name":"acme/engine"}}`)
	sig := bhttp.Sign(secret, body)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "issues")
		req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("d-%d", i))
		req.Header.Set("X-Hub-Signature-256", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			b.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	}
}

// BenchmarkWebhookWorkerRealIssue: the worker's work for one delivery in
// shadow mode on the real issues: classify the issue (rules and signals,
// stored), build the repository's similar-issue index (1,416 vLLM
// issues), decide, store the decision.
func BenchmarkWebhookWorkerRealIssue(b *testing.B) {
	files := testshared.DataFiles(b)
	ctx := context.Background()
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := pipeline.Import(ctx, db, files, pipeline.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	rs, _ := classify.BuiltinRules(tax)
	rc := classify.New(rs)
	if _, err := pipeline.Classify(ctx, db, tax, rc, pipeline.ClassifyOptions{}); err != nil {
		b.Fatal(err)
	}
	cfg, _ := triage.ParseConfig(triage.DefaultConfig(), "default", tax)
	svc := &triage.Service{Store: db, Issues: db, Config: cfg, Tax: tax, Classify: pipeline.ClassifyOne(db, tax, rc)}
	ref := bugscope.IssueRef{Repo: "vllm-project/vllm", Number: 19631}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := svc.Triage(ctx, ref, triage.TriageOptions{Reclassify: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzVerifySignature: whatever the header, only the body's own HMAC
// verifies.
func FuzzVerifySignature(f *testing.F) {
	f.Add([]byte("Hello, World!"), "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	f.Add([]byte("{}"), "sha256=")
	f.Add([]byte(""), "sha1=abc")
	secret := []byte("It's a Secret to Everybody")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		ok := bhttp.VerifySignature(secret, body, header)
		if want := strings.EqualFold(header, bhttp.Sign(secret, body)) && strings.HasPrefix(header, "sha256="); ok != want {
			t.Fatalf("VerifySignature(%q, %q) = %v", body, header, ok)
		}
	})
}

// A label call refused by GitHub's secondary rate limit is not a failure:
// the delivery waits in the queue and is done later, each call once.
func TestWebhookRateLimitedWriteWaits(t *testing.T) {
	e := newEnv(t, triage.ModeApply)
	e.fake.AddIssue(testRepo, 7, "[Bug]: CUDA out of memory with long prompts", oomBody, "alice")
	e.post("issues", "d-1", e.payload("opened", 7, ""), true)
	e.fake.SetFaults(githubtest.Faults{SecondaryAt: 2}) // 1: read the issue, 2: add labels
	_, err := e.svc.Drain(context.Background())
	if bugscope.ErrorCode(err) != bugscope.EUnavailable {
		t.Fatalf("drain: %v, want unavailable", err)
	}
	ds, _ := e.db.Deliveries(context.Background(), 10)
	if ds[0].State != triage.DeliveryPending {
		t.Fatalf("after a rate limit: %+v", ds[0])
	}
	e.drain()
	want := []string{"POST /repos/acme/engine/issues/7/labels", "POST /repos/acme/engine/issues/7/comments"}
	if got := e.calls(); !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
}

type downQueue struct{}

func (downQueue) EnqueueDelivery(context.Context, triage.Delivery) (bool, error) {
	return false, bugscope.Errorf(bugscope.EUnavailable, "database /secret/path.db is busy")
}

// A delivery that cannot be stored is answered 503, so that GitHub shows
// it failed and it can be redelivered; the answer does not echo the cause.
func TestWebhookQueueDown(t *testing.T) {
	var logged []string
	srv := httptest.NewServer(bhttp.NewWebhook(bhttp.WebhookOptions{Secret: []byte("k"), Queue: downQueue{},
		Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }}))
	defer srv.Close()
	body := []byte(`{"action":"opened","issue":{"number":1},"repository":{"full_name":"a/b"}}`)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", "d")
	req.Header.Set("X-Hub-Signature-256", bhttp.Sign([]byte("k"), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(buf.String(), "/secret") || len(logged) != 1 || !strings.Contains(logged[0], "busy") {
		t.Errorf("%d %s %q", resp.StatusCode, buf.String(), logged)
	}
	if r, _ := http.Get(srv.URL); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", r.StatusCode)
	}
}
