package bugscope

import "time"

// StoredModel is a learned model a store remembers for a taxonomy (the
// bytes of a model file), so that a later `bugscope classify` runs it
// again without being told.
type StoredModel struct {
	Taxonomy string    `json:"taxonomy"`
	Version  string    `json:"version"`
	Source   string    `json:"source"` // the file it was read from
	Data     []byte    `json:"-"`
	StoredAt time.Time `json:"stored_at"`
}
