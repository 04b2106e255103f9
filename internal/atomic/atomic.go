// Package atomic writes files atomically: into a temporary file beside the
// target, renamed into place once complete, so that a crash or an error
// leaves the old file or the new one, never half of one.
package atomic

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes name with write. The file is made readable by all (0644),
// like any ordinary output.
func WriteFile(name string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".bugscope-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
