package ensemble

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bugscope/bugscope/learn"
)

// gzipJSON compresses a JSON document as model files are.
func gzipJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := learn.WriteGzipJSON(&buf, v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func unzip(t *testing.T, b []byte) map[string]any {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The ensemble's model file wraps the learned model: gates and figures at
// its top level, the learned model (without them) inside; it reads back,
// and so do the learned model files of format version 1, which carried
// the gates at their top level; a newer version or an unknown gate mode is
// refused with the file's name.
func TestModelFileFormats(t *testing.T) {
	tax := mustTax(t)
	docs, gold := synthetic(60)
	c, err := learn.NewCorpus(tax, learn.DefaultFeatures(), docs, gold, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Train(context.Background(), c, learn.Complement(c.Len(), nil), learn.DefaultTrainOptions())
	if err != nil {
		t.Fatal(err)
	}
	m.CV = &CVSummary{Folds: 3, HeldOut: "h.jsonl", Figures: []Figures{{Classifier: Name, Dimension: "kind", Level: "value", N: 60}}}
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	top := unzip(t, buf.Bytes())
	inner, _ := top["model"].(map[string]any)
	if top["format"] != Format || top["gates"] == nil || top["cv"] == nil || inner == nil || inner["format"] != learn.Format || inner["gates"] != nil {
		t.Fatalf("file layout: format %v, gates %v, model format %v, model gates %v", top["format"], top["gates"] != nil, inner["format"], inner["gates"])
	}
	back, err := Read(bytes.NewReader(buf.Bytes()), "m.json.gz", tax)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Gates) != len(m.Gates) || back.CV.HeldOut != "h.jsonl" || back.Learned.Training.DataHash != m.Learned.Training.DataHash {
		t.Errorf("read back: gates %v, cv %+v", back.Gates, back.CV)
	}

	// A version-1 learned model file: the learned model's fields with the
	// gates and figures beside them.
	old := inner
	old["format_version"] = 1
	old["gates"] = top["gates"]
	old["cv"] = top["cv"]
	v1, err := Read(bytes.NewReader(gzipJSON(t, old)), "old.json.gz", tax)
	if err != nil {
		t.Fatalf("version 1 file: %v", err)
	}
	if len(v1.Gates) != len(m.Gates) || v1.CV == nil || v1.CV.Folds != 3 {
		t.Errorf("version 1 file: gates %v, cv %+v", v1.Gates, v1.CV)
	}
	for dim, g := range m.Gates {
		if v1.Gates[dim] != g {
			t.Errorf("version 1 gate %s: %+v, want %+v", dim, v1.Gates[dim], g)
		}
	}

	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"newer", func(f map[string]any) { f["format_version"] = FormatVersion + 1 }, "a newer bugscope"},
		{"no model", func(f map[string]any) { delete(f, "model") }, "no learned model"},
		{"gate mode", func(f map[string]any) {
			f["gates"] = map[string]any{"kind": map[string]any{"mode": "coin"}}
		}, `mode "coin"`},
		{"gate dimension", func(f map[string]any) {
			f["gates"] = map[string]any{"colour": map[string]any{"mode": GateRules}}
		}, `dimension "colour"`},
		{"format", func(f map[string]any) { f["format"] = "other" }, `format "other"`},
	} {
		f := unzip(t, buf.Bytes())
		tc.edit(f)
		_, err := Read(bytes.NewReader(gzipJSON(t, f)), "bad.json.gz", tax)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.json.gz") {
			t.Errorf("%s: error %v, want one naming the file and %q", tc.name, err, tc.want)
		}
	}
}

// FuzzDecode feeds Decode arbitrary JSON (the part of Read after
// decompression). A model that reads must combine without panicking.
func FuzzDecode(f *testing.F) {
	tax := mustTax(f)
	docs, gold := synthetic(24)
	cfg := learn.DefaultFeatures()
	cfg.CharMax, cfg.RuleFeatures = 0, false
	c, err := learn.NewCorpus(tax, cfg, docs, gold, nil)
	if err != nil {
		f.Fatal(err)
	}
	opt := learn.DefaultTrainOptions()
	opt.CalibrationFolds = 2
	m, err := Train(context.Background(), c, learn.Complement(c.Len(), nil), opt)
	if err != nil {
		f.Fatal(err)
	}
	seed, err := json.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"format": "bugscope-ensemble", "format_version": 1, "model": null}`))
	f.Add([]byte(`{"format": "bugscope-model", "format_version": 1, "gates": {"kind": {"mode": "rules"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 32<<10 {
			return
		}
		m, err := Decode(data, "fuzz", tax)
		if err != nil {
			return
		}
		preds, err := m.Learned.Predict(context.Background(), docs[:2], 1)
		if err != nil {
			t.Fatal(err)
		}
		Combine(m, nil, preds[0])
	})
}
