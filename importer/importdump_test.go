package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
)

// BenchmarkImportDump imports the dump named by BUGSCOPE_BENCH_DUMP (as
// scripts/benchscale writes it) into a fresh database, as bugscope import
// does; beside sqlite's BenchmarkDecodeInsertFloor it shows, with
// -cpuprofile, where an import spends more than the floor.
func BenchmarkImportDump(b *testing.B) {
	path := os.Getenv("BUGSCOPE_BENCH_DUMP")
	if path == "" {
		b.Skip("BUGSCOPE_BENCH_DUMP names no dump")
	}
	ctx := context.Background()
	for b.Loop() {
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
		if err != nil {
			b.Fatal(err)
		}
		res, err := pipeline.ImportFiles(ctx, db, []string{path}, pipeline.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
		b.ReportMetric(float64(res[0].Inserted), "issues")
	}
}
