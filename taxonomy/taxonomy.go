// Package taxonomy loads and validates bug taxonomies: named sets of
// dimensions (kind, category, root cause, ...) with their values, kept as
// YAML data files. Two are built in (data/*.yaml); a team can load its own
// with LoadFile.
package taxonomy

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bugscope/bugscope"
)

// Default is the name of the default taxonomy.
const Default = "llm-serving-v1"

// Roles tell the report and the classifiers what a dimension means, so that
// they work with any taxonomy that declares them.
const (
	RoleKind      = "kind"       // what sort of report; gates the others
	RoleCategory  = "category"   // the observed symptom, the report's main axis
	RoleRootCause = "root_cause" // why it happened
	RoleSeverity  = "severity"   // impact, ordinal
	RolePatterns  = "patterns"   // engine-specific patterns
)

var knownRoles = map[string]bool{"": true, RoleKind: true, RoleCategory: true, RoleRootCause: true, RoleSeverity: true, RolePatterns: true}

// Taxonomy is a named, versioned codebook.
type Taxonomy struct {
	Name        string       `yaml:"name" json:"name"`
	Version     string       `yaml:"version" json:"version"`
	Title       string       `yaml:"title" json:"title"`
	Source      string       `yaml:"source" json:"source"`
	Description string       `yaml:"description" json:"description,omitempty"`
	Dimensions  []*Dimension `yaml:"dimensions" json:"dimensions"`

	byID map[string]*Dimension
}

// Dimension is one labelled property of an issue.
type Dimension struct {
	ID          string `yaml:"id" json:"id"`
	Name        string `yaml:"name" json:"name"`
	Role        string `yaml:"role" json:"role,omitempty"`
	Source      string `yaml:"source" json:"source,omitempty"`
	Description string `yaml:"description" json:"description,omitempty"`
	// Multi dimensions take any number of values; the others at most one.
	Multi bool `yaml:"multi" json:"multi"`
	// Ordinal values are ordered as listed (severity P0 < P1 < ...), which
	// weighted agreement measures use.
	Ordinal bool `yaml:"ordinal" json:"ordinal,omitempty"`
	// AppliesWhen restricts the dimension to issues whose other dimensions
	// hold one of the listed values (category only for kind=bug).
	AppliesWhen map[string][]string `yaml:"applies_when" json:"applies_when,omitempty"`
	// AcceptGroups lets a group id stand as a value, for codebooks that
	// publish a group without all its leaves.
	AcceptGroups bool     `yaml:"accept_groups" json:"accept_groups,omitempty"`
	Groups       []*Group `yaml:"groups" json:"groups,omitempty"`
	Values       []*Value `yaml:"values" json:"values,omitempty"`

	values map[string]*Value
	groups map[string]*Group
	all    []*Value
}

// Group is a top-level group of values (memory, gpu, ...).
type Group struct {
	ID          string   `yaml:"id" json:"id"`
	Name        string   `yaml:"name" json:"name"`
	Source      string   `yaml:"source" json:"source,omitempty"`
	Description string   `yaml:"description" json:"description,omitempty"`
	Values      []*Value `yaml:"values" json:"values"`
}

// Value is one label of a dimension.
type Value struct {
	ID          string `yaml:"id" json:"id"`
	Name        string `yaml:"name" json:"name"`
	Source      string `yaml:"source" json:"source,omitempty"`
	Description string `yaml:"description" json:"description"`
	// Group is the id of the value's group, set when loaded.
	Group string `yaml:"-" json:"group,omitempty"`
}

//go:embed data/*.yaml
var builtinFS embed.FS

// Builtins returns the names of the built-in taxonomies, the default first.
func Builtins() []string {
	entries, _ := builtinFS.ReadDir("data")
	names := []string{Default}
	for _, e := range entries {
		n := strings.TrimSuffix(e.Name(), ".yaml")
		if n != Default {
			names = append(names, n)
		}
	}
	return names
}

