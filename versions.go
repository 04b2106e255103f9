package bugscope

import "time"

// Replaces reports whether a version of an issue updated at incoming
// replaces a version of the same issue updated at stored: unless the
// stored one is known to be newer (a later updated_at, or one where the
// incoming version has none). Equal times replace, so that re-reading the
// same data is harmless. Every import and sync applies this rule, to two
// copies inside one file as to a file and the database.
func Replaces(incoming, stored *time.Time) bool {
	return stored == nil || incoming != nil && !incoming.Before(*stored)
}
