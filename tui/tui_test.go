package tui

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/safetext/safetexttest"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/study"
)

func press(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// keys sends keys to a model and returns the last command.
func keys(m tea.Model, ks ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range ks {
		_, cmd = m.Update(press(k))
	}
	return cmd
}

func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func latest(t *testing.T, svc *study.Service, rater string) map[bugscope.IssueRef]study.Annotation {
	t.Helper()
	anns, err := svc.Store.Annotations(context.Background(), "s", study.AnnotationQuery{Rater: rater})
	if err != nil {
		t.Fatal(err)
	}
	out := map[bugscope.IssueRef]study.Annotation{}
	for _, a := range anns {
		out[a.Issue] = a
	}
	return out
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, lines, line string }{
		{"plain", "plain", "plain"},
		{"red \x1b[31mtext\x1b[0m", "red text", "red text"},
		{"clear\x1b[2J\x1b[Hscreen", "clearscreen", "clearscreen"},
		{"title \x1b]0;pwned\x07set", "title set", "title set"},
		{"a\r\nb\tc", "a\nb    c", "a b    c"},
		{"bell\x07 nul\x00 c1\u0085", "bell nul c1", "bell nul c1"},
		{"\u202eevil\u202c ok", "evil ok", "evil ok"},
		{"bad \xff utf8", "bad \uFFFD utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in, true); got != tt.lines {
			t.Errorf("Sanitize(%q, lines) = %q, want %q", tt.in, got, tt.lines)
		}
		if got := Sanitize(tt.in, false); got != tt.line {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.line)
		}
	}
	long := strings.Repeat("é", MaxBody)
	b := Bound(long, MaxBody)
	if !utf8.ValidString(b) || !strings.Contains(b, "more bytes not shown") || len(b) > MaxBody+64 {
		t.Errorf("Bound: %d bytes, valid %v", len(b), utf8.ValidString(b))
	}
	if l := Line(strings.Repeat("x", 50), 10); utf8.RuneCountInString(l) != 10 || !strings.HasSuffix(l, "…") {
		t.Errorf("Line: %q", l)
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "a\x1b[31mb", "\x1b]8;;http://x\x07link\x1b]8;;\x07", "\xff\xfe", "\u202e", "\x1b[", "\x9b31m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, keep := range []bool{true, false} {
			out := Sanitize(s, keep)
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 from %q", s)
			}
			for _, r := range out {
				if r < 0x20 && !(keep && r == '\n') || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e {
					t.Fatalf("control %U left in %q (from %q)", r, out, s)
				}
			}
		}
	})
}

func newAnnotator(t *testing.T, svc *study.Service, opts AnnotateOptions) *Annotator {
	t.Helper()
	if opts.Sample == "" {
		opts.Sample = "s"
	}
	m, err := NewAnnotator(context.Background(), svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 32})
	return m
}

func TestAnnotatorShowsIssueSafely(t *testing.T) {
	svc, _ := fixture(t, 3)
	m := newAnnotator(t, svc, AnnotateOptions{Rater: "ann"})
	v := m.View()
	if strings.ContainsAny(v, "\x07\x00\u202e") || strings.Contains(v, "\x1b[2J") || strings.Contains(v, "pwned") || strings.Contains(v, "[31m") {
		t.Fatalf("hostile text reached the screen:\n%q", v)
	}
	for _, want := range []string{"acme/engine#1", "Crash  in gnirts scheduler", "before red after", "next line", "issue 1 of 3", "1 kind: ?"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "suggestion —") {
		t.Error("suggestion shown unasked")
	}
	// Signals of the second issue.
	keys(m, "right")
	if v := m.View(); !strings.Contains(v, "gpu=A100") || !strings.Contains(v, "exception=torch.OutOfMemoryError") {
		t.Errorf("signals not shown:\n%s", v)
	}
	// Definitions one key away, and the key list.
	keys(m, "d")
	if v := m.View(); !strings.Contains(v, "bug — Bug: The software misbehaves") || !strings.Contains(v, "definitions —") {
		t.Errorf("definitions:\n%s", v)
	}
	keys(m, "esc", "?")
	if v := m.View(); !strings.Contains(v, "Keys of bugscope annotate") {
		t.Errorf("help:\n%s", v)
	}
	keys(m, "esc", "s")
	if v := m.View(); !strings.Contains(v, "no classifier has labelled this issue") {
		t.Errorf("suggestion without classification:\n%s", v)
	}
}

