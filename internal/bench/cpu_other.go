//go:build !unix

package bench

// processCPU is not measured here.
func processCPU() int64 { return 0 }
