package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/bugscope/bugscope/internal/browsertest"
	"github.com/bugscope/bugscope/sqlite"
)

// The study as a team, in a real browser: two raters sign in with their
// links and label five issues each with the keyboard alone; the
// agreement page shows the kappa bugscope agreement gives; the admin
// settles the disagreements; the export equals the CLI's; a browser
// without a session, a forged CSRF token and another rater's sample get
// 403 and change nothing.
func TestTeamInTheBrowser(t *testing.T) {
	browser := browsertest.Chromium(t)
	db := tempDB(t)
	now := time.Now().UTC().Truncate(time.Second)
	clock := func(a *app) { a.now = func() time.Time { return now } }
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, code := runWith(t, clock, append([]string{"--db", db}, args...)...)
		if code != 0 {
			t.Fatalf("bugscope %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	cli("import", "testdata/issues.json", "testdata/other.jsonl")
	cli("sample", "--name", "team", "--stratify", "none", "--size", "5", "--seed", "11")
	cli("sample", "--name", "other", "--stratify", "none", "--size", "2", "--seed", "12")
	base, stop := servingWith(t, clock, "--db", db, "serve")
	defer func() {
		if code, errOut := stop(); code != 0 {
			t.Errorf("serve exited %d: %s", code, errOut)
		}
	}()
	link := map[string]string{}
	for _, r := range [][]string{{"alice", "--sample", "team"}, {"bob", "--sample", "team"}, {"dana", "--admin"}} {
		link[r[0]] = strings.TrimSpace(cli(append([]string{"rater", "add", "--url", base}, r...)...))
		if !strings.HasPrefix(link[r[0]], base+"/signin/") {
			t.Fatalf("link of %s: %q", r[0], link[r[0]])
		}
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true))
	// Each person has a browser of their own (a process, a profile):
	// cookies apart.
	person := func() (context.Context, context.CancelFunc) {
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(allocCtx)
		if err := chromedp.Run(ctx); err != nil {
			cancel()
			cancelAlloc()
			t.Skipf("Chromium at %s does not start: %v", browser, err)
		}
		ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
		return ctx, func() { cancelTimeout(); cancel(); cancelAlloc() }
	}
	run := func(ctx context.Context, what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			var page string
			_ = chromedp.Run(ctx, chromedp.OuterHTML("body", &page))
			t.Fatalf("%s: %v\npage:\n%.3000s", what, err, page)
		}
	}
	signIn := func(ctx context.Context, who string) {
		t.Helper()
		run(ctx, who+" signs in",
			chromedp.Navigate(link[who]),
			chromedp.WaitVisible(`#signin button`),
			chromedp.KeyEvent(kb.Enter), // the button has the focus
			chromedp.WaitVisible(`.who`),
		)
	}
	// The keys of each answer: kind 1 bug (then category, root cause and
	// severity open one after the other: 1 picks their first value;
	// patterns, several values, Enter accepts none), 2 feature, 3
	// question, 4 docs; Enter saves.
	bug := "1" + "1" + "1" + "1" + "1" + kb.Enter + kb.Enter
	kind := func(k string) string { return "1" + k + kb.Enter }
	answers := map[string][]string{
		"alice": {bug, kind("2"), kind("3"), kind("4"), kind("2")},
		"bob":   {bug, kind("2"), kind("4"), kind("4"), kind("3")},
	}
	// ready waits until the page (the next one, after a form was sent)
	// shows that many answers with its script running; a page being
	// replaced is no error meanwhile.
	ready := func(ctx context.Context, answered int) error {
		js := fmt.Sprintf(`document.body.classList.contains("keys") && document.getElementById("answered") && document.getElementById("answered").textContent === "%d"`, answered)
		return waitJS(ctx, js, 20*time.Second)
	}
	// The admin watches the agreement page while the raters work: it
	// fills in as answers arrive, without a reload.
	admin, cancelAdmin := person()
	defer cancelAdmin()
	signIn(admin, "dana")
	if os.Getenv("BUGSCOPE_ARTIFACTS") != "" {
		run(admin, "the team page", chromedp.Navigate(base+"/team"), chromedp.WaitVisible(`#add-rater`))
		screenshot(t, admin, "home-admin")
	}
	run(admin, "the agreement page before any answer",
		chromedp.Navigate(base+"/samples/team/agreement"),
		chromedp.WaitVisible(`#waiting`),
		chromedp.Evaluate(`window.notReloaded = true`, nil))

	var wg sync.WaitGroup
	browsers := map[string]context.Context{}
	for who, keys := range answers {
		ctx, cancel := person()
		defer cancel()
		browsers[who] = ctx
		signIn(ctx, who)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := chromedp.Run(ctx, chromedp.Navigate(base+"/samples/team/annotate")); err != nil || ready(ctx, 0) != nil {
				t.Errorf("%s opens the sample: %v", who, err)
				return
			}
			screenshot(t, ctx, "annotate-"+who)
			for i, k := range keys {
				err := chromedp.Run(ctx, chromedp.KeyEvent(k))
				if err == nil {
					err = ready(ctx, i+1)
				}
				if err != nil {
					var status string
					_ = chromedp.Run(ctx, chromedp.Text(`#status`, &status, chromedp.AtLeast(0)))
					t.Errorf("%s, answer %d by keys %q: %v (status %q)", who, i+1, k, err, status)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	var stored struct {
		Raters   []string       `json:"raters"`
		Answered map[string]int `json:"answered"`
		Dims     []struct {
			Dimension string   `json:"dimension"`
			Level     string   `json:"level"`
			Kappa     *float64 `json:"kappa"`
		} `json:"dimensions"`
		Disagreements []json.RawMessage `json:"disagreements"`
	}
	if err := json.Unmarshal([]byte(cli("agreement", "--sample", "team", "--raters", "alice,bob", "--json")), &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Answered["alice"] != 5 || stored.Answered["bob"] != 5 || len(stored.Disagreements) != 2 {
		t.Fatalf("stored answers: %+v", stored)
	}
	// The bug's chain of keys gave it every dimension that applies.
	for _, who := range []string{"alice", "bob"} {
		recs := cli("labels", "export", "--sample", "team", "--rater", who)
		first := strings.SplitN(recs, "\n", 2)[0]
		for _, dim := range []string{`"category"`, `"root_cause"`, `"severity"`} {
			if !strings.Contains(first, dim) {
				t.Errorf("%s's bug answer has no %s: %s", who, dim, first)
			}
		}
	}
	wantKappa := ""
	for _, d := range stored.Dims {
		if d.Dimension == "kind" && d.Level == "value" && d.Kappa != nil {
			wantKappa = strconv.FormatFloat(*d.Kappa, 'f', 3, 64)
		}
	}
	if wantKappa == "" {
		t.Fatalf("no kind kappa from bugscope agreement: %+v", stored.Dims)
	}

	var kappa string
	if err := waitJS(admin, `window.notReloaded === true && /alice 5/.test(document.getElementById("summary") ? document.getElementById("summary").textContent : "") && /bob 5/.test(document.getElementById("summary").textContent)`, 20*time.Second); err != nil {
		t.Fatalf("the agreement page did not follow the answers: %v", err)
	}
	run(admin, "the live figures", chromedp.Text(`#dimensions tr[data-dim="kind"][data-level="value"] td.kappa`, &kappa))
	screenshot(t, admin, "agreement")
	if kappa != wantKappa {
		t.Fatalf("agreement page, updated live: kind kappa %q, bugscope agreement %q", kappa, wantKappa)
	}
	run(admin, "the agreement page",
		chromedp.Navigate(base+"/samples/team/agreement?raters=alice,bob"),
		chromedp.Text(`#dimensions tr[data-dim="kind"][data-level="value"] td.kappa`, &kappa))
	if kappa != wantKappa {
		t.Fatalf("agreement page: kind kappa %q, bugscope agreement %q", kappa, wantKappa)
	}
	// The admin settles each disagreement with the keys: t and alice's
	// number take her answer, Enter stores it.
	for i := 0; i < len(stored.Disagreements); i++ {
		var href string
		var ok bool
		run(admin, "open the next case",
			chromedp.Navigate(base+"/samples/team/arbitrate"),
			chromedp.AttributeValue(`#cases tr.open a`, "href", &href, &ok))
		var n string // alice's number among the case's raters
		run(admin, "open the case",
			chromedp.Navigate(base+href),
			chromedp.Poll(`document.body.classList.contains("keys")`, nil),
			chromedp.Evaluate(`document.getElementById("take-1").href.includes("take=alice") ? "1" : "2"`, &n))
		run(admin, "take alice's answer with t and her number", chromedp.KeyEvent("t"+n))
		if err := waitJS(admin, `/take=alice/.test(location.href) && document.body.classList.contains("keys")`, 20*time.Second); err != nil {
			t.Fatalf("t 1 on %s: %v", href, err)
		}
		if i == 0 {
			screenshot(t, admin, "arbitrate")
		}
		run(admin, "store the decision", chromedp.KeyEvent(kb.Enter))
		if err := waitJS(admin, `document.getElementById("open-count") && document.getElementById("open-count").textContent === "`+strconv.Itoa(len(stored.Disagreements)-i-1)+`"`, 20*time.Second); err != nil {
			t.Fatalf("decision %d: %v", i+1, err)
		}
	}
	var open string
	run(admin, "every case settled", chromedp.Navigate(base+"/samples/team/arbitrate"), chromedp.Text(`#open-count`, &open))
	if open != "0" {
		t.Fatalf("%s cases still open after arbitration", open)
	}

	// The export, fetched with the admin's session, equals the CLI's.
	var cookies []*network.Cookie
	run(admin, "cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{base}).Do(ctx)
		return err
	}))
	session := ""
	for _, c := range cookies {
		if c.Name == "bugscope_session" {
			session = c.Value
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
				t.Errorf("session cookie: HttpOnly %v, SameSite %v", c.HTTPOnly, c.SameSite)
			}
		}
	}
	if session == "" {
		t.Fatal("no session cookie in the admin's browser")
	}
	dir := t.TempDir()
	cli("export", "--sample", "team", "-o", filepath.Join(dir, "team.jsonl"))
	for _, f := range []string{"team.jsonl", "team.jsonl.card.md", "team.jsonl.card.json"} {
		req, _ := http.NewRequest("GET", base+"/samples/team/export/"+f, nil)
		req.AddCookie(&http.Cookie{Name: "bugscope_session", Value: session})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !bytes.Equal(got, want) {
			t.Errorf("%s from the page (%d) differs from bugscope export's:\n%s\nwant:\n%s", f, resp.StatusCode, got, want)
		}
	}

	// Refused: no session, a forged CSRF token, another rater's sample,
	// a rater on an admin's page; nothing changes.
	counts := func() string {
		t.Helper()
		d, err := sqlite.OpenWith(context.Background(), db, sqlite.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		_, rows, err := d.Rows(context.Background(), `SELECT (SELECT COUNT(*) FROM annotations), (SELECT COUNT(*) FROM arbitrations), (SELECT COUNT(*) FROM sessions)`)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(rows[0]...)
	}
	before := counts()
	post := func(ctx context.Context, path, csrf string) int {
		t.Helper()
		var status int
		js := fmt.Sprintf(`fetch(%q, {method: "POST", credentials: "same-origin", redirect: "manual",
			headers: {"Content-Type": "application/x-www-form-urlencoded"},
			body: new URLSearchParams({csrf: %q, submission: "abcdefghijklmnopqrstu", issue: %q, "label.kind": "docs"}).toString()}).then(r => r.status)`,
			path, csrf, "example-org/engine#101")
		run(ctx, "POST "+path, chromedp.Evaluate(js, &status, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
		return status
	}
	alice := browsers["alice"]
	var csrf string
	var ok bool
	run(alice, "alice's form", chromedp.Navigate(base+"/samples/team/annotate"), chromedp.AttributeValue(`input[name="csrf"]`, "value", &csrf, &ok))
	if csrf == "" {
		t.Fatal("no CSRF token in the form")
	}
	for _, c := range []struct {
		what, path, csrf string
	}{
		{"forged CSRF token", "/samples/team/annotate", strings.Repeat("x", len(csrf))},
		{"no CSRF token", "/samples/team/annotate", ""},
		{"another rater's sample", "/samples/other/annotate", csrf},
		{"a rater arbitrating", "/samples/team/arbitrate", csrf},
	} {
		if code := post(alice, c.path, c.csrf); code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", c.what, code)
		}
	}
	nobody, cancelNobody := person()
	defer cancelNobody()
	var errText string
	run(nobody, "a used link", chromedp.Navigate(link["alice"]), chromedp.WaitVisible(`#signin button`), chromedp.KeyEvent(kb.Enter),
		chromedp.Text(`#error`, &errText))
	if !strings.Contains(errText, "not valid") {
		t.Errorf("a used link: %q", errText)
	}
	if code := post(nobody, "/samples/team/annotate", csrf); code != http.StatusForbidden {
		t.Errorf("no session: %d, want 403", code)
	}
	if after := counts(); after != before {
		t.Errorf("refused requests changed the database: (answers, decisions, sessions) %s, before %s", after, before)
	}
}

// waitJS evaluates js until it is true, through page loads.
func waitJS(ctx context.Context, js string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := chromedp.Run(ctx, chromedp.Evaluate(js, &ok))
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("%s: still false after %v", js, timeout)
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves the page as $BUGSCOPE_ARTIFACTS/team-NAME.png when that
// folder is set (for people who look at the pages), else nothing.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("BUGSCOPE_ARTIFACTS")
	if dir == "" {
		return
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "team-"+name+".png"), png, 0o644)
	}
}
