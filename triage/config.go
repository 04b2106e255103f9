// Package triage turns bugscope's classifications into triage a
// maintainer can switch on safely: per repository a map from taxonomy
// values to the repository's labels (an allowlist), a mode (shadow,
// dry-run, apply), a go-live gate measured on hand labels, similar past
// issues, at most one comment per issue, and what maintainers later do to
// the labels, kept as label records of rater "maintainers".
//
// The configuration is a YAML file; DefaultConfig is its commented
// default (default.yaml, embedded), which works as it is.
package triage

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

//go:embed default.yaml
var defaultConfig []byte

// DefaultConfig returns the commented default configuration.
func DefaultConfig() []byte { return bytes.Clone(defaultConfig) }

// Modes.
const (
	ModeShadow = "shadow"
	ModeDryRun = "dry-run"
	ModeApply  = "apply"
)

// AllRepos is the repository entry that applies to every repository.
const AllRepos = "*"

// Rater is the rater name of the label records maintainers' changes make.
const Rater = "maintainers"

// Defaults of the gate and the webhook.
const (
	DefaultSecretEnv     = "BUGSCOPE_WEBHOOK_SECRET"
	DefaultMaxPayload    = 1 << 20
	DefaultMinPrecision  = 0.80
	DefaultMinExamples   = 10
	DefaultSimilar       = 5
	maxPayloadLimit      = 1 << 20 // the server's bound on every request body (http.MaxBody)
	maxSimilarListed     = 20
	maxLabelsPerRepoConf = 200
)

// Config is a triage configuration.
type Config struct {
	Webhook struct {
		SecretEnv       string `yaml:"secret_env" json:"secret_env"`
		MaxPayloadBytes int64  `yaml:"max_payload_bytes" json:"max_payload_bytes"`
	} `yaml:"webhook" json:"webhook"`
	// GitHub says how apply mode authenticates: a GitHub App when
	// app_id is set, else the token of GITHUB_TOKEN or GH_TOKEN.
	GitHub struct {
		APIURL         string `yaml:"api_url" json:"api_url,omitempty"`
		AppID          int64  `yaml:"app_id" json:"app_id,omitempty"`
		InstallationID int64  `yaml:"installation_id" json:"installation_id,omitempty"`
		PrivateKeyFile string `yaml:"private_key_file" json:"private_key_file,omitempty"`
	} `yaml:"github" json:"github"`
	Gate       Gate                  `yaml:"gate" json:"gate"`
	Classifier string                `yaml:"classifier" json:"classifier"`
	Repos      map[string]RepoConfig `yaml:"repositories" json:"repositories"`
	// Source is the file it was read from.
	Source string `yaml:"-" json:"source"`
}

// Gate is the bar a label must pass on hand labels to be applied.
type Gate struct {
	MinPrecision float64 `yaml:"min_precision" json:"min_precision"`
	MinExamples  int     `yaml:"min_examples" json:"min_examples"`
}

// RepoConfig is one repository's entry. Pointers tell "not given" (take
// the "*" entry's) from a given zero.
type RepoConfig struct {
	Mode        string            `yaml:"mode" json:"mode"`
	Comment     *bool             `yaml:"comment" json:"comment,omitempty"`
	IncludeBots *bool             `yaml:"include_bots" json:"include_bots,omitempty"`
	Similar     *int              `yaml:"similar" json:"similar,omitempty"`
	Labels      map[string]string `yaml:"labels" json:"labels"`
}

// Mapping is one entry of a label map: a taxonomy value and the
// repository label it becomes.
type Mapping struct {
	Dimension string `json:"dimension"`
	Value     string `json:"value"`
	Label     string `json:"label"`
}

// Key is the mapping's key in the configuration, dimension=value.
func (m Mapping) Key() string { return m.Dimension + "=" + m.Value }

// Repo is the resolved configuration of one repository.
type Repo struct {
	Name        string    `json:"repo"`
	Entry       string    `json:"entry"` // the configuration entry it came from: the name or "*"
	Mode        string    `json:"mode"`
	Comment     bool      `json:"comment"`
	IncludeBots bool      `json:"include_bots"`
	Similar     int       `json:"similar"`
	Labels      []Mapping `json:"labels"` // sorted by key
}

