package stats

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Observation is one subject of a survival analysis: the time it was
// followed and whether the event happened then (false: censored).
type Observation struct {
	Time  float64
	Event bool
}

// KMStep is the Kaplan–Meier curve at one event time.
type KMStep struct {
	Time     float64 `json:"time"`
	AtRisk   int     `json:"at_risk"`
	Events   int     `json:"events"`
	Censored int     `json:"censored"` // censored at this time, after the events
	Survival float64 `json:"survival"`
	// Lo and Hi bound the survival pointwise: the log-transformed
	// Greenwood interval, R survfit's default conf.type = "log".
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// KMResult is a Kaplan–Meier estimate with its median.
type KMResult struct {
	N      int      `json:"n"`
	Events int      `json:"events"`
	Steps  []KMStep `json:"steps"`
	// Median is the first time the curve is at or below one half (the mean
	// of that time and the next event time when the curve is exactly one
	// half in between), and its interval the first times the lower and
	// the upper pointwise bounds are; nil where the curve does not get
	// there (R's print.survfit prints NA).
	Median   *float64 `json:"median"`
	MedianLo *float64 `json:"median_lo"`
	MedianHi *float64 `json:"median_hi"`
}

// KaplanMeier estimates the survival curve of the observations (Kaplan and
// Meier 1958) with Greenwood's variance and log-transformed pointwise
// intervals, and its median with the interval of Brookmeyer and Crowley
// (1982) as R's survival package prints it.
func KaplanMeier(obs []Observation, confidence float64) KMResult {
	o := append([]Observation(nil), obs...)
	sort.SliceStable(o, func(i, j int) bool { return o[i].Time < o[j].Time })
	r := KMResult{N: len(o)}
	z := Z(confidence)
	s, green := 1.0, 0.0
	atRisk := len(o)
	for i := 0; i < len(o); {
		t := o[i].Time
		d, c := 0, 0
		for ; i < len(o) && o[i].Time == t; i++ {
			if o[i].Event {
				d++
			} else {
				c++
			}
		}
		if d > 0 {
			s *= 1 - float64(d)/float64(atRisk)
			if atRisk > d {
				green += float64(d) / (float64(atRisk) * float64(atRisk-d))
			} else {
				green = math.Inf(1)
			}
			st := KMStep{Time: t, AtRisk: atRisk, Events: d, Censored: c, Survival: s}
			if s > 0 && !math.IsInf(green, 1) {
				se := math.Sqrt(green)
				st.Lo = s * math.Exp(-z*se)
				st.Hi = math.Min(1, s*math.Exp(z*se))
			} else {
				// The log interval is undefined at 0 (R prints NA):
				// the widest bounds, which never cross one half upwards.
				st.Lo, st.Hi = 0, 1
			}
			r.Steps = append(r.Steps, st)
			r.Events += d
		} else if n := len(r.Steps); n > 0 {
			r.Steps[n-1].Censored += c
		}
		atRisk -= d + c
	}
	pick := func(val func(KMStep) float64) *float64 {
		const tol = 1.4901161193847656e-08 // √ε, R's tolerance
		for k, st := range r.Steps {
			y := val(st)
			if y >= 0.5+tol {
				continue
			}
			t := st.Time
			if math.Abs(y-0.5) < tol {
				for _, next := range r.Steps[k+1:] {
					if val(next) < y {
						t = (t + next.Time) / 2
						break
					}
				}
			}
			return &t
		}
		return nil
	}
	r.Median = pick(func(s KMStep) float64 { return s.Survival })
	r.MedianLo = pick(func(s KMStep) float64 { return s.Lo })
	r.MedianHi = pick(func(s KMStep) float64 { return s.Hi })
	return r
}

// LogRankResult is the log-rank test of equal survival in several groups.
type LogRankResult struct {
	ChiSquare float64   `json:"chi_square"`
	DF        int       `json:"df"`
	P         float64   `json:"p"`
	Observed  []float64 `json:"observed"`
	Expected  []float64 `json:"expected"`
}

// LogRank compares the survival of groups (Mantel 1966; Peto and Peto
// 1972): observed against expected events per group, with the
// hypergeometric variance matrix, as R's survdiff with rho = 0. Groups
// without observations are left out.
func LogRank(groups [][]Observation) LogRankResult {
	var gs [][]Observation
	for _, g := range groups {
		if len(g) > 0 {
			gs = append(gs, g)
		}
	}
	k := len(gs)
	r := LogRankResult{Observed: make([]float64, k), Expected: make([]float64, k), P: 1}
	if k < 2 {
		return r
	}
	type ev struct {
		t     float64
		g     int
		event bool
	}
	var all []ev
	for g, obs := range gs {
		for _, o := range obs {
			all = append(all, ev{o.Time, g, o.Event})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].t < all[j].t })
	atRisk := make([]float64, k)
	for g, obs := range gs {
		atRisk[g] = float64(len(obs))
	}
	v := mat.NewDense(k, k, nil)
	for i := 0; i < len(all); {
		t := all[i].t
		d := make([]float64, k)
		left := make([]float64, k)
		for ; i < len(all) && all[i].t == t; i++ {
			if all[i].event {
				d[all[i].g]++
			}
			left[all[i].g]++
		}
		var n, dt float64
		for g := range k {
			n += atRisk[g]
			dt += d[g]
		}
		if dt > 0 && n > 0 {
			for g := range k {
				r.Observed[g] += d[g]
				r.Expected[g] += atRisk[g] * dt / n
			}
			if n > 1 {
				f := dt * (n - dt) / (n - 1)
				for g := range k {
					for h := range k {
						x := -atRisk[g] * atRisk[h] / (n * n)
						if g == h {
							x += atRisk[g] / n
						}
						v.Set(g, h, v.At(g, h)+f*x)
					}
				}
			}
		}
		for g := range k {
			atRisk[g] -= left[g]
		}
	}
	// The statistic over the first k − 1 groups (the k-th is implied).
	m := k - 1
	diff := mat.NewVecDense(m, nil)
	for g := range m {
		diff.SetVec(g, r.Observed[g]-r.Expected[g])
	}
	sub := mat.DenseCopyOf(v.Slice(0, m, 0, m))
	var x mat.VecDense
	if err := x.SolveVec(sub, diff); err != nil {
		return r
	}
	r.ChiSquare = mat.Dot(diff, &x)
	r.DF = m
	r.P = chiSquareSurvival(r.ChiSquare, float64(m))
	return r
}

// MedianInterval is the distribution-free interval for a median from order
// statistics (Hollander and Wolfe 1999, §3.6; Conover 1999, §3.2): the
// k-th smallest and the k-th largest observations, k the largest rank
// with P(Binomial(n, ½) < k) ≤ (1 − confidence)/2. ok is false when n is
// too small for the confidence asked (fewer than 6 at 95%). coverage is
// the interval's exact coverage.
func MedianInterval(xs []float64, confidence float64) (iv Interval, coverage float64, ok bool) {
	n := len(xs)
	if n == 0 {
		return Interval{}, 0, false
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	alpha := (1 - confidence) / 2
	// cdf(j) = P(B ≤ j), summed exactly in log space.
	k, tail := 0, 0.0
	for j := 0; j < n; j++ {
		p := math.Exp(lgamma(float64(n+1)) - lgamma(float64(j+1)) - lgamma(float64(n-j+1)) - float64(n)*math.Ln2)
		if tail+p > alpha {
			break
		}
		tail += p
		k = j + 1
	}
	if k == 0 || k > n-k+1 {
		return Interval{s[0], s[n-1]}, 1 - 2*math.Pow(0.5, float64(n)), false
	}
	return Interval{s[k-1], s[n-k]}, 1 - 2*tail, true
}
