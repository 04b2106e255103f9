package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/markdown"
	"github.com/bugscope/bugscope/report"
	"github.com/bugscope/bugscope/review"
	"github.com/bugscope/bugscope/taxonomy"
	"github.com/bugscope/bugscope/triage"
)

// PageSize is the default number of rows of one page of an issue list or
// of the review queue.
const PageSize = 50

// pages are the read-only routes; each is served as HTML at its path and
// as JSON at /api/ + path (or with Accept: application/json).
func (s *Server) pages(r chi.Router) {
	r.Get("/categories", s.reportPage(s.categories))
	r.Get("/categories/{group}", s.reportPage(s.category))
	r.Get("/categories/{group}/{sub}", s.reportPage(s.subcategory))
	r.Get("/issues", s.issues)
	r.Get("/issues/{owner}/{repo}/{number}", s.issue)
	r.Get("/search", s.search)
	r.Get("/trends", s.reportPage(s.trends))
	r.Get("/engines", s.reportPage(s.engines))
	r.Get("/time-to-close", s.reportPage(s.timeToClose))
	r.Get("/signatures", s.reportPage(s.signatures))
	r.Get("/environments", s.reportPage(s.environments))
	r.Get("/review", s.review)
}

func (s *Server) routes() {
	r := chi.NewRouter()
	r.Use(s.recoverer, secure, bounded, middleware.GetHead)
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		s.fail(w, req, bugscope.Errorf(bugscope.ENotFound, "no page at %s", req.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method "+req.Method+" not allowed: these pages only read", http.StatusMethodNotAllowed)
	})
	r.Group(func(r chi.Router) {
		r.Use(readOnly)
		r.Get("/", s.reportPage(s.overview))
		s.pages(r)
		r.Route("/api", func(r chi.Router) {
			r.Get("/", s.apiIndex)
			r.Get("/overview", s.reportPage(s.overview))
			s.pages(r)
		})
		r.Get("/charts/{id}.svg", s.chart)
		static, _ := fs.Sub(staticFS, "static")
		r.Handle("/static/*", http.StripPrefix("/static/", staticFiles(static)))
		r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("ok\n"))
		})
	})
	s.router = r
}

// staticFiles serves the embedded files, cached for an hour.
func staticFiles(fsys fs.FS) http.Handler {
	h := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// page is what the layout shows around a page's own data.
type page struct {
	Title string
	Nav   string
	// Query is the request's filter query (repo, since, until, state),
	// for links between pages that keep it.
	Query  template.URL
	Filter bugscope.IssueFilter
	Stale  bool
	// Refresh: the page reloads itself (figures being computed).
	Refresh bool
	Data    any
}

// render writes data as JSON (the API) or as the named page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name, title string, data any) {
	s.renderPage(w, r, view{name, title, data}, false)
}

// renderPage is render of a view whose figures may be stale: the page
// says so, the JSON in a header (X-Bugscope-Stale).
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, v view, stale bool) {
	name, title, data := v.name, v.title, v.data
	if stale {
		w.Header().Set("X-Bugscope-Stale", "true")
	}
	if wantsJSON(r) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(data); err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Vary", "Accept")
		w.Write(buf.Bytes())
		return
	}
	t := s.tmpl.pages[name]
	if t == nil {
		s.fail(w, r, bugscope.Errorf(bugscope.EInternal, "no template %q", name))
		return
	}
	f, _ := reportFilter(r.URL.Query())
	p := page{Title: title, Nav: name, Query: template.URL(filterQuery(f).Encode()), Filter: f, Stale: stale, Data: data} //nolint:gosec // encoded query
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	w.Write(buf.Bytes())
}

// errorBody is the JSON of an error response.
type errorBody struct {
	Error  string `json:"error"`
	Kind   string `json:"kind"`
	Status int    `json:"status"`
}

// fail answers with the error's status (StatusOf), as JSON or a page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	msg := publicMessage(err, status)
	computing := errors.Is(err, errComputing)
	if status >= 500 && !computing {
		s.logf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	body := errorBody{Error: msg, Kind: bugscope.ErrorCode(err), Status: status}
	if computing {
		w.Header().Set("Retry-After", "5")
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
		return
	}
	var buf bytes.Buffer
	if t := s.tmpl.pages["error"]; t != nil && t.Execute(&buf, page{Title: http.StatusText(status), Refresh: computing, Data: body}) == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		w.Write(buf.Bytes())
		return
	}
	http.Error(w, msg, status)
}