// Allowed reports whether label is in the repository's allowlist.
func (r *Repo) Allowed(label string) bool {
	for _, m := range r.Labels {
		if strings.EqualFold(m.Label, label) {
			return true
		}
	}
	return false
}

// MappingsOf returns the mappings whose label is label (case-insensitive,
// as GitHub compares label names).
func (r *Repo) MappingsOf(label string) []Mapping {
	var out []Mapping
	for _, m := range r.Labels {
		if strings.EqualFold(m.Label, label) {
			out = append(out, m)
		}
	}
	return out
}

// LoadConfig reads and checks a configuration file against tax.
func LoadConfig(path string, tax *taxonomy.Taxonomy) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("triage config: %w", err)
	}
	return ParseConfig(b, path, tax)
}

// ParseConfig reads a configuration; name is used in errors. Every
// mistake is an EInvalid error naming the file, line and field.
func ParseConfig(b []byte, name string, tax *taxonomy.Taxonomy) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, bugscope.Errorf(bugscope.EInvalid, "%s: %v", name, err)
	}
	c.Source = name
	if c.Webhook.SecretEnv == "" {
		c.Webhook.SecretEnv = DefaultSecretEnv
	}
	switch {
	case c.Webhook.MaxPayloadBytes == 0:
		c.Webhook.MaxPayloadBytes = DefaultMaxPayload
	case c.Webhook.MaxPayloadBytes < 1024 || c.Webhook.MaxPayloadBytes > maxPayloadLimit:
		return nil, bugscope.Errorf(bugscope.EInvalid, "%s: webhook.max_payload_bytes %d: want 1024 to %d", name, c.Webhook.MaxPayloadBytes, maxPayloadLimit)
	}
	if g := c.GitHub; g.AppID != 0 && (g.InstallationID <= 0 || g.PrivateKeyFile == "") || g.AppID < 0 {
		return nil, bugscope.Errorf(bugscope.EInvalid, "%s: github: a GitHub App needs app_id, installation_id and private_key_file", name)
	}
	if c.Gate.MinPrecision == 0 {
		c.Gate.MinPrecision = DefaultMinPrecision
	}
	if c.Gate.MinPrecision < 0 || c.Gate.MinPrecision > 1 {
		return nil, bugscope.Errorf(bugscope.EInvalid, "%s: gate.min_precision %v: want a number in 0..1", name, c.Gate.MinPrecision)
	}
	if c.Gate.MinExamples == 0 {
		c.Gate.MinExamples = DefaultMinExamples
	}
	if c.Gate.MinExamples < 0 {
		return nil, bugscope.Errorf(bugscope.EInvalid, "%s: gate.min_examples %d: want 0 or more", name, c.Gate.MinExamples)
	}
	if len(c.Repos) == 0 {
		return nil, bugscope.Errorf(bugscope.EInvalid, "%s: repositories: none given (want at least the \"*\" entry)", name)
	}
	for key, rc := range c.Repos {
		if key != AllRepos {
			if err := bugscope.ValidateRepo(key); err != nil {
				return nil, bugscope.Errorf(bugscope.EInvalid, "%s: repositories.%s: %v", name, key, err)
			}
		}
		switch rc.Mode {
		case "", ModeShadow, ModeDryRun, ModeApply:
		default:
			return nil, bugscope.Errorf(bugscope.EInvalid, "%s: repositories.%s.mode %q: want shadow, dry-run or apply", name, key, rc.Mode)
		}
		if rc.Similar != nil && (*rc.Similar < 0 || *rc.Similar > maxSimilarListed) {
			return nil, bugscope.Errorf(bugscope.EInvalid, "%s: repositories.%s.similar %d: want 0 to %d", name, key, *rc.Similar, maxSimilarListed)
		}
		if len(rc.Labels) > maxLabelsPerRepoConf {
			return nil, bugscope.Errorf(bugscope.EInvalid, "%s: repositories.%s.labels: %d entries, at most %d", name, key, len(rc.Labels), maxLabelsPerRepoConf)
		}
		for k, label := range rc.Labels {
			if _, err := parseMappingKey(k, tax); err != nil {
				return nil, bugscope.Errorf(bugscope.EInvalid, "%s: repositories.%s.labels.%s: %v", name, key, k, err)
			}
			if err := checkLabelName(label); err != nil {
				return nil, bugscope.Errorf(bugscope.EInvalid, "%s: repositories.%s.labels.%s: %v", name, key, k, err)
			}
		}
	}
	return &c, nil
}

