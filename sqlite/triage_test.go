package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/triage"
)

// The queue: one row per delivery id, claimed oldest first, a crash's
// working row queued again, old payloads emptied but their ids kept.
func TestDeliveryQueue(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	ref := bugscope.IssueRef{Repo: "a/b", Number: 1}
	for i, id := range []string{"d1", "d2", "d1"} {
		dup, err := db.EnqueueDelivery(ctx, triage.Delivery{DeliveryID: id, Event: "issues", Action: "opened", Issue: ref, Payload: []byte(`{"x":1}`)})
		if err != nil || dup != (i == 2) {
			t.Fatalf("%s: dup %v err %v", id, dup, err)
		}
	}
	a, ok, err := db.ClaimDelivery(ctx)
	if err != nil || !ok || a.DeliveryID != "d1" || a.Attempts != 1 || a.State != triage.DeliveryWorking || string(a.Payload) != `{"x":1}` {
		t.Fatalf("claim %+v %v %v", a, ok, err)
	}
	// A crash: d1 stays working; the restart queues it again.
	if n, err := db.RequeueWorking(ctx); n != 1 || err != nil {
		t.Fatalf("requeue %d %v", n, err)
	}
	a, _, _ = db.ClaimDelivery(ctx)
	if a.DeliveryID != "d1" || a.Attempts != 2 {
		t.Fatalf("after restart %+v", a)
	}
	db.FinishDelivery(ctx, a.ID, triage.DeliveryDone, "")
	b, _, _ := db.ClaimDelivery(ctx)
	db.FinishDelivery(ctx, b.ID, triage.DeliveryDone, "")
	if _, ok, _ := db.ClaimDelivery(ctx); ok {
		t.Error("claimed from an empty queue")
	}
	now = now.Add(40 * 24 * time.Hour)
	if n, err := db.PruneDeliveries(ctx, now.Add(-triage.KeepPayloads)); n != 2 || err != nil {
		t.Fatalf("pruned %d %v", n, err)
	}
	if dup, _ := db.EnqueueDelivery(ctx, triage.Delivery{DeliveryID: "d2", Event: "issues", Payload: []byte("{}")}); !dup {
		t.Error("a pruned delivery's id is forgotten")
	}
}

func TestOneTriageWorker(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	a, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	unlock, err := a.LockTriageWorker()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.LockTriageWorker(); bugscope.ErrorCode(err) != bugscope.EConflict {
		t.Errorf("a second worker: %v", err)
	}
	unlock()
	again, err := b.LockTriageWorker()
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}
