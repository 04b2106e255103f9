package githubtest

import (
	"bufio"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gh "github.com/google/go-github/v92/github"
)

// Server is the fake GitHub. Its zero configuration behaves like
// github.com: 10,000 items reachable by page number, 5,000 requests an hour
// per token and 60 without one.
type Server struct {
	// URL is the API's address (with /api/v3/, as GitHub Enterprise
	// Server has it; the fake serves it with and without).
	URL string

	srv   *httptest.Server
	clock *Clock

	mu        sync.Mutex
	repos     map[string]*Repo // by lower-cased owner/name
	limits    map[string]*window
	pageBound int
	cursors   bool
	tokenRate int
	anonRate  int
	faults    Faults
	rng       *rand.Rand
	stats     Stats
	onRequest func(n int, r *http.Request)
	inFlight  atomic.Int64
	maxFlight atomic.Int64

	// triage's writes and the App token exchange (writes.go)
	calls       []Call
	nextComment int
	appID       int64
	appKey      *rsa.PublicKey
	tokenLife   time.Duration
	appTokens   map[string]time.Time
	nextToken   int
}

// Repo is one repository's data. Tests may change it between syncs
// through the Server's methods, which keep updated_at honest.
type Repo struct {
	Name        string
	Issues      map[int]*gh.Issue // issues and pull requests, by number
	Pulls       map[int]*gh.PullRequest
	Comments    map[int64]*gh.IssueComment
	Timelines   map[int][]*gh.Timeline
	CommitPulls map[string][]int // commit sha -> pull requests containing it
}

type window struct {
	limit, remaining int
	reset            time.Time
}

// Faults are the failures the server injects. Request ordinals count
// every request the server receives, from 1.
type Faults struct {
	// ErrorRate is the share of requests answered 502 Bad Gateway, drawn
	// from a generator seeded with Seed.
	ErrorRate float64
	Seed      uint64
	// TooManyAt: that request is answered 429 with Retry-After: RetryAfter
	// seconds (default 30).
	TooManyAt  int
	RetryAfter int
	// ExhaustAt: at that request the primary limit is spent; it and those
	// after it are refused with 403 until the window resets ResetIn later
	// (default 20 minutes).
	ExhaustAt int
	ResetIn   time.Duration
	// SecondaryAt: that request is refused with a secondary-limit 403
	// without Retry-After.
	SecondaryAt int
	// CutBodyAt: that request's response is cut off half-way through its
	// body.
	CutBodyAt int
}

// Stats count what clients asked and spent.
type Stats struct {
	Requests    int            `json:"requests"`
	ByKind      map[string]int `json:"by_kind"` // issues, comments, pull, timeline, commit_pulls, rate_limit, other
	ByStatus    map[int]int    `json:"by_status"`
	NotModified int            `json:"not_modified"`
	// Spent counts requests charged to a rate limit (GitHub does not charge
	// an authenticated 304).
	Spent int `json:"spent"`
	// Items counts the objects served in list responses.
	Items       int `json:"items"`
	Anonymous   int `json:"anonymous"`
	MaxInFlight int `json:"max_in_flight"`
}

// New starts a fake GitHub on loopback; Close stops it.
func New(clock *Clock) *Server {
	s := &Server{
		clock:     clock,
		repos:     map[string]*Repo{},
		limits:    map[string]*window{},
		pageBound: 10000,
		tokenRate: 5000,
		anonRate:  60,
		rng:       rand.New(rand.NewPCG(1, 2)),
		appTokens: map[string]time.Time{},
		tokenLife: time.Hour,
	}
	s.stats = newStats()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/api/v3/"
	return s
}

func newStats() Stats { return Stats{ByKind: map[string]int{}, ByStatus: map[int]int{}} }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetPageBound sets how many items of a listing page numbers reach
// (GitHub: 10,000); pages beyond are refused with 422.
func (s *Server) SetPageBound(n int) { s.mu.Lock(); s.pageBound = n; s.mu.Unlock() }

// SetCursorLinks makes listings link their next page with an opaque
// after= cursor instead of a page number, as some GitHub listings do.
func (s *Server) SetCursorLinks(on bool) { s.mu.Lock(); s.cursors = on; s.mu.Unlock() }

// SetRateLimits sets the hourly limits per token and without one.
func (s *Server) SetRateLimits(token, anonymous int) {
	s.mu.Lock()
	s.tokenRate, s.anonRate = token, anonymous
	s.mu.Unlock()
}

