package taxonomy

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bugscope/bugscope"
)

func mustBuiltin(t *testing.T, name string) *Taxonomy {
	t.Helper()
	tax, err := Builtin(name)
	if err != nil {
		t.Fatalf("Builtin(%q): %v", name, err)
	}
	return tax
}

func ids(vs []*Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.ID
	}
	return out
}

func TestBuiltinsLoad(t *testing.T) {
	names := Builtins()
	if len(names) == 0 || names[0] != Default {
		t.Fatalf("Builtins() = %v, want %q first", names, Default)
	}
	want := map[string]bool{"llm-serving-v1": true, "first-look-2025": true}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("Builtins() lists %q twice: %v", n, names)
		}
		seen[n] = true
		tax := mustBuiltin(t, n)
		if tax.Name != n {
			t.Errorf("built-in %q declares name %q", n, tax.Name)
		}
		if tax.Version == "" || tax.Title == "" || tax.Source == "" {
			t.Errorf("built-in %q: version %q, title %q, source %q: want all set", n, tax.Version, tax.Title, tax.Source)
		}
	}
	for n := range want {
		if !seen[n] {
			t.Errorf("Builtins() = %v, missing %q", names, n)
		}
	}
	if _, err := Builtin("no-such-taxonomy"); err == nil || !strings.Contains(err.Error(), Default) {
		t.Errorf("Builtin(unknown) error = %v, want one listing the built-ins", err)
	}
}

func TestLLMServingV1Shape(t *testing.T) {
	tax := mustBuiltin(t, "llm-serving-v1")

	kind := tax.ByRole(RoleKind)
	if kind == nil || kind.ID != "kind" {
		t.Fatalf("kind dimension = %+v", kind)
	}
	if got, want := ids(kind.AllValues()), []string{"bug", "feature", "question", "docs"}; !reflect.DeepEqual(got, want) {
		t.Errorf("kinds = %v, want %v", got, want)
	}

	cat := tax.ByRole(RoleCategory)
	if cat == nil || cat.ID != "category" {
		t.Fatalf("category dimension = %+v", cat)
	}
	if n := len(cat.AllValues()); n != 16 {
		t.Errorf("category has %d values, want 16: %v", n, ids(cat.AllValues()))
	}
	if n := len(cat.Groups); n != 9 {
		t.Errorf("category has %d groups, want 9", n)
	}
	for _, v := range cat.AllValues() {
		if v.Group == "" || cat.Group(v.Group) == nil {
			t.Errorf("category value %q has group %q, not a group of the dimension", v.ID, v.Group)
		}
	}
	if g := cat.GroupOf("memory.oom"); g != "memory" {
		t.Errorf("GroupOf(memory.oom) = %q, want memory", g)
	}
	// "other" is both a group and its only value.
	if g := cat.GroupOf("other"); g != "other" || !cat.Accepts("other") {
		t.Errorf("other: GroupOf %q, Accepts %v", g, cat.Accepts("other"))
	}
	// Groups are not values in this taxonomy.
	if cat.Accepts("memory") || cat.AcceptGroups {
		t.Errorf("category accepts the group id memory")
	}

	rc := tax.ByRole(RoleRootCause)
	if rc == nil || len(rc.AllValues()) != 5 {
		t.Fatalf("root cause dimension = %+v", rc)
	}

	sev := tax.ByRole(RoleSeverity)
	if sev == nil || !sev.Ordinal {
		t.Fatalf("severity = %+v, want ordinal", sev)
	}
	for i, p := range []string{"P0", "P1", "P2", "P3"} {
		if r := sev.Rank(p); r != i {
			t.Errorf("Rank(%s) = %d, want %d", p, r, i)
		}
	}
	if r := sev.Rank("P4"); r != -1 {
		t.Errorf("Rank(P4) = %d, want -1", r)
	}
	if n := len(sev.AllValues()); n != 4 {
		t.Errorf("severity has %d values", n)
	}

	pat := tax.ByRole(RolePatterns)
	if pat == nil || len(pat.AllValues()) != 9 {
		t.Fatalf("patterns = %+v, want 9 values", pat)
	}

	for _, d := range tax.Dimensions {
		if d.Multi != (d.ID == "patterns") {
			t.Errorf("dimension %q: multi = %v; only patterns is multi-valued", d.ID, d.Multi)
		}
		if tax.Dimension(d.ID) != d {
			t.Errorf("Dimension(%q) does not return the dimension", d.ID)
		}
		if d.Source == "" {
			t.Errorf("dimension %q has no source", d.ID)
		}
		for _, g := range d.Groups {
			if g.Source == "" {
				t.Errorf("group %q of %q has no source", g.ID, d.ID)
			}
		}
		for _, v := range d.AllValues() {
			if v.Source == "" {
				t.Errorf("value %q of %q has no source", v.ID, d.ID)
			}
		}
	}
	bugOnly := map[string][]string{"kind": {"bug"}}
	for _, id := range []string{"category", "root_cause", "severity", "patterns"} {
		if d := tax.Dimension(id); d == nil || !reflect.DeepEqual(d.AppliesWhen, bugOnly) {
			t.Errorf("dimension %q applies_when = %v, want kind=bug", id, d.AppliesWhen)
		}
	}
	if len(kind.AppliesWhen) != 0 {
		t.Errorf("kind has applies_when %v", kind.AppliesWhen)
	}
}

