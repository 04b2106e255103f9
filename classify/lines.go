package classify

import (
	"strings"

	"github.com/bugscope/bugscope/internal/ac"
)

// What a line of a report holds, beyond the section it is in. A careful
// reader takes a symptom from the reporter's prose and from the error
// lines of a log, not from the command that started the server (its flags
// name every feature in use), the frames of a traceback (their function
// and module names are code, not symptoms) or a pasted response object
// (its field names are the API's vocabulary, whatever went wrong).
const (
	lineProse = iota
	lineCommand
	lineFrame
	lineData
	lineOutput // program output pasted outside a code block: a log line
)

// commandStarts are the beginnings of a line that make it a command: a
// shell prompt, an environment assignment, or one of the programs that
// reports paste to show how they ran things.
var commandStarts = []string{
	"$ ", ">>> ", "PS> ", "PS C:", "C:\\>",
	"python ", "python3 ", "python3.", "python -m", "py ", "uv ", "pip ", "pip3 ", "conda ", "git ", "cmake ", "make ", "ninja ",
	"docker ", "podman ", "kubectl ", "helm ", "sudo ", "nohup ", "export ", "set ", "source ", "bash ", "sh ", "cd ", "srun ", "sbatch ", "mpirun ", "torchrun ", "deepspeed ", "accelerate ", "ray ",
	"vllm ", "sglang ", "llama-", "./llama", ".\\llama", "./build/bin/", "./main ", "./server ", "./bin/", "build/bin/", "trtllm-", "text-generation-launcher", "ollama ", "lmdeploy ",
	"curl ", "wget ", "http ", "nvidia-smi", "rocm-smi", "CUDA_VISIBLE_DEVICES=", "HIP_VISIBLE_DEVICES=", "ROCR_VISIBLE_DEVICES=",
}

// proseCommands are the programs whose invocation, written on a line of
// prose with a flag after it, makes the line a command.
var proseCommands = []string{
	"$ ", "python ", "python3 ", "python -m", "pip ", "pip3 ", "uv ", "docker ", "podman ", "kubectl ", "sudo ", "nohup ", "CUDA_VISIBLE_DEVICES=", "HIP_VISIBLE_DEVICES=",
	"vllm ", "sglang ", "llama-", "./", ".\\", "build/bin/", "trtllm-", "text-generation-launcher", "ollama ", "lmdeploy ", "torchrun ", "srun ", "mpirun ", "curl ", "cmake ", "make ",
}

// lineKind tells whether a line (without its newline) is prose, a command,
// a traceback frame or pasted data. prev is the kind of the line before it
// in the same block, and prevLine that line: a command continues over lines
// that end in a backslash, and a Python frame is followed by its source
// line. Outside code blocks (fenced is false) a line is a command only when
// it starts with a program and carries a flag or a prompt: "make sure ..."
// is prose.
func lineKind(line string, prev int, prevLine string, fenced bool) int {
	t := strings.TrimSpace(line)
	if t == "" {
		return lineProse
	}
	pt := strings.TrimSpace(prevLine)
	switch {
	case prev == lineCommand && (strings.HasSuffix(pt, "\\") || strings.HasSuffix(pt, "^") || strings.HasSuffix(pt, "`")):
		return lineCommand
	case prev == lineFrame && isPythonFrame(pt) && startsIndented(line):
		return lineFrame // the source line of the frame above
	case isFrame(t):
		return lineFrame
	case fenced && isCommand(t), !fenced && isProseCommand(t):
		return lineCommand
	case isData(t):
		return lineData
	case !fenced && isOutput(t):
		return lineOutput
	}
	return lineProse
}

// isOutput recognises a line of program output pasted into prose: a log
// line with a timestamp, a rank or process prefix, a "function_name:"
// prefix (llama.cpp's loaders), or a progress bar.
func isOutput(t string) bool {
	if len(t) < 6 {
		return false
	}
	c := t
	if c[0] == '[' || c[0] == '(' {
		c = c[1:]
	}
	switch {
	case len(c) >= 5 && isDigitByte(c[0]) && isDigitByte(c[1]) && (c[2] == ':' || c[2] == '-' || isDigitByte(c[2]) && isDigitByte(c[3]) && c[4] == '-'):
		return true // 12:00:01, 01-20 12:00, 2025-01-20
	case strings.HasPrefix(c, "rank") || strings.HasPrefix(c, "TP") && len(c) > 2 && isDigitByte(c[2]) || strings.HasPrefix(c, "pid=") || strings.Contains(t[:min(len(t), 40)], " pid="):
		return true
	case strings.Contains(t, "%|") || strings.Contains(t, "it/s]") || strings.Contains(t, "s/it]"):
		return true
	}
	if hasLevelPrefix(t) || strings.HasPrefix(t, "CRITICAL ") || strings.HasPrefix(t, "ERROR ") {
		return true
	}
	// /path/to/module.py:211: FutureWarning: ...
	if (t[0] == '/' || t[0] == '~' || len(t) > 3 && t[1] == ':' && t[2] == '\\') && (strings.Contains(t, ".py:") || strings.Contains(t, ".cpp:") || strings.Contains(t, ".cu:") || strings.Contains(t, ".c:")) {
		return true
	}
	// function_name: message
	if i := strings.IndexByte(t, ':'); i > 2 && i < 40 && strings.IndexByte(t[:i], '_') > 0 && i+1 < len(t) && t[i+1] == ' ' {
		for j := 0; j < i; j++ {
			if b := t[j]; !(isLetterByte(b) || isDigitByte(b) || b == '_' || b == '.') {
				return false
			}
		}
		return true
	}
	return false
}

