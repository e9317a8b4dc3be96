//go:build !unix

package emulator

import (
	"os"
	"syscall"
)

// Process groups and SIGTERM are Unix notions; elsewhere the JVM (which
// starts no children) is killed outright.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(pid int, _ syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
