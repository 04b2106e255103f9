package learn

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func vec(pairs ...float64) SparseVec {
	var v SparseVec
	for i := 0; i < len(pairs); i += 2 {
		v.Idx = append(v.Idx, int32(pairs[i]))
		v.Val = append(v.Val, float32(pairs[i+1]))
	}
	return v
}

// The gradient the optimiser follows must be the objective's: central
// differences agree with it at a random point.
func TestSoftmaxGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	K, D := 3, 5
	var X []SparseVec
	var y []int
	var w []float64
	for i := 0; i < 30; i++ {
		X = append(X, vec(float64(r.IntN(D)), r.Float64(), float64(r.IntN(D)), -r.Float64()))
		y = append(y, r.IntN(K))
		w = append(w, 0.5+r.Float64())
	}
	for i := range X {
		sortVec(&X[i])
		// Duplicate indices would be summed by the model but not by
		// this test's expectations; keep the first.
		if len(X[i].Idx) == 2 && X[i].Idx[0] == X[i].Idx[1] {
			X[i].Idx, X[i].Val = X[i].Idx[:1], X[i].Val[:1]
		}
	}
	p := &softmaxProblem{X: X, y: y, w: w, K: K, D: D, invC: 1 / 0.7}
	theta := make([]float64, K*D+K)
	for i := range theta {
		theta[i] = r.NormFloat64()
	}
	_, g := p.eval(theta)
	grad := append([]float64(nil), g...)
	for i := range theta {
		const h = 1e-6
		up := append([]float64(nil), theta...)
		dn := append([]float64(nil), theta...)
		up[i] += h
		dn[i] -= h
		fu, _ := p.eval(up)
		fd, _ := p.eval(dn)
		num := (fu - fd) / (2 * h)
		if math.Abs(num-grad[i]) > 1e-5*max(1, math.Abs(num)) {
			t.Errorf("d/dθ%d: analytic %.8f, numeric %.8f", i, grad[i], num)
		}
	}
}

