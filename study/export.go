package study

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/internal/safetext"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/taxonomy"
)

// ExportOptions control Dataset.
type ExportOptions struct {
	// Raters whose answers make the final labels; default every rater.
	Raters []string
	// Partial leaves out pending (unsettled) and unrated items, and marks
	// stale decisions (StatusStale), instead of refusing to export.
	Partial bool
	// Files names the data and card files, for the card's own record.
	DataFile, CardFile string
	Now                time.Time
	Bootstrap          metrics.BootstrapOptions
}

// Dataset is a sample's benchmark: the final answer on every resolved
// item with the issue's metadata, and its data card.
type Dataset struct {
	Card   Card                                 `json:"card"`
	Finals []Final                              `json:"-"`
	Issues map[bugscope.IssueRef]bugscope.Issue `json:"-"`
	tax    *taxonomy.Taxonomy
}

// Card describes a benchmark dataset: where its issues come from, how
// they were sampled, who labelled them, how far the raters agreed, and
// what the labels mean.
type Card struct {
	Dataset    string    `json:"dataset"`
	Tool       string    `json:"tool"`
	ExportedAt time.Time `json:"exported_at"`
	DataFile   string    `json:"data_file,omitempty"`
	CardFile   string    `json:"card_file,omitempty"`

	Taxonomy        string `json:"taxonomy"`
	TaxonomyVersion string `json:"taxonomy_version"`
	TaxonomyTitle   string `json:"taxonomy_title"`
	TaxonomySource  string `json:"taxonomy_source"`

	SampleCreated time.Time `json:"sample_created_at"`
	Method        string    `json:"method"`
	Params        Params    `json:"sampling"`

	Items       CardItems        `json:"items"`
	Raters      []CardRater      `json:"raters"`
	Arbitrators []CardArbitrator `json:"arbitrators"`
	// Agreement on every item, and on the second half alone (the source
	// study's agreement set) when the sample has halves.
	Agreement []CardAgreement `json:"agreement"`
	// Labels counts the final values of each dimension over the included
	// items.
	Labels []CardDistribution `json:"labels"`
	// Dimensions are the taxonomy's, for readers of the data file.
	Dimensions []CardDimension `json:"dimensions"`
}

// CardItems counts the sample's items by their final state.
type CardItems struct {
	Sample     int            `json:"sample"`
	Exported   int            `json:"exported"`
	Included   int            `json:"included"`
	Excluded   int            `json:"excluded"`
	ExcludedBy map[string]int `json:"excluded_by_reason"`
	ByStatus   map[string]int `json:"by_status"`
	Pending    int            `json:"pending_left_out"`
	Unrated    int            `json:"unrated_left_out"`
	Stale      int            `json:"stale_decisions"`
}

// CardRater is one rater's share of the work.
type CardRater struct {
	Name     string    `json:"name"`
	Answered int       `json:"answered"`
	Excluded int       `json:"excluded"`
	Sources  []string  `json:"sources"`
	First    time.Time `json:"first_answer"`
	Last     time.Time `json:"last_answer"`
}

// CardArbitrator is one arbitrator's share.
type CardArbitrator struct {
	Name      string `json:"name"`
	Decisions int    `json:"decisions"`
}

// CardAgreement is the agreement on one subset.
type CardAgreement struct {
	Subset     string         `json:"subset"`
	Raters     []string       `json:"raters"`
	Items      int            `json:"items"`
	Scored     int            `json:"scored"`
	Inclusion  Inclusion      `json:"inclusion"`
	Dimensions []DimAgreement `json:"dimensions"`
}

// CardDistribution counts one dimension's final values.
type CardDistribution struct {
	Dimension string       `json:"dimension"`
	Counts    []ValueCount `json:"counts"`
}

// ValueCount is how many items got a value.
type ValueCount struct {
	Value string `json:"value"`
	Name  string `json:"name"`
	N     int    `json:"n"`
}

// CardDimension describes one dimension of the data file.
type CardDimension struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Multi       bool                `json:"multi"`
	Ordinal     bool                `json:"ordinal"`
	AppliesWhen map[string][]string `json:"applies_when,omitempty"`
	Values      []string            `json:"values"`
}

