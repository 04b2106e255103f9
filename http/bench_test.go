package http_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	bhttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/internal/testshared"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

// benchPages are the pages the benchmark times: every page, a list with
// filters, a deep page, search.
var benchPages = []struct{ name, path string }{
	{"overview", "/"},
	{"overview-json", "/api/overview"},
	{"categories", "/categories"},
	{"category", "/categories/memory"},
	{"subcategory", "/categories/memory/memory.oom"},
	{"issues", "/issues"},
	{"issues-filtered", "/issues?category=memory&state=closed&sort=-comments"},
	{"issues-page-20", "/issues?sort=number&page=20"},
	{"issue", ""}, // the first issue of the list
	{"search", "/search?q=cuda+out+of+memory"},
	{"search-rare", "/search?q=nccl+timeout&repo=acme/serve"},
	{"trends", "/trends"},
	{"engines", "/engines"},
	{"time-to-close", "/time-to-close"},
	{"signatures", "/signatures"},
	{"environments", "/environments"},
	{"review", "/review"},
	{"review-page-60", "/review?page=60"}, // beyond the items kept whole
	{"chart", "/charts/shares.svg"},
}

// BenchmarkPages measures every page's server time (handler to last
// byte, no network) once its figures are cached, on the real 4,019
// issues (../shared, when present) and on synthetic databases of 4,019
// and 100,000 issues made from the test fixtures (cached under the user's
// cache folder, so that reruns start at once). scripts/bench-serve.sh runs
// it and prints medians.
func BenchmarkPages(b *testing.B) {
	sizes := []struct {
		name string
		open func(b *testing.B) (*sqlite.DB, *taxonomy.Taxonomy)
	}{
		{"real4019", realDB},
		{"synthetic4019", func(b *testing.B) (*sqlite.DB, *taxonomy.Taxonomy) { return syntheticDB(b, 4019) }},
		{"synthetic100k", func(b *testing.B) (*sqlite.DB, *taxonomy.Taxonomy) { return syntheticDB(b, 100_000) }},
	}
	for _, size := range sizes {
		b.Run(size.name, func(b *testing.B) {
			db, tax := size.open(b)
			srv := serverOver(b, db, tax, bhttp.PageSize)
			// Cold: the first overview builds the report and its charts;
			// the first search builds the index when it is not current.
			t0 := time.Now()
			serve(b, srv, "/")
			cold := time.Since(t0)
			t0 = time.Now()
			serve(b, srv, "/search?q=warm")
			index := time.Since(t0)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.Logf("%s: cold overview %v, issue lists and search index %v, heap in use after %.0f MiB", size.name,
				cold.Round(time.Millisecond), index.Round(time.Millisecond), float64(ms.HeapInuse)/(1<<20))
			var first bhttp.IssuesPage
			if err := json.Unmarshal(serve(b, srv, "/api/issues"), &first); err != nil || len(first.Rows) == 0 {
				b.Fatalf("no issues: %v", err)
			}
			is := first.Rows[0].Issue
			for _, p := range benchPages {
				path := p.path
				if path == "" {
					path = fmt.Sprintf("/issues/%s/%d", is.Repo, is.Number)
				}
				serve(b, srv, path) // warm the caches of this page
				b.Run(p.name, func(b *testing.B) {
					for b.Loop() {
						serve(b, srv, path)
					}
				})
			}
		})
	}
}

// serve runs one request through the handler and returns the body.
func serve(b *testing.B, h http.Handler, path string) []byte {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// realDB is the real issues, classified, in a database cached beside the
// synthetic ones; skipped without ../shared.
func realDB(b *testing.B) (*sqlite.DB, *taxonomy.Taxonomy) {
	files := testshared.DataFiles(b)
	return cachedDB(b, "real", files, func(dir string) {
		db, _ := fixtureDB(b, dir, files...)
		db.Close()
	})
}

// syntheticDB is a database of n issues made from the fixtures: their
// titles and bodies with words of the other fixtures mixed in, spread over
// three engines and three years, classified by the rules.
func syntheticDB(b *testing.B, n int) (*sqlite.DB, *taxonomy.Taxonomy) {
	return cachedDB(b, fmt.Sprintf("synthetic-%d", n), []string{"testdata/issues.json"}, func(dir string) {
		raw, err := os.ReadFile("testdata/issues.json")
		if err != nil {
			b.Fatal(err)
		}
		var fx []struct {
			Title, Body string
			Labels      []string
		}
		if err := json.Unmarshal(raw, &fx); err != nil {
			b.Fatal(err)
		}
		var words []string
		for _, f := range fx {
			words = append(words, strings.Fields(f.Title+" "+f.Body)...)
		}
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		repos := []string{"acme/infer", "acme/serve", "acme/engine"}
		start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
		issues := make([]bugscope.Issue, 0, n)
		for i := 0; i < n; i++ {
			f := fx[rng.IntN(len(fx))]
			var extra strings.Builder
			for range 20 + rng.IntN(80) {
				extra.WriteString(words[rng.IntN(len(words))])
				extra.WriteByte(' ')
			}
			created := start.Add(time.Duration(rng.IntN(3*365*24)) * time.Hour)
			updated := created.Add(time.Duration(rng.IntN(90*24)) * time.Hour)
			is := bugscope.Issue{Repo: repos[i%len(repos)], Number: i/len(repos) + 1,
				Title: f.Title + " " + words[rng.IntN(len(words))], Body: f.Body + "\n\n" + extra.String(),
				Labels: f.Labels, State: "open", CreatedAt: &created, UpdatedAt: &updated,
				Comments: rng.IntN(30), Reactions: rng.IntN(10), AuthorAssociation: "NONE"}
			if rng.IntN(3) > 0 {
				closed := updated
				is.State, is.ClosedAt = "closed", &closed
			}
			issues = append(issues, is)
		}
		ctx := context.Background()
		db, err := sqlite.Open(ctx, filepath.Join(dir, "bugscope.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		for i := 0; i < len(issues); i += 5000 {
			if _, err := db.UpsertIssues(ctx, issues[i:min(i+5000, len(issues))], nil); err != nil {
				b.Fatal(err)
			}
		}
		tax, _ := taxonomy.Builtin(taxonomy.Default)
		if _, err := pipeline.Classify(ctx, db, tax, mustRules(b, tax), pipeline.ClassifyOptions{}); err != nil {
			b.Fatal(err)
		}
	})
}

// cachedDB opens the database make builds in a folder of the user's cache,
// named after what it is made of: the inputs' contents, the migrations and
// the rules' version, so that a change of any makes a new one.
func cachedDB(b *testing.B, name string, inputs []string, make func(dir string)) (*sqlite.DB, *taxonomy.Taxonomy) {
	tax, err := taxonomy.Builtin(taxonomy.Default)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", mustRules(b, tax).Version())
	migrations, _ := filepath.Glob("../sqlite/migrations/*.sql")
	for _, in := range append(migrations, inputs...) {
		data, err := os.ReadFile(in)
		if err != nil {
			b.Fatal(err)
		}
		h.Write(data)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "bugscope-bench", name+"-"+hex.EncodeToString(h.Sum(nil))[:12])
	if _, err := os.Stat(filepath.Join(dir, "ready")); err != nil {
		// Databases of older inputs are of no more use.
		old, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), name+"-*"))
		for _, o := range old {
			os.RemoveAll(o)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		make(dir)
		os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644)
		b.Logf("built %s in %v", dir, time.Since(t0).Round(time.Second))
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "bugscope.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, tax
}
