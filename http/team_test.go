package http

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// teamEnv is a study on a real database behind a real server on
// loopback.
type teamEnv struct {
	t      testing.TB
	path   string
	db     *sqlite.DB
	tax    *taxonomy.Taxonomy
	srv    *httptest.Server
	team   *study.Team
	tokens map[string]string // rater -> sign-in token
}

func teamIssues(repo string, n int) []bugscope.Issue {
	out := make([]bugscope.Issue, n)
	for i := range out {
		created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		out[i] = bugscope.Issue{Repo: repo, Number: i + 1, Title: fmt.Sprintf("[Bug] crash %d <script>alert(1)</script>", i+1),
			Body:  fmt.Sprintf("Report %d.\ntorch.OutOfMemoryError: CUDA out of memory\n<img src=x onerror=alert(1)>", i+1),
			State: "closed", Labels: []string{"bug"}, CreatedAt: &created, UpdatedAt: &created,
			URL: fmt.Sprintf("https://github.com/%s/issues/%d", repo, i+1)}
	}
	return out
}

// newTeamEnv stores n issues in a sample "s" (and a second sample
// "other"), adds the raters (name -> samples; "admin" is an admin) and
// serves the team's pages.
func newTeamEnv(t testing.TB, n int, raters map[string][]string) *teamEnv {
	t.Helper()
	ctx := context.Background()
	e := &teamEnv{t: t, path: filepath.Join(t.TempDir(), "team.db"), tokens: map[string]string{}}
	db, err := sqlite.Open(ctx, e.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertIssues(ctx, teamIssues("acme/engine", n), nil); err != nil {
		t.Fatal(err)
	}
	if e.tax, err = taxonomy.Builtin(taxonomy.Default); err != nil {
		t.Fatal(err)
	}
	svc := study.New(db, e.tax)
	for _, name := range []string{"s", "other"} {
		sm, err := svc.Draft(ctx, study.Design{Name: name, Size: n, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Save(ctx, sm, false); err != nil {
			t.Fatal(err)
		}
	}
	e.team = study.NewTeam(db)
	for name, samples := range raters {
		_, tok, err := e.team.Add(ctx, name, samples, name == "admin")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	e.db = db
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *teamEnv) start() {
	e.t.Helper()
	pages, err := NewTeamPages(TeamOptions{Team: study.NewTeam(e.db), Store: e.db, Resamples: -1, Draw: study.New(e.db, e.tax),
		Service: func(ctx context.Context, sample string) (*study.Service, error) {
			if _, err := e.db.GetSample(ctx, sample); err != nil {
				return nil, err
			}
			return study.New(e.db, e.tax), nil
		}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv = httptest.NewServer(secure(pages))
}

func (e *teamEnv) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
	if e.db != nil {
		e.db.Close()
		e.db = nil
	}
}

// restart stops the server and closes the database, then opens both
// again.
func (e *teamEnv) restart() {
	e.t.Helper()
	e.stop()
	db, err := sqlite.Open(context.Background(), e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.db = db
	e.start()
}

// client is a browser without one: a cookie jar, redirects not followed.
type client struct {
	e    *teamEnv
	http *http.Client
	base string
}

func (e *teamEnv) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, base: e.srv.URL, http: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) get(path string) (int, string) {
	c.e.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *client) post(path string, form url.Values) (int, string, string) {
	resp, err := c.http.PostForm(c.base+path, form)
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func (c *client) signIn(rater string) {
	c.e.t.Helper()
	tok := c.e.tokens[rater]
	if code, page := c.get("/signin/" + tok); code != 200 || !strings.Contains(page, `name="token"`) {
		c.e.t.Fatalf("sign-in page: %d", code)
	}
	if code, loc, body := c.post("/signin", url.Values{"token": {tok}}); code != http.StatusSeeOther || loc != "/team" {
		c.e.t.Fatalf("sign in %s: %d %s %s", rater, code, loc, body)
	}
}

var (
	csrfField       = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	submissionField = regexp.MustCompile(`name="submission" value="([^"]+)"`)
)

func field(re *regexp.Regexp, page string) string {
	m := re.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// form opens the annotation page of an issue and returns its CSRF token
// and submission key.
func (c *client) form(sample string, ref bugscope.IssueRef) (csrf, key string) {
	c.e.t.Helper()
	code, page := c.get(annotateAt(sample, ref, 0, nil))
	if code != 200 {
		c.e.t.Fatalf("annotate page of %s: %d\n%s", ref, code, page)
	}
	return field(csrfField, page), field(submissionField, page)
}

func (e *teamEnv) count(table string) int {
	e.t.Helper()
	_, rows, err := e.db.Rows(context.Background(), `SELECT COUNT(*) FROM `+table)
	if err != nil {
		e.t.Fatal(err)
	}
	return int(rows[0][0].(int64))
}

var kinds = []string{"feature", "question", "docs"}

func postedAnswer(csrf, key string, ref bugscope.IssueRef, kind string) url.Values {
	return url.Values{"csrf": {csrf}, "submission": {key}, "issue": {ref.String()}, "label.kind": {kind}, "confidence": {"high"}}
}

// Eight raters answer fifty issues each at once, every form sent twice at
// the same moment (a double click): every acknowledged answer is stored
// once, under its rater, with its labels; a restart of the server and the
// database loses none, and the sessions survive it.
func TestTeamConcurrentRaters(t *testing.T) {
	const nRaters, nItems = 8, 50
	raters := map[string][]string{}
	for i := range nRaters {
		raters[fmt.Sprintf("rater%d", i)] = []string{"s"}
	}
	e := newTeamEnv(t, nItems, raters)
	items, err := e.db.SampleItems(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]*client{}
	for name := range raters {
		clients[name] = e.client()
		clients[name].signIn(name)
	}
	type ack struct {
		rater string
		ref   bugscope.IssueRef
		kind  string
	}
	var mu sync.Mutex
	var acks []ack
	var wg sync.WaitGroup
	for r := range nRaters {
		name := fmt.Sprintf("rater%d", r)
		c := clients[name]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, it := range items {
				resp, err := c.http.Get(c.base + annotateAt("s", it.Issue, 0, nil))
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				csrf, key := field(csrfField, string(b)), field(submissionField, string(b))
				kind := kinds[(r+i)%len(kinds)]
				form := postedAnswer(csrf, key, it.Issue, kind)
				var twice sync.WaitGroup
				for range 2 {
					twice.Add(1)
					go func() {
						defer twice.Done()
						code, loc, body := c.post("/samples/s/annotate", form)
						if code != http.StatusSeeOther || !strings.Contains(loc, "saved=") {
							t.Errorf("%s on %s: %d %s %.300s", name, it.Issue, code, loc, body)
							return
						}
						mu.Lock()
						acks = append(acks, ack{name, it.Issue, kind})
						mu.Unlock()
					}()
				}
				twice.Wait()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if len(acks) != 2*nRaters*nItems {
		t.Fatalf("%d acknowledgements, want %d", len(acks), 2*nRaters*nItems)
	}
	check := func(when string) {
		all, err := e.db.Annotations(context.Background(), "s", study.AnnotationQuery{History: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != nRaters*nItems {
			t.Fatalf("%s: %d answers stored, want %d: one per rater and issue", when, len(all), nRaters*nItems)
		}
		got := map[string]string{}
		for _, a := range all {
			got[a.Rater+" "+a.Issue.String()] = a.Labels.One("kind")
			if a.Source != SourceWeb {
				t.Errorf("source %q", a.Source)
			}
		}
		for _, a := range acks {
			if k := got[a.rater+" "+a.ref.String()]; k != a.kind {
				t.Errorf("%s: %s on %s is %q, acknowledged %q", when, a.rater, a.ref, k, a.kind)
			}
		}
	}
	check("before the restart")
	e.restart()
	check("after the restart")
	// The sessions are in the database: a rater goes on after the restart.
	c := clients["rater0"]
	c.base = e.srv.URL
	csrf, key := c.form("s", items[0].Issue)
	if code, _, body := c.post("/samples/s/annotate", postedAnswer(csrf, key, items[0].Issue, "bug")); code != http.StatusBadRequest || !strings.Contains(body, "category") {
		t.Fatalf("a bug without its category: %d, want 400 naming what is missing", code)
	}
	form := postedAnswer(csrf, key, items[0].Issue, "docs")
	form.Set("note", "changed my mind")
	if code, _, _ := c.post("/samples/s/annotate", form); code != http.StatusSeeOther {
		t.Fatalf("after the restart: %d", code)
	}
	if n := e.count("annotations"); n != nRaters*nItems+1 {
		t.Fatalf("%d answers after one more, want %d", n, nRaters*nItems+1)
	}
}

// A POST without a session, with a forged CSRF token, on another rater's
// sample, or an admin's page by a rater, is 403 and changes nothing.
func TestTeamForbidden(t *testing.T) {
	e := newTeamEnv(t, 6, map[string][]string{"alice": {"s"}, "bob": {"other"}, "admin": nil})
	items, _ := e.db.SampleItems(context.Background(), "s")
	ref := items[0].Issue
	alice, bob, admin := e.client(), e.client(), e.client()
	alice.signIn("alice")
	bob.signIn("bob")
	admin.signIn("admin")
	csrf, key := alice.form("s", ref)
	if csrf == "" || key == "" {
		t.Fatal("no CSRF token or submission key in the form")
	}
	good := postedAnswer(csrf, key, ref, "docs")
	forged := postedAnswer(strings.Repeat("A", len(csrf)), key, ref, "docs")
	noCSRF := postedAnswer("", key, ref, "docs")
	bobCSRF, _ := bob.form("other", ref)
	anon := e.client()
	before := map[string]int{}
	tables := []string{"annotations", "arbitrations", "sessions", "raters"}
	for _, tb := range tables {
		before[tb] = e.count(tb)
	}
	cases := []struct {
		name string
		c    *client
		path string
		form url.Values
	}{
		{"no session", anon, "/samples/s/annotate", good},
		{"forged CSRF", alice, "/samples/s/annotate", forged},
		{"no CSRF", alice, "/samples/s/annotate", noCSRF},
		{"another rater's CSRF", alice, "/samples/s/annotate", postedAnswer(bobCSRF, key, ref, "docs")},
		{"another rater's sample", bob, "/samples/s/annotate", postedAnswer(bobCSRF, key, ref, "docs")},
		{"arbitrate as a rater", alice, "/samples/s/arbitrate", good},
		{"arbitrate without a session", anon, "/samples/s/arbitrate", good},
		{"sign out with a forged token", alice, "/signout", forged},
		{"admin with alice's CSRF", admin, "/samples/s/annotate", good},
	}
	for _, tc := range cases {
		code, _, body := tc.c.post(tc.path, tc.form)
		if code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403\n%.300s", tc.name, code, body)
		}
	}
	for _, tb := range tables {
		if n := e.count(tb); n != before[tb] {
			t.Errorf("%s: %d rows after refused requests, %d before", tb, n, before[tb])
		}
	}
	// Pages: a rater sees neither another's sample nor the admin's pages;
	// without a session, 401 with the way to sign in, except /team, the
	// navigation bar's entry, which explains how to sign in (200).
	for _, tc := range []struct {
		c    *client
		path string
		want int
	}{
		{anon, "/samples/s/annotate", 401}, {anon, "/team", 200}, {bob, "/samples/s/annotate", 403},
		{alice, "/samples/s/agreement", 403}, {alice, "/samples/s/arbitrate", 403}, {alice, "/samples/s/export/s.jsonl", 403},
		{admin, "/samples/s/agreement", 200}, {admin, "/samples/nope/annotate", 404}, {alice, "/samples/s/annotate", 200},
		{alice, "/samples/s", 200}, {alice, "/samples/s/", 200}, {admin, "/samples/s/", 200}, {admin, "/team", 200},
	} {
		if code, body := tc.c.get(tc.path); code != tc.want {
			t.Errorf("GET %s: %d, want %d\n%.300s", tc.path, code, tc.want, body)
		}
	}
	// A sign-in form posted from another site is refused and leaves the
	// link unused.
	_, tokAdmin, err := e.team.Add(context.Background(), "admin2", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range [][2]string{{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/signin", strings.NewReader(url.Values{"token": {tokAdmin}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(h[0], h[1])
		resp, err := anon.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("sign-in with %s: %s: %d, want 403", h[0], h[1], resp.StatusCode)
		}
	}
	e.tokens["admin2"] = tokAdmin
	e.client().signIn("admin2")
	// A used link signs no one in again; the good form still works.
	if code, _, _ := anon.post("/signin", url.Values{"token": {e.tokens["alice"]}}); code != http.StatusUnauthorized {
		t.Errorf("second use of a link: %d", code)
	}
	if code, _, _ := anon.post("/signin", url.Values{"token": {e.tokens["alice"]}}); code != http.StatusUnauthorized {
		t.Errorf("third use of a link: %d", code)
	}
	if code, _, body := alice.post("/samples/s/annotate", good); code != http.StatusSeeOther {
		t.Fatalf("the good form: %d %.300s", code, body)
	}
	// Issue text is escaped.
	_, page := alice.get(annotateAt("s", ref, 0, nil))
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Error("issue text not escaped")
	}
	// Signing out ends the session in the database.
	if code, _, _ := alice.post("/signout", url.Values{"csrf": {csrf}}); code != http.StatusOK {
		t.Errorf("sign out: %d", code)
	}
	if code, _ := alice.get("/samples/s/annotate"); code != http.StatusUnauthorized {
		t.Errorf("after signing out: %d", code)
	}
	for _, c := range []*client{alice, anon} {
		code, body := c.get("/team")
		if code != http.StatusOK || !strings.Contains(body, `id="welcome"`) || !strings.Contains(body, "bugscope rater link NAME") ||
			strings.Contains(body, "Your samples") || strings.Contains(body, "/samples/s") {
			t.Errorf("/team without a session: %d\n%.600s", code, body)
		}
	}
}

// The terminal and the browser on one sample at once: an answer given in
// the terminal shows on the rater's page, the page goes on with the next
// unanswered issue; a decision made stale by a changed answer is flagged.
func TestTeamBesideTheTerminalAndStaleDecisions(t *testing.T) {
	ctx := context.Background()
	e := newTeamEnv(t, 4, map[string][]string{"alice": {"s"}, "bob": {"s"}, "admin": nil})
	items, _ := e.db.SampleItems(ctx, "s")
	svc := study.New(e.db, e.tax)
	// alice answers the first issue in the terminal.
	if _, err := svc.Annotate(ctx, "s", "alice", []study.Answer{{Issue: items[0].Issue, Labels: bugscope.Labels{"kind": {"docs"}}}}, study.SourceTUI); err != nil {
		t.Fatal(err)
	}
	alice := e.client()
	alice.signIn("alice")
	_, page := alice.get("/samples/s/annotate")
	if !strings.Contains(page, `<span id="answered">1</span>`) || !strings.Contains(page, `name="issue" value="`+items[1].Issue.String()+`"`) {
		t.Fatalf("the page does not open the first issue the terminal left unanswered:\n%.2000s", page)
	}
	// Blind: alice never sees bob's answers.
	if _, err := svc.Annotate(ctx, "s", "bob", []study.Answer{{Issue: items[0].Issue, Labels: bugscope.Labels{"kind": {"feature"}}, Note: "bob-secret-note"}}, study.SourceTUI); err != nil {
		t.Fatal(err)
	}
	_, page = alice.get(annotateAt("s", items[0].Issue, 0, nil))
	if strings.Contains(page, "bob-secret-note") || strings.Contains(page, "bob") {
		t.Error("alice's page shows bob's answer")
	}
	if code, _ := alice.get("/samples/s/agreement"); code != http.StatusForbidden {
		t.Errorf("alice reads the agreement (every rater's answers): %d", code)
	}
	// The admin decides; alice changes her answer: the decision is stale.
	admin := e.client()
	admin.signIn("admin")
	code, page := admin.get(samplePath("s", "arbitrate", url.Values{"issue": {items[0].Issue.String()}, "take": {"bob"}}))
	if code != 200 || !strings.Contains(page, "bob-secret-note") || !strings.Contains(page, `class="disputed"`) {
		t.Fatalf("arbitration page: %d\n%.2000s", code, page)
	}
	form := url.Values{"csrf": {field(csrfField, page)}, "submission": {field(submissionField, page)}, "issue": {items[0].Issue.String()}, "label.kind": {"feature"}}
	if code, loc, body := admin.post("/samples/s/arbitrate", form); code != http.StatusSeeOther || !strings.Contains(loc, "saved=") {
		t.Fatalf("decision: %d %s %.500s", code, loc, body)
	}
	if code, _, _ := admin.post("/samples/s/arbitrate", form); code != http.StatusSeeOther {
		t.Fatalf("decision sent again: %d", code)
	}
	if n := e.count("arbitrations"); n != 1 {
		t.Fatalf("%d decisions stored, want 1 (the form was sent twice)", n)
	}
	csrf, key := alice.form("s", items[0].Issue)
	if code, _, _ := alice.post("/samples/s/annotate", postedAnswer(csrf, key, items[0].Issue, "question")); code != http.StatusSeeOther {
		t.Fatalf("alice changes her answer: %d", code)
	}
	_, page = admin.get("/samples/s/arbitrate")
	if !strings.Contains(page, `<tr class="stale">`) {
		t.Errorf("the stale decision is not flagged:\n%.3000s", page)
	}
	_, page = admin.get(samplePath("s", "arbitrate", url.Values{"issue": {items[0].Issue.String()}}))
	if !strings.Contains(page, `id="stale"`) {
		t.Errorf("the case page does not flag the stale decision")
	}
	// An export with a stale decision is refused, as the CLI's is.
	if code, body := admin.get("/samples/s/export/s.jsonl"); code != http.StatusConflict {
		t.Errorf("export with a stale decision: %d %.300s", code, body)
	}
}

// An admin adds a rater in the browser (the link is shown once and signs
// in), gives a new link, revokes; a rater may not; the classifier's
// suggestion, once looked at, is recorded with the answer.
func TestTeamManagedInTheBrowser(t *testing.T) {
	e := newTeamEnv(t, 3, map[string][]string{"alice": {"s"}, "admin": nil})
	alice, admin := e.client(), e.client()
	alice.signIn("alice")
	admin.signIn("admin")
	_, page := admin.get("/team")
	csrf := field(csrfField, page)
	_, alicePage := alice.get("/team")
	aliceCSRF := field(csrfField, alicePage)
	if code, _, _ := alice.post("/team/raters", url.Values{"csrf": {aliceCSRF}, "name": {"mallory"}, "admin": {"1"}}); code != http.StatusForbidden {
		t.Fatalf("a rater adds a rater: %d", code)
	}
	if code, _, _ := admin.post("/team/raters", url.Values{"csrf": {"forged"}, "name": {"mallory"}}); code != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", code)
	}
	code, _, page := admin.post("/team/raters", url.Values{"csrf": {csrf}, "name": {"carol"}, "sample": {"other"}})
	m := regexp.MustCompile(`<code id="link">(http://[^<]+)/signin/([^<]+)</code>`).FindStringSubmatch(page)
	if code != 200 || m == nil || m[1] != e.srv.URL {
		t.Fatalf("add carol: %d\n%.1500s", code, page)
	}
	carol := e.client()
	e.tokens["carol"] = m[2]
	carol.signIn("carol")
	if code, _ := carol.get("/samples/other/annotate"); code != 200 {
		t.Errorf("carol on her sample: %d", code)
	}
	if code, _ := carol.get("/samples/s/annotate"); code != http.StatusForbidden {
		t.Errorf("carol on another sample: %d", code)
	}
	if code, _, _ := admin.post("/team/raters/link", url.Values{"csrf": {csrf}, "name": {"carol"}}); code != 200 {
		t.Errorf("new link: %d", code)
	}
	if code, _, _ := admin.post("/team/raters/revoke", url.Values{"csrf": {csrf}, "name": {"admin"}}); code != http.StatusConflict {
		t.Errorf("an admin revoking themselves: %d", code)
	}
	if code, _, _ := admin.post("/team/raters/revoke", url.Values{"csrf": {csrf}, "name": {"carol"}}); code != http.StatusSeeOther {
		t.Errorf("revoke: %d", code)
	}
	if code, _ := carol.get("/samples/other/annotate"); code != http.StatusUnauthorized {
		t.Errorf("carol after revocation: %d", code)
	}
	// An admin draws a sample; a rater may not; bad input and a taken name
	// are refused.
	draw := url.Values{"csrf": {csrf}, "name": {"fresh"}, "state": {"closed"}, "size": {"2"}, "seed": {"5"}}
	if code, _, _ := alice.post("/team/samples", url.Values{"csrf": {aliceCSRF}, "name": {"fresh"}}); code != http.StatusForbidden {
		t.Errorf("a rater draws a sample: %d", code)
	}
	if code, loc, body := admin.post("/team/samples", draw); code != http.StatusSeeOther || loc != "/samples/fresh/" {
		t.Fatalf("draw: %d %s %.500s", code, loc, body)
	}
	fresh, err := e.db.SampleItems(context.Background(), "fresh")
	if err != nil || len(fresh) != 2 {
		t.Fatalf("fresh sample: %v %v", fresh, err)
	}
	if code, _, _ := admin.post("/team/samples", draw); code != http.StatusConflict {
		t.Errorf("a taken name: %d", code)
	}
	for _, bad := range []url.Values{{"size": {"x"}}, {"state": {"weird"}}, {"confidence": {"2"}}, {"name": {"a\tb"}}} {
		f := url.Values{"csrf": {csrf}, "name": {"other2"}}
		for k, v := range bad {
			f[k] = v
		}
		if code, _, _ := admin.post("/team/samples", f); code != http.StatusBadRequest {
			t.Errorf("draw with %v: %d, want 400", bad, code)
		}
	}
	// The suggestion, asked for, is recorded in the answer's source.
	items, _ := e.db.SampleItems(context.Background(), "s")
	ref := items[0].Issue
	_, page = alice.get(annotateAt("s", ref, 0, url.Values{"suggest": {"1"}}))
	if !strings.Contains(page, `name="suggested" value="1"`) || !strings.Contains(page, `id="suggestion"`) {
		t.Fatalf("the suggestion page:\n%.2000s", page)
	}
	form := postedAnswer(field(csrfField, page), field(submissionField, page), ref, "docs")
	form.Set("suggested", "1")
	if code, _, _ := alice.post("/samples/s/annotate", form); code != http.StatusSeeOther {
		t.Fatalf("answer after the suggestion: %d", code)
	}
	anns, _ := e.db.Annotations(context.Background(), "s", study.AnnotationQuery{Rater: "alice"})
	if len(anns) != 1 || anns[0].Source != "web+suggestion" {
		t.Fatalf("answers %+v: want one from web+suggestion", anns)
	}
}

// BenchmarkTeamAnswer: one answer through the browser's path, a POST of
// the form (session, CSRF, permission, the study's checks, one
// transaction) and the 303 to the next unanswered issue, on a sample of
// 300 issues over loopback.
func BenchmarkTeamAnswer(b *testing.B) {
	e := newTeamEnv(b, 300, map[string][]string{"alice": {"s"}})
	c := e.client()
	c.signIn("alice")
	items, _ := e.db.SampleItems(context.Background(), "s")
	csrf, _ := c.form("s", items[0].Issue)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ref := items[i%len(items)].Issue
		form := postedAnswer(csrf, fmt.Sprintf("bench-key-%012d", i), ref, kinds[i%len(kinds)])
		if code, _, body := c.post("/samples/s/annotate", form); code != http.StatusSeeOther {
			b.Fatalf("%d %.300s", code, body)
		}
	}
}

// ?half=2 shows only the second half, and the form keeps to it.
func TestTeamHalf(t *testing.T) {
	e := newTeamEnv(t, 8, map[string][]string{"alice": {"s"}})
	items, _ := e.db.SampleItems(context.Background(), "s")
	var second []bugscope.IssueRef
	for _, it := range items {
		if it.Half == 2 {
			second = append(second, it.Issue)
		}
	}
	alice := e.client()
	alice.signIn("alice")
	_, page := alice.get("/samples/s/annotate?half=2")
	if !strings.Contains(page, fmt.Sprintf("issue 1 of %d", len(second))) || !strings.Contains(page, `name="issue" value="`+second[0].String()+`"`) ||
		!strings.Contains(page, `name="half" value="2"`) {
		t.Fatalf("half 2 (%v):\n%.1500s", second, page)
	}
	form := postedAnswer(field(csrfField, page), field(submissionField, page), second[0], "docs")
	form.Set("half", "2")
	_, loc, _ := alice.post("/samples/s/annotate", form)
	if want := annotateAt("s", second[1], 2, url.Values{"saved": {second[0].String()}}); loc != want {
		t.Errorf("after an answer in half 2: %s, want %s", loc, want)
	}
}

// The agreement page follows the answers: computed again when one
// changes, kept while none does.
func TestTeamAgreementFollowsAnswers(t *testing.T) {
	ctx := context.Background()
	e := newTeamEnv(t, 4, map[string][]string{"admin": nil})
	items, _ := e.db.SampleItems(ctx, "s")
	svc := study.New(e.db, e.tax)
	for i, it := range items {
		for _, r := range []string{"a", "b"} {
			k := kinds[i%3]
			if r == "b" && i == 0 {
				k = "bug"
			}
			l := bugscope.Labels{"kind": {k}}
			if k == "bug" {
				l = bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "root_cause": {"concurrency"}, "severity": {"P1"}}
			}
			if _, err := svc.Annotate(ctx, "s", r, []study.Answer{{Issue: it.Issue, Labels: l}}, study.SourceCLI); err != nil {
				t.Fatal(err)
			}
		}
	}
	admin := e.client()
	admin.signIn("admin")
	raw := regexp.MustCompile(`<tr data-dim="kind" data-level="value"><td>kind</td><td>[^<]*</td><td>\d+</td><td>([^<]+)</td>`)
	figure := func() string {
		_, page := admin.get("/samples/s/agreement")
		m := raw.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no kind row:\n%.3000s", page)
		}
		return m[1]
	}
	if got := figure(); got != "0.750" || figure() != "0.750" {
		t.Fatalf("raw agreement on kind %q, want 0.750 (3 of 4)", got)
	}
	if _, err := svc.Annotate(ctx, "s", "b", []study.Answer{{Issue: items[0].Issue, Labels: bugscope.Labels{"kind": {kinds[0]}}}}, study.SourceCLI); err != nil {
		t.Fatal(err)
	}
	if got := figure(); got != "1.000" {
		t.Fatalf("after b changed an answer: raw %q, want 1.000", got)
	}
}