// reportFilter reads the report filters of a query: repo (repeated or
// comma-separated), since, until (dates), state.
func reportFilter(q url.Values) (bugscope.IssueFilter, error) {
	var f bugscope.IssueFilter
	for _, v := range q["repo"] {
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r == "" {
				continue
			}
			if err := bugscope.ValidateRepo(r); err != nil {
				return f, err
			}
			if !slices.Contains(f.Repos, r) {
				f.Repos = append(f.Repos, r)
			}
		}
	}
	slices.Sort(f.Repos)
	var err error
	if f.Since, err = queryDate(q, "since"); err != nil {
		return f, err
	}
	if f.Until, err = queryDate(q, "until"); err != nil {
		return f, err
	}
	switch st := q.Get("state"); st {
	case "", "all":
	case "open", "closed":
		f.State = st
	default:
		return f, bugscope.Errorf(bugscope.EInvalid, "state %q: want open, closed or all", st)
	}
	return f, nil
}

func queryDate(q url.Values, key string) (*time.Time, error) {
	s := strings.TrimSpace(q.Get(key))
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, bugscope.Errorf(bugscope.EInvalid, "%s %q: want YYYY-MM-DD", key, s)
}

// filterQuery is the query string of a report filter.
func filterQuery(f bugscope.IssueFilter) url.Values {
	q := url.Values{}
	for _, r := range f.Repos {
		q.Add("repo", r)
	}
	if f.Since != nil {
		q.Set("since", f.Since.Format("2006-01-02"))
	}
	if f.Until != nil {
		q.Set("until", f.Until.Format("2006-01-02"))
	}
	if f.State != "" {
		q.Set("state", f.State)
	}
	return q
}

// report returns the cached report of the request's filter, and whether
// it is stale (a new one is being built).
func (s *Server) report(r *http.Request) (*reportEntry, bugscope.IssueFilter, bool, error) {
	f, err := reportFilter(r.URL.Query())
	if err != nil {
		return nil, f, false, err
	}
	e, stale, err := s.reports.getStale(r.Context(), f)
	return e, f, stale, err
}

// view is a page to render: its template, title and data.
type view struct {
	name, title string
	data        any
}

// reportPage serves a page made from the cached report of the request's
// filter.
func (s *Server) reportPage(page func(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e, f, stale, err := s.report(r)
		if err == nil {
			var v view
			if v, err = page(r, e, f); err == nil {
				s.renderPage(w, r, v, stale)
				return
			}
		}
		s.fail(w, r, err)
	}
}

// Overview is the overview page's data: the report's own figures, under
// the report's JSON names.
type Overview struct {
	Title             string                     `json:"title"`
	GeneratedAt       time.Time                  `json:"generated_at"`
	Taxonomy          report.NameVer             `json:"taxonomy"`
	Classifier        report.NameVer             `json:"classifier"`
	Filters           report.Filters             `json:"filters"`
	Engines           []report.Engine            `json:"engines"`
	Totals            report.Totals              `json:"totals"`
	Coverage          report.Coverage            `json:"coverage"`
	Kinds             report.Distribution        `json:"kinds"`
	CategoryDimension string                     `json:"category_dimension"`
	Categories        []report.Category          `json:"categories"`
	RootCauses        report.Distribution        `json:"root_causes"`
	Severities        report.Distribution        `json:"severities"`
	Estimation        report.Estimation          `json:"estimation"`
	KeyFindings       []string                   `json:"key_findings"`
	Threats           []string                   `json:"threats_to_validity"`
	LowConfidence     int                        `json:"low_confidence_bugs"`
	Charts            []string                   `json:"charts"`
	CategoryBars      []Bar                      `json:"-"`
	Warnings          []string                   `json:"warnings,omitempty"`
	FilterQuery       template.URL               `json:"-"`
	EngineTotals      []engineTotal              `json:"-"`
	Accuracy          []report.DimensionAccuracy `json:"-"`
}

type engineTotal struct {
	Repo, Name   string
	Issues, Bugs int
}

func (s *Server) overview(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error) {
	rep := e.rep
	o := Overview{Title: rep.Title, GeneratedAt: rep.GeneratedAt, Taxonomy: rep.Taxonomy, Classifier: rep.Classifier,
		Filters: rep.Filters, Engines: rep.Engines, Totals: rep.Totals, Coverage: rep.Coverage, Kinds: rep.Kinds,
		CategoryDimension: rep.CategoryDimension, Categories: rep.Categories, RootCauses: rep.RootCauses,
		Severities: rep.Severities, Estimation: rep.Estimation, KeyFindings: rep.KeyFindings, Threats: rep.Threats,
		LowConfidence: rep.LowConfidence, Warnings: rep.Coverage.Warnings(), Accuracy: rep.Estimation.Accuracy}
	for id := range e.charts {
		o.Charts = append(o.Charts, id)
	}
	slices.Sort(o.Charts)
	for _, en := range rep.Engines {
		o.EngineTotals = append(o.EngineTotals, engineTotal{en.Repo, en.Name, rep.Totals.ByRepo[en.Repo], rep.Totals.BugsByRepo[en.Repo]})
	}
	o.CategoryBars = categoryBars(rep, f, "")
	return view{"overview", "Overview", o}, nil
}

