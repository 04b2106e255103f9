package classify

import (
	"slices"
	"testing"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"

	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/internal/ac"
	"github.com/bugscope/bugscope/internal/testshared"
)

// The rules' automaton finds in every report, generated and real (when
// ../shared is there), the matches the general Aho–Corasick library found
// with the same phrases, in the same order: labels and evidence depend on
// that order.
func TestAutomatonAgreesWithLibrary(t *testing.T) {
	var texts []string
	for _, is := range generateIssues(200) {
		texts = append(texts, is.Title, is.Body)
	}
	automatonAgrees(t, texts)
}

func TestAutomatonAgreesWithLibraryRealIssues(t *testing.T) {
	var texts []string
	for _, f := range testshared.DataFiles(t) {
		issues, err := importer.ParseFile(f, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range issues {
			texts = append(texts, is.Title, is.Body)
		}
	}
	automatonAgrees(t, texts)
}

func automatonAgrees(t *testing.T, texts []string) {
	rs := builtinClassifier(t, "llm-serving-v1").rs
	patterns := make([]string, len(rs.phrases))
	for i, p := range rs.phrases {
		patterns[i] = p.phrase
	}
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{AsciiCaseInsensitive: true, MatchKind: ahocorasick.StandardMatch, DFA: true})
	lib := b.Build(patterns)
	var got, want []ac.Match
	total := 0
	for _, s := range texts {
		got = rs.ac.Append(got[:0], s, 0)
		want = want[:0]
		it := lib.IterOverlapping(s)
		for m := it.Next(); m != nil; m = it.Next() {
			want = append(want, ac.Match{Start: m.Start(), End: m.End(), Pattern: m.Pattern()})
		}
		if !slices.Equal(got, want) {
			t.Fatalf("matches differ in %.200q:\n got %v\nwant %v", s, got, want)
		}
		total += len(got)
	}
	if total < 1000 {
		t.Fatalf("only %d matches in %d texts", total, len(texts))
	}
}
