package github

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bugscope/bugscope/github/githubtest"
)

// looseClient is a client of a plain loopback server with short real
// timeouts; backoffs pass on a fake clock, so nothing takes long.
func looseClient(t *testing.T, url string, mod func(*Options)) (*Client, *githubtest.Clock) {
	t.Helper()
	clock := githubtest.NewClock(epoch)
	o := Options{BaseURL: url, Clock: clock, Jitter: func() float64 { return 0.5 },
		Timeout: 80 * time.Millisecond, SlowAfter: 20 * time.Millisecond, MaxRetryTime: 10 * time.Second}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, clock
}

// recorder collects events from any goroutine.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) add(e Event) { r.mu.Lock(); r.evs = append(r.evs, e); r.mu.Unlock() }

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.evs...)
}

func kinds(evs []Event, k EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// A server that accepts the connection and never answers: each attempt
// is given up after Timeout, with an EventSlow first; the request gives up
// within MaxRetryTime (backoffs on the fake clock, attempts in real
// time); later requests fail at once.
func TestHungServerTimesOut(t *testing.T) {
	srv := githubtest.NewHung(t)
	var rec recorder
	c, clock := looseClient(t, srv.URL, func(o *Options) { o.OnEvent = rec.add })
	start := time.Now()
	_, _, err := list(context.Background(), c)
	elapsed := time.Since(start)
	evs := rec.all()
	if err == nil || !strings.Contains(err.Error(), "no answer within 80ms") || !strings.Contains(err.Error(), "giving up after 4 attempts") {
		t.Fatalf("err %v", err)
	}
	if n := srv.Requests(); n != 4 {
		t.Errorf("%d attempts, want 4 (backoffs 0.75s, 1.5s, 3s; the next, 6s, would pass the 10s bound)", n)
	}
	if slept, _ := clock.Slept(); slept != 5250*time.Millisecond {
		t.Errorf("slept %s on the clock", slept)
	}
	if elapsed > 3*time.Second {
		t.Errorf("took %s of real time", elapsed)
	}
	if kinds(evs, EventSlow) != 4 || kinds(evs, EventRetry) != 3 {
		t.Errorf("events: %d slow, %d retries; want 4 and 3", kinds(evs, EventSlow), kinds(evs, EventRetry))
	}
	for _, e := range evs {
		if e.Kind == EventSlow && (e.Wait != 20*time.Millisecond || !strings.Contains(e.Path, "/repos/acme/engine/issues")) {
			t.Errorf("slow event %+v", e)
		}
	}
	// The server is down: the next request is not sent.
	_, _, err = list(context.Background(), c)
	var down *ServerDownError
	if !errors.As(err, &down) || srv.Requests() != 4 {
		t.Errorf("second request: %v (%d attempts in all)", err, srv.Requests())
	}
}

// A body that stops half-way is given up after Timeout without a byte
// and retried; a slow answer that comes in time is taken, after an
// EventSlow.
func TestStalledBodyIsRetriedAndSlowAnswerTaken(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch hits.Add(1) {
		case 1:
			w.Write([]byte(`[{"number": 1, "title": "a"},`))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		default:
			time.Sleep(50 * time.Millisecond) // slow, within the timeout
			w.Write([]byte(`[{"number": 1, "title": "a"}]`))
		}
	}))
	defer srv.Close()
	var rec recorder
	// A timeout far above the slow answer's 50 ms, so that a loaded
	// machine does not make the second attempt time out too.
	c, _ := looseClient(t, srv.URL, func(o *Options) { o.OnEvent = rec.add; o.Timeout = time.Second })
	issues, _, err := list(context.Background(), c)
	evs := rec.all()
	if err != nil || len(issues) != 1 || hits.Load() != 2 {
		t.Fatalf("%d issues, %d attempts, err %v", len(issues), hits.Load(), err)
	}
	var retry *Event
	for i := range evs {
		if evs[i].Kind == EventRetry {
			retry = &evs[i]
		}
	}
	if retry == nil || !strings.Contains(retry.Err.Error(), "began to answer") || kinds(evs, EventSlow) < 1 {
		t.Errorf("events %+v", evs)
	}
}

// Nothing listens on the port: the first request fails at once, without a
// retry, and says why.
func TestRefusedConnectionFailsFast(t *testing.T) {
	c, clock := looseClient(t, "http://"+githubtest.ClosedAddr(t)+"/", nil)
	_, _, err := list(context.Background(), c)
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "check the address") {
		t.Fatalf("err %v", err)
	}
	if slept, n := clock.Slept(); n != 0 || c.Requests() != 1 {
		t.Errorf("retried: %d requests, slept %s", c.Requests(), slept)
	}
}

// A host name that does not resolve fails at once too.
func TestUnknownHostFailsFast(t *testing.T) {
	c, clock := looseClient(t, "http://no-such-host.invalid/", func(o *Options) { o.Timeout = 5 * time.Second })
	_, _, err := list(context.Background(), c)
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "resolve") {
		t.Fatalf("err %v", err)
	}
	if _, n := clock.Slept(); n != 0 || c.Requests() != 1 {
		t.Errorf("retried: %d requests", c.Requests())
	}
}

// Once the server has answered, a refused connection is a fault (a
// restart): it is retried.
func TestRefusedAfterAnAnswerIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[]`))
	}))
	c, clock := looseClient(t, srv.URL, func(o *Options) { o.MaxRetries = 2 })
	if _, _, err := list(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	_, _, err := list(context.Background(), c)
	var ue *UnreachableError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Fatalf("err %v", err)
	}
	if _, n := clock.Slept(); n != 2 {
		t.Errorf("%d backoffs, want 2", n)
	}
}
