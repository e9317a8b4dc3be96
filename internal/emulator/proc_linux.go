package emulator

import "syscall"

// sysProcAttr puts the JVM in its own process group (so Stop can signal it
// and anything it starts) and has the kernel SIGKILL it if the thread that
// started it dies, so a crashed or killed test binary does not leave an
// emulator behind. Go does not end the threads it starts goroutines on,
// except one locked with runtime.LockOSThread whose goroutine exits; don't
// call Start from such a goroutine.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }
