package taxonomy

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
)

// FuzzParse feeds Parse what a team's taxonomy file could hold. A file
// that parses must be usable: every dimension found by its id, every
// value by its id, and label checks that do not panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	for _, name := range Builtins() {
		b, err := builtinFS.ReadFile("data/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("name: a\nversion: 1\ndimensions: &d [*d]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		tax, err := Parse(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "taxonomy fuzz: ") {
				t.Fatalf("error without its origin: %v", err)
			}
			return
		}
		for _, d := range tax.Dimensions {
			if tax.Dimension(d.ID) != d {
				t.Fatalf("dimension %q not found by its id", d.ID)
			}
			labels := bugscope.Labels{}
			for _, v := range d.AllValues() {
				if d.Value(v.ID) == nil {
					t.Fatalf("value %q of %q not found by its id", v.ID, d.ID)
				}
				labels[d.ID] = []string{v.ID}
				_ = tax.Check(labels)
				_ = tax.Applies(d, labels)
			}
		}
	})
}

// Empty list entries ("-" alone, the fuzzer's find) are refused with
// their place, not a crash.
func TestEmptyEntries(t *testing.T) {
	for doc, want := range map[string]string{
		"name: a\nversion: 1\ndimensions:\n  -\n":                                                                        "dimensions[0] is empty",
		"name: a\nversion: 1\ndimensions:\n  - id: k\n    name: K\n    values:\n      -\n":                               `dimension "k": values[0] is empty`,
		"name: a\nversion: 1\ndimensions:\n  - id: k\n    name: K\n    groups:\n      -\n":                               `dimension "k": groups[0] is empty`,
		"name: a\nversion: 1\ndimensions:\n  - id: k\n    name: K\n    groups:\n      - id: g\n        values: [null]\n": `group "g": values[0] is empty`,
	} {
		if _, err := Parse(strings.NewReader(doc), "t"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
}
