package labelrec

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

func builtin(t testing.TB, name string) *taxonomy.Taxonomy {
	t.Helper()
	tax, err := taxonomy.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

func write(t *testing.T, tax *taxonomy.Taxonomy, recs []Record) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, tax, recs); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestReadCanonical(t *testing.T) {
	tax := builtin(t, taxonomy.Default)
	recs, err := ReadFile(filepath.Join("testdata", "canonical.jsonl"), tax)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5", len(recs))
	}
	conf := 0.87
	want := Record{
		Issue:           bugscope.IssueRef{Repo: "sgl-project/sglang", Number: 512},
		Labels:          bugscope.Labels{"kind": {"bug"}, "category": {"gpu.cuda_error"}, "root_cause": {"integration"}, "severity": {"P2"}, "patterns": {"platform", "quantization"}},
		Confidence:      "0.87",
		ConfidenceValue: &conf,
		Note:            "<b>&amp;</b> stays unescaped",
		Extra:           map[string]json.RawMessage{"rater": json.RawMessage(`"r2"`), "x_batch": json.RawMessage(`{"n":3}`)},
	}
	if !reflect.DeepEqual(recs[2], want) {
		t.Errorf("record 3 = %+v\nwant %+v", recs[2], want)
	}
	// A non-bug has only its kind: nulls and [] leave no trace in Labels.
	if got := recs[1].Labels; !reflect.DeepEqual(got, bugscope.Labels{"kind": {"feature"}}) {
		t.Errorf("feature labels = %v", got)
	}
	if recs[3].Confidence != "" || recs[3].ConfidenceValue != nil {
		t.Errorf("absent confidence read as %q", recs[3].Confidence)
	}
	if recs[4].ConfidenceValue == nil || *recs[4].ConfidenceValue != 0 || recs[4].Confidence != "0" {
		t.Errorf("confidence 0 read as %q", recs[4].Confidence)
	}

	// The file is canonical: writing the records back gives it again,
	// except that the object's extras are compacted.
	in, _ := os.ReadFile(filepath.Join("testdata", "canonical.jsonl"))
	wantOut := strings.Replace(string(in), `{"n": 3}`, `{"n":3}`, 1)
	if got := write(t, tax, recs); got != wantOut {
		t.Errorf("Write(Read(canonical)):\n%s\nwant:\n%s", got, wantOut)
	}
}

func TestReadLenient(t *testing.T) {
	tax := builtin(t, taxonomy.Default)
	lenient, err := ReadFile(filepath.Join("testdata", "lenient.jsonl"), tax)
	if err != nil {
		t.Fatal(err)
	}
	// The same issues as canonical.jsonl, in lenient spellings, come out
	// in canonical form.
	got := write(t, tax, lenient)
	want := strings.Join([]string{
		`{"id": "vllm-project/vllm#21170", "kind": "bug", "category": "memory.leak", "root_cause": "state_management", "severity": "P1", "patterns": ["paged_attention"], "confidence": "high", "note": "KV blocks not released after a transfer timeout"}`,
		`{"id": "vllm-project/vllm#20001", "kind": "feature", "category": null, "root_cause": null, "severity": null, "patterns": []}`,
		`{"id": "sgl-project/sglang#512", "kind": "bug", "category": "gpu.cuda_error", "root_cause": "integration", "severity": "P2", "patterns": ["platform", "quantization"], "confidence": 0.87, "title": "crash", "url": "https://github.com/sgl-project/sglang/issues/512"}`,
		`{"id": "ggml-org/llama.cpp#7", "kind": "question", "category": null, "root_cause": null, "severity": null, "patterns": []}`,
		``}, "\n")
	if got != want {
		t.Errorf("canonical form:\n%s\nwant:\n%s", got, want)
	}
}

func TestReadOtherTaxonomy(t *testing.T) {
	// first-look-2025: multi-valued symptom and root cause, group ids
	// accepted as values.
	tax := builtin(t, "first-look-2025")
	recs, err := ReadFile(filepath.Join("testdata", "first-look.jsonl"), tax)
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[0].Labels["root_cause"]; !reflect.DeepEqual(got, []string{"configuration", "misconfiguration"}) {
		t.Errorf("root_cause = %v", got)
	}
	in, _ := os.ReadFile(filepath.Join("testdata", "first-look.jsonl"))
	if got := write(t, tax, recs); got != string(in) {
		t.Errorf("round trip:\n%s\nwant:\n%s", got, in)
	}
	// The default taxonomy's file does not read under first-look.
	if _, err := ReadFile(filepath.Join("testdata", "canonical.jsonl"), tax); err == nil {
		t.Error("canonical.jsonl read under first-look-2025")
	}
}

