package http

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/preset"
	"github.com/bugscope/bugscope/report"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// templates holds one template set per page, each with the layout.
type templates struct {
	pages map[string]*template.Template
}

func parseTemplates() (*templates, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "parts" {
			continue
		}
		p, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		t.pages[base] = p
	}
	return t, nil
}

var funcs = template.FuncMap{
	"pct":      pct,
	"interval": interval,
	"date":     date,
	"inputDate": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"days":   days,
	"num":    num,
	"pval":   pval,
	"engine": preset.DisplayName,
	"issuePath": func(repo string, number int) string {
		return "/issues/" + repo + "/" + strconv.Itoa(number)
	},
	"refPath": func(r bugscope.IssueRef) string { return "/issues/" + r.Repo + "/" + strconv.Itoa(r.Number) },
	"github":  func(is bugscope.Issue) string { return safetext.IssueURL(is.Repo, is.Number, is.URL) },
	"join":    strings.Join,
	"signal": func(kind, value string) string {
		return "/issues?" + url.Values{"signal": {kind + ":" + value}}.Encode()
	},
	"byRepo": func(m map[string]int, repo string) int { return m[repo] },
	"add":    func(a, b int) int { return a + b },
	"estByRepo": func(m map[string]report.Estimate, repo string) *report.Estimate {
		if e, ok := m[repo]; ok {
			return &e
		}
		return nil
	},
	"sortedKeys": func(m map[string]int) []string {
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	},
	"labelsOf":   func(l bugscope.Labels, dim string) string { return strings.Join(l[dim], ", ") },
	"safeText":   safetext.Line,
	"list":       func(xs ...any) []any { return xs },
	"navPages":   func() []navPage { return navigation },
	"otherPages": func() []navPage { return otherPages },
	"barsHeight": func(bs []Bar) int {
		return 26*len(bs) + 4
	},
	"refPathString": func(ref string) string {
		r, err := bugscope.ParseIssueRef(ref)
		if err != nil {
			return "/issues"
		}
		return "/issues/" + r.Repo + "/" + strconv.Itoa(r.Number)
	},
}

// navPage is an entry of the navigation bar.
type navPage struct{ Name, Path, Title string }

var navigation = []navPage{
	{"overview", "/", "Overview"},
	{"categories", "/categories", "Categories"},
	{"issues", "/issues", "Issues"},
	{"search", "/search", "Search"},
	{"trends", "/trends", "Trends"},
	{"engines", "/engines", "Engines compared"},
	{"timetoclose", "/time-to-close", "Time to close"},
	{"signals", "/signatures", "Error signatures"},
	{"environments", "/environments", "Where the bugs run"},
	{"review", "/review", "Review queue"},
}

// otherPages are the navigation bar's pages the report's filter does not
// apply to: mounted by bugscope serve (Server.MountTriage, TeamPages).
var otherPages = []navPage{
	{"triage", "/triage", "Triage"},
	{"team", "/team", "Study team"},
}

func pct(x float64) string { return strconv.FormatFloat(100*x, 'f', 1, 64) + "%" }

func interval(e *report.Estimate) string {
	if e == nil {
		return ""
	}
	return "[" + pct(e.Lo) + ", " + pct(e.Hi) + "]"
}

func date(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02")
}

func days(d *float64) string {
	if d == nil {
		return "—"
	}
	return strconv.FormatFloat(*d, 'f', 1, 64)
}

func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

func pval(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}
