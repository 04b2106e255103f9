package metrics

import (
	"fmt"
	"math"
	"strconv"
)

// Float is a figure in a result. Undefined figures are NaN; JSON has no NaN,
// so they marshal as null. Defined ones are rounded to 6 decimals in JSON so
// that golden files do not depend on the last bit of floating-point
// arithmetic, which differs between platforms (fused multiply-add).
type Float float64

// nan is what an undefined figure holds.
var nan = math.NaN()

// Defined reports whether f is a number.
func (f Float) Defined() bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// String formats f with three decimals, or "n/a".
func (f Float) String() string {
	if !f.Defined() {
		return "n/a"
	}
	return strconv.FormatFloat(round6(float64(f)), 'f', 3, 64)
}

// MarshalJSON writes null for an undefined figure, else f rounded to 6 decimals.
func (f Float) MarshalJSON() ([]byte, error) {
	if !f.Defined() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, round6(float64(f)), 'f', -1, 64), nil
}

// UnmarshalJSON reads null as NaN.
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(nan)
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("metrics.Float: %w", err)
	}
	*f = Float(v)
	return nil
}

func round6(v float64) float64 {
	r := math.Round(v*1e6) / 1e6
	if r == 0 {
		return 0 // no "-0" in output
	}
	return r
}

// ratio returns num/den, or NaN when den is 0.
func ratio(num, den float64) float64 {
	if den == 0 {
		return nan
	}
	return num / den
}

// ratio0 returns num/den, or 0 when den is 0 (the zero-division convention
// of precision and recall).
func ratio0(num, den float64) float64 {
	if den == 0 {
		return 0
	}
	return num / den
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