// Dataset assembles a sample's benchmark. Unless opt.Partial, it refuses
// while items are pending or unrated, naming how many.
func (s *Service) Dataset(ctx context.Context, sample string, opt ExportOptions) (*Dataset, error) {
	sm, err := s.Load(ctx, sample)
	if err != nil {
		return nil, err
	}
	finals, err := s.Finals(ctx, sample, opt.Raters)
	if err != nil {
		return nil, err
	}
	now := opt.Now
	if now.IsZero() {
		now = s.now()
	}
	ds := &Dataset{Issues: map[bugscope.IssueRef]bugscope.Issue{}, tax: s.Tax}
	c := &ds.Card
	*c = Card{Dataset: sample, Tool: "bugscope", ExportedAt: now.UTC(), DataFile: opt.DataFile, CardFile: opt.CardFile,
		Taxonomy: s.Tax.Name, TaxonomyVersion: s.Tax.Version, TaxonomyTitle: s.Tax.Title, TaxonomySource: s.Tax.Source,
		SampleCreated: sm.CreatedAt, Method: sm.Method, Params: sm.Params,
		Items:  CardItems{Sample: len(finals), ExcludedBy: map[string]int{}, ByStatus: map[string]int{}},
		Raters: []CardRater{}, Arbitrators: []CardArbitrator{}, Agreement: []CardAgreement{}}
	for _, f := range finals {
		switch f.Status {
		case StatusPending:
			c.Items.Pending++
			continue
		case StatusUnrated:
			c.Items.Unrated++
			continue
		}
		if f.Stale {
			c.Items.Stale++
			f.Status = StatusStale
		}
		c.Items.ByStatus[f.Status]++
		if f.Excluded() {
			c.Items.Excluded++
			c.Items.ExcludedBy[f.ExcludeReason]++
		} else {
			c.Items.Included++
		}
		ds.Finals = append(ds.Finals, f)
	}
	if (c.Items.Pending > 0 || c.Items.Unrated > 0 || c.Items.Stale > 0) && !opt.Partial {
		return nil, bugscope.Errorf(bugscope.EConflict, "sample %q is not finished: %d items with a disagreement to arbitrate, %d with a stale decision (a rater changed an answer after it), %d without any answer; settle them (bugscope arbitrate) or export what is final with --partial",
			sample, c.Items.Pending, c.Items.Stale, c.Items.Unrated)
	}
	c.Items.Exported = len(ds.Finals)
	for _, f := range ds.Finals {
		is, err := s.Store.Issue(ctx, f.Item.Issue)
		if err != nil {
			return nil, err
		}
		is.Body = "" // the dataset links to the issue; the text stays on GitHub
		ds.Issues[f.Item.Issue] = is
	}
	if err := s.cardPeople(ctx, sample, opt.Raters, c); err != nil {
		return nil, err
	}
	if len(c.Raters) >= 2 {
		subsets := []Subset{{}}
		if sm.Method != MethodExplicit {
			subsets = append(subsets, Subset{Half: 2})
		}
		for _, sub := range subsets {
			ag, err := s.Agreement(ctx, sample, AgreementOptions{Raters: opt.Raters, Subset: sub, Bootstrap: opt.Bootstrap})
			if err != nil {
				return nil, err
			}
			c.Agreement = append(c.Agreement, CardAgreement{Subset: ag.Subset, Raters: ag.Raters, Items: ag.Items, Scored: ag.Scored,
				Inclusion: ag.Inclusion, Dimensions: ag.Dimensions})
		}
	}
	for _, d := range s.Tax.Dimensions {
		cd := CardDimension{ID: d.ID, Name: d.Name, Multi: d.Multi, Ordinal: d.Ordinal, AppliesWhen: d.AppliesWhen, Values: []string{}}
		for _, v := range metrics.ValueOrder(d) {
			cd.Values = append(cd.Values, v)
		}
		c.Dimensions = append(c.Dimensions, cd)
		dist := CardDistribution{Dimension: d.ID, Counts: []ValueCount{}}
		count := map[string]int{}
		for _, f := range ds.Finals {
			if !f.Excluded() {
				for _, v := range f.Labels[d.ID] {
					count[v]++
				}
			}
		}
		for _, v := range metrics.ValueOrder(d) {
			if count[v] > 0 {
				name := v
				if x := d.Value(v); x != nil {
					name = x.Name
				} else if g := d.Group(v); g != nil {
					name = g.Name
				}
				dist.Counts = append(dist.Counts, ValueCount{Value: v, Name: name, N: count[v]})
			}
		}
		c.Labels = append(c.Labels, dist)
	}
	return ds, nil
}

