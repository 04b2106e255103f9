package signals

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/testshared"
)

// realIssue is the part of a GitHub REST issue the test needs.
type realIssue struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	URL   string `json:"html_url"`
}

// loadRealIssues reads the shared issue dumps beside the project, or skips
// the test when they are absent.
func loadRealIssues(t testing.TB) (repos []string, issues []realIssue) {
	for _, f := range testshared.DataFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var is []realIssue
		if err := json.Unmarshal(b, &is); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, i := range is {
			repo := ""
			if p := strings.Split(strings.TrimPrefix(i.URL, "https://github.com/"), "/"); len(p) >= 2 {
				repo = p[0] + "/" + p[1]
			}
			repos = append(repos, repo)
			issues = append(issues, i)
		}
	}
	return repos, issues
}

// TestRealData runs Extract over the shared issue dumps: no panic, the
// properties of every result hold, and the kinds are found about as often
// as the trackers mention them. With -v it logs the time taken and the ten
// most frequent values of each kind.
func TestRealData(t *testing.T) {
	repos, issues := loadRealIssues(t)
	rulesOrPanic()
	var bytes int
	start := time.Now()
	results := make([][]bugscope.Signal, len(issues))
	for i, is := range issues {
		results[i] = Extract(repos[i], is.Title, is.Body)
		bytes += len(is.Title) + len(is.Body)
	}
	elapsed := time.Since(start)
	t.Logf("%d issues, %.1f MB in %v (%.0f MB/s)", len(issues), float64(bytes)/1e6, elapsed, float64(bytes)/1e6/elapsed.Seconds())
	if elapsed > 5*time.Second {
		// The budget is well under 0.5 s (see BenchmarkRealData); this only
		// catches a blow-up, with room for slow CI and the race detector.
		t.Errorf("Extract took %v over %.1f MB", elapsed, float64(bytes)/1e6)
	}

	issuesWith := map[string]int{}
	counts := map[string]map[string]int{}
	for i, sigs := range results {
		kinds := map[string]bool{}
		for _, s := range sigs {
			kinds[s.Kind] = true
			if counts[s.Kind] == nil {
				counts[s.Kind] = map[string]int{}
			}
			counts[s.Kind][s.Value]++
		}
		for k := range kinds {
			issuesWith[k]++
		}
		if i%7 == 0 { // the full property check on a seventh keeps the test quick
			checkSignals(t, repos[i], issues[i].Title, issues[i].Body)
		}
	}
	min := map[string]int{
		bugscope.SignalGPU: 300, bugscope.SignalException: 300, bugscope.SignalErrorSignature: 300,
		bugscope.SignalCUDA: 300, bugscope.SignalOS: 300, bugscope.SignalBackend: 500,
		bugscope.SignalEngineVersion: 300, bugscope.SignalROCm: 20,
	}
	for _, k := range kinds {
		t.Logf("%-16s in %4d issues", k, issuesWith[k])
		if issuesWith[k] < min[k] {
			t.Errorf("%s found in %d issues, want at least %d", k, issuesWith[k], min[k])
		}
	}
	if testing.Verbose() {
		for _, k := range kinds {
			type vc struct {
				v string
				n int
			}
			var l []vc
			for v, n := range counts[k] {
				l = append(l, vc{v, n})
			}
			sort.Slice(l, func(i, j int) bool { return l[i].n > l[j].n || l[i].n == l[j].n && l[i].v < l[j].v })
			var b strings.Builder
			for i := 0; i < len(l) && i < 10; i++ {
				b.WriteString("\n    " + strings.Repeat(" ", 5-len(itoa(l[i].n))) + itoa(l[i].n) + "  " + l[i].v)
			}
			t.Logf("top %s (%d distinct):%s", k, len(l), b.String())
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// BenchmarkRealData is Extract over the shared issue dumps.
func BenchmarkRealData(b *testing.B) {
	repos, issues := loadRealIssues(b)
	rulesOrPanic()
	var total int
	for _, is := range issues {
		total += len(is.Title) + len(is.Body)
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i, is := range issues {
			Extract(repos[i], is.Title, is.Body)
		}
	}
}
