package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrBudget is returned once the run's request budget (Options.MaxRequests)
// is spent.
var ErrBudget = errors.New("request budget spent")

// Rate is the primary rate limit as the latest response stated it; Reset
// is on the client's clock (corrected by the server's Date).
type Rate struct {
	Known     bool      `json:"known"`
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	Used      int       `json:"used"`
	Reset     time.Time `json:"reset"`
}

// EventKind says what an Event reports.
type EventKind int

const (
	// EventResponse: a response arrived (Status, Rate).
	EventResponse EventKind = iota
	// EventWaitReset: the primary rate limit is spent; requests wait until
	// Until.
	EventWaitReset
	// EventLimited: a secondary rate limit or 429; the request waits Wait.
	EventLimited
	// EventRetry: a server error or broken connection (Status or Err); the
	// request is retried after Wait.
	EventRetry
	// EventSlow: no answer yet after Wait; the attempt is given up at
	// Until (Options.Timeout).
	EventSlow
)

// Event is something the transport did, for progress displays.
type Event struct {
	Kind    EventKind
	Label   string // set with WithLabel on the request's context
	Path    string // the request's path and query
	Status  int
	Attempt int
	Wait    time.Duration
	Until   time.Time
	Err     error
	Rate    Rate
}

// Validators are the validators of an earlier response to the same
// request; sent as If-None-Match and If-Modified-Since, they let GitHub
// answer 304 Not Modified, which costs no rate limit.
type Validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// IsZero reports whether there is nothing to send.
func (v Validators) IsZero() bool { return v.ETag == "" && v.LastModified == "" }

type ctxKey int

const (
	validatorsKey ctxKey = iota
	labelKey
	counterKey
)

// WithValidators makes the requests made with ctx conditional.
func WithValidators(ctx context.Context, v Validators) context.Context {
	if v.IsZero() {
		return ctx
	}
	return context.WithValue(ctx, validatorsKey, v)
}

// WithLabel names the requests made with ctx in events (a repository).
func WithLabel(ctx context.Context, label string) context.Context {
	return context.WithValue(ctx, labelKey, label)
}

// WithCounter counts the requests made with ctx, retries included, in n.
func WithCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, counterKey, n)
}

// Transport is the http.RoundTripper under the go-github client. It reads
// every response body whole before returning (so that a connection cut
// mid-body is retried like any broken connection), retries what is worth
// retrying, and waits out rate limits.
type Transport struct {
	base           http.RoundTripper
	clock          Clock
	sem            chan struct{}
	maxRetries     int
	maxBackoff     time.Duration
	maxWait        time.Duration
	attemptTimeout time.Duration
	timeout        time.Duration
	slowAfter      time.Duration
	maxRetryTime   time.Duration
	budget         int64
	sent           atomic.Int64
	onEvent        atomic.Pointer[func(Event)]
	jitter         func() float64
	maxBody        int64

	// reached is set by the first response: before it, a refused
	// connection or an unknown host means a wrong address, not a fault.
	reached atomic.Bool
	// down is set when a request gave up because the server did not
	// answer; later requests fail at once with it.
	down atomic.Pointer[error]

	mu   sync.Mutex
	rate Rate
}

func newTransport(opt Options) *Transport {
	t := &Transport{
		base:           opt.Transport,
		clock:          opt.Clock,
		maxRetries:     opt.MaxRetries,
		maxBackoff:     opt.MaxBackoff,
		maxWait:        opt.MaxWait,
		attemptTimeout: opt.AttemptTimeout,
		timeout:        opt.Timeout,
		slowAfter:      opt.SlowAfter,
		maxRetryTime:   opt.MaxRetryTime,
		budget:         int64(opt.MaxRequests),
		jitter:         opt.Jitter,
		maxBody:        64 << 20,
	}
	if t.base == nil {
		t.base = http.DefaultTransport.(*http.Transport).Clone()
	}
	if t.clock == nil {
		t.clock = SystemClock
	}
	n := opt.MaxInFlight
	if n <= 0 {
		n = 4
	}
	t.sem = make(chan struct{}, n)
	if t.maxRetries <= 0 {
		t.maxRetries = 8
	}
	if t.maxBackoff <= 0 {
		t.maxBackoff = 2 * time.Minute
	}
	if t.maxWait <= 0 {
		t.maxWait = 65 * time.Minute
	}
	if t.attemptTimeout <= 0 {
		t.attemptTimeout = 2 * time.Minute
	}
	if t.timeout <= 0 {
		t.timeout = DefaultTimeout
	}
	if t.slowAfter <= 0 {
		t.slowAfter = t.timeout / 4
	}
	if t.maxRetryTime <= 0 {
		t.maxRetryTime = 2 * time.Minute
	}
	if t.jitter == nil {
		t.jitter = rand.Float64
	}
	if opt.OnEvent != nil {
		t.onEvent.Store(&opt.OnEvent)
	}
	return t
}

