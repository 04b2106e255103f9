package ac

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// reference is the general library's overlapping iteration, which the
// automaton replaces and must agree with, order included.
func reference(literals []string, text string) []Match {
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{AsciiCaseInsensitive: true, MatchKind: ahocorasick.StandardMatch, DFA: true})
	m := b.Build(literals)
	var out []Match
	it := m.IterOverlapping(text)
	for x := it.Next(); x != nil; x = it.Next() {
		out = append(out, Match{Start: x.Start(), End: x.End(), Pattern: x.Pattern()})
	}
	return out
}

func check(t *testing.T, literals []string, text string) {
	t.Helper()
	got := New(literals).Append(nil, text, 0)
	if want := reference(literals, text); !slices.Equal(got, want) {
		t.Fatalf("literals %q in %q:\n got %v\nwant %v", literals, text, got, want)
	}
}

func TestAgreesWithLibrary(t *testing.T) {
	check(t, []string{"he", "she", "his", "hers", "HE", "e"}, "ushers SHE said, his HERS")
	check(t, []string{"out of memory", "CUDA out of memory", "memory", "of"}, "torch.OutOfMemoryError: CUDA out of memory. Tried")
	check(t, []string{"a", "aa", "aaa", "b"}, "aaaabaa")
	check(t, []string{"ü", "Ü", "straße"}, "Über STRAßE ü")
	r := rand.New(rand.NewPCG(1, 2))
	alpha := "abAB c-\n\xff"
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(alpha[r.IntN(len(alpha))])
		}
		return b.String()
	}
	for range 500 {
		var lits []string
		for range 1 + r.IntN(12) {
			lits = append(lits, word(1+r.IntN(4)))
		}
		check(t, lits, word(r.IntN(60)))
	}
}

func TestBase(t *testing.T) {
	ms := New([]string{"gpu"}).Append(nil, "a GPU", 10)
	if len(ms) != 1 || ms[0] != (Match{Start: 12, End: 15, Pattern: 0}) {
		t.Fatalf("%v", ms)
	}
}

func FuzzAgreesWithLibrary(f *testing.F) {
	f.Add("he,she,his,hers", "ushers")
	f.Add("a,aa,b", "aaab")
	f.Fuzz(func(t *testing.T, lits, text string) {
		var ls []string
		for _, l := range strings.Split(lits, ",") {
			if l != "" {
				ls = append(ls, l)
			}
		}
		if len(ls) == 0 {
			return
		}
		check(t, ls, text)
	})
}

func TestCaseSensitiveContains(t *testing.T) {
	a := NewCaseSensitive([]string{"Error:", "ERROR", "failed", "what():"})
	for text, want := range map[string]bool{"": false, "an error: x": false, "RuntimeError: x": true, "ERROR 01-02": true,
		"Failed": false, "it failed": true, "what(): boom": true, "Error;": false} {
		if got := a.Contains(text); got != want {
			t.Errorf("Contains(%q) = %v, want %v", text, got, want)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	lits := []string{"aB", "b", "Ab c", "\xff\x00"}
	a = NewCaseSensitive(lits)
	for range 2000 {
		var b strings.Builder
		for range r.IntN(12) {
			const alpha = "aAbB c\xff\x00"
			b.WriteByte(alpha[r.IntN(len(alpha))])
		}
		s := b.String()
		want := false
		for _, l := range lits {
			want = want || strings.Contains(s, l)
		}
		if a.Contains(s) != want {
			t.Fatalf("Contains(%q) = %v", s, !want)
		}
	}
}
