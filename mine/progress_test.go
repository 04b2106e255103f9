package mine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope/github"
)

func TestPrinterLogLines(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var b bytes.Buffer
	p := NewPrinter(&b, false, 0, []string{"a/one", "b/two"}, clock)
	rate := github.Rate{Known: true, Limit: 5000, Remaining: 4990}
	p.Event(Event{Repo: "a/one", Phase: PhaseIssues, Items: 100, Requests: 1, Rate: rate, Fraction: 0.1})
	now = now.Add(time.Second)
	p.Event(Event{Repo: "a/one", Phase: PhaseIssues, Items: 200, Requests: 2, Rate: rate, Fraction: 0.2}) // too soon for a line
	now = now.Add(10 * time.Second)
	p.Event(Event{Repo: "a/one", Phase: PhaseIssues, Items: 1200, Requests: 12, Rate: rate, Fraction: 0.5})
	p.Event(Event{Repo: "a/one", Phase: PhaseWaiting, Until: now.Add(3 * time.Minute), Note: "primary rate limit spent"})
	p.Event(Event{Repo: "a/one", Phase: PhaseDone, Items: 2500, Requests: 26, Rate: rate, Fraction: 1})
	p.Close()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	for i, want := range []string{
		"a/one: issues, 100 items, 1 requests, rate 4,990/5,000 left, 10%",
		"a/one: issues, 1,200 items, 12 requests, rate 4,990/5,000 left, 50%, about 11s left",
		"a/one: waiting until",
		"a/one: done, 2,500 items, 26 requests",
	} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d: %q, want %q...", i+1, lines[i], want)
		}
	}
	if !strings.Contains(lines[2], "(3m0s): primary rate limit spent") {
		t.Errorf("countdown line %q", lines[2])
	}
}

func TestPrinterRedrawsOnTerminal(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	p := NewPrinter(&b, true, 60, []string{"a/one", "b/two"}, func() time.Time { return now })
	p.Event(Event{Repo: "a/one", Phase: PhaseIssues, Items: 300, Requests: 3})
	p.Event(Event{Repo: "b/two", Phase: PhaseWaiting, Until: now.Add(90 * time.Second), Note: "secondary rate limit (HTTP 429)"})
	p.Close()
	out := b.String()
	for _, want := range []string{"\x1b[2K", "a/one  issues    300 items", "b/two  waiting 1m30s"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if len([]rune(strings.TrimPrefix(l, "\r\x1b[2K"))) > 60 {
			t.Errorf("line wider than the terminal: %q", l)
		}
	}
}