// SetFaults sets the failures to inject; request ordinals count from the
// next request.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	base := s.stats.Requests
	for _, p := range []*int{&f.TooManyAt, &f.ExhaustAt, &f.SecondaryAt, &f.CutBodyAt} {
		if *p > 0 {
			*p += base
		}
	}
	if f.RetryAfter == 0 {
		f.RetryAfter = 30
	}
	if f.ResetIn == 0 {
		f.ResetIn = 20 * time.Minute
	}
	s.faults = f
	s.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
}

// OnRequest calls fn at the start of every request with its ordinal (from
// 1); fn runs outside the server's lock and may change data, cancel a
// client or kill a process.
func (s *Server) OnRequest(fn func(n int, r *http.Request)) {
	s.mu.Lock()
	s.onRequest = fn
	s.mu.Unlock()
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByKind, st.ByStatus = map[string]int{}, map[int]int{}
	for k, v := range s.stats.ByKind {
		st.ByKind[k] = v
	}
	for k, v := range s.stats.ByStatus {
		st.ByStatus[k] = v
	}
	st.MaxInFlight = int(s.maxFlight.Load())
	return st
}

// ResetStats zeroes the counters (faults keep their ordinals).
func (s *Server) ResetStats() {
	s.mu.Lock()
	n := s.stats.Requests
	s.stats = newStats()
	s.stats.Requests = 0
	// Keep fault ordinals meaningful: they were absolute.
	for _, p := range []*int{&s.faults.TooManyAt, &s.faults.ExhaustAt, &s.faults.SecondaryAt, &s.faults.CutBodyAt} {
		if *p > 0 {
			*p -= n
		}
	}
	s.mu.Unlock()
	s.maxFlight.Store(0)
}

// Repo returns the named repository, creating it empty.
func (s *Server) Repo(name string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repo(name)
}

func (s *Server) repo(name string) *Repo {
	k := strings.ToLower(name)
	r := s.repos[k]
	if r == nil {
		r = &Repo{Name: name, Issues: map[int]*gh.Issue{}, Pulls: map[int]*gh.PullRequest{},
			Comments: map[int64]*gh.IssueComment{}, Timelines: map[int][]*gh.Timeline{}, CommitPulls: map[string][]int{}}
		s.repos[k] = r
	}
	return r
}

// Edit changes one issue or pull request and sets its updated_at to now,
// as GitHub does.
func (s *Server) Edit(repo string, number int, fn func(*gh.Issue)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.repo(repo).Issues[number]
	if is == nil {
		panic(fmt.Sprintf("githubtest: %s#%d does not exist", repo, number))
	}
	fn(is)
	now := gh.Timestamp{Time: s.clock.Now().Truncate(time.Second)}
	is.UpdatedAt = &now
}

