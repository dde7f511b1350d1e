// Package demo runs Mitra with nothing installed: an in-process,
// Redis-compatible server (miniredis) stands in for Redis. Nothing is
// kept after the process ends. It is the only importer of miniredis.
package demo

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
)

// Redis is an in-memory Redis for the demo.
type Redis struct{ m *miniredis.Miniredis }

// StartRedis starts an in-memory Redis on a free loopback port.
func StartRedis() (*Redis, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start in-memory redis: %w", err)
	}
	return &Redis{m: m}, nil
}

// URL is the address to connect to.
func (r *Redis) URL() string { return "redis://" + r.m.Addr() + "/0" }

// Close stops the server; its data is gone.
func (r *Redis) Close() { r.m.Close() }