func TestFirstLook2025Shape(t *testing.T) {
	tax := mustBuiltin(t, "first-look-2025")
	sym := tax.ByRole(RoleCategory)
	if sym == nil || sym.ID != "symptom" || !sym.Multi {
		t.Fatalf("symptom dimension = %+v, want a multi-valued category", sym)
	}
	wantSym := []string{"crash", "unexpected_output", "feature_failure", "abnormal_performance", "hang", "silent_error"}
	if got := ids(sym.AllValues()); !reflect.DeepEqual(got, wantSym) {
		t.Errorf("symptoms = %v, want %v", got, wantSym)
	}
	if len(sym.Groups) != 0 {
		t.Errorf("symptom has groups %v", sym.Groups)
	}

	rc := tax.ByRole(RoleRootCause)
	if rc == nil || !rc.Multi || !rc.AcceptGroups {
		t.Fatalf("root cause = %+v, want multi with accept_groups", rc)
	}
	var groups []string
	for _, g := range rc.Groups {
		groups = append(groups, g.ID)
	}
	if want := []string{"configuration", "functionality", "environment", "resource", "io_processing"}; !reflect.DeepEqual(groups, want) {
		t.Errorf("root-cause groups = %v, want %v", groups, want)
	}
	leaves := ids(rc.AllValues())
	if len(leaves) != 19 {
		t.Errorf("root cause has %d public leaves, want 19: %v", len(leaves), leaves)
	}
	for _, tc := range []struct {
		id, group string
		accepts   bool
	}{
		{"misconfiguration", "configuration", true},
		{"incorrect_algorithm_implementation", "functionality", true},
		{"synchronization", "functionality", true},
		{"dependent_module", "environment", true},
		{"incorrect_cache_management", "resource", true},
		{"io_processing", "io_processing", true}, // a group with no public leaves
		{"resource", "resource", true},           // a group with some leaves
		{"functionality", "functionality", true},
		{"no_such_cause", "", false},
	} {
		if got := rc.GroupOf(tc.id); got != tc.group {
			t.Errorf("GroupOf(%q) = %q, want %q", tc.id, got, tc.group)
		}
		if got := rc.Accepts(tc.id); got != tc.accepts {
			t.Errorf("Accepts(%q) = %v, want %v", tc.id, got, tc.accepts)
		}
	}
	if rc.Value("io_processing") != nil {
		t.Errorf("io_processing is a group, not a value")
	}
	if err := tax.Check(bugscope.Labels{"kind": {"bug"}, "symptom": {"crash", "hang"}, "root_cause": {"io_processing", "misconfiguration"}}); err != nil {
		t.Errorf("Check of a valid multi-valued labelling: %v", err)
	}
	for _, d := range tax.Dimensions {
		for _, v := range d.AllValues() {
			if v.Source == "" {
				t.Errorf("value %q of %q has no source", v.ID, d.ID)
			}
		}
	}
}

