// Package metrics computes the agreement and accuracy figures of a bug
// study: accuracy, per-class precision/recall/F1 and macro-F1, confusion
// matrices, Cohen's kappa (unweighted, linear and quadratic weights) with
// its asymptotic standard error and a bootstrap interval, Fleiss' kappa,
// Krippendorff's alpha, and multi-label figures. Compare ties them to a
// taxonomy: it scores one set of labels (a classifier, or a second rater)
// against another (gold, or a first rater), dimension by dimension.
//
// Conventions, shared by every function:
//   - a is the reference (gold, rater 1), b the labels scored against it
//     (prediction, rater 2). Slices a and b are parallel: item i is a[i],
//     b[i]; unequal lengths are a programming error and panic.
//   - a figure that is undefined (no items, a kappa whose chance agreement
//     is 1) is NaN in the float64 results and null in JSON (see Float).
//   - precision of a class never predicted, recall of a class never in the
//     reference, and F1 when both are 0 are 0, as scikit-learn's default.
//   - every list is in a deterministic order: a caller's order first, the
//     rest sorted.
package metrics
