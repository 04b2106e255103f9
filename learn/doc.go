// Package learn is bugscope's learned text classifier: it learns the labels
// of a taxonomy from hand-labelled issues (label records joined with the
// issues in the database) and applies them to the rest.
//
// An issue becomes a sparse vector of named features: word unigrams and
// bigrams of the title, of the prose of the body and of its code and log
// blocks, character n-grams of the title's words (TF-IDF, sublinear term
// frequency, each block scaled to unit length, document frequencies taken
// from every stored issue, labelled or not), and binary features for the
// title convention ("[Bug]:"), the labels, its template headings,
// the signals extracted from it (exception types, back ends, GPUs ...), its
// repository, its length, and the rule classifier's decisions. Features are
// hashed while extracting and named in the vocabulary, so that a decision
// can quote its strongest features.
//
// Each single-valued dimension gets an L2-regularised multinomial logistic
// regression, each value of a multi-valued dimension a yes/no one, fitted
// with gonum's L-BFGS; with fewer examples than features, in the span of
// the examples (the same optimum, far fewer unknowns). Every model's
// probabilities are calibrated by temperature scaling fitted on
// out-of-fold predictions, so that a confidence of 0.8 is right about 80%
// of the time.
//
// Decisions follow the taxonomy's structure: the kind first, the other
// dimensions only where they apply. An ordinal dimension (severity) takes
// the value nearest the expected rank (or, as an option, the expected rank
// cut at points learned to maximise quadratic-weighted kappa), and a
// grouped dimension (category) picks the most probable group first and the
// best value inside it.
//
// A Model is saved as gzip'd JSON that describes itself: format version,
// taxonomy, feature configuration and training data (its hash and the
// labelled issues' ids) before the weights and vocabulary. The file bugscope
// train writes is package ensemble's Model, which wraps this one with the
// gates and the cross-validated figures.
//
// The code is split by concern: model.go the format, train.go training,
// predict.go prediction, evidence.go the evidence of a decision, file.go
// reading and writing.
package learn
