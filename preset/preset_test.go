package preset

import (
	"reflect"
	"strings"
	"testing"
)

func TestEnginesPreset(t *testing.T) {
	got, err := Get("engines")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"vllm-project/vllm",
		"ggml-org/llama.cpp",
		"sgl-project/sglang",
		"NVIDIA/TensorRT-LLM",
		"huggingface/text-generation-inference",
		"deepspeedai/DeepSpeed",
		"mlc-ai/mlc-llm",
		"InternLM/lmdeploy",
		"ollama/ollama",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("engines = %v, want %v", got, want)
	}
	// Get returns a copy: changing it does not change the preset.
	got[0] = "changed/by-caller"
	if again, _ := Get("engines"); again[0] != "vllm-project/vllm" {
		t.Errorf("Get returned the preset's own slice")
	}
	for _, r := range want {
		if _, canon, ok := Lookup(r); !ok || canon != r {
			t.Errorf("Lookup(%q) = %q, %v", r, canon, ok)
		}
	}
}

func TestPresets(t *testing.T) {
	names := Names()
	if want := []string{"engines", "first-look", "serving"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Names() = %v, want %v", names, want)
	}
	for _, n := range names {
		if Describe(n) == "" {
			t.Errorf("preset %q has no description", n)
		}
		repos, err := Get(n)
		if err != nil || len(repos) == 0 {
			t.Errorf("Get(%q) = %v, %v", n, repos, err)
		}
	}
	fl, _ := Get("first-look")
	if len(fl) != 5 {
		t.Errorf("first-look has %d repositories, want 5", len(fl))
	}
	if Describe("nope") != "" {
		t.Errorf("Describe(unknown) is not empty")
	}
}

func TestGetUnknown(t *testing.T) {
	_, err := Get("engnies")
	if err == nil {
		t.Fatal("Get(engnies) succeeded")
	}
	for _, w := range []string{`"engnies"`, "engines", "first-look", "serving"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %s", err, w)
		}
	}
}

func TestLookup(t *testing.T) {
	cases := []struct {
		in, canon, name string
		ok              bool
	}{
		{"ggml-org/llama.cpp", "ggml-org/llama.cpp", "llama.cpp", true},
		{"ggerganov/llama.cpp", "ggml-org/llama.cpp", "llama.cpp", true},
		{"GGERGANOV/LLAMA.CPP", "ggml-org/llama.cpp", "llama.cpp", true},
		{"microsoft/DeepSpeed", "deepspeedai/DeepSpeed", "DeepSpeed", true},
		{"Microsoft/deepspeed", "deepspeedai/DeepSpeed", "DeepSpeed", true},
		{"VLLM-Project/VLLM", "vllm-project/vllm", "vLLM", true},
		{"nvidia/tensorrt-llm", "NVIDIA/TensorRT-LLM", "TensorRT-LLM", true},
		{"huggingface/text-generation-inference", "huggingface/text-generation-inference", "TGI", true},
		{"someone/else", "someone/else", "", false},
		{"vllm", "vllm", "", false},
		{"", "", "", false},
	}
	for _, tc := range cases {
		r, canon, ok := Lookup(tc.in)
		if ok != tc.ok || canon != tc.canon || r.Name != tc.name {
			t.Errorf("Lookup(%q) = %q, %q, %v; want %q, %q, %v", tc.in, r.Name, canon, ok, tc.name, tc.canon, tc.ok)
		}
	}
	r, _, _ := Lookup("ggerganov/llama.cpp")
	if !reflect.DeepEqual(r.BugLabels, []string{"bug", "bug-unconfirmed"}) {
		t.Errorf("llama.cpp bug labels = %v", r.BugLabels)
	}
	if r, _, _ := Lookup("deepspeedai/DeepSpeed"); !reflect.DeepEqual(r.BugLabels, []string{"inference"}) {
		t.Errorf("DeepSpeed bug labels = %v", r.BugLabels)
	}
}

func TestDisplayName(t *testing.T) {
	for in, want := range map[string]string{
		"vllm-project/vllm":   "vLLM",
		"sgl-project/sglang":  "SGLang",
		"ggerganov/llama.cpp": "llama.cpp",
		"InternLM/lmdeploy":   "LMDeploy",
		"ollama/OLLAMA":       "Ollama",
		"acme/fast-llm":       "fast-llm",
		"no-slash":            "no-slash",
		"":                    "",
	} {
		if got := DisplayName(in); got != want {
			t.Errorf("DisplayName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want string // "" for success
	}{
		{"valid", "repos:\n  a/b: {name: AB}\npresets:\n  p: {repos: [a/b]}\n", ""},
		{"preset naming an unknown repo", "repos:\n  a/b: {name: AB}\npresets:\n  p: {repos: [a/b, c/d]}\n", `preset "p" names c/d, which is not under repos`},
		{"alias is not a repo key", "repos:\n  a/b: {name: AB, aliases: [old/b]}\npresets:\n  p: {repos: [old/b]}\n", "old/b"},
		{"malformed repo", "repos:\n  nobody: {name: X}\n", `repository "nobody"`},
		{"not YAML", "repos: [unclosed\n", "presets:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f file
			err := parse([]byte(tc.yaml), &f)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parse = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// The embedded file itself parses: every repository well formed, every
// preset naming known ones, no alias shadowing another repository.
func TestEmbeddedFile(t *testing.T) {
	var f file
	if err := parse(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Repos) != 9 {
		t.Errorf("%d repositories, want 9", len(f.Repos))
	}
	seen := map[string]string{}
	for r, info := range f.Repos {
		if info.Name == "" || len(info.BugLabels) == 0 {
			t.Errorf("%s: name %q, bug labels %v", r, info.Name, info.BugLabels)
		}
		for _, k := range append([]string{r}, info.Aliases...) {
			k = strings.ToLower(k)
			if other, dup := seen[k]; dup {
				t.Errorf("%q names both %s and %s", k, other, r)
			}
			seen[k] = r
		}
	}
}
