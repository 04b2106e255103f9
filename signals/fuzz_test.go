package signals

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExtract: Extract never panics, keeps offsets inside their field,
// returns valid bounded values and is deterministic.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		fixtureCollectEnv, fixtureTraceback, fixtureLlamaCrash, fixtureNvidiaSMI,
		fixtureWindowsVulkan, fixtureSGLangLog, fixtureROCm, fixtureMetal, fixtureProse,
	} {
		f.Add("vllm-project/vllm", "[Bug]: crash", s)
		f.Add("ggml-org/llama.cpp", s[:min(len(s), 120)], s[len(s)/2:])
	}
	f.Add("", "", "")
	f.Add("ggml-org/llama.cpp", "b4567", "version: 4567 (abcdef0)\nGGML_ASSERT: a.c:1: x\n")
	f.Add("x/y", "\xff\xfe", "RuntimeError: \xc3\x28 \x1b[31mKeyError\x1b[0m: 'a'\r\n")
	f.Add("x/y", "CUDA error: ", "NCCL error: \nCUDA error:\nHIP error:  .\n")
	f.Fuzz(func(t *testing.T, repo, title, body string) {
		got := Extract(repo, title, body)
		for _, s := range got {
			field := body
			if s.Field == FieldTitle {
				field = title
			} else if s.Field != FieldBody {
				t.Fatalf("field %q", s.Field)
			}
			if s.Offset < 0 || s.Offset >= len(field) {
				t.Fatalf("%v: offset outside a %d-byte field", s, len(field))
			}
			if s.Value == "" || len(s.Value) > 160 || !utf8.ValidString(s.Value) {
				t.Fatalf("%v: bad value", s)
			}
			if strings.TrimSpace(s.Value) != s.Value {
				t.Fatalf("%v: untrimmed value", s)
			}
		}
		if again := Extract(repo, title, body); !reflect.DeepEqual(got, again) {
			t.Fatalf("not deterministic:\n%v\n%v", got, again)
		}
		for _, h := range extract(repo, title, body) {
			field := body
			if h.Field == FieldTitle {
				field = title
			}
			if !strings.HasPrefix(field[h.Offset:], h.text) {
				t.Fatalf("%v: text %q not at its offset", h.Signal, h.text)
			}
		}
	})
}