// CategoriesPage lists the categories with their counts per engine.
type CategoriesPage struct {
	CategoryDimension string            `json:"category_dimension"`
	Engines           []report.Engine   `json:"engines"`
	Totals            report.Totals     `json:"totals"`
	Categories        []report.Category `json:"categories"`
	Chart             string            `json:"chart,omitempty"`
	Bars              []Bar             `json:"-"`
}

func (s *Server) categories(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error) {
	rep := e.rep
	return view{"categories", "Categories", CategoriesPage{rep.CategoryDimension, rep.Engines, rep.Totals, rep.Categories, chartPath(e, "shares", f), categoryBars(rep, f, "")}}, nil
}

// CategoryPage is one category group with its subcategories.
type CategoryPage struct {
	CategoryDimension string          `json:"category_dimension"`
	Engines           []report.Engine `json:"engines"`
	Totals            report.Totals   `json:"totals"`
	Category          report.Category `json:"category"`
	Bars              []Bar           `json:"-"`
	IssuesQuery       template.URL    `json:"-"`
}

func (s *Server) category(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error) {
	rep := e.rep
	id := chi.URLParam(r, "group")
	for _, c := range rep.Categories {
		if c.ID == id {
			q := filterQuery(f)
			q.Set(rep.CategoryDimension, c.ID)
			return view{"category", c.Name, CategoryPage{rep.CategoryDimension, rep.Engines, rep.Totals, c, categoryBars(rep, f, id), template.URL(q.Encode())}}, nil //nolint:gosec // encoded
		}
	}
	return view{}, bugscope.Errorf(bugscope.ENotFound, "no category %q in the report", id)
}

// SubcategoryPage is one subcategory with what is seen in its bugs.
type SubcategoryPage struct {
	CategoryDimension string             `json:"category_dimension"`
	Engines           []report.Engine    `json:"engines"`
	Totals            report.Totals      `json:"totals"`
	Group             report.Count       `json:"group"`
	Subcategory       report.Subcategory `json:"subcategory"`
	IssuesQuery       template.URL       `json:"-"`
}

func (s *Server) subcategory(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error) {
	rep := e.rep
	gid, sid := chi.URLParam(r, "group"), chi.URLParam(r, "sub")
	for _, c := range rep.Categories {
		if c.ID != gid {
			continue
		}
		for _, sc := range c.Subcategories {
			if sc.ID == sid {
				q := filterQuery(f)
				q.Set(rep.CategoryDimension, sc.ID)
				return view{"subcategory", sc.Name, SubcategoryPage{rep.CategoryDimension, rep.Engines, rep.Totals, c.Count, sc, template.URL(q.Encode())}}, nil //nolint:gosec // encoded
			}
		}
	}
	return view{}, bugscope.Errorf(bugscope.ENotFound, "no subcategory %q of %q in the report", sid, gid)
}

// Bar is one bar of a chart drawn in the page (SVG), linking to the issues
// behind it.
type Bar struct {
	Label string
	Count int
	Share string
	Href  template.URL
	Y     int
	Width int
}

// categoryBars are the bars of the category chart: the groups, or with
// group set its subcategories; each links to the filtered issue list.
func categoryBars(rep *report.Report, f bugscope.IssueFilter, group string) []Bar {
	type item struct {
		id, name string
		c        report.Count
	}
	var items []item
	for _, c := range rep.Categories {
		if group == "" {
			items = append(items, item{c.ID, c.Name, c.Count})
			continue
		}
		if c.ID == group {
			for _, sc := range c.Subcategories {
				items = append(items, item{sc.ID, sc.Name, sc.Count})
			}
		}
	}
	largest := 1
	for _, it := range items {
		largest = max(largest, it.c.Count)
	}
	bars := make([]Bar, 0, len(items))
	for i, it := range items {
		q := filterQuery(f)
		q.Set(rep.CategoryDimension, it.id)
		share := pct(it.c.Share)
		if e := it.c.Estimate; e != nil {
			share = pct(e.Share) + " " + interval(e)
		}
		bars = append(bars, Bar{Label: it.name, Count: it.c.Count, Share: share,
			Href: template.URL("/issues?" + q.Encode()), Y: i * 26, Width: 1 + 420*it.c.Count/largest}) //nolint:gosec // encoded
	}
	return bars
}

// IssuesPage is one page of an issue list with the form that filters it.
type IssuesPage struct {
	Query bugscope.IssueQuery `json:"query"`
	Total int                 `json:"total"`
	Page  int                 `json:"page"`
	Pages int                 `json:"pages"`
	Rows  []IssueRowView      `json:"rows"`
	Form  *issueForm          `json:"-"`
	Prev  template.URL        `json:"-"`
	Next  template.URL        `json:"-"`
	Sorts []string            `json:"-"`
}

// IssueRowView is a row of a list: the issue, its labels and, for a text
// query, the passage that matched.
type IssueRowView struct {
	bugscope.IssueRow
	Passage []Segment `json:"passage,omitempty"`
}

// issueForm is the filter form: each field's choices and current value.
type issueForm struct {
	Values  url.Values
	Engines []report.Engine
	Dims    []formDim
	Bands   []bugscope.ConfidenceBand
	Labels  []string
	Classes []string
	Signal  string
}

type formDim struct {
	ID, Name string
	Options  []formOption
}

type formOption struct{ ID, Name string }

// issueQuery reads an issue list's query: the report filters, a value of
// any dimension by its id (a category group stands for its values),
// confidence, classifier, label, signal (kind:value), q, sort, page.
func (s *Server) issueQuery(q url.Values) (bugscope.IssueQuery, int, error) {
	tax := s.opt.Taxonomy
	iq := bugscope.IssueQuery{Taxonomy: tax.Name, Limit: s.opt.PageSize}
	f, err := reportFilter(q)
	if err != nil {
		return iq, 0, err
	}
	for _, l := range q["label"] {
		if l = strings.TrimSpace(l); l != "" {
			f.Labels = append(f.Labels, l)
		}
	}
	iq.Filter = f
	for _, d := range tax.Dimensions {
		vals := q[d.ID]
		if len(vals) == 0 {
			continue
		}
		var want []string
		for _, v := range vals {
			if v == "" {
				continue
			}
			switch {
			case d.Group(v) != nil:
				for _, gv := range d.Group(v).Values {
					want = append(want, gv.ID)
				}
				if d.AcceptGroups {
					want = append(want, v)
				}
			case d.Accepts(v):
				want = append(want, v)
			default:
				return iq, 0, bugscope.Errorf(bugscope.EInvalid, "%s %q: not a value of the taxonomy %s", d.ID, v, tax.Name)
			}
		}
		if len(want) > 0 {
			if iq.Labels == nil {
				iq.Labels = map[string][]string{}
			}
			iq.Labels[d.ID] = want
		}
	}
	iq.Confidence = q.Get("confidence")
	if _, ok := bugscope.Band(iq.Confidence); iq.Confidence != "" && !ok {
		return iq, 0, bugscope.Errorf(bugscope.EInvalid, "confidence %q: want low, medium or high", iq.Confidence)
	}
	iq.Classifier = q.Get("classifier")
	if sig := q.Get("signal"); sig != "" {
		kind, value, ok := strings.Cut(sig, ":")
		if !ok || kind == "" || value == "" {
			return iq, 0, bugscope.Errorf(bugscope.EInvalid, "signal %q: want kind:value", sig)
		}
		iq.Signal = &bugscope.Signal{Kind: kind, Value: value}
	}
	iq.Text = strings.TrimSpace(q.Get("q"))
	iq.Sort = q.Get("sort")
	if iq.Sort != "" && !slices.Contains(bugscope.IssueSorts, iq.Sort) {
		return iq, 0, bugscope.Errorf(bugscope.EInvalid, "sort %q: want one of %s", iq.Sort, strings.Join(bugscope.IssueSorts, ", "))
	}
	pg := 1
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			return iq, 0, bugscope.Errorf(bugscope.EInvalid, "page %q: want a number from 1", p)
		}
		pg = n
	}
	iq.Offset = (pg - 1) * s.opt.PageSize
	return iq, pg, nil
}

func (s *Server) issues(w http.ResponseWriter, r *http.Request) {
	s.issueList(w, r, "issues", "Issues")
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	s.issueList(w, r, "search", "Search")
}

