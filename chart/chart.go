// Package chart draws a report's figures as charts, SVG and PNG from the
// same plot, with gonum.org/v1/plot: the shares of the categories per
// engine with their interval whiskers (raw and corrected side by side when
// the report has hand labels), the shares per period, the time-to-close
// curves and a category × severity heat map. Charts read the report's
// figures, never the data: they show what the tables show. Output is
// deterministic: the same report gives the same files.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/stats"
)

// Dir is the folder, beside the report, the charts are written into.
const Dir = "charts"

// Size of every chart.
const (
	Width  = 9 * vg.Inch
	Height = 4.8 * vg.Inch
	DPI    = 96
)

// colors of the series, in engine order (Okabe–Ito, safe for colour
// blindness).
var colors = []color.RGBA{
	{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255},
	{86, 180, 233, 255}, {213, 94, 0, 255}, {240, 228, 66, 255}, {0, 0, 0, 255},
}

func colorOf(i int) color.Color { return colors[i%len(colors)] }

// Figure is one chart: its id (the file name), title and plot.
type Figure struct {
	ID    string
	Title string
	Plot  *plot.Plot
}

// Figures builds every chart the report has figures for.
func Figures(r *report.Report) ([]Figure, error) {
	var out []Figure
	for _, f := range []func(*report.Report) (*Figure, error){Shares, RawCorrected, Trends, TimeToClose, SeverityHeatmap} {
		fig, err := f(r)
		if err != nil {
			return nil, err
		}
		if fig != nil {
			out = append(out, *fig)
		}
	}
	return out, nil
}

// Write draws every chart into dir/charts as SVG and PNG and returns them
// with paths relative to dir, for the report to link.
func Write(dir string, r *report.Report) ([]report.Chart, error) {
	figs, err := Figures(r)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, Dir), 0o755); err != nil {
		return nil, err
	}
	var out []report.Chart
	for _, f := range figs {
		svg, err := SVG(f.Plot)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", f.ID, err)
		}
		png, err := PNG(f.Plot)
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", f.ID, err)
		}
		c := report.Chart{ID: f.ID, Title: f.Title, SVG: Dir + "/" + f.ID + ".svg", PNG: Dir + "/" + f.ID + ".png"}
		for name, b := range map[string][]byte{c.SVG: svg, c.PNG: png} {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), b, 0o644); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// SVG renders a plot as SVG.
func SVG(p *plot.Plot) ([]byte, error) {
	c := vgsvg.New(Width, Height)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// PNG renders a plot as PNG.
func PNG(p *plot.Plot) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	return p
}

// whiskers draws points at ys with error bars from lo to hi at x
// positions xs, in one colour, with a legend entry.
func whiskers(p *plot.Plot, name string, xs, ys, lo, hi []float64, c color.Color, hollow bool) error {
	pts := make(plotter.XYs, len(xs))
	errs := make(plotter.YErrors, len(xs))
	for i := range xs {
		pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
		errs[i] = struct{ Low, High float64 }{ys[i] - lo[i], hi[i] - ys[i]}
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	s.GlyphStyle.Color = c
	s.GlyphStyle.Radius = vg.Points(3)
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	if hollow {
		s.GlyphStyle.Shape = draw.RingGlyph{}
	}
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{pts, errs})
	if err != nil {
		return err
	}
	eb.LineStyle.Color = c
	eb.LineStyle.Width = vg.Points(1)
	p.Add(eb, s)
	p.Legend.Add(name, s)
	return nil
}