func TestReadErrors(t *testing.T) {
	tax := builtin(t, taxonomy.Default)
	ok := `{"id": "a/b#1", "kind": "question"}`
	tests := []struct {
		name  string
		input string
		want  []string // substrings of the error, each must occur
	}{
		{"not json", "{\"id\": ", []string{"in:1: id: not JSON: the line ends inside the object"}},
		{"unclosed", `{"id": "a/b#1"`, []string{"in:1: not JSON: the line ends inside the object"}},
		{"garbage", `kind: bug`, []string{"in:1: not JSON"}},
		{"not an object", `["a/b#1"]`, []string{"in:1: not a JSON object"}},
		{"two values", ok + " " + ok, []string{"in:1: more than one JSON value"}},
		{"missing id", `{"kind": "bug"}`, []string{"in:1: id: missing"}},
		{"bad id", `{"id": "vllm#1"}`, []string{`in:1: id: issue reference "vllm#1"`, "want owner/name"}},
		{"numeric id", `{"id": 5}`, []string{"in:1: id: want a string"}},
		{"duplicate id", ok + "\n\n" + `{"id": "a/b#1", "kind": "bug"}`, []string{"in:3: id a/b#1 is also on line 1"}},
		{"duplicate key", `{"id": "a/b#1", "kind": "bug", "kind": "docs"}`, []string{`in:1: key "kind" given twice`}},
		{"typo", `{"id": "a/b#1", "kind": "bug", "catgory": "memory.oom"}`, []string{`in:1: catgory: unknown key (did you mean "category"?)`}},
		{"wrong case", `{"id": "a/b#1", "Kind": "bug"}`, []string{`Kind: unknown key (did you mean "kind"?)`}},
		{"unknown value", `{"id": "a/b#1", "kind": "bug", "category": "memory"}`, []string{`in:1: category: unknown value "memory"`}},
		{"two single values", `{"id": "a/b#1", "kind": "bug", "severity": ["P1", "P2"]}`, []string{"in:1: severity takes one value, got 2"}},
		{"does not apply", `{"id": "a/b#1", "kind": "feature", "category": "memory.oom"}`, []string{"in:1: category does not apply here (only when kind in bug)"}},
		{"number as value", `{"id": "a/b#1", "kind": 1}`, []string{"in:1: kind: want a string or null, got 1"}},
		{"object in array", `{"id": "a/b#1", "kind": "bug", "patterns": [{}]}`, []string{"in:1: patterns: want an array of strings"}},
		{"empty value", `{"id": "a/b#1", "kind": ""}`, []string{`in:1: kind: empty value`}},
		{"repeated value", `{"id": "a/b#1", "kind": "bug", "patterns": ["platform", "platform"]}`, []string{`in:1: patterns: value "platform" given twice`}},
		{"confidence word", `{"id": "a/b#1", "kind": "bug", "confidence": "medium"}`, []string{`in:1: confidence: want "high", "low" or a number in 0..1, got "medium"`}},
		{"confidence range", `{"id": "a/b#1", "kind": "bug", "confidence": 1.5}`, []string{"in:1: confidence: 1.5 is outside 0..1"}},
		{"note type", `{"id": "a/b#1", "kind": "bug", "note": 3}`, []string{"in:1: note: want a string"}},
		// Every bad line is reported, each with its line number.
		{"several lines", `{"id": "a/b#1", "kind": "bugs"}` + "\n" + ok + "\n" + `{"id": "a/b#3", "sev": "P1"}`,
			[]string{`in:1: kind: unknown value "bugs"`, "in:3: sev: unknown key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := Read(strings.NewReader(tt.input), "in", tax)
			if err == nil {
				t.Fatalf("no error; records %+v", recs)
			}
			if recs != nil {
				t.Errorf("records returned with an error: %+v", recs)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestReadManyErrorsBounded(t *testing.T) {
	tax := builtin(t, taxonomy.Default)
	var in strings.Builder
	for i := 0; i < 50; i++ {
		in.WriteString("nope\n")
	}
	_, err := Read(strings.NewReader(in.String()), "in", tax)
	if err == nil || !strings.Contains(err.Error(), "in: 30 more errors") || strings.Contains(err.Error(), "in:21:") {
		t.Errorf("error not bounded: %v", err)
	}
}

func TestReadEmpty(t *testing.T) {
	tax := builtin(t, taxonomy.Default)
	for _, in := range []string{"", "\n\n", "  \r\n"} {
		recs, err := Read(strings.NewReader(in), "in", tax)
		if err != nil || len(recs) != 0 {
			t.Errorf("Read(%q) = %v, %v", in, recs, err)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadIOError(t *testing.T) {
	_, err := Read(failingReader{}, "in", builtin(t, taxonomy.Default))
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v", err)
	}
}

func TestWriteErrors(t *testing.T) {
	tax := builtin(t, taxonomy.Default)
	ref := bugscope.IssueRef{Repo: "a/b", Number: 1}
	bad := 2.0
	tests := []struct {
		name string
		recs []Record
		want string
	}{
		{"zero issue", []Record{{Labels: bugscope.Labels{"kind": {"bug"}}}}, "not a valid owner/repo#number"},
		{"duplicate", []Record{{Issue: ref}, {Issue: ref}}, "record 1: id a/b#1 is also record 0"},
		{"unknown value", []Record{{Issue: ref, Labels: bugscope.Labels{"kind": {"bugs"}}}}, `unknown value "bugs"`},
		{"unknown dimension", []Record{{Issue: ref, Labels: bugscope.Labels{"kindd": {"bug"}}}}, `unknown dimension "kindd"`},
		{"empty value", []Record{{Issue: ref, Labels: bugscope.Labels{"patterns": {""}}}}, "empty or repeated"},
		{"confidence", []Record{{Issue: ref, Confidence: "sure"}}, `confidence "sure"`},
		{"confidence value", []Record{{Issue: ref, ConfidenceValue: &bad}}, "outside 0..1"},
		{"extra key", []Record{{Issue: ref, Extra: map[string]json.RawMessage{"comment": json.RawMessage(`"x"`)}}}, `extra key "comment"`},
		{"extra json", []Record{{Issue: ref, Extra: map[string]json.RawMessage{"rater": json.RawMessage(`{`)}}}, `extra key "rater"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tax, tt.recs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q despite the error", buf.String())
			}
		})
	}
}

func TestWriteNumberConfidence(t *testing.T) {
	// A confidence given only as text is written as a JSON number.
	tax := builtin(t, taxonomy.Default)
	got := write(t, tax, []Record{{Issue: bugscope.IssueRef{Repo: "a/b", Number: 2}, Labels: bugscope.Labels{"kind": {"docs"}}, Confidence: "0.50"}})
	want := `{"id": "a/b#2", "kind": "docs", "category": null, "root_cause": null, "severity": null, "patterns": [], "confidence": 0.5}` + "\n"
	if got != want {
		t.Errorf("got %s want %s", got, want)
	}
}

func TestClashingTaxonomy(t *testing.T) {
	tax, err := taxonomy.Parse(strings.NewReader(`
name: clash
version: "1"
dimensions:
  - id: note
    name: Note
    values:
      - {id: x, name: X, description: x}
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Read(strings.NewReader(""), "in", tax); err == nil {
		t.Error("Read accepted a taxonomy with a dimension named note")
	}
	if err := Write(&bytes.Buffer{}, tax, nil); err == nil {
		t.Error("Write accepted a taxonomy with a dimension named note")
	}
}

func TestUnlabelledAndLabelMap(t *testing.T) {
	tax := builtin(t, taxonomy.Default)
	recs, err := Read(strings.NewReader(`{"id": "a/b#1", "kind": "bug", "category": "other"}`+"\n"+`{"id": "a/b#2", "kind": "docs"}`), "in", tax)
	if err != nil {
		t.Fatal(err)
	}
	if got := Unlabelled(tax, recs[0].Labels); !reflect.DeepEqual(got, []string{"root_cause", "severity"}) {
		t.Errorf("Unlabelled(bug) = %v", got)
	}
	if got := Unlabelled(tax, recs[1].Labels); got != nil {
		t.Errorf("Unlabelled(docs) = %v", got)
	}
	m := LabelMap(recs)
	if len(m) != 2 || m[bugscope.IssueRef{Repo: "a/b", Number: 2}].One("kind") != "docs" {
		t.Errorf("LabelMap = %v", m)
	}
}
