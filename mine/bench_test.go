package mine

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/github/githubtest"
	"github.com/bugscope/bugscope/sqlite"
)

// BenchmarkFirstSync measures a first sync of 2,500 issues and 300 pull
// requests from the fake GitHub on loopback into a fresh database: the
// engine's own cost (decoding, storing, one transaction per page), not
// GitHub's latency.
func BenchmarkFirstSync(b *testing.B) {
	clock := githubtest.NewClock(epoch)
	srv := githubtest.New(clock)
	defer srv.Close()
	srv.Generate("bench/engine", githubtest.Spec{Issues: 2500, Pulls: 300, Comments: 500, Seed: 1})
	for i := 0; b.Loop(); i++ {
		db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		c, _ := github.New(github.Options{Token: "t", BaseURL: srv.URL, Clock: clock})
		if _, err := Sync(context.Background(), db, c, Options{Repos: []string{"bench/engine"}, Comments: true}); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
