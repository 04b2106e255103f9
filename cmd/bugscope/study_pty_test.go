package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"

	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
)

// ptyScreen collects what a program writes to its terminal.
type ptyScreen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *ptyScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *ptyScreen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitRaw waits a little for a byte sequence in the raw output.
func (s *ptyScreen) waitRaw(what string) bool {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(s.String(), what) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func (s *ptyScreen) waitText(t *testing.T, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(ansi.Strip(s.String()), what) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the terminal never showed %q; it shows:\n%q", what, s.String())
}

// TestAnnotateInARealTerminal runs the bugscope binary's annotate command
// on a pseudo-terminal, types keys as a person would, quits, and runs it
// again to see it resume where the rater stopped.
func TestAnnotateInARealTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "sample", "--name", "tty", "--seed", "4")

	session := func(keys []string, waits []string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "--db", db, "annotate", "--sample", "tty", "--rater", "pty")
		cmd.Env = append(cmd.Environ(), "TERM=xterm-256color")
		tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
		if err != nil {
			t.Fatal(err)
		}
		defer tty.Close()
		var scr ptyScreen
		copied := make(chan struct{})
		go func() { io.Copy(&scr, tty); close(copied) }()
		// Answer the terminal queries (background colour, cursor position)
		// that Lip Gloss sends at start-up, as a real terminal does.
		if raw := scr.waitRaw("\x1b[6n"); raw {
			tty.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[1;1R"))
		}
		for i, k := range keys {
			if waits[i] != "" {
				scr.waitText(t, waits[i])
			}
			if _, err := tty.Write([]byte(k)); err != nil {
				t.Fatal(err)
			}
			// One key per read: a terminal program reads what arrives at
			// once as one event.
			time.Sleep(60 * time.Millisecond)
		}
		code := 0
		if err := cmd.Wait(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("annotate: %v\n%q", err, scr.String())
			}
			code = ee.ExitCode()
		}
		tty.Close()
		select {
		case <-copied:
		case <-time.After(5 * time.Second):
		}
		return scr.String(), code
	}

	// First session: feature on the first issue (1 opens kind, 2 is
	// feature), enter saves; then quit.
	out, code := session([]string{"1", "2", "\r", "q"}, []string{"bugscope annotate", "Kind —", "kind: feature", "1 of 6 answered"})
	if !strings.Contains(out, "1 answers stored this session; 1 of 6 issues answered") || code != 0 {
		t.Fatalf("exit %d, summary missing:\n%q", code, out)
	}
	// Second session: it opens at the second issue; leave it out with the
	// first reason, save, quit.
	out, code = session([]string{"x", "1", "\r", "q"}, []string{"issue 2 of 6", "Leave this issue out", "LEFT OUT", "2 of 6 answered"})
	if !strings.Contains(out, "2 of 6 issues answered") || code != 0 {
		t.Fatalf("exit %d, summary missing:\n%q", code, out)
	}
	// Third session: a draft on the third issue, then ctrl+c: it asks, as
	// q does; ctrl+c again quits without saving, as interrupted (130).
	out, code = session([]string{"1", "2", "\x03", "\x03"}, []string{"issue 3 of 6", "Kind —", "kind: feature", "ctrl+c again quits without saving"})
	if code != exitInterrupted || !strings.Contains(out, "0 answers stored this session; 2 of 6 issues answered") {
		t.Fatalf("ctrl+c: exit %d, want %d\n%q", code, exitInterrupted, out)
	}

	d, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	anns, err := d.Annotations(context.Background(), "tty", study.AnnotationQuery{Rater: "pty"})
	if err != nil {
		t.Fatal(err)
	}
	if len(anns) != 2 || anns[0].Labels.One("kind") != "feature" || anns[1].ExcludeReason == "" || anns[0].Source != "tui" {
		t.Fatalf("stored: %+v", anns)
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// buildBinary builds the bugscope binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "bugscope-bin-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "bugscope")
		if out, err := exec.Command(goBin, "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// TestNoTerminalQueryAtStartup: a command that draws nothing must not
// query the terminal (Bubble Tea v1 does at init; see tui/internal/nobgquery),
// which costs a round trip or a five-second wait on a terminal that does
// not answer.
func TestNoTerminalQueryAtStartup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	cmd := exec.CommandContext(ctx, bin, "--db", db, "status")
	cmd.Env = append(cmd.Environ(), "TERM=xterm-256color")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	out, _ := io.ReadAll(tty) // ends with EIO when the command exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("status: %v\n%q", err, out)
	}
	for _, q := range []string{"\x1b]11;?", "\x1b[6n"} {
		if bytes.Contains(out, []byte(q)) {
			t.Errorf("status wrote the terminal query %q: %q", q, out)
		}
	}
	if !bytes.Contains(out, []byte("4 issues")) {
		t.Errorf("status output: %q", out)
	}
}
