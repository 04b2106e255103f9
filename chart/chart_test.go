package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/bugscope/bugscope/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sample is a small report with every figure the charts read.
func sample(corrected bool) *report.Report {
	method := report.MethodWilson
	if corrected {
		method = report.MethodPPI
	}
	est := func(s, lo, hi float64) *report.Estimate {
		return &report.Estimate{Share: s, Lo: lo, Hi: hi, Method: method}
	}
	cat := func(id, name string, n int, s, lo, hi float64) report.Category {
		c := report.Category{Count: report.Count{ID: id, Name: name, Count: n, Share: float64(n) / 100, Estimate: est(s, lo, hi),
			EstimateByRepo: map[string]report.Estimate{"a/x": *est(s+0.05, lo, hi+0.1), "b/y": *est(s-0.05, lo-0.04, hi)}}}
		c.Subcategories = []report.Subcategory{{Count: c.Count, Severities: []report.Count{{ID: "P1", Name: "High", Count: n / 2}, {ID: "P2", Name: "Medium", Count: n - n/2}}}}
		return c
	}
	r := &report.Report{
		Engines:    []report.Engine{{Repo: "a/x", Name: "Xengine"}, {Repo: "b/y", Name: "Yengine"}},
		Totals:     report.Totals{Bugs: 100},
		Categories: []report.Category{cat("memory", "Memory", 40, 0.35, 0.28, 0.43), cat("api", "API", 60, 0.65, 0.57, 0.72)},
		Severities: report.Distribution{Values: []report.Count{{ID: "P1", Name: "High"}, {ID: "P2", Name: "Medium"}}},
		Estimation: report.Estimation{Method: method},
		Trends: &report.Trends{Period: "quarter", Periods: []string{"2024-Q1", "2024-Q2", "2024-Q3"}, Series: []report.TrendSeries{
			{Dimension: "category", ID: "memory", Name: "Memory", Repo: "all", Points: []report.TrendPoint{{Period: "2024-Q1", Count: 10, Base: 40, Share: 0.25}, {Period: "2024-Q2", Count: 15, Base: 40, Share: 0.375}, {Period: "2024-Q3", Count: 20, Base: 40, Share: 0.5}},
				ShareTrend: &report.TrendTest{Significant: true}},
			{Dimension: "category", ID: "api", Name: "API", Repo: "all", Points: []report.TrendPoint{{Period: "2024-Q1", Count: 30, Base: 40, Share: 0.75}, {Period: "2024-Q2", Count: 25, Base: 40, Share: 0.625}, {Period: "2024-Q3", Count: 20, Base: 40, Share: 0.5}}},
		}},
		TimeToClose: &report.TimeToClose{AsOf: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			Overall: report.KMSummary{Name: "All bugs", Curve: []report.KMPoint{{Days: 0, Open: 1, Lo: 1, Hi: 1}, {Days: 3, Open: 0.6, Lo: 0.5, Hi: 0.7}, {Days: 10, Open: 0.2, Lo: 0.1, Hi: 0.3}}},
			ByRepo: []report.KMSummary{{Name: "Xengine", Curve: []report.KMPoint{{Days: 0, Open: 1, Lo: 1, Hi: 1}, {Days: 2, Open: 0.5, Lo: 0.4, Hi: 0.6}}},
				{Name: "Yengine", Curve: []report.KMPoint{{Days: 0, Open: 1, Lo: 1, Hi: 1}, {Days: 12, Open: 0.4, Lo: 0.3, Hi: 0.5}}}}},
	}
	return r
}

// structure reduces an SVG to its element names and text, one a line,
// indented by depth: what a chart shows, without the coordinates that a
// new version of the plotting library may move by a hair.
func structure(t *testing.T, svg []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var b strings.Builder
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), x.Name.Local)
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if s := strings.TrimSpace(string(x)); s != "" {
				fmt.Fprintf(&b, "%s%q\n", strings.Repeat("  ", depth), s)
			}
		}
	}
	return b.String()
}

// The shares chart's SVG structure: titles, axis labels, category names,
// legend entries and the number of drawn elements, against a golden file.
func TestSharesSVGGolden(t *testing.T) {
	fig, err := Shares(sample(true))
	if err != nil || fig == nil {
		t.Fatal(fig, err)
	}
	svg, err := SVG(fig.Plot)
	if err != nil {
		t.Fatal(err)
	}
	got := structure(t, svg)
	for _, want := range []string{`"Bugs per category and engine"`, `"Memory"`, `"API"`, `"Xengine"`, `"Yengine"`, `"all engines"`, `"corrected share of bugs (95% CI, prediction-powered)"`} {
		if !strings.Contains(got, want) {
			t.Errorf("SVG lacks %s", want)
		}
	}
	path := filepath.Join("testdata", "shares.svg.structure")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./chart -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("the SVG's structure differs from %s (go test ./chart -update, then review the diff)", path)
	}
	again, _ := SVG(fig.Plot)
	if !bytes.Equal(svg, again) {
		t.Error("the same chart renders differently twice")
	}
}

func TestWriteAll(t *testing.T) {
	for _, corrected := range []bool{false, true} {
		dir := t.TempDir()
		charts, err := Write(dir, sample(corrected))
		if err != nil {
			t.Fatal(err)
		}
		want := 4
		if corrected {
			want = 5 // and raw against corrected
		}
		if len(charts) != want {
			t.Fatalf("%d charts: %+v", len(charts), charts)
		}
		for _, c := range charts {
			svg, err := os.ReadFile(filepath.Join(dir, c.SVG))
			if err != nil || !bytes.HasPrefix(bytes.TrimSpace(svg), []byte("<?xml")) {
				t.Errorf("%s: %v", c.SVG, err)
			}
			structure(t, svg)
			f, err := os.Open(filepath.Join(dir, c.PNG))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", c.PNG, err)
			}
			w, h := float64(Width/vg.Inch)*DPI, float64(Height/vg.Inch)*DPI
			if b := img.Bounds(); math.Abs(float64(b.Dx())-w) > 1 || math.Abs(float64(b.Dy())-h) > 1 {
				t.Errorf("%s: %v", c.PNG, b)
			}
		}
	}
	empty, err := Figures(&report.Report{})
	if err != nil || len(empty) != 0 {
		t.Errorf("an empty report has charts: %v %v", empty, err)
	}
}
