package study_test

import (
	"strings"
	"testing"

	"github.com/bugscope/bugscope/study"
)

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "oom", `"out of memory" -rocm`, `-"x y"`, `"`, `a"b c"d`, "-", "--x", "\x00\"\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms, without, err := study.ParseQuery(q)
		if err != nil {
			if strings.Count(q, `"`)%2 == 0 {
				t.Fatalf("%q: error %v with balanced quotes", q, err)
			}
			return
		}
		for _, x := range append(terms, without...) {
			if x == "" {
				t.Fatalf("%q: an empty term", q)
			}
		}
	})
}
