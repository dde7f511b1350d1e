//go:build !linux

package redisserver

import "syscall"

// sysProcAttr is empty where the kernel cannot tie the child's life to
// ours; there a killed parent leaves the server running until Close is
// called or the machine restarts.
func sysProcAttr() *syscall.SysProcAttr { return nil }
