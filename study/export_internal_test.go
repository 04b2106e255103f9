package study

import "testing"

func TestCSVDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(1)": "'=HYPERLINK(1)", "+1": "'+1", "@x": "'@x", "-2": "'-2", "ok": "ok", "": ""} {
		if got := safeCell(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
