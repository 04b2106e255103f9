package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// With a perfect classifier the estimate is the population's own share and
// its variance that of a share of all N units, p(1−p)/N: the hand labels
// add nothing (the limit ppi-python's test_ppi_mean_pointestimate checks
// with predictions that are off by a constant).
func TestPPIPerfectClassifier(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const N, n = 2000, 200
	s := PPIStratum{F: make([]float64, N)}
	pos := 0.0
	for i := range s.F {
		if rng.Float64() < 0.3 {
			s.F[i] = 1
			pos++
		}
	}
	for i := range n {
		s.Gold = append(s.Gold, GoldUnit{Y: s.F[i], YDen: 1, F: s.F[i], FDen: 1})
	}
	r := PPIRatio([]PPIStratum{s}, 0.95)
	p := pos / N
	near(t, "estimate", r.Estimate, p, 1e-12)
	near(t, "lambda", r.Lambda[0], 1, 1e-12)
	// The pseudo-units of the variance widen it a little beyond the
	// population's own sampling noise.
	if base := math.Sqrt(p * (1 - p) / N); r.SE < base || r.SE > 1.3*base {
		t.Errorf("se %v, want a little above %v", r.SE, base)
	}
	w := Wilson(pos, N, 0.95)
	if r.Interval.Lo > w.Lo || r.Interval.Hi < w.Hi || r.Interval.Hi-r.Interval.Lo > 1.3*(w.Hi-w.Lo) {
		t.Errorf("interval %v, Wilson's %v", r.Interval, w)
	}
}

// A classifier that says the same thing of every unit carries no
// information: the estimate is the hand labels' share and the interval
// that of the hand labels alone.
func TestPPIUselessClassifier(t *testing.T) {
	const N, n = 2000, 100
	s := PPIStratum{F: make([]float64, N)}
	for i := range s.F {
		s.F[i] = 1
	}
	k := 0.0
	for i := range n {
		y := 0.0
		if i%4 == 0 {
			y, k = 1, k+1
		}
		s.Gold = append(s.Gold, GoldUnit{Y: y, YDen: 1, F: 1, FDen: 1})
	}
	r := PPIRatio([]PPIStratum{s}, 0.95)
	near(t, "estimate", r.Estimate, k/n, 1e-12)
	near(t, "raw", r.Raw, 1, 0)
	// About √(p(1−p)/n), the hand labels' own standard error.
	near(t, "se", r.SE, math.Sqrt(0.25*0.75/n), 0.003)
	if r.Interval.Lo > 0.25 || r.Interval.Hi < 0.25 || r.Interval.Hi > 0.4 {
		t.Errorf("interval %v", r.Interval)
	}
}

// A stratum without hand labels keeps the classifier's values and is named.
func TestPPIStratumWithoutGold(t *testing.T) {
	a := PPIStratum{F: []float64{1, 0, 1, 0}, Gold: []GoldUnit{{1, 1, 1, 1}, {1, 1, 0, 1}}}
	b := PPIStratum{F: []float64{1, 1, 1, 1}}
	r := PPIRatio([]PPIStratum{a, b}, 0.95)
	if len(r.Uncorrected) != 1 || r.Uncorrected[0] != 1 || r.Gold != 2 {
		t.Errorf("%+v", r)
	}
	if !(r.Interval.Lo <= r.Estimate && r.Estimate <= r.Interval.Hi) {
		t.Errorf("estimate %v outside %v", r.Estimate, r.Interval)
	}
}

// simPopulation is the synthetic study of the simulation test: three
// engines (strata) of fixed sizes; each issue is a bug with the engine's
// probability and, if so, of one of four categories; the classifier has a
// known confusion that inflates category 1 (as the rules inflate
// "integration") and takes a quarter of the non-bugs for bugs.
type simPopulation struct {
	sizes    []int
	bugRate  []float64
	catRates [][]float64 // per stratum, among bugs
	// kindConf: P(predicted bug | true bug), P(predicted bug | not a bug)
	kindConf [2]float64
	// catConf[c] is the distribution of the predicted category of a true
	// category c; falseCat that of a non-bug taken for a bug.
	catConf  [][]float64
	falseCat []float64
}

var sim = simPopulation{
	sizes:    []int{1600, 1400, 1000},
	bugRate:  []float64{0.45, 0.55, 0.35},
	catRates: [][]float64{{0.40, 0.30, 0.27, 0.03}, {0.25, 0.45, 0.28, 0.02}, {0.30, 0.30, 0.38, 0.02}},
	kindConf: [2]float64{0.85, 0.25},
	catConf: [][]float64{
		{0.65, 0.25, 0.08, 0.02},
		{0.05, 0.90, 0.05, 0.00},
		{0.10, 0.35, 0.55, 0.00},
		{0.10, 0.30, 0.10, 0.50},
	},
	falseCat: []float64{0.10, 0.70, 0.15, 0.05},
}

// truth is the superpopulation share of category c among bugs.
func (s simPopulation) truth(c int) float64 {
	var num, den float64
	for h, n := range s.sizes {
		num += float64(n) * s.bugRate[h] * s.catRates[h][c]
		den += float64(n) * s.bugRate[h]
	}
	return num / den
}

