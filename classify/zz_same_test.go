package classify

import (
	"context"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/importer"
	"github.com/bugscope/bugscope/internal/testshared"
	"github.com/bugscope/bugscope/taxonomy"
)

func TestZZSame(t *testing.T) {
	tax, _ := taxonomy.Builtin(taxonomy.Default)
	old, err := LoadRules("/tmp/sc/oldrules/llm-serving-v1.yaml", tax)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := BuiltinRules(tax)
	if err != nil {
		t.Fatal(err)
	}
	var issues []bugscope.Issue
	for _, f := range testshared.DataFiles(t) {
		is, err := importer.ParseFile(f, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		issues = append(issues, is...)
	}
	ctx := context.Background()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var a, b []bugscope.Classification
	var to, tn []time.Duration
	for k := 0; k < 3; k++ {
		c0 := cpu()
		a, _ = New(old).Classify(ctx, issues)
		c1 := cpu()
		b, _ = New(nw).Classify(ctx, issues)
		c2 := cpu()
		to = append(to, c1-c0)
		tn = append(tn, c2-c1)
	}
	t.Logf("cpu old %v new %v", to, tn)
	diff := 0
	for i := range a {
		a[i].ClassifierVersion, b[i].ClassifierVersion = "", ""
		if !reflect.DeepEqual(a[i], b[i]) {
			diff++
			if diff < 4 {
				t.Errorf("%s:\n%+v\n%+v", issues[i].Ref(), a[i], b[i])
			}
		}
	}
	t.Logf("%d of %d differ", diff, len(a))
}
