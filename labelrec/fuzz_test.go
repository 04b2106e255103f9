package labelrec

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bugscope/bugscope/taxonomy"
)

// FuzzRead checks that Read never panics and that whatever it accepts
// survives Write and Read unchanged, with Write's output a fixed point.
func FuzzRead(f *testing.F) {
	tax := builtin(f, taxonomy.Default)
	for _, name := range []string{"canonical.jsonl", "lenient.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, line := range strings.Split(string(b), "\n") {
			f.Add([]byte(line))
		}
	}
	for _, s := range []string{
		`{"id": "a/b#1", "kind": "bug", "kind": "bug"}`,
		`{"id": "a/b#1", "kind": ["bug"], "confidence": 1e-7}`,
		`{"id": " a/b#+01 ", "kind": null, "x_": 1, "x_y": [1, {"z": null}]}`,
		`{"id": "a/b#1", "confidence": -0}`,
		"{\"id\": \"a/b#1\", \"note\": \"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		recs, err := Read(bytes.NewReader(in), "fuzz", tax)
		if err != nil {
			return
		}
		var first bytes.Buffer
		if err := Write(&first, tax, recs); err != nil {
			t.Fatalf("Write of accepted records failed: %v\ninput %q", err, in)
		}
		again, err := Read(bytes.NewReader(first.Bytes()), "fuzz", tax)
		if err != nil {
			t.Fatalf("Read of written records failed: %v\nwritten %q", err, first.Bytes())
		}
		if len(recs) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(recs, again) {
			t.Fatalf("round trip changed records:\n%+v\n%+v", recs, again)
		}
		var second bytes.Buffer
		if err := Write(&second, tax, again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("Write is not a fixed point:\n%s\n%s", first.Bytes(), second.Bytes())
		}
	})
}
