//go:build unix && !linux

package childproc

import (
	"os"
	"syscall"
)

// sysProcAttr puts the child in its own process group, so Stop can signal
// it and anything it starts.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends sig to p's process group, whose ID is p's PID.
func signalGroup(p *os.Process, sig syscall.Signal) error { return syscall.Kill(-p.Pid, sig) }
