package bugscope

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Transactions and SQL stay in package sqlite: no other package, tests
// included, imports database/sql; the stores are the interfaces the other
// packages define.
func TestOnlySqliteImportsDatabaseSQL(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(goBin, "list", "-f", `{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`, "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if f[0] != "github.com/bugscope/bugscope/sqlite" && slices.Contains(f[1:], "database/sql") {
			t.Errorf("%s imports database/sql", f[0])
		}
	}
}
