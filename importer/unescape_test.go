package importer

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzUnescape checks that unescape decodes strings exactly as
// encoding/json does, which it replaces for speed, but for NUL, which it
// stores as U+FFFD.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{
		`"plain"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\ud83d\ude00"`, `"\ud800 lone"`, `"\udc00\ud800"`,
		`"\ud800\u0041"`, `"\ud800\ud800\udc00"`, "\"bad \xff\xfe \xe2\x82 \xed\xa0\x80\"", `"\u0000"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		if len(b) < 2 || b[0] != '"' || json.Unmarshal(b, &want) != nil {
			return
		}
		if end, ok := skipString(b, 0); !ok || end != len(b) {
			return // a string and more, like "a" followed by spaces
		}
		want = strings.ReplaceAll(want, "\x00", "\uFFFD")
		if got := unquote(b); got != want {
			t.Fatalf("unquote(%q) = %q, want %q", b, got, want)
		}
	})
}
