package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/llm"
	"github.com/bugscope/bugscope/pipeline"
	"github.com/bugscope/bugscope/sqlite"
	"github.com/bugscope/bugscope/taxonomy"
)

type classifyOptions struct {
	filter       filterFlags
	classifiers  classifierFlags
	includePulls bool
	all          bool
	llm          llmFlags
	json         jsonFlags
}

func (a *app) classifyCmd() *cobra.Command {
	var o classifyOptions
	c := &cobra.Command{
		Use:   "classify",
		Short: "Label stored issues (rules, a learned model, an LLM) and extract their signals",
		Long: `Classify labels every stored issue (or those the filters select) in the
taxonomy, keeping the evidence of each decision, and extracts structured
signals (error signatures, exceptions, GPUs, CUDA/ROCm and engine versions,
operating systems, back ends).

Classify is incremental: it labels only the issues that are new, whose
title, body or labels changed since they were labelled, or that another
version of a classifier (other rules, another model) labelled, and says
how many it skipped and why; --all labels every issue again. A label whose
issue changed later (an import since) is stale: report and show say so
until classify runs again. A classification computed while an import
changed its issue is refused when stored, and the issue labelled again.

The rule classifier always runs. Its rules are data: see the built-in rule
file of the taxonomy, or give your own with --rules.

--model MODEL (from 'bugscope train') also runs the learned model and the
ensemble (the rules where they are confident, the model elsewhere) and
stores all three; the database remembers the model, so that a later
'bugscope classify' (of new issues, say) runs it again and every stored
classifier stays current. --rules-only runs the rules alone. Reports use,
per issue, the best classifier that labelled it (ensemble, model, llm,
rules) and say how many issues each labelled.

--llm-url URL --llm-model NAME also asks a large language model behind any
OpenAI-compatible chat endpoint (OpenAI, a local llama.cpp server, vLLM,
Ollama), with the API key from the environment variable --llm-key-env.
Answers are validated against the taxonomy, cached in the database by
content hash (a re-run only asks for what changed), and the tokens used are
printed. The LLM is never required.`,
		Example: `  bugscope classify
  bugscope classify --repo vllm-project/vllm --since 2025-01-01
  bugscope classify --model model.json.gz
  bugscope classify --llm-url http://localhost:8080/v1 --llm-model qwen2.5-7b --repo sgl-project/sglang
  bugscope --taxonomy first-look-2025 classify`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runClassify(cmd.Context(), o) },
	}
	o.filter.register(c)
	o.classifiers.register(c)
	c.Flags().BoolVar(&o.includePulls, "include-pulls", false, "classify pull requests too")
	c.Flags().BoolVar(&o.all, "all", false, "label every selected issue again, current or not")
	o.llm.register(c)
	o.json.register(c, "the summary")
	return c
}

// classifyResult is what classify prints with --json.
type classifyResult struct {
	pipeline.ClassifyStats
	Classifiers string      `json:"classifiers"`
	LLM         *llmSummary `json:"llm,omitempty"`
}

func (a *app) runClassify(ctx context.Context, o classifyOptions) error {
	f, err := o.filter.filter()
	if err != nil {
		return err
	}
	f.IncludePulls = o.includePulls
	if err := o.llm.check(); err != nil {
		return err
	}
	tax, copt, err := o.classifiers.load(a)
	if err != nil {
		return err
	}
	return a.withDB(ctx, createDB, func(db *sqlite.DB) error {
		if err := pipeline.CheckRepos(ctx, db, f.Repos); err != nil {
			return err
		}
		cs, err := pipeline.LoadClassifiers(ctx, db, tax, copt)
		if err != nil {
			return err
		}
		for _, n := range cs.Notes {
			a.logf("note: %s", n)
		}
		st, err := pipeline.Classify(ctx, db, tax, cs.Classifier, pipeline.ClassifyOptions{Filter: f, All: o.all})
		if err != nil {
			return err
		}
		var llmStats *llmSummary
		if o.llm.url != "" {
			if llmStats, err = a.classifyLLM(ctx, db, tax, f, o.all, o.llm); err != nil {
				return err
			}
		}
		if o.json.enabled() {
			return a.printJSON(o.json, classifyResult{st, cs.Names, llmStats})
		}
		a.writeClassified(st, tax.Name, cs.Names, llmStats)
		return nil
	})
}

