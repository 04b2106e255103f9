package http

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// confusionView is the confusion between two raters on one dimension:
// rows the first rater's values, columns the second's.
type confusionView struct {
	Dimension string
	Labels    []string
	Rows      []confusionRow
}

type confusionRow struct {
	Label  string
	Counts []confusionCell
}

type confusionCell struct {
	N    int
	Diag bool
}

type agreementData struct {
	Sample     string
	Ag         *study.Agreement
	Half       int
	RaterList  string
	Pairs      []string // "a,b" choices for the confusion with more raters
	Confusions []confusionView
	Halves     []int
	Waiting    string // why there are no figures yet
}

func (t *TeamPages) agreementPage(w http.ResponseWriter, r *http.Request) {
	req, ok := t.onSample(w, r, manager)
	if !ok {
		return
	}
	ctx, name, svc, q := r.Context(), req.sample, req.svc, r.URL.Query()
	opt := study.AgreementOptions{Subset: study.Subset{Half: halfOf(q.Get("half"))}, Bootstrap: metrics.BootstrapOptions{Resamples: t.opt.Resamples}}
	if s := strings.TrimSpace(q.Get("raters")); s != "" {
		opt.Raters = strings.Split(s, ",")
	}
	ag, err := t.agreement(ctx, svc, name, opt)
	if bugscope.ErrorCode(err) == bugscope.EConflict {
		// Fewer than two raters so far: the page waits for them.
		t.render(w, r, http.StatusOK, "team_agreement", "Agreement in "+name, agreementData{Sample: name, Waiting: err.Error(), Halves: []int{0, 1, 2}, Half: opt.Subset.Half})
		return
	}
	if err != nil {
		t.fail(w, r, err)
		return
	}
	d := agreementData{Sample: name, Ag: ag, Half: opt.Subset.Half, RaterList: strings.Join(opt.Raters, ","), Halves: []int{0, 1, 2}}
	if ag.Comparison != nil {
		d.Confusions = confusions(ag.Comparison)
	} else if len(ag.Raters) > 2 {
		for i, a := range ag.Raters {
			for _, b := range ag.Raters[i+1:] {
				d.Pairs = append(d.Pairs, a+","+b)
			}
		}
	}
	t.render(w, r, http.StatusOK, "team_agreement", "Agreement in "+name, d)
}

// agreementCache keeps the last agreement computed per sample and
// options with the answers it was computed from: the page refreshes
// itself every few seconds, and a bootstrap over a few hundred issues
// takes a second, so the figures are computed again only when an answer
// changed.
type agreementCache struct {
	mu      sync.Mutex
	entries map[string]agreementEntry
}

type agreementEntry struct {
	answers string // count and last id of the sample's answers
	ag      *study.Agreement
}

// maxAgreementEntries bounds the cache; when full, it starts again.
const maxAgreementEntries = 32

func (t *TeamPages) agreement(ctx context.Context, svc *study.Service, sample string, opt study.AgreementOptions) (*study.Agreement, error) {
	sm, err := svc.Store.GetSample(ctx, sample)
	if err != nil {
		return nil, err
	}
	all, err := svc.Store.Annotations(ctx, sample, study.AnnotationQuery{History: true})
	if err != nil {
		return nil, err
	}
	var last int64
	for _, a := range all {
		last = max(last, a.ID)
	}
	// A sample deleted and drawn again under its name has another time.
	version := fmt.Sprintf("%d/%d/%s", len(all), last, sm.CreatedAt.Format(time.RFC3339Nano))
	key := fmt.Sprintf("%s\x00%d\x00%s", sample, opt.Subset.Half, strings.Join(opt.Raters, ","))
	c := &t.agreements
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.answers == version {
		return e.ag, nil
	}
	ag, err := svc.Agreement(ctx, sample, opt)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxAgreementEntries {
		c.entries = map[string]agreementEntry{}
	}
	c.entries[key] = agreementEntry{answers: version, ag: ag}
	c.mu.Unlock()
	return ag, nil
}