// Shares: the share of bugs of each category, per engine and over all,
// with its 95% interval (corrected when the report has hand labels).
func Shares(r *report.Report) (*Figure, error) {
	if len(r.Categories) == 0 {
		return nil, nil
	}
	what := "share of bugs (95% CI, Wilson: sampling noise only)"
	if r.Estimation.Method == report.MethodPPI {
		what = "corrected share of bugs (95% CI, prediction-powered)"
	}
	p := newPlot("Bugs per category and engine", "", what)
	names := make([]string, len(r.Categories))
	for i, c := range r.Categories {
		names[i] = c.Name
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 8
	p.X.Tick.Label.XAlign = draw.XRight
	series := append([]string{"all"}, repos(r)...)
	width := 0.7 / float64(len(series))
	top := 0.0
	for k, repo := range series {
		var xs, ys, lo, hi []float64
		for i, c := range r.Categories {
			e := c.Estimate
			if repo != "all" {
				if x, ok := c.EstimateByRepo[repo]; ok {
					e = &x
				} else {
					e = nil
				}
			}
			if e == nil {
				continue
			}
			xs = append(xs, float64(i)+(float64(k)-float64(len(series)-1)/2)*width)
			ys, lo, hi = append(ys, e.Share), append(lo, e.Lo), append(hi, e.Hi)
		}
		if err := whiskers(p, engineName(r, repo), xs, ys, lo, hi, colorOf(k), false); err != nil {
			return nil, err
		}
		for _, h := range hi {
			top = math.Max(top, h)
		}
	}
	p.Y.Min, p.Y.Max = 0, math.Min(1, 1.25*top)
	return &Figure{ID: "shares", Title: "Bugs per category and engine, with 95% intervals", Plot: p}, nil
}

// RawCorrected sets each category's raw share (the classifier's) beside
// its corrected one, over all engines; only with hand labels.
func RawCorrected(r *report.Report) (*Figure, error) {
	if r.Estimation.Method != report.MethodPPI || len(r.Categories) == 0 {
		return nil, nil
	}
	p := newPlot("Raw and corrected shares of bugs", "", "share of bugs (95% CI)")
	names := make([]string, len(r.Categories))
	var xr, yr, lr, hr, xc, yc, lc, hc []float64
	for i, c := range r.Categories {
		names[i] = c.Name
		if c.Estimate == nil {
			continue
		}
		// The raw share's Wilson interval: sampling noise only.
		w := wilsonOf(c.Count.Count, r.Totals.Bugs)
		xr, yr, lr, hr = append(xr, float64(i)-0.15), append(yr, c.Share), append(lr, w[0]), append(hr, w[1])
		xc, yc, lc, hc = append(xc, float64(i)+0.15), append(yc, c.Estimate.Share), append(lc, c.Estimate.Lo), append(hc, c.Estimate.Hi)
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = math.Pi / 8
	p.X.Tick.Label.XAlign = draw.XRight
	if err := whiskers(p, "raw (classifier)", xr, yr, lr, hr, colorOf(1), true); err != nil {
		return nil, err
	}
	if err := whiskers(p, "corrected", xc, yc, lc, hc, colorOf(0), false); err != nil {
		return nil, err
	}
	p.Y.Min = 0
	return &Figure{ID: "shares_raw_corrected", Title: "Raw and corrected shares of bugs per category", Plot: p}, nil
}

// Trends: each category's share of the bugs per period, over all engines;
// sparse periods are drawn but their points are hollow.
func Trends(r *report.Report) (*Figure, error) {
	t := r.Trends
	if t == nil || len(t.Periods) < 2 {
		return nil, nil
	}
	p := newPlot("Share of bugs per "+t.Period, t.Period, "share of the period's bugs")
	p.NominalX(t.Periods...)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	index := map[string]int{}
	for i, per := range t.Periods {
		index[per] = i
	}
	k, maxShare := 0, 0.0
	for _, s := range t.Series {
		if s.Dimension != "category" || s.Repo != "all" {
			continue
		}
		var pts plotter.XYs
		for _, pt := range s.Points {
			if pt.Base > 0 {
				pts = append(pts, plotter.XY{X: float64(index[pt.Period]), Y: pt.Share})
				maxShare = math.Max(maxShare, pt.Share)
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color = colorOf(k), colorOf(k)
		sc.Radius = vg.Points(2)
		if s.ShareTrend != nil && s.ShareTrend.Significant {
			l.Width = vg.Points(2.5)
		} else {
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		}
		p.Add(l, sc)
		name := s.Name
		if s.ShareTrend != nil && s.ShareTrend.Significant {
			name += " (trend)"
		}
		p.Legend.Add(name, l)
		k++
	}
	// Headroom for the legend above the lines.
	p.Y.Min, p.Y.Max = 0, math.Min(1, 1.7*maxShare)
	return &Figure{ID: "trends", Title: "Share of bugs per category and " + t.Period + " (solid: a significant trend)", Plot: p}, nil
}

// TimeToClose: the Kaplan–Meier curves of the share of bugs still open,
// per engine, with the overall curve dashed.
func TimeToClose(r *report.Report) (*Figure, error) {
	tc := r.TimeToClose
	if tc == nil {
		return nil, nil
	}
	p := newPlot("Time to close a bug (Kaplan–Meier)", "days since the report", "share still open")
	curves := append([]report.KMSummary{tc.Overall}, tc.ByRepo...)
	for k, c := range curves {
		pts := make(plotter.XYs, len(c.Curve))
		for i, pt := range c.Curve {
			pts[i] = plotter.XY{X: pt.Days, Y: pt.Open}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep
		l.Color = colorOf(k)
		l.Width = vg.Points(1.5)
		if k == 0 {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			l.Color = color.Black
		}
		p.Add(l)
		p.Legend.Add(c.Name, l)
	}
	p.Y.Min, p.Y.Max = 0, 1
	return &Figure{ID: "time_to_close", Title: "Share of bugs still open, days after the report", Plot: p}, nil
}

// grid is the category × severity table for the heat map.
type grid struct {
	z [][]float64 // z[row][col]
}

func (g grid) Dims() (c, r int)   { return len(g.z[0]), len(g.z) }
func (g grid) Z(c, r int) float64 { return g.z[r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// SeverityHeatmap: the bugs of each category by severity (the
// classifier's labels), the count in each cell.
func SeverityHeatmap(r *report.Report) (*Figure, error) {
	sev := r.Severities.Values
	if len(sev) == 0 || len(r.Categories) == 0 {
		return nil, nil
	}
	idx := map[string]int{}
	var sevNames []string
	for j, s := range sev {
		idx[s.ID] = j
		sevNames = append(sevNames, s.Name)
	}
	g := grid{}
	var catNames []string
	maxZ := 0.0
	for _, c := range r.Categories {
		row := make([]float64, len(sev))
		for _, s := range c.Subcategories {
			for _, v := range s.Severities {
				if j, ok := idx[v.ID]; ok {
					row[j] += float64(v.Count)
				}
			}
		}
		for _, v := range row {
			maxZ = math.Max(maxZ, v)
		}
		g.z = append(g.z, row)
		catNames = append(catNames, c.Name)
	}
	p := newPlot("Bugs by category and severity", "severity", "")
	// Light for few bugs, dark red for many.
	heat := palette.Heat(12, 1).Colors()
	slices.Reverse(heat)
	pal := colorList(heat)
	hm := plotter.NewHeatMap(g, pal)
	hm.Min, hm.Max = 0, math.Max(1, maxZ)
	p.Add(hm)
	var lbl plotter.XYLabels
	for r := range g.z {
		for c, v := range g.z[r] {
			lbl.XYs = append(lbl.XYs, plotter.XY{X: float64(c), Y: float64(r)})
			lbl.Labels = append(lbl.Labels, fmt.Sprintf("%.0f", v))
		}
	}
	labels, err := plotter.NewLabels(lbl)
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
	}
	p.Add(labels)
	p.NominalX(sevNames...)
	p.NominalY(catNames...)
	return &Figure{ID: "severity_heatmap", Title: "Bugs by category and severity", Plot: p}, nil
}

func repos(r *report.Report) []string {
	out := make([]string, len(r.Engines))
	for i, e := range r.Engines {
		out[i] = e.Repo
	}
	return out
}

func engineName(r *report.Report, repo string) string {
	if repo == "all" {
		return "all engines"
	}
	for _, e := range r.Engines {
		if e.Repo == repo {
			return e.Name
		}
	}
	return repo
}

// colorList is a palette of fixed colours.
type colorList []color.Color

func (c colorList) Colors() []color.Color { return c }

// wilsonOf is the Wilson interval of the raw share k/n, as the report
// computes it without hand labels.
func wilsonOf(k, n int) [2]float64 {
	iv := stats.Wilson(float64(k), float64(n), report.Confidence)
	return [2]float64{iv.Lo, iv.Hi}
}
