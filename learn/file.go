package learn

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/bugscope/bugscope/internal/atomic"

	"github.com/bugscope/bugscope/taxonomy"
)

// maxModelBytes bounds what Load decompresses: a model file is a few
// megabytes, and a corrupt or hostile one must not exhaust memory.
const maxModelBytes = 512 << 20

// Write writes the model as gzip'd JSON. The JSON describes itself: its
// format and version, taxonomy, feature configuration and training data
// come before the vocabulary and weights.
func (m *Model) Write(w io.Writer) error { return WriteGzipJSON(w, m) }

// Save writes the model to a file atomically: a crash leaves the old file
// or the new one, never half of one.
func (m *Model) Save(path string) error { return SaveGzipJSON(path, m) }

// WriteGzipJSON writes v as gzip'd JSON, the encoding of model files
// (package ensemble writes its wrapper with it).
func WriteGzipJSON(w io.Writer, v any) error {
	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return err
	}
	return zw.Close()
}

// SaveGzipJSON writes v as gzip'd JSON to path atomically.
func SaveGzipJSON(path string, v any) error {
	err := atomic.WriteFile(path, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		if err := WriteGzipJSON(bw, v); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if f, ok := w.(*os.File); ok {
			return f.Sync()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write model %s: %w", path, err)
	}
	return nil
}

// Read reads a model written by Write and binds it to tax, which must be
// the taxonomy (name and version) it was trained on.
func Read(r io.Reader, name string, tax *taxonomy.Taxonomy) (*Model, error) {
	data, err := ReadGzip(r, name)
	if err != nil {
		return nil, err
	}
	return Decode(data, name, tax)
}

// ReadGzip decompresses a model file, at most maxModelBytes of it.
func ReadGzip(r io.Reader, name string) ([]byte, error) {
	zr, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("model %s: not a bugscope model (gzip: %w)", name, err)
	}
	defer zr.Close()
	lr := &io.LimitedReader{R: zr, N: maxModelBytes + 1}
	data, err := io.ReadAll(lr)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("model %s: larger than %d MB uncompressed", name, maxModelBytes>>20)
	}
	return data, nil
}

// Decode reads the JSON of a learned model (Read's part after
// decompression, which FuzzRead fuzzes directly). Fields it does not know
// are ignored: a model file of format version 1 carried the ensemble's
// gates and cross-validation too, which package ensemble reads.
func Decode(data []byte, name string, tax *taxonomy.Taxonomy) (*Model, error) {
	var head struct {
		Format        string `json:"format"`
		FormatVersion int    `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	if head.Format != Format {
		return nil, fmt.Errorf("model %s: format %q, want %q", name, head.Format, Format)
	}
	if head.FormatVersion < 1 || head.FormatVersion > FormatVersion {
		return nil, fmt.Errorf("model %s: format version %d; this bugscope reads versions 1 to %d", name, head.FormatVersion, FormatVersion)
	}
	var m Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	if len(m.Vocab.Names) != len(m.Vocab.Block) || len(m.Vocab.Names) != len(m.Vocab.IDF) {
		return nil, fmt.Errorf("model %s: vocabulary lists differ in length", name)
	}
	for i, b := range m.Vocab.Block {
		if b >= numBlocks {
			return nil, fmt.Errorf("model %s: feature %q has block %d; there are %d", name, m.Vocab.Names[i], b, numBlocks)
		}
	}
	if err := m.bind(tax); err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	if err := m.Features.check(); err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	return &m, nil
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
