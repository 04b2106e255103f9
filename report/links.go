package report

import "github.com/bugscope/bugscope/internal/safetext"

// checkLinks replaces the stored address of every example by one that is
// safe to link: the stored html_url only when it is exactly
// https://HOST/OWNER/REPO/issues/N (or /pull/N) of that issue on
// github.com or one of hosts, else the github.com address built from the
// repository and number (safetext.IssueURL). A dump can carry any
// html_url; a report links only to the issue.
func checkLinks(r *Report, hosts []string) {
	for i := range r.Categories {
		for j := range r.Categories[i].Subcategories {
			exs := r.Categories[i].Subcategories[j].Examples
			for k := range exs {
				exs[k].URL = safetext.IssueURL(exs[k].Repo, exs[k].Number, exs[k].URL, hosts...)
			}
		}
	}
}
