package http

import (
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
)

func TestMarkText(t *testing.T) {
	text := "Error: <b>CUDA out of memory</b> & more"
	evs := []bugscope.Evidence{
		{Dimension: "category", Value: "memory.oom", Rule: "r1", Field: "body", Match: "CUDA out of memory", Offset: 10},
		{Dimension: "severity", Value: "P1", Rule: "r2", Field: "body", Match: "out of memory", Offset: 15},
		{Dimension: "kind", Value: "bug", Rule: "r3", Field: "title", Match: "Error", Offset: 0},
		{Dimension: "kind", Value: "bug", Rule: "r4", Field: "body", Match: "Error", Offset: 99}, // stale offset: looked up
		{Dimension: "kind", Value: "bug", Rule: "r5", Field: "body", Match: "absent", Offset: 0},
	}
	got := string(markText(text, evidenceSpans(text, "body", evs, "rules"), 1<<10))
	want := `<mark title="rules: kind=bug (rule r4)">Error</mark>: &lt;b&gt;<mark title="rules: category=memory.oom (rule r1); rules: severity=P1 (rule r2)">CUDA out of memory</mark>&lt;/b&gt; &amp; more`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A match whose text carries markup is escaped inside the mark too.
	hostile := `x <script>alert(1)</script> y`
	got = string(markText(hostile, []span{{Start: 2, End: 10, Notes: []string{`"><script>`}}}, 1<<10))
	if strings.Contains(got, "<script") || !strings.Contains(got, `title="&#34;&gt;&lt;script&gt;"`) {
		t.Errorf("hostile: %s", got)
	}
}

func TestPassage(t *testing.T) {
	text := "The server starts.\nThen an NCCL error: unhandled system error appears in the NCCL_DEBUG log; ncclx is not a match."
	segs := passage(text, []string{"nccl"}, 60)
	var marked, all string
	for _, s := range segs {
		all += s.Text
		if s.Match {
			marked += "[" + s.Text + "]"
		}
	}
	if marked != "[NCCL]" && marked != "[NCCL][NCCL]" {
		t.Errorf("marked %q in %q", marked, all)
	}
	if strings.Contains(all, "\n") || !strings.HasPrefix(all, "…") && !strings.HasPrefix(all, "The") {
		t.Errorf("passage %q", all)
	}
	segs = passage(text, []string{"unhandl*"}, 200)
	found := false
	for _, s := range segs {
		found = found || s.Match && s.Text == "unhandled"
	}
	if !found {
		t.Errorf("prefix: %+v", segs)
	}
	if passage(text, []string{"absent"}, 100) != nil {
		t.Error("a passage without a match")
	}
}