// With one indicator feature per group and (almost) no penalty, the
// maximum-likelihood probabilities are the class frequencies within each
// group: a closed form.
func TestSoftmaxClosedForm(t *testing.T) {
	// Group 0: classes 0,0,0,1,2,2 ; group 1: classes 1,1,1,2.
	groups := [][]int{{0, 0, 0, 1, 2, 2}, {1, 1, 1, 2, 0}}
	var X []SparseVec
	var y []int
	for g, cls := range groups {
		for _, c := range cls {
			X = append(X, vec(float64(g), 1))
			y = append(y, c)
		}
	}
	m, err := FitSoftmax(X, y, nil, 3, 2, FitOptions{C: 1e6, MaxIter: 2000, GradTol: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	for g, cls := range groups {
		p := m.Probs(vec(float64(g), 1))
		for k := 0; k < 3; k++ {
			n := 0
			for _, c := range cls {
				if c == k {
					n++
				}
			}
			want := float64(n) / float64(len(cls))
			if math.Abs(p[k]-want) > 2e-3 {
				t.Errorf("group %d class %d: P = %.4f, want %.4f", g, k, p[k], want)
			}
		}
	}
}

// A penalised binary problem, solved independently by Newton's method on
// the two free parameters: the logit difference Δ = w1 - w0 (the penalty on
// w0 = -w1 = -Δ/2 is Δ²/(4C)) and the bias difference.
func TestSoftmaxPenalisedBinary(t *testing.T) {
	xs := []float64{-2, -1, -0.5, 0, 0.3, 1, 1.5, 2, 2.5, -1.5}
	ys := []int{0, 0, 1, 0, 1, 1, 0, 1, 1, 0}
	const C = 0.8
	var X []SparseVec
	for _, x := range xs {
		X = append(X, vec(0, x))
	}
	m, err := FitSoftmax(X, ys, nil, 2, 1, FitOptions{C: C, GradTol: 1e-10, MaxIter: 1000})
	if err != nil {
		t.Fatal(err)
	}
	gotA := m.W[1] - m.W[0]
	gotB := m.B[1] - m.B[0]

	// Newton on f(a, b) = Σ log(1+exp(a x + b)) - y (a x + b) + a²/(4C).
	a, b := 0.0, 0.0
	for it := 0; it < 50; it++ {
		ga, gb := a/(2*C), 0.0
		haa, hab, hbb := 1/(2*C), 0.0, 0.0
		for i, x := range xs {
			p := 1 / (1 + math.Exp(-(a*x + b)))
			r := p - float64(ys[i])
			ga += r * x
			gb += r
			s := p * (1 - p)
			haa += s * x * x
			hab += s * x
			hbb += s
		}
		det := haa*hbb - hab*hab
		a -= (hbb*ga - hab*gb) / det
		b -= (-hab*ga + haa*gb) / det
	}
	if math.Abs(gotA-a) > 1e-4 || math.Abs(gotB-b) > 1e-4 {
		t.Errorf("L-BFGS gives slope %.6f bias %.6f; Newton %.6f %.6f", gotA, gotB, a, b)
	}
	if math.Abs(m.W[0]+m.W[1]) > 1e-4 {
		t.Errorf("penalised weights %v are not symmetric", m.W)
	}
}

func TestFitSoftmaxErrors(t *testing.T) {
	X := []SparseVec{vec(0, 1)}
	for name, fn := range map[string]func() error{
		"one class":    func() error { _, err := FitSoftmax(X, []int{0}, nil, 1, 1, FitOptions{C: 1}); return err },
		"bad class":    func() error { _, err := FitSoftmax(X, []int{3}, nil, 2, 1, FitOptions{C: 1}); return err },
		"zero C":       func() error { _, err := FitSoftmax(X, []int{0}, nil, 2, 1, FitOptions{}); return err },
		"length":       func() error { _, err := FitSoftmax(X, []int{0, 1}, nil, 2, 1, FitOptions{C: 1}); return err },
		"weights size": func() error { _, err := FitSoftmax(X, []int{0}, []float64{1, 2}, 2, 1, FitOptions{C: 1}); return err },
	} {
		if fn() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// Logits that are twice as confident as the truth: temperature scaling
// must find T ≈ 2 and leave T ≈ 1 for calibrated ones.
func TestFitTemperature(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for _, trueT := range []float64{0.5, 1, 2} {
		var z [][]float64
		var y []int
		p := make([]float64, 4)
		for i := 0; i < 20000; i++ {
			zi := make([]float64, 4)
			for k := range zi {
				zi[k] = 2 * r.NormFloat64()
			}
			softmaxInto(zi, trueT, p)
			u, c := r.Float64(), 0
			for c < 3 && u > p[c] {
				u -= p[c]
				c++
			}
			z = append(z, zi)
			y = append(y, c)
		}
		got := FitTemperature(z, y)
		if math.Abs(got-trueT)/trueT > 0.06 {
			t.Errorf("true temperature %.2f: fitted %.3f", trueT, got)
		}
	}
	if got := FitTemperature(nil, nil); got != 1 {
		t.Errorf("no data: T = %v, want 1", got)
	}
}

func TestLogSumExp(t *testing.T) {
	for _, tc := range []struct {
		z    []float64
		want float64
	}{
		{[]float64{0, 0}, math.Ln2},
		{[]float64{1000, 1000}, 1000 + math.Ln2},
		{[]float64{-1000, 0}, 0},
		{[]float64{math.Log(1), math.Log(2), math.Log(3)}, math.Log(6)},
	} {
		if got := logSumExp(tc.z); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("logSumExp(%v) = %v, want %v", tc.z, got, tc.want)
		}
	}
}

// With fewer examples than features the model is fitted in the span of
// the examples; the answer must be the one fitted on the weights directly.
func TestSoftmaxDualMatchesPrimal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n, D, K := 24, 60, 3
	var X []SparseVec
	var y []int
	var w []float64
	for i := 0; i < n; i++ {
		var v SparseVec
		for j := 0; j < D; j++ {
			if r.Float64() < 0.15 {
				v.Idx = append(v.Idx, int32(j))
				v.Val = append(v.Val, float32(r.Float64()))
			}
		}
		X = append(X, v)
		y = append(y, i%K)
		w = append(w, 0.5+r.Float64())
	}
	opt := FitOptions{C: 3, MaxIter: 5000, GradTol: 1e-9}
	dual, err := fitDual(X, y, w, K, D, opt)
	if err != nil {
		t.Fatal(err)
	}
	primal, err := fitPrimal(X, y, w, K, D, opt)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range X {
		pd, pp := dual.Probs(x), primal.Probs(x)
		for k := range pd {
			if math.Abs(pd[k]-pp[k]) > 1e-4 {
				t.Fatalf("example %d class %d: dual %.6f, primal %.6f", i, k, pd[k], pp[k])
			}
		}
	}
	// The weights agree up to the softmax's shift per feature.
	for j := 0; j < D; j++ {
		for k := 1; k < K; k++ {
			dd := dual.W[j*K+k] - dual.W[j*K]
			dp := primal.W[j*K+k] - primal.W[j*K]
			if math.Abs(dd-dp) > 1e-3 {
				t.Errorf("feature %d class %d: dual %.5f, primal %.5f", j, k, dd, dp)
			}
		}
	}
}

// contributions keeps the n largest positive contributions, largest first,
// as sorting them all would.
func TestContributionsTopN(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for trial := 0; trial < 200; trial++ {
		K, D := 2+r.IntN(3), 5+r.IntN(60)
		h := &Head{Classes: make([]string, K), Temperature: 0.5 + r.Float64(), dense: make([]float32, D*K)}
		for i := range h.dense {
			h.dense[i] = float32(r.NormFloat64())
		}
		var x SparseVec
		for j := 0; j < D; j++ {
			if r.IntN(2) == 0 {
				x.Idx = append(x.Idx, int32(j))
				x.Val = append(x.Val, float32(r.Float64()))
			}
		}
		k, n := r.IntN(K), r.IntN(5)
		var all []contribution
		for i, j := range x.Idx {
			row := h.dense[int(j)*K : int(j)*K+K]
			mean := 0.0
			for _, w := range row {
				mean += float64(w)
			}
			mean /= float64(K)
			if c := float64(x.Val[i]) * (float64(row[k]) - mean) / h.Temperature; c > 0 {
				all = append(all, contribution{feature: j, weight: c})
			}
		}
		sort.SliceStable(all, func(a, b int) bool { return all[a].weight > all[b].weight })
		if len(all) > n {
			all = all[:n]
		}
		got := h.contributions(x, k, n)
		if len(got) != len(all) {
			t.Fatalf("trial %d: %d contributions, want %d", trial, len(got), len(all))
		}
		for i := range got {
			if got[i] != all[i] {
				t.Fatalf("trial %d: contribution %d is %+v, want %+v", trial, i, got[i], all[i])
			}
		}
	}
}