// parseMappingKey reads dimension=value and checks it against tax.
func parseMappingKey(k string, tax *taxonomy.Taxonomy) (Mapping, error) {
	dim, val, ok := strings.Cut(k, "=")
	if !ok || dim == "" || val == "" {
		return Mapping{}, fmt.Errorf("want dimension=value (kind=bug, category=memory.oom)")
	}
	d := tax.Dimension(dim)
	if d == nil {
		var ids []string
		for _, x := range tax.Dimensions {
			ids = append(ids, x.ID)
		}
		return Mapping{}, fmt.Errorf("taxonomy %s has no dimension %q (have %s)", tax.Name, dim, strings.Join(ids, ", "))
	}
	if d.Value(val) == nil {
		return Mapping{}, fmt.Errorf("dimension %s of taxonomy %s has no value %q", dim, tax.Name, val)
	}
	return Mapping{Dimension: dim, Value: val}, nil
}

// checkLabelName checks a repository label's name as GitHub limits it.
func checkLabelName(l string) error {
	switch {
	case strings.TrimSpace(l) == "":
		return fmt.Errorf("empty label name")
	case len(l) > 50:
		return fmt.Errorf("label %q: GitHub allows 50 characters", l)
	case strings.ContainsAny(l, "\x00\r\n,"):
		return fmt.Errorf("label %q: no commas or line breaks", l)
	}
	return nil
}

// Repo resolves the configuration of repository name: its own entry's
// fields over the "*" entry's. ok is false when neither applies.
func (c *Config) Repo(name string) (r Repo, ok bool) {
	all, hasAll := c.Repos[AllRepos]
	own, hasOwn := c.Repos[name]
	if !hasOwn {
		for k, v := range c.Repos { // GitHub's names are case-insensitive
			if strings.EqualFold(k, name) {
				own, hasOwn = v, true
			}
		}
	}
	if !hasAll && !hasOwn {
		return Repo{}, false
	}
	r = Repo{Name: name, Entry: AllRepos, Mode: ModeShadow, Comment: true, Similar: DefaultSimilar}
	labels := map[string]string{}
	apply := func(rc RepoConfig) {
		if rc.Mode != "" {
			r.Mode = rc.Mode
		}
		if rc.Comment != nil {
			r.Comment = *rc.Comment
		}
		if rc.IncludeBots != nil {
			r.IncludeBots = *rc.IncludeBots
		}
		if rc.Similar != nil {
			r.Similar = *rc.Similar
		}
		if rc.Labels != nil {
			labels = rc.Labels // a repository's own map replaces the default one whole
		}
	}
	if hasAll {
		apply(all)
	}
	if hasOwn {
		r.Entry = name
		apply(own)
	}
	for k, l := range labels {
		dim, val, _ := strings.Cut(k, "=")
		r.Labels = append(r.Labels, Mapping{Dimension: dim, Value: val, Label: l})
	}
	sort.Slice(r.Labels, func(i, j int) bool { return r.Labels[i].Key() < r.Labels[j].Key() })
	return r, true
}

// Entries lists the configuration's repository entries, "*" first.
func (c *Config) Entries() []string {
	var out []string
	for k := range c.Repos {
		if k != AllRepos {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	if _, ok := c.Repos[AllRepos]; ok {
		out = append([]string{AllRepos}, out...)
	}
	return out
}

// Secret reads the webhook secret from the configured environment
// variable; an empty one is an EUnauthorized error (no delivery could be
// checked).
func (c *Config) Secret() ([]byte, error) {
	s := os.Getenv(c.Webhook.SecretEnv)
	if s == "" {
		return nil, bugscope.Errorf(bugscope.EUnauthorized, "the webhook secret is not set: export %s (the secret typed into the repository's webhook settings)", c.Webhook.SecretEnv)
	}
	return []byte(s), nil
}
