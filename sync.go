package bugscope

import "time"

// The records of mining GitHub (package mine), as a store keeps them.

// SyncState is where `bugscope sync` stands for one listing (Resource) of
// one repository under one set of filters (Query). The sync engine reads
// it before a sync and stores it with every page, in the page's
// transaction.
type SyncState struct {
	Repo     string `json:"repo"`
	Resource string `json:"resource"`
	Query    string `json:"query"`
	// Cursor: every item updated before it is stored; the next sync asks
	// for items updated since. Nil before the first complete pass.
	Cursor *time.Time `json:"cursor,omitempty"`
	// A pass in progress: its window (since PassSince), the next page,
	// and the newest items it stored.
	InPass    bool       `json:"in_pass"`
	PassSince *time.Time `json:"pass_since,omitempty"`
	NextPage  int        `json:"next_page,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	MaxSeen   *time.Time `json:"max_seen,omitempty"`
	// Pages logs the pass's pages (when served, where they started); Repairs
	// the boundaries to fetch again because an item moved during the pass.
	Pages   []PageMark  `json:"pages,omitempty"`
	Repairs []time.Time `json:"repairs,omitempty"`
	// Validators of the listing's first page, for the request ValidatorKey.
	ValidatorKey string `json:"validator_key,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Totals over all syncs.
	Items    int64 `json:"items"`
	Requests int64 `json:"requests"`
	// StartedAt: the last sync that started; FinishedAt: the last that
	// reached the end of the listing.
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// PageMark records one page of a pass: when the server served it (its
// Date), the updated_at boundary it started from, and whether it was
// fetched by page number (Offset) rather than from a fresh since.
type PageMark struct {
	Served   time.Time `json:"served"`
	Boundary time.Time `json:"boundary"`
	Offset   bool      `json:"offset,omitempty"`
}

// UpsertStats counts what storing issues did.
type UpsertStats struct {
	Inserted  int `json:"inserted"`  // new issues
	Updated   int `json:"updated"`   // existing issues replaced by a newer version
	Unchanged int `json:"unchanged"` // identical to what was stored
	Stale     int `json:"stale"`     // older than what was stored, so left alone
}

// Add adds o's counts to s.
func (s *UpsertStats) Add(o UpsertStats) {
	s.Inserted += o.Inserted
	s.Updated += o.Updated
	s.Unchanged += o.Unchanged
	s.Stale += o.Stale
}

// MergedPull is what a listing says of a merged pull request, and what the
// pull request's own page adds (its size).
type MergedPull struct {
	PR                                 IssueRef
	MergedAt                           *time.Time
	SizeKnown                          bool
	Additions, Deletions, ChangedFiles int
	MergeCommit                        string
	// Unavailable records that the size cannot be fetched (the pull
	// request is gone), so that it is not asked for again.
	Unavailable bool
}

// ClosedIssue is a closed issue as the fix search sees it.
type ClosedIssue struct {
	Ref         IssueRef
	StateReason string // completed, not_planned, or "" when the source did not say
	ClosedAt    *time.Time
}

// FixCounts summarises the fix data of a repository.
type FixCounts struct {
	Links       int `json:"fix_links"`
	FixedIssues int `json:"fixed_issues"`
	SizedPulls  int `json:"sized_pull_requests"`
	Comments    int `json:"comments"`
}

// IssuePage is one page of a repository's issues listing as the sync
// stores it, in one transaction with the listing's state: the issues and
// pull requests, the merged pull requests among them, the issues each
// merged pull request's description closes, and the closed issues with
// why they were closed.
type IssuePage struct {
	Repo        string
	Issues      []Issue
	MergedPulls []MergedPull
	BodyFixes   []BodyFixes
	Closed      []ClosedIssue
}

// BodyFixes are the issues a pull request's description closes ("Fixes
// #12"); they replace the links found in an older version of it.
type BodyFixes struct {
	PullRequest IssueRef
	Closes      []IssueRef
}
