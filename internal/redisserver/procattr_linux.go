package redisserver

import "syscall"

// sysProcAttr makes the kernel kill the server when the process that
// started it dies, so a test binary that crashes or is killed leaves no
// redis-server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