// Rate returns the latest known primary rate limit.
func (t *Transport) Rate() Rate {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rate
}

func (t *Transport) emit(ctx context.Context, e Event) {
	fn := t.onEvent.Load()
	if fn == nil || *fn == nil {
		return
	}
	e.Label, _ = ctx.Value(labelKey).(string)
	if e.Rate == (Rate{}) {
		e.Rate = t.Rate()
	}
	(*fn)(e)
}

// maxPrimaryWaits bounds how often one request waits for a reset: a limit
// that stays spent after several resets is not going to clear.
const maxPrimaryWaits = 4

// DefaultTimeout is Options.Timeout's default.
const DefaultTimeout = 20 * time.Second

// RoundTrip sends req, retrying and waiting as needed.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead
	if v, ok := ctx.Value(validatorsKey).(Validators); ok {
		req = req.Clone(ctx)
		if v.ETag != "" {
			req.Header.Set("If-None-Match", v.ETag)
		}
		if v.LastModified != "" {
			req.Header.Set("If-Modified-Since", v.LastModified)
		}
	}
	path := req.URL.RequestURI()
	failures, primaryWaits := 0, 0
	var spent time.Duration // on failed attempts and the waits after them
	for {
		if down := t.down.Load(); down != nil {
			return nil, permanentError{fmt.Errorf("not sent: %w", *down)}
		}
		if err := t.awaitReset(ctx, path); err != nil {
			return nil, err
		}
		if t.budget > 0 && t.sent.Add(1) > t.budget {
			t.sent.Add(-1)
			return nil, ErrBudget
		} else if t.budget <= 0 {
			t.sent.Add(1)
		}
		if n, ok := ctx.Value(counterKey).(*atomic.Int64); ok {
			n.Add(1)
		}
		start := time.Now()
		resp, body, err := t.send(ctx, req, path)
		if err != nil {
			var perm permanentError
			if ctx.Err() != nil || errors.As(err, &perm) || !idempotent {
				return nil, err
			}
			if uerr := unreachable(req.URL, err); uerr != nil && !t.reached.Load() {
				return nil, permanentError{uerr} // a wrong address: retrying will not mend it
			}
			failures++
			d := t.backoff(failures)
			spent += time.Since(start)
			if failures > t.maxRetries || spent+d > t.maxRetryTime {
				gaveUp := fmt.Errorf("giving up after %d attempts in %s: %w", failures, spent.Round(time.Millisecond), err)
				var na *noAnswerError
				if errors.As(err, &na) {
					down := error(&ServerDownError{Host: req.URL.Host, Err: gaveUp})
					t.down.CompareAndSwap(nil, &down)
				}
				return nil, gaveUp
			}
			spent += d
			t.emit(ctx, Event{Kind: EventRetry, Path: path, Err: err, Attempt: failures, Wait: d})
			if err := t.clock.Sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		t.noteRate(resp)
		t.emit(ctx, Event{Kind: EventResponse, Path: path, Status: resp.StatusCode})
		switch classify(resp, body) {
		case primaryLimit:
			primaryWaits++
			if primaryWaits > maxPrimaryWaits || !idempotent {
				return resp, nil
			}
			t.markSpent(resp)
			continue // awaitReset waits for the reset
		case secondaryLimit:
			failures++
			if failures > t.maxRetries || !idempotent {
				return resp, nil
			}
			d, ok := retryAfter(resp.Header, t.clock.Now())
			if !ok {
				// GitHub: without Retry-After, wait at least a minute,
				// longer on each repeat.
				d = max(time.Minute, t.backoff(failures))
			}
			t.emit(ctx, Event{Kind: EventLimited, Path: path, Status: resp.StatusCode, Attempt: failures, Wait: d})
			if err := t.clock.Sleep(ctx, min(d, t.maxWait)); err != nil {
				return nil, err
			}
		case serverError:
			failures++
			if failures > t.maxRetries || !idempotent {
				return resp, nil
			}
			d := t.backoff(failures)
			if ra, ok := retryAfter(resp.Header, t.clock.Now()); ok {
				d = max(d, ra)
			}
			t.emit(ctx, Event{Kind: EventRetry, Path: path, Status: resp.StatusCode, Attempt: failures, Wait: d})
			if err := t.clock.Sleep(ctx, min(d, t.maxWait)); err != nil {
				return nil, err
			}
		default:
			return resp, nil
		}
	}
}

