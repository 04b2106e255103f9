// Package childproc runs a test of the calling test binary again in a
// child process, for tests that kill a process (SIGKILL: no clean-up) or
// race several: the crash tests of sqlite, mine, the team's pages and the
// triage webhook.
//
// The child is the same test function: it asks Args whether it is the
// child and, if so, does the child's part.
//
//	func TestCrash(t *testing.T) {
//		if args, ok := childproc.Args(t); ok {
//			child(args) // until killed
//			return
//		}
//		c := childproc.Start(t, "TestCrash", path)
//		c.WaitLine(t, regexp.MustCompile(`^READY$`), time.Minute)
//		c.Kill()
//		...
//	}
package childproc

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"
)

// env carries the child's test name and arguments, as JSON.
const env = "BUGSCOPE_TEST_CHILD"

type spec struct {
	Test string   `json:"test"`
	Args []string `json:"args"`
}

// maxOutput bounds the output kept of a child (its start is kept).
const maxOutput = 4 << 20

// Args returns the arguments Start gave the child, and true, when this
// process is the child Start made for test t; otherwise nil and false.
func Args(t testing.TB) ([]string, bool) {
	v := os.Getenv(env)
	if v == "" {
		return nil, false
	}
	var s spec
	if err := json.Unmarshal([]byte(v), &s); err != nil || s.Test != t.Name() {
		return nil, false
	}
	return s.Args, true
}

// Child is a running child process.
type Child struct {
	cmd  *exec.Cmd
	out  *output
	done chan struct{}
	err  error // of Wait, once done is closed
}

// Start runs test (a top-level test function of this binary) in a child
// process with args, its stdout and stderr collected. A child still
// running when t ends is killed.
func Start(t testing.TB, test string, args ...string) *Child {
	t.Helper()
	b, err := json.Marshal(spec{Test: test, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(test)+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env+"="+string(b))
	out := &output{changed: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &Child{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	t.Cleanup(c.Kill)
	return c
}

// WaitLine waits for a line of the child's output that re matches and
// returns its submatches. It fails t, with the child's output, when the
// child ends first or timeout passes.
func (c *Child) WaitLine(t testing.TB, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	from := 0
	for {
		lines, changed := c.out.lines(from)
		for _, l := range lines {
			from += len(l) + 1
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		}
		select {
		case <-changed:
		case <-c.done:
			if lines, _ := c.out.lines(from); len(lines) > 0 {
				continue // what it wrote before it ended
			}
			t.Fatalf("the child ended (%v) before a line matching %s:\n%s", c.err, re, c.Output())
		case <-deadline:
			t.Fatalf("no line matching %s from the child within %s:\n%s", re, timeout, c.Output())
		}
	}
}

// Kill kills the child with SIGKILL (no clean-up of any kind) and waits
// for it to end. Killing a child that has ended does nothing.
func (c *Child) Kill() {
	select {
	case <-c.done:
		return
	default:
	}
	c.cmd.Process.Kill()
	<-c.done
}

// Wait waits for the child to end and returns its exit error.
func (c *Child) Wait() error {
	<-c.done
	return c.err
}

// Done is closed when the child has ended.
func (c *Child) Done() <-chan struct{} { return c.done }

// Output is what the child wrote so far, stdout and stderr together.
func (c *Child) Output() string { return c.out.String() }

// output collects a child's output and wakes line waiters.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if room := maxOutput - o.buf.Len(); room > 0 {
		o.buf.Write(p[:min(len(p), room)])
	}
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

// lines returns the complete lines written from byte offset from on, and
// a channel closed at the next write.
func (o *output) lines(from int) ([]string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.buf.Bytes()[from:]
	var out []string
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		out = append(out, string(b[:i]))
		b = b[i+1:]
	}
	return out, o.changed
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
