package bugscope

import "slices"

// ClassifierPreference ranks the classifiers whose labels a report, an
// export or an annotator's suggestion uses, best first: the ensemble
// (rules and model, each where it is measured to be better), the learned
// model, the LLM, the rules. Classifiers not listed rank after them, by
// name.
var ClassifierPreference = []string{"ensemble", "model", "llm", "rules"}

// ClassifierRank is the place of a classifier in ClassifierPreference:
// lower is better.
func ClassifierRank(name string) int {
	if i := slices.Index(ClassifierPreference, name); i >= 0 {
		return i
	}
	return len(ClassifierPreference)
}

// BestClassifier returns the best of the classifiers in have, or "" when
// have is empty.
func BestClassifier(have []string) string {
	best := ""
	for _, h := range have {
		if best == "" || ClassifierRank(h) < ClassifierRank(best) || ClassifierRank(h) == ClassifierRank(best) && h < best {
			best = h
		}
	}
	return best
}

// ChooseClassifier returns name if it is one of have; with name empty, the
// best of have. It fails with ENotFound when nothing (or not name) has
// labelled issues in the taxonomy.
func ChooseClassifier(have []string, taxonomy, name string) (string, error) {
	if name != "" {
		if slices.Contains(have, name) {
			return name, nil
		}
		return "", Errorf(ENotFound, "no issues classified by %q in taxonomy %s (have: %v); run bugscope classify", name, taxonomy, have)
	}
	if best := BestClassifier(have); best != "" {
		return best, nil
	}
	return "", Errorf(ENotFound, "no classified issues in taxonomy %s; run bugscope classify first", taxonomy)
}
