//go:build unix

package bench

import "syscall"

// processCPU is the CPU time this process used so far, user and system,
// in µs.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000
}
