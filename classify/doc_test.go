package classify

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bugscope/bugscope"
)

var testRoles = sectionRoles{
	boilerplate: []string{"checklist", "before submitting"},
	environment: []string{"your current environment", "environment", "system info"},
}

// regionText joins the spans of one region (error: the error lines).
func regionText(d *document, region string) string {
	var parts []string
	for _, s := range d.spans {
		if s.region() == region || region == RegionError && s.err {
			parts = append(parts, d.issue.Body[s.start:s.end])
		}
	}
	return strings.Join(parts, "")
}

// allRegions are the regions regionText can show.
var allRegions = []string{RegionText, RegionLog, RegionEnv, RegionCmd, RegionFrame, RegionData}

func TestPrepareRegions(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		in       map[string][]string // region -> substrings it must hold
		notIn    []string            // in no region
		headings []string
	}{
		{
			name:     "boilerplate section skipped entirely",
			body:     "### Checklist\n- [x] I searched the issues for out of memory\n```\nlog in boilerplate\n```\n<!-- c -->after comment in boilerplate\n### Describe the bug\nit crashes\n",
			in:       map[string][]string{RegionText: {"it crashes"}},
			notIn:    []string{"I searched", "log in boilerplate", "after comment in boilerplate"},
			headings: []string{"checklist", "describe the bug"},
		},
		{
			name: "environment section goes to env, fences in it too",
			body: "### Your current environment\nGPU: H100\n```text\nNCCL version 2.18\n```\n### 🐛 Describe the bug\nthe bug text\n```\nTraceback here\n```\n",
			in: map[string][]string{
				RegionEnv:  {"GPU: H100", "NCCL version 2.18"},
				RegionText: {"the bug text"},
				RegionLog:  {"Traceback here"},
			},
			headings: []string{"your current environment", "describe the bug"},
		},
		{
			name: "a comment inside a fence is not a heading",
			body: "### Describe the bug\n```python\n# Checklist\nmodel = load()\n```\nstill the description\n",
			in: map[string][]string{
				RegionLog:  {"# Checklist", "model = load()"},
				RegionText: {"still the description"},
			},
			headings: []string{"describe the bug"},
		},
		{
			name: "tilde fences; a backtick line does not close them",
			body: "intro\n~~~\ninside tilde\n```\nstill inside\n~~~\noutro\n",
			in: map[string][]string{
				RegionLog:  {"inside tilde", "```", "still inside"},
				RegionText: {"intro", "outro"},
			},
		},
		{
			name:  "a longer closing fence closes; fence markers are not content",
			body:  "```\nin log\n`````\nafter\n",
			in:    map[string][]string{RegionLog: {"in log"}, RegionText: {"after"}},
			notIn: []string{"`````"},
		},
		{
			name:  "HTML comments skipped, on one line and over several",
			body:  "<!-- Please describe -->visible part\n<!--\nmulti\nline instructions\n-->after the comment\nplain\n",
			in:    map[string][]string{RegionText: {"visible part", "after the comment", "plain"}},
			notIn: []string{"Please describe", "multi", "line instructions"},
		},
		{
			name:     "a comment in the environment section",
			body:     "### Environment\n<!--\npaste collect_env\n-->\nCUDA 12.1\n",
			in:       map[string][]string{RegionEnv: {"CUDA 12.1"}},
			notIn:    []string{"paste collect_env"},
			headings: []string{"environment"},
		},
		{
			name:  "info and warning lines skipped, error lines kept",
			body:  "```\nINFO 01-20 12:00:00 worker.py:1] to avoid OOM lower the utilisation\nWARNING 01-20 custom allreduce is disabled\n[W120 12:00:00.1 ProcessGroupNCCL.cpp:1] Warning: x\nINFO 01-20 12:00:01 engine.py:2] Error in the worker loop\nRuntimeError: CUDA error\n```\nINFO: my own prose line\n",
			in:    map[string][]string{RegionLog: {"Error in the worker loop", "RuntimeError: CUDA error"}},
			notIn: []string{"to avoid OOM", "allreduce", "ProcessGroupNCCL", "my own prose"},
		},
		{
			name:     "a hash without a space is text, not a heading",
			body:     "#1234 is related\n####### seven hashes\n",
			in:       map[string][]string{RegionText: {"#1234 is related", "####### seven hashes"}},
			headings: nil,
		},
		{
			name: "section roles reset at the next heading",
			body: "## System Info\nWindows 11\n## Reproduction\nrun it\n## Before submitting a new issue...\nsearch first\n## Expected\nno crash\n",
			in: map[string][]string{
				RegionEnv:  {"Windows 11"},
				RegionText: {"run it", "no crash"},
			},
			notIn:    []string{"search first"},
			headings: []string{"system info", "reproduction", "before submitting a new issue", "expected"},
		},
		{
			name: "CRLF bodies",
			body: "### Environment\r\nCUDA 12\r\n### Describe the bug\r\n```\r\nboom\r\n```\r\nwords\r\n",
			in: map[string][]string{
				RegionEnv:  {"CUDA 12"},
				RegionLog:  {"boom"},
				RegionText: {"words"},
			},
			headings: []string{"environment", "describe the bug"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			is := &bugscope.Issue{Body: tc.body}
			d := prepare(is, testRoles)
			for region, subs := range tc.in {
				got := regionText(d, region)
				for _, s := range subs {
					if !strings.Contains(got, s) {
						t.Errorf("region %s = %q, want it to hold %q", region, got, s)
					}
				}
			}
			for _, s := range tc.notIn {
				for _, region := range allRegions {
					if got := regionText(d, region); strings.Contains(got, s) {
						t.Errorf("region %s = %q holds %q", region, got, s)
					}
				}
			}
			if tc.headings != nil || len(d.headings) > 0 {
				if !reflect.DeepEqual(d.headings, tc.headings) {
					t.Errorf("headings = %q, want %q", d.headings, tc.headings)
				}
			}
			// Spans are ordered, disjoint and inside the body.
			last := 0
			for _, s := range d.spans {
				if s.start < last || s.end <= s.start || s.end > len(tc.body) {
					t.Errorf("bad span %v after %d", s, last)
				}
				last = s.end
			}
		})
	}
}

