//go:build !unix

package sqlite

import "context"

// lockDir takes no lock where flock is missing; each migration is still
// one transaction, so a race fails the loser rather than damaging the
// database.
func lockDir(context.Context, string) (func(), error) { return func() {}, nil }