// permanentError is a failure that retrying cannot mend.
type permanentError struct{ error }

func (p permanentError) Unwrap() error { return p.error }

// send makes one attempt with at most MaxInFlight in flight, reading the
// whole body. The server has Timeout for the first byte of its answer and
// then Timeout for each further piece of the body; after SlowAfter
// without an answer an EventSlow says so.
func (t *Transport) send(ctx context.Context, req *http.Request, path string) (*http.Response, []byte, error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-t.sem }()
	actx, cancelAttempt := context.WithTimeout(ctx, t.attemptTimeout)
	defer cancelAttempt()
	actx, cancel := context.WithCancelCause(actx)
	defer cancel(nil)
	start := time.Now()
	noAnswer := &noAnswerError{wait: t.timeout}
	watchdog := time.AfterFunc(t.timeout, func() { cancel(noAnswer) })
	defer watchdog.Stop()
	var slowMu sync.Mutex // no EventSlow once the answer is in
	answered := false
	slow := time.AfterFunc(t.slowAfter, func() {
		slowMu.Lock()
		defer slowMu.Unlock()
		if !answered {
			t.emit(ctx, Event{Kind: EventSlow, Path: path, Wait: t.slowAfter, Until: t.clock.Now().Add(t.timeout - t.slowAfter)})
		}
	})
	resp, err := t.base.RoundTrip(req.Clone(actx))
	slowMu.Lock()
	answered = true
	slowMu.Unlock()
	slow.Stop()
	if err != nil {
		if cause := context.Cause(actx); errors.Is(cause, noAnswer) {
			return nil, nil, noAnswer
		}
		return nil, nil, err
	}
	t.reached.Store(true)
	noAnswer.stalled, noAnswer.after = true, time.Since(start)
	watchdog.Reset(t.timeout) // now for each read of the body
	body, err := io.ReadAll(io.LimitReader(&watchedReader{r: resp.Body, watchdog: watchdog, timeout: t.timeout}, t.maxBody+1))
	resp.Body.Close()
	if err != nil {
		if errors.Is(context.Cause(actx), noAnswer) {
			err = noAnswer
		}
		return nil, nil, fmt.Errorf("reading the response to GET %s: %w", req.URL.Path, err)
	}
	if int64(len(body)) > t.maxBody {
		return nil, nil, permanentError{fmt.Errorf("GET %s: response larger than %d bytes", req.URL.Path, t.maxBody)}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, body, nil
}

// watchedReader restarts the watchdog before each read, so that a body
// that keeps coming is read however long it is, and a stalled one is not
// waited for.
type watchedReader struct {
	r        io.Reader
	watchdog *time.Timer
	timeout  time.Duration
}

func (w *watchedReader) Read(p []byte) (int, error) {
	w.watchdog.Reset(w.timeout)
	return w.r.Read(p)
}

// noAnswerError is an attempt given up on: no first byte (or, once the
// answer began, no further byte) within the timeout.
type noAnswerError struct {
	wait    time.Duration
	stalled bool          // the answer began, then stopped
	after   time.Duration // when it began
}

func (e *noAnswerError) Error() string {
	if e.stalled {
		return fmt.Sprintf("the server began to answer (after %s), then sent nothing for %s", e.after.Round(time.Millisecond), e.wait)
	}
	return fmt.Sprintf("no answer within %s (the server is slow or hung)", e.wait)
}

// Timeout marks it as a timeout (net.Error's method).
func (e *noAnswerError) Timeout() bool { return true }

// ServerDownError is the error of requests not sent because an earlier
// one gave up: the server did not answer for Options.MaxRetryTime.
type ServerDownError struct {
	Host string
	Err  error
}

func (e *ServerDownError) Error() string {
	return fmt.Sprintf("the server at %s does not answer: %v", e.Host, e.Err)
}

func (e *ServerDownError) Unwrap() error { return e.Err }

// UnreachableError is a connection that could not be made on a client's
// first request: a refused connection, an unknown host, no route. It
// means a wrong address (or no network), so it is not retried.
type UnreachableError struct {
	URL string // scheme and host
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the GitHub API at %s: %v; check the address (--api-url, GITHUB_API_URL) and the network", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// unreachable returns an *UnreachableError when err says that no
// connection to u's host could be made at all, else nil.
func unreachable(u *url.URL, err error) error {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		what := "the host name does not resolve"
		if dns.IsTimeout || dns.IsTemporary {
			what = "the host name could not be resolved"
		}
		return &UnreachableError{URL: u.Scheme + "://" + u.Host, Err: fmt.Errorf("%s (%v)", what, dns)}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &UnreachableError{URL: u.Scheme + "://" + u.Host, Err: errors.New("connection refused (nothing listens there)")}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return &UnreachableError{URL: u.Scheme + "://" + u.Host, Err: err}
	case errors.As(err, &op) && op.Op == "dial" && !op.Timeout():
		return &UnreachableError{URL: u.Scheme + "://" + u.Host, Err: err}
	}
	return nil
}