// valid is a minimal taxonomy; the parse-error cases below are edits of it.
const valid = `name: t
version: "1"
dimensions:
  - id: kind
    name: Kind
    role: kind
    values:
      - {id: bug, name: Bug, description: d}
      - {id: feature, name: Feature, description: d}
  - id: category
    name: Category
    role: category
    applies_when: {kind: [bug]}
    groups:
      - id: mem
        name: Memory
        values:
          - {id: mem.oom, name: OOM, description: d}
  - id: severity
    name: Severity
    role: severity
    ordinal: true
    values:
      - {id: P0, name: P0, description: d}
      - {id: P1, name: P1, description: d}
`

func TestParseValidMinimal(t *testing.T) {
	tax, err := Parse(strings.NewReader(valid), "test")
	if err != nil {
		t.Fatal(err)
	}
	if tax.Dimension("category").Value("mem.oom").Group != "mem" {
		t.Errorf("group not set on value")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{
			name: "unknown field names its line",
			yaml: strings.Replace(valid, "    ordinal: true\n", "    ordinal: true\n    mutli: true\n", 1),
			want: []string{"line 23", "mutli"},
		},
		{
			name: "unknown top-level field",
			yaml: "nmae: x\n" + valid,
			want: []string{"line 1", "nmae"},
		},
		{
			name: "duplicate value id",
			yaml: strings.Replace(valid, "{id: feature, name: Feature", "{id: bug, name: Feature", 1),
			want: []string{`dimension "kind"`, `value "bug" defined twice`},
		},
		{
			name: "duplicate value across groups",
			yaml: strings.Replace(valid, "          - {id: mem.oom, name: OOM, description: d}\n",
				"          - {id: mem.oom, name: OOM, description: d}\n      - id: other\n        name: Other\n        values:\n          - {id: mem.oom, name: Again, description: d}\n", 1),
			want: []string{`value "mem.oom" defined twice`},
		},
		{
			name: "duplicate dimension",
			yaml: valid + "  - id: kind\n    name: Again\n    values:\n      - {id: x, name: X, description: d}\n",
			want: []string{`dimension "kind": defined twice`},
		},
		{
			name: "applies_when on an unknown dimension",
			yaml: strings.Replace(valid, "applies_when: {kind: [bug]}", "applies_when: {knid: [bug]}", 1),
			want: []string{`applies_when names unknown dimension "knid"`},
		},
		{
			name: "applies_when on an unknown value",
			yaml: strings.Replace(valid, "applies_when: {kind: [bug]}", "applies_when: {kind: [bgu]}", 1),
			want: []string{`applies_when kind="bgu" is not a value of "kind"`},
		},
		{
			name: "applies_when on itself",
			yaml: strings.Replace(valid, "applies_when: {kind: [bug]}", "applies_when: {category: [mem.oom]}", 1),
			want: []string{`applies_when names unknown dimension "category"`},
		},
		{
			name: "multi-valued kind",
			yaml: strings.Replace(valid, "    role: kind\n", "    role: kind\n    multi: true\n", 1),
			want: []string{"kind dimension must take one value"},
		},
		{
			name: "severity not ordinal",
			yaml: strings.Replace(valid, "    ordinal: true\n", "", 1),
			want: []string{`dimension "severity"`, "must be ordinal"},
		},
		{
			name: "group without values",
			yaml: strings.Replace(valid, "        values:\n          - {id: mem.oom, name: OOM, description: d}\n", "", 1),
			want: []string{`group "mem" has no values`},
		},
		{
			name: "unknown role",
			yaml: strings.Replace(valid, "role: severity", "role: impact", 1),
			want: []string{`unknown role "impact"`},
		},
		{
			name: "role taken twice",
			yaml: strings.Replace(valid, "role: severity", "role: kind", 1),
			want: []string{`role "kind" already taken by "kind"`},
		},
		{
			name: "value without description",
			yaml: strings.Replace(valid, "{id: P1, name: P1, description: d}", "{id: P1, name: P1}", 1),
			want: []string{`value "P1" has no description`},
		},
		{
			name: "both groups and values",
			yaml: strings.Replace(valid, "    groups:\n", "    values:\n      - {id: loose, name: Loose, description: d}\n    groups:\n", 1),
			want: []string{"has both groups and values"},
		},
		{
			name: "missing name and version",
			yaml: strings.Replace(strings.Replace(valid, "name: t\n", "", 1), "version: \"1\"\n", "", 1),
			want: []string{"name is missing", "version is missing"},
		},
		{
			name: "no dimensions",
			yaml: "name: t\nversion: \"1\"\n",
			want: []string{"no dimensions"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.yaml), "case.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded; want an error with %q", tc.want)
			}
			if !strings.Contains(err.Error(), "case.yaml") {
				t.Errorf("error %q does not name the origin", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestGroupWithoutValuesAcceptedWithAcceptGroups(t *testing.T) {
	y := strings.Replace(valid, "        values:\n          - {id: mem.oom, name: OOM, description: d}\n", "", 1)
	y = strings.Replace(y, "    applies_when: {kind: [bug]}\n", "    applies_when: {kind: [bug]}\n    accept_groups: true\n", 1)
	tax, err := Parse(strings.NewReader(y), "accept")
	if err != nil {
		t.Fatal(err)
	}
	cat := tax.Dimension("category")
	if !cat.Accepts("mem") || cat.GroupOf("mem") != "mem" || len(cat.AllValues()) != 0 {
		t.Errorf("accept_groups: Accepts(mem) %v, GroupOf %q, values %v", cat.Accepts("mem"), cat.GroupOf("mem"), cat.AllValues())
	}
}

func TestCheck(t *testing.T) {
	tax := mustBuiltin(t, "llm-serving-v1")
	cases := []struct {
		name   string
		labels bugscope.Labels
		want   []string // substrings; nil for no error
	}{
		{"full bug", bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom"}, "root_cause": {"resource_constraints"}, "severity": {"P1"}, "patterns": {"paged_attention", "quantization"}}, nil},
		{"feature alone", bugscope.Labels{"kind": {"feature"}}, nil},
		{"feature with empty category", bugscope.Labels{"kind": {"feature"}, "category": {}}, nil},
		{"empty labels", bugscope.Labels{}, nil},
		{"unknown dimension", bugscope.Labels{"kind": {"bug"}, "colour": {"red"}}, []string{`unknown dimension "colour"`, "llm-serving-v1"}},
		{"unknown value", bugscope.Labels{"kind": {"bug"}, "category": {"memory.ooms"}}, []string{`category: unknown value "memory.ooms"`}},
		{"group as value", bugscope.Labels{"kind": {"bug"}, "category": {"memory"}}, []string{`unknown value "memory"`}},
		{"two values for a single dimension", bugscope.Labels{"kind": {"bug"}, "category": {"memory.oom", "memory.leak"}}, []string{"category takes one value, got 2"}},
		{"two kinds", bugscope.Labels{"kind": {"bug", "feature"}}, []string{"kind takes one value, got 2"}},
		{"category on a feature", bugscope.Labels{"kind": {"feature"}, "category": {"memory.oom"}}, []string{"category does not apply here", "only when kind in bug"}},
		{"patterns without kind", bugscope.Labels{"patterns": {"quantization"}}, []string{"patterns does not apply"}},
		{"several problems", bugscope.Labels{"kind": {"question"}, "severity": {"P9"}}, []string{"severity does not apply", `severity: unknown value "P9"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tax.Check(tc.labels)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check = nil, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestApplies(t *testing.T) {
	tax := mustBuiltin(t, "llm-serving-v1")
	cat := tax.Dimension("category")
	for _, tc := range []struct {
		labels bugscope.Labels
		want   bool
	}{
		{bugscope.Labels{"kind": {"bug"}}, true},
		{bugscope.Labels{"kind": {"docs"}}, false},
		{bugscope.Labels{}, false},
		{nil, false},
	} {
		if got := tax.Applies(cat, tc.labels); got != tc.want {
			t.Errorf("Applies(category, %v) = %v, want %v", tc.labels, got, tc.want)
		}
	}
	if !tax.Applies(tax.Dimension("kind"), nil) {
		t.Errorf("kind (no condition) does not apply to empty labels")
	}
}

func TestOverallConfidence(t *testing.T) {
	tax := mustBuiltin(t, "llm-serving-v1")
	bug := bugscope.Labels{"kind": {"bug"}, "category": {"oom"}}
	for _, tc := range []struct {
		name   string
		labels bugscope.Labels
		conf   map[string]float64
		want   float64
	}{
		{"kind and category", bug, map[string]float64{"kind": 0.9, "category": 0.6, "severity": 0.1}, 0.75},
		{"kind only", bug, map[string]float64{"kind": 0.9}, 0.9},
		{"category does not apply", bugscope.Labels{"kind": {"docs"}}, map[string]float64{"kind": 0.8, "category": 0.2}, 0.8},
		{"none", bug, map[string]float64{"severity": 0.3}, 0.5},
		{"nothing", nil, nil, 0.5},
	} {
		if got := tax.OverallConfidence(tc.labels, tc.conf); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: OverallConfidence = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLoadCustomFile(t *testing.T) {
	file := filepath.Join("testdata", "custom.yaml")
	tax, err := Load("ignored-when-file-set", file)
	if err != nil {
		t.Fatal(err)
	}
	if tax.Name != "team-mini" || tax.Version != "0.1" {
		t.Errorf("loaded %s %s", tax.Name, tax.Version)
	}
	if d := tax.ByRole(RoleCategory); d == nil || d.ID != "area" || len(d.Groups) != 2 || len(d.AllValues()) != 3 {
		t.Fatalf("area dimension = %+v", d)
	}
	if got := tax.Dimension("area").GroupOf("output.wrong"); got != "output" {
		t.Errorf("GroupOf(output.wrong) = %q", got)
	}
	if r := tax.Dimension("impact").Rank("low"); r != 1 {
		t.Errorf("Rank(low) = %d", r)
	}
	if tax.ByRole(RolePatterns) != nil {
		t.Errorf("ByRole(patterns) on a taxonomy without one is not nil")
	}
	if err := tax.Check(bugscope.Labels{"kind": {"request"}, "tags": {"windows", "gpu"}}); err != nil {
		t.Errorf("tags apply to every kind: %v", err)
	}
	if err := tax.Check(bugscope.Labels{"kind": {"request"}, "impact": {"high"}}); err == nil {
		t.Errorf("impact on a request accepted")
	}

	// The same file through LoadFile, and the error of a missing one.
	if _, err := LoadFile(file); err != nil {
		t.Errorf("LoadFile: %v", err)
	}
	if _, err := Load("", filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Errorf("Load of a missing file succeeded")
	}

	// A broken copy names the file in its error.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte(strings.Replace(string(b), "ordinal: true", "ordinal: true\n    colour: red", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(broken); err == nil || !strings.Contains(err.Error(), broken) || !strings.Contains(err.Error(), "colour") {
		t.Errorf("LoadFile(broken) = %v, want an error naming the file and the field", err)
	}
}

func TestLoadDefaults(t *testing.T) {
	tax, err := Load("", "")
	if err != nil || tax.Name != Default {
		t.Fatalf("Load(\"\", \"\") = %v, %v; want the default", tax, err)
	}
	tax, err = Load("first-look-2025", "")
	if err != nil || tax.Name != "first-look-2025" {
		t.Fatalf("Load(first-look-2025) = %v, %v", tax, err)
	}
	if _, err := Load("nope", ""); err == nil {
		t.Errorf("Load(nope) succeeded")
	}
}
