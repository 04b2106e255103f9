package learn

import (
	"fmt"
	"time"

	"github.com/bugscope/bugscope/taxonomy"
)

// Name is the classifier name the model's labels are stored under.
const Name = "model"

// The learned model's format name and version. A reader refuses a newer
// version than it knows. Version 1 files carried the ensemble's gates and
// cross-validated figures as well; since version 2 those belong to the
// ensemble's model (package ensemble), which wraps this one.
const (
	Format        = "bugscope-model"
	FormatVersion = 2
)

// Decisions of a single-valued dimension.
const (
	DecideArgmax       = "argmax"        // the most probable value
	DecideExpectedRank = "expected_rank" // ordinal: the value nearest the expected rank
	DecideGroupFirst   = "group_first"   // grouped: the most probable group, then its best value
	DecideThreshold    = "threshold"     // multi-valued: every value with P(yes) >= 0.5
	// DecideCutpoints: ordinal, the expected rank cut at points learned
	// on out-of-fold predictions to maximise quadratic-weighted kappa.
	DecideCutpoints = "cutpoints"
)

// Model is a trained classifier for one taxonomy.
type Model struct {
	Format          string        `json:"format"`
	FormatVersion   int           `json:"format_version"`
	Created         time.Time     `json:"created"`
	Taxonomy        string        `json:"taxonomy"`
	TaxonomyVersion string        `json:"taxonomy_version"`
	Features        FeatureConfig `json:"features"`
	Options         TrainOptions  `json:"options"`
	Training        TrainingInfo  `json:"training"`
	// The weights and the vocabulary come last, after everything a reader
	// of the file wants to know about it.
	Dimensions []*DimModel `json:"dimensions"`
	Vocab      Vocab       `json:"vocab"`

	tax *taxonomy.Taxonomy
}

// TrainingInfo describes the data a model learned from.
type TrainingInfo struct {
	Examples int            `json:"examples"`
	ByKind   map[string]int `json:"by_kind,omitempty"`
	// DataHash is DataHash of the labelled issues and their labels.
	DataHash string `json:"data_hash"`
	// Issues are the labelled issues (owner/repo#number) the model learned
	// from: a report must not correct the model's labels with them.
	Issues []string `json:"issues,omitempty"`
	Gold   []string `json:"gold,omitempty"`
	// PoolDocs issues lent their text to the document frequencies.
	PoolDocs int `json:"pool_docs"`
	// Unlabelled is the unlabelled issues offered to self-training, and
	// PseudoLabels how many of them the final fit learned from (on any
	// dimension), when the options have SelfTrain.
	Unlabelled   int `json:"unlabelled,omitempty"`
	PseudoLabels int `json:"pseudo_labelled,omitempty"`
	// Rules is the version of the rule set whose decisions are features.
	Rules string `json:"rules,omitempty"`
	// Seconds the training took.
	Seconds float64 `json:"seconds"`
}

// DimModel is the model of one dimension: one multinomial head for a
// single-valued dimension, one yes/no head per value for a multi-valued
// one.
type DimModel struct {
	Dimension string `json:"dimension"`
	Multi     bool   `json:"multi"`
	Decision  string `json:"decision"`
	// Cutpoints on the expected rank, for DecideCutpoints.
	Cutpoints []float64 `json:"cutpoints,omitempty"`

	Head   *Head   `json:"head,omitempty"`
	Values []*Head `json:"values,omitempty"`
}

// Head is one softmax model over the vocabulary, stored sparsely: the
// features with a non-zero weight and their K weights each.
type Head struct {
	// Value is the value a yes/no head of a multi-valued dimension decides.
	Value       string    `json:"value,omitempty"`
	Classes     []string  `json:"classes"`
	Examples    int       `json:"examples"`
	Temperature float64   `json:"temperature"`
	Bias        []float64 `json:"bias"`
	Features    []int32   `json:"features"`
	Weights     []float32 `json:"weights"`

	dense []float32 // vocabulary-size × K, feature-major
}

const yes, no = "yes", "no"

// Tax returns the taxonomy the model is bound to.
func (m *Model) Tax() *taxonomy.Taxonomy { return m.tax }

// bind checks the model against a taxonomy and builds its lookup tables.
func (m *Model) bind(tax *taxonomy.Taxonomy) error {
	if m.Taxonomy != tax.Name || m.TaxonomyVersion != tax.Version {
		return fmt.Errorf("the model was trained on taxonomy %s version %s, not %s version %s",
			m.Taxonomy, m.TaxonomyVersion, tax.Name, tax.Version)
	}
	m.tax = tax
	m.Vocab.buildIndex()
	D := m.Vocab.Len()
	for _, dm := range m.Dimensions {
		d := tax.Dimension(dm.Dimension)
		if d == nil {
			return fmt.Errorf("the model has dimension %q, which taxonomy %s lacks", dm.Dimension, tax.Name)
		}
		if dm.Multi != d.Multi || !dm.Multi && dm.Head == nil || len(dm.Cutpoints) > 0 && len(dm.Cutpoints) != len(d.AllValues())-1 {
			return fmt.Errorf("dimension %s: the model does not fit the taxonomy's dimension", dm.Dimension)
		}
		heads := dm.Values
		if dm.Head != nil {
			heads = append(heads, dm.Head)
		}
		for _, h := range heads {
			K := len(h.Classes)
			if K == 0 || len(h.Bias) != K || len(h.Weights) != len(h.Features)*K || h.Temperature <= 0 {
				return fmt.Errorf("dimension %s: malformed head %q", dm.Dimension, h.Value)
			}
			for _, c := range h.Classes {
				if h.Value == "" && !d.Accepts(c) {
					return fmt.Errorf("dimension %s: value %q is not in the taxonomy", dm.Dimension, c)
				}
			}
			if h.Value != "" && (!d.Multi || !d.Accepts(h.Value) || len(h.Classes) != 2 || indexOf(h.Classes, yes) < 0) {
				return fmt.Errorf("dimension %s: malformed yes/no head %q", dm.Dimension, h.Value)
			}
			h.dense = make([]float32, D*K)
			for n, j := range h.Features {
				if j < 0 || int(j) >= D {
					return fmt.Errorf("dimension %s: feature %d outside the vocabulary of %d", dm.Dimension, j, D)
				}
				copy(h.dense[int(j)*K:int(j)*K+K], h.Weights[n*K:n*K+K])
			}
		}
	}
	return nil
}
