package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	bhttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/review"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// fixedNow is the clock of the reports the tests build.
var fixedNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// fixture is a database of testdata/issues.json classified by the rules,
// and a server over it.
type fixture struct {
	t   *testing.T
	db  *sqlite.DB
	tax *taxonomy.Taxonomy
	srv *bhttp.Server
	ts  *httptest.Server
}

// fixtureDB imports files into a new database in dir and classifies them
// with the built-in rules.
func fixtureDB(tb testing.TB, dir string, files ...string) (*sqlite.DB, *taxonomy.Taxonomy) {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "bugscope.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		files = []string{"testdata/issues.json"}
	}
	if _, err := pipeline.Import(ctx, db, files, pipeline.ImportOptions{}); err != nil {
		tb.Fatal(err)
	}
	if _, err := pipeline.Classify(ctx, db, tax, mustRules(tb, tax), pipeline.ClassifyOptions{}); err != nil {
		tb.Fatal(err)
	}
	return db, tax
}

// serverOver is a dashboard over db as bugscope serve wires it.
func serverOver(tb testing.TB, db *sqlite.DB, tax *taxonomy.Taxonomy, pageSize int) *bhttp.Server {
	tb.Helper()
	return serverWith(tb, db, tax, func(o *bhttp.Options) { o.PageSize = pageSize })
}

// serverWith is serverOver with options set by set.
func serverWith(tb testing.TB, db *sqlite.DB, tax *taxonomy.Taxonomy, set func(*bhttp.Options)) *bhttp.Server {
	tb.Helper()
	opt := bhttp.Options{
		Store: db, Taxonomy: tax,
		Report: func(ctx context.Context, f bugscope.IssueFilter) (*report.Report, error) {
			return pipeline.BuildReport(ctx, db, tax, pipeline.ReportOptions{Filter: f, Now: fixedNow})
		},
		Review: func(ctx context.Context, f bugscope.IssueFilter) ([]review.Item, string, error) {
			return pipeline.ReviewQueue(ctx, db, tax, f)
		},
		ReviewItems: func(ctx context.Context, final string, refs []bugscope.IssueRef) ([]review.Item, error) {
			return pipeline.ReviewItems(ctx, db, tax, final, refs)
		},
	}
	set(&opt)
	srv, err := bhttp.New(opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Close)
	return srv
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, tax := fixtureDB(t, t.TempDir())
	srv := serverOver(t, db, tax, 10)
	// As bugscope serve mounts them: the triage page and the study
	// team's pages, which the navigation bar links to.
	srv.MountTriage(db, nil)
	team, err := bhttp.NewTeamPages(bhttp.TeamOptions{Team: study.NewTeam(db), Store: db,
		Service: func(context.Context, string) (*study.Service, error) { return study.New(db, tax), nil }})
	if err != nil {
		t.Fatal(err)
	}
	team.MountOn(srv)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &fixture{t: t, db: db, tax: tax, srv: srv, ts: ts}
}

// get fetches path with the Accept header and returns the response with
// its body read.
func (f *fixture) get(path, accept string) (*http.Response, string) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, string(b)
}

// getJSON fetches /api/ + path and decodes it into v, failing on a status
// other than 200.
func (f *fixture) getJSON(path string, v any) {
	f.t.Helper()
	resp, body := f.get("/api"+path, "")
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET /api%s: %d %s", path, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		f.t.Fatalf("GET /api%s: content type %q", path, ct)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		f.t.Fatalf("GET /api%s: %v\n%s", path, err, body)
	}
}

func mustRules(tb testing.TB, tax *taxonomy.Taxonomy) bugscope.Classifier {
	tb.Helper()
	r, err := classify.BuiltinRules(tax)
	if err != nil {
		tb.Fatal(err)
	}
	return classify.New(r)
}
