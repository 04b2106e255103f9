package safetext

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// Hostile is one payload of each kind the outputs must defuse; the
// regression tests of the commands use them too (see cmd/bugscope).
var hostile = []struct{ name, in, line string }{
	{"plain", "plain", "plain"},
	{"CSI colour", "red \x1b[31mtext\x1b[0m", "red text"},
	{"CSI clear screen", "clear\x1b[2J\x1b[Hscreen", "clearscreen"},
	{"CSI private mode", "alt\x1b[?1049h screen", "alt screen"},
	{"OSC title BEL", "title \x1b]0;pwned\x07set", "title set"},
	{"OSC hyperlink ST", "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"},
	{"DCS", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
	{"APC PM SOS", "a\x1b_x\x1b\\b\x1b^y\x1b\\c\x1bXz\x1b\\d", "abcd"},
	{"ESC #8 fills the screen", "fill\x1b#8ed", "filled"},
	{"charset designation", "a\x1b(0b\x1b(B", "ab"},
	{"single-char escapes", "a\x1bcb\x1b7c\x1bMd", "abcd"},
	{"8-bit CSI in UTF-8", "a\u009b31mb", "ab"},
	{"8-bit OSC in UTF-8", "a\u009d0;x\u009cb", "ab"},
	{"8-bit DCS in UTF-8", "a\u0090qq\u009cb", "ab"},
	{"raw 8-bit CSI byte", "a\x9b31mb", "a\uFFFD31mb"},
	{"NEL", "c1\u0085", "c1"},
	{"BEL NUL BS", "bell\x07 nul\x00 bs\x08", "bell nul bs"},
	{"lone CR overwrites", "safe\rEVIL", "safe EVIL"},
	{"CRLF", "a\r\nb\tc", "a b c"},
	{"bidi override", "\u202eevil\u202c ok", "evil ok"},
	{"bidi isolate", "a\u2066b\u2069c\u200f", "abc"},
	{"invalid UTF-8", "bad \xff utf8", "bad \uFFFD utf8"},
	{"DEL", "a\x7fb", "ab"},
	{"unterminated OSC", "a\x1b]0;rest", "a"},
	{"lone ESC", "a\x1b", "a"},
	{"unicode text", "é 日本 👍", "é 日本 👍"},
}

func TestLineAndText(t *testing.T) {
	for _, tt := range hostile {
		if got := Line(tt.in); got != tt.line {
			t.Errorf("%s: Line(%q) = %q, want %q", tt.name, tt.in, got, tt.line)
		}
		if got := Text(tt.in); strings.NewReplacer("\n", " ", "\t", " ").Replace(got) != tt.line {
			t.Errorf("%s: Text(%q) = %q, want %q with its line breaks", tt.name, tt.in, got, tt.line)
		}
	}
	if got := Text("a\r\nb\rc\td\n"); got != "a\nb\nc\td\n" {
		t.Errorf("Text keeps line breaks and tabs: %q", got)
	}
}

func TestMarkdown(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain words", "plain words"},
		{"# heading", `\# heading`},
		{"[x](https://evil.example) ![i](https://evil.example/p.png)", `\[x\](https://evil.example) !\[i\](https://evil.example/p.png)`},
		{"<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
		{"a | b `c` *d* _e_ ~f~", "a \\| b \\`c\\` \\*d\\* \\_e\\_ \\~f\\~"},
		{"snake_case &amp; &", "snake_case &amp;amp; &"},
		{"line\nbreak \x1b[2Jcls", "line break cls"},
		{"\u202egnp.exe", "gnp.exe"},
	} {
		if got := Markdown(tt.in); got != tt.want {
			t.Errorf("Markdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIssueURL(t *testing.T) {
	const canon = "https://github.com/acme/engine/issues/12"
	for _, tt := range []struct{ stored, want string }{
		{"https://github.com/acme/engine/issues/12", canon},
		{"https://GitHub.com/Acme/Engine/pull/12", "https://github.com/Acme/Engine/pull/12"},
		{"https://ghe.example.com/acme/engine/issues/12", "https://ghe.example.com/acme/engine/issues/12"},
		{"https://github.com/acme/engine/issues/12)![x](https://evil.example/p.png", canon},
		{"https://evil.example/acme/engine/issues/12", canon},
		{"https://github.com.evil.example/acme/engine/issues/12", canon},
		{"https://user:pass@github.com/acme/engine/issues/12", canon},
		{"https://github.com@evil.example/acme/engine/issues/12", canon},
		{"javascript:alert(1)//github.com/acme/engine/issues/12", canon},
		{"http://github.com/acme/engine/issues/12", canon},
		{"https://github.com/acme/engine/issues/13", canon},
		{"https://github.com/other/engine/issues/12", canon},
		{"https://github.com/acme/engine/issues/012", canon},
		{"https://github.com/acme/engine/issues/12?x=1", canon},
		{"https://github.com/acme/engine/issues/12#frag", canon},
		{"https://github.com/acme/engine/issues/12/../../../x", canon},
		{"https://github.com/acme/engine/issues/%31%32", canon},
		{"https://github.com:8443/acme/engine/issues/12", canon},
		{"", canon},
	} {
		if got := IssueURL("acme/engine", 12, tt.stored, "ghe.example.com"); got != tt.want {
			t.Errorf("IssueURL(%q) = %q, want %q", tt.stored, got, tt.want)
		}
	}
	for _, repo := range []string{"ac)me/engine", "acme/eng](x)", "../x", "acme"} {
		if got := IssueURL(repo, 1, ""); got != "" {
			t.Errorf("IssueURL(%q) = %q, want no link", repo, got)
		}
	}
	if got := MarkdownLink("acme/engine#12", "https://x.example/a b)(<>"); got != "[acme/engine#12](https://x.example/a%20b%29%28%3C%3E)" {
		t.Errorf("MarkdownLink: %s", got)
	}
	if got := MarkdownLink("t](x)", ""); got != `t\](x)` {
		t.Errorf("MarkdownLink without URL: %s", got)
	}
}

func TestCSVCell(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain", "plain"},
		{"=HYPERLINK(\"https://evil.example\",\"x\")", "'=HYPERLINK(\"https://evil.example\",\"x\")"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"  =1+1", "'  =1+1"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\n=1"},
		{"-0.5", "-0.5"},
		{"+1e3", "+1e3"},
		{"12", "12"},
		{"a\x1b]0;x\x07b", "ab"},
		{"two\nlines", "two\nlines"},
		{"", ""},
	} {
		if got := CSVCell(tt.in); got != tt.want {
			t.Errorf("CSVCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var b bytes.Buffer
	w := NewCSVWriter(&b)
	w.Write([]string{"=1+1", "ok\x07"})
	w.Flush()
	if b.String() != "'=1+1,ok\n" {
		t.Errorf("CSVWriter wrote %q", b.String())
	}
}

func TestJSON(t *testing.T) {
	in := "c1 \u009b31m bidi \u202e del \x7f nul \x00 esc \x1b[2J sep \u2028 é"
	var b bytes.Buffer
	if err := WriteJSON(&b, map[string]string{"title": in}); err != nil {
		t.Fatal(err)
	}
	for _, r := range b.String() {
		if IsControl(r) && r != '\n' {
			t.Fatalf("raw control %U in %q", r, b.String())
		}
	}
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["title"] != in {
		t.Fatalf("round trip: %q, %v; want %q", back["title"], err, in)
	}
	if got := string(JSON([]byte("\"\xff\""))); got != `"\ufffd"` {
		t.Errorf("invalid UTF-8: %s", got)
	}
	plain := []byte(`{"a": "é"}`)
	if got := JSON(plain); &got[0] != &plain[0] {
		t.Error("JSON copied text with nothing to escape")
	}
}

// FuzzText checks the promises: valid UTF-8, no control characters, and
// for CSV no cell a spreadsheet would run; JSON escaping keeps the value.
func FuzzText(f *testing.F) {
	for _, tt := range hostile {
		f.Add(tt.in)
	}
	f.Add("=1+1")
	f.Fuzz(func(t *testing.T, s string) {
		for _, keep := range []bool{true, false} {
			out := clean(s, keep)
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 from %q", s)
			}
			for _, r := range out {
				if IsControl(r) && !(keep && (r == '\n' || r == '\t')) {
					t.Fatalf("control %U left in %q (from %q)", r, out, s)
				}
			}
		}
		if c := CSVCell(s); c != "" && !plainNumber.MatchString(c) {
			rest := strings.TrimLeft(c, " \t\n")
			if c[0] != '\'' && (rest != "" && strings.IndexByte("=+-@", rest[0]) >= 0 || c[0] == '\t' || c[0] == '\n') {
				t.Fatalf("CSVCell(%q) = %q runs as a formula", s, c)
			}
		}
		if strings.ContainsAny(Markdown(s), "\n\r") {
			t.Fatalf("Markdown(%q) spans lines", s)
		}
		b, _ := json.Marshal(s)
		var back string
		if err := json.Unmarshal(JSON(b), &back); err != nil || utf8.ValidString(s) && back != s {
			t.Fatalf("JSON changed %q to %q (%v)", s, back, err)
		}
		var rec []string
		var buf bytes.Buffer
		w := NewCSVWriter(&buf)
		w.Write([]string{s})
		w.Flush()
		if rec, _ = csv.NewReader(&buf).Read(); len(rec) == 1 && rec[0] != CSVCell(s) && CSVCell(s) != "" {
			t.Fatalf("CSV round trip %q -> %q", CSVCell(s), rec[0])
		}
	})
}

// FuzzIssueURL checks that whatever address a dump stores, the link is to
// the issue: on github.com or the allowed host, its repository, its
// number, nothing else.
func FuzzIssueURL(f *testing.F) {
	for _, s := range []string{"https://github.com/acme/engine/issues/12", "https://ghe.example.com/acme/engine/pull/12",
		"https://github.com/acme/engine/issues/12)![x](https://evil.example/p.png)", "https://user:pass@github.com/acme/engine/issues/12",
		"https://github.com.evil.example/acme/engine/issues/12", "javascript:alert(1)", "https://github.com/acme/engine/issues/%31%32"} {
		f.Add(s, "acme/engine", 12)
	}
	link := regexp.MustCompile(`^https://(github\.com|ghe\.example\.com)/([A-Za-z0-9._-]+)/([A-Za-z0-9._-]+)/(issues|pull)/([1-9][0-9]*)$`)
	f.Fuzz(func(t *testing.T, stored, repo string, number int) {
		got := IssueURL(repo, number, stored, "ghe.example.com")
		if got == "" {
			return
		}
		m := link.FindStringSubmatch(got)
		if m == nil || !strings.EqualFold(m[2]+"/"+m[3], repo) || m[5] != strconv.Itoa(number) {
			t.Fatalf("IssueURL(%q, %d, %q) = %q", repo, number, stored, got)
		}
		if md := MarkdownLink("x", got); md != "[x]("+got+")" {
			t.Fatalf("MarkdownLink changed a checked link: %s", md)
		}
	})
}
