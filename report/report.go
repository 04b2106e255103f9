// Package report computes the figures of a bug study from classified issues
// and writes them as Markdown, JSON or CSV. Build computes every figure;
// the writers only format them, so the three formats always agree. Each
// section of the report has one function in build.go that computes it.
package report

import (
	"time"

	"github.com/bugscope/bugscope/stats"
)

// Report is the bug study: every figure the Markdown, JSON and CSV outputs
// show. Counts are of issues; shares are fractions (0..1) of the base named
// beside them.
type Report struct {
	Title       string    `json:"title"`
	GeneratedAt time.Time `json:"generated_at"`
	Taxonomy    NameVer   `json:"taxonomy"`
	Classifier  NameVer   `json:"classifier"`
	Filters     Filters   `json:"filters"`
	Engines     []Engine  `json:"engines"`
	Totals      Totals    `json:"totals"`
	// Coverage: the issues of the filter the report covers, whose labels
	// they carry, and the repositories it misses.
	Coverage Coverage `json:"coverage"`

	// Kinds: what sort of reports, per engine (base: all issues).
	Kinds Distribution `json:"kinds"`
	// Categories: the main symptom axis, by top-level group with its
	// subcategories (base: bugs).
	CategoryDimension string     `json:"category_dimension"`
	Categories        []Category `json:"categories"`
	// Patterns: the framework-specific patterns, per engine (base: bugs).
	Patterns []EnginePatterns `json:"patterns"`
	// RootCauses, Severities: distributions over bugs.
	RootCauses Distribution `json:"root_causes"`
	Severities Distribution `json:"severities"`
	// Other dimensions of a team's taxonomy, in its order.
	OtherDimensions []Distribution `json:"other_dimensions,omitempty"`
	// Signals extracted from bug reports: error signatures, exceptions,
	// GPUs, back ends, operating systems.
	Signatures []SignalCount `json:"error_signatures"`
	Exceptions []SignalCount `json:"exceptions"`
	Hardware   []SignalCount `json:"gpus"`
	Backends   []SignalCount `json:"backends"`
	Systems    []SignalCount `json:"operating_systems"`
	// Confidence of the classifier over the bugs: how many labels are sure.
	LowConfidence int `json:"low_confidence_bugs"`
	// FixEffort: for all bugs, each category and each subcategory, how many
	// bugs a merged pull request fixed, how long that took and how large
	// the fix was; absent without fix data (bugscope sync).
	FixEffort []CategoryFixEffort `json:"fix_effort,omitempty"`

	// Estimation says how every share's estimate and interval were
	// computed, with the hand labels' size and the labels' accuracy.
	Estimation Estimation `json:"estimation"`
	// Trends: counts and shares per period with trend tests.
	Trends *Trends `json:"trends,omitempty"`
	// EngineComparison: per dimension, the engines compared.
	EngineComparison []Comparison `json:"engine_comparison,omitempty"`
	// TimeToClose: Kaplan–Meier curves of the time from report to close.
	TimeToClose *TimeToClose `json:"time_to_close,omitempty"`
	// Attention: comments and reactions per category.
	Attention []Attention `json:"attention,omitempty"`
	// KeyFindings are sentences generated from the significant results;
	// Threats the threats to validity, from the labels' accuracy.
	KeyFindings []string `json:"key_findings"`
	Threats     []string `json:"threats_to_validity"`
	// Charts written beside the report (report -o DIR).
	Charts []Chart `json:"charts,omitempty"`
}

// Chart is one chart file pair written beside the report.
type Chart struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	SVG   string `json:"svg"`
	PNG   string `json:"png"`
}

// NameVer names a taxonomy or classifier and its version.
type NameVer struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Filters records what the report was restricted to.
type Filters struct {
	Repos []string   `json:"repos,omitempty"`
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	State string     `json:"state,omitempty"`
}

// Engine is one repository in the report.
type Engine struct {
	Repo string `json:"repo"`
	Name string `json:"name"`
}

// Totals counts the issues the report covers.
type Totals struct {
	Issues     int            `json:"issues"`
	ByRepo     map[string]int `json:"by_repo"`
	Bugs       int            `json:"bugs"`
	BugsByRepo map[string]int `json:"bugs_by_repo"`
}

// Count is how many issues carry one value, overall and per repository,
// and the share of the base.
type Count struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	Group  string         `json:"group,omitempty"`
	Count  int            `json:"count"`
	ByRepo map[string]int `json:"by_repo"`
	Share  float64        `json:"share"`
	// Estimate is the share with its 95% interval (corrected with hand
	// labels when the report has them), overall and per engine.
	Estimate       *Estimate           `json:"estimate,omitempty"`
	EstimateByRepo map[string]Estimate `json:"estimate_by_repo,omitempty"`
	// LabelAccuracy: the classifier's precision and recall for this value
	// on the hand labels, when the report has them.
	LabelAccuracy *LabelAccuracy `json:"label_accuracy,omitempty"`
}

