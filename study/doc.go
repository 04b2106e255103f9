// Package study runs the human side of an empirical bug study, as the
// source study did it: draw a random sample of issues per repository,
// sized by Cochran's formula for a confidence level and a margin of error
// (or a fixed size), reproducible from a seed; let two or more raters
// label each issue in a taxonomy, or exclude it with a reason; measure
// their agreement per dimension (Cohen's kappa, quadratic-weighted for
// ordinal dimensions, for two raters; Fleiss' kappa for more;
// Krippendorff's alpha where answers are missing), on the whole sample or
// a subset such as its second half; let an arbitrator settle every
// disagreement; and export the final labels as a benchmark dataset with a
// data card.
//
// Every answer is stored at once (package sqlite keeps the history; the
// latest answer of a rater counts), so annotation can stop and resume at
// any time. The package works with any taxonomy: it reads the dimensions,
// their values, ordinal scales and applies_when conditions from the
// taxonomy it is given. The command line (cmd/bugscope) and the terminal
// interfaces (package tui) are thin layers over Service.
package study
