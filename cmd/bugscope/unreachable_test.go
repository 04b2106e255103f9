package main

import (
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope/github/githubtest"
)

// sync --api-url of a closed port fails at once with a clear message
// (issue 13, item 5: it used to retry for about 2.5 minutes).
func TestSyncWrongAddressFailsFast(t *testing.T) {
	addr := githubtest.ClosedAddr(t)
	start := time.Now()
	_, errOut, code := run(t, "--db", tempDB(t), "sync", "-q", "--api-url", "http://"+addr+"/", "acme/engine")
	if code == 0 || !strings.Contains(errOut, "cannot reach the GitHub API at http://"+addr+": connection refused") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	if _, errOut, code := run(t, "--db", tempDB(t), "sync", "--timeout", "-1s", "acme/engine"); code != exitUsage {
		t.Errorf("--timeout -1s: exit %d: %s", code, errOut)
	}
}