// confusions are the confusion matrices of the single-valued dimensions
// of a two-rater comparison, at the value level.
func confusions(c *metrics.Comparison) []confusionView {
	var out []confusionView
	for _, d := range c.Dimensions {
		if d.Single == nil || d.Level == metrics.LevelGroup || len(d.Single.Confusion.Labels) == 0 {
			continue
		}
		cf := d.Single.Confusion
		v := confusionView{Dimension: d.Dimension, Labels: cf.Labels}
		for i, l := range cf.Labels {
			row := confusionRow{Label: l}
			for j := range cf.Labels {
				n := 0
				if i < len(cf.Counts) && j < len(cf.Counts[i]) {
					n = cf.Counts[i][j]
				}
				row.Counts = append(row.Counts, confusionCell{N: n, Diag: i == j})
			}
			v.Rows = append(v.Rows, row)
		}
		out = append(out, v)
	}
	return out
}

// caseRow is one dimension of a disagreement, every rater's values side
// by side.
type caseRow struct {
	Dimension string
	Disputed  bool
	Values    []string // by rater, in the case's order
}

type caseView struct {
	study.Case
	Status string // open, decided, stale
	Rows   []caseRow
	Notes  []string // by rater
	Conf   []string
	Link   string
}

type arbitrateData struct {
	Sample  string
	Cases   []caseView
	Open    int
	Current *caseView
	Detail  *study.Detail
	Form    answerForm
	Error   string
	Saved   string
	Take    string
	// Prev, Next and NextOpen are the addresses of the cases around the
	// current one, and of the next one still to settle.
	Prev, Next, NextOpen string
}

func caseStatus(c study.Case) string {
	switch {
	case c.Decision == nil:
		return "open"
	case c.Stale:
		return "stale"
	}
	return "decided"
}

func viewCase(sample string, tax *taxonomy.Taxonomy, c study.Case) caseView {
	v := caseView{Case: c, Status: caseStatus(c), Link: samplePath(sample, "arbitrate", url.Values{"issue": {c.Item.Issue.String()}})}
	excl := caseRow{Dimension: study.ExclusionDimension, Disputed: slices.Contains(c.Disagreements, study.ExclusionDimension)}
	for _, r := range c.Raters {
		a := c.Answers[r]
		if a.ExcludeReason != "" {
			excl.Values = append(excl.Values, "excluded: "+a.ExcludeReason)
		} else {
			excl.Values = append(excl.Values, "included")
		}
		v.Notes = append(v.Notes, a.Note)
		v.Conf = append(v.Conf, a.Confidence)
	}
	v.Rows = append(v.Rows, excl)
	for _, d := range tax.Dimensions {
		row := caseRow{Dimension: d.ID, Disputed: slices.Contains(c.Disagreements, d.ID)}
		any := false
		for _, r := range c.Raters {
			vals := c.Answers[r].Labels[d.ID]
			any = any || len(vals) > 0
			row.Values = append(row.Values, strings.Join(vals, ", "))
		}
		if any || row.Disputed {
			v.Rows = append(v.Rows, row)
		}
	}
	return v
}

func (t *TeamPages) arbitratePage(w http.ResponseWriter, r *http.Request) {
	t.showArbitrate(w, r, nil, "")
}

