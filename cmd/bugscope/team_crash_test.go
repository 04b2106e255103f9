package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bugscope/bugscope/internal/childproc"
	"github.com/bugscope/bugscope/sqlite"
)

// startServeChild runs bugscope serve on db in a child process (this test
// binary again) and returns it with its address.
func startServeChild(t *testing.T, db string) (*childproc.Child, string) {
	t.Helper()
	c := childproc.Start(t, "TestTeamServeKilledLosesNothing", db)
	return c, c.WaitLine(t, regexp.MustCompile(`open (http://127\.0\.0\.1:\d+)/`), 60*time.Second)[1]
}

// Raters answer at full speed while the server is killed (SIGKILL, no
// shutdown): every answer it acknowledged is in the database afterwards,
// once, with its labels; a new server takes the same sessions.
func TestTeamServeKilledLosesNothing(t *testing.T) {
	if args, ok := childproc.Args(t); ok {
		db := args[0]
		a := &app{stdout: os.Stdout, stderr: os.Stderr, now: time.Now, quiet: true}
		root := a.root()
		root.SetArgs([]string{"--db", db, "serve", "--addr", "127.0.0.1:0"})
		if err := root.ExecuteContext(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL semantics")
	}
	db := tempDB(t)
	mustRun(t, "--db", db, "import", "testdata/issues.json", "testdata/other.jsonl")
	mustRun(t, "--db", db, "sample", "--name", "s", "--stratify", "none", "--size", "6", "--seed", "3")
	const raters = 8
	tokens := map[string]string{}
	for i := range raters {
		name := fmt.Sprintf("r%d", i)
		// links made now: the child serves on the real clock
		out, errOut, code := runWith(t, func(a *app) { a.now = time.Now }, "--db", db, "rater", "add", name, "--sample", "s")
		if code != 0 {
			t.Fatalf("rater add: %d %s", code, errOut)
		}
		link := strings.TrimSpace(out)
		tokens[name] = link[strings.LastIndex(link, "/")+1:]
	}
	var refs []string
	d, err := sqlite.OpenWith(context.Background(), db, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	items, err := d.SampleItems(context.Background(), "s")
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		refs = append(refs, it.Issue.String())
	}
	if len(refs) != 6 {
		t.Fatalf("sample items %q", refs)
	}

	child, base := startServeChild(t, db)
	type client struct {
		http *http.Client
		csrf string
	}
	clients := map[string]*client{}
	csrfRe := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	for name, tok := range tokens {
		jar, _ := cookiejar.New(nil)
		c := &client{http: &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		resp, err := c.http.PostForm(base+"/signin", url.Values{"token": {tok}})
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in %s: %v %v", name, resp, err)
		}
		resp.Body.Close()
		resp, err = c.http.Get(base + "/samples/s/annotate")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfRe.FindSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF token for %s", name)
		}
		c.csrf = string(m[1])
		clients[name] = c
	}

	kinds := []string{"feature", "question", "docs"}
	type ack struct{ rater, key, kind string }
	var mu sync.Mutex
	var acks []ack
	killAt := 150
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for name, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-killed:
					return
				default:
				}
				kind := kinds[i%len(kinds)]
				key := fmt.Sprintf("crash-%s-%06d-key", name, i)
				// the note makes every answer new (one equal to the
				// rater's latest is acknowledged but not stored again)
				form := url.Values{"csrf": {c.csrf}, "submission": {key}, "issue": {refs[i%len(refs)]}, "label.kind": {kind}, "note": {key}}
				resp, err := c.http.PostForm(base+"/samples/s/annotate", form)
				if err != nil {
					continue // the server is gone: not acknowledged
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther {
					continue
				}
				mu.Lock()
				acks = append(acks, ack{name, key, kind})
				n := len(acks)
				mu.Unlock()
				if n >= killAt {
					once.Do(func() {
						child.Kill()
						close(killed)
					})
				}
			}
		}()
	}
	wg.Wait()

	d, err = sqlite.OpenWith(context.Background(), db, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_, rows, err := d.Rows(context.Background(), `SELECT rater, submission, labels, note FROM annotations`)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for _, r := range rows {
		k := fmt.Sprint(r[0], " ", r[1])
		if _, dup := stored[k]; dup {
			t.Errorf("%s stored twice", k)
		}
		stored[k] = fmt.Sprint(r[2])
		if fmt.Sprint(r[3]) != fmt.Sprint(r[1]) {
			t.Errorf("%s: note %v, want its key (answers mixed)", k, r[3])
		}
	}
	for _, a := range acks {
		got, ok := stored[a.rater+" "+a.key]
		if !ok {
			t.Errorf("acknowledged answer %s of %s lost", a.key, a.rater)
		} else if got != fmt.Sprintf(`{"kind":[%q]}`, a.kind) {
			t.Errorf("%s of %s: stored %s, acknowledged %s", a.key, a.rater, got, a.kind)
		}
	}
	if len(acks) < killAt || len(rows) < len(acks) {
		t.Fatalf("%d acknowledged, %d stored", len(acks), len(rows))
	}
	t.Logf("%d answers acknowledged before the kill, %d stored", len(acks), len(rows))

	// A new server: the sessions are in the database.
	child2, base2 := startServeChild(t, db)
	defer child2.Kill()
	c := clients["r0"]
	form := url.Values{"csrf": {c.csrf}, "submission": {"after-the-restart-key"}, "issue": {refs[0]}, "label.kind": {"docs"}}
	resp, err := c.http.PostForm(base2+"/samples/s/annotate", form)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the restart: %v %v", resp, err)
	}
	resp.Body.Close()
}
