package classify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bugscope/bugscope/taxonomy"
)

func miniTaxonomy(t testing.TB) *taxonomy.Taxonomy {
	t.Helper()
	tax, err := taxonomy.LoadFile(filepath.Join("testdata", "mini.taxonomy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

func miniRules(t testing.TB) *RuleSet {
	t.Helper()
	rs, err := LoadRules(filepath.Join("testdata", "mini.rules.yaml"), miniTaxonomy(t))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// baseRules is a valid rule file for the mini taxonomy; the cases of
// TestRuleValidation add one mistake each.
const baseRules = `taxonomy: mini
version: "1"
dimensions:
  kind: {order: 1, min_score: 1, defaults: [{value: bug}]}
  category: {order: 2, min_score: 2, defaults: [{value: misc.other}]}
  tags: {order: 3, min_score: 2}
  cause: {order: 4, min_score: 2, defaults: [{value: unknown}]}
rules:
  - id: ok.oom
    dim: category
    value: mem.oom
    in: {text: 2}
    phrases: [oom]
`

func TestRuleValidation(t *testing.T) {
	tax := miniTaxonomy(t)
	rule := func(body string) string { return baseRules + "  - id: r.x\n" + body }
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown dimension", rule("    dim: colour\n    value: red\n    in: {text: 1}\n    phrases: [x]\n"),
			[]string{`rule "r.x": unknown dimension "colour"`}},
		{"unknown value", rule("    dim: category\n    value: mem.oops\n    in: {text: 1}\n    phrases: [x]\n"),
			[]string{`rule "r.x": "mem.oops" is not a value of "category"`}},
		{"group is not a value", rule("    dim: category\n    value: mem\n    in: {text: 1}\n    phrases: [x]\n"),
			[]string{`rule "r.x": "mem" is not a value of "category"`}},
		{"bad regex", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    regex: 'out of (memory'\n"),
			[]string{`rule "r.x": regex:`, "missing closing )"}},
		{"regex over the body without prefilter", rule("    dim: category\n    value: mem.oom\n    in: {title: 1, log: 1}\n    regex: 'code \\d+'\n"),
			[]string{`rule "r.x": a regex over the body needs a prefilter`}},
		{"prefilter without regex", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    phrases: [x]\n    prefilter: [x]\n"),
			[]string{`rule "r.x": prefilter without regex`}},
		{"empty prefilter literal", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    prefilter: [code, \" \"]\n    regex: 'code \\d+'\n"),
			[]string{`rule "r.x": empty prefilter literal`}},
		{"unknown region", rule("    dim: category\n    value: mem.oom\n    in: {footer: 1}\n    phrases: [x]\n"),
			[]string{`rule "r.x": unknown region "footer"`}},
		{"phrases without in", rule("    dim: category\n    value: mem.oom\n    phrases: [x]\n"),
			[]string{`rule "r.x": phrases or regex need regions under in`}},
		{"in without phrases", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    labels: [x]\n    weight: 1\n"),
			[]string{`rule "r.x": in is set but there are no phrases or regex`}},
		{"when on a dimension decided later", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    phrases: [x]\n    when: {cause: [logic]}\n"),
			[]string{`rule "r.x": condition on "cause", which is not decided before "category"`}},
		{"when on its own dimension", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    phrases: [x]\n    when_not: {category: [mem.leak]}\n"),
			[]string{`rule "r.x": condition on "category", which is not decided before "category"`}},
		{"when on an unknown dimension", rule("    dim: cause\n    value: logic\n    in: {text: 1}\n    phrases: [x]\n    when: {colour: [red]}\n"),
			[]string{`rule "r.x": condition on unknown dimension "colour"`}},
		{"when on an unknown value", rule("    dim: cause\n    value: logic\n    in: {text: 1}\n    phrases: [x]\n    when: {category: [mem.ooom]}\n"),
			[]string{`rule "r.x": condition category="mem.ooom": no such value`}},
		{"a marker with a value", rule("    dim: category\n    marker: true\n    value: mem.oom\n    in: {text: 1}\n    phrases: [x]\n"),
			[]string{`rule "r.x": a marker votes for no value (value "mem.oom")`}},
		{"unknown unless", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    phrases: [x]\n    unless: [ok.oom, no.such.rule]\n"),
			[]string{`rule "r.x": unless names unknown rule "no.such.rule"`}},
		{"duplicate id", baseRules + "  - id: ok.oom\n    dim: category\n    value: mem.leak\n    in: {text: 1}\n    phrases: [leak]\n",
			[]string{`rule "ok.oom": id used twice`}},
		{"missing id", baseRules + "  - dim: category\n    value: mem.leak\n    in: {text: 1}\n    phrases: [leak]\n",
			[]string{`rule 2: id is missing`}},
		{"missing defaults for a single dimension", strings.Replace(baseRules, "cause: {order: 4, min_score: 2, defaults: [{value: unknown}]}", "cause: {order: 4, min_score: 2}", 1),
			[]string{`dimension "cause": needs at least one default`}},
		{"default that is not a value", strings.Replace(baseRules, "defaults: [{value: unknown}]", "defaults: [{value: unknwon}]", 1),
			[]string{`dimension "cause" default 1: "unknwon" is not a value of "cause"`}},
		{"default conditional on a later dimension", strings.Replace(baseRules, "defaults: [{value: misc.other}]", "defaults: [{value: misc.other, when: {cause: [logic]}}]", 1),
			[]string{`dimension "category" default 1: condition on "cause", which is not decided before "category"`}},
		{"dimension of the taxonomy without an entry", strings.Replace(baseRules, "  tags: {order: 3, min_score: 2}\n", "", 1),
			[]string{`dimension "tags" of the taxonomy has no entry under dimensions`}},
		{"entry for a dimension the taxonomy lacks", strings.Replace(baseRules, "  tags: {order: 3, min_score: 2}\n", "  tags: {order: 3, min_score: 2}\n  colour: {order: 5}\n", 1),
			[]string{`dimensions: "colour" is not a dimension of taxonomy mini`}},
		{"prior without when", rule("    dim: cause\n    value: resource\n    prior: true\n    weight: 2\n"),
			[]string{`rule "r.x": a prior has a when condition and nothing to match`}},
		{"prior with phrases", rule("    dim: cause\n    value: resource\n    prior: true\n    weight: 2\n    when: {category: [mem.oom]}\n    in: {text: 1}\n    phrases: [x]\n"),
			[]string{`rule "r.x": a prior has a when condition and nothing to match`}},
		{"labels without weight", rule("    dim: tags\n    value: gpu\n    labels: [gpu]\n"),
			[]string{`rule "r.x": labels, headings and priors need a positive weight`}},
		{"matches nothing", rule("    dim: tags\n    value: gpu\n    weight: 1\n"),
			[]string{`rule "r.x": matches nothing`}},
		{"negative cap", rule("    dim: tags\n    value: gpu\n    in: {text: 1}\n    phrases: [x]\n    cap: -1\n"),
			[]string{`rule "r.x": cap must not be negative`}},
		{"empty phrase", rule("    dim: tags\n    value: gpu\n    in: {text: 1}\n    phrases: [x, \"  \"]\n"),
			[]string{`rule "r.x": empty phrase`}},
		{"except without phrases", rule("    dim: category\n    value: mem.oom\n    in: {title: 1}\n    regex: 'x'\n    except: [y]\n"),
			[]string{`rule "r.x": except guards phrases; the rule has none`}},
		{"empty except phrase", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    phrases: [x]\n    except: [\"\"]\n"),
			[]string{`rule "r.x": empty except phrase`}},
		{"negative min_cues", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    phrases: [x]\n    min_cues: -1\n"),
			[]string{`rule "r.x": min_cues must not be negative`}},
		{"more cues needed than the rule has", rule("    dim: category\n    value: mem.oom\n    in: {text: 1}\n    phrases: [x, y]\n    min_cues: 3\n"),
			[]string{`rule "r.x": min_cues 3, but the rule has only 2 cues`}},
		{"negative region weight", rule("    dim: category\n    value: mem.oom\n    in: {text: -1}\n    phrases: [x]\n"),
			[]string{`rule "r.x": weight of region "text" must not be negative`}},
		{"prior in a group", rule("    dim: cause\n    value: resource\n    prior: true\n    weight: 2\n    when: {category: [mem.oom]}\n    group: g\n"),
			[]string{`rule "r.x": a prior cannot be in a group`}},
		{"unknown region names the regions", rule("    dim: category\n    value: mem.oom\n    in: {stderr: 1}\n    phrases: [x]\n"),
			[]string{`unknown region "stderr" (title, text, log, env, cmd, frame, data, error, body)`}},
		{"unknown YAML field", rule("    dim: tags\n    value: gpu\n    in: {text: 1}\n    phrase: [x]\n"),
			[]string{"line 18", "field phrase not found"}},
		{"unknown top-level field", "taxnomy: mini\n" + baseRules,
			[]string{"line 1", "field taxnomy not found"}},
		{"missing version", strings.Replace(baseRules, "version: \"1\"\n", "", 1),
			[]string{"version is missing"}},
		{"other taxonomy", strings.Replace(baseRules, "taxonomy: mini", "taxonomy: llm-serving-v1", 1),
			[]string{`written for taxonomy "llm-serving-v1", not "mini"`}},
		{"include of a missing fragment", strings.Replace(baseRules, "version: \"1\"\n", "version: \"1\"\ninclude: [no-such-fragment]\n", 1),
			[]string{`include "no-such-fragment"`}},
		{"several mistakes reported together", rule("    dim: category\n    value: mem.oops\n    in: {footer: 1}\n    phrases: [x]\n    unless: [nope]\n"),
			[]string{`"mem.oops" is not a value`, `unknown region "footer"`, `unless names unknown rule "nope"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules(strings.NewReader(tc.yaml), "case.yaml", tax)
			if err == nil {
				t.Fatalf("ParseRules succeeded; want %q", tc.want)
			}
			if !strings.Contains(err.Error(), "case.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	if _, err := ParseRules(strings.NewReader(baseRules), "base.yaml", tax); err != nil {
		t.Fatalf("the base of the cases is not valid: %v", err)
	}
	// A regex over the title alone needs no prefilter.
	if _, err := ParseRules(strings.NewReader(rule("    dim: category\n    value: mem.oom\n    in: {title: 1}\n    regex: 'code \\d+'\n")), "title.yaml", tax); err != nil {
		t.Errorf("title regex without prefilter rejected: %v", err)
	}
}

func TestLoadRulesWithIncludes(t *testing.T) {
	tax := miniTaxonomy(t)
	rs, err := LoadRules(filepath.Join("testdata", "team.rules.yaml"), tax)
	if err != nil {
		t.Fatal(err)
	}
	// The built-in fragment brings the kind rules and sections; the team
	// fragment a rule of its own; the file its own.
	for _, id := range []string{"kind.title.bug", "kind.label.feature", "team.gpu", "team.oom"} {
		if _, ok := rs.byID[id]; !ok {
			t.Errorf("rule %q missing from the merged set", id)
		}
	}
	if _, ok := rs.File.Dimensions["kind"]; !ok {
		t.Errorf("kind settings of the fragment not merged")
	}
	if len(rs.roles.boilerplate) == 0 || len(rs.roles.environment) == 0 {
		t.Errorf("sections of the fragment not merged: %+v", rs.roles)
	}
	if !strings.HasPrefix(rs.Version(), "team-1+") || len(rs.Hash) != 8 {
		t.Errorf("Version() = %q", rs.Version())
	}
	c := New(rs).One(mkIssue("[Feature]: please add support for H100", ""))
	if got := c.Labels.One("kind"); got != "feature" {
		t.Errorf("kind of a feature title with the common rules = %q", got)
	}
	c = New(rs).One(mkIssue("[Bug]: out of memory on H100", "### Describe the bug\nThe H100 runs out of memory.\n"))
	if c.Labels.One("kind") != "bug" || c.Labels.One("category") != "mem.oom" || strings.Join(c.Labels["tags"], ",") != "gpu" {
		t.Errorf("labels with the team rules = %v", c.Labels)
	}

	// ParseRules resolves built-in fragments only: the team fragment is not found.
	b, _ := os.ReadFile(filepath.Join("testdata", "team.rules.yaml"))
	if _, err := ParseRules(strings.NewReader(string(b)), "reader", tax); err == nil || !strings.Contains(err.Error(), "team-fragment.yaml") {
		t.Errorf("ParseRules with a file include = %v, want an error naming it", err)
	}
}

func TestFragmentCannotInclude(t *testing.T) {
	_, err := LoadRules(filepath.Join("testdata", "nested.rules.yaml"), miniTaxonomy(t))
	if err == nil || !strings.Contains(err.Error(), `include "nested-fragment.yaml" includes further`) {
		t.Errorf("LoadRules(nested) = %v, want the nested include rejected", err)
	}
}

func TestVersionFollowsContent(t *testing.T) {
	tax := miniTaxonomy(t)
	dir := t.TempDir()
	main := filepath.Join(dir, "rules.yaml")
	frag := filepath.Join(dir, "frag.yaml")
	write := func(path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	version := func() string {
		t.Helper()
		rs, err := LoadRules(main, tax)
		if err != nil {
			t.Fatal(err)
		}
		return rs.Version()
	}
	withInclude := strings.Replace(baseRules, "version: \"1\"\n", "version: \"1\"\ninclude: [frag.yaml]\n", 1)
	write(frag, "rules:\n  - {id: f.gpu, dim: tags, value: gpu, in: {text: 2}, phrases: [H100]}\n")
	write(main, withInclude)
	v1 := version()
	if v := version(); v != v1 {
		t.Errorf("Version not stable: %q then %q", v1, v)
	}
	if !strings.HasPrefix(v1, "1+") {
		t.Errorf("Version() = %q, want the declared version first", v1)
	}
	write(main, withInclude+"    note: a comment-like change still changes the rules file\n")
	v2 := version()
	if v2 == v1 {
		t.Errorf("Version unchanged after the file changed: %q", v2)
	}
	write(frag, "rules:\n  - {id: f.gpu, dim: tags, value: gpu, in: {text: 2}, phrases: [H100, A100]}\n")
	if v3 := version(); v3 == v2 {
		t.Errorf("Version unchanged after an included fragment changed: %q", v3)
	}
}

func TestBuiltinRulesLoad(t *testing.T) {
	for _, name := range taxonomy.Builtins() {
		tax, err := taxonomy.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := BuiltinRules(tax)
		if err != nil {
			t.Fatalf("BuiltinRules(%s): %v", name, err)
		}
		if rs.Tax != tax || rs.Version() == "" || len(rs.rules) == 0 {
			t.Errorf("%s: rule set %q with %d rules", name, rs.Version(), len(rs.rules))
		}
		// Every dimension of the taxonomy is decided, kind first.
		if len(rs.dimOrder) != len(tax.Dimensions) || rs.dimOrder[0] != "kind" {
			t.Errorf("%s: decision order %v", name, rs.dimOrder)
		}
	}
	if _, err := BuiltinRules(miniTaxonomy(t)); err == nil || !strings.Contains(err.Error(), `no built-in rules for taxonomy "mini"`) {
		t.Errorf("BuiltinRules(mini) = %v", err)
	}
	if _, err := LoadRules(filepath.Join(t.TempDir(), "missing.yaml"), miniTaxonomy(t)); err == nil {
		t.Errorf("LoadRules of a missing file succeeded")
	}
}

// TestIncludeStaysInsideTheDirectory is the regression test of an include
// that read /etc/passwd and echoed its first bytes in the error: includes
// resolve to built-in fragments or to files inside the rule file's
// directory, and an error names the include, never what lies outside.
func TestIncludeStaysInsideTheDirectory(t *testing.T) {
	tax := miniTaxonomy(t)
	outer := t.TempDir()
	secret := filepath.Join(outer, "secret.yaml")
	if err := os.WriteFile(secret, []byte("root:x:0:0:SECRET-CONTENT:/root:/bin/bash\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(outer, "rules")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "frag.yaml"), []byte("rules:\n  - {id: sub.gpu, dim: tags, value: gpu, in: {text: 2}, phrases: [H100]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(secret, linked); err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(baseRules, "version: \"1\"\n", "version: \"1\"\ninclude: [%q]\n", 1)
	load := func(include string) error {
		t.Helper()
		main := filepath.Join(dir, "rules.yaml")
		if err := os.WriteFile(main, []byte(fmt.Sprintf(body, include)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadRules(main, tax)
		return err
	}
	for _, include := range []string{secret, "../secret.yaml", "sub/../../secret.yaml", "link.yaml", "/etc/passwd", "../../../../../../etc/passwd"} {
		err := load(include)
		if err == nil {
			t.Errorf("include %q: read a file outside the directory", include)
			continue
		}
		for _, leak := range []string{"SECRET-CONTENT", "root:x:0"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("include %q: error echoes the file: %v", include, err)
			}
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("include %q", include)) {
			t.Errorf("include %q: error does not name the include: %v", include, err)
		}
	}
	// Inside the directory, in a subdirectory too, an include works.
	if err := load("sub/frag.yaml"); err != nil {
		t.Errorf("include of a file below the directory: %v", err)
	}
}
