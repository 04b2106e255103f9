// Package browsertest finds the Chromium that browser tests drive
// (chromedp): $BUGSCOPE_CHROMIUM, else Debian's chromium (.ci/run installs
// it) or another Chrome on the PATH. Without one a test skips, saying so,
// or fails when BUGSCOPE_REQUIRE_BROWSER is set (CI).
package browsertest

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the browser's path, or skips (fails in CI) the test.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("BUGSCOPE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("BUGSCOPE_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium installed, and BUGSCOPE_REQUIRE_BROWSER is set (CI): .ci/run installs it with apt-get install chromium")
	}
	t.Skip("browser test skipped: no Chromium installed (apt-get install chromium, as .ci/run does, or set BUGSCOPE_CHROMIUM)")
	return ""
}
