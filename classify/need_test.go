package classify

import (
	"regexp"
	"strings"
	"testing"

	"github.com/bugscope/bugscope/taxonomy"
)

// builtinRegexes are the regular expressions of every built-in rule set.
func builtinRegexes(t testing.TB) []*compiledRule {
	var out []*compiledRule
	for _, name := range taxonomy.Builtins() {
		out = append(out, builtinClassifier(t, name).rs.rules...)
	}
	var rs []*compiledRule
	for _, r := range out {
		if r.re != nil {
			rs = append(rs, r)
		}
	}
	return rs
}

// needTexts are texts to try the regexes on: the generated reports'
// titles and bodies, line by line and whole, and a few made to match.
func needTexts() []string {
	texts := []string{"", "\u212Aernel", "ſtop", "only with TP=2", "works fine with TP 1 but not with TP 2",
		"Failed to load model Qwen2-7B", "tensor parallel size > 1\nbut", "is not supported on ROCm",
		"Can't load the model llama", "the finish_reason field is missing", "OpenAI spec says it should return"}
	for _, is := range generateIssues(40) {
		texts = append(texts, is.Title, is.Body)
		texts = append(texts, strings.Split(is.Body, "\n")...)
	}
	return texts
}

// A text that a rule's regex matches always meets the condition derived
// from the regex: the condition only rules out texts the regex cannot
// match. And a regex that needOf calls line-bound finds, searched line by
// line, the match it finds in the whole text.
func TestNeedNeverRulesOutAMatch(t *testing.T) {
	rules := builtinRegexes(t)
	texts := needTexts()
	matched := 0
	for _, r := range rules {
		for _, s := range texts {
			checkNeed(t, r.Regex, r.re, r.need, r.inLine, s)
			if r.re.MatchString(s) {
				matched++
			}
		}
	}
	if matched < 100 {
		t.Fatalf("only %d matches: the texts do not exercise the regexes", matched)
	}
}

func checkNeed(t *testing.T, expr string, re *regexp.Regexp, n *need, lines bool, s string) {
	t.Helper()
	low := asciiLower(s)
	loc := re.FindStringIndex(s)
	if loc != nil && n != nil && !n.mayMatch(low) {
		t.Fatalf("%s matches %q at %v, but the condition %s rules it out", expr, s, loc, n)
	}
	if !lines {
		return
	}
	var got []int
	for a := 0; a <= len(s) && got == nil; {
		b := strings.IndexByte(s[a:], '\n')
		next := a + b + 1
		if b < 0 {
			b, next = len(s), len(s)+1
		} else {
			b += a
		}
		if l := re.FindStringIndex(s[a:b]); l != nil {
			got = []int{a + l[0], a + l[1]}
		}
		a = next
	}
	if len(got) != len(loc) || got != nil && (got[0] != loc[0] || got[1] != loc[1]) {
		t.Fatalf("%s on %q: %v in the whole text, %v line by line", expr, s, loc, got)
	}
}

func TestNeedOf(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{`cuda out of memory`, `"cuda out of memory"`},
		{`\b(only|fails?) (with|on) tp`, `("fail on tp" | "fail with tp" | "fails on tp" | "fails with tp" | "only on tp" | "only with tp")`},
		{`crash\w*|oom`, `("crash" | "oom")`},
		{`a*`, `*`},
		{`(foo)?bar`, `"bar"`},
		{`x.y`, `("x" & "y")`},
		{`[?？]\s*$`, `*`}, // non-ASCII: nothing known
		{`(?-i:CUDA) error`, `"cuda error"`},
	} {
		if got := needOf(c.expr).String(); got != c.want {
			t.Errorf("needOf(%s) = %s, want %s", c.expr, got, c.want)
		}
	}
	for expr, want := range map[string]bool{`a\s+b`: false, `a[^.\n]b`: true, `^a`: false, `a$`: false, `a.b`: true, `(?s)a.b`: false, `\bx\b`: true} {
		if got := inLine(expr); got != want {
			t.Errorf("inLine(%s) = %v, want %v", expr, got, want)
		}
	}
}

func FuzzNeedOf(f *testing.F) {
	f.Add(`\b(only|fails?) (with|on) (tp|pp)\s*=?\s*[2-9]`, "Only with TP=2\nfails on pp 3")
	f.Add(`(k|s)ernel [a-z]+ error`, "\u212Aernel X error")
	f.Add(`x{2,}y|z+`, "xxy")
	f.Fuzz(func(t *testing.T, expr, s string) {
		re, err := regexp.Compile("(?i)" + expr)
		if err != nil || len(expr) > 200 {
			return
		}
		checkNeed(t, expr, re, needOf(expr), inLine(expr), s)
	})
}
