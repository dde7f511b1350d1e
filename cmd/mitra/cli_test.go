package main

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

// run runs c with args, as `mitra` would, and returns what it printed
// to standard output and error together.
func run(t *testing.T, c *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(args)
	err := c.ExecuteContext(t.Context())
	return out.String(), err
}

// cliStore starts a Redis for the test, points the commands at it under
// the prefix "clitest", and returns a store over the same data, for the
// test to set up what the commands read and to check what they wrote.
func cliStore(t *testing.T, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	srv := redistest.Server(t)
	t.Setenv("MITRA_REDIS_URL", srv.URL())
	t.Setenv("MITRA_REDIS_PREFIX", "clitest")
	client, err := redisstore.Open(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return redisstore.New(client, "clitest", opts...)
}