// classifierFlags choose the classifiers of a run (classify, study).
type classifierFlags struct {
	rules     string
	model     string
	rulesOnly bool
}

func (f *classifierFlags) register(c *cobra.Command) {
	rulesFlag(c, &f.rules)
	c.Flags().StringVar(&f.model, "model", "", "a model from 'bugscope train': also run it and the ensemble, and remember it for later runs")
	c.Flags().BoolVar(&f.rulesOnly, "rules-only", false, "run the rules alone, not the model the database remembers")
}

// load reads the taxonomy, the rules and the model file, before the
// database is opened: bad input creates nothing.
func (f *classifierFlags) load(a *app) (*taxonomy.Taxonomy, pipeline.ClassifierOptions, error) {
	if f.model != "" && f.rulesOnly {
		return nil, pipeline.ClassifierOptions{}, usageError("--model and --rules-only are alternatives")
	}
	tax, rs, err := a.taxonomyAndRules(f.rules)
	if err != nil {
		return nil, pipeline.ClassifierOptions{}, err
	}
	o := pipeline.ClassifierOptions{Rules: rs, RulesOnly: f.rulesOnly}
	if f.model != "" {
		if o.Model, err = pipeline.ReadModelFile(f.model, tax); err != nil {
			return nil, o, err
		}
	}
	return tax, o, nil
}

// writeClassified prints what classify did.
func (a *app) writeClassified(st pipeline.ClassifyStats, taxName, names string, llmStats *llmSummary) {
	fmt.Fprintf(a.stdout, "classified %d issues in taxonomy %s with %s (%s); %d signals extracted\n",
		st.Issues, taxName, names, st.Duration.Round(1e6), st.Signals)
	fmt.Fprintln(a.stdout, "  "+classifyReasons(st))
	kinds := make([]string, 0, len(st.ByKind))
	for k := range st.ByKind {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return st.ByKind[kinds[i]] > st.ByKind[kinds[j]] })
	for _, k := range kinds {
		fmt.Fprintf(a.stdout, "  %-10s %d\n", k, st.ByKind[k])
	}
	if llmStats != nil {
		s := llmStats.Stats
		fmt.Fprintf(a.stdout, "llm %s: %d issues, %d from the cache, %d requests (%d retries), %d invalid; tokens: %d prompt + %d completion = %d\n",
			llmStats.Model, s.Issues, s.CacheHits, s.Requests, s.Retries, s.Invalid, s.PromptTokens, s.CompletionTokens, s.PromptTokens+s.CompletionTokens)
	}
}

// llmFlags are the LLM classifier's flags.
type llmFlags struct {
	url, model, keyEnv string
	concurrency        int
	timeout            time.Duration
	noJSONMode         bool
}

func (l *llmFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&l.url, "llm-url", "", "also classify with an LLM behind this OpenAI-compatible endpoint (base URL, e.g. http://localhost:8080/v1)")
	c.Flags().StringVar(&l.model, "llm-model", "", "the LLM's model name")
	c.Flags().StringVar(&l.keyEnv, "llm-key-env", "OPENAI_API_KEY", "environment variable holding the endpoint's API key (none needed for most local servers)")
	c.Flags().IntVar(&l.concurrency, "llm-concurrency", 4, "LLM requests in flight at once")
	c.Flags().DurationVar(&l.timeout, "llm-timeout", 2*time.Minute, "time limit of one LLM request")
	c.Flags().BoolVar(&l.noJSONMode, "llm-no-json-mode", false, "do not send response_format (for servers that reject it)")
}