func (s *Server) issueList(w http.ResponseWriter, r *http.Request, name, title string) {
	q := r.URL.Query()
	iq, pg, err := s.issueQuery(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := IssuesPage{Query: iq, Page: pg, Rows: []IssueRowView{}, Sorts: bugscope.IssueSorts}
	if name == "search" && iq.Text == "" {
		p.Form = s.form(r.Context(), q)
		s.render(w, r, name, title, p)
		return
	}
	if err := s.ensureIndexes(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.opt.Store.BrowseIssues(r.Context(), iq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Total = list.Total
	p.Pages = (list.Total + s.opt.PageSize - 1) / s.opt.PageSize
	terms := bugscope.QueryTerms(iq.Text)
	for _, row := range list.Rows {
		v := IssueRowView{IssueRow: row}
		if iq.Text != "" {
			v.Passage = passage(row.Issue.Body, terms, 240)
			v.Issue.Body = ""
		}
		p.Rows = append(p.Rows, v)
	}
	if !wantsJSON(r) {
		p.Form = s.form(r.Context(), q)
		if pg > 1 {
			p.Prev = pageLink(r.URL.Path, q, pg-1)
		}
		if pg < p.Pages {
			p.Next = pageLink(r.URL.Path, q, pg+1)
		}
	}
	s.render(w, r, name, title, p)
}

func pageLink(path string, q url.Values, pg int) template.URL {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	c.Set("page", strconv.Itoa(pg))
	return template.URL(path + "?" + c.Encode()) //nolint:gosec // encoded
}

// form is the issue list's filter form, its choices from the taxonomy
// and the cached report.
func (s *Server) form(ctx context.Context, q url.Values) *issueForm {
	f := &issueForm{Values: q, Bands: bugscope.ConfidenceBands, Signal: q.Get("signal")}
	for _, d := range s.opt.Taxonomy.Dimensions {
		fd := formDim{ID: d.ID, Name: d.Name}
		for _, g := range d.Groups {
			fd.Options = append(fd.Options, formOption{g.ID, g.Name + " (all)"})
			for _, v := range g.Values {
				fd.Options = append(fd.Options, formOption{v.ID, "  " + v.Name})
			}
		}
		if len(d.Groups) == 0 {
			for _, v := range d.Values {
				fd.Options = append(fd.Options, formOption{v.ID, v.Name})
			}
		}
		f.Dims = append(f.Dims, fd)
	}
	if e, err := s.reports.get(ctx, bugscope.IssueFilter{}); err == nil {
		f.Engines = e.rep.Engines
		for _, c := range e.rep.Coverage.Classifiers {
			if !slices.Contains(f.Classes, c.Name) {
				f.Classes = append(f.Classes, c.Name)
			}
		}
	}
	f.Labels = s.labelNames(ctx)
	return f
}

// IssuePage is one issue with everything known of it.
type IssuePage struct {
	Issue           bugscope.Issue            `json:"issue"`
	GitHubURL       string                    `json:"github_url"`
	Classifications []bugscope.Classification `json:"classifications"`
	Signals         []bugscope.Signal         `json:"signals"`
	Fixes           []bugscope.Fix            `json:"fixes"`
	Similar         []triage.Similar          `json:"similar"`
	// SimilarPending: the repository's similar-issue index is being
	// built (Options.FirstWait passed); Similar is empty until it is.
	SimilarPending bool                 `json:"similar_pending,omitempty"`
	HandLabels     []bugscope.HandLabel `json:"hand_labels"`
	// Comments: the first MaxComments stored comments, oldest first;
	// MoreComments says that more are stored.
	Comments     []bugscope.Comment `json:"comments"`
	MoreComments bool               `json:"more_comments,omitempty"`

	Body     template.HTML `json:"-"`
	BodyCut  bool          `json:"-"`
	Marked   template.HTML `json:"-"`
	Title    template.HTML `json:"-"`
	Compare  []compareRow  `json:"-"`
	Columns  []string      `json:"-"`
	Evidence []evidenceRow `json:"-"`
	// CommentViews are the comments as shown: each body's first
	// MaxCommentBytes as sanitised Markdown.
	CommentViews []commentView `json:"-"`
}

type commentView struct {
	bugscope.Comment
	HTML template.HTML
	Cut  bool
}

type compareRow struct {
	Dimension string
	Cells     []string
}

type evidenceRow struct {
	Classifier string
	bugscope.Evidence
}

// MaxComments and MaxCommentBytes bound the comments an issue page shows:
// how many, and the part of each rendered (a thread of strangers' text).
const (
	MaxComments     = 50
	MaxCommentBytes = 16 << 10
)

// MaxSimilar bounds the similar issues an issue page lists.
const MaxSimilar = 10

// MaxMarkedBody bounds the source text shown with its evidence marked.
const MaxMarkedBody = 256 << 10

func (s *Server) issue(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(chi.URLParam(r, "number"))
	ref := bugscope.IssueRef{Repo: chi.URLParam(r, "owner") + "/" + chi.URLParam(r, "repo"), Number: n}
	if err != nil || n <= 0 || bugscope.ValidateRepo(ref.Repo) != nil {
		s.fail(w, r, bugscope.Errorf(bugscope.EInvalid, "issue %q: want /issues/owner/repo/number", r.URL.Path))
		return
	}
	ctx := r.Context()
	is, err := s.opt.Store.Issue(ctx, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := IssuePage{Issue: is, GitHubURL: safetextIssueURL(is, s.opt.LinkHosts)}
	if p.Classifications, err = s.opt.Store.ClassificationsOf(ctx, ref); err == nil {
		if p.Signals, err = s.opt.Store.Signals(ctx, ref); err == nil {
			var fixes map[bugscope.IssueRef][]bugscope.Fix
			if fixes, err = s.opt.Store.Fixes(ctx, bugscope.IssueFilter{Repos: []string{ref.Repo}, Number: ref.Number, IncludePulls: true}); err == nil {
				p.Fixes = fixes[ref]
				// The repository's index is built once per data version (a
				// repository of 33,000 issues takes a second).
				var ri *triage.RepoIndex
				if ri, err = s.similar.get(ctx, bugscope.IssueFilter{Repos: []string{ref.Repo}}); err == nil {
					// Unlike triage, which looks back from a new issue, the
					// page looks both ways: later issues are listed too.
					target := triage.CandidateOf(is, p.Signals)
					target.CreatedAt = nil
					p.Similar = ri.Similar(target, MaxSimilar)
				} else if errors.Is(err, errComputing) {
					p.SimilarPending, err = true, nil
				}
				if err == nil {
					if p.HandLabels, err = s.opt.Store.HandLabels(ctx, ref); err == nil {
						p.Comments, err = s.opt.Store.IssueComments(ctx, ref, MaxComments+1)
						if len(p.Comments) > MaxComments {
							p.Comments, p.MoreComments = p.Comments[:MaxComments], true
						}
					}
				}
			}
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Classifications = slices.DeleteFunc(p.Classifications, func(c bugscope.Classification) bool { return c.Taxonomy != s.opt.Taxonomy.Name })
	slices.SortStableFunc(p.Classifications, func(a, b bugscope.Classification) int {
		return bugscope.ClassifierRank(a.Classifier) - bugscope.ClassifierRank(b.Classifier)
	})
	p.Signals = nonNil(p.Signals)
	p.Fixes = nonNil(p.Fixes)
	p.Similar = nonNil(p.Similar)
	p.HandLabels = nonNil(p.HandLabels)
	p.Classifications = nonNil(p.Classifications)
	p.Comments = nonNil(p.Comments)
	if !wantsJSON(r) {
		p.Body, p.BodyCut = markdown.Render(is.Body)
		for _, c := range p.Comments {
			v := commentView{Comment: c}
			v.HTML, v.Cut = markdown.RenderMax(c.Body, MaxCommentBytes)
			p.CommentViews = append(p.CommentViews, v)
		}
		var bodySpans, titleSpans []span
		for _, c := range p.Classifications {
			bodySpans = append(bodySpans, evidenceSpans(is.Body, "body", c.Evidence, c.Classifier)...)
			titleSpans = append(titleSpans, evidenceSpans(is.Title, "title", c.Evidence, c.Classifier)...)
			for _, e := range c.Evidence {
				p.Evidence = append(p.Evidence, evidenceRow{c.Classifier, e})
			}
		}
		p.Marked = markText(is.Body, mergeSpans(bodySpans), MaxMarkedBody)
		p.Title = markText(is.Title, mergeSpans(titleSpans), 1<<10)
		p.Columns, p.Compare = compareLabels(s.opt.Taxonomy, p.Classifications, p.HandLabels)
	}
	s.render(w, r, "issue", is.Title, p)
}

// compareLabels lays every classifier's and person's labels side by side,
// one row per dimension.
func compareLabels(tax *taxonomy.Taxonomy, cs []bugscope.Classification, hs []bugscope.HandLabel) ([]string, []compareRow) {
	var cols []string
	var labels []bugscope.Labels
	for _, c := range cs {
		cols = append(cols, c.Classifier)
		labels = append(labels, c.Labels)
	}
	for _, h := range hs {
		who := h.Who + " (" + h.Sample + ")"
		if h.Final {
			who = "final: " + who
		}
		cols = append(cols, who)
		labels = append(labels, h.Labels)
	}
	var rows []compareRow
	for _, d := range tax.Dimensions {
		row := compareRow{Dimension: d.Name}
		for _, l := range labels {
			row.Cells = append(row.Cells, strings.Join(l[d.ID], ", "))
		}
		rows = append(rows, row)
	}
	return cols, rows
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// TrendsPage: the report's trends.
type TrendsPage struct {
	Trends  *report.Trends  `json:"trends"`
	Engines []report.Engine `json:"engines"`
	Chart   string          `json:"chart,omitempty"`
	Query   template.URL    `json:"-"`
}

func (s *Server) trends(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error) {
	return view{"trends", "Trends", TrendsPage{e.rep.Trends, e.rep.Engines, chartPath(e, "trends", f), template.URL(filterQuery(f).Encode())}}, nil //nolint:gosec // encoded
}

// chartPath is the address of a chart of the report, or "" when it has
// none.
func chartPath(e *reportEntry, id string, f bugscope.IssueFilter) string {
	if _, ok := e.charts[id]; !ok {
		return ""
	}
	p := "/charts/" + id + ".svg"
	if q := filterQuery(f).Encode(); q != "" {
		p += "?" + q
	}
	return p
}

// EnginesPage: the engines compared, dimension by dimension, and the
// patterns per engine.
type EnginesPage struct {
	Engines    []report.Engine         `json:"engines"`
	Totals     report.Totals           `json:"totals"`
	Comparison []report.Comparison     `json:"engine_comparison"`
	Patterns   []report.EnginePatterns `json:"patterns"`
	Heatmap    string                  `json:"severity_heatmap_chart,omitempty"`
	Shares     string                  `json:"shares_chart,omitempty"`
}

func (s *Server) engines(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error) {
	rep := e.rep
	return view{"engines", "Engines compared", EnginesPage{rep.Engines, rep.Totals, nonNil(rep.EngineComparison), nonNil(rep.Patterns),
		chartPath(e, "severity_heatmap", f), chartPath(e, "shares", f)}}, nil
}

// TimeToClosePage: Kaplan–Meier curves, attention and fix effort.
type TimeToClosePage struct {
	TimeToClose *report.TimeToClose        `json:"time_to_close"`
	Attention   []report.Attention         `json:"attention"`
	FixEffort   []report.CategoryFixEffort `json:"fix_effort"`
	Chart       string                     `json:"chart,omitempty"`
}

func (s *Server) timeToClose(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error) {
	rep := e.rep
	return view{"timetoclose", "Time to close", TimeToClosePage{rep.TimeToClose, nonNil(rep.Attention), nonNil(rep.FixEffort), chartPath(e, "time_to_close", f)}}, nil
}

// SignalsPage lists extracted signals, each linked to its issues.
type SignalsPage struct {
	Engines []report.Engine `json:"engines"`
	Groups  []SignalGroup   `json:"groups"`
}

// SignalGroup is one kind of signal with its most frequent values.
type SignalGroup struct {
	Kind   string               `json:"kind"`
	Name   string               `json:"name"`
	Values []report.SignalCount `json:"values"`
}

func (s *Server) signatures(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error) {
	rep := e.rep
	return view{"signals", "Error signatures", SignalsPage{rep.Engines, []SignalGroup{
		{bugscope.SignalErrorSignature, "Error signatures", nonNil(rep.Signatures)},
		{bugscope.SignalException, "Exceptions", nonNil(rep.Exceptions)},
	}}}, nil
}

func (s *Server) environments(r *http.Request, e *reportEntry, f bugscope.IssueFilter) (view, error) {
	rep := e.rep
	return view{"signals", "Where the bugs run", SignalsPage{rep.Engines, []SignalGroup{
		{bugscope.SignalGPU, "GPUs", nonNil(rep.Hardware)},
		{bugscope.SignalBackend, "Back ends", nonNil(rep.Backends)},
		{bugscope.SignalOS, "Operating systems", nonNil(rep.Systems)},
	}}}, nil
}

// ReviewPage is one page of the review queue.
type ReviewPage struct {
	Final         string       `json:"final"`
	Issues        int          `json:"issues"`
	Disagreements int          `json:"disagreements"`
	Page          int          `json:"page"`
	Pages         int          `json:"pages"`
	Items         []reviewItem `json:"items"`
	Prev          template.URL `json:"-"`
	Next          template.URL `json:"-"`
}

func (s *Server) review(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := reportFilter(q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := 1
	if p := q.Get("page"); p != "" {
		if pg, err = strconv.Atoi(p); err != nil || pg < 1 {
			s.fail(w, r, bugscope.Errorf(bugscope.EInvalid, "page %q: want a number from 1", p))
			return
		}
	}
	e, err := s.reviews.get(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	paged := e.total
	if s.opt.ReviewItems == nil {
		paged = len(e.items)
	}
	p := ReviewPage{Final: e.final, Issues: e.total, Disagreements: e.disagreements, Page: pg,
		Pages: (paged + s.opt.PageSize - 1) / s.opt.PageSize, Items: []reviewItem{}}
	from := min((pg-1)*s.opt.PageSize, paged)
	to := min(from+s.opt.PageSize, paged)
	items, err := s.reviewItems(r.Context(), e, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, it := range items {
		p.Items = append(p.Items, newReviewItem(s.opt.Taxonomy, it))
	}
	if pg > 1 {
		p.Prev = pageLink("/review", q, pg-1)
	}
	if pg < p.Pages {
		p.Next = pageLink("/review", q, pg+1)
	}
	s.render(w, r, "review", "Review queue", p)
}

// reviewItems returns the items from to to of a review queue: kept, or
// beyond the kept ones, built again from their issues (an item depends on
// its issue's classifications alone; one whose issue is gone since is
// left out), in the queue's order.
func (s *Server) reviewItems(ctx context.Context, e *reviewEntry, from, to int) ([]review.Item, error) {
	if to <= len(e.items) {
		return e.items[from:to], nil
	}
	refs := make([]bugscope.IssueRef, 0, to-from)
	at := map[string]int{}
	for i, id := range e.order[from:to] {
		ref, err := bugscope.ParseIssueRef(id)
		if err != nil {
			return nil, err
		}
		refs, at[id] = append(refs, ref), i
	}
	items, err := s.opt.ReviewItems(ctx, e.final, refs)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(items, func(a, b review.Item) int { return at[a.Issue] - at[b.Issue] })
	return items, nil
}

// chart serves one of the report's charts as SVG.
func (s *Server) chart(w http.ResponseWriter, r *http.Request) {
	e, _, _, err := s.report(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	svg, ok := e.charts[chi.URLParam(r, "id")]
	if !ok {
		s.fail(w, r, bugscope.Errorf(bugscope.ENotFound, "no chart %q in the report", chi.URLParam(r, "id")))
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(svg)
}

// apiIndex lists the API's routes.
func (s *Server) apiIndex(w http.ResponseWriter, r *http.Request) {
	// The routes are read off the router, so the list cannot go stale.
	var routes []string
	chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(route, "/*") // a mounted page (triage)
		if method == http.MethodGet && strings.HasPrefix(route, "/api/") && !slices.Contains(routes, route) {
			routes = append(routes, route)
		}
		return nil
	})
	slices.Sort(routes)
	s.render(w, r, "", "", map[string]any{"routes": routes})
}

func safetextIssueURL(is bugscope.Issue, hosts []string) string {
	return safetext.IssueURL(is.Repo, is.Number, is.URL, hosts...)
}

// reviewItem is a review queue item (as bugscope review --json prints it)
// with its rows for the page: each disputed dimension (or every decided
// one) with both sides' values and evidence.
type reviewItem struct {
	review.Item
	Rows []reviewRow `json:"-"`
}

type reviewRow struct {
	Dimension     string
	Disputed      bool
	Final         string
	Rules, Model  string
	RulesEvidence []string
	ModelEvidence []string
}

func newReviewItem(tax *taxonomy.Taxonomy, it review.Item) reviewItem {
	ri := reviewItem{Item: it}
	disputed := map[string]bool{}
	for _, d := range it.Disagreements {
		disputed[d.Dimension] = true
	}
	for _, d := range tax.Dimensions {
		has := func(dec *review.Decision) bool { return dec != nil && len(dec.Labels[d.ID]) > 0 }
		if !disputed[d.ID] && len(disputed) > 0 || !has(it.Final) && !has(it.Rules) && !has(it.Model) {
			continue
		}
		row := reviewRow{Dimension: d.Name, Disputed: disputed[d.ID]}
		if it.Final != nil {
			row.Final = strings.Join(it.Final.Labels[d.ID], ", ")
		}
		if it.Rules != nil {
			row.Rules = strings.Join(it.Rules.Labels[d.ID], ", ")
			row.RulesEvidence = evidenceLines(it.Rules.EvidenceFor(d.ID), 3)
		}
		if it.Model != nil {
			row.Model = strings.Join(it.Model.Labels[d.ID], ", ")
			row.ModelEvidence = evidenceLines(it.Model.EvidenceFor(d.ID), 3)
		}
		ri.Rows = append(ri.Rows, row)
	}
	return ri
}

func evidenceLines(evs []bugscope.Evidence, n int) []string {
	var out []string
	for i, e := range evs {
		if i == n {
			break
		}
		out = append(out, e.String())
	}
	return out
}
