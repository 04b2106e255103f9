package learn

import (
	"math/rand/v2"
	"sort"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/taxonomy"
)

// StratifiedFolds splits the positions 0..len(keys)-1 into k folds that
// keep the share of every key: the positions of each key, shuffled with
// seed, are dealt to the folds in turn, the deal carrying on from key to
// key so that fold sizes differ by at most one. The same keys, k and seed
// give the same folds. Each fold's positions are ascending.
func StratifiedFolds(keys []string, k int, seed uint64) [][]int {
	if k < 1 {
		k = 1
	}
	byKey := map[string][]int{}
	for i, key := range keys {
		byKey[key] = append(byKey[key], i)
	}
	names := make([]string, 0, len(byKey))
	for key := range byKey {
		names = append(names, key)
	}
	// Rare keys first, so that each lands in as many folds as it can.
	sort.Slice(names, func(a, b int) bool {
		if len(byKey[names[a]]) != len(byKey[names[b]]) {
			return len(byKey[names[a]]) < len(byKey[names[b]])
		}
		return names[a] < names[b]
	})
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	folds := make([][]int, k)
	f := 0
	for _, key := range names {
		pos := byKey[key]
		r.Shuffle(len(pos), func(a, b int) { pos[a], pos[b] = pos[b], pos[a] })
		for _, p := range pos {
			folds[f] = append(folds[f], p)
			f = (f + 1) % k
		}
	}
	for _, fold := range folds {
		sort.Ints(fold)
	}
	return folds
}

// StratumKey is what folds are stratified on: the kind and, for a bug, the
// group of its category (bug/memory), so that every fold sees rare
// symptoms in their share.
func StratumKey(tax *taxonomy.Taxonomy, l bugscope.Labels) string {
	key := ""
	if d := tax.ByRole(taxonomy.RoleKind); d != nil {
		key = l.One(d.ID)
	}
	if d := tax.ByRole(taxonomy.RoleCategory); d != nil {
		if v := l.One(d.ID); v != "" {
			g := d.GroupOf(v)
			if g == "" {
				g = v
			}
			key += "/" + g
		}
	}
	return key
}

// Complement returns the positions 0..n-1 not in fold (ascending).
func Complement(n int, fold []int) []int {
	in := make([]bool, n)
	for _, p := range fold {
		in[p] = true
	}
	out := make([]int, 0, n-len(fold))
	for i := 0; i < n; i++ {
		if !in[i] {
			out = append(out, i)
		}
	}
	return out
}
