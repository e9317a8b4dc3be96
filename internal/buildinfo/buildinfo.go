// Package buildinfo reports the version of the running binary, for logs,
// the OTel service.version resource attribute and /healthz-style output.
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// version is set at link time:
//
//	go build -ldflags "-X bcstream/internal/buildinfo.version=v1.2.3" ./cmd/worker
//
// It is unexported so nothing can change it at run time.
var version string

// Version returns, in order of preference: the version set with -ldflags -X
// (release builds, where the Dockerfile passes the git tag or commit); the
// main module's version from the build info (go install module@version); the
// VCS revision the go command stamped (12 hex digits, "-dirty" when the tree
// had local changes; absent with -buildvcs=false or outside a checkout); or
// "dev".
func Version() string { return cached() }

var cached = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	return resolve(version, bi, ok)
})

func resolve(ldflags string, bi *debug.BuildInfo, ok bool) string {
	if ldflags != "" {
		return ldflags
	}
	if !ok || bi == nil {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
