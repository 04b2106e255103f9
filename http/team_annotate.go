package http

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/markdown"
	"github.com/bugscope/bugscope/study"
	"github.com/bugscope/bugscope/taxonomy"
)

// SourceWeb is the source of answers and decisions given in the browser.
const SourceWeb = "web"

type homeSample struct {
	study.SampleSummary
	Mine   int // answered by the signed-in rater
	Manage bool
}

type homeData struct {
	Samples []homeSample
	Raters  []study.Rater // admins only
	Draw    bool          // an admin may draw samples here
}

func (t *TeamPages) home(w http.ResponseWriter, r *http.Request) {
	// The dashboard's navigation bar links here: a visitor without a
	// session gets the way to sign in, a page like any other (200), and
	// nothing of the study's samples or raters. Every other page of the
	// team still answers 401 without a session.
	if sessionOf(r) == nil {
		t.render(w, r, http.StatusOK, "team_welcome", "Study team", nil)
		return
	}
	sess, ok := t.need(w, r, nil)
	if !ok {
		return
	}
	list, err := t.opt.Store.Samples(r.Context())
	if err != nil {
		t.fail(w, r, err)
		return
	}
	var d homeData
	for _, s := range list {
		if !sess.Rater.MayAnnotate(s.Name) {
			continue
		}
		d.Samples = append(d.Samples, homeSample{SampleSummary: s, Mine: s.Raters[sess.Rater.Name], Manage: sess.Rater.MayManage()})
	}
	if sess.Rater.MayManage() {
		d.Draw = t.opt.Draw != nil
		if d.Raters, err = t.opt.Team.List(r.Context()); err != nil {
			t.fail(w, r, err)
			return
		}
	}
	t.render(w, r, http.StatusOK, "team_home", "Your samples", d)
}

type samplePageData struct {
	Summary study.SampleSummary
	Mine    int
	Manage  bool
	Open    int // disagreements not settled (admins)
	Stale   int
}

