package http

import (
	"context"
	"encoding/json"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/bugscope/bugscope/triage"
)

// TriagePage is what the triage page shows (and its JSON twin serves):
// the overview of package triage and the configuration's modes.
type TriagePage struct {
	triage.Overview
	Modes map[string]string `json:"modes"`
}

// maxDecisionsShown bounds the decisions on the page.
const maxDecisionsShown = 200

// NewWebhookDashboard returns the handler of the triage page (/triage):
// HTML, or JSON for /triage?format=json or Accept: application/json.
// modes names each configuration entry's mode ("" when serve runs
// without --triage).
func NewWebhookDashboard(store triage.OverviewStore, modes map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "this page only reads", http.StatusMethodNotAllowed)
			return
		}
		p, err := triagePage(r.Context(), store, modes)
		if err != nil {
			http.Error(w, err.Error(), StatusOf(err))
			return
		}
		if r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(p)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := triageTmpl.Execute(w, p); err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	})
}

func triagePage(ctx context.Context, store triage.OverviewStore, modes map[string]string) (TriagePage, error) {
	o, err := triage.BuildOverview(ctx, store, maxDecisionsShown)
	return TriagePage{Overview: o, Modes: modes}, err
}

var triageTmpl = template.Must(template.New("triage").Funcs(template.FuncMap{
	"pct": func(x float64) string { return strconv.FormatFloat(math.Round(x*1000)/1000, 'f', -1, 64) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bugscope triage</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left}.go{color:#070;font-weight:bold}.no{color:#777}</style></head>
<body><h1>Triage</h1>
<p>Modes: {{range $e, $m := .Modes}}<code>{{$e}}</code> {{$m}}; {{else}}serve runs without --triage: decisions of <code>bugscope triage</code> only.{{end}}</p>
<h2>Go-live check</h2>
{{with .Gate}}<p>Check {{.ID}} of {{.CheckedAt.Format "2006-01-02 15:04"}} on {{.Gold}}: precision at least {{.Gate.MinPrecision}} and {{.Gate.MinExamples}} gold examples.</p>
<table><tr><th>entry</th><th>label</th><th>value</th><th>examples</th><th>predicted</th><th>precision</th><th>recall</th><th>verdict</th></tr>
{{range .Labels}}<tr><td>{{.Entry}}</td><td>{{.Label}}</td><td>{{.Dimension}}={{.Value}}</td><td>{{.Examples}}</td><td>{{.Predicted}}</td><td>{{pct .Precision}}</td><td>{{pct .Recall}}</td><td>{{if .Pass}}<span class="go">go live</span>{{else}}<span class="no">stays shadow</span>{{end}}</td></tr>
{{end}}</table>{{else}}<p>No check yet: <code>bugscope triage check --gold FILE.jsonl --config CONFIG.yaml</code>. In apply mode no label is applied before one passes.</p>{{end}}
<h2>Precision in use</h2>
{{if .InUse}}<table><tr><th>repository</th><th>label</th><th>applied</th><th>removed by maintainers</th><th>added by hand</th><th>precision in use</th></tr>
{{range .InUse}}<tr><td>{{.Repo}}</td><td>{{.Label}}</td><td>{{.Applied}}</td><td>{{.Removed}}</td><td>{{.Added}}</td><td>{{if .Applied}}{{pct .Precision}}{{else}}-{{end}}</td></tr>
{{end}}</table>{{else}}<p>No label applied yet.</p>{{end}}
<h2>Webhook queue</h2><p>{{range $s, $n := .Queue}}{{$s}} {{$n}}; {{else}}no delivery yet{{end}}</p>
<h2>Latest decisions</h2>
<table><tr><th>issue</th><th>title</th><th>mode</th><th>proposed</th><th>labels</th><th>similar</th></tr>
{{range .Decisions}}<tr><td><a href="/issues/{{.Issue.Repo}}/{{.Issue.Number}}">{{.Issue}}</a></td><td>{{.Title}}</td><td>{{.Mode}}{{with .Skipped}} (skipped: {{.}}){{end}}</td>
<td>{{range .Proposed}}{{.Dimension}}={{range $i, $v := .Values}}{{if $i}},{{end}}{{$v}}{{end}} ({{pct .Confidence}}) {{end}}</td>
<td>{{range .Labels}}{{.Label}}: {{.Status}}<br>{{end}}</td>
<td>{{range .Similar}}{{.Issue}}{{if .Duplicate}} (likely duplicate){{end}}<br>{{end}}</td></tr>
{{else}}<tr><td colspan="6">none yet</td></tr>{{end}}</table>
</body></html>
`))
