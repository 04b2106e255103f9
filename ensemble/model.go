package ensemble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/metrics"
	"github.com/bugscope/bugscope/taxonomy"
)

// The ensemble model file's format name and version. A reader refuses a
// newer version than it knows, and reads the learned model files of format
// version 1 (learn.Format), which carried the gates themselves.
const (
	Format        = "bugscope-ensemble"
	FormatVersion = 1
)

// Model is what `bugscope train` writes: the learned model and the
// ensemble's part, its gates and what cross-validation measured. It is the
// one owner of the model file: package learn knows the learned model only.
type Model struct {
	Format        string    `json:"format"`
	FormatVersion int       `json:"format_version"`
	Created       time.Time `json:"created"`
	// Gates say, per dimension, where the rules decide.
	Gates map[string]Gate `json:"gates,omitempty"`
	// CV is what cross-validation measured, when trained with it.
	CV *CVSummary `json:"cv,omitempty"`
	// CrossPredictions are, per classifier (Name, learn.Name), the labels
	// of every training issue (owner/repo#number) predicted out of fold by
	// train's cross-validation, the final gates applied: what a report
	// corrected with hand labels the model learned from uses for those
	// issues (cross-prediction-powered inference).
	CrossPredictions map[string]map[string]bugscope.Labels `json:"cross_predictions,omitempty"`
	// Learned comes last: its weights and vocabulary are most of the file.
	Learned *learn.Model `json:"model"`
}

// Gate is the ensemble's rule for one dimension: where the rules decide
// it, and the model elsewhere. A and B calibrate the rules' confidence c
// into the probability that they are right, 1/(1+exp(-(A·c+B))).
type Gate struct {
	// Mode is GateThreshold (the rules decide from Threshold on),
	// GateCompare (the rules decide where their calibrated confidence is at
	// least the model's) or GateRules (the rules decide wherever they
	// decide the dimension: cross-validation found the model no better).
	Mode      string  `json:"mode"`
	Threshold float64 `json:"threshold"`
	A         float64 `json:"a"`
	B         float64 `json:"b"`
	// Examples the gate was fitted on; RulesShare of them went to the rules.
	Examples   int     `json:"examples"`
	RulesShare float64 `json:"rules_share"`
	// Why says, when cross-validation chose the gate, what it measured.
	Why string `json:"why,omitempty"`
}

// CVSummary is what cross-validation measured, kept in the model file.
type CVSummary struct {
	Folds int    `json:"folds"`
	Seed  uint64 `json:"seed"`
	// HeldOut names the labels the expected figures are measured on: those
	// of a gold file the rules were not tuned on, or "all".
	HeldOut string    `json:"held_out,omitempty"`
	Figures []Figures `json:"figures"`
}

// Figures are the headline scores of one classifier on one dimension (and
// level), as metrics.Compare defines them, on the labels of Subset ("" for
// all of them).
type Figures struct {
	Classifier   string        `json:"classifier"`
	Subset       string        `json:"subset,omitempty"`
	Dimension    string        `json:"dimension"`
	Level        string        `json:"level"`
	N            int           `json:"n"`
	Accuracy     metrics.Float `json:"accuracy"`
	MacroF1      metrics.Float `json:"macro_f1"`
	Kappa        metrics.Float `json:"kappa"`
	KappaMeasure string        `json:"kappa_measure"`
}

// Wrap makes an ensemble model of a learned one, without gates (the model
// decides every dimension it has) until Train or FitGates sets them.
func Wrap(m *learn.Model) *Model {
	return &Model{Format: Format, FormatVersion: FormatVersion, Created: m.Created, Learned: m}
}

// Tax returns the taxonomy the model is bound to.
func (m *Model) Tax() *taxonomy.Taxonomy { return m.Learned.Tax() }

// Write writes the model as gzip'd JSON that describes itself: format,
// gates and cross-validated figures first, then the learned model.
func (m *Model) Write(w io.Writer) error { return learn.WriteGzipJSON(w, m) }

// Save writes the model to a file atomically.
func (m *Model) Save(path string) error { return learn.SaveGzipJSON(path, m) }

// Read reads a model file for taxonomy tax: an ensemble model, or a
// learned model file of format version 1, whose gates and figures it
// takes over (a learned model of a later version, without gates, is
// wrapped as it is).
func Read(r io.Reader, name string, tax *taxonomy.Taxonomy) (*Model, error) {
	data, err := learn.ReadGzip(r, name)
	if err != nil {
		return nil, err
	}
	return Decode(data, name, tax)
}

// Decode reads the JSON of a model file (Read after decompression).
func Decode(data []byte, name string, tax *taxonomy.Taxonomy) (*Model, error) {
	var head struct {
		Format        string                                `json:"format"`
		FormatVersion int                                   `json:"format_version"`
		Created       time.Time                             `json:"created"`
		Gates         map[string]Gate                       `json:"gates"`
		CV            *CVSummary                            `json:"cv"`
		Cross         map[string]map[string]bugscope.Labels `json:"cross_predictions"`
		Learned       json.RawMessage                       `json:"model"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	switch head.Format {
	case Format:
		if head.FormatVersion < 1 || head.FormatVersion > FormatVersion {
			return nil, fmt.Errorf("model %s: ensemble format version %d; this bugscope reads versions 1 to %d (a newer bugscope wrote it)", name, head.FormatVersion, FormatVersion)
		}
		if len(bytes.TrimSpace(head.Learned)) == 0 || bytes.Equal(bytes.TrimSpace(head.Learned), []byte("null")) {
			return nil, fmt.Errorf("model %s: no learned model in the file", name)
		}
		lm, err := learn.Decode(head.Learned, name, tax)
		if err != nil {
			return nil, err
		}
		m := &Model{Format: Format, FormatVersion: FormatVersion, Created: head.Created, Gates: head.Gates, CV: head.CV,
			CrossPredictions: head.Cross, Learned: lm}
		return m, m.check(name)
	case learn.Format:
		// A learned model on its own: format version 1 files carried the
		// gates and figures at the top level.
		lm, err := learn.Decode(data, name, tax)
		if err != nil {
			return nil, err
		}
		m := Wrap(lm)
		m.Gates, m.CV = head.Gates, head.CV
		return m, m.check(name)
	}
	return nil, fmt.Errorf("model %s: format %q, want %q", name, head.Format, Format)
}

// check refuses gates of dimensions the taxonomy lacks, or of unknown
// modes, and cross-predictions that are not labels of the taxonomy.
func (m *Model) check(name string) error {
	for cls, preds := range m.CrossPredictions {
		for id, l := range preds {
			if _, err := bugscope.ParseIssueRef(id); err != nil {
				return fmt.Errorf("model %s: cross-prediction of %s: %v", name, cls, err)
			}
			if err := m.Tax().Check(l); err != nil {
				return fmt.Errorf("model %s: cross-prediction of %s for %s: %v", name, cls, id, err)
			}
		}
	}
	for dim, g := range m.Gates {
		if m.Tax().Dimension(dim) == nil {
			return fmt.Errorf("model %s: a gate for dimension %q, which taxonomy %s lacks", name, dim, m.Tax().Name)
		}
		switch g.Mode {
		case GateThreshold, GateCompare, GateRules:
		default:
			return fmt.Errorf("model %s: gate of %s has mode %q; want %s, %s or %s", name, dim, g.Mode, GateThreshold, GateCompare, GateRules)
		}
	}
	return nil
}

// Load reads a model file.
func Load(path string, tax *taxonomy.Taxonomy) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path, tax)
}