func TestPrepareLabels(t *testing.T) {
	d := prepare(&bugscope.Issue{Labels: []string{" Bug ", "good first issue"}}, testRoles)
	if want := map[string]string{"bug": " Bug ", "good first issue": "good first issue"}; !reflect.DeepEqual(d.labels, want) {
		t.Errorf("labels = %q, want %q", d.labels, want)
	}
}

func TestPrepareClipsLargeBodies(t *testing.T) {
	filler := func(n int) string {
		line := strings.Repeat("z", 63) + "\n"
		return strings.Repeat(line, n/64)
	}
	// Head and tail windows: 256 KiB and 64 KiB.
	body := "HEADMARK\n" + filler(300<<10) + "MIDMARK\n" + filler(100<<10) + "TAILMARK\n"
	if len(body) <= scanHead+scanTail {
		t.Fatalf("fixture too small: %d", len(body))
	}
	d := prepare(&bugscope.Issue{Body: body}, testRoles)
	text := regionText(d, RegionText)
	for _, want := range []string{"HEADMARK", "TAILMARK"} {
		if !strings.Contains(text, want) {
			t.Errorf("clipped text lacks %s", want)
		}
	}
	if strings.Contains(text, "MIDMARK") {
		t.Errorf("clipped text holds the middle of the body")
	}
	scanned := 0
	for _, s := range d.spans {
		if s.start >= scanHead && s.end <= len(body)-scanTail {
			t.Errorf("span %v lies between the windows", s)
		}
		scanned += s.end - s.start
	}
	if scanned > scanHead+scanTail {
		t.Errorf("scanned %d bytes, more than %d", scanned, scanHead+scanTail)
	}

	// A body of exactly head+tail bytes is not clipped.
	exact := "MIDMARK\n" + strings.Repeat("y", scanHead+scanTail-len("MIDMARK\n"))
	if d := prepare(&bugscope.Issue{Body: exact}, testRoles); regionText(d, RegionText) != exact {
		t.Errorf("a body of head+tail bytes was clipped")
	}
}