// TestAnnotatorHostileText is the annotate screen's part of the
// regression test of issue 15, item 1: every payload of safetexttest in
// the title, the body, the labels and a note stored from a file (labels
// import) reaches the screen inert, and so does a note typed or pasted.
func TestAnnotatorHostileText(t *testing.T) {
	svc, refs := fixture(t, 2)
	ctx := context.Background()
	db := svc.Store.(*sqlite.DB)
	is, err := db.Issue(ctx, refs[1])
	if err != nil {
		t.Fatal(err)
	}
	is.Title, is.Body, is.Labels = safetexttest.Line(), safetexttest.Body(), []string{"bug", safetexttest.Line()}
	u := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	is.UpdatedAt = &u
	if _, err := db.UpsertIssues(ctx, []bugscope.Issue{is}, nil); err != nil {
		t.Fatal(err)
	}
	note := "note " + string([]rune(safetexttest.Line())[:150])
	if _, err := svc.Annotate(ctx, "s", "ann", []study.Answer{{Issue: refs[1], Labels: bugscope.Labels{"kind": {"question"}}, Note: note}}, study.SourceImport("ann.jsonl")); err != nil {
		t.Fatal(err)
	}
	m := newAnnotator(t, svc, AnnotateOptions{Rater: "ann"})
	keys(m, "right")
	shown := m.View()
	for _, v := range []string{shown} {
		if c := safetexttest.Controls(ansi.Strip(v)); c != "" {
			t.Errorf("issue screen: %s", c)
		}
		if l := safetexttest.Leak(v, false); l != "" {
			t.Errorf("issue screen: %s", l)
		}
	}
	if !strings.Contains(shown, "HIDDEN") || !strings.Contains(shown, "evil") || !strings.Contains(shown, "note: note") {
		t.Errorf("the text itself is not shown:\n%s", shown)
	}
	// Typed or pasted into the note: the runes arrive one by one, ESC
	// dropped by the input; what is left must still be inert.
	keys(m, "n")
	for _, r := range safetexttest.Line() {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	typing := m.View()
	keys(m, "enter")
	for i, v := range []string{typing, m.View()} {
		if c := safetexttest.Controls(ansi.Strip(v)); c != "" {
			t.Errorf("note screen %d: %s", i, c)
		}
	}
}

func TestAnnotatorLabelsSavesAndResumes(t *testing.T) {
	svc, refs := fixture(t, 4)
	m := newAnnotator(t, svc, AnnotateOptions{Rater: "ann"})

	// Saving with nothing answered is refused and opens the kind list.
	keys(m, "enter")
	if v := m.View(); !strings.Contains(v, "not saved") || !strings.Contains(v, "Kind —") {
		t.Fatalf("empty save:\n%s", v)
	}
	// bug (1) → the category list opens; memory.leak (2) → root cause
	// (2: resource_constraints) → severity (2: P1) → patterns: toggle 2
	// and 5, untoggle 5, accept.
	keys(m, "1")
	if v := m.View(); !strings.Contains(v, "Category —") {
		t.Fatalf("category list did not open:\n%s", v)
	}
	keys(m, "2", "2", "2", "2", "5", "5", "enter")
	keys(m, "c", "n")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("KV blocks\x07 leak")})
	keys(m, "enter")
	if v := m.View(); !strings.Contains(v, "category: memory.leak") || !strings.Contains(v, "patterns: paged_attention") ||
		!strings.Contains(v, "confidence: low") || !strings.Contains(v, "note: KV blocks leak") {
		t.Fatalf("draft:\n%s", v)
	}
	// Quitting with unsaved changes asks first, with q or with ctrl+c.
	if cmd := keys(m, "q"); quits(cmd) {
		t.Fatal("quit without asking")
	}
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC}); quits(cmd) || !strings.Contains(m.View(), "ctrl+c again quits without saving") {
		t.Fatalf("ctrl+c quit without asking:\n%s", m.View())
	}
	keys(m, "enter")
	if !strings.Contains(m.View(), "issue 2 of 4") {
		t.Fatalf("did not move on after saving:\n%s", m.View())
	}
	got := latest(t, svc, "ann")[refs[0]]
	want := bugscope.Labels{"kind": {"bug"}, "category": {"memory.leak"}, "root_cause": {"resource_constraints"}, "severity": {"P1"}, "patterns": {"paged_attention"}}
	if !sameLabels(got.Labels, want) || got.Confidence != "low" || got.Note != "KV blocks leak" || got.Source != "tui" {
		t.Fatalf("stored %+v", got)
	}

	// Changing the kind drops what no longer applies.
	keys(m, "1", "1", "1", "1", "1") // bug, memory.oom, state_management, P0
	keys(m, "enter")                 // patterns: none
	keys(m, "1", "2")                // now a feature
	if v := m.View(); !strings.Contains(v, "category: n/a") {
		t.Fatalf("category kept on a feature:\n%s", v)
	}
	keys(m, "enter")
	if got := latest(t, svc, "ann")[refs[1]]; !sameLabels(got.Labels, bugscope.Labels{"kind": {"feature"}}) {
		t.Fatalf("stored %v", got.Labels)
	}

	// Leave the third out with a typed reason, then quit.
	keys(m, "x", "6")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("spam")})
	keys(m, "enter")
	if !strings.Contains(m.View(), "LEFT OUT: spam") {
		t.Fatalf("exclusion:\n%s", m.View())
	}
	keys(m, "enter")
	if cmd := keys(m, "q"); !quits(cmd) || m.Interrupted() {
		t.Fatal("q did not quit, or quit as interrupted")
	}
	// With nothing unsaved, ctrl+c quits at once, as interrupted.
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC}); !quits(cmd) || !m.Interrupted() {
		t.Fatal("ctrl+c did not quit as interrupted")
	}
	if got := latest(t, svc, "ann")[refs[2]]; got.ExcludeReason != "spam" || len(got.Labels) != 0 {
		t.Fatalf("stored %+v", got)
	}

	// Resumed: the first unanswered issue, the fourth.
	m = newAnnotator(t, svc, AnnotateOptions{Rater: "ann"})
	if answered, total := m.Progress(); answered != 3 || total != 4 || !strings.Contains(m.View(), "issue 4 of 4") {
		t.Fatalf("resume: %d of %d\n%s", answered, total, m.View())
	}
	// Going back shows the stored answer; an unchanged save stores nothing.
	keys(m, "left", "left")
	if v := m.View(); !strings.Contains(v, "kind: feature") || !strings.Contains(v, "answered") {
		t.Fatalf("stored answer not shown:\n%s", v)
	}
	keys(m, "enter")
	if !strings.Contains(m.View(), "no change") || m.Saved() != 0 {
		t.Fatalf("unchanged save: %d saved\n%s", m.Saved(), m.View())
	}
	// --half and --issue.
	m = newAnnotator(t, svc, AnnotateOptions{Rater: "bob", Half: 2})
	if _, total := m.Progress(); total != 2 {
		t.Fatalf("half 2 has %d items", total)
	}
	m = newAnnotator(t, svc, AnnotateOptions{Rater: "bob", Start: refs[2]})
	if !strings.Contains(m.View(), "issue 3 of 4") {
		t.Fatalf("start: %s", m.View())
	}
	if _, err := NewAnnotator(context.Background(), svc, AnnotateOptions{Sample: "s", Rater: "bob", Start: bugscope.IssueRef{Repo: "x/y", Number: 1}}); err == nil {
		t.Fatal("an issue outside the sample opened")
	}
}

