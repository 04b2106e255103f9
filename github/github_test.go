package github

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gh "github.com/google/go-github/v92/github"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github/githubtest"
)

var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

type fixture struct {
	clock *githubtest.Clock
	srv   *githubtest.Server
	mu    sync.Mutex
	evs   []Event
}

func newFixture(t *testing.T) *fixture {
	clock := githubtest.NewClock(epoch)
	srv := githubtest.New(clock)
	t.Cleanup(srv.Close)
	srv.Generate("acme/engine", githubtest.Spec{Issues: 120, Pulls: 10, Seed: 1})
	return &fixture{clock: clock, srv: srv}
}

func (f *fixture) client(t *testing.T, mod func(*Options)) *Client {
	t.Helper()
	o := Options{Token: "secret", BaseURL: f.srv.URL, Clock: f.clock, Jitter: func() float64 { return 0.5 },
		OnEvent: func(e Event) { f.mu.Lock(); f.evs = append(f.evs, e); f.mu.Unlock() }}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) events(kind EventKind) []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Event
	for _, e := range f.evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func list(ctx context.Context, c *Client) ([]*gh.Issue, *gh.Response, error) {
	return c.GH.Issues.ListByRepo(ctx, "acme", "engine", &gh.IssueListByRepoOptions{State: "all", Sort: "updated",
		Direction: "asc", ListOptions: gh.ListOptions{PerPage: 100}})
}

func TestAPIURL(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", "https://api.github.com/", ""},
		{"https://api.github.com", "https://api.github.com/", ""},
		{"https://ghe.example.com", "https://ghe.example.com/api/v3/", ""},
		{"https://ghe.example.com/", "https://ghe.example.com/api/v3/", ""},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/", ""},
		{"http://127.0.0.1:8080/github/api", "http://127.0.0.1:8080/github/api/", ""},
		{"https://api.ghe.example.com", "https://api.ghe.example.com/", ""},
		{"ftp://example.com", "", "want http"},
		{"https://user:pw@ghe.example.com", "", "credentials"},
		{"ghe.example.com", "", "want http"},
	} {
		u, err := APIURL(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("APIURL(%q): err %v, want %q", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("APIURL(%q): %v", tc.in, err)
		case u.String() != tc.want:
			t.Errorf("APIURL(%q) = %s, want %s", tc.in, u, tc.want)
		}
	}
}

