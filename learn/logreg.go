package learn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/bugscope/bugscope/internal/par"
)

// Softmax is a multinomial logistic regression over sparse features:
// P(k | x) = softmax(z)_k with z_k = Σ_j W[j][k]·x_j + B[k]. W is stored
// feature-major (the K weights of feature j at W[j*K:(j+1)*K]), so that a
// sparse vector touches contiguous memory.
type Softmax struct {
	K, D int
	W    []float64
	B    []float64
}

// FitOptions control FitSoftmax.
type FitOptions struct {
	// C is the inverse strength of the L2 penalty: the objective is
	// Σ_i w_i·(-log P(y_i | x_i)) + ||W||² / (2C). The biases are not
	// penalised.
	C float64
	// MaxIter bounds the L-BFGS iterations (default 300).
	MaxIter int
	// GradTol stops when the largest gradient component is below it
	// (default 1e-5).
	GradTol float64
}

// FitSoftmax fits a K-class model on D features to examples X with classes
// y in 0..K-1 and weights w (nil: all 1), minimising the penalised
// negative log-likelihood with L-BFGS from zero.
func FitSoftmax(X []SparseVec, y []int, w []float64, K, D int, opt FitOptions) (*Softmax, error) {
	if len(X) != len(y) || w != nil && len(w) != len(y) {
		return nil, errors.New("softmax: X, y and w differ in length")
	}
	if K < 2 {
		return nil, fmt.Errorf("softmax: %d classes, want at least 2", K)
	}
	if opt.C <= 0 {
		return nil, fmt.Errorf("softmax: C %v, want > 0", opt.C)
	}
	for i, c := range y {
		if c < 0 || c >= K {
			return nil, fmt.Errorf("softmax: example %d has class %d outside 0..%d", i, c, K-1)
		}
	}
	if opt.MaxIter == 0 {
		opt.MaxIter = 300
	}
	if opt.GradTol == 0 {
		opt.GradTol = 1e-5
	}
	if len(X) < D {
		return fitDual(X, y, w, K, D, opt)
	}
	return fitPrimal(X, y, w, K, D, opt)
}

// fitPrimal fits the K·D weights and K biases directly.
func fitPrimal(X []SparseVec, y []int, w []float64, K, D int, opt FitOptions) (*Softmax, error) {
	p := &softmaxProblem{X: X, y: y, w: w, K: K, D: D, invC: 1 / opt.C}
	x, err := minimize(K*D+K, p.eval, opt)
	if err != nil {
		return nil, err
	}
	return &Softmax{K: K, D: D, W: slices.Clone(x[:K*D]), B: slices.Clone(x[K*D:])}, nil
}

// minimize runs L-BFGS from zero on a function that returns its value and
// gradient together.
func minimize(n int, eval func([]float64) (float64, []float64), opt FitOptions) ([]float64, error) {
	prob := optimize.Problem{
		Func: func(x []float64) float64 { f, _ := eval(x); return f },
		Grad: func(grad, x []float64) { _, g := eval(x); copy(grad, g) },
	}
	settings := &optimize.Settings{
		GradientThreshold: opt.GradTol,
		MajorIterations:   opt.MaxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-9, Relative: 1e-9, Iterations: 20},
	}
	res, err := optimize.Minimize(prob, make([]float64, n), settings, &optimize.LBFGS{Store: 20})
	if res == nil {
		return nil, fmt.Errorf("softmax: %w", err)
	}
	// A line search that can make no more progress ends at the optimum as
	// far as floating point can tell; any other failure is an error.
	if err != nil && !errors.Is(err, optimize.ErrLinesearcherFailure) && !errors.Is(err, optimize.ErrNoProgress) {
		return nil, fmt.Errorf("softmax: %w", err)
	}
	if math.IsNaN(res.F) {
		return nil, errors.New("softmax: the objective became NaN")
	}
	return res.X, nil
}

// fitDual fits the same model when there are fewer examples than
// features. The penalised optimum lies in the span of the examples
// (representer theorem): W_k = Σ_i A_ik x_i, so only n×K coefficients and
// the biases are unknown. With the Gram matrix G = X Xᵀ = L Lᵀ (Cholesky)
// and β = Lᵀ A, the logits are Z = L β + b and the penalty is ||β||²/(2C):
// a primal problem on n dense features, as well conditioned as the
// original and K·n instead of K·D unknowns. The answer is the primal one.
func fitDual(X []SparseVec, y []int, w []float64, K, D int, opt FitOptions) (*Softmax, error) {
	return fitGram(X, gram(X), y, w, K, D, opt)
}

