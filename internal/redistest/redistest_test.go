package redistest

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestClient(t *testing.T) {
	ctx := context.Background()
	seen := map[string]bool{}
	for _, name := range []string{"a", "b/c", "{brace}"} {
		t.Run(name, func(t *testing.T) {
			c, prefix := Client(t)
			if seen[prefix] || strings.ContainsAny(prefix, "{} ") {
				t.Errorf("prefix %q reused or unsafe", prefix)
			}
			seen[prefix] = true
			if err := c.Set(ctx, prefix+":k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if addr := c.(*redis.Client).Options().Addr; strings.HasSuffix(addr, ":6379") {
				t.Errorf("shared server on %s", addr)
			}
		})
	}
}

func TestServer(t *testing.T) {
	srv := Server(t)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
}
