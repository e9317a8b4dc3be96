package bqemulator

import "syscall"

// sysProcAttr puts the emulator in its own process group (so Stop can
// signal it and anything it starts) and has the kernel SIGKILL it if the
// thread that started it dies. Don't call Start from a goroutine locked
// to its thread with runtime.LockOSThread that then exits.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }
