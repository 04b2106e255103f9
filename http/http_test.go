package http_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	bhttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/triage"
)

// pagePaths are every page of the fixture, with the text each must show.
var pagePaths = []struct{ path, want string }{
	{"/", "Categories of bugs"},
	{"/?repo=acme/serve", "acme/serve"},
	{"/categories", "Memory Management Issues"},
	{"/categories/memory", "Out-of-memory errors"},
	{"/categories/memory/memory.oom", "Examples"},
	{"/issues", "issues."},
	{"/issues?category=memory&sort=-comments&page=2", "page 2"},
	{"/issues/acme/infer/101", "CUDA out of memory"},
	{"/search", "Words to find"},
	{"/search?q=NCCL", "match"},
	{"/trends", "Trends"},
	{"/engines", "Engines compared"},
	{"/time-to-close", "Kaplan"},
	{"/signatures", "Error signatures"},
	{"/environments", "GPUs"},
	{"/review", "Review queue"},
	{"/triage", "Go-live check"},
}

func TestPagesAndTheirJSON(t *testing.T) {
	f := newFixture(t)
	for _, p := range pagePaths {
		resp, body := f.get(p.path, "")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d\n%s", p.path, resp.StatusCode, body)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: content type %q", p.path, ct)
		}
		if !strings.Contains(body, p.want) {
			t.Errorf("GET %s: no %q in the page", p.path, p.want)
		}
		// The same page as JSON, at /api/... and by Accept.
		api := "/api" + p.path
		if p.path == "/" {
			api = "/api/overview"
		} else if strings.HasPrefix(p.path, "/?") {
			api = "/api/overview" + p.path[1:]
		}
		for _, req := range []struct{ path, accept string }{{api, ""}, {p.path, "application/json"}} {
			resp, body := f.get(req.path, req.accept)
			var v map[string]any
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(body), &v) != nil {
				t.Errorf("GET %s (Accept %q): %d %s, not JSON: %.200s", req.path, req.accept, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/", "/issues/acme/infer/666", "/api/overview", "/static/style.css", "/nowhere", "/charts/shares.svg"} {
		resp, _ := f.get(path, "")
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: CSP %q allows inline script or more than the site", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: headers %v", path, h)
		}
	}
	resp, _ := f.get("/charts/shares.svg", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("chart: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, _ = f.get("/static/app.js", "")
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("app.js served as %q", ct)
	}
}

// The pages only read: any other method is refused, and nothing changes.
func TestReadOnlyAndBounds(t *testing.T) {
	f := newFixture(t)
	before, err := f.db.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		for _, path := range []string{"/", "/issues", "/api/issues", "/issues/acme/infer/101"} {
			req, _ := http.NewRequest(m, f.ts.URL+path, strings.NewReader("x=1"))
			resp, err := f.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 405", m, path, resp.StatusCode)
			}
		}
	}
	for _, path := range []string{"/", "/issues", "/api/overview"} {
		req, _ := http.NewRequest(http.MethodHead, f.ts.URL+path, nil)
		resp, err := f.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("HEAD %s: %d", path, resp.StatusCode)
		}
	}
	after, _ := f.db.Counts(context.Background())
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("the database changed: %v -> %v", before, after)
	}
	resp, _ := f.get("/issues?q="+strings.Repeat("a", bhttp.MaxQuery), "")
	if resp.StatusCode != http.StatusRequestURITooLong {
		t.Errorf("a long query: %d, want 414", resp.StatusCode)
	}
}

func TestErrorStatuses(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		path   string
		status int
		kind   string
	}{
		{"/issues/acme/infer/9999", 404, bugscope.ENotFound},
		{"/issues/acme/infer/x", 400, bugscope.EInvalid},
		{"/issues?state=maybe", 400, bugscope.EInvalid},
		{"/issues?category=nonsense", 400, bugscope.EInvalid},
		{"/issues?sort=sideways", 400, bugscope.EInvalid},
		{"/issues?page=0", 400, bugscope.EInvalid},
		{"/issues?since=yesterday", 400, bugscope.EInvalid},
		{"/issues?signal=nokind", 400, bugscope.EInvalid},
		{"/search?q=" + url.QueryEscape("*** ???"), 400, bugscope.EInvalid},
		{"/?repo=nobody/nothing", 404, bugscope.ENotFound},
		{"/categories/nonsense", 404, bugscope.ENotFound},
		{"/nowhere", 404, bugscope.ENotFound},
	} {
		api := "/api" + c.path
		if strings.HasPrefix(c.path, "/?") { // the overview's JSON is /api/overview; /api/ lists the routes
			api = "/api/overview" + c.path[1:]
		}
		resp, body := f.get(api, "")
		var e struct {
			Error, Kind string
			Status      int
		}
		if resp.StatusCode != c.status || json.Unmarshal([]byte(body), &e) != nil || e.Kind != c.kind || e.Status != c.status || e.Error == "" {
			t.Errorf("GET %s: %d %s, want %d of kind %s", api, resp.StatusCode, body, c.status, c.kind)
		}
		if resp, body := f.get(c.path, ""); resp.StatusCode != c.status || !strings.Contains(body, "<h1>") {
			t.Errorf("GET %s: %d, want %d with an error page", c.path, resp.StatusCode, c.status)
		}
	}
	for err, want := range map[error]int{
		bugscope.Errorf(bugscope.EConflict, "x"):     409,
		bugscope.Errorf(bugscope.EUnavailable, "x"):  503,
		bugscope.Errorf(bugscope.EUnauthorized, "x"): 401,
		bugscope.Errorf(bugscope.EForbidden, "x"):    403,
		errors.New("plain"):                          500,
		fmt.Errorf("wrapped: %w", os.ErrNotExist):    404,
		context.Canceled:                             499,
	} {
		if got := bhttp.StatusOf(err); got != want {
			t.Errorf("StatusOf(%v) = %d, want %d", err, got, want)
		}
	}
}

// The list behind a bar has as many issues as the bar counts, and its
// filters, sorting and paging hold.
func TestIssueListFiltersAndPaging(t *testing.T) {
	f := newFixture(t)
	var ov bhttp.Overview
	f.getJSON("/overview", &ov)
	if len(ov.Categories) == 0 {
		t.Fatal("no categories")
	}
	for _, c := range ov.Categories {
		var list bhttp.IssuesPage
		f.getJSON("/issues?category="+c.ID, &list)
		if list.Total != c.Count.Count {
			t.Errorf("category %s: %d issues listed, the report counts %d", c.ID, list.Total, c.Count.Count)
		}
		for _, sc := range c.Subcategories {
			f.getJSON("/issues?category="+sc.ID, &list)
			if list.Total != sc.Count.Count {
				t.Errorf("subcategory %s: %d issues listed, the report counts %d", sc.ID, list.Total, sc.Count.Count)
			}
			for _, r := range list.Rows {
				if r.Labels.One("category") != sc.ID {
					t.Errorf("subcategory %s lists %s#%d of %v", sc.ID, r.Issue.Repo, r.Issue.Number, r.Labels)
				}
			}
		}
	}
	// Paging: pages of 10 cover every issue once, in order.
	var all []string
	pages := 0
	for pg := 1; ; pg++ {
		var list bhttp.IssuesPage
		f.getJSON(fmt.Sprintf("/issues?sort=number&page=%d", pg), &list)
		pages = list.Pages
		for _, r := range list.Rows {
			all = append(all, fmt.Sprintf("%s#%04d", r.Issue.Repo, r.Issue.Number))
		}
		if len(list.Rows) == 0 || pg >= list.Pages {
			if list.Total != len(all) {
				t.Fatalf("paging gave %d issues, total %d", len(all), list.Total)
			}
			break
		}
		if len(list.Rows) != 10 {
			t.Fatalf("page %d has %d rows", pg, len(list.Rows))
		}
	}
	if pages != 5 || len(all) != ov.Totals.Issues {
		t.Errorf("%d pages, %d issues; report %d", pages, len(all), ov.Totals.Issues)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1] >= all[i] {
			t.Fatalf("not in order or repeated: %s then %s", all[i-1], all[i])
		}
	}
	// Filters combine: engine, state, period, label, confidence, signal.
	check := func(q string, ok func(r bugscope.IssueRow) bool) {
		t.Helper()
		var list bhttp.IssuesPage
		f.getJSON("/issues?"+q+"&sort=-comments", &list)
		if list.Total == 0 {
			t.Errorf("%s: nothing listed", q)
		}
		for i, r := range list.Rows {
			if !ok(r.IssueRow) {
				t.Errorf("%s: %s#%d does not fit (%+v)", q, r.Issue.Repo, r.Issue.Number, r)
			}
			if i > 0 && list.Rows[i-1].Issue.Comments < r.Issue.Comments {
				t.Errorf("%s: not sorted by comments", q)
			}
		}
	}
	check("repo=acme/serve&state=open", func(r bugscope.IssueRow) bool { return r.Issue.Repo == "acme/serve" && r.Issue.State == "open" })
	check("since=2024-03-01&until=2024-06-01", func(r bugscope.IssueRow) bool {
		return !r.Issue.CreatedAt.Before(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) && r.Issue.CreatedAt.Before(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	})
	check("label=performance", func(r bugscope.IssueRow) bool {
		return strings.Contains(strings.Join(r.Issue.Labels, ","), "performance")
	})
	check("kind=feature&confidence=high", func(r bugscope.IssueRow) bool { return r.Labels.One("kind") == "feature" && r.Confidence >= 0.7 })
	check("signal=gpu:H100", func(r bugscope.IssueRow) bool { return strings.Contains(r.Issue.Title, "memory") })
	check("classifier=rules&severity=P1", func(r bugscope.IssueRow) bool { return r.Classifier == "rules" && r.Labels.One("severity") == "P1" })
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	var list bhttp.IssuesPage
	f.getJSON("/search?q=nccl+timeout", &list)
	if list.Total != 4 {
		t.Fatalf("nccl timeout: %d results, want 4: %+v", list.Total, list.Rows)
	}
	for _, r := range list.Rows {
		if !strings.Contains(r.Issue.Title, "NCCL timeout") {
			t.Errorf("result %s", r.Issue.Title)
		}
		marked := ""
		for _, s := range r.Passage {
			if s.Match {
				marked += s.Text + "|"
			}
		}
		if !strings.Contains(marked, "NCCL") {
			t.Errorf("passage of %d marks %q: %+v", r.Issue.Number, marked, r.Passage)
		}
	}
	// FTS5 syntax in the text is searched as words, not run.
	f.getJSON("/search?q="+url.QueryEscape(`title:"nccl" OR NEAR(x)`), &list)
	if list.Total != 0 {
		t.Errorf("query syntax matched %d", list.Total)
	}
	// Prefix words; ranked with the title first.
	f.getJSON("/search?q=tokeniz*", &list)
	if list.Total != 4 || !strings.Contains(list.Rows[0].Issue.Title, "tokenizer") {
		t.Errorf("tokeniz*: %d, %+v", list.Total, list.Rows)
	}
	// An issue imported while serving is found once the index catches up.
	extra := `[{"number": 900, "title": "Zebrafish kernel panics", "body": "quagga", "repository_url": "https://api.github.com/repos/acme/infer", "state": "open", "created_at": "2024-05-01T00:00:00Z"}]`
	path := t.TempDir() + "/extra.json"
	os.WriteFile(path, []byte(extra), 0o644)
	if _, err := pipeline.Import(context.Background(), f.db, []string{path}, pipeline.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	f.getJSON("/search?q=quagga&classifier=", &list)
	if list.Total != 0 {
		t.Errorf("an unclassified issue is listed: %+v", list.Rows)
	}
}

// A change of the database shows: the stale report is served while the
// new one is built, then the new one.
func TestReportFollowsTheDatabase(t *testing.T) {
	f := newFixture(t)
	var ov bhttp.Overview
	f.getJSON("/overview", &ov)
	before := ov.Totals.Issues
	db2, tax := f.db, f.tax
	extra := `[{"number": 901, "title": "[Bug]: CUDA out of memory again", "body": "torch.OutOfMemoryError: CUDA out of memory", "repository_url": "https://api.github.com/repos/acme/infer", "state": "open", "created_at": "2024-05-01T00:00:00Z"}]`
	path := t.TempDir() + "/extra.json"
	os.WriteFile(path, []byte(extra), 0o644)
	ctx := context.Background()
	if _, err := pipeline.Import(ctx, db2, []string{path}, pipeline.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	rules := mustRules(t, tax)
	if _, err := pipeline.Classify(ctx, db2, tax, rules, pipeline.ClassifyOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, body := f.get("/api/overview", "")
		if err := json.Unmarshal([]byte(body), &ov); err != nil {
			t.Fatal(err)
		}
		stale := resp.Header.Get("X-Bugscope-Stale") == "true"
		if ov.Totals.Issues == before+1 && !stale {
			break
		}
		if ov.Totals.Issues != before || !stale || time.Now().After(deadline) {
			t.Fatalf("issues %d (stale %v), want %d while stale, then %d", ov.Totals.Issues, stale, before, before+1)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, body := f.get("/", ""); strings.Contains(body, `id="stale"`) {
		t.Error("a current page says it is stale")
	}
}

// An issue page shows every classifier's labels and the hand labels of
// the samples it is in: each rater's latest answer and the final decision.
func TestIssuePageHandLabels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ref := bugscope.IssueRef{Repo: "acme/infer", Number: 101}
	other := bugscope.IssueRef{Repo: "acme/infer", Number: 102}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	err := f.db.CreateSample(ctx, study.Sample{Name: "s1", Taxonomy: f.tax.Name, TaxonomyVersion: f.tax.Version, Method: "explicit", CreatedAt: now,
		Items: []study.SampleItem{{Issue: ref, Stratum: "acme/infer", Position: 1, StratumPosition: 1, Half: 1},
			{Issue: other, Stratum: "acme/infer", Position: 2, StratumPosition: 2, Half: 1}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	oom := bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}}
	if _, err := f.db.SaveAnnotations(ctx, "s1", []study.Annotation{
		{Issue: ref, Rater: "ann", Labels: bugscope.Labels{"kind": {"question"}}, CreatedAt: now},
		{Issue: ref, Rater: "ann", Labels: oom, CreatedAt: now.Add(time.Hour)}, // her latest answer
		{Issue: ref, Rater: "bob", ExcludeReason: "not an issue", CreatedAt: now},
		{Issue: other, Rater: "ann", Labels: bugscope.Labels{"kind": {"feature"}}, CreatedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SaveArbitrations(ctx, "s1", []study.Arbitration{{Issue: ref, Arbitrator: "carl", Labels: oom, CreatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	var p bhttp.IssuePage
	f.getJSON("/issues/acme/infer/101", &p)
	var got []string
	for _, h := range p.HandLabels {
		got = append(got, fmt.Sprintf("%s %s final=%v %s %s", h.Sample, h.Who, h.Final, strings.Join(h.Labels["category"], ","), h.Excluded))
	}
	want := []string{"s1 ann final=false memory.oom ", "s1 bob final=false  not an issue", "s1 carl final=true memory.oom "}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("hand labels %q, want %q", got, want)
	}
	if len(p.Classifications) != 1 || p.Classifications[0].Classifier != "rules" || p.GitHubURL != "https://github.com/acme/infer/issues/101" {
		t.Errorf("classifications %+v, link %s", p.Classifications, p.GitHubURL)
	}
	// The page searches as triage does, looking at later issues too (101
	// is the repository's first issue: triage would find none for it).
	if len(p.Similar) == 0 || !strings.HasPrefix(p.Similar[0].Reason, "error signature: ") {
		t.Errorf("similar %+v", p.Similar)
	}
	ri, err := triage.LoadRepoIndex(ctx, f.db, ref.Repo)
	if err != nil {
		t.Fatal(err)
	}
	target := triage.CandidateOf(p.Issue, p.Signals)
	if back := ri.Similar(target, bhttp.MaxSimilar); len(back) != 0 {
		t.Errorf("looking back from the first issue found %+v", back)
	}
	target.CreatedAt = nil
	if want := ri.Similar(target, bhttp.MaxSimilar); !reflect.DeepEqual(p.Similar, want) {
		t.Errorf("the page's similar issues\n%+v\nare not triage's\n%+v", p.Similar, want)
	}
	later := false
	for _, s := range p.Similar {
		if s.Issue == ref {
			t.Error("the issue is similar to itself")
		}
		later = later || s.Issue.Number == 113 // opened after 101, the same title and signature
	}
	if !later {
		t.Errorf("similar %+v lacks the later #113", p.Similar)
	}
	_, body := f.get("/issues/acme/infer/101", "")
	for _, w := range []string{"final: carl (s1)", "ann (s1)", "left out (not an issue)", "<mark title="} {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
}

// /api/ lists the API's routes (the README says so), and the overview is
// at /api/overview.
func TestAPIIndexListsRoutes(t *testing.T) {
	f := newFixture(t)
	resp, body := f.get("/api/", "")
	if resp.StatusCode != 200 || !strings.Contains(body, "/api/overview") || !strings.Contains(body, "/api/issues") {
		t.Fatalf("/api/: %d %.300s", resp.StatusCode, body)
	}
}

// The team's pages mounted on the dashboard (TeamPages.MountOn, a router
// per prefix) answer every path under their prefixes, the team's own
// "not found" included, and nothing beside them.
func TestTeamPagesMounted(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		path   string
		status int
		team   bool // answered by the team's pages
	}{
		{"/team", 200, true}, // the welcome page
		{"/team/", 200, true},
		{"/team/static/team.css", 200, false}, // a file: no page layout
		{"/team/nope", 404, true},
		{"/signin/not-a-token", 200, true}, // the sign-in form
		{"/signin/a/b", 404, true},
		{"/samples/s1/annotate", 401, true},
		{"/samples/s1/nope", 404, true},
		{"/samples", 404, true},
		{"/teams", 404, false},
		{"/nowhere", 404, false},
	} {
		resp, body := f.get(c.path, "")
		if resp.StatusCode != c.status {
			t.Errorf("GET %s: %d, want %d\n%.300s", c.path, resp.StatusCode, c.status, body)
		}
		if team := strings.Contains(body, "· bugscope study</title>"); team != c.team {
			t.Errorf("GET %s: answered by the team's pages %v, want %v", c.path, team, c.team)
		}
	}
	if _, body := f.get("/team/static/team.css", ""); !strings.Contains(body, "{") {
		t.Errorf("team.css: %.100s", body)
	}
}

// The review queue pages through all its issues: the pages beyond the
// items kept whole are built when asked, and equal those of a server that
// keeps every item.
func TestReviewPagesBeyondTheKeptItems(t *testing.T) {
	db, tax := fixtureDB(t, t.TempDir())
	server := func(kept int) http.Handler {
		return serverWith(t, db, tax, func(o *bhttp.Options) { o.PageSize, o.ReviewKept = 10, kept })
	}
	get := func(h http.Handler, path string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	queue, _, err := pipeline.ReviewQueue(context.Background(), db, tax, bugscope.IssueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	few, all := server(15), server(1000)
	var order []string
	for pg := 1; ; pg++ {
		path := fmt.Sprintf("/api/review?page=%d", pg)
		body := get(few, path)
		if want := get(all, path); body != want {
			t.Fatalf("page %d differs from a server that keeps every item:\n%.400s\nwant\n%.400s", pg, body, want)
		}
		var p struct {
			Issues, Pages int
			Items         []struct{ Issue string }
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		if p.Issues != len(queue) || p.Pages != (len(queue)+9)/10 {
			t.Fatalf("page %d: %d issues in %d pages, want %d", pg, p.Issues, p.Pages, len(queue))
		}
		for _, it := range p.Items {
			order = append(order, it.Issue)
		}
		if pg >= p.Pages {
			break
		}
	}
	var want []string
	for _, it := range queue {
		want = append(want, it.Issue)
	}
	if !slices.Equal(order, want) {
		t.Errorf("the pages' issues\n%q\nare not the queue's\n%q", order, want)
	}
	if len(queue) <= 30 {
		t.Fatalf("a queue of %d issues: too short to page beyond the 15 kept", len(queue))
	}
	// the page past the last is empty
	if body := get(few, "/api/review?page=99"); !strings.Contains(body, `"items": []`) {
		t.Errorf("page 99: %.200s", body)
	}
}

// The issue page shows the stored comments as sanitised Markdown: a
// stranger's script, event handler or javascript: link is inert, and the
// count and each comment's size are bounded.
func TestIssuePageComments(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ref := bugscope.IssueRef{Repo: "acme/infer", Number: 101}
	xss := "**bold** `code` [click](javascript:alert(3))\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n<a href=\"javascript:alert(4)\">x</a> ![i](https://evil.example/t.png)"
	long := strings.Repeat("a line of a very long comment\n", 40<<10/30)
	var cs []bugscope.Comment
	for i := range bhttp.MaxComments + 5 {
		at := time.Date(2024, 1, 2, 0, 0, i, 0, time.UTC)
		c := bugscope.Comment{Repo: ref.Repo, IssueNumber: ref.Number, ID: int64(1000 + i), Author: "user" + fmt.Sprint(i), Body: fmt.Sprintf("comment %d", i), CreatedAt: &at, UpdatedAt: &at}
		switch i {
		case 0:
			c.Author, c.Body = "<b>mallory</b>", xss
		case 1:
			c.Body = long
		}
		cs = append(cs, c)
	}
	if _, err := f.db.SaveCommentPage(ctx, ref.Repo, cs, func(map[int64]time.Time) (bugscope.SyncState, error) {
		return bugscope.SyncState{Repo: ref.Repo, Resource: "comments"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	_, body := f.get("/issues/acme/infer/101", "")
	for _, w := range []string{"<strong>bold</strong>", "<code>code</code>", "&lt;script&gt;alert(1)", "&lt;b&gt;mallory&lt;/b&gt;", "The comment is longer than the part shown.",
		fmt.Sprintf("The first %d comments are shown; more are stored.", bhttp.MaxComments), "comment 49"} {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	for _, w := range []string{"<script>alert", "<img", `href="javascript:`, "<b>mallory", "comment 50"} {
		if strings.Contains(body, w) {
			t.Errorf("the page has %q", w)
		}
	}
	if len(body) > 200<<10 {
		t.Errorf("the page is %d bytes: comments unbounded", len(body))
	}
	var p bhttp.IssuePage
	f.getJSON("/issues/acme/infer/101", &p)
	if len(p.Comments) != bhttp.MaxComments || !p.MoreComments || p.Comments[0].Body != xss || p.Comments[0].Author != "<b>mallory</b>" {
		t.Errorf("JSON: %d comments, more %v, first %+v", len(p.Comments), p.MoreComments, p.Comments[0])
	}
	// none stored: the page says how many GitHub counts
	var other bhttp.IssuePage
	f.getJSON("/issues/acme/infer/102", &other)
	_, body = f.get("/issues/acme/infer/102", "")
	if len(other.Comments) != 0 || other.Issue.Comments > 0 && !strings.Contains(body, "is stored (bugscope sync --comments stores them)") {
		t.Errorf("an issue without stored comments: %d in JSON, %d on GitHub", len(other.Comments), other.Issue.Comments)
	}
}
