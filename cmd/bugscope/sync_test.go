package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope/github/githubtest"
)

func fakeGitHub(t *testing.T) *githubtest.Server {
	t.Helper()
	srv := githubtest.New(githubtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)))
	t.Cleanup(srv.Close)
	srv.Generate("acme/engine", githubtest.Spec{Issues: 260, Pulls: 40, Comments: 30, Seed: 3})
	srv.Generate("acme/other", githubtest.Spec{Issues: 90, Pulls: 10, Seed: 4})
	return srv
}

func TestSyncCommand(t *testing.T) {
	srv := fakeGitHub(t)
	t.Setenv("GITHUB_TOKEN", "test-token")
	db := tempDB(t)
	out, errOut, code := run(t, "--db", db, "sync", "--api-url", srv.URL, "--comments", "--json", "acme/engine", "acme/other")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var res struct {
		Complete bool
		Repos    []struct {
			Repo                       string
			Listed, Inserted, Comments int
			NotModified                int `json:"not_modified"`
			FixedIssues                int `json:"fixed_issues"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !res.Complete || len(res.Repos) != 2 || res.Repos[0].Inserted != 300 || res.Repos[1].Inserted != 100 || res.Repos[0].Comments != 30 || res.Repos[0].FixedIssues == 0 {
		t.Fatalf("result %+v", res)
	}
	// Plain log lines on a non-terminal, naming the token's variable.
	if !strings.Contains(errOut, "acme/engine: issues") || !strings.Contains(errOut, "token of GITHUB_TOKEN") || strings.Contains(errOut, "\x1b[") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if s := status(t, db); s.IssuesByRepo["acme/engine"] != 260 || s.PullRequests != 50 {
		t.Errorf("status %+v", s)
	}
	// Again: nothing changed, one 304 each; the table says so.
	out = mustRun(t, "--db", db, "sync", "--api-url", srv.URL, "-q", "acme/engine", "acme/other")
	if !strings.Contains(out, "repository") || strings.Count(out, "complete") != 2 {
		t.Errorf("table:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); strings.HasPrefix(line, "acme/") && (len(f) < 3 || f[len(f)-2] != "1" || f[1] != "0") {
			t.Errorf("second sync line %q: want one 304", line)
		}
	}
}

func TestSyncCommandWithoutTokenSaysSoOnce(t *testing.T) {
	srv := fakeGitHub(t)
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("GH_TOKEN", "")
	_, errOut, code := run(t, "--db", tempDB(t), "sync", "--api-url", srv.URL, "acme/other")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := strings.Count(errOut, "60 an hour"); n != 1 {
		t.Errorf("the 60-an-hour note %d times:\n%s", n, errOut)
	}
	if st := srv.Stats(); st.Anonymous != st.Requests {
		t.Errorf("%d of %d requests anonymous", st.Anonymous, st.Requests)
	}
}

func TestSyncCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"sync"},
		{"sync", "--preset", "nope"},
		{"sync", "not-a-repo"},
		{"sync", "--state", "merged", "a/b"},
		{"sync", "--since", "yesterday", "a/b"},
		{"sync", "--api-url", "ftp://x", "a/b"},
		{"sync", "--limit", "-1", "a/b"},
		{"study"},
	} {
		_, errOut, code := run(t, append([]string{"--db", tempDB(t)}, args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args, code, errOut, exitUsage)
		}
	}
}

// study --repo mines, classifies and reports, with the fix-effort section.
func TestStudyMines(t *testing.T) {
	srv := fakeGitHub(t)
	t.Setenv("GITHUB_TOKEN", "test-token")
	dir := t.TempDir()
	out := mustRun(t, "--db", tempDB(t), "study", "-q", "--api-url", srv.URL, "--repo", "acme/engine", "--fix-sizes", "-o", dir)
	if !strings.Contains(out, filepath.Join(dir, "report.md")) {
		t.Fatalf("output:\n%s", out)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "## Fix effort") || !strings.Contains(string(md), "**All bugs**") {
		t.Errorf("no fix-effort section in:\n%s", md)
	}
	if srv.Stats().ByKind["pull"] == 0 {
		t.Error("no fix sizes fetched")
	}
}
