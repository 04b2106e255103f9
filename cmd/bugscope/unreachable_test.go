package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

// sync --api-url of a closed port fails at once with a clear message
// (issue 13, item 5: it used to retry for about 2.5 minutes).
func TestSyncWrongAddressFailsFast(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
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
