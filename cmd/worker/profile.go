package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startCPUProfile writes a CPU profile of the whole run to the file named
// by CPU_PROFILE, for load runs (cmd/bcload -cpuprofile). It is read
// directly rather than through the configuration: it is a debugging aid,
// not a setting. The returned stop function flushes the profile.
func startCPUProfile() (stop func()) {
	path := os.Getenv("CPU_PROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker: CPU_PROFILE:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "worker: CPU_PROFILE:", err)
		}
	}
}
