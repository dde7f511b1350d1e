// Package redistest gives tests a real Redis: a redis-server started by
// package redisserver, never one already running on the machine (and
// never port 6379). Only tests import it.
//
// A package's TestMain need not do anything. The shared server is
// started lazily by the first test that asks for it and dies with the
// test binary: on Linux the kernel kills it when the binary exits, however
// it exits (Pdeathsig). Go offers no package-level cleanup hook without a
// TestMain, so elsewhere it lives on until the machine restarts.
//
// When redis-server cannot be started the test fails with the reason (for
// instance how to install it); it is never skipped, so a missing Redis
// cannot pass for green tests.
package redistest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/redisserver"
)

var (
	sharedOnce sync.Once
	shared     *redisserver.Server
	sharedErr  error
	prefixes   atomic.Int64
)

// Client returns a client on the redis-server shared by the whole test
// binary and a key prefix no other test uses, so tests can run in
// parallel without seeing each other's keys. The client is closed when
// the test ends.
func Client(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	sharedOnce.Do(func() {
		// The server writes no files, so the system's temp dir serves as
		// its working dir: a temp dir of its own would outlive it, since
		// nothing closes the shared server.
		shared, sharedErr = redisserver.Start(context.Background(), redisserver.Options{Dir: os.TempDir()})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	c := redis.NewClient(&redis.Options{Addr: shared.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c, fmt.Sprintf("t%d-%s", prefixes.Add(1), keySafe(t.Name()))
}

// Server starts a redis-server for this test alone, for tests that stop
// and restart it. It is closed when the test ends.
func Server(t testing.TB) *redisserver.Server {
	t.Helper()
	srv, err := redisserver.Start(context.Background(), redisserver.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close redis-server: %v", err)
		}
	})
	return srv
}

// keySafe keeps the letters, digits, '-' and '_' of a test name, at most
// 40 of them, so the prefix stays readable in redis-cli and never holds
// a brace (which would break the keys' hash tags).
func keySafe(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() == 40 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '/':
			b.WriteByte('-')
		}
	}
	return b.String()
}
