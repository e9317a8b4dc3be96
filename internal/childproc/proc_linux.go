package childproc

import (
	"os"
	"syscall"
)

// sysProcAttr puts the child in its own process group (so Stop can signal
// it and anything it starts) and has the kernel SIGKILL it if the thread
// that started it dies (see Start).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to p's process group, whose ID is p's PID.
func signalGroup(p *os.Process, sig syscall.Signal) error { return syscall.Kill(-p.Pid, sig) }