func (s *Service) cardPeople(ctx context.Context, sample string, chosen []string, c *Card) error {
	raters, _, err := s.answers(ctx, sample, chosen)
	if err != nil {
		return err
	}
	hist, err := s.Store.Annotations(ctx, sample, AnnotationQuery{History: true})
	if err != nil {
		return err
	}
	latest, err := s.Store.Annotations(ctx, sample, AnnotationQuery{})
	if err != nil {
		return err
	}
	by := map[string]*CardRater{}
	for _, r := range raters {
		c.Raters = append(c.Raters, CardRater{Name: r, Sources: []string{}})
	}
	for i := range c.Raters {
		by[c.Raters[i].Name] = &c.Raters[i]
	}
	for _, a := range hist {
		cr := by[a.Rater]
		if cr == nil {
			continue
		}
		if cr.First.IsZero() || a.CreatedAt.Before(cr.First) {
			cr.First = a.CreatedAt
		}
		if a.CreatedAt.After(cr.Last) {
			cr.Last = a.CreatedAt
		}
		if !slices.Contains(cr.Sources, a.Source) && a.Source != "" {
			cr.Sources = append(cr.Sources, a.Source)
		}
	}
	for _, a := range latest {
		if cr := by[a.Rater]; cr != nil {
			cr.Answered++
			if a.ExcludeReason != "" {
				cr.Excluded++
			}
		}
	}
	arbs, err := s.Store.Arbitrations(ctx, sample, false)
	if err != nil {
		return err
	}
	count := map[string]int{}
	for _, a := range arbs {
		count[a.Arbitrator]++
	}
	for _, name := range sortedKeys(count) {
		c.Arbitrators = append(c.Arbitrators, CardArbitrator{Name: name, Decisions: count[name]})
	}
	return nil
}

// Record is the label record of one final answer: the final labels, with
// the issue's metadata and every rater's answer as extras (x_ keys), so
// that labelrec.Read and bugscope eval read the file as gold labels.
func (ds *Dataset) Record(f Final) (labelrec.Record, error) {
	is := ds.Issues[f.Item.Issue]
	rec := labelrec.Record{Issue: f.Item.Issue, Labels: f.Labels, Note: f.Note, Extra: map[string]json.RawMessage{}}
	if f.Excluded() {
		rec.Labels = bugscope.Labels{}
	}
	if checkConfidence(f.Confidence) == nil {
		rec.Confidence = f.Confidence
	}
	put := func(k string, v any) {
		b, _ := json.Marshal(v)
		rec.Extra[k] = b
	}
	put("title", is.Title)
	put("url", is.URL)
	put("x_state", is.State)
	put("x_github_labels", nonNil(is.Labels))
	if is.CreatedAt != nil {
		put("x_created_at", is.CreatedAt.UTC().Format(time.RFC3339))
	}
	if is.ClosedAt != nil {
		put("x_closed_at", is.ClosedAt.UTC().Format(time.RFC3339))
	}
	put("x_stratum", f.Item.Stratum)
	put("x_half", f.Item.Half)
	put("x_position", f.Item.Position)
	put("x_status", f.Status)
	put("x_provenance", f.Provenance())
	if f.Arbitrator != "" {
		put("x_arbitrator", f.Arbitrator)
	}
	if f.Excluded() {
		put("x_excluded", f.ExcludeReason)
	}
	raters := map[string]map[string]any{}
	for _, a := range f.Answers {
		m := map[string]any{}
		for _, d := range ds.tax.Dimensions {
			switch {
			case d.Multi:
				m[d.ID] = nonNil(a.Labels[d.ID])
			case len(a.Labels[d.ID]) > 0:
				m[d.ID] = a.Labels[d.ID][0]
			default:
				m[d.ID] = nil
			}
		}
		if a.Confidence != "" {
			m["confidence"] = a.Confidence
		}
		if a.Note != "" {
			m["note"] = a.Note
		}
		if a.ExcludeReason != "" {
			m["excluded"] = a.ExcludeReason
		}
		m["answered_at"] = a.CreatedAt.UTC().Format(time.RFC3339)
		raters[a.Rater] = m
	}
	put("x_raters", raters)
	return rec, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteJSONL writes one label record per exported item, in sample order.
func (ds *Dataset) WriteJSONL(w io.Writer) error {
	recs := make([]labelrec.Record, 0, len(ds.Finals))
	for _, f := range ds.Finals {
		rec, err := ds.Record(f)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
	}
	return labelrec.Write(w, ds.tax, recs)
}

// WriteCSV writes one row per exported item: the issue, its place in the
// sample, the final labels (a multi-valued dimension's values joined by
// ";"), then each rater's answer. Every cell is made safe for a terminal
// and a spreadsheet (safetext.CSVCell: a cell a spreadsheet would take for
// a formula gets a leading quote).
func (ds *Dataset) WriteCSV(w io.Writer) error {
	raters := make([]string, 0, len(ds.Card.Raters))
	for _, r := range ds.Card.Raters {
		raters = append(raters, r.Name)
	}
	head := []string{"id", "repo", "number", "url", "title", "state", "created_at", "closed_at", "github_labels",
		"stratum", "half", "position", "status", "provenance", "arbitrator", "excluded", "exclude_reason", "confidence", "note"}
	for _, d := range ds.tax.Dimensions {
		head = append(head, d.ID)
	}
	for _, r := range raters {
		for _, d := range ds.tax.Dimensions {
			head = append(head, r+":"+d.ID)
		}
		head = append(head, r+":confidence", r+":note", r+":exclude_reason")
	}
	cw := safetext.NewCSVWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, f := range ds.Finals {
		is := ds.Issues[f.Item.Issue]
		row := []string{f.Item.Issue.String(), is.Repo, strconv.Itoa(is.Number), is.URL, is.Title, is.State,
			timeCell(is.CreatedAt), timeCell(is.ClosedAt), strings.Join(is.Labels, ";"), f.Item.Stratum,
			strconv.Itoa(f.Item.Half), strconv.Itoa(f.Item.Position), f.Status, f.Provenance(), f.Arbitrator,
			strconv.FormatBool(f.Excluded()), f.ExcludeReason, f.Confidence, f.Note}
		for _, d := range ds.tax.Dimensions {
			if f.Excluded() {
				row = append(row, "")
			} else {
				row = append(row, strings.Join(f.Labels[d.ID], ";"))
			}
		}
		by := map[string]int{}
		for i, a := range f.Answers {
			by[a.Rater] = i
		}
		for _, r := range raters {
			i, ok := by[r]
			for _, d := range ds.tax.Dimensions {
				v := ""
				if ok {
					v = strings.Join(f.Answers[i].Labels[d.ID], ";")
				}
				row = append(row, v)
			}
			if ok {
				a := f.Answers[i]
				row = append(row, a.Confidence, a.Note, a.ExcludeReason)
			} else {
				row = append(row, "", "", "")
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// WriteJSON writes the card as indented JSON, with the characters a
// terminal would act on escaped (safetext.WriteJSON).
func (c *Card) WriteJSON(w io.Writer) error {
	return safetext.WriteJSON(w, c)
}

//go:embed templates/card.md.tmpl
var templates embed.FS

var cardTemplate = template.Must(template.New("card.md.tmpl").Funcs(template.FuncMap{
	"date":   func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"stamp":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"pct":    func(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" },
	"f1":     func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"join":   strings.Join,
	"ci":     ciText,
	"md":     mdCell,
	"kappa":  measureName,
	"counts": sortedCounts,
	"add":    func(a, b int) int { return a + b },
	"filter": filterText,
}).ParseFS(templates, "templates/card.md.tmpl"))

// WriteMarkdown writes the card for people (templates/card.md.tmpl).
// Outside text goes through md; the whole is made safe for a terminal
// once more (safetext.Text).
func (c *Card) WriteMarkdown(w io.Writer) error {
	var buf bytes.Buffer
	if err := cardTemplate.Execute(&buf, c); err != nil {
		return err
	}
	_, err := io.WriteString(w, safetext.Text(buf.String()))
	return err
}

func ciText(iv metrics.CI) string {
	if !iv.Defined() {
		return "n/a"
	}
	return "[" + iv.Lo.String() + ", " + iv.Hi.String() + "]"
}

// mdCell makes text safe in Markdown, a table cell included
// (safetext.Markdown).
func mdCell(s string) string { return safetext.Markdown(s) }

func measureName(m string) string {
	switch m {
	case metrics.KappaCohen:
		return "Cohen's κ"
	case metrics.KappaQuadratic:
		return "quadratic-weighted κ"
	case metrics.KappaMeanPerLabel:
		return "mean per-value κ"
	case MeasureFleiss:
		return "Fleiss' κ"
	case MeasureFleissMeanPerLabel:
		return "mean per-value Fleiss' κ"
	}
	return m
}

type keyCount struct {
	Key string
	N   int
}

func sortedCounts(m map[string]int) []keyCount {
	out := make([]keyCount, 0, len(m))
	for k, n := range m {
		out = append(out, keyCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// filterText describes a population filter in words.
func filterText(f Filter) string {
	var parts []string
	if len(f.Repos) > 0 {
		parts = append(parts, "repositories "+strings.Join(f.Repos, ", "))
	}
	if len(f.Labels) > 0 {
		parts = append(parts, "GitHub labels any of "+strings.Join(f.Labels, ", "))
	}
	if f.State != "" {
		parts = append(parts, f.State+" issues only")
	}
	if f.Since != nil {
		parts = append(parts, "opened on or after "+f.Since.UTC().Format("2006-01-02"))
	}
	if f.Until != nil {
		parts = append(parts, "opened before "+f.Until.UTC().Format("2006-01-02"))
	}
	if len(f.Kinds) > 0 {
		parts = append(parts, "classified as "+strings.Join(f.Kinds, " or "))
	}
	if f.Query != "" {
		parts = append(parts, fmt.Sprintf("text matching %q", f.Query))
	}
	if len(parts) == 0 {
		return "every stored issue (pull requests left out)"
	}
	return strings.Join(parts, "; ") + " (pull requests left out)"
}