// stripLogPrefix removes what loggers put before a message: a worker's
// "(VllmWorker rank=0 pid=12)" tag, "[rank0]:", a level with a timestamp
// and source ("ERROR 03-18 14:46:40 [core.py:341] "), "[2025-01-20
// 10:00:00 TP0] ". Engines log tracebacks line by line this way; without
// the prefix the frames and their source lines are recognised. errLevel
// tells whether the prefix named the ERROR level.
func stripLogPrefix(line string) (rest string, errLevel bool) {
	rest = line
	for range 3 {
		t := strings.TrimLeft(rest, " \t")
		switch {
		case strings.HasPrefix(t, "(") && strings.Contains(t[:min(len(t), 80)], "pid="):
			i := strings.IndexByte(t, ')')
			if i < 0 {
				return rest, errLevel
			}
			rest = trimOneSpace(t[i+1:])
		case strings.HasPrefix(t, "[rank"):
			i := strings.IndexByte(t, ']')
			if i < 0 {
				return rest, errLevel
			}
			rest = strings.TrimPrefix(t[i+1:], ":")
			rest = trimOneSpace(rest)
		case strings.HasPrefix(t, "[20") || strings.HasPrefix(t, "[19"):
			i := strings.IndexByte(t, ']')
			if i < 0 || i > 80 {
				return rest, errLevel
			}
			rest = trimOneSpace(t[i+1:])
		case hasLevelPrefix(t):
			errLevel = errLevel || strings.HasPrefix(t, "ERROR") || strings.HasPrefix(t, "CRITICAL")
			i := strings.Index(t[:min(len(t), 100)], "] ")
			if i < 0 {
				return rest, errLevel
			}
			rest = t[i+2:]
		default:
			return rest, errLevel
		}
	}
	return rest, errLevel
}

func trimOneSpace(s string) string {
	if strings.HasPrefix(s, " ") {
		return s[1:]
	}
	return s
}

// hasLevelPrefix: "ERROR 03-18 ...", "INFO 01-20 ...", "WARNING 01-20 ...".
func hasLevelPrefix(t string) bool {
	for _, l := range []string{"ERROR ", "CRITICAL ", "WARNING ", "INFO ", "DEBUG "} {
		if strings.HasPrefix(t, l) && len(t) > len(l) && isDigitByte(t[len(l)]) {
			return true
		}
	}
	return false
}

func startsIndented(line string) bool {
	return len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
}

func isPythonFrame(t string) bool {
	return strings.HasPrefix(t, `File "`) && strings.Contains(t, `", line `)
}

// isFrame recognises the frames of Python, C/C++ (gdb, backtrace(3),
// glibc), Rust, Go, Java and JavaScript stack traces, and Python's caret
// lines under a frame's source.
func isFrame(t string) bool {
	switch {
	case isPythonFrame(t), strings.HasPrefix(t, `File "<frozen `):
		return true
	case strings.Trim(t, "^~ ") == "" && strings.ContainsAny(t, "^~"):
		return true
	case strings.HasPrefix(t, "at ") && (strings.HasSuffix(t, ")") || strings.Contains(t, ".go:") || strings.Contains(t, ".rs:")):
		return true
	case strings.HasPrefix(t, "frame #"), strings.HasPrefix(t, "[bt]"):
		return true
	case t[0] == '#' && len(t) > 2 && isDigitByte(t[1]) && (strings.Contains(t, " in ") || strings.Contains(t, "0x")):
		return true // gdb: #3  0x00007f in ggml_graph_compute (...)
	case isDigitByte(t[0]) && strings.Contains(t, ": 0x") && len(t) > 3:
		return true // Rust: 12: 0x55d1 - core::panicking
	case strings.Contains(t, ".so(") && strings.Contains(t, "+0x"), strings.Contains(t, ".so.") && strings.Contains(t, "(+0x"):
		return true // backtrace(3): /lib/libggml.so(+0x1a2b) [0x7f...]
	case strings.HasPrefix(t, "0x") && strings.Contains(t, " in "):
		return true
	}
	return false
}

