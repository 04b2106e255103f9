package sqlite

import (
	"context"
	"testing"
	"time"
)

func TestLLMAnswers(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if _, ok, err := db.LLMLookup(ctx, "k1"); ok || err != nil {
		t.Fatalf("empty cache: ok %v err %v", ok, err)
	}
	a := LLMAnswer{Key: "k1", Model: "m", Taxonomy: "t", Repo: "o/r", Number: 1, Valid: false, Answer: "nope", Error: "bad", Attempts: 3, PromptTokens: 300, CompletionTokens: 60}
	if err := db.LLMStore(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.LLMLookup(ctx, "k1"); ok {
		t.Error("an invalid answer is served from the cache")
	}
	a.Valid, a.Answer, a.Error = true, `{"kind":"bug"}`, ""
	if err := db.LLMStore(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := db.LLMLookup(ctx, "k1"); !ok || err != nil || got != a.Answer {
		t.Errorf("lookup = %q %v %v", got, ok, err)
	}
	for _, r := range []LLMRun{{Model: "m", Endpoint: "http://x", Taxonomy: "t", Issues: 2, PromptTokens: 100, CompletionTokens: 10, Started: time.Now()},
		{Model: "m", Endpoint: "http://x", Taxonomy: "t", Issues: 1, PromptTokens: 50, CompletionTokens: 5, Started: time.Now()}} {
		if err := db.LLMRecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := db.LLMTokens(ctx)
	if err != nil || tok["m"] != [2]int64{150, 15} {
		t.Errorf("tokens %v %v", tok, err)
	}
}
