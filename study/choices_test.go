package study

import (
	"strings"
	"testing"

	"github.com/bugscope/bugscope/taxonomy"
)

// A group heading is keyed only where groups are values; the keys run in
// the taxonomy's order over what can be chosen, each group's heading before its values.
func TestChoices(t *testing.T) {
	const doc = `name: choices
version: "1"
title: choices
source: test
dimensions:
  - id: strict
    name: Strict
    groups:
      - id: mem
        name: Memory
        description: memory
        values:
          - {id: mem.oom, name: OOM, description: oom}
          - {id: mem.leak, name: Leak, description: leak}
      - id: net
        name: Network
        description: network
        values:
          - {id: net.x, name: X, description: x}
  - id: flat
    name: Flat
    values:
      - {id: a, name: A, description: a}
      - {id: b, name: B, description: b}
  - id: loose
    name: Loose
    accept_groups: true
    groups:
      - id: g
        name: G
        description: g
        values:
          - {id: g.a, name: A, description: a}
`
	tax, err := taxonomy.Parse(strings.NewReader(doc), "choices.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dim  string
		want string // id:key, "-" for none
	}{
		{"strict", "mem:- mem.oom:1 mem.leak:2 net:- net.x:3"},
		{"flat", "a:1 b:2"},
		{"loose", "g:1 g.a:2"},
	} {
		var got []string
		for _, c := range Choices(tax.Dimension(tc.dim)) {
			k := c.Key
			if k == "" {
				k = "-"
			}
			if c.Selectable != (c.Key != "") {
				t.Errorf("%s %s: selectable %v with key %q", tc.dim, c.ID, c.Selectable, c.Key)
			}
			got = append(got, c.ID+":"+k)
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: %s, want %s", tc.dim, g, tc.want)
		}
	}
}
