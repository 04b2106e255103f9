package importer

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzValues checks the decoding of counts and times that real dumps give
// in many shapes (numbers, strings of numbers, dates, RFC 3339 times): no
// panic, counts in their bounds and equal to what the text says, dates at
// midnight UTC.
func FuzzValues(f *testing.F) {
	for _, s := range []string{`12`, `"12"`, `" 7 "`, `""`, `null`, `12.0`, `1e3`, `"1e3"`, `"0x10"`, `"+5"`, `"-1"`, `"Inf"`, `"NaN"`,
		`"2023-11-10"`, `"2023-11-10T08:00:00Z"`, `"2023-11-10T08:00:00+02:00"`, `"2023-02-30"`, `"10/11/2023"`, `true`, `{}`, `[1]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw := json.RawMessage(s)
		if !json.Valid(raw) {
			return
		}
		for _, lo := range []int{0, 1} {
			n, err := intVal(raw, lo, "a count")
			if err != nil || s == "null" { // null is 0; convert checks a null number
				continue
			}
			if n < lo || n > maxCount {
				t.Fatalf("intVal(%s) = %d, outside [%d, %d]", s, n, lo, maxCount)
			}
			text := s
			if s[0] == '"' {
				_ = json.Unmarshal(raw, &text)
				text = strings.TrimSpace(text)
			}
			if f, err := strconv.ParseFloat(text, 64); text != "" && (err != nil || f != float64(n)) {
				t.Fatalf("intVal(%s) = %d, but the text says %v (%v)", s, n, f, err)
			}
		}
		tm, err := timeVal(raw)
		if err != nil || tm == nil {
			return
		}
		var str string
		if json.Unmarshal(raw, &str) != nil {
			t.Fatalf("timeVal(%s) = %v from a non-string", s, tm)
		}
		if d, derr := time.Parse(time.DateOnly, str); derr == nil && (!tm.Equal(d) || tm.Location() != time.UTC) {
			t.Fatalf("timeVal(%s) = %v, want midnight UTC", s, tm)
		}
	})
}
