package buildinfo

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	cases := []struct {
		name    string
		ldflags string
		bi      *debug.BuildInfo
		ok      bool
		want    string
	}{
		{name: "ldflags win", ldflags: "v1.2.3", bi: &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}}, ok: true, want: "v1.2.3"},
		{name: "no build info", want: "dev"},
		{name: "module version", bi: &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}}, ok: true, want: "v0.4.0"},
		{name: "vcs revision", bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef0123", "false")}, ok: true, want: "0123456789ab"},
		{name: "dirty tree", bi: &debug.BuildInfo{Settings: vcs("0123456789abcdef0123", "true")}, ok: true, want: "0123456789ab-dirty"},
		{name: "devel without vcs", bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, ok: true, want: "dev"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := resolve(tc.ldflags, tc.bi, tc.ok); got != tc.want {
				t.Errorf("resolve() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLdflags builds a tiny binary with -X and checks Version reports it, so
// a rename of the variable breaks this test rather than the release build.
func TestLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "printversion")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin,
		"-ldflags", "-X bcstream/internal/buildinfo.version=v7.7.7-test", "./testdata/printversion")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(t.Context(), bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "v7.7.7-test" {
		t.Errorf("Version() = %q, want v7.7.7-test", got)
	}
}