// fitGram is fitDual with the Gram matrix of X given.
func fitGram(X []SparseVec, G []float64, y []int, w []float64, K, D int, opt FitOptions) (*Softmax, error) {
	n := len(X)
	L, err := choleskyL(G, n)
	if err != nil {
		return nil, err
	}
	Lr := L.RawTriangular() // lower, row-major with stride
	invC := 1 / opt.C
	grad := make([]float64, n*K+K)
	Z := make([]float64, n*K)
	R := make([]float64, n*K)
	var lastX []float64
	var lastF float64
	eval := func(theta []float64) (float64, []float64) {
		if lastX != nil && slices.Equal(lastX, theta) {
			return lastF, grad
		}
		beta, b := theta[:n*K], theta[n*K:]
		f := 0.0
		for i := 0; i < n; i++ {
			z := Z[i*K : i*K+K]
			copy(z, b)
			row := Lr.Data[i*Lr.Stride : i*Lr.Stride+i+1]
			for j, l := range row {
				if l == 0 {
					continue
				}
				bj := beta[j*K : j*K+K]
				for k := range z {
					z[k] += l * bj[k]
				}
			}
			lse := logSumExp(z)
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			f += wi * (lse - z[y[i]])
			r := R[i*K : i*K+K]
			for k := range z {
				d := math.Exp(z[k] - lse)
				if k == y[i] {
					d--
				}
				r[k] = wi * d
			}
		}
		gB, gb := grad[:n*K], grad[n*K:]
		clear(gb)
		reg := 0.0
		for j, v := range beta {
			reg += v * v
			gB[j] = invC * v
		}
		f += reg * invC / 2
		// gB += Lᵀ R, gb = Σ_i R_i
		for i := 0; i < n; i++ {
			r := R[i*K : i*K+K]
			for k, v := range r {
				gb[k] += v
			}
			row := Lr.Data[i*Lr.Stride : i*Lr.Stride+i+1]
			for j, l := range row {
				if l == 0 {
					continue
				}
				g := gB[j*K : j*K+K]
				for k, v := range r {
					g[k] += l * v
				}
			}
		}
		lastX = append(lastX[:0], theta...)
		lastF = f
		return f, grad
	}
	theta, err := minimize(n*K+K, eval, opt)
	if err != nil {
		return nil, err
	}
	// A = L⁻ᵀ β, then W = Xᵀ A.
	var A mat.Dense
	if err := L.SolveTo(&A, true, mat.NewDense(n, K, slices.Clone(theta[:n*K]))); err != nil {
		return nil, fmt.Errorf("softmax: %w", err)
	}
	m := &Softmax{K: K, D: D, W: make([]float64, K*D), B: slices.Clone(theta[n*K:])}
	for i, x := range X {
		a := A.RawRowView(i)
		for t, j := range x.Idx {
			v := float64(x.Val[t])
			row := m.W[int(j)*K : int(j)*K+K]
			for k := range row {
				row[k] += a[k] * v
			}
		}
	}
	return m, nil
}

// choleskyL factorises the n×n Gram matrix G as L Lᵀ. A Gram matrix is
// only semi-definite (two identical issues make it singular), so a jitter
// on the diagonal, as small as will do, makes it definite.
func choleskyL(G []float64, n int) (*mat.TriDense, error) {
	trace := 0.0
	for i := 0; i < n; i++ {
		trace += G[i*n+i]
	}
	jitter := 1e-10 * max(trace/float64(max(n, 1)), 1e-12)
	for try := 0; try < 8; try++ {
		sym := mat.NewSymDense(n, nil)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				v := G[i*n+j]
				if i == j {
					v += jitter
				}
				sym.SetSym(i, j, v)
			}
		}
		var chol mat.Cholesky
		if chol.Factorize(sym) {
			var L mat.TriDense
			chol.LTo(&L)
			return &L, nil
		}
		jitter *= 100
	}
	return nil, errors.New("softmax: the Gram matrix is not positive semi-definite")
}

// gram returns the n×n matrix of dot products of sparse vectors: each
// row scattered into a dense array once, then dotted with the others.
func gram(X []SparseVec) []float64 {
	n := len(X)
	G := make([]float64, n*n)
	D := int32(0)
	for _, x := range X {
		for _, j := range x.Idx {
			D = max(D, j+1)
		}
	}
	par.Workers(context.Background(), n, 0, func(int) func(int) {
		dense := make([]float64, D)
		return func(i int) {
			xi := X[i]
			for t, j := range xi.Idx {
				dense[j] = float64(xi.Val[t])
			}
			for j := i; j < n; j++ {
				s := 0.0
				xj := X[j]
				for t, f := range xj.Idx {
					s += dense[f] * float64(xj.Val[t])
				}
				G[i*n+j], G[j*n+i] = s, s
			}
			for _, j := range xi.Idx {
				dense[j] = 0
			}
		}
	})
	return G
}

// subGram is the Gram matrix of the examples pos of a Gram matrix of n.
func subGram(G []float64, n int, pos []int) []float64 {
	m := len(pos)
	S := make([]float64, m*m)
	for a, i := range pos {
		for b, j := range pos {
			S[a*m+b] = G[i*n+j]
		}
	}
	return S
}

