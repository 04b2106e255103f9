// Command benchscale is the helper of scripts/bench-scale.sh: it makes
// synthetic issue dumps of any size and runs a command, reporting its wall
// time and peak memory.
//
//	benchscale gen -n N -o FILE [SOURCE.json...]
//	benchscale change -n M -of N -o FILE [SOURCE.json...]
//	benchscale run LABEL -- COMMAND [ARG...]
//
// gen writes N issues made by replicating the source dumps (default: the
// repository's own test fixtures) with new numbers: copy k of issue #n is
// issue #(k*1,000,000 + n) of the same repository, its html_url to match.
// change writes M of those N issues, spread evenly, with a new title
// suffix, a changed body and a later updated_at: an import of it replaces
// exactly M issues' text. Output is a JSON array with one object per line.
//
// run runs the command and prints "LABEL wall_s peak_mib cpu_s" on
// stderr: the peak is the command's maximum resident set and cpu its user
// plus system time (getrusage of the child), so that no /usr/bin/time is
// needed. On a machine that others share, CPU time says more than wall
// time.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:], false)
	case "change":
		err = gen(os.Args[2:], true)
	case "run":
		err = run(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchscale gen -n N -o FILE [SOURCE...] | change -n M -of N -o FILE [SOURCE...] | run LABEL -- CMD...")
	os.Exit(2)
}

// Copies of one source issue are numbered k*stride + n.
const stride = 1_000_000

var numberInURL = regexp.MustCompile(`/(issues|pull)/[0-9]+$`)

func gen(args []string, change bool) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fs.Int("n", 4019, "issues to write (change: issues to change)")
	of := fs.Int("of", 0, "change: the size of the generated set the changed issues belong to")
	out := fs.String("o", "", "output file")
	fs.Parse(args)
	if *out == "" {
		return errors.New("-o FILE is needed")
	}
	srcs := fs.Args()
	if len(srcs) == 0 {
		srcs = []string{filepath.Join("cmd", "bugscope", "testdata", "issues.json")}
	}
	var pool []map[string]any
	for _, s := range srcs {
		data, err := os.ReadFile(s)
		if err != nil {
			return err
		}
		var objs []map[string]any
		if err := json.Unmarshal(data, &objs); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		pool = append(pool, objs...)
	}
	if len(pool) == 0 {
		return errors.New("no source issues")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("[\n")
	total, step := *n, 1
	if change {
		if *of < *n || *n <= 0 {
			return errors.New("change: want 0 < -n <= -of")
		}
		step = *of / *n
	}
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	for i := 0; i < total; i++ {
		idx := i * step
		src := pool[idx%len(pool)]
		k := idx / len(pool)
		obj := make(map[string]any, len(src))
		for key, v := range src {
			obj[key] = v
		}
		num, _ := src["number"].(float64)
		newNum := k*stride + int(num)
		obj["number"] = newNum
		if u, ok := src["html_url"].(string); ok {
			obj["html_url"] = numberInURL.ReplaceAllString(u, "/${1}/"+strconv.Itoa(newNum))
		}
		if change {
			t, _ := src["title"].(string)
			b, _ := src["body"].(string)
			obj["title"] = t + " (edited)"
			obj["body"] = b + "\n\nEdit: still happens with the nightly build."
			obj["updated_at"] = later
		}
		line, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		w.Write(line)
		if i < total-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteString("]\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func run(args []string) error {
	if len(args) < 3 || args[1] != "--" {
		usage()
	}
	label, argv := args[0], args[2:]
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	peak, cpu := 0.0, 0.0
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = float64(ru.Maxrss) / 1024 // Linux: KiB
		}
		cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	fmt.Fprintf(os.Stderr, "%s %.2f %.0f %.2f\n", label, wall.Seconds(), peak, cpu)
	return err
}
