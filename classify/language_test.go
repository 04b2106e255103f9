package classify

import (
	"strings"
	"testing"
)

// languageRules exercises the parts of the rule language that decide where
// evidence may come from and how much it counts: regions (error lines,
// commands, frames, data), except guards, min_cues, cue variants and
// groups. One rule per feature, on the mini taxonomy.
const languageRules = `taxonomy: mini
version: "lang"
dimensions:
  kind: {order: 1, min_score: 1, defaults: [{value: bug}]}
  category: {order: 2, min_score: 2, defaults: [{value: misc.other, note: nothing}]}
  tags: {order: 3, min_score: 2}
  cause: {order: 4, min_score: 2, defaults: [{value: unknown}]}
rules:
  - {id: kind.form.title, dim: kind, value: feature, group: form, in: {title: 3}, phrases: ["[feature]"]}
  - {id: kind.form.label, dim: kind, value: feature, group: form, labels: [enhancement], weight: 3}
  - {id: kind.asks, dim: kind, value: question, in: {text: 1}, cap: 5, phrases: ["how do i", "is there a way", "can anyone help", "any idea"]}
  - {id: err.only, dim: category, value: mem.oom, in: {error: 2}, phrases: ["out of memory"]}
  - {id: prose.only, dim: category, value: net.timeout, in: {text: 2}, phrases: ["timeout", "parser"]}
  - {id: cmd.ok, dim: tags, value: cache, in: {cmd: 2}, phrases: ["prefix-caching"]}
  - {id: frame.ok, dim: cause, value: logic, in: {frame: 2}, phrases: ["load_weights"]}
  - {id: data.ok, dim: tags, value: gpu, in: {data: 2}, phrases: ["device_name"]}
  - id: guarded
    dim: category
    value: mem.leak
    in: {text: 2}
    phrases: [stuck, repeating]
    except: ["stuck in a loop", "repeating layers"]
  - id: two.cues
    dim: tags
    value: windows
    in: {text: 1}
    cap: 3
    min_cues: 2
    phrases: [image, images, vision, pixels]
`

func languageSet(t *testing.T) *Classifier {
	t.Helper()
	rs, err := ParseRules(strings.NewReader(languageRules), "lang.yaml", miniTaxonomy(t))
	if err != nil {
		t.Fatal(err)
	}
	return New(rs)
}

// matchedRules returns the rules that matched with their best text.
func matchedRules(c *Classifier, title, body string) map[string]ruleHit {
	out := map[string]ruleHit{}
	for _, h := range c.rs.match(prepare(mkIssue(title, body), c.rs.roles)) {
		out[h.rule.ID] = h
	}
	return out
}

func TestRegionsOfLines(t *testing.T) {
	cl := languageSet(t)
	cases := []struct {
		name string
		body string
		want map[string]bool // rule -> matches
	}{
		{"an error line in a log", "```\nRuntimeError: CUDA out of memory\n```\n", map[string]bool{"err.only": true}},
		{"an error line in prose", "It stops with RuntimeError: out of memory on the second GPU\n", map[string]bool{"err.only": true}},
		{"an error logged at ERROR level", "```\nERROR 03-18 14:46:40 [core.py:341] worker ran out of memory\n```\n", map[string]bool{"err.only": true}},
		{"prose that is not an error line", "I wonder whether we run out of memory with 8k contexts\n", map[string]bool{"err.only": false}},
		{"a launch flag in prose counts as a command", "I run it with --tool-call-parser hermes and a timeout of 5 s\n", map[string]bool{"prose.only": true}},
		{"a command line", "```\nvllm serve m --timeout 5 --enable-prefix-caching\n```\n", map[string]bool{"prose.only": false, "cmd.ok": true}},
		{"a command line in prose with a prompt", "$ python -m server --timeout 5\n", map[string]bool{"prose.only": false}},
		{"a continuation line", "```\ndocker run --gpus all \\\n  --timeout 5 \\\n  --enable-prefix-caching\n```\n", map[string]bool{"prose.only": false, "cmd.ok": true}},
		{"a URL", "See https://example.com/issues/timeout-parser for more\n", map[string]bool{"prose.only": false}},
		{"a traceback frame and its source line", "```\nTraceback (most recent call last):\n  File \"/x/loader.py\", line 3, in load_weights\n    timeout = parser.get()\nKeyError: 'w'\n```\n",
			map[string]bool{"frame.ok": true, "prose.only": false}},
		{"a logged traceback frame", "```\nERROR 05-02 [core.py:387]   File \"/x/loader.py\", line 3, in load_weights\n```\n", map[string]bool{"frame.ok": true}},
		{"a pasted object", "```\nDeviceInfo(device_name='H100', timeout=None, parser=None, id=3)\n```\n", map[string]bool{"data.ok": true, "prose.only": false}},
		{"JSON", "```\n{\"device_name\": \"H100\", \"timeout\": 5}\n```\n", map[string]bool{"data.ok": true}},
		{"an unticked checklist item", "- [ ] the server hits a timeout\n", map[string]bool{"prose.only": false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := matchedRules(cl, "x", tc.body)
			for id, want := range tc.want {
				if h, ok := got[id]; ok != want {
					t.Errorf("rule %s matched = %v (%q in %s), want %v", id, ok, h.text, h.region, want)
				}
			}
		})
	}
}