func (t *TeamPages) samplePage(w http.ResponseWriter, r *http.Request) {
	req, ok := t.onSample(w, r, annotator)
	if !ok {
		return
	}
	ctx, name, sess := r.Context(), req.sample, req.sess
	list, err := t.opt.Store.Samples(ctx)
	if err != nil {
		t.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(list, func(s study.SampleSummary) bool { return s.Name == name })
	if i < 0 {
		t.fail(w, r, bugscope.Errorf(bugscope.ENotFound, "no sample %q", name))
		return
	}
	d := samplePageData{Summary: list[i], Mine: list[i].Raters[sess.Rater.Name], Manage: sess.Rater.MayManage()}
	if d.Manage {
		cases, err := req.svc.Cases(ctx, name, nil)
		if err != nil {
			t.fail(w, r, err)
			return
		}
		for _, c := range cases {
			switch caseStatus(c) {
			case "open":
				d.Open++
			case "stale":
				d.Stale++
			}
		}
	}
	t.render(w, r, http.StatusOK, "team_sample", "Sample "+name, d)
}

// optionView is one value a rater can choose.
type optionView struct {
	ID, Label, Desc string
	Key             string
	Header          bool // a group heading (selectable only when the dimension accepts groups)
	Selectable      bool
	Checked         bool
	Marks           string // who chose it (arbitration)
}

// dimView is one dimension of the answer form.
type dimView struct {
	ID, Name, Desc string
	Key            string // the key that opens it
	Multi          bool
	Scope          string
	AppliesWhen    string // JSON, for the script
	Applies        bool   // for the labels shown
	Disputed       bool   // arbitration: the raters differ
	Options        []optionView
}

// answerForm is the form of an answer (or a decision): its dimensions
// with the draft's values.
type answerForm struct {
	Dims       []dimView
	Confidence string
	Note       string
	Exclude    string // a listed reason, or "other"
	Other      string // the reason when not listed
	Reasons    []string
	Submission string
	MaxNote    int
}

func buildForm(tax *taxonomy.Taxonomy, a study.Answer, marks func(dim, value string) string) answerForm {
	f := answerForm{Confidence: a.Confidence, Note: a.Note, Reasons: study.ExcludeReasons(), Submission: study.NewToken(), MaxNote: study.MaxNote}
	if a.Excluded() {
		if slices.Contains(f.Reasons, a.ExcludeReason) {
			f.Exclude = a.ExcludeReason
		} else {
			f.Exclude, f.Other = "other", a.ExcludeReason
		}
	}
	for i, d := range tax.Dimensions {
		dv := dimView{ID: d.ID, Name: d.Name, Desc: d.Description, Multi: d.Multi, Scope: scopeText(d.AppliesWhen), Applies: tax.Applies(d, a.Labels)}
		if i < 9 {
			dv.Key = strconv.Itoa(i + 1)
		}
		if len(d.AppliesWhen) > 0 {
			b, _ := json.Marshal(d.AppliesWhen)
			dv.AppliesWhen = string(b)
		}
		for _, c := range study.Choices(d) {
			o := optionView{ID: c.ID, Label: c.Name, Desc: c.Description, Key: c.Key, Header: c.Header, Selectable: c.Selectable}
			if o.Selectable {
				o.Checked = slices.Contains(a.Labels[d.ID], o.ID)
				if marks != nil {
					o.Marks = marks(d.ID, o.ID)
				}
			}
			dv.Options = append(dv.Options, o)
		}
		f.Dims = append(f.Dims, dv)
	}
	return f
}

func scopeText(w map[string][]string) string {
	var parts []string
	for k, v := range w {
		parts = append(parts, k+" is "+strings.Join(v, " or "))
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return ""
	}
	return "only when " + strings.Join(parts, " and ")
}

// answerFromForm reads an answer from a posted form: labels (fields
// label.DIM, values of dimensions that do not apply dropped), the
// confidence, the note, and an exclusion (which drops the labels).
func answerFromForm(svc *study.Service, form url.Values, ref bugscope.IssueRef) study.Answer {
	a := study.Answer{Issue: ref, Labels: bugscope.Labels{}, Confidence: strings.TrimSpace(form.Get("confidence")),
		Note: strings.TrimSpace(strings.ReplaceAll(form.Get("note"), "\r\n", "\n"))}
	for _, d := range svc.Tax.Dimensions {
		for _, v := range form["label."+d.ID] {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(a.Labels[d.ID], v) {
				a.Labels[d.ID] = append(a.Labels[d.ID], v)
			}
		}
	}
	a.Labels = svc.Prune(a.Labels)
	switch ex := strings.TrimSpace(form.Get("exclude")); ex {
	case "":
	case "other":
		a.ExcludeReason = strings.TrimSpace(form.Get("exclude_other"))
		if a.ExcludeReason == "" {
			a.ExcludeReason = " " // refused by CheckAnswer: a blank reason
		}
	default:
		a.ExcludeReason = ex
	}
	if a.Excluded() {
		a.Labels = bugscope.Labels{}
		if a.Confidence == labelrec.High {
			a.Confidence = ""
		}
	}
	return a
}

// missing says what an answer still lacks, "" when it is complete: the
// single-valued dimensions that apply and have no value, as the
// terminal's save does.
func missing(svc *study.Service, a study.Answer) string {
	if a.Excluded() {
		return ""
	}
	miss := svc.Missing(a.Labels)
	if len(miss) == 0 && len(a.Labels) > 0 {
		return ""
	}
	what := strings.Join(miss, ", ")
	if what == "" {
		what = "a label"
	}
	return "not saved: " + what + " still to answer (or leave the issue out with a reason)"
}

type annotateData struct {
	Sample   string
	Rater    string
	Half     int
	Index    int // 1-based position among the rater's items
	Total    int
	Answered int
	Item     study.ItemState
	Detail   study.Detail
	Form     answerForm
	// Suggestion is shown only when asked for (suggest=1); Suggested
	// records in the answer that the rater looked.
	Suggestion *bugscope.Classification
	Suggested  bool
	Saved      string // the issue just saved, for the message
	Unchanged  bool
	AllDone    bool
	Error      string
	Prev, Next string // addresses
	NextOpen   string
	Tax        *taxonomy.Taxonomy
	// Body is the description as sanitised Markdown (markdown.Render); BodyCut
	// says it was too long to render whole.
	Body    template.HTML
	BodyCut bool
}

func halfOf(v string) int {
	h, _ := strconv.Atoi(v)
	if h != 1 && h != 2 {
		return 0
	}
	return h
}

// annotateAt is the address of an issue of the annotation page.
func annotateAt(sample string, ref bugscope.IssueRef, half int, extra url.Values) string {
	q := url.Values{"issue": {ref.String()}}
	if half != 0 {
		q.Set("half", strconv.Itoa(half))
	}
	for k, v := range extra {
		q[k] = v
	}
	return samplePath(sample, "annotate", q)
}

// nextOpen is the first item after i that the rater has not answered,
// wrapping around; -1 when every item is answered.
func nextOpen(items []study.ItemState, i int) int {
	for k := 1; k <= len(items); k++ {
		j := (i + k) % len(items)
		if items[j].Answer == nil {
			return j
		}
	}
	return -1
}

func (t *TeamPages) annotatePage(w http.ResponseWriter, r *http.Request) {
	t.showAnnotate(w, r, nil, "")
}

// showAnnotate renders the annotation page of the requested issue (the
// first unanswered without one); draft, when set, is an answer not saved
// for the reason problem.
func (t *TeamPages) showAnnotate(w http.ResponseWriter, r *http.Request, draft *study.Answer, problem string) {
	req, ok := t.onSample(w, r, annotator)
	if !ok {
		return
	}
	ctx, name, sess, svc := r.Context(), req.sample, req.sess, req.svc
	q := r.URL.Query()
	if draft != nil {
		q = r.PostForm
	}
	half := halfOf(q.Get("half"))
	items, err := svc.RaterItems(ctx, name, sess.Rater.Name, half)
	if err != nil {
		t.fail(w, r, err)
		return
	}
	if len(items) == 0 {
		t.fail(w, r, bugscope.Errorf(bugscope.ENotFound, "sample %q has no items to annotate", name))
		return
	}
	idx := -1
	if s := q.Get("issue"); s != "" {
		ref, ok := t.issueArg(w, r, s)
		if !ok {
			return
		}
		idx = slices.IndexFunc(items, func(it study.ItemState) bool { return it.Issue == ref })
		if idx < 0 {
			t.fail(w, r, bugscope.Errorf(bugscope.ENotFound, "issue %s is not in sample %q", ref, name))
			return
		}
	} else {
		idx = max(0, slices.IndexFunc(items, func(it study.ItemState) bool { return it.Answer == nil }))
	}
	it := items[idx]
	detail, err := svc.Detail(ctx, it.Issue)
	if err != nil {
		t.fail(w, r, err)
		return
	}
	a := study.Answer{Issue: it.Issue, Confidence: labelrec.High}
	if it.Answer != nil {
		a = study.Answer{Issue: it.Issue, Labels: it.Answer.Labels, Confidence: it.Answer.Confidence, Note: it.Answer.Note, ExcludeReason: it.Answer.ExcludeReason}
	}
	if draft != nil {
		a = *draft
	}
	d := annotateData{Sample: name, Rater: sess.Rater.Name, Half: half, Index: idx + 1, Total: len(items), Item: it, Detail: detail,
		Form: buildForm(svc.Tax, a, nil), Saved: q.Get("saved"), Unchanged: q.Get("unchanged") == "1", Error: problem, Tax: svc.Tax,
		Suggested: q.Get("suggested") == "1"}
	if draft != nil {
		d.Saved = ""
	}
	d.Body, d.BodyCut = markdown.Render(detail.Issue.Body)
	for _, x := range items {
		if x.Answer != nil {
			d.Answered++
		}
	}
	d.AllDone = d.Answered == len(items)
	if q.Get("suggest") == "1" {
		if d.Suggestion, err = svc.Suggestion(ctx, it.Issue); err != nil {
			t.fail(w, r, err)
			return
		}
		d.Suggested = true
	}
	if idx > 0 {
		d.Prev = annotateAt(name, items[idx-1].Issue, half, nil)
	}
	if idx < len(items)-1 {
		d.Next = annotateAt(name, items[idx+1].Issue, half, nil)
	}
	if j := nextOpen(items, idx); j >= 0 {
		d.NextOpen = annotateAt(name, items[j].Issue, half, nil)
	}
	status := http.StatusOK
	if problem != "" {
		status = http.StatusBadRequest
	}
	t.render(w, r, status, "team_annotate", "Annotate "+it.Issue.String(), d)
}

func (t *TeamPages) annotateSubmit(w http.ResponseWriter, r *http.Request) {
	req, ok := t.onSample(w, r, annotator)
	if !ok {
		return
	}
	ctx, name, sess, svc, form := r.Context(), req.sample, req.sess, req.svc, r.PostForm
	ref, ok := t.issueArg(w, r, form.Get("issue"))
	if !ok {
		return
	}
	a := answerFromForm(svc, form, ref)
	if msg := missing(svc, a); msg != "" {
		t.showAnnotate(w, r, &a, msg)
		return
	}
	source := SourceWeb
	if form.Get("suggested") == "1" {
		source += "+suggestion"
	}
	res, err := svc.Submit(ctx, name, sess.Rater.Name, a, source, form.Get("submission"))
	if bugscope.ErrorCode(err) == bugscope.EInvalid && form.Get("submission") != "" {
		t.showAnnotate(w, r, &a, "not saved: "+err.Error())
		return
	}
	if err != nil {
		t.fail(w, r, err)
		return
	}
	// On to the next issue the rater has not answered.
	half := halfOf(form.Get("half"))
	items, err := svc.RaterItems(ctx, name, sess.Rater.Name, half)
	if err != nil {
		t.fail(w, r, err)
		return
	}
	idx := slices.IndexFunc(items, func(it study.ItemState) bool { return it.Issue == ref })
	next := ref
	if j := nextOpen(items, max(idx, 0)); j >= 0 {
		next = items[j].Issue
	}
	extra := url.Values{"saved": {ref.String()}}
	if res.Saved == 0 {
		extra.Set("unchanged", "1")
	}
	http.Redirect(w, r, annotateAt(name, next, half, extra), http.StatusSeeOther)
}
