//go:build !unix

package childproc

import (
	"os"
	"syscall"
)

// Process groups and SIGTERM are Unix notions; elsewhere the child alone
// is killed outright, whatever the signal.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(p *os.Process, _ syscall.Signal) error { return p.Kill() }
