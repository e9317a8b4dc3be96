package deploy

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
}

// stage is a build stage: its FROM line and instructions.
type stage struct {
	from, name string
	body       []instruction
}

// parseDockerfile reads path into its global ARGs and its stages.
func parseDockerfile(tb testing.TB, path string) (globalArgs map[string]string, stages []stage) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	joined := regexp.MustCompile(`\\\n`).ReplaceAllString(string(data), " ")
	globalArgs = map[string]string{}
	for line := range strings.SplitSeq(joined, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		switch {
		case in.cmd == "FROM":
			from, name, _ := strings.Cut(in.args, " AS ")
			stages = append(stages, stage{from: expandVars(strings.TrimSpace(from), globalArgs), name: strings.TrimSpace(name)})
		case len(stages) == 0 && in.cmd == "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			globalArgs[k] = v
		case len(stages) > 0:
			stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
		}
	}
	return globalArgs, stages
}

func expandVars(s string, vars map[string]string) string {
	return os.Expand(s, func(k string) string { return vars[k] })
}

// shellWords splits a shell command line into words, honouring single
// and double quotes and expanding ${VAR} and $VAR outside single quotes.
// It covers what the Dockerfile's RUN lines use, nothing more.
func shellWords(tb testing.TB, s string, vars map[string]string) []string {
	tb.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				tb.Fatalf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				tb.Fatalf("unterminated \" in %q", s)
			}
			cur.WriteString(expandVars(s[i+1:i+1+end], vars))
			i += end + 1
			inWord = true
		case c == '&' || c == '|' || c == ';':
			tb.Fatalf("RUN line %q chains commands; keep one go build per RUN so the test can run it", s)
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t'\"", rune(s[j])) {
				j++
			}
			cur.WriteString(expandVars(s[i:j], vars))
			i = j - 1
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// envPairs parses `ENV K=V K2="V 2"`.
func envPairs(tb testing.TB, args string, vars map[string]string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, w := range shellWords(tb, args, vars) {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			tb.Fatalf("ENV %q: use the KEY=value form", args)
		}
		out[k] = v
	}
	return out
}

// TestDockerfile runs the build stage's `go build` lines with exactly
// their ENV and flags, and checks the binaries are static, trimmed and
// carry the version; then checks the final stage: a shell-less base, a
// numeric non-root user, and an entrypoint and binaries that the
// manifests' commands find.
func TestDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries (-short)")
	}
	t.Parallel()
	root := repoRoot(t)
	globalArgs, stages := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	if len(stages) != 2 || stages[0].name != "build" {
		t.Fatalf("want two stages, the first named build; got %+v", stages)
	}

	const version = "v0.0.0-dockerfile-test"
	out := t.TempDir()
	vars := map[string]string{}
	env := map[string]string{}
	built := map[string]string{} // image path → local binary
	for _, in := range stages[0].body {
		switch in.cmd {
		case "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			vars[k] = v
			if k == "VERSION" {
				vars[k] = version // as --build-arg VERSION=… would
			}
		case "ENV":
			for k, v := range envPairs(t, in.args, vars) {
				env[k] = v
				vars[k] = v
			}
		case "RUN":
			words := shellWords(t, in.args, vars)
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				continue // go mod download etc.
			}
			i := slices.Index(words, "-o")
			if i < 0 || i+1 >= len(words) {
				t.Fatalf("RUN %s: no -o", in.args)
			}
			imagePath := words[i+1]
			local := filepath.Join(out, filepath.Base(imagePath))
			words[i+1] = local
			cmd := exec.CommandContext(t.Context(), words[0], words[1:]...)
			cmd.Dir = root
			cmd.Env = os.Environ()
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", strings.Join(words, " "), err, b)
			}
			built[imagePath] = local
			checkBinary(t, local, version)
		}
	}
	if env["CGO_ENABLED"] != "0" {
		t.Errorf("the build stage must set CGO_ENABLED=0, has %q", env["CGO_ENABLED"])
	}
	for _, want := range []string{"/out/worker", "/out/registrar", "/out/replay"} {
		if _, ok := built[want]; !ok {
			t.Errorf("the build stage does not build %s", want)
		}
	}
	if b, ok := built["/out/replay"]; ok {
		got, err := exec.CommandContext(t.Context(), b, "-version").Output()
		if err != nil || strings.TrimSpace(string(got)) != version {
			t.Errorf("replay -version = %q, %v; want %q", got, err, version)
		}
	}

	final := stages[1]
	if base := final.from; !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final base %q (RUNTIME_IMAGE default %q) must be distroless/static or scratch: no shell", base, globalArgs["RUNTIME_IMAGE"])
	}
	inImage := map[string]bool{}
	var user, entrypoint string
	for _, in := range final.body {
		switch in.cmd {
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) < 3 || f[0] != "--from=build" {
				t.Errorf("COPY %s: the final stage copies only from build", in.args)
				continue
			}
			dst := f[len(f)-1]
			for _, src := range f[1 : len(f)-1] {
				if _, ok := built[src]; !ok {
					t.Errorf("COPY %s: %s is not built by the build stage", in.args, src)
				}
				inImage[filepath.Join(dst, filepath.Base(src))] = true
			}
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "RUN":
			t.Errorf("RUN %s in the final stage: it has no shell", in.args)
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q: want a numeric non-root UID (runAsNonRoot can verify only a number)", user)
	}
	var ep []string
	if err := json.Unmarshal([]byte(entrypoint), &ep); err != nil || len(ep) == 0 || !inImage[ep[0]] {
		t.Errorf("ENTRYPOINT %s: want exec form naming a binary in the image (%v)", entrypoint, inImage)
	}
	for _, bin := range []string{"/worker", "/registrar", "/replay"} {
		if !inImage[bin] {
			t.Errorf("%s is not in the image; the manifests run it", bin)
		}
	}
}

// checkBinary requires a static ELF (no interpreter, no shared
// libraries), built with -trimpath and CGO_ENABLED=0, carrying version.
func checkBinary(t *testing.T, path, version string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s: has a dynamic loader (PT_INTERP): not static", path)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s: links shared libraries %v", path, libs)
	}
	info, err := exec.CommandContext(t.Context(), "go", "version", "-m", path).Output()
	if err != nil {
		t.Fatalf("go version -m %s: %v", path, err)
	}
	// With -trimpath the go command leaves -ldflags out of the build info,
	// so the version is looked for in the binary's data below.
	for _, want := range []string{"build\tCGO_ENABLED=0", "build\t-trimpath=true"} {
		if !bytes.Contains(info, []byte(want)) {
			t.Errorf("%s: build info lacks %q:\n%s", path, want, info)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(version)) {
		t.Errorf("%s: version %q is not stamped in the binary", path, version)
	}
}
