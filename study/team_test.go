package study_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
)

// teamOn returns a team over db whose clock the test moves.
func teamOn(db *sqlite.DB) (*study.Team, *time.Time) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	t := study.NewTeam(db)
	t.Now = func() time.Time { return now }
	db.SetClock(t.Now)
	return t, &now
}

func drawSample(t *testing.T, s *study.Service, name string, size int) {
	t.Helper()
	ctx := context.Background()
	sm, err := s.Draft(ctx, study.Design{Name: name, Size: size, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, sm, false); err != nil {
		t.Fatal(err)
	}
}

func kindOf(err error) string { return bugscope.ErrorCode(err) }

func TestSignInLinksWorkOnceAndSessionsEnd(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, fixtureIssues("acme/e", 6))
	s := newService(t, db, defaultTax(t))
	drawSample(t, s, "s1", 6)
	drawSample(t, s, "s2", 6)
	team, now := teamOn(db)

	if _, _, err := team.Add(ctx, "alice", []string{"nope"}, false); kindOf(err) != bugscope.ENotFound {
		t.Fatalf("unknown sample: %v", err)
	}
	if _, _, err := team.Add(ctx, "a\x1bb", nil, false); kindOf(err) != bugscope.EInvalid {
		t.Fatalf("bad name: %v", err)
	}
	alice, link, err := team.Add(ctx, "alice", []string{"s1"}, false)
	if err != nil || len(link) != 43 || alice.Admin {
		t.Fatalf("add: %+v %q %v", alice, link, err)
	}
	if _, _, err := team.Add(ctx, "alice", nil, false); kindOf(err) != bugscope.EConflict {
		t.Fatalf("second alice: %v", err)
	}
	// Only hashes are stored: neither the link's token nor a session's
	// appears in any table.
	sess, err := team.SignIn(ctx, link)
	if err != nil || sess.Rater.Name != "alice" || len(sess.ID) != 43 {
		t.Fatalf("sign in: %+v %v", sess, err)
	}
	for _, q := range []string{`SELECT hash FROM sign_in_links`, `SELECT hash FROM sessions`} {
		_, rows, err := db.Rows(ctx, q)
		if err != nil || len(rows) != 1 {
			t.Fatalf("%s: %v %v", q, rows, err)
		}
		if h := fmt.Sprint(rows[0][0]); h == link || h == sess.ID || h != study.HashToken(link) && h != study.HashToken(sess.ID) {
			t.Errorf("%s stores %q, not the hash of a token", q, h)
		}
	}
	// A link works once.
	if _, err := team.SignIn(ctx, link); kindOf(err) != bugscope.EUnauthorized {
		t.Fatalf("second use of a link: %v", err)
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43), link + "A"} {
		if _, err := team.SignIn(ctx, bad); kindOf(err) != bugscope.EUnauthorized {
			t.Errorf("link %q: %v", bad, err)
		}
	}
	got, err := team.Session(ctx, sess.ID)
	if err != nil || got.Rater.Name != "alice" || !got.Rater.MayAnnotate("s1") || got.Rater.MayAnnotate("s2") || got.Rater.MayManage() {
		t.Fatalf("session: %+v %v", got, err)
	}
	if err := got.MayAnnotate("s2"); kindOf(err) != bugscope.EForbidden {
		t.Errorf("other sample: %v", err)
	}
	if err := got.MayManage(); kindOf(err) != bugscope.EForbidden {
		t.Errorf("not an admin: %v", err)
	}
	// CSRF: per session, checked exactly.
	if err := got.CheckCSRF(got.CSRF()); err != nil {
		t.Errorf("own token refused: %v", err)
	}
	for _, bad := range []string{"", got.CSRF()[1:], strings.ToUpper(got.CSRF()), (&study.Session{ID: study.NewToken()}).CSRF()} {
		if err := got.CheckCSRF(bad); kindOf(err) != bugscope.EForbidden {
			t.Errorf("forged token %q accepted: %v", bad, err)
		}
	}
	// Sessions expire.
	*now = now.Add(study.DefaultSessionTTL + time.Second)
	if _, err := team.Session(ctx, sess.ID); kindOf(err) != bugscope.EUnauthorized {
		t.Errorf("expired session: %v", err)
	}
	// Links expire too; a new link replaces the unused ones.
	old, err := team.Link(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := team.Link(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := team.SignIn(ctx, old); kindOf(err) != bugscope.EUnauthorized {
		t.Errorf("replaced link: %v", err)
	}
	*now = now.Add(study.DefaultLinkTTL + time.Second)
	if _, err := team.SignIn(ctx, fresh); kindOf(err) != bugscope.EUnauthorized {
		t.Errorf("expired link: %v", err)
	}
	// Revoking ends live sessions and links at once; answers stay.
	l2, _ := team.Link(ctx, "alice")
	s2, err := team.SignIn(ctx, l2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Annotate(ctx, "s1", "alice", []study.Answer{{Issue: ref("acme/e", 1), Labels: bugscope.Labels{"kind": {"docs"}}}}, "web"); err != nil {
		t.Fatal(err)
	}
	l3, _ := team.Link(ctx, "alice")
	if err := team.Revoke(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := team.Session(ctx, s2.ID); kindOf(err) != bugscope.EUnauthorized {
		t.Errorf("session of a revoked rater: %v", err)
	}
	if _, err := team.SignIn(ctx, l3); kindOf(err) != bugscope.EUnauthorized {
		t.Errorf("link of a revoked rater: %v", err)
	}
	if _, err := team.Link(ctx, "alice"); kindOf(err) != bugscope.EConflict {
		t.Errorf("link for a revoked rater: %v", err)
	}
	if anns, _ := db.Annotations(ctx, "s1", study.AnnotationQuery{Rater: "alice"}); len(anns) != 1 {
		t.Errorf("revoking took answers: %d left", len(anns))
	}
	list, err := team.List(ctx)
	if err != nil || len(list) != 1 || !list[0].Revoked() || list[0].MayAnnotate("s1") || list[0].LastSignIn == nil {
		t.Fatalf("list %+v %v", list, err)
	}
	if err := team.Revoke(ctx, "bob"); kindOf(err) != bugscope.ENotFound {
		t.Errorf("revoke unknown: %v", err)
	}
}

// Of many requests with one link at the same moment, exactly one signs
// in.
func TestOneLinkOneSession(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, fixtureIssues("acme/e", 2))
	team := study.NewTeam(db)
	_, link, err := team.Add(ctx, "dana", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := team.SignIn(ctx, link)
			mu.Lock()
			defer mu.Unlock()
			switch kindOf(err) {
			case "":
				ok++
			case bugscope.EUnauthorized:
				refused++
			default:
				t.Errorf("sign in: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || refused != 7 {
		t.Fatalf("%d sign-ins, %d refused; want 1 and 7", ok, refused)
	}
}

// A form sent twice, or many times at once, stores one answer; answers of
// several raters at once are all kept, each under its rater.
func TestSubmitStoresOnce(t *testing.T) {
	ctx := context.Background()
	const raters, items = 8, 50
	db := openDB(t, fixtureIssues("acme/e", items))
	s := newService(t, db, defaultTax(t))
	drawSample(t, s, "s", items)
	kinds := []string{"feature", "question", "docs"}
	var wg sync.WaitGroup
	errs := make(chan error, raters*items*2)
	for r := range raters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rater := fmt.Sprintf("r%d", r)
			for i := 1; i <= items; i++ {
				a := study.Answer{Issue: ref("acme/e", i), Labels: bugscope.Labels{"kind": {kinds[(r+i)%3]}}}
				key := fmt.Sprintf("key-%s-%04d-abcdef", rater, i)
				// the same form twice at once
				var inner sync.WaitGroup
				for range 2 {
					inner.Add(1)
					go func() {
						defer inner.Done()
						if _, err := s.Submit(ctx, "s", rater, a, "web", key); err != nil {
							errs <- err
						}
					}()
				}
				inner.Wait()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := db.Annotations(ctx, "s", study.AnnotationQuery{History: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != raters*items {
		t.Fatalf("%d answers stored, want %d (one per rater and issue)", len(all), raters*items)
	}
	for _, a := range all {
		var r int
		fmt.Sscanf(a.Rater, "r%d", &r)
		if want := kinds[(r+a.Issue.Number)%3]; a.Labels.One("kind") != want {
			t.Errorf("%s on %s: %v, want %s (answers mixed)", a.Rater, a.Issue, a.Labels, want)
		}
	}
	// A key sent again later, even with other content, stores nothing.
	res, err := s.Submit(ctx, "s", "r0", study.Answer{Issue: ref("acme/e", 1), Labels: bugscope.Labels{"kind": {"bug"}}}, "web", "key-r0-0001-abcdef")
	if err != nil || res.Saved != 0 || res.Unchanged != 1 {
		t.Fatalf("replayed key: %+v %v", res, err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("k", 65), "key with spaces 1234"} {
		if _, err := s.Submit(ctx, "s", "r0", study.Answer{Issue: ref("acme/e", 1), Labels: bugscope.Labels{"kind": {"bug"}}}, "web", bad); !errors.Is(err, &bugscope.Error{Code: bugscope.EInvalid}) {
			t.Errorf("key %q: %v", bad, err)
		}
	}
}

// A rater restricted to a sample that is deleted may annotate no sample:
// the grant goes with the sample, it never widens to every sample.
func TestDeletedSampleNarrowsNotWidens(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, fixtureIssues("acme/e", 4))
	s := newService(t, db, defaultTax(t))
	drawSample(t, s, "s1", 4)
	drawSample(t, s, "s2", 4)
	team, _ := teamOn(db)
	if _, _, err := team.Add(ctx, "alice", []string{"s1"}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := team.Add(ctx, "bob", nil, false); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSample(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	alice, err := db.GetRater(ctx, "alice")
	if err != nil || alice.MayAnnotate("s2") || alice.Scope() != "none" {
		t.Fatalf("alice after s1 went: %+v %v", alice, err)
	}
	bob, _ := db.GetRater(ctx, "bob")
	if !bob.MayAnnotate("s2") || bob.Scope() != "every sample" {
		t.Fatalf("bob: %+v", bob)
	}
}
