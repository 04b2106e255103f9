package triage

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/bugscope/bugscope"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The comment bugscope posts, as a maintainer reads it (golden file:
// go test ./triage -run Golden -update rewrites it).
func TestCommentGolden(t *testing.T) {
	d := Decision{Issue: bugscope.IssueRef{Repo: "vllm-project/vllm", Number: 9000}, Classifier: "rules", ClassifierVersion: "2+abc", Taxonomy: "llm-serving-v1",
		Proposed: []Proposal{
			{Dimension: "kind", Values: []string{"bug"}, Confidence: 0.87, Evidence: []bugscope.Evidence{{Dimension: "kind", Value: "bug", Rule: "kind.title.bug", Field: "title", Match: "[Bug]", Line: "[Bug]: CUDA out of memory with tp=2"}}},
			{Dimension: "category", Values: []string{"memory.oom"}, Confidence: 0.73, Evidence: []bugscope.Evidence{{Dimension: "category", Value: "memory.oom", Rule: "category.oom.message", Field: "body", Match: "CUDA out of memory", Line: "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"}}},
			{Dimension: "root_cause", Values: []string{"edge_case"}, Confidence: 0.2, Evidence: []bugscope.Evidence{{Dimension: "root_cause", Value: "edge_case", Rule: "default", Note: "no cause cue: the guide's default"}}},
			{Dimension: "severity", Values: []string{"P1"}, Confidence: 0.5},
		},
		Similar: []Similar{
			{Issue: bugscope.IssueRef{Repo: "vllm-project/vllm", Number: 8000}, Title: "CUDA out of memory with tp=2 on A100", State: "closed", Reason: "error signature: CUDA out of memory", Score: 0.61, Duplicate: true, FixedBy: []bugscope.IssueRef{{Repo: "vllm-project/vllm", Number: 8100}}},
			{Issue: bugscope.IssueRef{Repo: "vllm-project/vllm", Number: 7000}, Title: "OOM when loading a 70B model", State: "open", Reason: "similar title", Score: 0.33},
		}}
	got := CommentBody(tax(t), d, []string{"bug", "triage: out of memory"})
	path := filepath.Join("testdata", "comment.golden.md")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("comment differs from %s:\n%s", path, got)
	}
}