// softmaxProblem evaluates the objective and its gradient together and
// keeps the last result, since the optimiser asks for them separately at
// the same point.
type softmaxProblem struct {
	X    []SparseVec
	y    []int
	w    []float64
	K, D int
	invC float64

	lastX []float64
	lastF float64
	grad  []float64
	z     []float64
}

func (p *softmaxProblem) eval(theta []float64) (float64, []float64) {
	if p.lastX != nil && slices.Equal(p.lastX, theta) {
		return p.lastF, p.grad
	}
	K, D := p.K, p.D
	if p.grad == nil {
		p.grad = make([]float64, len(theta))
		p.z = make([]float64, K)
	}
	g := p.grad
	clear(g)
	W, B := theta[:K*D], theta[K*D:]
	gW, gB := g[:K*D], g[K*D:]
	f := 0.0
	z := p.z
	for i, x := range p.X {
		logits(W, B, K, x, z)
		lse := logSumExp(z)
		wi := 1.0
		if p.w != nil {
			wi = p.w[i]
		}
		f += wi * (lse - z[p.y[i]])
		for k := range z {
			d := math.Exp(z[k] - lse)
			if k == p.y[i] {
				d--
			}
			z[k] = wi * d
		}
		for n, j := range x.Idx {
			v := float64(x.Val[n])
			row := gW[int(j)*K : int(j)*K+K]
			for k, d := range z {
				row[k] += d * v
			}
		}
		for k, d := range z {
			gB[k] += d
		}
	}
	reg := 0.0
	for j, v := range W {
		reg += v * v
		gW[j] += v * p.invC
	}
	f += reg * p.invC / 2
	p.lastX = append(p.lastX[:0], theta...)
	p.lastF = f
	return f, g
}

// logits computes z = Wᵀx + B into z.
func logits(W, B []float64, K int, x SparseVec, z []float64) {
	copy(z, B)
	for n, j := range x.Idx {
		v := float64(x.Val[n])
		row := W[int(j)*K : int(j)*K+K]
		for k, w := range row {
			z[k] += w * v
		}
	}
}

// logSumExp is log Σ exp(z_k), computed stably.
func logSumExp(z []float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// softmaxInto writes softmax(z / T) into p.
func softmaxInto(z []float64, T float64, p []float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v/T)
	}
	s := 0.0
	for k, v := range z {
		p[k] = math.Exp(v/T - m)
		s += p[k]
	}
	for k := range p {
		p[k] /= s
	}
}

// Logits returns z for x.
func (m *Softmax) Logits(x SparseVec) []float64 {
	z := make([]float64, m.K)
	logits(m.W, m.B, m.K, x, z)
	return z
}

// Probs returns P(k | x).
func (m *Softmax) Probs(x SparseVec) []float64 {
	z := m.Logits(x)
	p := make([]float64, m.K)
	softmaxInto(z, 1, p)
	return p
}

// FitTemperature returns the temperature T > 0 that minimises the negative
// log-likelihood of softmax(z_i / T) for the true classes y_i: temperature
// scaling (Guo et al., 2017), the calibration that keeps every decision and
// only tempers the confidence. The objective is convex in 1/T; Newton's
// method with step halving finds the minimum. T is kept within
// [0.05, 20].
func FitTemperature(z [][]float64, y []int) float64 {
	if len(z) == 0 {
		return 1
	}
	const lo, hi = 1.0 / 20, 20.0 // bounds on beta = 1/T
	nll := func(beta float64) (f, d1, d2 float64) {
		var p, scaled []float64
		for i, zi := range z {
			if len(zi) > len(p) {
				p, scaled = make([]float64, len(zi)), make([]float64, len(zi))
			}
			p, scaled = p[:len(zi)], scaled[:len(zi)]
			for k, v := range zi {
				scaled[k] = beta * v
			}
			lse := logSumExp(scaled)
			f += lse - beta*zi[y[i]]
			mean, sq := 0.0, 0.0
			for k, v := range zi {
				p[k] = math.Exp(scaled[k] - lse)
				mean += p[k] * v
				sq += p[k] * v * v
			}
			d1 += mean - zi[y[i]]
			d2 += sq - mean*mean
		}
		return f, d1, d2
	}
	beta := 1.0
	f, d1, d2 := nll(beta)
	for it := 0; it < 100; it++ {
		var step float64
		if d2 > 1e-12 {
			step = -d1 / d2
		} else {
			step = -math.Copysign(0.5*beta, d1)
		}
		next := min(max(beta+step, lo), hi)
		nf, nd1, nd2 := nll(next)
		for h := 0; nf > f && h < 30; h++ {
			next = beta + (next-beta)/2
			nf, nd1, nd2 = nll(next)
		}
		if nf > f {
			break
		}
		done := math.Abs(next-beta) < 1e-9*max(1, beta)
		beta, f, d1, d2 = next, nf, nd1, nd2
		if done || math.Abs(d1) < 1e-9*float64(len(z)) {
			break
		}
	}
	return 1 / beta
}
