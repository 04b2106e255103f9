package importer

import (
	"encoding/json"
	"strings"
	"testing"
)

var validCases = []string{
	``, ` `, `{}`, `[]`, ` [ ] `, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1,]`, `[,1]`, `[1 2]`,
	`"abc"`, `"a\"b"`, `"a\\"`, `"a\\\"`, `"\u00e9"`, `"\u00g9"`, `"\u00"`, `"\x"`, "\"a\tb\"", "\"a\x1fb\"",
	"\"\xff\xfe\"", `"0123456789abcdef\"0123456789"`, `"01234567\\89"`, `"0123456"`, `"01234567`,
	`0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e`, `1e+`, `1e+5`, `1E-05`, `-12.5e3`, `1x`, `+1`,
	`true`, `tru`, `truex`, `false`, `null`, `nul`, `nulll`, `[true,false,null]`,
	`{"a":{"b":[1,{"c":"d"}]}}`, `{"a":{"b":[1,{"c":"d"}]}`, `{"a":[}`, `[{]`, `{"a":1}}`, `[1]]`, `{} {}`,
	`{"a":1}` + "\n", "\t{\r\n}\n", `{"":""}`, `{"a":"` + strings.Repeat("x", 100) + `"}`,
	strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth),
	strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
}

// TestValidJSON checks validJSON against json.Valid; FuzzValid does it on
// every input.
func TestValidJSON(t *testing.T) {
	for _, c := range validCases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%.60q) = %v, json.Valid says %v", c, got, want)
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		if got, want := validJSON(d), json.Valid(d); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", d, got, want)
		}
	})
}
