package childproc

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The child gets its arguments, the parent reads its lines and kills it.
func TestChild(t *testing.T) {
	if args, ok := Args(t); ok {
		fmt.Println("ARGS", strings.Join(args, "|"))
		time.Sleep(time.Minute) // killed here
		os.Exit(3)
	}
	c := Start(t, "TestChild", "a b", "c")
	m := c.WaitLine(t, regexp.MustCompile(`^ARGS (.*)$`), 30*time.Second)
	if m[1] != "a b|c" {
		t.Errorf("the child got %q", m[1])
	}
	c.Kill()
	if err := c.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("exit after Kill: %v", err)
	}
	c.Kill() // an ended child: nothing to do
}

// A child that ends: its exit status, and all it wrote before.
func TestChildExit(t *testing.T) {
	if _, ok := Args(t); ok {
		fmt.Println("last words")
		os.Exit(7)
	}
	c := Start(t, "TestChildExit")
	if err := c.Wait(); err == nil || !strings.Contains(err.Error(), "exit status 7") {
		t.Errorf("exit %v", err)
	}
	c.WaitLine(t, regexp.MustCompile(`^last words$`), time.Second)
	if !strings.Contains(c.Output(), "last words") {
		t.Errorf("output %q", c.Output())
	}
}

// Another test's child is not this test's.
func TestArgsOfOtherTest(t *testing.T) {
	t.Setenv(env, `{"test":"TestSomethingElse","args":["x"]}`)
	if args, ok := Args(t); ok {
		t.Errorf("Args = %q, true for another test's child", args)
	}
}
