// Package llm classifies issues with a large language model behind any
// OpenAI-compatible chat endpoint (OpenAI, or a local llama.cpp server,
// vLLM or Ollama). The prompt carries the taxonomy's definitions; the
// answer must be one JSON object in the label-record format
// (package labelrec), and is validated against the taxonomy: an invalid
// answer is sent back with the error for another try, and after the last
// try the issue is marked invalid rather than guessed. Answers are cached
// by a hash of everything that shapes them (model, prompt, issue content),
// requests run a bounded number at a time, and the tokens every response
// reports are counted.
//
// The LLM classifier is never required: bugscope's rules and learned
// model work without it.
package llm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/bugscope/bugscope"
	"github.com/bugscope/bugscope/labelrec"
	"github.com/bugscope/bugscope/taxonomy"
)

// Name is the classifier name the LLM's labels are stored under.
const Name = "llm"

// PromptVersion changes whenever the prompt's wording changes, so that
// cached answers to an older prompt are not reused.
const PromptVersion = "p1"

// Config is how to reach the model and how hard to try.
type Config struct {
	// URL is the endpoint's base URL, up to and including /v1
	// (http://localhost:8080/v1 for a llama.cpp server).
	URL   string
	Model string
	// APIKey is sent as a bearer token when set; local servers need none.
	APIKey string
	// Concurrency bounds the requests in flight (default 4).
	Concurrency int
	// Retries is how many more times an issue is tried after an invalid
	// answer, a timeout or a failed request (default 2).
	Retries int
	// Timeout bounds one request (default 2 minutes).
	Timeout time.Duration
	// MaxBody bounds the bytes of an issue body put in the prompt
	// (default 8000): its head and its tail, where logs end.
	MaxBody int
	// MaxTokens bounds the answer (default 400).
	MaxTokens int
	// JSONMode asks the server for a JSON object (response_format); turn
	// it off for servers that reject the parameter.
	JSONMode bool
	// HTTPClient, when set, makes the requests (tests).
	HTTPClient *http.Client
}

func (c *Config) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.Retries < 0 {
		c.Retries = 0
	} else if c.Retries == 0 {
		c.Retries = 2
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 8000
	}
	if c.MaxTokens <= 0 {
		c.MaxTokens = 400
	}
}

// Entry is one cached answer.
type Entry struct {
	Key              string
	Model            string
	Taxonomy         string
	Issue            bugscope.IssueRef
	Valid            bool
	Answer           string // the last answer's text
	Error            string // why it is invalid
	Attempts         int
	PromptTokens     int64
	CompletionTokens int64
}

// Cache keeps answers between runs. Lookup returns only valid answers: an
// invalid one is asked again on the next run.
type Cache interface {
	Lookup(ctx context.Context, key string) (answer string, ok bool, err error)
	Store(ctx context.Context, e Entry) error
}