func TestClip(t *testing.T) {
	n := scanHead + scanTail + 1000
	cases := []struct {
		name  string
		n     int
		spans []span
		want  []span
	}{
		{"small body untouched", 100, []span{{start: 0, end: 50}, {start: 60, end: 100}}, []span{{start: 0, end: 50}, {start: 60, end: 100}}},
		{"span across the head edge", n, []span{{start: scanHead - 10, end: scanHead + 10}}, []span{{start: scanHead - 10, end: scanHead}}},
		{"span in the gap dropped", n, []span{{start: scanHead + 1, end: scanHead + 500}}, nil},
		{"span across the gap split", n, []span{{start: 10, end: n - 10}}, []span{{start: 10, end: scanHead}, {start: n - scanTail, end: n - 10}}},
		{"span in the tail kept", n, []span{{start: n - 100, end: n}}, []span{{start: n - 100, end: n}}},
	}
	for _, tc := range cases {
		if got := clip(tc.spans, tc.n); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: clip = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestIsInfoLine(t *testing.T) {
	cases := []struct {
		line string
		want bool
	}{
		{"[W socket.cpp:663] [c10d] The client socket has failed to connect", true},
		{"INFO 01-20 12:00:00 llm_engine.py:123] to avoid OOM, reduce gpu_memory_utilization", true},
		{"WARNING 01-20 12:00:00 custom_all_reduce.py:1] Custom allreduce is disabled", true},
		{"(VllmWorker rank=0) WARN 01-20 something", true},
		{"DEBUG 01-20 scheduler tick", true},
		{"[W120 12:00:00.000 ProcessGroupNCCL.cpp:1] Warning: TORCH_NCCL_AVOID_RECORD_STREAMS", true},
		{"[I0120 12:00:00.000 init.cpp] starting", true},
		{"INFO:     Started server process [1234]", true},
		{"  INFO 01-20 indented", true},
		{"INFO 01-20 engine.py:2] Error in the engine loop", false},
		{"WARNING 01-20 worker failed with error code 3", false},
		{"INFO 01-20 ERROR: something", false},
		{"ERROR 01-20 12:00:00 engine.py:1] CUDA out of memory", false},
		{"torch.OutOfMemoryError: CUDA out of memory", false},
		{"RuntimeError: NCCL error", false},
		{"NOINFO about anything", false},
		{"MYWARN about anything", false},
		{"x[W1 looks like glog but follows a word byte", true}, // '[' is not a word byte
		{"plain prose", false},
		{"", false},
		// Only the first 100 bytes are searched for the level.
		{strings.Repeat("x ", 60) + "INFO late", false},
	}
	for _, tc := range cases {
		if got := isInfoLine(tc.line); got != tc.want {
			t.Errorf("isInfoLine(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

func TestHeadingText(t *testing.T) {
	cases := []struct {
		line string
		want string
		ok   bool
	}{
		{"### 🐛 Describe the bug", "describe the bug", true},
		{"## Your current environment:", "your current environment", true},
		{"# 🚀 The feature, motivation and pitch", "the feature, motivation and pitch", true},
		{"### 📚 The doc issue", "the doc issue", true},
		{"## **System Info**", "system info", true},
		{"## Environment ##", "environment", true},
		{"##\tTabbed Heading.", "tabbed heading", true},
		{"### 1. Steps to reproduce", "1. steps to reproduce", true},
		{"###### six", "six", true},
		{"####### seven", "", false},
		{"#NoSpace", "", false},
		{"#", "", false},
		{"###", "", false},
		{"#1234", "", false},
	}
	for _, tc := range cases {
		got, ok := headingText(tc.line)
		if ok != tc.ok || got != tc.want {
			t.Errorf("headingText(%q) = %q, %v; want %q, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
	for in, want := range map[string]string{
		"🐛 Describe the bug": "describe the bug",
		"  ✅ Checklist:":     "checklist",
		"Before submitting…": "before submitting…",
		"***":                "",
	} {
		if got := normaliseHeading(in); got != want {
			t.Errorf("normaliseHeading(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBoundedAndLineAround(t *testing.T) {
	text := "première ligne\nune erreur CUDA ici\ndernière"
	i := strings.Index(text, "CUDA")
	if got := LineAround(text, i, i+4); got != "une erreur CUDA ici" {
		t.Errorf("lineAround = %q", got)
	}
	// Cutting inside a rune widens to whole runes.
	j := strings.Index(text, "è")
	if got := bounded(text, j+1, j+2, 10); got != "è" {
		t.Errorf("bounded inside a rune = %q, want %q", got, "è")
	}
	if got := excerpt(strings.Repeat("a", 500), 0, 500); len(got) != 120 {
		t.Errorf("excerpt length = %d, want 120", len(got))
	}
	if got := bounded("ok\xffbad", 0, 6, 10); !utf8.ValidString(got) {
		t.Errorf("bounded kept invalid UTF-8: %q", got)
	}
	// A long line is cut around the match, keeping it whole.
	long := strings.Repeat("a ", 300) + "NEEDLE" + strings.Repeat(" b", 300)
	k := strings.Index(long, "NEEDLE")
	got := LineAround(long, k, k+6)
	if !strings.Contains(got, "NEEDLE") || len(got) > 200 {
		t.Errorf("lineAround on a long line = %q (%d bytes)", got, len(got))
	}
	// A match at the very start and end of a text.
	if got := LineAround("abc", 0, 3); got != "abc" {
		t.Errorf("lineAround whole = %q", got)
	}
}
