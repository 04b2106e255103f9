// Package testshared finds, for tests, the study's shared data: ../shared
// beside the repository, with the real issue dumps (data/*.json) and the
// hand labels (gold/). That data is never part of the repository, so a
// test that needs it skips cleanly when it is absent.
package testshared

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared beside the repository root (the folder of go.mod
// above the test's working directory), or skips the test when it holds no
// data folder.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("repository root not found")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "data")); err != nil {
		tb.Skipf("%s absent: %v", shared, err)
	}
	return shared
}

// DataFiles returns the real issue dumps, data/*.json, or skips.
func DataFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(Dir(tb), "data", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Skipf("no issue dumps in ../shared/data: %v", err)
	}
	return files
}

// Gold returns the development hand labels, gold/dev.jsonl, or skips.
func Gold(tb testing.TB) string {
	tb.Helper()
	return goldFile(tb, "dev.jsonl")
}

func goldFile(tb testing.TB, name string) string {
	tb.Helper()
	gold := filepath.Join(Dir(tb), "gold", name)
	if _, err := os.Stat(gold); err != nil {
		tb.Skipf("no hand labels %s: %v", name, err)
	}
	return gold
}

// RandomGold returns the stratified random sample of hand labels,
// gold/random-300.jsonl, or skips.
func RandomGold(tb testing.TB) string {
	tb.Helper()
	return goldFile(tb, "random-300.jsonl")
}
