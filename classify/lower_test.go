package classify

import (
	"regexp"
	"testing"
)

// A regex rewritten for ASCII-lowered text matches there exactly where
// the case-insensitive original matches the text as written, the Kelvin
// sign and the long s (which fold to k and s) included; expressions with a
// case-sensitive upper-case part are not rewritten.
func TestLowerRegex(t *testing.T) {
	texts := []string{"", "CUDA Out Of Memory", "only with TP=2", "Tensor-Parallel size > 1", "ſtop \u212Aernel OOM",
		"RuntimeError: CUDA error", "[Bug]: crash", "Straße", "ÉCHEC de chargement", "works fine with TP 1 but not with TP 2"}
	for _, expr := range []string{
		`cuda out of memory`, `\bonly (with|on) (tp|pp)\b\s*=?\s*[2-9]`, `tensor[ -_]parallel(ism|[ -_]size)?\s*(>|>=)\s*1`,
		`^\W*\[\s*(bug|crash)\s*\]`, `\b[A-Z]?[a-z]+(Error|Exception)\b`, `stop|kernel`, `[^a-z ]+`, `[A-Z]+`, `échec|strasse`,
		`works? (fine )?with (tp)\s*=?\s*1\b.{0,20}but`, `(?-i:CUDA)`,
	} {
		orig, low := lowerRegexOrig(expr), lowerRegex(expr)
		if expr == `(?-i:CUDA)` {
			if low != nil {
				t.Errorf("%s: rewritten, though case-sensitive", expr)
			}
			continue
		}
		if low == nil {
			t.Fatalf("%s: not rewritten", expr)
		}
		for _, s := range texts {
			a, b := orig.FindStringIndex(s), low.FindStringIndex(asciiLower(s))
			if len(a) != len(b) || len(a) == 2 && (a[0] != b[0] || a[1] != b[1]) {
				t.Errorf("%s on %q: %v, rewritten %s: %v", expr, s, a, low, b)
			}
		}
	}
}

func FuzzLowerRegex(f *testing.F) {
	f.Add(`\bonly (with|on) (tp|pp)\b`, "Only with TP=2")
	f.Add(`[a-z]+error`, "RuntimeError: \u212A")
	f.Fuzz(func(t *testing.T, expr, s string) {
		low := lowerRegex(expr)
		if low == nil {
			return
		}
		orig := lowerRegexOrig(expr)
		a, b := orig.FindStringIndex(s), low.FindStringIndex(asciiLower(s))
		if len(a) != len(b) || len(a) == 2 && (a[0] != b[0] || a[1] != b[1]) {
			t.Fatalf("%q on %q: %v, rewritten %s: %v", expr, s, a, low, b)
		}
	})
}

func lowerRegexOrig(expr string) *regexp.Regexp { return regexp.MustCompile("(?i)" + expr) }
