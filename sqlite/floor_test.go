package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkDecodeInsertFloor is the floor an import is measured against
// (issue 14): the dump named by BUGSCOPE_BENCH_DUMP (a JSON array, as
// scripts/benchscale writes) decoded with encoding/json element by
// element and every issue inserted, with a prepared statement, into a
// table of the same columns in one transaction, with no checks, no hashes
// and no indexes but the key. scripts/bench-import-floor.sh runs it beside
// bugscope import of the same file.
func BenchmarkDecodeInsertFloor(b *testing.B) {
	path := os.Getenv("BUGSCOPE_BENCH_DUMP")
	if path == "" {
		b.Skip("BUGSCOPE_BENCH_DUMP names no dump")
	}
	ctx := context.Background()
	for b.Loop() {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "floor.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(`CREATE TABLE issues (id INTEGER PRIMARY KEY, repo TEXT, number INTEGER, title TEXT, body TEXT,
			labels TEXT, state TEXT, author_association TEXT, created_at TEXT, updated_at TEXT, closed_at TEXT,
			comments INTEGER, reactions INTEGER, url TEXT, UNIQUE (repo, number))`); err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		tx, _ := db.BeginTx(ctx, nil)
		ins, err := tx.Prepare(`INSERT INTO issues (repo, number, title, body, labels, state, author_association,
			created_at, updated_at, closed_at, comments, reactions, url) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			b.Fatal(err)
		}
		dec := json.NewDecoder(f)
		if _, err := dec.Token(); err != nil {
			b.Fatal(err)
		}
		n := 0
		for dec.More() {
			var is struct {
				Number            int               `json:"number"`
				Title             string            `json:"title"`
				Body              string            `json:"body"`
				Labels            []json.RawMessage `json:"labels"`
				State             string            `json:"state"`
				AuthorAssociation string            `json:"author_association"`
				CreatedAt         *string           `json:"created_at"`
				UpdatedAt         *string           `json:"updated_at"`
				ClosedAt          *string           `json:"closed_at"`
				Comments          int               `json:"comments"`
				Reactions         struct {
					Total int `json:"total_count"`
				} `json:"reactions"`
				URL string `json:"html_url"`
			}
			if err := dec.Decode(&is); err != nil {
				b.Fatal(err)
			}
			labels, _ := json.Marshal(is.Labels)
			repo := "o/r"
			if p := strings.Split(is.URL, "/"); len(p) > 4 {
				repo = p[3] + "/" + p[4]
			}
			if _, err := ins.Exec(repo, is.Number, is.Title, is.Body, string(labels), is.State, is.AuthorAssociation,
				is.CreatedAt, is.UpdatedAt, is.ClosedAt, is.Comments, is.Reactions.Total, is.URL); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		db.Close()
		b.ReportMetric(float64(n), "issues")
	}
}