// Builtin loads a built-in taxonomy by name.
func Builtin(name string) (*Taxonomy, error) {
	b, err := builtinFS.ReadFile(path.Join("data", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("no built-in taxonomy %q (built in: %s)", name, strings.Join(Builtins(), ", "))
	}
	return Parse(bytes.NewReader(b), "builtin:"+name)
}

// LoadFile loads a taxonomy from a YAML file.
func LoadFile(file string) (*Taxonomy, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := Parse(f, file)
	if err != nil {
		return nil, bugscope.WithKind(bugscope.EInvalid, err)
	}
	return t, nil
}

// Load returns the taxonomy from file when it is set, else the built-in name.
func Load(name, file string) (*Taxonomy, error) {
	if file != "" {
		return LoadFile(file)
	}
	if name == "" {
		name = Default
	}
	return Builtin(name)
}

// Parse reads and validates a taxonomy. Unknown fields are errors, so a typo
// in a team's file is caught rather than ignored; origin names the source in
// error messages.
func Parse(r io.Reader, origin string) (*Taxonomy, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var t Taxonomy
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("taxonomy %s: %w", origin, err)
	}
	if err := t.init(); err != nil {
		return nil, fmt.Errorf("taxonomy %s: %w", origin, err)
	}
	return &t, nil
}