func TestExceptGuards(t *testing.T) {
	cl := languageSet(t)
	for body, want := range map[string]bool{
		"The model is stuck in a loop, it repeats itself.":    false,
		"The decoder has repeating layers.":                   false,
		"The server is stuck after the first request.":        true,
		"The output is repeating the prompt.":                 true,
		"stuck in a loop here, and then stuck for an hour":    true, // the second "stuck" is unguarded
		"The model is Stuck In A Loop after 200 tokens again": false,
	} {
		if _, ok := matchedRules(cl, "x", body)["guarded"]; ok != want {
			t.Errorf("%q: guarded rule matched = %v, want %v", body, ok, want)
		}
	}
}

func TestMinCuesAndVariants(t *testing.T) {
	cl := languageSet(t)
	for body, want := range map[string]bool{
		"one image":                      false,
		"an image and more images":       false, // one word, two forms: one cue
		"the image and the vision tower": true,
		"images, pixels and vision":      true,
	} {
		h, ok := matchedRules(cl, "x", body)["two.cues"]
		if ok != want {
			t.Errorf("%q: matched = %v (cues %d), want %v", body, ok, h.cues, want)
		}
	}
	if h := matchedRules(cl, "x", "images, pixels and vision")["two.cues"]; h.cues != 3 || h.score != 3 {
		t.Errorf("three cues scored %v with %d cues, want 3 and 3", h.score, h.cues)
	}
}

func TestGroupCountsOnce(t *testing.T) {
	cl := languageSet(t)
	body := "How do I set it? Is there a way? Can anyone help? Any idea?"
	// The form alone: a title and the label it comes with are one piece of
	// evidence (3), which four questions in the body (4) outweigh.
	c := cl.One(mkIssue("[Feature] something", body, "enhancement"))
	if got := c.Labels.One("kind"); got != "question" {
		t.Errorf("kind = %q, want question: the form's two rules counted twice\n%s", got, evidenceText(c))
	}
	// Without the questions the form decides.
	c = cl.One(mkIssue("[Feature] something", "Please.", "enhancement"))
	if got := c.Labels.One("kind"); got != "feature" {
		t.Errorf("kind = %q, want feature", got)
	}
}

func TestInToken(t *testing.T) {
	text := "use --ipc=host and -tp 2, see https://x.org/a-b or `--foo` and plain-word"
	for sub, want := range map[string]bool{"ipc": true, "host": true, "tp": true, "x.org": true, "plain": false, "word": false, "foo": true, "use": false} {
		i := strings.Index(text, sub)
		if got := inToken(text, i); got != want {
			t.Errorf("inToken at %q = %v, want %v", sub, got, want)
		}
	}
}
