// Package preset holds the repositories bugscope knows (display names, bug
// labels, former names) and named lists of them, from the embedded data file
// presets.yaml.
package preset

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/bugscope/bugscope"
)

//go:embed presets.yaml
var data []byte

// Repo is what bugscope knows of one repository.
type Repo struct {
	Name      string   `yaml:"name"`
	BugLabels []string `yaml:"bug_labels"`
	Aliases   []string `yaml:"aliases"`
}

// Preset is a named list of repositories.
type Preset struct {
	Description string   `yaml:"description"`
	Repos       []string `yaml:"repos"`
}

type file struct {
	Repos   map[string]Repo   `yaml:"repos"`
	Presets map[string]Preset `yaml:"presets"`
}

var (
	once    sync.Once
	loaded  file
	loadErr error
	byLower map[string]string // lower-cased repo or alias -> canonical repo
)

func load() (file, error) {
	once.Do(func() {
		loadErr = parse(data, &loaded)
		byLower = map[string]string{}
		for r, info := range loaded.Repos {
			byLower[strings.ToLower(r)] = r
			for _, a := range info.Aliases {
				byLower[strings.ToLower(a)] = r
			}
		}
	})
	return loaded, loadErr
}

// parse decodes and checks the presets file: every repository well formed,
// every preset naming known repositories.
func parse(b []byte, f *file) error {
	if err := yaml.Unmarshal(b, f); err != nil {
		return fmt.Errorf("presets: %w", err)
	}
	for r := range f.Repos {
		if err := bugscope.ValidateRepo(r); err != nil {
			return fmt.Errorf("presets: %w", err)
		}
	}
	for name, p := range f.Presets {
		for _, r := range p.Repos {
			if _, ok := f.Repos[r]; !ok {
				return fmt.Errorf("presets: preset %q names %s, which is not under repos", name, r)
			}
		}
	}
	return nil
}

// Get returns the repositories of a named preset.
func Get(name string) ([]string, error) {
	f, err := load()
	if err != nil {
		return nil, err
	}
	p, ok := f.Presets[name]
	if !ok {
		return nil, fmt.Errorf("no preset %q (presets: %s)", name, strings.Join(Names(), ", "))
	}
	return append([]string(nil), p.Repos...), nil
}

// Names lists the presets.
func Names() []string {
	f, _ := load()
	names := make([]string, 0, len(f.Presets))
	for n := range f.Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Describe returns a preset's description.
func Describe(name string) string {
	f, _ := load()
	return f.Presets[name].Description
}

// Lookup returns what bugscope knows of a repository, by its name or a
// former name (case-insensitive), and its canonical name.
func Lookup(repo string) (Repo, string, bool) {
	f, _ := load()
	canon, ok := byLower[strings.ToLower(repo)]
	if !ok {
		return Repo{}, repo, false
	}
	return f.Repos[canon], canon, true
}

// DisplayName is how reports name a repository's engine: its known name, or
// the repository's own name.
func DisplayName(repo string) string {
	if r, _, ok := Lookup(repo); ok && r.Name != "" {
		return r.Name
	}
	if _, name, ok := strings.Cut(repo, "/"); ok {
		return name
	}
	return repo
}