// init validates the taxonomy and builds its indexes.
func (t *Taxonomy) init() error {
	if err := t.noEmptyEntries(); err != nil {
		return err
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if t.Name == "" {
		bad("name is missing")
	}
	if t.Version == "" {
		bad("version is missing")
	}
	if len(t.Dimensions) == 0 {
		bad("no dimensions")
	}
	t.byID = map[string]*Dimension{}
	roles := map[string]string{}
	for i, d := range t.Dimensions {
		where := fmt.Sprintf("dimensions[%d]", i)
		if d.ID == "" {
			bad("%s: id is missing", where)
			continue
		}
		where = fmt.Sprintf("dimension %q", d.ID)
		if t.byID[d.ID] != nil {
			bad("%s: defined twice", where)
		}
		t.byID[d.ID] = d
		if d.Name == "" {
			bad("%s: name is missing", where)
		}
		if !knownRoles[d.Role] {
			bad("%s: unknown role %q", where, d.Role)
		} else if d.Role != "" {
			if other, dup := roles[d.Role]; dup {
				bad("%s: role %q already taken by %q", where, d.Role, other)
			}
			roles[d.Role] = d.ID
		}
		if d.Role == RoleKind && d.Multi {
			bad("%s: the kind dimension must take one value", where)
		}
		if d.Role == RoleSeverity && !d.Ordinal {
			bad("%s: the severity dimension must be ordinal", where)
		}
		if len(d.Groups) > 0 && len(d.Values) > 0 {
			bad("%s: has both groups and values; put every value in a group", where)
		}
		d.values = map[string]*Value{}
		d.groups = map[string]*Group{}
		d.all = nil
		addValue := func(v *Value, group string) {
			if v.ID == "" {
				bad("%s: a value has no id", where)
				return
			}
			if d.values[v.ID] != nil || d.groups[v.ID] != nil && v.ID != group {
				bad("%s: value %q defined twice", where, v.ID)
			}
			if v.Name == "" {
				bad("%s: value %q has no name", where, v.ID)
			}
			if strings.TrimSpace(v.Description) == "" {
				bad("%s: value %q has no description", where, v.ID)
			}
			v.Group = group
			d.values[v.ID] = v
			d.all = append(d.all, v)
		}
		for _, g := range d.Groups {
			if g.ID == "" || g.Name == "" {
				bad("%s: a group lacks an id or a name", where)
				continue
			}
			if d.groups[g.ID] != nil {
				bad("%s: group %q defined twice", where, g.ID)
			}
			d.groups[g.ID] = g
			if len(g.Values) == 0 && !d.AcceptGroups {
				bad("%s: group %q has no values", where, g.ID)
			}
			for _, v := range g.Values {
				addValue(v, g.ID)
			}
		}
		for _, v := range d.Values {
			addValue(v, "")
		}
		if len(d.all) == 0 && !(d.AcceptGroups && len(d.groups) > 0) {
			bad("%s: no values", where)
		}
	}
	// applies_when must name other dimensions and their values.
	for _, d := range t.Dimensions {
		keys := make([]string, 0, len(d.AppliesWhen))
		for k := range d.AppliesWhen {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			other := t.byID[k]
			if other == nil || other == d {
				bad("dimension %q: applies_when names unknown dimension %q", d.ID, k)
				continue
			}
			for _, v := range d.AppliesWhen[k] {
				if !other.Accepts(v) {
					bad("dimension %q: applies_when %s=%q is not a value of %q", d.ID, k, v, k)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// noEmptyEntries refuses list entries left empty ("-" alone in YAML), which
// decode as nothing at all.
func (t *Taxonomy) noEmptyEntries() error {
	for i, d := range t.Dimensions {
		if d == nil {
			return fmt.Errorf("dimensions[%d] is empty", i)
		}
		for j, g := range d.Groups {
			if g == nil {
				return fmt.Errorf("dimension %q: groups[%d] is empty", d.ID, j)
			}
			for k, v := range g.Values {
				if v == nil {
					return fmt.Errorf("dimension %q: group %q: values[%d] is empty", d.ID, g.ID, k)
				}
			}
		}
		for j, v := range d.Values {
			if v == nil {
				return fmt.Errorf("dimension %q: values[%d] is empty", d.ID, j)
			}
		}
	}
	return nil
}

// Dimension returns the dimension with the given id, or nil.
func (t *Taxonomy) Dimension(id string) *Dimension { return t.byID[id] }

// ByRole returns the dimension with the given role, or nil.
func (t *Taxonomy) ByRole(role string) *Dimension {
	for _, d := range t.Dimensions {
		if d.Role == role {
			return d
		}
	}
	return nil
}

// AllValues returns the dimension's values in their listed order, group by group.
func (d *Dimension) AllValues() []*Value { return d.all }

// Value returns the value with the given id, or nil.
func (d *Dimension) Value(id string) *Value { return d.values[id] }

// Group returns the group with the given id, or nil.
func (d *Dimension) Group(id string) *Group { return d.groups[id] }

// GroupOf returns the group id of a value; a group id accepted as a value is
// its own group.
func (d *Dimension) GroupOf(id string) string {
	if v := d.values[id]; v != nil {
		return v.Group
	}
	if d.groups[id] != nil {
		return id
	}
	return ""
}

// Accepts reports whether id is a valid value of the dimension.
func (d *Dimension) Accepts(id string) bool {
	return d.values[id] != nil || d.AcceptGroups && d.groups[id] != nil
}

// Rank is the position of a value in an ordinal dimension (0 for the first),
// or -1.
func (d *Dimension) Rank(id string) int {
	for i, v := range d.all {
		if v.ID == id {
			return i
		}
	}
	return -1
}

// Applies reports whether dimension d applies to an issue with the given
// labels: every applies_when condition must hold.
func (t *Taxonomy) Applies(d *Dimension, l bugscope.Labels) bool {
	for dim, allowed := range d.AppliesWhen {
		got := l.One(dim)
		ok := false
		for _, a := range allowed {
			if got == a {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// OverallConfidence is a classification's overall confidence: the mean
// confidence of its kind and category decisions (those that apply), which
// are what a reader of the report relies on; 0.5 when there are none.
func (t *Taxonomy) OverallConfidence(labels bugscope.Labels, conf map[string]float64) float64 {
	sum, n := 0.0, 0
	for _, role := range []string{RoleKind, RoleCategory} {
		d := t.ByRole(role)
		if d == nil {
			continue
		}
		if c, ok := conf[d.ID]; ok && t.Applies(d, labels) {
			sum += c
			n++
		}
	}
	if n == 0 {
		return 0.5
	}
	return sum / float64(n)
}

// Check validates labels against the taxonomy: known dimensions, known
// values, at most one value for single dimensions, and no values for
// dimensions that do not apply.
func (t *Taxonomy) Check(l bugscope.Labels) error {
	var errs []error
	dims := make([]string, 0, len(l))
	for k := range l {
		dims = append(dims, k)
	}
	sort.Strings(dims)
	for _, k := range dims {
		d := t.byID[k]
		if d == nil {
			errs = append(errs, fmt.Errorf("unknown dimension %q in taxonomy %s", k, t.Name))
			continue
		}
		vals := l[k]
		if !d.Multi && len(vals) > 1 {
			errs = append(errs, fmt.Errorf("%s takes one value, got %d", k, len(vals)))
		}
		if len(vals) > 0 && !t.Applies(d, l) {
			errs = append(errs, fmt.Errorf("%s does not apply here (%s)", k, describeCondition(d)))
		}
		for _, v := range vals {
			if !d.Accepts(v) {
				errs = append(errs, fmt.Errorf("%s: unknown value %q", k, v))
			}
		}
	}
	return errors.Join(errs...)
}

func describeCondition(d *Dimension) string {
	var parts []string
	for k, v := range d.AppliesWhen {
		parts = append(parts, k+" in "+strings.Join(v, "|"))
	}
	sort.Strings(parts)
	return "only when " + strings.Join(parts, " and ")
}