// backoff is the wait before retry n (1, 2, ...): exponential from one
// second, capped, with full jitter over its upper half so that clients do
// not retry in step.
func (t *Transport) backoff(n int) time.Duration {
	d := time.Second << min(n-1, 16)
	d = min(d, t.maxBackoff)
	return d/2 + time.Duration(t.jitter()*float64(d/2))
}

type verdict int

const (
	ok verdict = iota
	primaryLimit
	secondaryLimit
	serverError
)

// classify tells a rate-limited or failed response from a usable one, as
// GitHub documents: a 403 or 429 with X-RateLimit-Remaining: 0 is the
// primary limit; a 429, or a 403 with Retry-After or a message naming the
// secondary limit, is a secondary limit; 500, 502, 503 and 504 are worth
// retrying.
func classify(resp *http.Response, body []byte) verdict {
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusTooManyRequests:
		if resp.Header.Get("X-RateLimit-Remaining") == "0" && resp.Header.Get("Retry-After") == "" {
			return primaryLimit
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "" {
			return secondaryLimit
		}
		msg := strings.ToLower(string(body[:min(len(body), 4096)]))
		if strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse") {
			return secondaryLimit
		}
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return serverError
	}
	return ok
}

// retryAfter parses a Retry-After header: seconds, or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 || s > 24*3600 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d <= 24*time.Hour {
			return max(d, 0), true
		}
	}
	return 0, false
}

// parseRate reads the primary rate-limit headers; Reset is moved to the
// local clock by the difference between the server's Date and now.
func parseRate(h http.Header, now time.Time) (Rate, bool) {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || limit < 0 || remaining < 0 || reset < 0 || reset > 1<<40 {
		return Rate{}, false
	}
	used, _ := strconv.Atoi(h.Get("X-RateLimit-Used"))
	at := time.Unix(reset, 0)
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		at = at.Add(now.Sub(date))
	}
	return Rate{Known: true, Limit: limit, Remaining: remaining, Used: used, Reset: at}, true
}

// noteRate keeps the lowest remaining count of the current window:
// responses to concurrent requests arrive in any order.
func (t *Transport) noteRate(resp *http.Response) {
	r, ok := parseRate(resp.Header, t.clock.Now())
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.rate
	switch {
	case !cur.Known, r.Reset.Sub(cur.Reset) > 2*time.Second:
		t.rate = r // a new window
	case r.Reset.Sub(cur.Reset) < -2*time.Second:
		// a response from the previous window, late
	default:
		if r.Remaining < cur.Remaining {
			t.rate.Remaining = r.Remaining
			t.rate.Used = r.Used
		}
		t.rate.Limit = r.Limit
	}
}

// markSpent records a primary-limit refusal even when its headers lack a
// reset (then an hour, GitHub's window, is assumed).
func (t *Transport) markSpent(resp *http.Response) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r, ok := parseRate(resp.Header, t.clock.Now()); ok {
		t.rate = r
	} else {
		t.rate = Rate{Known: true, Limit: t.rate.Limit, Remaining: 0, Reset: t.clock.Now().Add(time.Hour)}
	}
	t.rate.Remaining = 0
}

// awaitReset waits, when the primary limit is spent, until it resets.
func (t *Transport) awaitReset(ctx context.Context, path string) error {
	for {
		t.mu.Lock()
		r := t.rate
		t.mu.Unlock()
		now := t.clock.Now()
		if !r.Known || r.Remaining > 0 || !now.Before(r.Reset) {
			if r.Known && r.Remaining == 0 {
				t.mu.Lock()
				if t.rate.Reset.Equal(r.Reset) {
					t.rate.Remaining = max(t.rate.Limit, 1) // reset: find out anew
				}
				t.mu.Unlock()
			}
			return nil
		}
		// One second beyond the reset: the reset time has whole seconds.
		wait := min(r.Reset.Sub(now)+time.Second, t.maxWait)
		t.emit(ctx, Event{Kind: EventWaitReset, Path: path, Until: now.Add(wait), Wait: wait, Rate: r})
		if err := t.clock.Sleep(ctx, wait); err != nil {
			return err
		}
		t.mu.Lock()
		if t.rate.Reset.Equal(r.Reset) && t.rate.Remaining == 0 {
			t.rate.Remaining = max(t.rate.Limit, 1)
		}
		t.mu.Unlock()
	}
}