// Stats count what a classifier did.
type Stats struct {
	Issues           int64 `json:"issues"`
	CacheHits        int64 `json:"cache_hits"`
	Requests         int64 `json:"requests"`
	Retries          int64 `json:"retries"`
	Invalid          int64 `json:"invalid"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
}

// Classifier is the LLM classifier, a bugscope.Classifier named "llm".
type Classifier struct {
	cfg    Config
	tax    *taxonomy.Taxonomy
	cache  Cache
	client openai.Client
	system string

	issues, hits, requests, retries, invalid, prompt, completion atomic.Int64
}

// New returns a classifier for the taxonomy; cache may be nil.
func New(tax *taxonomy.Taxonomy, cfg Config, cache Cache) (*Classifier, error) {
	if cfg.URL == "" {
		return nil, errors.New("llm: no endpoint URL")
	}
	if cfg.Model == "" {
		return nil, errors.New("llm: no model name")
	}
	cfg.defaults()
	// The client's own retries are off: this package retries, and counts.
	opts := []option.RequestOption{option.WithBaseURL(cfg.URL), option.WithMaxRetries(0)}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	} else {
		opts = append(opts, option.WithAPIKey("none"))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &Classifier{cfg: cfg, tax: tax, cache: cache, client: openai.NewClient(opts...), system: SystemPrompt(tax)}, nil
}

// Name returns "llm".
func (c *Classifier) Name() string { return Name }

// Version names the model and the prompt.
func (c *Classifier) Version() string { return c.cfg.Model + "+" + PromptVersion }

// Stats returns the counts so far.
func (c *Classifier) Stats() Stats {
	return Stats{Issues: c.issues.Load(), CacheHits: c.hits.Load(), Requests: c.requests.Load(), Retries: c.retries.Load(),
		Invalid: c.invalid.Load(), PromptTokens: c.prompt.Load(), CompletionTokens: c.completion.Load()}
}

// maxFailures in a row of requests that got no answer at all stop the
// run: the endpoint is down or refuses us, and every issue would fail.
const maxFailures = 5

// Classify labels issues, at most Concurrency requests at a time. An issue
// whose answers stay invalid gets a classification without labels,
// confidence 0, and evidence saying why.
func (c *Classifier) Classify(ctx context.Context, issues []bugscope.Issue) ([]bugscope.Classification, error) {
	out := make([]bugscope.Classification, len(issues))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var failures atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < c.cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cl, reached, err := c.one(ctx, &issues[i])
				if err != nil {
					cancel(err)
					continue
				}
				if reached {
					failures.Store(0)
				} else if failures.Add(1) >= maxFailures {
					cancel(bugscope.Errorf(bugscope.EUnavailable, "llm: %d requests in a row got no answer from %s; last: %s", maxFailures, c.cfg.URL, cl.Evidence[0].Note))
				}
				out[i] = cl
			}
		}()
	}
feed:
	for i := range issues {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// one classifies one issue. reached reports whether the endpoint answered
// at all (false when every attempt failed in transport).
func (c *Classifier) one(ctx context.Context, is *bugscope.Issue) (cl bugscope.Classification, reached bool, err error) {
	c.issues.Add(1)
	user := UserPrompt(is, c.cfg.MaxBody)
	key := c.Key(user)
	if c.cache != nil {
		ans, ok, err := c.cache.Lookup(ctx, key)
		if err != nil {
			return cl, false, fmt.Errorf("llm cache: %w", err)
		}
		if ok {
			if rec, err := Parse(ans, is.Ref(), c.tax); err == nil {
				c.hits.Add(1)
				return c.classification(is.Ref(), rec), true, nil
			}
		}
	}
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(c.system), openai.UserMessage(user)}
	entry := Entry{Key: key, Model: c.cfg.Model, Taxonomy: c.tax.Name, Issue: is.Ref()}
	var lastErr error
	for attempt := 0; attempt <= c.cfg.Retries; attempt++ {
		if err := ctx.Err(); err != nil {
			return cl, false, context.Cause(ctx)
		}
		if attempt > 0 {
			c.retries.Add(1)
		}
		entry.Attempts = attempt + 1
		answer, usage, err := c.ask(ctx, msgs)
		entry.PromptTokens += usage.PromptTokens
		entry.CompletionTokens += usage.CompletionTokens
		if err != nil {
			if ctx.Err() != nil {
				return cl, false, context.Cause(ctx)
			}
			lastErr = err
			continue
		}
		reached = true
		rec, err := Parse(answer, is.Ref(), c.tax)
		entry.Answer = answer
		if err == nil {
			entry.Valid, entry.Error = true, ""
			if c.cache != nil {
				if err := c.cache.Store(ctx, entry); err != nil {
					return cl, reached, fmt.Errorf("llm cache: %w", err)
				}
			}
			return c.classification(is.Ref(), rec), true, nil
		}
		lastErr = err
		// Show the model its answer and what was wrong with it.
		msgs = append(msgs, openai.AssistantMessage(bound(answer, 2000)),
			openai.UserMessage("That answer is invalid: "+bound(err.Error(), 1000)+
				"\nAnswer again with one JSON object only, following the instructions."))
	}
	c.invalid.Add(1)
	entry.Valid, entry.Error = false, lastErr.Error()
	if c.cache != nil && reached {
		if err := c.cache.Store(ctx, entry); err != nil {
			return cl, reached, fmt.Errorf("llm cache: %w", err)
		}
	}
	what := "answer invalid"
	if !reached {
		what = "no answer"
	}
	cl = c.base(is.Ref())
	cl.Evidence = []bugscope.Evidence{{Dimension: c.kindID(), Rule: Name, Field: Name,
		Note: fmt.Sprintf("%s after %d tries: %s", what, c.cfg.Retries+1, bound(lastErr.Error(), 300))}}
	return cl, reached, nil
}

// usage is the token counts of one response.
type usage struct{ PromptTokens, CompletionTokens int64 }

// ask sends one chat request under the per-request timeout.
func (c *Classifier) ask(ctx context.Context, msgs []openai.ChatCompletionMessageParamUnion) (string, usage, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	c.requests.Add(1)
	p := openai.ChatCompletionNewParams{
		Model:     c.cfg.Model,
		Messages:  msgs,
		MaxTokens: openai.Int(int64(c.cfg.MaxTokens)),
	}
	p.Temperature = openai.Float(0)
	if c.cfg.JSONMode {
		p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
	}
	resp, err := c.client.Chat.Completions.New(ctx, p)
	if err != nil {
		return "", usage{}, err
	}
	u := usage{resp.Usage.PromptTokens, resp.Usage.CompletionTokens}
	c.prompt.Add(u.PromptTokens)
	c.completion.Add(u.CompletionTokens)
	if len(resp.Choices) == 0 {
		return "", u, errors.New("the response has no choices")
	}
	return resp.Choices[0].Message.Content, u, nil
}

// Key is the cache key of a prompt: a hash of the prompt version, the
// model, the system prompt (the taxonomy) and the issue's prompt.
func (c *Classifier) Key(user string) string {
	h := sha256.New()
	for _, s := range []string{PromptVersion, c.cfg.Model, c.system, user} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Classifier) kindID() string {
	if d := c.tax.ByRole(taxonomy.RoleKind); d != nil {
		return d.ID
	}
	return c.tax.Dimensions[0].ID
}

func (c *Classifier) base(ref bugscope.IssueRef) bugscope.Classification {
	return bugscope.Classification{Issue: ref, Taxonomy: c.tax.Name, TaxonomyVersion: c.tax.Version,
		Classifier: Name, ClassifierVersion: c.Version(), Labels: bugscope.Labels{}, DimConfidence: map[string]float64{}}
}

// classification turns a valid record into a classification: the model's
// stated confidence for every dimension it decided, its note as evidence.
func (c *Classifier) classification(ref bugscope.IssueRef, rec labelrec.Record) bugscope.Classification {
	cl := c.base(ref)
	conf := 0.5
	switch {
	case rec.ConfidenceValue != nil:
		conf = *rec.ConfidenceValue
	case rec.Confidence == labelrec.High:
		conf = 0.8
	case rec.Confidence == labelrec.Low:
		conf = 0.4
	}
	cl.Labels = rec.Labels
	cl.Confidence = conf
	for _, d := range c.tax.Dimensions {
		if !c.tax.Applies(d, rec.Labels) {
			continue
		}
		cl.DimConfidence[d.ID] = conf
		vals := rec.Labels[d.ID]
		if len(vals) == 0 {
			continue
		}
		note := rec.Note
		if note == "" {
			note = "the model's answer"
		}
		cl.Evidence = append(cl.Evidence, bugscope.Evidence{Dimension: d.ID, Value: strings.Join(vals, ","),
			Rule: Name + ":" + c.cfg.Model, Field: Name, Note: bound(note, 300)})
	}
	return cl
}

// Parse validates an answer: one JSON object (a Markdown code fence around
// it is tolerated) in the label-record format, every key a dimension of
// the taxonomy or confidence or note, every value known, and a value for
// every single-valued dimension that applies.
func Parse(answer string, ref bugscope.IssueRef, tax *taxonomy.Taxonomy) (labelrec.Record, error) {
	s := strings.TrimSpace(answer)
	if i := strings.IndexByte(s, '{'); i >= 0 {
		if j := strings.LastIndexByte(s, '}'); j > i {
			s = s[i : j+1]
		}
	}
	if !strings.HasPrefix(s, "{") {
		return labelrec.Record{}, errors.New("the answer holds no JSON object")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		return labelrec.Record{}, fmt.Errorf("the answer is not a JSON object: %v", err)
	}
	id, _ := json.Marshal(ref.String())
	obj[labelrec.KeyID] = id
	line, err := json.Marshal(obj)
	if err != nil {
		return labelrec.Record{}, err
	}
	recs, err := labelrec.Read(bytes.NewReader(line), "answer", tax)
	if err != nil {
		return labelrec.Record{}, err
	}
	if len(recs) != 1 {
		return labelrec.Record{}, errors.New("the answer holds no record")
	}
	rec := recs[0]
	if miss := labelrec.Unlabelled(tax, rec.Labels); len(miss) > 0 {
		return rec, fmt.Errorf("no value for %s", strings.Join(miss, ", "))
	}
	if len(rec.Labels) == 0 {
		return rec, errors.New("no labels")
	}
	return rec, nil
}

// bound cuts s to at most n bytes of valid UTF-8.
func bound(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
