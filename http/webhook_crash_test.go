package http_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/github"
	bhttp "github.com/bugscope/bugscope/http"
	"github.com/bugscope/bugscope/internal/childproc"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
	"github.com/bugscope/bugscope/triage"
)

// TestWebhookCrashChild is the child process of TestWebhookCrashRestart:
// the webhook and (unless told not to) the worker on a database file,
// against the parent's fake GitHub, until it is killed.
func TestWebhookCrashChild(t *testing.T) {
	args, ok := childproc.Args(t)
	if !ok {
		t.Skip("the child of TestWebhookCrashRestart")
	}
	dbPath, ghURL, worker := args[0], args[1], args[2] == "worker"
	ctx := context.Background()
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := triage.ParseConfig([]byte(testConfig(triage.ModeApply)), "test.yaml", tax)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := classify.BuiltinRules(tax)
	client, err := github.New(github.Options{Token: "t0ken", BaseURL: ghURL})
	if err != nil {
		t.Fatal(err)
	}
	svc := &triage.Service{Store: db, Issues: db, Config: cfg, Tax: tax, GitHub: client,
		Classify: pipeline.ClassifyOne(db, tax, classify.New(rs)), Idle: 50 * time.Millisecond,
		Logf: func(f string, a ...any) { t.Logf(f, a...) }}
	wake := make(chan struct{}, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: bhttp.NewWebhook(bhttp.WebhookOptions{Secret: []byte("s3cret"), Queue: db, Wake: wake})}
	go srv.Serve(ln)
	if worker {
		go svc.Run(ctx, wake)
	}
	fmt.Println("LISTENING", ln.Addr())
	select {} // until killed
}

// child is a running TestWebhookCrashChild.
type child struct {
	*childproc.Child
	url string
}

var listening = regexp.MustCompile(`^LISTENING (\S+)$`)

func startChild(t *testing.T, dbPath, ghURL string, worker bool) *child {
	t.Helper()
	mode := "no-worker"
	if worker {
		mode = "worker"
	}
	c := childproc.Start(t, "TestWebhookCrashChild", dbPath, ghURL, mode)
	return &child{Child: c, url: "http://" + c.WaitLine(t, listening, 60*time.Second)[1]}
}

// waitDelivery polls the database until the delivery is done.
func waitDelivery(t *testing.T, dbPath, id string, c *child) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		db, err := sqlite.OpenWith(context.Background(), dbPath, sqlite.Options{ReadOnly: true, CheckPages: -1})
		if err == nil {
			ds, _ := db.Deliveries(context.Background(), 100)
			db.Close()
			for _, d := range ds {
				if d.DeliveryID == id && d.State == triage.DeliveryDone {
					return
				}
			}
		}
		select {
		case <-c.Done():
			t.Fatalf("the child died before delivery %s was done:\n%s", id, c.Output())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("delivery %s not done", id)
}

// A crash between accepting a delivery and acting on it, and crashes in
// the middle of acting (killed by SIGKILL as GitHub receives the label
// call, or the comment), then a restart: nothing accepted is lost, and
// nothing is done twice.
func TestWebhookCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "crash.db")
	e := newEnv(t, triage.ModeApply) // for the fake GitHub and payloads
	// The child's database: migrated, with the gate of newEnv.
	db, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.db.LatestGate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveGate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, n := range []int{7, 8, 9} {
		e.fake.AddIssue(testRepo, n, "[Bug]: CUDA out of memory with long prompts", oomBody, "alice", "needs-triage")
	}

	var mu sync.Mutex
	var killAt string // "METHOD path" whose arrival kills the current child
	var current *child
	e.fake.OnRequest(func(_ int, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if killAt != "" && r.Method+" "+strings.TrimPrefix(r.URL.Path, "/api/v3") == killAt && current != nil {
			killAt = ""
			current.Kill() // GitHub gets the call; the child never hears back
		}
	})
	start := func(worker bool) *child {
		c := startChild(t, dbPath, e.fake.URL, worker)
		mu.Lock()
		current = c
		mu.Unlock()
		return c
	}
	deliver := func(c *child, id string, n int) {
		e.srv.URL = c.url
		if code, ans := e.post("issues", id, e.payload("opened", n, ""), true); code != http.StatusAccepted {
			t.Fatalf("delivery %s: %d %s", id, code, ans)
		}
	}

	// 1. Killed as GitHub receives the label call of #7.
	mu.Lock()
	killAt = "POST /repos/acme/engine/issues/7/labels"
	mu.Unlock()
	c := start(true)
	deliver(c, "d-7", 7)
	c.Wait()
	c = start(true)
	waitDelivery(t, dbPath, "d-7", c)

	// 2. Killed as GitHub receives the comment of #8.
	mu.Lock()
	killAt = "POST /repos/acme/engine/issues/8/comments"
	mu.Unlock()
	deliver(c, "d-8", 8)
	c.Wait()
	c = start(true)
	waitDelivery(t, dbPath, "d-8", c)
	c.Kill()

	// 3. Killed after accepting #9, before any work: the worker is off.
	c = start(false)
	deliver(c, "d-9", 9)
	c.Kill()
	c = start(true)
	waitDelivery(t, dbPath, "d-9", c)
	c.Kill()

	var got []string
	for _, call := range e.fake.Calls() {
		got = append(got, call.Method+" "+call.Path)
	}
	var want []string
	for _, n := range []string{"7", "8", "9"} {
		want = append(want, "POST /repos/acme/engine/issues/"+n+"/labels", "POST /repos/acme/engine/issues/"+n+"/comments")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("calls after crashes:\n%s\nwant\n%s\nlast child's log:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), c.Output())
	}
	for _, n := range []int{7, 8, 9} {
		if cs := e.fake.IssueCommentBodies(testRepo, n); len(cs) != 1 {
			t.Errorf("#%d has %d comments", n, len(cs))
		}
		labels := e.fake.IssueLabels(testRepo, n)
		slices.Sort(labels)
		if !slices.Equal(labels, []string{"bug", "needs-triage", "oom"}) {
			t.Errorf("#%d labels %q", n, labels)
		}
	}
	rdb, err := sqlite.OpenWith(context.Background(), dbPath, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	ds, _ := rdb.Deliveries(context.Background(), 10)
	attempts := map[string]int{}
	for _, d := range ds {
		attempts[d.DeliveryID] = d.Attempts
		if d.State != triage.DeliveryDone {
			t.Errorf("delivery %s is %s", d.DeliveryID, d.State)
		}
	}
	if attempts["d-7"] != 2 || attempts["d-8"] != 2 || attempts["d-9"] != 1 {
		t.Errorf("attempts %v, want d-7 and d-8 twice (killed once), d-9 once", attempts)
	}
}
