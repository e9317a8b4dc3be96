//go:build unix && !linux

package bqemulator

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func signalGroup(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }
