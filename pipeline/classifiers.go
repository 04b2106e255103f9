package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/classify"
	"github.com/bugscope/bugscope/ensemble"
	"github.com/bugscope/bugscope/learn"
	"github.com/bugscope/bugscope/taxonomy"
)

// ClassifierOptions say which classifiers a classification run uses.
type ClassifierOptions struct {
	Rules *classify.RuleSet
	// Model is a model from `bugscope train` (ReadModelFile): it runs with
	// the rules (the rules, the model and the ensemble are all stored) and
	// the store remembers it for the taxonomy. Without one the remembered
	// model runs too, so that a later run refreshes every stored
	// classifier, unless RulesOnly.
	Model     *ModelFile
	RulesOnly bool
}

// ModelFile is a model file read and checked.
type ModelFile struct {
	Path  string
	Data  []byte
	Model *ensemble.Model
}

// ReadModelFile reads a model file for taxonomy tax: a missing file is an
// ENotFound error, one that is not a model of tax an EInvalid one. It is
// read before the database is opened, so that bad input never creates one.
func ReadModelFile(path string, tax *taxonomy.Taxonomy) (*ModelFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := ensemble.Read(bytes.NewReader(data), path, tax)
	if err != nil {
		return nil, bugscope.WithKind(bugscope.EInvalid, err)
	}
	return &ModelFile{Path: path, Data: data, Model: m}, nil
}

// Classifiers is what a classification run uses.
type Classifiers struct {
	// Classifier is the rule classifier, or the ensemble of the rules and
	// the model (a Composite: all three are stored).
	Classifier bugscope.Classifier
	Model      *ensemble.Model
	// ModelSource names where the model came from: its file, or the
	// store that remembered it.
	ModelSource string
	// Names says for people what runs; Notes what they should know.
	Names string
	Notes []string
}

// LoadClassifiers sets up a classification run in taxonomy tax: the rules,
// and the learned model o.Model (remembered in db) or the one db
// remembers.
func LoadClassifiers(ctx context.Context, db Store, tax *taxonomy.Taxonomy, o ClassifierOptions) (*Classifiers, error) {
	rc := classify.New(o.Rules)
	out := &Classifiers{Classifier: rc, Names: "rules " + o.Rules.Version()}
	var m *ensemble.Model
	switch {
	case o.Model != nil:
		m = o.Model.Model
		if err := db.SaveModel(ctx, bugscope.StoredModel{Taxonomy: tax.Name, Version: learn.ModelVersion(m.Learned), Source: o.Model.Path, Data: o.Model.Data}); err != nil {
			return nil, err
		}
		out.ModelSource = o.Model.Path
	case o.RulesOnly:
		return out, nil
	default:
		sm, err := db.Model(ctx, tax.Name)
		if bugscope.ErrorCode(err) == bugscope.ENotFound {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if m, err = ensemble.Read(bytes.NewReader(sm.Data), sm.Source, tax); err != nil {
			return nil, bugscope.Errorf(bugscope.EConflict, "the model remembered for taxonomy %s (from %s) cannot be used: %v; classify --model FILE with a new one, or --rules-only", tax.Name, sm.Source, err)
		}
		out.ModelSource = "the model remembered from " + sm.Source
	}
	if lm := m.Learned; lm.Features.RuleFeatures && lm.Training.Rules != "" && lm.Training.Rules != o.Rules.Version() {
		out.Notes = append(out.Notes, fmt.Sprintf("the model learned from rules %s; the rules now are %s", lm.Training.Rules, o.Rules.Version()))
	}
	out.Model = m
	out.Classifier = &ensemble.Classifier{Model: m, Rules: rc}
	out.Names = fmt.Sprintf("rules %s, model %s (%s) and the ensemble", o.Rules.Version(), learn.ModelVersion(m.Learned), out.ModelSource)
	return out, nil
}

// The ensemble is stored with its parts by Classify.
var _ Composite = (*ensemble.Classifier)(nil)

// RememberedModel returns the model the store remembers for taxonomy tax
// (classify --model), or nil when it remembers none.
func RememberedModel(ctx context.Context, db Store, tax *taxonomy.Taxonomy) (*ensemble.Model, error) {
	sm, err := db.Model(ctx, tax.Name)
	if bugscope.ErrorCode(err) == bugscope.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := ensemble.Read(bytes.NewReader(sm.Data), sm.Source, tax)
	if err != nil {
		return nil, bugscope.Errorf(bugscope.EConflict, "the model remembered for taxonomy %s (from %s) cannot be used: %v", tax.Name, sm.Source, err)
	}
	return m, nil
}