func TestAnnotatorSuggestionOnRequest(t *testing.T) {
	svc, refs := fixture(t, 2)
	ctx := context.Background()
	if err := svc.Store.(*sqlite.DB).SaveClassifications(ctx, []bugscope.Classification{{Issue: refs[0], Taxonomy: svc.Tax.Name, TaxonomyVersion: svc.Tax.Version,
		Classifier: "rules", ClassifierVersion: "9", Confidence: 0.7, Labels: bugscope.Labels{"kind": {"bug"}, "category": {"concurrency.race"}},
		Evidence: []bugscope.Evidence{{Dimension: "category", Value: "concurrency.race", Rule: "r1", Field: "title", Match: "\x1b[2Jrace", Offset: 3}}}}, nil); err != nil {
		t.Fatal(err)
	}
	m := newAnnotator(t, svc, AnnotateOptions{Rater: "ann"})
	if strings.Contains(m.View(), "concurrency.race") {
		t.Fatal("suggestion visible before asked")
	}
	keys(m, "s")
	v := m.View()
	if !strings.Contains(v, "rules 9") || !strings.Contains(v, "category: concurrency.race") || !strings.Contains(v, "rule r1") || strings.Contains(v, "\x1b[2J") {
		t.Fatalf("suggestion:\n%q", v)
	}
	keys(m, "esc", "1", "2", "enter")
	if got := latest(t, svc, "ann")[refs[0]]; got.Source != "tui+suggestion" {
		t.Fatalf("source %q", got.Source)
	}
}