func isDigitByte(b byte) bool { return b >= '0' && b <= '9' }

// startsWithAssignment: "TP_SIZE=1 pytest ...", an environment variable
// set before a program.
func startsWithAssignment(t string) bool {
	i := strings.IndexByte(t, '=')
	if i < 2 || i > 40 || !strings.Contains(t[i:], " ") {
		return false
	}
	for j := 0; j < i; j++ {
		if b := t[j]; !(b >= 'A' && b <= 'Z' || isDigitByte(b) || b == '_') {
			return false
		}
	}
	return true
}

func isCommand(t string) bool {
	if startsWithAssignment(t) {
		return true
	}
	for _, p := range commandStarts {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	// A line of flags: "--tensor-parallel-size 2 \" under a command.
	return len(t) > 2 && t[0] == '-' && (t[1] == '-' || isLetterByte(t[1])) && (strings.HasSuffix(t, "\\") || strings.Count(t, " -") >= 1 || strings.HasPrefix(t, "--"))
}

func isProseCommand(t string) bool {
	if strings.HasPrefix(t, "$ ") || strings.HasPrefix(t, "curl ") || strings.HasPrefix(t, "wget ") || startsWithAssignment(t) && strings.Contains(t, " -") {
		return true
	}
	for _, p := range proseCommands {
		if strings.HasPrefix(t, p) {
			return strings.Contains(t, " -") || strings.HasSuffix(t, "\\")
		}
	}
	return false
}

func isLetterByte(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// isData recognises pasted structured data: JSON lines, Python reprs of
// response objects (ChatCompletion(id=..., reasoning_content=None, ...)),
// key=value dumps.
func isData(t string) bool {
	switch t[0] {
	case '{', '}', '[', ']':
		return true
	case '"', '\'':
		// "key": value
		q := t[0]
		if i := strings.IndexByte(t[1:], q); i > 0 && i+2 < len(t) && t[i+2] == ':' {
			return true
		}
	}
	// Identifier(field=..., field=...) or several field=value pairs.
	return strings.Count(t, "=None")+strings.Count(t, "=[]")+strings.Count(t, "=False")+strings.Count(t, "=True")+strings.Count(t, "={}") >= 1 && strings.Count(t, ", ") >= 2 ||
		strings.Count(t, "', ") >= 3 && strings.Count(t, "=") >= 3
}

// errorMarkers are the strings that make a line an error line: an
// exception class with its message, an error or fatal prefix, a failed
// assertion, a crash by a signal.
var errorMarkers = []string{
	"Error:", "Error(", "Exception:", "Exception(", "error:", "ERROR", "Error ", "error ", "Error\n",
	"FATAL", "Fatal", "fatal", "panic", "PANIC", "Traceback (most recent call last)",
	"Segmentation fault", "segmentation fault", "SIGSEGV", "SIGABRT", "SIGKILL", "core dumped", "Aborted", "Killed",
	"GGML_ASSERT", "GGML_ABORT", "Assertion", "assert", "terminate called", "what():",
	"failed", "Failed", "FAILED", "cannot", "Cannot", "unable to", "Unable to", "not found", "not supported",
}

// isErrorLine reports whether a line carries an error message (a prose or
// log line, never a command or frame).
func isErrorLine(line string) bool { return errorMarkerAC.Contains(line) }

// errorMarkerAC finds any error marker in one pass over a line.
var errorMarkerAC = ac.NewCaseSensitive(errorMarkers)

// inToken reports whether text[start:end] lies inside a launch flag
// (--tool-call-parser, --ipc=host, -ngl), an environment assignment that
// follows a flag, or a URL: text that names options and addresses, not a
// symptom.
func inToken(text string, start int) bool {
	a := start
	for a > 0 {
		c := text[a-1]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '`' || c == '"' || c == '\'' || c == '(' || c == '[' || c == ',' || c == '|' {
			break
		}
		a--
	}
	tok := text[a:start]
	if len(tok) >= 1 && tok[0] == '-' && (len(tok) == 1 || tok[1] == '-' || isLetterByte(tok[1])) {
		return true
	}
	if start-a < 1 && start+1 < len(text) && text[start] == '-' && (text[start+1] == '-' || isLetterByte(text[start+1])) && a == start {
		return true // the phrase itself starts with the dash of a flag
	}
	return strings.HasPrefix(tok, "http://") || strings.HasPrefix(tok, "https://") || strings.HasPrefix(tok, "www.")
}
