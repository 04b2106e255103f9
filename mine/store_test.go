package mine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/github/githubtest"
)

// memStore is a Store in memory: the seam between the sync and the
// database is the Store interface alone, so a sync runs on it unchanged.
// It keeps what the sync's outcome depends on (issues by the newest
// update, states, comments) and fails the pages it is told to.
type memStore struct {
	mu       sync.Mutex
	issues   map[bugscope.IssueRef]bugscope.Issue
	comments map[int64]bugscope.Comment
	states   map[[3]string]bugscope.SyncState
	pulls    map[bugscope.IssueRef]bugscope.MergedPull
	fixes    map[bugscope.IssueRef][]bugscope.IssueRef // pull request -> issues its description closes
	pages    int
	failPage int // the page (counted over the store's life) to fail, 0: none
}

func newMemStore() *memStore {
	return &memStore{issues: map[bugscope.IssueRef]bugscope.Issue{}, comments: map[int64]bugscope.Comment{},
		states: map[[3]string]bugscope.SyncState{}, pulls: map[bugscope.IssueRef]bugscope.MergedPull{},
		fixes: map[bugscope.IssueRef][]bugscope.IssueRef{}}
}

var errPageFailed = errors.New("the store failed this page")

func (m *memStore) SyncState(_ context.Context, repo, resource, query string) (bugscope.SyncState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st, ok := m.states[[3]string{repo, resource, query}]; ok {
		return st, nil
	}
	return bugscope.SyncState{Repo: repo, Resource: resource, Query: query}, nil
}

func (m *memStore) SaveSyncState(_ context.Context, st bugscope.SyncState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[[3]string{st.Repo, st.Resource, st.Query}] = st
	return nil
}

// SaveIssuePage is all or nothing, as a transaction: the page fails before
// anything of it is kept.
func (m *memStore) SaveIssuePage(_ context.Context, p bugscope.IssuePage, next func(map[int]time.Time) (bugscope.SyncState, error)) (bugscope.UpsertStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var st bugscope.UpsertStats
	m.pages++
	if m.pages == m.failPage {
		return st, errPageFailed
	}
	prior := map[int]time.Time{}
	for _, is := range p.Issues {
		if old, ok := m.issues[is.Ref()]; ok && old.UpdatedAt != nil {
			prior[is.Number] = *old.UpdatedAt
		}
	}
	state, err := next(prior)
	if err != nil {
		return st, err
	}
	for _, is := range p.Issues {
		old, ok := m.issues[is.Ref()]
		switch {
		case !ok:
			st.Inserted++
		case old.UpdatedAt != nil && is.UpdatedAt != nil && is.UpdatedAt.Before(*old.UpdatedAt):
			st.Stale++
			continue
		default:
			st.Updated++
		}
		m.issues[is.Ref()] = is
	}
	for _, pr := range p.MergedPulls {
		m.pulls[pr.PR] = pr
	}
	for _, f := range p.BodyFixes {
		m.fixes[f.PullRequest] = f.Closes
	}
	m.states[[3]string{state.Repo, state.Resource, state.Query}] = state
	return st, nil
}

func (m *memStore) SaveCommentPage(_ context.Context, _ string, cs []bugscope.Comment, next func(map[int64]time.Time) (bugscope.SyncState, error)) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	prior := map[int64]time.Time{}
	for _, c := range cs {
		if old, ok := m.comments[c.ID]; ok && old.UpdatedAt != nil {
			prior[c.ID] = *old.UpdatedAt
		}
	}
	state, err := next(prior)
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		m.comments[c.ID] = c
	}
	m.states[[3]string{state.Repo, state.Resource, state.Query}] = state
	return len(cs), nil
}

func (m *memStore) IssuesNeedingTimeline(context.Context, string, int) ([]bugscope.ClosedIssue, error) {
	return nil, nil
}

func (m *memStore) SaveTimelineCheck(context.Context, bugscope.IssueRef, *time.Time, []bugscope.Fix, []bugscope.MergedPull) error {
	return nil
}

func (m *memStore) PullsNeedingSize(context.Context, string) ([]int, error) { return nil, nil }

func (m *memStore) SaveMergedPulls(_ context.Context, pulls []bugscope.MergedPull) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range pulls {
		m.pulls[p.PR] = p
	}
	return nil
}

func (m *memStore) FixCounts(_ context.Context, repo string) (bugscope.FixCounts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var c bugscope.FixCounts
	fixed := map[bugscope.IssueRef]bool{}
	for pr, issues := range m.fixes {
		if pr.Repo != repo {
			continue
		}
		c.Links += len(issues)
		for _, is := range issues {
			fixed[is] = true
		}
	}
	c.FixedIssues = len(fixed)
	return c, nil
}

// The sync runs on any Store: on one in memory it stores every issue and
// pull request, links the fixes, resumes after a failed page without
// losing or doubling anything, and an unchanged repository then costs one
// request answered 304.
func TestSyncOnAnotherStore(t *testing.T) {
	e := newEnv(t)
	g := e.srv.Generate("acme/engine", githubtest.Spec{Issues: 230, Pulls: 40, Comments: 30, Seed: 3})
	store := newMemStore()
	store.failPage = 2
	opt := Options{Repos: []string{"acme/engine"}, PerPage: 100, Comments: true}
	res, err := Sync(context.Background(), store, e.client(nil), opt)
	if !errors.Is(err, errPageFailed) || res.Repos[0].Complete {
		t.Fatalf("a failed page: err %v, result %+v", err, res.Repos[0])
	}
	if len(store.issues) != 100 {
		t.Fatalf("%d items after page 2 failed, want page 1's 100", len(store.issues))
	}
	res, err = Sync(context.Background(), store, e.client(nil), opt)
	if err != nil || !res.Complete {
		t.Fatalf("resumed sync: %v, %+v", err, res)
	}
	if len(store.issues) != 270 || len(store.comments) != 30 {
		t.Fatalf("%d issues and pull requests, %d comments; want 270 and 30", len(store.issues), len(store.comments))
	}
	links := 0
	for _, prs := range g.BodyFixes {
		links += len(prs)
	}
	if c, _ := store.FixCounts(context.Background(), "acme/engine"); links == 0 || c.Links != links {
		t.Errorf("%d fix links stored, want %d", c.Links, links)
	}
	res, err = Sync(context.Background(), store, e.client(nil), opt)
	if err != nil || res.Repos[0].NotModified != 2 || res.Requests != 2 {
		t.Errorf("unchanged repository: %v, %d requests, %d answered 304; want 2 and 2 (issues and comments)", err, res.Requests, res.Repos[0].NotModified)
	}
}

// A repository GitHub does not know fails alone, as not found; the others
// are synced in full.
func TestSyncMissingRepositoryIsNotFound(t *testing.T) {
	e := newEnv(t)
	e.srv.Generate("acme/engine", githubtest.Spec{Issues: 20, Seed: 1})
	res, err := Sync(context.Background(), newMemStore(), e.client(nil), Options{Repos: []string{"acme/engine", "acme/gone"}})
	if bugscope.ErrorCode(err) != bugscope.ENotFound {
		t.Fatalf("err %v: kind %s, want not found", err, bugscope.ErrorCode(err))
	}
	if f := res.Failed(); len(f) != 1 || f[0] != "acme/gone" || !res.Repos[0].Complete {
		t.Fatalf("failed %v, first %+v", f, res.Repos[0])
	}
}
