package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRaterCommands(t *testing.T) {
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json")
	mustRun(t, "--db", db, "sample", "--name", "s", "--stratify", "none", "--size", "3", "--seed", "1")
	link := strings.TrimSpace(mustRun(t, "--db", db, "rater", "add", "alice", "--sample", "s", "--url", "http://10.0.0.5:8080/"))
	if !strings.HasPrefix(link, "http://10.0.0.5:8080/signin/") || len(link) != len("http://10.0.0.5:8080/signin/")+43 {
		t.Fatalf("link %q", link)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"rater", "add", "alice"}, exitConflict},
		{[]string{"rater", "add", "bob", "--sample", "nope"}, exitNotFound},
		{[]string{"rater", "add", "b\x1bob"}, exitUsage},
		{[]string{"rater", "add", "bob", "--url", "ftp://x"}, exitUsage},
		{[]string{"rater", "add"}, exitUsage},
		{[]string{"rater", "link", "carol"}, exitNotFound},
		{[]string{"rater", "revoke", "carol"}, exitNotFound},
		{[]string{"rater", "frobnicate"}, exitUsage},
	} {
		if _, errOut, code := run(t, append([]string{"--db", db}, c.args...)...); code != c.code {
			t.Errorf("bugscope %s: exit %d, want %d (%s)", strings.Join(c.args, " "), code, c.code, errOut)
		}
	}
	var added raterLink
	if err := json.Unmarshal([]byte(mustRun(t, "--db", db, "rater", "add", "dana", "--admin", "--json")), &added); err != nil || !added.Rater.Admin || !strings.Contains(added.Link, "/signin/") {
		t.Fatalf("add --json: %+v %v", added, err)
	}
	second := strings.TrimSpace(mustRun(t, "--db", db, "rater", "link", "alice"))
	if second == link || !strings.Contains(second, "/signin/") {
		t.Fatalf("new link %q", second)
	}
	mustRun(t, "--db", db, "rater", "revoke", "alice")
	out := mustRun(t, "--db", db, "rater", "list")
	if !strings.Contains(out, "alice  rater  s ") || !strings.Contains(out, "revoked") || !strings.Contains(out, "dana   admin  every sample") {
		t.Errorf("list:\n%s", out)
	}
	if _, _, code := run(t, "--db", db, "rater", "link", "alice"); code != exitConflict {
		t.Errorf("link for a revoked rater: exit %d", code)
	}
	// No token is stored: the database holds only hashes.
	if strings.Contains(mustRun(t, "--db", db, "rater", "list", "--json"), strings.TrimPrefix(second, "http://127.0.0.1:8080/signin/")) {
		t.Error("a token in the listing")
	}
}
