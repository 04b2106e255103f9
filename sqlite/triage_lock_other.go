//go:build !unix

package sqlite

// LockTriageWorker takes no lock where flock is missing: run one
// serve --triage per database.
func (d *DB) LockTriageWorker() (func(), error) { return func() {}, nil }
