package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// triage --new takes the issues stored since its last run, to the
// millisecond: an issue stored earlier in the same second as the run is
// not taken again, one stored later in that second is; rows an earlier
// version stamped in whole seconds compare by their second.
func TestIssuesChangedSinceWithinASecond(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	at := time.Date(2026, 3, 1, 12, 0, 7, 0, time.UTC)
	db.SetClock(func() time.Time { return at.Add(100 * time.Millisecond) })
	upsert(t, db, mk("a/b", 1, "stored before the run", "2024-01-02T00:00:00Z"))
	run := at.Add(500 * time.Millisecond)
	db.SetClock(func() time.Time { return at.Add(900 * time.Millisecond) })
	upsert(t, db, mk("a/b", 2, "stored after the run", "2024-01-02T00:00:00Z"))
	// Written by an earlier version: whole seconds.
	upsert(t, db, mk("a/b", 3, "old stamp, a second later", "2024-01-02T00:00:00Z"))
	upsert(t, db, mk("a/b", 4, "old stamp, a second earlier", "2024-01-02T00:00:00Z"))
	for n, s := range map[int]string{3: "2026-03-01T12:00:08Z", 4: "2026-03-01T12:00:06Z"} {
		if _, err := db.db.ExecContext(ctx, `UPDATE issues SET stored_at = ? WHERE number = ?`, s, n); err != nil {
			t.Fatal(err)
		}
	}
	refs, err := db.IssuesChangedSince(ctx, "a/b", &run)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, r := range refs {
		got = append(got, r.Number)
	}
	if want := []int{2, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("changed since the run: %v, want %v", got, want)
	}
	if all, _ := db.IssuesChangedSince(ctx, "a/b", nil); len(all) != 4 {
		t.Errorf("with no run before: %d issues, want 4", len(all))
	}
}