// Numbers lists the issue and pull-request numbers of repo.
func (s *Server) Numbers(repo string) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for n := range s.repo(repo).Issues {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	cur := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxFlight.Load()
		if cur <= m || s.maxFlight.CompareAndSwap(m, cur) {
			break
		}
	}
	s.mu.Lock()
	s.stats.Requests++
	n := s.stats.Requests
	hook := s.onRequest
	s.mu.Unlock()
	if hook != nil {
		hook(n, r)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	kind, handler, ok := s.writeRoute(r.Method, strings.TrimPrefix(r.URL.Path, "/api/v3"))
	if !ok {
		kind, handler = s.route(strings.TrimPrefix(r.URL.Path, "/api/v3"))
	}
	s.stats.ByKind[kind]++
	auth := r.Header.Get("Authorization")
	if auth == "" {
		s.stats.Anonymous++
	}
	now := s.clock.Now()
	h := w.Header()
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	win := s.window(auth, r.RemoteAddr, now)
	f := &s.faults

	// Faults that come before the rate limit, as a proxy's would.
	if f.ErrorRate > 0 && s.rng.Float64() < f.ErrorRate {
		s.writeStatus(w, http.StatusBadGateway, `{"message":"Server Error"}`)
		return
	}
	if n == f.ExhaustAt {
		win.remaining = 0
		win.reset = now.Add(f.ResetIn)
	}
	setRate := func() {
		h.Set("X-RateLimit-Limit", strconv.Itoa(win.limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(win.remaining))
		h.Set("X-RateLimit-Used", strconv.Itoa(win.limit-win.remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(win.reset.Unix(), 10))
		h.Set("X-RateLimit-Resource", "core")
	}
	if kind != "app_token" && !s.tokenValid(auth, now) {
		s.writeStatus(w, http.StatusUnauthorized, `{"message":"Bad credentials","status":"401"}`)
		return
	}
	if kind != "rate_limit" && win.remaining == 0 {
		setRate()
		s.writeStatus(w, http.StatusForbidden, `{"message":"API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}`)
		return
	}
	if n == f.TooManyAt {
		setRate()
		h.Set("Retry-After", strconv.Itoa(f.RetryAfter))
		s.writeStatus(w, http.StatusTooManyRequests, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"429"}`)
		return
	}
	if n == f.SecondaryAt {
		setRate()
		s.writeStatus(w, http.StatusForbidden, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}`)
		return
	}

	res := handler(r, now)
	if res.status == http.StatusNotModified && auth != "" {
		// GitHub does not charge an authorised 304.
	} else if kind != "rate_limit" {
		win.remaining--
		s.stats.Spent++
	}
	setRate()
	for k, v := range res.header {
		h[k] = v
	}
	if res.status == http.StatusNotModified {
		s.stats.NotModified++
		s.stats.ByStatus[res.status]++
		w.WriteHeader(res.status)
		return
	}
	s.stats.Items += res.items
	if n == f.CutBodyAt && len(res.body) > 1 {
		s.stats.ByStatus[res.status]++
		s.cut(w, res)
		return
	}
	s.writeStatus(w, res.status, string(res.body))
}

func (s *Server) writeStatus(w http.ResponseWriter, status int, body string) {
	s.stats.ByStatus[status]++
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// cut sends the headers promising the whole body, half of it, and hangs
// up.
func (s *Server) cut(w http.ResponseWriter, res result) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("githubtest: cannot hijack the connection")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	bw := bufio.NewWriter(conn)
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", res.status, http.StatusText(res.status))
	w.Header().Set("Content-Length", strconv.Itoa(len(res.body)))
	w.Header().Write(bw)
	bw.WriteString("\r\n")
	bw.Write(res.body[:len(res.body)/2])
	bw.Flush()
	_ = buf
}

// window returns the rate-limit window of a token (or address, without
// one), opening a new one when the last has reset.
func (s *Server) window(auth, addr string, now time.Time) *window {
	key, limit := auth, s.tokenRate
	if auth == "" {
		host, _, _ := strings.Cut(addr, ":")
		key, limit = "anon:"+host, s.anonRate
	}
	w := s.limits[key]
	if w == nil || !now.Before(w.reset) {
		w = &window{limit: limit, remaining: limit, reset: now.Add(time.Hour).Truncate(time.Second)}
		s.limits[key] = w
	}
	return w
}

type result struct {
	status int
	header http.Header
	body   []byte
	items  int
}

func jsonResult(status int, v any) result {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return result{status: status, header: http.Header{}, body: b}
}

func notFound() result {
	return result{status: http.StatusNotFound, header: http.Header{},
		body: []byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`)}
}

type handlerFunc func(r *http.Request, now time.Time) result

// route maps a path to its kind and handler; handlers run under s.mu.
func (s *Server) route(path string) (string, handlerFunc) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 1 && parts[0] == "rate_limit" {
		return "rate_limit", func(r *http.Request, now time.Time) result { return s.rateLimit(r, now) }
	}
	if len(parts) < 4 || parts[0] != "repos" {
		return "other", func(*http.Request, time.Time) result { return notFound() }
	}
	repo := s.repos[strings.ToLower(parts[1]+"/"+parts[2])]
	if repo == nil {
		return "other", func(*http.Request, time.Time) result { return notFound() }
	}
	rest := parts[3:]
	switch {
	case len(rest) == 1 && rest[0] == "issues":
		return "issues", func(r *http.Request, now time.Time) result { return s.listIssues(repo, r) }
	case len(rest) == 2 && rest[0] == "issues" && rest[1] == "comments":
		return "comments", func(r *http.Request, now time.Time) result { return s.listComments(repo, r) }
	case len(rest) == 3 && rest[0] == "issues" && rest[2] == "timeline":
		n, _ := strconv.Atoi(rest[1])
		return "timeline", func(r *http.Request, now time.Time) result { return s.timeline(repo, n, r) }
	case len(rest) == 2 && rest[0] == "pulls":
		n, _ := strconv.Atoi(rest[1])
		return "pull", func(r *http.Request, now time.Time) result {
			p := repo.Pulls[n]
			if p == nil {
				return notFound()
			}
			return withValidators(r, jsonResult(http.StatusOK, p), nil)
		}
	case len(rest) == 3 && rest[0] == "commits" && rest[2] == "pulls":
		sha := rest[1]
		return "commit_pulls", func(r *http.Request, now time.Time) result {
			var out []*gh.PullRequest
			for _, n := range repo.CommitPulls[sha] {
				if p := repo.Pulls[n]; p != nil {
					out = append(out, p)
				}
			}
			if out == nil {
				out = []*gh.PullRequest{}
			}
			return jsonResult(http.StatusOK, out)
		}
	}
	return "other", func(*http.Request, time.Time) result { return notFound() }
}

func (s *Server) rateLimit(r *http.Request, now time.Time) result {
	w := s.window(r.Header.Get("Authorization"), r.RemoteAddr, now)
	core := map[string]any{"limit": w.limit, "remaining": w.remaining, "used": w.limit - w.remaining, "reset": w.reset.Unix()}
	return jsonResult(http.StatusOK, map[string]any{"resources": map[string]any{"core": core}, "rate": core})
}

// listParams are the paging and filter parameters of a listing.
type listParams struct {
	page, perPage int
	since         *time.Time
	sort, dir     string
}

func parseList(q url.Values, defaultSort string) (listParams, error) {
	p := listParams{page: 1, perPage: 30, sort: defaultSort, dir: "desc"}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("page %q", v)
		}
		p.page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("per_page %q", v)
		}
		p.perPage = min(n, 100)
	}
	if v := q.Get("after"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "Y3Vyc29y"))
		if err != nil || n < 0 || p.perPage <= 0 {
			return p, fmt.Errorf("after %q", v)
		}
		p.page = n/p.perPage + 1
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return p, fmt.Errorf("since %q", v)
		}
		p.since = &t
	}
	if v := q.Get("sort"); v != "" {
		p.sort = v
	}
	if v := q.Get("direction"); v != "" {
		p.dir = v
	}
	return p, nil
}

func validation(msg string) result {
	return result{status: http.StatusUnprocessableEntity, header: http.Header{},
		body: []byte(`{"message":"Validation Failed","errors":[{"message":` + strconv.Quote(msg) + `}],"documentation_url":"https://docs.github.com/rest","status":"422"}`)}
}

// page cuts one page out of a sorted listing, refusing pages past the
// bound as GitHub does, and sets the Link header.
func (s *Server) page(r *http.Request, p listParams, total int) (lo, hi int, res result, ok bool) {
	if p.page*p.perPage > s.pageBound && (p.page-1)*p.perPage > 0 {
		return 0, 0, validation("Pagination with the page parameter is not supported for large datasets, please use cursor based pagination (after/before)"), false
	}
	lo = min((p.page-1)*p.perPage, total)
	hi = min(lo+p.perPage, total)
	last := max(1, (min(total, s.pageBound)+p.perPage-1)/p.perPage)
	res = result{status: http.StatusOK, header: http.Header{}}
	link := func(page int, rel string) string {
		u := *r.URL
		if !strings.HasPrefix(u.Path, "/api/v3") {
			u.Path = "/api/v3" + u.Path
		}
		q := u.Query()
		q.Set("page", strconv.Itoa(page))
		u.RawQuery = q.Encode()
		return fmt.Sprintf(`<%s%s>; rel="%s"`, s.srv.URL, u.RequestURI(), rel)
	}
	var links []string
	if p.page > 1 {
		links = append(links, link(p.page-1, "prev"))
	}
	if hi < total {
		if s.cursors {
			u := *r.URL
			q := u.Query()
			q.Del("page")
			q.Set("after", "Y3Vyc29y"+strconv.Itoa(hi))
			u.RawQuery = q.Encode()
			links = append(links, fmt.Sprintf(`<%s%s>; rel="next"`, s.srv.URL, u.RequestURI()))
		} else {
			links = append(links, link(p.page+1, "next"))
		}
	}
	if p.page < last {
		links = append(links, link(last, "last"))
	}
	if p.page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		res.header.Set("Link", strings.Join(links, ", "))
	}
	return lo, hi, res, true
}

func (s *Server) listIssues(repo *Repo, r *http.Request) result {
	q := r.URL.Query()
	p, err := parseList(q, "created")
	if err != nil {
		return validation(err.Error())
	}
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var labels []string
	if v := q.Get("labels"); v != "" {
		labels = strings.Split(v, ",")
	}
	var all []*gh.Issue
	for _, is := range repo.Issues {
		if state != "all" && is.GetState() != state {
			continue
		}
		if p.since != nil && is.GetUpdatedAt().Before(*p.since) {
			continue
		}
		if !hasLabels(is, labels) {
			continue
		}
		all = append(all, is)
	}
	key := func(is *gh.Issue) time.Time {
		if p.sort == "updated" {
			return is.GetUpdatedAt().Time
		}
		return is.GetCreatedAt().Time
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if !key(a).Equal(key(b)) {
			return key(a).Before(key(b)) == (p.dir == "asc")
		}
		return (a.GetNumber() < b.GetNumber()) == (p.dir == "asc")
	})
	return listPage(s, r, p, all, func(is *gh.Issue) time.Time { return is.GetUpdatedAt().Time })
}

func (s *Server) listComments(repo *Repo, r *http.Request) result {
	p, err := parseList(r.URL.Query(), "created")
	if err != nil {
		return validation(err.Error())
	}
	var all []*gh.IssueComment
	for _, c := range repo.Comments {
		if p.since != nil && c.GetUpdatedAt().Before(*p.since) {
			continue
		}
		all = append(all, c)
	}
	key := func(c *gh.IssueComment) time.Time {
		if p.sort == "updated" {
			return c.GetUpdatedAt().Time
		}
		return c.GetCreatedAt().Time
	}
	asc := p.dir == "asc"
	if r.URL.Query().Get("sort") == "" {
		asc = true // GitHub lists repository comments by id, ascending, unless sorted
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if !key(a).Equal(key(b)) {
			return key(a).Before(key(b)) == asc
		}
		return (a.GetID() < b.GetID()) == asc
	})
	return listPage(s, r, p, all, func(c *gh.IssueComment) time.Time { return c.GetUpdatedAt().Time })
}

func (s *Server) timeline(repo *Repo, n int, r *http.Request) result {
	if repo.Issues[n] == nil {
		return notFound()
	}
	p, err := parseList(r.URL.Query(), "")
	if err != nil {
		return validation(err.Error())
	}
	events := repo.Timelines[n]
	if events == nil {
		events = []*gh.Timeline{} // an empty page, not null
	}
	return listPage(s, r, p, events, nil)
}

// listPage answers a listing with the page of all that the request asks
// for, as JSON; updated, when set, gives each item's update time for the
// validators (ETag, Last-Modified) of the listing.
func listPage[T any](s *Server, r *http.Request, p listParams, all []T, updated func(T) time.Time) result {
	lo, hi, res, ok := s.page(r, p, len(all))
	if !ok {
		return res
	}
	out := all[lo:hi]
	body, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	res.body, res.items = body, len(out)
	if updated == nil {
		return withValidators(r, res, nil)
	}
	var newest time.Time
	for _, x := range all {
		newest = maxTime(newest, updated(x))
	}
	return withValidators(r, res, &newest)
}

// withValidators sets ETag (a hash of the body) and, for listings,
// Last-Modified (the newest item's update), and turns the response into
// 304 Not Modified when the request's validators still hold.
func withValidators(r *http.Request, res result, newest *time.Time) result {
	if res.status != http.StatusOK {
		return res
	}
	sum := sha256.Sum256(res.body)
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	res.header.Set("ETag", etag)
	res.header.Set("Cache-Control", "private, max-age=60, s-maxage=60")
	res.header.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
	if newest != nil && !newest.IsZero() {
		res.header.Set("Last-Modified", newest.UTC().Format(http.TimeFormat))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if etagMatch(inm, etag) {
			return result{status: http.StatusNotModified, header: res.header}
		}
		return res
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && newest != nil {
		if t, err := http.ParseTime(ims); err == nil && !newest.Truncate(time.Second).After(t) {
			return result{status: http.StatusNotModified, header: res.header}
		}
	}
	return res
}

func etagMatch(header, etag string) bool {
	weak := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for t := range strings.SplitSeq(header, ",") {
		if strings.TrimSpace(t) == "*" || weak(t) == weak(etag) {
			return true
		}
	}
	return false
}

func hasLabels(is *gh.Issue, want []string) bool {
	for _, w := range want {
		found := false
		for _, l := range is.Labels {
			if strings.EqualFold(l.GetName(), strings.TrimSpace(w)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