func TestArbiter(t *testing.T) {
	svc, refs := fixture(t, 3)
	ctx := context.Background()
	bug := func(cat, sev string) bugscope.Labels {
		return bugscope.Labels{"kind": {"bug"}, "category": {cat}, "root_cause": {"resource_constraints"}, "severity": {sev}}
	}
	for _, r := range []struct {
		rater string
		ls    []bugscope.Labels
	}{
		{"ann", []bugscope.Labels{bug("memory.oom", "P1"), bug("memory.oom", "P1"), {"kind": {"feature"}}}},
		{"bob", []bugscope.Labels{bug("memory.leak", "P2"), bug("memory.oom", "P1"), {"kind": {"question"}}}},
	} {
		rater, ls := r.rater, r.ls
		var as []study.Answer
		for i, l := range ls {
			as = append(as, study.Answer{Issue: refs[i], Labels: l, Note: rater + " says so"})
		}
		if _, err := svc.Annotate(ctx, "s", rater, as, study.SourceCLI); err != nil {
			t.Fatal(err)
		}
	}
	m, err := NewArbiter(ctx, svc, ArbitrateOptions{Sample: "s", Arbitrator: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 110, Height: 36})
	v := m.View()
	for _, want := range []string{"disagreement 1 of 2", "differ on category, severity", "ann  kind=bug category=memory.oom", "bob  kind=bug category=memory.leak",
		"3 root_cause: resource_constraints", "2 category: ?"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	// The value list says who chose what.
	keys(m, "2")
	if v := m.View(); !strings.Contains(v, "memory.oom ← ann") || !strings.Contains(v, "memory.leak ← bob") {
		t.Fatalf("marks:\n%s", v)
	}
	keys(m, "2") // memory.leak, then severity opens: P2 is key 3
	keys(m, "3")
	keys(m, "enter")
	if v := m.View(); !strings.Contains(v, "disagreement 2 of 2") {
		t.Fatalf("did not move on:\n%s", v)
	}
	// Take bob's whole answer on the second disagreement.
	keys(m, "t", "2", "enter")
	if cmd := keys(m, "q"); !quits(cmd) {
		t.Fatal("q did not quit")
	}
	arbs, err := svc.Store.Arbitrations(ctx, "s", false)
	if err != nil || len(arbs) != 2 {
		t.Fatalf("%d decisions, %v", len(arbs), err)
	}
	if !sameLabels(arbs[0].Labels, bug("memory.leak", "P2")) || arbs[0].Arbitrator != "carol" || len(arbs[0].Settled) != 2 {
		t.Errorf("first decision %+v", arbs[0])
	}
	if !sameLabels(arbs[1].Labels, bugscope.Labels{"kind": {"question"}}) {
		t.Errorf("second decision %+v", arbs[1])
	}
	if decided, total := m.Progress(); decided != 2 || total != 2 {
		t.Errorf("progress %d/%d", decided, total)
	}
	// Nothing left to settle opens on a settled case; no disagreement at all is an error.
	if _, err := NewArbiter(ctx, svc, ArbitrateOptions{Sample: "s", Arbitrator: "carol", Raters: []string{"ann"}}); err != ErrNothingToArbitrate {
		t.Errorf("one rater: %v", err)
	}
}

func sameLabels(a, b bugscope.Labels) bool {
	norm := func(l bugscope.Labels) string {
		var parts []string
		for k, v := range l {
			if len(v) > 0 {
				parts = append(parts, k+"="+strings.Join(v, ","))
			}
		}
		sortStrings(parts)
		return strings.Join(parts, ";")
	}
	return norm(a) == norm(b)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
