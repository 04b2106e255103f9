package http_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/bugscope/bugscope/internal/browsertest"
)

// browser is a headless Chromium tab that records every console error,
// uncaught exception, failed request and error response.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T) *browser {
	exe := browsertest.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1000),
		chromedp.Flag("headless", "new"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{t: t, ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.note("console %s: %s", ev.Type, strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			b.note("exception: %s", ev.ExceptionDetails.Error())
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError || ev.Entry.Level == log.LevelWarning {
				b.note("log %s: %s (%s)", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventLoadingFailed:
			b.note("request failed: %s %s", ev.ErrorText, ev.BlockedReason)
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				b.note("response %d for %s", ev.Response.Status, ev.Response.URL)
			}
		}
	})
	if err := chromedp.Run(ctx, network.Enable(), runtime.Enable(), log.Enable()); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	return b
}

func (b *browser) note(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// check fails the test with the problems recorded since the last check.
func (b *browser) check(what string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("%s: %s", what, p)
	}
	b.problems = nil
}

func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// artefacts is where screenshots go: $BUGSCOPE_ARTIFACTS, else a folder in
// the system's temporary directory that outlives the test.
func artefacts(t *testing.T) string {
	dir := os.Getenv("BUGSCOPE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "bugscope-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestBrowserPages(t *testing.T) {
	b := newBrowser(t)
	f := newFixture(t)
	// The report and search index are built on the first visit: let the
	// pages load then, not under a timeout.
	f.get("/", "")
	for _, p := range pagePaths {
		var h1 string
		b.run(p.path, chromedp.Navigate(f.ts.URL+p.path), chromedp.WaitReady("body"), chromedp.Text("h1", &h1))
		// Images (charts) must have loaded too.
		var broken int
		b.run(p.path, chromedp.Evaluate(`Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length`, &broken))
		if broken > 0 || h1 == "" {
			t.Errorf("%s: %d broken images, heading %q", p.path, broken, h1)
		}
		b.check(p.path)
	}
	dir := artefacts(t)
	for name, path := range map[string]string{"overview": "/", "issue": "/issues/acme/infer/101", "hostile-issue": "/issues/acme/infer/666"} {
		var png []byte
		b.run("screenshot "+name, chromedp.Navigate(f.ts.URL+path), chromedp.WaitReady("body"), chromedp.FullScreenshot(&png, 100))
		file := filepath.Join(dir, name+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of %s: %s", path, file)
	}
	b.check("screenshots")
}

// Every entry of the navigation bar, as a visitor without a session
// follows it, is a page that loads with no console error, no failed
// request and no error status: /team then explains how to sign in (200).
func TestBrowserNavigationBar(t *testing.T) {
	b := newBrowser(t)
	f := newFixture(t)
	f.get("/", "")
	var links []string
	b.run("overview", chromedp.Navigate(f.ts.URL+"/"), chromedp.WaitReady("header nav"),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("header nav a")).map(a => a.getAttribute("href"))`, &links))
	seen := map[string]bool{}
	for _, l := range links {
		seen[l] = true
	}
	for _, want := range []string{"/", "/categories", "/triage", "/team"} {
		if !seen[want] {
			t.Errorf("the navigation bar has no link to %s: %q", want, links)
		}
	}
	b.check("overview")
	for _, l := range links {
		var h1, loc, here string
		b.run(l, chromedp.Navigate(f.ts.URL+l), chromedp.WaitReady("body"), chromedp.Text("h1", &h1), chromedp.Location(&loc),
			chromedp.Evaluate(`(document.querySelector("header nav a.here") || {}).textContent || ""`, &here))
		if h1 == "" {
			t.Errorf("%s: no heading", l)
		}
		if u, _ := url.Parse(loc); u.Path != l {
			t.Errorf("%s: went to %s", l, loc)
		}
		switch l {
		case "/triage":
			if here != "Triage" {
				t.Errorf("/triage: the bar marks %q", here)
			}
		case "/team":
			var welcome bool
			b.run(l, chromedp.Evaluate(`document.getElementById("welcome") !== null`, &welcome))
			if !welcome {
				t.Errorf("/team without a session: heading %q, no sign-in explanation", h1)
			}
		}
		b.check(l)
	}
}

// A bar of the category chart leads to the issues it counts.
func TestBrowserBarLinksToItsIssues(t *testing.T) {
	b := newBrowser(t)
	f := newFixture(t)
	var title string
	var nodes []*cdp.Node
	b.run("overview", chromedp.Navigate(f.ts.URL+"/"), chromedp.WaitReady("svg.bars"),
		chromedp.Nodes("svg.bars a", &nodes, chromedp.ByQueryAll))
	if len(nodes) == 0 {
		t.Fatal("no bars")
	}
	// The memory bar: its title says how many bugs it counts.
	b.run("bar title", chromedp.Evaluate(`document.querySelector("svg.bars a title").textContent`, &title))
	var count int
	if i := strings.LastIndex(title, ": "); i < 0 {
		t.Fatalf("bar title %q", title)
	} else if _, err := fmt.Sscanf(title[i+2:], "%d", &count); err != nil {
		t.Fatalf("bar title %q: %v", title, err)
	}
	var loc, total string
	b.run("click the bar", chromedp.Click(`svg.bars a rect`, chromedp.ByQuery),
		chromedp.WaitVisible("main table", chromedp.ByQuery), chromedp.Location(&loc), chromedp.Text("main > p", &total, chromedp.ByQuery))
	u, _ := url.Parse(loc)
	if u.Path != "/issues" || u.Query().Get("category") == "" {
		t.Fatalf("the bar went to %s", loc)
	}
	if want := fmt.Sprintf("%d issues.", count); total != want {
		t.Errorf("list after the bar %q: %q, want %q", title, total, want)
	}
	b.check("bar")
}

// The filter form narrows the list, and paging walks it.
func TestBrowserFiltersAndPaging(t *testing.T) {
	b := newBrowser(t)
	f := newFixture(t)
	var loc string
	b.run("filter", chromedp.Navigate(f.ts.URL+"/issues"), chromedp.WaitReady("form.filters"),
		chromedp.SetValue(`select[name=state]`, "closed", chromedp.ByQuery),
		chromedp.SetValue(`select[name=repo]`, "acme/serve", chromedp.ByQuery),
		chromedp.Submit(`form.filters`, chromedp.ByQuery),
		chromedp.WaitVisible(`main table`, chromedp.ByQuery), chromedp.Location(&loc))
	u, _ := url.Parse(loc)
	if q := u.Query(); q.Get("state") != "closed" || q.Get("repo") != "acme/serve" {
		t.Fatalf("the form went to %s", loc)
	}
	var states, repos []string
	b.run("rows", chromedp.Evaluate(`Array.from(document.querySelectorAll("main tbody tr td:nth-child(3)")).map(td => td.textContent)`, &states),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("main tbody tr td:first-child")).map(td => td.textContent)`, &repos))
	if len(states) == 0 {
		t.Fatal("no rows")
	}
	for i := range states {
		if states[i] != "closed" || !strings.HasPrefix(repos[i], "acme/serve#") {
			t.Errorf("row %d: %s %s", i, repos[i], states[i])
		}
	}
	// Paging keeps the filters.
	var first1, first2 string
	b.run("page 1", chromedp.Navigate(f.ts.URL+"/issues?sort=number"), chromedp.WaitVisible("main table"),
		chromedp.Text("main tbody tr td", &first1, chromedp.ByQuery))
	b.run("next", chromedp.Click(`a[rel=next]`, chromedp.ByQuery), chromedp.WaitVisible(`a[rel=prev]`, chromedp.ByQuery),
		chromedp.Location(&loc), chromedp.Text("main tbody tr td", &first2, chromedp.ByQuery))
	u, _ = url.Parse(loc)
	if u.Query().Get("page") != "2" || u.Query().Get("sort") != "number" || first1 == first2 {
		t.Errorf("page 2 at %s starts with %q (page 1 with %q)", loc, first2, first1)
	}
	// With JavaScript, a change of a choice submits the form by itself.
	b.run("auto-submit", chromedp.Navigate(f.ts.URL+"/issues"), chromedp.WaitReady("form.filters"),
		chromedp.Evaluate(`(() => { const s = document.querySelector("select[name=kind]"); s.value = "feature"; s.dispatchEvent(new Event("change")); })()`, nil),
		chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible("main table"), chromedp.Location(&loc))
	if u, _ = url.Parse(loc); u.Query().Get("kind") != "feature" {
		t.Errorf("changing a choice went to %s", loc)
	}
	b.check("filters")
}

// An issue written to attack the page shows its markup as text and runs
// nothing.
func TestBrowserHostileIssue(t *testing.T) {
	b := newBrowser(t)
	f := newFixture(t)
	for _, path := range []string{"/issues/acme/infer/666", "/issues?q=" + url.QueryEscape("xss script"), "/search?q=tracker", "/issues?label=" + url.QueryEscape("<b>bold</b>")} {
		var ran bool
		var h1, bodyText string
		var dangerous int
		b.run(path, chromedp.Navigate(f.ts.URL+path), chromedp.WaitReady("body"), chromedp.Sleep(200*time.Millisecond),
			chromedp.Evaluate(`typeof window.__xss !== "undefined"`, &ran),
			chromedp.Text("h1", &h1, chromedp.ByQuery),
			chromedp.Evaluate(`document.body.innerText`, &bodyText),
			chromedp.Evaluate(`document.querySelectorAll("main script, main img, main iframe, main object, main embed, main [onerror], main [onload], main [onclick], a[href^='javascript:' i], [src^='javascript:' i], [src^='data:' i]").length`, &dangerous))
		if ran {
			t.Errorf("%s: a script of the issue ran", path)
		}
		if dangerous > 0 {
			t.Errorf("%s: %d dangerous elements in the page", path, dangerous)
		}
		b.check(path)
		if path != "/issues/acme/infer/666" {
			continue
		}
		for _, want := range []string{"<script>window.__xss=1</script>", `<img src=x onerror="window.__xss=2">`} {
			if !strings.Contains(h1, want) {
				t.Errorf("the title shows %q, not %q as text", h1, want)
			}
		}
		for _, want := range []string{"<script>window.__xss=3</script>", `<img src=x onerror="window.__xss=4">`, "[image: tracker]", "click me", `<svg onload="window.__xss=9"></svg>`} {
			if !strings.Contains(bodyText, want) {
				t.Errorf("the body does not show %q as text", want)
			}
		}
	}
	// Following the javascript: link and the image link does nothing
	// either.
	var ran bool
	b.run("click", chromedp.Navigate(f.ts.URL+"/issues/acme/infer/666"), chromedp.WaitReady("#body"),
		chromedp.Evaluate(`(() => { document.querySelectorAll("#body a").forEach(a => { if (!a.href.startsWith("http")) a.click(); }); return typeof window.__xss !== "undefined"; })()`, &ran))
	if ran {
		t.Error("clicking the body's links ran a script")
	}
	b.check("clicks")
}
