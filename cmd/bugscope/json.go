package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/bugscope/bugscope/internal/safetext"
	"runtime/debug"

	"github.com/itchyny/gojq"
	"github.com/spf13/cobra"
)

// jsonFlags are --json and --jq, which every command that prints data
// takes: the JSON is the domain types' own (their snake_case tags), the
// same the web API serves.
type jsonFlags struct {
	on bool
	jq string
}

func (j *jsonFlags) register(c *cobra.Command, what string) {
	c.Flags().BoolVar(&j.on, "json", false, "print "+what+" as JSON")
	c.Flags().StringVar(&j.jq, "jq", "", "filter the JSON with a jq expression (implies --json)")
}

// enabled reports whether the command prints JSON.
func (j jsonFlags) enabled() bool { return j.on || j.jq != "" }

// checkJQ fails a command whose --jq expression does not parse before it
// does any work.
func checkJQ(cmd *cobra.Command, _ []string) error {
	if f := cmd.Flags().Lookup("jq"); f != nil && f.Value.String() != "" {
		if _, err := gojq.Parse(f.Value.String()); err != nil {
			return usageError("--jq: %v", err)
		}
	}
	return nil
}

// printJSON writes v as indented JSON to stdout or, with --jq, each result
// of the expression on v: strings as they are, other values as compact
// JSON, one a line.
func (a *app) printJSON(j jsonFlags, v any) error {
	if a.printed != nil {
		a.printed(v)
	}
	if j.jq == "" {
		return safetext.WriteJSON(a.stdout, v)
	}
	q, err := gojq.Parse(j.jq)
	if err != nil {
		return usageError("--jq: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var data any
	if err := json.Unmarshal(b, &data); err != nil {
		return err
	}
	iter := q.Run(data)
	for {
		x, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := x.(error); ok {
			if err, ok := err.(*gojq.HaltError); ok && err.Value() == nil {
				return nil
			}
			return usageError("--jq: %v", err)
		}
		if s, ok := x.(string); ok {
			fmt.Fprintln(a.stdout, safetext.Text(s))
			continue
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(x); err != nil {
			return err
		}
		a.stdout.Write(safetext.JSON(buf.Bytes()))
	}
}

// buildInfo is what `bugscope version` says of the binary.
type buildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"commit_time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Schema   int64  `json:"schema"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(devel)", Schema: latestSchema()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Go = bi.GoVersion
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

func versionString() string {
	b := readBuildInfo()
	s := "bugscope " + b.Version
	if b.Commit != "" {
		s += " (commit " + b.Commit
		if b.Time != "" {
			s += ", " + b.Time
		}
		if b.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return fmt.Sprintf("%s %s, database schema %d", s, b.Go, b.Schema)
}

type versionOptions struct{ json jsonFlags }

func (a *app) versionCmd() *cobra.Command {
	var o versionOptions
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version of bugscope: module version, commit, Go, database schema",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.runVersion(o) },
	}
	o.json.register(c, "the version")
	return c
}

func (a *app) runVersion(o versionOptions) error {
	if o.json.enabled() {
		return a.printJSON(o.json, readBuildInfo())
	}
	fmt.Fprintln(a.stdout, versionString())
	return nil
}
