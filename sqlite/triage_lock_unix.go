//go:build unix

package sqlite

import (
	"errors"
	"os"
	"syscall"

	"github.com/bugscope/bugscope"
)

// LockTriageWorker makes this process the one triage worker of the
// database: an exclusive lock (flock) on the file PATH-triage.lock, held
// until the release is called or the process ends (a crash releases it
// too). A second worker is refused with an EConflict error.
func (d *DB) LockTriageWorker() (func(), error) {
	path := d.path + "-triage.lock"
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, bugscope.Errorf(bugscope.EUnavailable, "triage worker lock %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, bugscope.Errorf(bugscope.EConflict, "another bugscope serve --triage works on %s (it holds %s): one worker per database", d.path, path)
		}
		return func() {}, nil // a file system without flock: no lock to take
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
