// Package http serves the bug study as a web dashboard (bugscope serve):
// server-rendered pages over the database, each with a stable address
// that carries its filters, and the same data as JSON under /api/. The
// figures come from the report model (package report), built once per
// filter and kept until the database changes; issue lists, issue pages
// and search read the store directly.
//
// Templates, the style sheet and the script are embedded. Every response
// carries a Content-Security-Policy that allows no inline script; issue
// text is escaped everywhere, and Markdown bodies are sanitised.
//
// Routes that change state (forms, webhooks) are mounted with Mount,
// outside the read-only guard of the pages.
package http

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/review"
	"github.com/bugscope/bugscope/taxonomy"
	"github.com/bugscope/bugscope/triage"
)

// Store is what the pages read from the database. Package sqlite
// implements it.
type Store interface {
	BrowseIssues(ctx context.Context, q bugscope.IssueQuery) (bugscope.IssueList, error)
	Issue(ctx context.Context, ref bugscope.IssueRef) (bugscope.Issue, error)
	ClassificationsOf(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.Classification, error)
	Signals(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.Signal, error)
	Fixes(ctx context.Context, f bugscope.IssueFilter) (map[bugscope.IssueRef][]bugscope.Fix, error)
	// SimilarCandidates feeds the issue page's similar issues, searched
	// as triage searches them (triage.RepoIndex).
	SimilarCandidates(ctx context.Context, repo string) ([]triage.Candidate, error)
	HandLabels(ctx context.Context, ref bugscope.IssueRef) ([]bugscope.HandLabel, error)
	// IssueComments returns an issue's first limit stored comments
	// (bugscope sync --comments), oldest first.
	IssueComments(ctx context.Context, ref bugscope.IssueRef, limit int) ([]bugscope.Comment, error)
	IssueLabelNames(ctx context.Context, limit int) ([]string, error)
	// DataVersion changes whenever the data changes (another writer
	// committed); RefreshSearch brings the full-text index up to date.
	// RefreshBrowse rebuilds what issue lists read.
	DataVersion(ctx context.Context) (int64, error)
	RefreshSearch(ctx context.Context) (bugscope.SearchStats, error)
	RefreshBrowse(ctx context.Context) error
}

// ReportFunc builds the study report for a filter, as `bugscope report`
// does (pipeline.BuildReport with the server's hand labels).
type ReportFunc func(ctx context.Context, f bugscope.IssueFilter) (*report.Report, error)

// ReviewFunc builds the review queue for a filter (pipeline.ReviewQueue):
// the items, best first, and the name of the final classifier.
type ReviewFunc func(ctx context.Context, f bugscope.IssueFilter) ([]review.Item, string, error)

// ReviewItemsFunc builds the review items of some issues in a queue whose
// final classifier is final, in the queue's order (pipeline.ReviewItems):
// a page beyond the items a queue keeps.
type ReviewItemsFunc func(ctx context.Context, final string, refs []bugscope.IssueRef) ([]review.Item, error)

// Options configure a Server.
type Options struct {
	Store    Store
	Taxonomy *taxonomy.Taxonomy
	Report   ReportFunc
	Review   ReviewFunc
	// LinkHosts: GitHub Enterprise web hosts issue links may point to,
	// besides github.com.
	LinkHosts []string
	// Log receives the server's log lines (default: discarded).
	Log io.Writer
	// CacheEntries bounds the reports (one per filter) kept at once
	// (default 8).
	CacheEntries int
	// PageSize: rows of a page of an issue list (default PageSize, at
	// most sqlite's bound of 200).
	PageSize int
	// ReviewKept: review items kept whole per filter (default
	// MaxReviewItems); the pages beyond them are built when asked by
	// ReviewItems (nil: the queue's pages end there).
	ReviewKept  int
	ReviewItems ReviewItemsFunc
	// FirstWait is how long a request waits for figures computed for the
	// first time before it is answered "being computed" (503, a page that
	// reloads itself); 0 waits as long as it takes.
	FirstWait time.Duration
}

// Server is the dashboard: an http.Handler with its caches.
type Server struct {
	opt    Options
	router chi.Router
	log    *log.Logger
	tmpl   *templates

	// ctx lives as long as the server: background rebuilds use it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	reports *cache[*reportEntry]
	reviews *cache[*reviewEntry]
	// similar: per repository (the filter's one repo), the issue pages'
	// similar-issue index.
	similar *cache[*triage.RepoIndex]

	labelsMu      sync.Mutex
	labelsVersion int64
	labels        []string

	indexMu      sync.Mutex
	indexVersion int64
	indexReady   bool
}