func (l *llmFlags) check() error {
	switch {
	case l.url == "" && l.model != "":
		return usageError("--llm-model needs --llm-url")
	case l.url != "" && l.model == "":
		return usageError("--llm-url needs --llm-model")
	case l.concurrency < 1:
		return usageError("--llm-concurrency %d: want at least 1", l.concurrency)
	}
	return nil
}

type llmSummary struct {
	Model    string    `json:"model"`
	Endpoint string    `json:"endpoint"`
	Stats    llm.Stats `json:"stats"`
}

func (a *app) classifyLLM(ctx context.Context, db *sqlite.DB, tax *taxonomy.Taxonomy, f bugscope.IssueFilter, all bool, lf llmFlags) (*llmSummary, error) {
	start := time.Now()
	c, err := llm.New(tax, llm.Config{URL: lf.url, Model: lf.model, APIKey: os.Getenv(lf.keyEnv),
		Concurrency: lf.concurrency, Timeout: lf.timeout, JSONMode: !lf.noJSONMode}, llmCache{db})
	if err != nil {
		return nil, usageError("%v", err)
	}
	a.logf("asking %s at %s ...", lf.model, lf.url)
	_, cerr := pipeline.Classify(ctx, db, tax, c, pipeline.ClassifyOptions{Filter: f, All: all, BatchSize: 200})
	s := c.Stats()
	if err := db.LLMRecordRun(ctx, sqlite.LLMRun{Model: lf.model, Endpoint: lf.url, Taxonomy: tax.Name, Issues: s.Issues,
		CacheHits: s.CacheHits, Requests: s.Requests, Retries: s.Retries, Invalid: s.Invalid, PromptTokens: s.PromptTokens,
		CompletionTokens: s.CompletionTokens, Started: start, Seconds: time.Since(start).Seconds()}); err != nil && cerr == nil {
		cerr = err
	}
	if cerr != nil {
		return nil, fmt.Errorf("%w (tokens used: %d prompt, %d completion)", cerr, s.PromptTokens, s.CompletionTokens)
	}
	return &llmSummary{Model: lf.model, Endpoint: lf.url, Stats: s}, nil
}

// llmCache keeps the LLM's answers in the database.
type llmCache struct{ db *sqlite.DB }

func (c llmCache) Lookup(ctx context.Context, key string) (string, bool, error) {
	return c.db.LLMLookup(ctx, key)
}

func (c llmCache) Store(ctx context.Context, e llm.Entry) error {
	return c.db.LLMStore(ctx, sqlite.LLMAnswer{Key: e.Key, Model: e.Model, Taxonomy: e.Taxonomy, Repo: e.Issue.Repo,
		Number: e.Issue.Number, Valid: e.Valid, Answer: e.Answer, Error: e.Error, Attempts: e.Attempts,
		PromptTokens: e.PromptTokens, CompletionTokens: e.CompletionTokens})
}

// classifyReasons words why issues were labelled or skipped.
func classifyReasons(st pipeline.ClassifyStats) string {
	r := st.Reasons
	var why []string
	for _, p := range []struct {
		n    int
		what string
	}{{r.New, "new"}, {r.Changed, "changed since labelled (or labelled by a bugscope that did not record what it read)"},
		{r.OtherVersion, "labelled by another classifier version"}} {
		if p.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if st.Skipped == 0 && r.Current > 0 {
		why = append(why, fmt.Sprintf("%d current, labelled again (--all)", r.Current))
	}
	s := "labelled: none"
	if len(why) > 0 {
		s = "labelled: " + strings.Join(why, ", ")
	}
	s += fmt.Sprintf("; skipped %d (current: same text, same classifier versions; --all labels them again)", st.Skipped)
	if st.Rejected > 0 {
		s += fmt.Sprintf("; %d refused and labelled again (the issue changed while it was classified)", st.Rejected)
	}
	return s
}