func draw(rng *rand.Rand, p []float64) int {
	u := rng.Float64()
	for i, q := range p {
		if u < q {
			return i
		}
		u -= q
	}
	return len(p) - 1
}

// unit is one synthetic issue: true and predicted bug and category (−1
// for a non-bug).
type unit struct{ bug, cat, pbug, pcat int }

func (s simPopulation) generate(rng *rand.Rand) [][]unit {
	out := make([][]unit, len(s.sizes))
	for h, n := range s.sizes {
		out[h] = make([]unit, n)
		for i := range out[h] {
			u := unit{cat: -1, pcat: -1}
			if rng.Float64() < s.bugRate[h] {
				u.bug, u.cat = 1, draw(rng, s.catRates[h])
				if rng.Float64() < s.kindConf[0] {
					u.pbug, u.pcat = 1, draw(rng, s.catConf[u.cat])
				}
			} else if rng.Float64() < s.kindConf[1] {
				u.pbug, u.pcat = 1, draw(rng, s.falseCat)
			}
			out[h][i] = u
		}
	}
	return out
}

// strata builds the PPI input for the share of category c among bugs, the
// first gold units of each stratum being its hand labels (the units are
// independent, so the first ones are a random sample).
func strataFor(pop [][]unit, c, gold int) []PPIStratum {
	b := func(x bool) float64 {
		if x {
			return 1
		}
		return 0
	}
	out := make([]PPIStratum, len(pop))
	for h, us := range pop {
		s := PPIStratum{F: make([]float64, len(us)), FDen: make([]float64, len(us))}
		for i, u := range us {
			s.F[i], s.FDen[i] = b(u.pcat == c), b(u.pbug == 1)
			if i < gold {
				s.Gold = append(s.Gold, GoldUnit{Y: b(u.cat == c), YDen: b(u.bug == 1), F: s.F[i], FDen: s.FDen[i]})
			}
		}
		out[h] = s
	}
	return out
}

// TestPPISimulation is the acceptance test of the correction: over
// repeated synthetic studies (a population of 4,000 issues in three
// engines, a classifier of known confusion, 100 hand labels per engine),
// the 95% intervals of the corrected shares of bugs cover the true share
// in at least 93% of the draws for every category, the rare one included,
// while the raw shares are visibly biased and their Wilson intervals miss.
// go test -short=false -run PPISimulation -v prints the figures; 1,000
// draws take about a second.
func TestPPISimulation(t *testing.T) {
	draws := 1000
	if testing.Short() {
		draws = 300
	}
	rng := rand.New(rand.NewPCG(20250601, 8))
	cats := len(sim.catRates[0])
	covered := make([]int, cats)
	rawCovered := make([]int, cats)
	rawBias := make([]float64, cats)
	bias := make([]float64, cats)
	width := make([]float64, cats)
	for range draws {
		pop := sim.generate(rng)
		for c := range cats {
			truth := sim.truth(c)
			r := PPIRatio(strataFor(pop, c, 100), 0.95)
			if r.Interval.Lo <= truth && truth <= r.Interval.Hi {
				covered[c]++
			}
			if !(r.Interval.Lo <= r.Estimate && r.Estimate <= r.Interval.Hi) {
				t.Fatalf("estimate %v outside its interval %v", r.Estimate, r.Interval)
			}
			bias[c] += r.Estimate - truth
			rawBias[c] += r.Raw - truth
			width[c] += r.Interval.Hi - r.Interval.Lo
			var k, n float64
			for _, us := range pop {
				for _, u := range us {
					n += float64(u.pbug)
					if u.pcat == c {
						k++
					}
				}
			}
			if w := Wilson(k, n, 0.95); w.Lo <= truth && truth <= w.Hi {
				rawCovered[c]++
			}
		}
	}
	for c := range cats {
		cov := float64(covered[c]) / float64(draws)
		t.Logf("category %d: truth %.3f; corrected: coverage %.3f, bias %+.4f, mean width %.3f; raw: bias %+.4f, Wilson coverage %.3f",
			c, sim.truth(c), cov, bias[c]/float64(draws), width[c]/float64(draws), rawBias[c]/float64(draws), float64(rawCovered[c])/float64(draws))
		if cov < 0.93 {
			t.Errorf("category %d: corrected intervals cover the truth in %.1f%% of %d draws, want at least 93%%", c, 100*cov, draws)
		}
		if math.Abs(bias[c]/float64(draws)) > 0.01 {
			t.Errorf("category %d: corrected estimate biased by %+.4f", c, bias[c]/float64(draws))
		}
	}
	// The classifier inflates category 1: its raw share is off by more
	// than 5 points and its Wilson interval (sampling noise only) misses.
	if rawBias[1]/float64(draws) < 0.05 || float64(rawCovered[1])/float64(draws) > 0.05 {
		t.Errorf("the raw share's bias is not visible: %+.4f, Wilson coverage %d/%d", rawBias[1]/float64(draws), rawCovered[1], draws)
	}
}