// New returns a server over the options' store.
func New(opt Options) (*Server, error) {
	if opt.Store == nil || opt.Taxonomy == nil || opt.Report == nil {
		return nil, errors.New("http.New: Store, Taxonomy and Report are required")
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	if opt.CacheEntries <= 0 {
		opt.CacheEntries = 8
	}
	if opt.PageSize <= 0 || opt.PageSize > 200 {
		opt.PageSize = PageSize
	}
	if opt.ReviewKept <= 0 {
		opt.ReviewKept = MaxReviewItems
	}
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, log: log.New(opt.Log, "", log.LstdFlags), tmpl: t}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.reports = newCache(s, "report", opt.CacheEntries, s.buildReport)
	s.reviews = newCache(s, "review queue", opt.CacheEntries, s.buildReview)
	s.similar = newCache(s, "similar-issue index", opt.CacheEntries, func(ctx context.Context, f bugscope.IssueFilter) (*triage.RepoIndex, error) {
		return triage.LoadRepoIndex(ctx, opt.Store, f.Repos[0])
	})
	s.routes()
	return s, nil
}

func (s *Server) logf(format string, args ...any) { s.log.Printf(format, args...) }

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Mount adds a handler for a path prefix outside the read-only guard (a
// webhook, forms), behind the security headers, bounds and recovery of
// every route. Call it before serving.
func (s *Server) Mount(pattern string, h http.Handler) { s.router.Mount(pattern, h) }

// Warm builds the overview's report and the search index in the
// background, so that the first visitor does not wait.
func (s *Server) Warm() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		// The report goes on being built when it takes longer than
		// FirstWait (and says what failed itself).
		s.reports.get(s.ctx, bugscope.IssueFilter{})
		if err := s.ensureIndexes(s.ctx); err != nil && s.ctx.Err() == nil {
			s.logf("building the issue lists and the search index: %v", err)
		}
	}()
}

// Close stops background work and waits for it.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
}

// closeWithin is Close that waits at most d: a report being computed does
// not look at its context while it adds up figures.
func (s *Server) closeWithin(d time.Duration) {
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		s.logf("stopping without waiting for a report still being computed")
	}
}

// Serve serves on ln until ctx ends, then shuts down gracefully: requests
// in flight get up to grace to finish, then are cut.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// The first visitor of a filter waits for its report: tens of
		// seconds at 100,000 issues.
		WriteTimeout:   5 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       s.log,
		BaseContext:    func(net.Listener) context.Context { return s.ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.closeWithin(grace)
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		s.logf("requests still running after %v are cut", grace)
		hs.Close()
	}
	s.closeWithin(grace)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ensureIndexes brings the issue lists' table and the search index up to
// date when the data changed since they last were.
func (s *Server) ensureIndexes(ctx context.Context) error {
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	v, err := s.opt.Store.DataVersion(ctx)
	if err != nil {
		return err
	}
	if s.indexReady && v == s.indexVersion {
		return nil
	}
	start := time.Now()
	if err := s.opt.Store.RefreshBrowse(ctx); err != nil {
		return err
	}
	s.logf("issue lists rebuilt (%v)", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	st, err := s.opt.Store.RefreshSearch(ctx)
	if err != nil {
		return err
	}
	if st.Indexed > 0 || st.Removed > 0 {
		s.logf("search index: %d issues indexed, %d entries removed, %d in all (%v)", st.Indexed, st.Removed, st.Total, time.Since(start).Round(time.Millisecond))
	}
	s.indexVersion, s.indexReady = v, true
	return nil
}

// labelNames are the GitHub labels the filter form offers, most used
// first, kept until the data changes (counting them reads every label).
func (s *Server) labelNames(ctx context.Context) []string {
	v, err := s.opt.Store.DataVersion(ctx)
	if err != nil {
		return nil
	}
	s.labelsMu.Lock()
	defer s.labelsMu.Unlock()
	if s.labels != nil && s.labelsVersion == v {
		return s.labels
	}
	names, err := s.opt.Store.IssueLabelNames(ctx, 60)
	if err != nil {
		s.logf("GitHub labels: %v", err)
		return nil
	}
	s.labels, s.labelsVersion = nonNil(names), v
	return s.labels
}
