package githubtest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// ClosedAddr returns a loopback address (host:port) where nothing
// listens: a connection to it is refused.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Hung is a server that accepts every request and never answers, until
// the test ends. Requests counts what it received.
type Hung struct {
	URL      string
	requests atomic.Int32
}

// Requests returns how many requests the server received.
func (h *Hung) Requests() int { return int(h.requests.Load()) }

// NewHung starts a hung server on loopback, closed when the test ends.
func NewHung(t testing.TB) *Hung {
	t.Helper()
	h := &Hung{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	h.URL = srv.URL
	return h
}
