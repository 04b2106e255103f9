package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
)

// searchIDs returns the numbers of the issues the full-text index finds
// for a query.
func searchIDs(t testing.TB, db *DB, q string) []int {
	t.Helper()
	match, err := FTSQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.db.Query(`SELECT i.number FROM issues_fts f JOIN issues i ON i.id = f.rowid WHERE issues_fts MATCH ? ORDER BY i.number`, match)
	ns, err := collect(rows, err, func(r *sql.Rows) (int, error) {
		var n int
		return n, r.Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestRefreshSearchIsIncremental(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := mk("a/b", 1, "CUDA out of memory", "2024-01-01T00:00:00Z")
	b := mk("a/b", 2, "NCCL timeout", "2024-01-01T00:00:00Z")
	b.Body = "the workers hang"
	upsert(t, db, a, b)
	v0, _ := db.DataVersion(ctx)
	st, err := db.RefreshSearch(ctx)
	if err != nil || st.Indexed != 2 || st.Total != 2 {
		t.Fatalf("first refresh: %+v %v", st, err)
	}
	if v, _ := db.DataVersion(ctx); v != v0 {
		t.Errorf("the index's own upkeep changed the data version %d -> %d", v0, v)
	}
	if got := searchIDs(t, db, "hang"); len(got) != 1 || got[0] != 2 {
		t.Errorf("hang: %v", got)
	}
	// Nothing changed: nothing to do.
	if st, _ := db.RefreshSearch(ctx); st.Indexed != 0 || st.Removed != 0 {
		t.Errorf("second refresh: %+v", st)
	}
	// A changed issue is indexed again; its old words are gone.
	b2 := mk("a/b", 2, "NCCL timeout", "2024-02-01T00:00:00Z")
	b2.Body = "the workers deadlock"
	upsert(t, db, b2)
	if st, _ := db.RefreshSearch(ctx); st.Indexed != 1 || st.Removed != 1 || st.Total != 2 {
		t.Errorf("after a change: %+v", st)
	}
	if got := searchIDs(t, db, "hang"); len(got) != 0 {
		t.Errorf("hang after the change: %v", got)
	}
	if got := searchIDs(t, db, "deadlock"); len(got) != 1 {
		t.Errorf("deadlock: %v", got)
	}
	if got := searchIDs(t, db, "cud*"); len(got) != 1 || got[0] != 1 {
		t.Errorf("prefix: %v", got)
	}
}

func TestFTSQuery(t *testing.T) {
	for in, want := range map[string]string{
		"cuda out of memory":     `"cuda" "out" "of" "memory"`,
		`title:x OR "y" NEAR(z)`: `"title" "x" "or" "y" "near" "z"`,
		"tokeniz* NCCL_DEBUG":    `"tokeniz"* "nccl debug"`,
		"Ünïcode":                `"ünïcode"`,
		"a a A":                  `"a"`,
	} {
		got, err := FTSQuery(in)
		if err != nil || got != want {
			t.Errorf("FTSQuery(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "*** ---", "a b c d e f g h i j k l m", strings.Repeat("x", MaxQueryBytes+1)} {
		if _, err := FTSQuery(in); bugscope.ErrorCode(err) != bugscope.EInvalid {
			t.Errorf("FTSQuery(%.30q): %v, want an invalid-input error", in, err)
		}
	}
}

// Whatever a person types, the query FTS5 gets is valid: it never fails
// with a syntax error.
func FuzzFTSQuery(f *testing.F) {
	db, err := Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{"cuda oom", `"unterminated`, "a OR b", "NEAR(a b)", "col:x", "x*", "-x", "^x", "a AND NOT b", "(", "*", "\x00", "ß_ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := FTSQuery(s)
		if err != nil {
			if bugscope.ErrorCode(err) != bugscope.EInvalid {
				t.Fatalf("FTSQuery(%q): %v", s, err)
			}
			return
		}
		var n int
		if err := db.db.QueryRow(`SELECT COUNT(*) FROM issues_fts WHERE issues_fts MATCH ?`, q).Scan(&n); err != nil {
			t.Fatalf("FTSQuery(%q) = %s: FTS5 refuses it: %v", s, q, err)
		}
	})
}
