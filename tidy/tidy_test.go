package tidy

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

func items() []bugscope.Classified {
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	closed := created.Add(36 * time.Hour)
	a := bugscope.Issue{Repo: "vllm-project/vllm", Number: 7, Title: "=HYPERLINK(\"x\") OOM", State: "closed", CreatedAt: &created, ClosedAt: &closed,
		AuthorAssociation: "NONE", Comments: 3, Reactions: 2, Labels: []string{"bug", "cuda"}, URL: "https://github.com/vllm-project/vllm/issues/7"}
	b := bugscope.Issue{Repo: "ggml-org/llama.cpp", Number: 9, Title: "add a flag", State: "open", CreatedAt: &created}
	return []bugscope.Classified{
		{Issue: a, Classification: bugscope.Classification{Classifier: "rules", ClassifierVersion: "1", Confidence: 0.8,
			Labels:        bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "root_cause": {"resource_constraints"}, "severity": {"P1"}, "patterns": {"paged_attention", "quantization"}},
			DimConfidence: map[string]float64{"kind": 0.9, "category": 0.7}},
			Signals: []bugscope.Signal{{Kind: bugscope.SignalGPU, Value: "H100"}, {Kind: bugscope.SignalGPU, Value: "A100"}, {Kind: bugscope.SignalGPU, Value: "H100"},
				{Kind: bugscope.SignalException, Value: "torch.OutOfMemoryError"}}},
		{Issue: b, Classification: bugscope.Classification{Classifier: "rules", ClassifierVersion: "1", Confidence: 0.6, Labels: bugscope.Labels{"kind": {"feature"}}}},
	}
}

func tax(t *testing.T) *taxonomy.Taxonomy {
	tx, err := taxonomy.Builtin("llm-serving-v1")
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, tax(t), items()); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d rows", len(recs))
	}
	cols := Columns(tax(t))
	get := func(row int, name string) string {
		for i, c := range cols {
			if c.Name == name {
				return recs[row][i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	for name, want := range map[string]string{
		"repo": "vllm-project/vllm", "number": "7", "id": "vllm-project/vllm#7", "title": "'=HYPERLINK(\"x\") OOM",
		"created_at": "2025-03-01T12:00:00Z", "days_to_close": "1.5", "comments": "3", "github_labels": "bug; cuda",
		"category": "memory.oom", "category_group": "memory", "category_confidence": "0.7", "root_cause_confidence": "",
		"patterns": "paged_attention; quantization", "gpu": "H100; A100", "exception": "torch.OutOfMemoryError", "confidence": "0.8",
	} {
		if got := get(1, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if get(2, "closed_at") != "" || get(2, "category") != "" || get(2, "kind") != "feature" {
		t.Errorf("open feature request: %q", recs[2])
	}
	for _, c := range cols {
		if c.Doc == "" || c.Kind == "" {
			t.Errorf("column %s is not documented", c.Name)
		}
	}
}

func TestParquet(t *testing.T) {
	var b bytes.Buffer
	tx := tax(t)
	if err := WriteParquet(&b, tx, items()); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 2 {
		t.Fatalf("%d rows", f.NumRows())
	}
	names := map[string]int{}
	for i, p := range f.Schema().Columns() {
		names[p[0]] = i
	}
	for _, c := range Columns(tx) {
		if _, ok := names[c.Name]; !ok {
			t.Errorf("no column %s", c.Name)
		}
	}
	if doc, ok := f.Lookup("bugscope.column.days_to_close"); !ok || !strings.Contains(doc, "days") {
		t.Errorf("column docs: %q %v", doc, ok)
	}
	rows := make([]parquet.Row, 2)
	r := f.RowGroups()[0].Rows()
	n, _ := r.ReadRows(rows)
	r.Close()
	if n != 2 {
		t.Fatalf("read %d rows", n)
	}
	at := func(row int, name string) parquet.Value { return rows[row][names[name]] }
	if got := at(0, "title").String(); got != "=HYPERLINK(\"x\") OOM" {
		t.Errorf("title %q", got)
	}
	if got := at(0, "number").Int64(); got != 7 {
		t.Errorf("number %d", got)
	}
	if got := at(0, "created_at").Int64(); got != time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("created_at %d", got)
	}
	if got := at(0, "days_to_close").Double(); got != 1.5 {
		t.Errorf("days_to_close %v", got)
	}
	if !at(1, "closed_at").IsNull() || !at(1, "category").IsNull() || at(1, "kind").String() != "feature" {
		t.Errorf("open feature: %v %v %v", at(1, "closed_at"), at(1, "category"), at(1, "kind"))
	}
}