func TestWebHost(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "github.com",
		"https://api.github.com":         "github.com",
		"https://GHE.example.com":        "ghe.example.com",
		"https://ghe.example.com/api/v3": "ghe.example.com",
		"https://api.ghe.example.com":    "ghe.example.com",
		"http://127.0.0.1:8080/api":      "127.0.0.1:8080",
	} {
		if got, err := WebHost(in); err != nil || got != want {
			t.Errorf("WebHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := WebHost("ftp://x"); err == nil {
		t.Error("WebHost accepted ftp://x")
	}
}

// The client talks to an Enterprise-style address (/api/v3/) with the
// token as a bearer token, and counts the rate limit.
func TestClientSendsTokenToEnterpriseURL(t *testing.T) {
	f := newFixture(t)
	var paths, auths []string
	f.srv.OnRequest(func(_ int, r *http.Request) {
		f.mu.Lock()
		paths, auths = append(paths, r.URL.Path), append(auths, r.Header.Get("Authorization"))
		f.mu.Unlock()
	})
	host := strings.TrimSuffix(f.srv.URL, "/api/v3/")
	c := f.client(t, func(o *Options) { o.BaseURL = host })
	issues, resp, err := list(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 100 || resp.NextPage != 2 {
		t.Fatalf("%d issues, next page %d", len(issues), resp.NextPage)
	}
	if paths[0] != "/api/v3/repos/acme/engine/issues" || auths[0] != "Bearer secret" {
		t.Errorf("request to %s with %q", paths[0], auths[0])
	}
	r := c.Rate()
	if !r.Known || r.Limit != 5000 || r.Remaining != 4999 || !r.Reset.After(epoch) {
		t.Errorf("rate %+v", r)
	}
}

// Validators make the request conditional; a 304 costs no rate limit.
func TestConditionalRequest(t *testing.T) {
	f := newFixture(t)
	c := f.client(t, nil)
	_, resp, err := list(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	v := ResponseValidators(resp)
	if v.ETag == "" || v.LastModified == "" {
		t.Fatalf("validators %+v", v)
	}
	for _, val := range []Validators{v, {ETag: v.ETag}, {LastModified: v.LastModified}} {
		_, resp, err = list(WithValidators(context.Background(), val), c)
		if !IsNotModified(resp) || StatusOf(err) != http.StatusNotModified {
			t.Errorf("with %+v: status %v err %v", val, resp.StatusCode, err)
		}
	}
	if st := f.srv.Stats(); st.Spent != 1 || st.NotModified != 3 {
		t.Errorf("stats %+v", st)
	}
	// A change answers 200.
	f.clock.Advance(time.Minute)
	f.srv.Edit("acme/engine", 5, func(is *gh.Issue) {})
	_, resp, err = list(WithValidators(context.Background(), v), c)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("after a change: %v %v", resp.StatusCode, err)
	}
}

func TestRetriesServerErrorsThenGivesUp(t *testing.T) {
	f := newFixture(t)
	f.srv.SetFaults(githubtest.Faults{ErrorRate: 1})
	c := f.client(t, func(o *Options) { o.MaxRetries = 4 })
	_, _, err := list(context.Background(), c)
	if StatusOf(err) != http.StatusBadGateway {
		t.Fatalf("err %v", err)
	}
	if st := f.srv.Stats(); st.Requests != 5 {
		t.Errorf("%d attempts, want 1 + 4 retries", st.Requests)
	}
	retries := f.events(EventRetry)
	if len(retries) != 4 {
		t.Fatalf("%d retry events", len(retries))
	}
	// Exponential backoff with jitter 0.5: 0.75s, 1.5s, 3s, 6s.
	for i, want := range []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second} {
		if retries[i].Wait != want {
			t.Errorf("retry %d waits %s, want %s", i+1, retries[i].Wait, want)
		}
	}
	if slept, _ := f.clock.Slept(); slept != 11250*time.Millisecond {
		t.Errorf("slept %s", slept)
	}
}

func TestBackoffIsBoundedAndJittered(t *testing.T) {
	for _, j := range []float64{0, 0.3, 0.999} {
		tr := newTransport(Options{Jitter: func() float64 { return j }, MaxBackoff: time.Minute})
		for n := 1; n < 40; n++ {
			d := tr.backoff(n)
			full := min(time.Second<<min(n-1, 16), time.Minute)
			if d < full/2 || d > full {
				t.Errorf("jitter %v: backoff(%d) = %s outside [%s, %s]", j, n, d, full/2, full)
			}
		}
	}
}

func TestRetriesBrokenBody(t *testing.T) {
	f := newFixture(t)
	f.srv.SetFaults(githubtest.Faults{CutBodyAt: 1})
	c := f.client(t, nil)
	issues, _, err := list(context.Background(), c)
	if err != nil || len(issues) != 100 {
		t.Fatalf("%d issues, %v", len(issues), err)
	}
	retries := f.events(EventRetry)
	if len(retries) != 1 || retries[0].Err == nil {
		t.Fatalf("retries %+v", retries)
	}
}

func TestWaitsForPrimaryReset(t *testing.T) {
	f := newFixture(t)
	f.srv.SetFaults(githubtest.Faults{ExhaustAt: 2, ResetIn: 40 * time.Minute})
	c := f.client(t, nil)
	ctx := context.Background()
	if _, _, err := list(ctx, c); err != nil {
		t.Fatal(err)
	}
	start := f.clock.Now()
	if _, _, err := list(ctx, c); err != nil {
		t.Fatal(err)
	}
	waits := f.events(EventWaitReset)
	if len(waits) != 1 {
		t.Fatalf("%d waits", len(waits))
	}
	reset := start.Add(40 * time.Minute).Truncate(time.Second)
	if d := waits[0].Until.Sub(reset); d < 0 || d > 2*time.Second {
		t.Errorf("waits until %s, reset at %s", waits[0].Until, reset)
	}
	if f.clock.Now().Before(reset) {
		t.Errorf("went on at %s, before the reset %s", f.clock.Now(), reset)
	}
	if r := c.Rate(); r.Remaining < 4000 {
		t.Errorf("after the reset: %+v", r)
	}
}

func TestHonoursRetryAfterAndSecondaryLimits(t *testing.T) {
	f := newFixture(t)
	f.srv.SetFaults(githubtest.Faults{TooManyAt: 1, RetryAfter: 45, SecondaryAt: 3})
	c := f.client(t, nil)
	if _, _, err := list(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if slept, _ := f.clock.Slept(); slept != 45*time.Second {
		t.Errorf("slept %s after Retry-After: 45", slept)
	}
	if _, _, err := list(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	lim := f.events(EventLimited)
	if len(lim) != 2 || lim[0].Wait != 45*time.Second || lim[1].Wait < time.Minute {
		t.Errorf("limited events %+v", lim)
	}
}

func TestBudget(t *testing.T) {
	f := newFixture(t)
	f.srv.SetFaults(githubtest.Faults{TooManyAt: 2})
	c := f.client(t, func(o *Options) { o.MaxRequests = 3 })
	ctx := context.Background()
	for i := range 2 {
		if _, _, err := list(ctx, c); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, _, err := list(ctx, c); !errors.Is(err, ErrBudget) {
		t.Fatalf("past the budget: %v", err)
	}
	if c.Requests() != 3 || f.srv.Stats().Requests != 3 {
		t.Errorf("%d requests sent, server saw %d", c.Requests(), f.srv.Stats().Requests)
	}
}

func TestRespectsCancellationWhileWaiting(t *testing.T) {
	f := newFixture(t)
	f.srv.SetFaults(githubtest.Faults{ErrorRate: 1})
	c := f.client(t, func(o *Options) { o.Clock = SystemClock })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := list(ctx, c)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func TestClassify(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		status int
		header http.Header
		body   string
		want   verdict
	}{
		{200, h(), "", ok},
		{304, h(), "", ok},
		{403, h("X-RateLimit-Remaining", "0"), `{"message":"API rate limit exceeded"}`, primaryLimit},
		{429, h("X-RateLimit-Remaining", "0"), "", primaryLimit},
		{429, h("X-RateLimit-Remaining", "10"), "", secondaryLimit},
		{403, h("Retry-After", "30", "X-RateLimit-Remaining", "0"), "", secondaryLimit},
		{403, h("X-RateLimit-Remaining", "4000"), `{"message":"You have exceeded a secondary rate limit"}`, secondaryLimit},
		{403, h("X-RateLimit-Remaining", "4000"), `{"message":"Resource not accessible by integration"}`, ok},
		{404, h(), "", ok},
		{422, h(), "", ok},
		{500, h(), "", serverError},
		{502, h(), "", serverError},
		{503, h(), "", serverError},
		{504, h(), "", serverError},
		{501, h(), "", ok},
	} {
		if got := classify(&http.Response{StatusCode: tc.status, Header: tc.header}, []byte(tc.body)); got != tc.want {
			t.Errorf("%d %v %s: %v, want %v", tc.status, tc.header, tc.body, got, tc.want)
		}
	}
}

func TestRetryAfterAndRateHeaders(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Second, true},
		{" 0 ", 0, true},
		{"-5", 0, false},
		{"999999999", 0, false},
		{"soon", 0, false},
		{"Thu, 01 Jan 2026 00:02:00 GMT", 2 * time.Minute, true},
		{"Wed, 31 Dec 2025 23:00:00 GMT", 0, true},
	} {
		d, ok := retryAfter(http.Header{"Retry-After": {tc.v}}, now)
		if d != tc.want || ok != tc.ok {
			t.Errorf("Retry-After %q: %s %v", tc.v, d, ok)
		}
	}
	// The reset is moved onto the local clock by the server's Date.
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", "1767226200") // 2026-01-01T00:10:00Z
	h.Set("Date", "Thu, 01 Jan 2026 00:05:00 GMT")
	r, ok := parseRate(h, now.Add(time.Hour)) // our clock is an hour ahead
	if !ok || !r.Reset.Equal(now.Add(65*time.Minute)) {
		t.Errorf("rate %+v %v", r, ok)
	}
}

func TestConvert(t *testing.T) {
	at := &gh.Timestamp{Time: time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)}
	pr := &gh.Issue{Number: gh.Ptr(7), Title: gh.Ptr("Fix OOM"), Body: gh.Ptr("Fixes #3"), State: gh.Ptr("CLOSED"),
		Labels: []*gh.Label{{Name: "bug"}, {Name: ""}}, CreatedAt: at, UpdatedAt: at, ClosedAt: at,
		Reactions: &gh.Reactions{TotalCount: gh.Ptr(4)}, HTMLURL: gh.Ptr("https://github.com/a/b/pull/7"),
		PullRequestLinks: &gh.PullRequestLinks{MergedAt: at}}
	is := Issue("a/b", pr)
	if !is.IsPullRequest || is.State != "closed" || len(is.Labels) != 1 || is.Reactions != 4 || !is.UpdatedAt.Equal(at.Time) {
		t.Errorf("%+v", is)
	}
	if m := MergedAt(pr); m == nil || !m.Equal(at.Time) {
		t.Errorf("merged at %v", m)
	}
	if MergedAt(&gh.Issue{}) != nil {
		t.Error("an issue merged")
	}
	c, ok := Comment("a/b", &gh.IssueComment{ID: gh.Ptr(int64(9)), IssueURL: gh.Ptr("https://api.github.com/repos/a/b/issues/12"),
		User: &gh.User{Login: gh.Ptr("x")}, Body: gh.Ptr(strings.Repeat("é", MaxText))})
	if !ok || c.IssueNumber != 12 || c.Author != "x" || len(c.Body) > MaxText || !strings.HasSuffix(c.Body, "é") {
		t.Errorf("comment %+v %v", c.IssueNumber, ok)
	}
	if _, ok := Comment("a/b", &gh.IssueComment{ID: gh.Ptr(int64(9)), IssueURL: gh.Ptr("nonsense")}); ok {
		t.Error("comment without an issue accepted")
	}
	for in, want := range map[string]string{
		"https://api.github.com/repos/vllm-project/vllm":    "vllm-project/vllm",
		"https://ghe.example.com/api/v3/repos/o/r/issues/1": "o/r",
		"https://github.com/ggml-org/llama.cpp/pull/12":     "ggml-org/llama.cpp",
		"https://github.com/only":                           "",
		"":                                                  "",
	} {
		if got := RepoOfURL(in); got != want {
			t.Errorf("RepoOfURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClosingRefs(t *testing.T) {
	for _, tc := range []struct {
		body string
		want []string
	}{
		{"Fixes #12", []string{"o/r#12"}},
		{"fixed #1, closes #2 and Resolves: #3", []string{"o/r#1", "o/r#2", "o/r#3"}},
		{"FIX #4 (the crash)", []string{"o/r#4"}},
		{"Fixes #1, #2", []string{"o/r#1"}}, // as on GitHub: one issue per keyword
		{"closes other/repo#5 and closes O/R#6", []string{"other/repo#5", "o/r#6"}},
		{"Resolves https://github.com/o/r/issues/7 and fixes https://ghe.corp/o/r/pull/8", []string{"o/r#7", "o/r#8"}},
		{"prefixes #9, suffixed #10, fixes#11, fixes # 12", nil},
		{"Related to #13; see #14", nil},
		{"<!-- Fixes #15 -->\nFixes #16", []string{"o/r#16"}},
		{"```\nfixes #17\n```\nfixes `#18` and fixes #19", []string{"o/r#19"}},
		{"<!-- unterminated fixes #20", nil},
		{"fixes #21 fixes #21", []string{"o/r#21"}},
		{"fixes #0 fixes #99999999999", nil},
		{"Closes #22.\nCloses: #23", []string{"o/r#22", "o/r#23"}},
		// GitHub does not link leading-zero numbers (the fuzzer's find).
		{"FiX #01, fixes #007, fixes https://github.com/o/r/issues/024", nil},
		{"fixes #10 fixes #100", []string{"o/r#10", "o/r#100"}},
	} {
		var got []string
		for _, r := range ClosingRefs(tc.body, "o/r") {
			got = append(got, r.String())
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q: %v, want %v", tc.body, got, tc.want)
		}
	}
}

func FuzzClosingRefs(f *testing.F) {
	for _, s := range []string{"Fixes #12", "<!-- fixes #1", "```\nfixes #2\n```", "closes a/b#3 https://github.com/a/b/issues/4", "`fixes #5`", "fixes:\t#6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		refs := ClosingRefs(body, "o/r")
		if len(refs) > maxRefs {
			t.Fatalf("%d refs", len(refs))
		}
		seen := map[bugscope.IssueRef]bool{}
		for _, r := range refs {
			if r.Number <= 0 || bugscope.ValidateRepo(r.Repo) != nil || seen[r] {
				t.Fatalf("bad or repeated ref %+v", r)
			}
			seen[r] = true
			if !strings.Contains(body, "#"+strconv.Itoa(r.Number)) && !strings.Contains(body, "/"+strconv.Itoa(r.Number)) {
				t.Fatalf("ref %v not in the text", r)
			}
		}
	})
}

func FuzzRateHeaders(f *testing.F) {
	f.Add("5000", "0", "1767226200", "Thu, 01 Jan 2026 00:05:00 GMT", "30")
	f.Add("-1", "x", "99999999999999999999", "", "Wed, 21 Oct 2015 07:28:00 GMT")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, limit, remaining, reset, date, retry string) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", reset)
		h.Set("Date", date)
		h.Set("Retry-After", retry)
		if r, ok := parseRate(h, now); ok && (r.Limit < 0 || r.Remaining < 0 || r.Reset.IsZero()) {
			t.Fatalf("rate %+v", r)
		}
		if d, ok := retryAfter(h, now); ok && (d < 0 || d > 24*time.Hour) {
			t.Fatalf("retry after %s", d)
		}
		classify(&http.Response{StatusCode: 403, Header: h}, []byte(retry))
	})
}

func FuzzURLs(f *testing.F) {
	for _, s := range []string{"https://api.github.com/repos/a/b/issues/12", "https://github.com/a/b/pull/3", "%zz", "/repos//x/issues/-1", "https://h/repos/a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := IssueNumberOfURL(s); n < 0 {
			t.Fatalf("issue number %d", n)
		}
		if r := RepoOfURL(s); r != "" && bugscope.ValidateRepo(r) != nil {
			t.Fatalf("repo %q", r)
		}
		if u, err := APIURL(s); err == nil && (u.Scheme != "http" && u.Scheme != "https" || !strings.HasSuffix(u.Path, "/")) {
			t.Fatalf("API URL %s", u)
		}
	})
}