// Distribution is the count of every value of one dimension.
type Distribution struct {
	Dimension string `json:"dimension"`
	Name      string `json:"name"`
	// Base is the number of issues the shares are fractions of; for a
	// multi-valued dimension the shares can sum to more than 1.
	Base       int            `json:"base"`
	BaseByRepo map[string]int `json:"base_by_repo"`
	Multi      bool           `json:"multi"`
	Values     []Count        `json:"values"`
	// Groups, for dimensions whose values are grouped.
	Groups []Count `json:"groups,omitempty"`
}

// Category is a top-level group of the category dimension.
type Category struct {
	Count
	Source        string        `json:"source,omitempty"`
	Frequency     string        `json:"frequency"`
	Subcategories []Subcategory `json:"subcategories"`
}

// Subcategory is one value of the category dimension with what is seen in
// its bugs.
type Subcategory struct {
	Count
	Source      string        `json:"source,omitempty"`
	Frequency   string        `json:"frequency"`
	Description string        `json:"description,omitempty"`
	Severities  []Count       `json:"severities"`
	RootCauses  []Count       `json:"root_causes"`
	Patterns    []Count       `json:"patterns"`
	Signatures  []SignalCount `json:"error_signatures"`
	Examples    []Example     `json:"examples"`
}

// Example is a real issue shown for a subcategory, with the evidence the
// classifier quoted.
type Example struct {
	ID         string  `json:"id"`
	Repo       string  `json:"repo"`
	Number     int     `json:"number"`
	URL        string  `json:"url"`
	Title      string  `json:"title"`
	Evidence   string  `json:"evidence"`
	Quote      string  `json:"quote,omitempty"`
	Confidence float64 `json:"confidence"`
}

// EnginePatterns counts the framework-specific patterns in one engine's bugs.
type EnginePatterns struct {
	Engine
	Bugs     int            `json:"bugs"`
	Patterns []PatternCount `json:"patterns"`
}

// PatternCount is one pattern in one engine: its count, share of the
// engine's bugs, and lift (that share over the share in all engines'
// bugs): above 1, the pattern is more typical of this engine.
type PatternCount struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Count int     `json:"count"`
	Share float64 `json:"share"`
	Lift  float64 `json:"lift"`
	// Estimate is the share with its interval; P tests whether the
	// engine's share differs from the other engines' (Fisher's exact
	// test), PAdjusted with Benjamini–Hochberg over the report's tests.
	Estimate  *Estimate `json:"estimate,omitempty"`
	P         *float64  `json:"p,omitempty"`
	PAdjusted *float64  `json:"p_adjusted,omitempty"`
}

// SignalCount is how many bug reports show one extracted signal.
type SignalCount struct {
	Value  string         `json:"value"`
	Count  int            `json:"count"`
	ByRepo map[string]int `json:"by_repo"`
}

// Frequency levels of a category, from its share of all bugs. The source
// document gives levels without thresholds; these are bugscope's, and the
// category with the most bugs is "Highest".
const (
	FrequencyHighest  = "Highest"
	FrequencyVeryHigh = "Very High"
	FrequencyHigh     = "High"
	FrequencyMedium   = "Medium"
	FrequencyLow      = "Low"
	FrequencyNone     = "None"
)

// FrequencyThresholds are the lowest shares of bugs for each level.
var FrequencyThresholds = []struct {
	Level string
	Share float64
}{
	{FrequencyVeryHigh, 0.20},
	{FrequencyHigh, 0.10},
	{FrequencyMedium, 0.04},
	{FrequencyLow, 0},
}

// FixEffort summarises the fixes of a set of bugs.
type FixEffort struct {
	Bugs  int `json:"bugs"`
	Fixed int `json:"fixed"` // bugs with a merged fixing pull request
	// MedianDaysToFix: from the report to the first merged fix, over the
	// fixed bugs whose times are known (Timed); nil without any.
	Timed           int      `json:"timed"`
	MedianDaysToFix *float64 `json:"median_days_to_fix,omitempty"`
	// Medians of the lines (additions plus deletions) and files the fixing
	// pull requests changed, summed per bug, over the fixed bugs whose fix
	// sizes are all known (Sized).
	Sized              int      `json:"sized"`
	MedianLinesChanged *float64 `json:"median_lines_changed,omitempty"`
	MedianFilesChanged *float64 `json:"median_files_changed,omitempty"`
	// Distribution-free 95% intervals of the medians (order statistics),
	// where there are enough bugs for one (6).
	DaysToFixCI    *stats.Interval `json:"days_to_fix_ci,omitempty"`
	LinesChangedCI *stats.Interval `json:"lines_changed_ci,omitempty"`
	FilesChangedCI *stats.Interval `json:"files_changed_ci,omitempty"`
}

// CategoryFixEffort is the fix effort of all bugs (Level "all"), of a
// category or of a subcategory, overall and per engine.
type CategoryFixEffort struct {
	Level string `json:"level"` // all, category, subcategory
	ID    string `json:"id"`
	Name  string `json:"name"`
	Group string `json:"group,omitempty"`
	FixEffort
	ByRepo map[string]FixEffort `json:"by_repo"`
}
