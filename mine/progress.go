package mine

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/bugscope/bugscope/github"
	"github.com/bugscope/bugscope/internal/safetext"
)

// Printer shows the progress of a sync: on a terminal a line per
// repository, redrawn in place (items, requests, the rate limit left, an
// estimate of the time left, a countdown while waiting for the limit's
// reset); elsewhere plain log lines, at most one per repository every
// LogEvery besides changes of phase, waits, retries and the end.
type Printer struct {
	w        io.Writer
	tty      bool
	width    int
	now      func() time.Time
	LogEvery time.Duration

	mu     sync.Mutex
	order  []string
	lines  map[string]*status
	drawn  int
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

type status struct {
	phase      string
	items      int
	fraction   float64
	requests   int64
	rate       github.Rate
	until      time.Time
	note       string
	phaseStart time.Time
	lastLog    time.Time
	final      bool
}

// NewPrinter returns a printer for the repositories, in their order. On a
// terminal (tty) of width columns it redraws; now is the clock of
// countdowns and estimates.
func NewPrinter(w io.Writer, tty bool, width int, repos []string, now func() time.Time) *Printer {
	if width <= 20 {
		width = 100
	}
	p := &Printer{w: w, tty: tty, width: width, now: now, LogEvery: 10 * time.Second, lines: map[string]*status{}}
	for _, r := range repos {
		p.order = append(p.order, r)
		p.lines[r] = &status{phase: "queued"}
	}
	if tty {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	return p
}

// tick redraws while a countdown or estimate runs.
func (p *Printer) tick() {
	defer close(p.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// Close draws the final state and stops redrawing.
func (p *Printer) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	if p.tty {
		p.draw()
	}
	p.mu.Unlock()
	if p.tty {
		close(p.stop)
		<-p.done
	}
}

// Event records an event of the sync; use it as Options.Progress.
func (p *Printer) Event(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	s := p.lines[e.Repo]
	if s == nil {
		if e.Repo == "" {
			return
		}
		s = &status{}
		p.lines[e.Repo] = s
		p.order = append(p.order, e.Repo)
	}
	now := p.now()
	if e.Rate.Known {
		s.rate = e.Rate
	}
	if e.Requests > 0 {
		s.requests = e.Requests
	}
	changed := false
	switch e.Phase {
	case PhaseWaiting:
		s.until, s.note = e.Until, e.Note
	case PhaseRetry, PhaseSlow:
		s.note = e.Note
	default:
		changed = e.Phase != s.phase
		if changed {
			s.phaseStart = now
		}
		s.phase, s.items, s.fraction, s.until = e.Phase, e.Items, e.Fraction, time.Time{}
		s.final = e.Phase == PhaseDone || e.Phase == PhaseStopped || e.Phase == PhaseFailed
		s.note = e.Note
		if e.Err != nil {
			s.note = e.Err.Error()
		}
	}
	if p.tty {
		return // the ticker redraws
	}
	switch {
	case e.Phase == PhaseWaiting || e.Phase == PhaseRetry || e.Phase == PhaseSlow || changed || s.final || now.Sub(s.lastLog) >= p.LogEvery:
		s.lastLog = now
		fmt.Fprintln(p.w, p.logLine(e.Repo, s, now))
	}
}

// logLine is a plain line for a log. Notes and errors quote what servers
// said, so the line is made safe for a terminal.
func (p *Printer) logLine(repo string, s *status, now time.Time) string {
	if !s.until.IsZero() && s.until.After(now) {
		return safetext.Line(fmt.Sprintf("%s: waiting until %s (%s): %s", repo, s.until.Local().Format("15:04:05"), s.until.Sub(now).Round(time.Second), s.note))
	}
	parts := []string{fmt.Sprintf("%s: %s", repo, s.phase)}
	parts = append(parts, p.figures(s, now)...)
	if s.note != "" {
		parts = append(parts, s.note)
	}
	return safetext.Line(strings.Join(parts, ", "))
}

func (p *Printer) figures(s *status, now time.Time) []string {
	out := []string{fmt.Sprintf("%s items", thousands(s.items)), fmt.Sprintf("%d requests", s.requests)}
	if s.rate.Known {
		out = append(out, fmt.Sprintf("rate %s/%s left", thousands(s.rate.Remaining), thousands(s.rate.Limit)))
	}
	if !s.final && s.fraction > 0 && s.fraction < 1 {
		pct := fmt.Sprintf("%.0f%%", s.fraction*100)
		// An estimate needs some time and progress to go on.
		if elapsed := now.Sub(s.phaseStart); elapsed >= 2*time.Second && s.fraction > 0.02 {
			eta := time.Duration(float64(elapsed) * (1 - s.fraction) / s.fraction)
			pct += fmt.Sprintf(", about %s left", eta.Round(time.Second))
		}
		out = append(out, pct)
	}
	return out
}

// draw redraws every line in place.
func (p *Printer) draw() {
	now := p.now()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	width := 0
	for _, r := range p.order {
		width = max(width, len(r))
	}
	for _, r := range p.order {
		s := p.lines[r]
		var line string
		if !s.until.IsZero() && s.until.After(now) {
			line = fmt.Sprintf("%-*s  waiting %s (until %s): %s", width, r, s.until.Sub(now).Round(time.Second),
				s.until.Local().Format("15:04:05"), s.note)
		} else {
			line = fmt.Sprintf("%-*s  %-9s %s", width, r, s.phase, strings.Join(p.figures(s, now), "  "))
			if s.note != "" {
				line += "  " + s.note
			}
		}
		b.WriteString("\r\x1b[2K")
		b.WriteString(truncate(safetext.Line(line), p.width-1))
		b.WriteByte('\n')
	}
	p.drawn = len(p.order)
	io.WriteString(p.w, b.String())
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:max(n-1, 0)]) + "…"
}

// thousands writes n with thousands separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
