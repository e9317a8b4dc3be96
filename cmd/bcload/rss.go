package main

import (
	"bytes"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// peakRSS follows a child's VmHWM (the high-water mark of its resident
// memory) in /proc while it runs. The kernel's rusage cannot be used for
// this: at exec it carries the parent's peak RSS over into the child's
// ru_maxrss, so every child would report at least this process's size.
// VmHWM belongs to the child's own address space. stop returns the last
// reading, in bytes; sampling every 20 ms can miss a spike in the last
// 20 ms of the child's life.
func peakRSS(pid int) (stop func() int64) {
	var peak atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v := readVmHWM(path); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

func readVmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	i := bytes.Index(b, []byte("VmHWM:"))
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+len("VmHWM:"):])
	if len(f) < 2 {
		return 0
	}
	kb, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		return 0
	}
	return kb * 1024
}