func (t *TeamPages) showArbitrate(w http.ResponseWriter, r *http.Request, draft *study.Answer, problem string) {
	req, ok := t.onSample(w, r, manager)
	if !ok {
		return
	}
	ctx, name, svc := r.Context(), req.sample, req.svc
	cases, err := svc.Cases(ctx, name, nil)
	if err != nil {
		t.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	if draft != nil {
		q = r.PostForm
	}
	d := arbitrateData{Sample: name, Error: problem, Saved: q.Get("saved")}
	for _, c := range cases {
		v := viewCase(name, svc.Tax, c)
		if v.Status != "decided" {
			d.Open++
		}
		d.Cases = append(d.Cases, v)
	}
	if s := q.Get("issue"); s != "" {
		ref, ok := t.issueArg(w, r, s)
		if !ok {
			return
		}
		i := slices.IndexFunc(d.Cases, func(c caseView) bool { return c.Item.Issue == ref })
		if i < 0 {
			t.fail(w, r, bugscope.Errorf(bugscope.ENotFound, "the raters do not disagree on %s in sample %q", ref, name))
			return
		}
		cur := d.Cases[i]
		d.Current = &cur
		if i > 0 {
			d.Prev = d.Cases[i-1].Link
		}
		if i < len(d.Cases)-1 {
			d.Next = d.Cases[i+1].Link
		}
		for k := 1; k < len(d.Cases); k++ {
			if c := d.Cases[(i+k)%len(d.Cases)]; c.Status != "decided" {
				d.NextOpen = c.Link
				break
			}
		}
		det, err := svc.Detail(ctx, ref)
		if err != nil {
			t.fail(w, r, err)
			return
		}
		d.Detail = &det
		a := study.Answer{Issue: ref, Labels: cur.Agreed}
		if cur.Decision != nil {
			a = study.Answer{Issue: ref, Labels: cur.Decision.Labels, Confidence: cur.Decision.Confidence, Note: cur.Decision.Note, ExcludeReason: cur.Decision.ExcludeReason}
		}
		if take := q.Get("take"); take != "" {
			ann, ok := cur.Answers[take]
			if !ok {
				t.fail(w, r, bugscope.Errorf(bugscope.ENotFound, "rater %q did not answer %s", take, ref))
				return
			}
			a = study.Answer{Issue: ref, Labels: ann.Labels, Confidence: ann.Confidence, Note: ann.Note, ExcludeReason: ann.ExcludeReason}
			d.Take = take
		}
		if draft != nil {
			a = *draft
		}
		d.Form = buildForm(svc.Tax, a, func(dim, value string) string {
			var who []string
			for _, r := range cur.Raters {
				if slices.Contains(cur.Answers[r].Labels[dim], value) {
					who = append(who, r)
				}
			}
			return strings.Join(who, ", ")
		})
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusBadRequest
	}
	t.render(w, r, status, "team_arbitrate", "Arbitrate "+name, d)
}

func (t *TeamPages) arbitrateSubmit(w http.ResponseWriter, r *http.Request) {
	req, ok := t.onSample(w, r, manager)
	if !ok {
		return
	}
	ctx, name, svc := r.Context(), req.sample, req.svc
	ref, ok := t.issueArg(w, r, r.PostForm.Get("issue"))
	if !ok {
		return
	}
	a := answerFromForm(svc, r.PostForm, ref)
	_, err := svc.SubmitDecision(ctx, name, req.sess.Rater.Name, a, SourceWeb, r.PostForm.Get("submission"))
	if bugscope.ErrorCode(err) == bugscope.EInvalid {
		t.showArbitrate(w, r, &a, "not saved: "+err.Error())
		return
	}
	if err != nil {
		t.fail(w, r, err)
		return
	}
	// On to the next case still to settle, else the list.
	cases, err := svc.Cases(ctx, name, nil)
	if err != nil {
		t.fail(w, r, err)
		return
	}
	q := url.Values{"saved": {ref.String()}}
	for _, c := range cases {
		if caseStatus(c) != "decided" {
			q.Set("issue", c.Item.Issue.String())
			break
		}
	}
	http.Redirect(w, r, samplePath(name, "arbitrate", q), http.StatusSeeOther)
}

// exportFiles are the files of a sample's export, as bugscope export
// --sample NAME -o NAME.jsonl (or .csv) writes them: the data file and
// its card, FILE.card.md and FILE.card.json.
func exportFile(sample, file string) (data, part string, ok bool) {
	for _, ext := range []string{".jsonl", ".csv"} {
		base := sample + ext
		switch file {
		case base:
			return base, "data", true
		case base + ".card.md":
			return base, "md", true
		case base + ".card.json":
			return base, "json", true
		}
	}
	return "", "", false
}

func (t *TeamPages) export(w http.ResponseWriter, r *http.Request) {
	req, ok := t.onSample(w, r, manager)
	if !ok {
		return
	}
	ctx, name, svc := r.Context(), req.sample, req.svc
	file := chi.URLParam(r, "file")
	data, part, ok := exportFile(name, file)
	if !ok {
		t.fail(w, r, bugscope.Errorf(bugscope.ENotFound, "no export file %q of sample %q (%s.jsonl, %s.csv and their .card.md, .card.json)", file, name, name, name))
		return
	}
	opt := study.ExportOptions{Partial: r.URL.Query().Get("partial") == "1", Now: t.opt.Now(), DataFile: data, CardFile: data + ".card.md"}
	ds, err := svc.Dataset(ctx, name, opt)
	if err != nil {
		t.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	ctype := "application/x-ndjson"
	switch {
	case part == "md":
		err, ctype = ds.Card.WriteMarkdown(&buf), "text/markdown; charset=utf-8"
	case part == "json":
		err, ctype = ds.Card.WriteJSON(&buf), "application/json"
	case strings.HasSuffix(data, ".csv"):
		err, ctype = ds.WriteCSV(&buf), "text/csv; charset=utf-8"
	default:
		err = ds.WriteJSONL(&buf)
	}
	if err != nil {
		t.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": file}))
	w.Write(buf.Bytes())
}
