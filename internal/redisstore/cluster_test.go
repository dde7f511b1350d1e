package redisstore

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisserver"
)

// startCluster starts a Redis Cluster of three masters, each serving a
// third of the slots, and returns its seed list "h1:p1,h2:p2,h3:p3".
func startCluster(t *testing.T) string {
	t.Helper()
	slots := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	var addrs []string
	var nodes []*redis.Client
	var bus0 string
	for _, r := range slots {
		ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the cluster bus
		if err != nil {
			t.Fatal(err)
		}
		bus := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		srv, err := redisserver.Start(ctx, redisserver.Options{Dir: t.TempDir(), Args: []string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", bus,
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { c.Close() })
		if err := c.ClusterAddSlotsRange(ctx, r[0], r[1]).Err(); err != nil {
			t.Fatal(err)
		}
		if bus0 == "" {
			bus0 = bus
		}
		addrs = append(addrs, srv.Addr())
		nodes = append(nodes, c)
	}
	host, port, _ := net.SplitHostPort(addrs[0])
	for _, c := range nodes[1:] {
		// The bus port is not the usual port+10000, so MEET names it.
		if err := c.Do(ctx, "cluster", "meet", host, port, bus0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, c := range nodes {
		for !strings.Contains(c.ClusterInfo(ctx).Val(), "cluster_state:ok") {
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ready: %s", c.ClusterInfo(ctx).Val())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return strings.Join(addrs, ",")
}

// TestCluster runs the store over Redis Cluster: every script touches
// one slot, and the queue and audit live on other nodes than most
// contacts.
func TestCluster(t *testing.T) {
	t.Parallel()
	client, err := Open(startCluster(t))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	s := New(client, "mitra", WithClaimTimeout(time.Millisecond))
	var contacts []care.Address
	for i := range 20 {
		contacts = append(contacts, care.Address{Channel: care.WhatsApp, ID: strconv.Itoa(6281200000000 + i)})
	}
	for _, a := range contacts {
		mustCommit(t, s, step(a, "m1", 0, "hi"))
		conv, err := s.Load(ctx, idOf(a), "m1")
		if err != nil || !conv.Seen || conv.Session.Version != 1 {
			t.Fatalf("load %s = %+v, %v", a, conv, err)
		}
		if _, total, err := s.MemoryUsage(ctx, idOf(a)); err != nil || total == 0 {
			t.Fatalf("memory usage %s = %d, %v", a, total, err)
		}
		sim := care.Address{Channel: a.Channel, ID: care.SimPrefix + a.ID}
		if _, err := s.Append(ctx, sim, care.SimMessage{Text: "x"}); err != nil {
			t.Fatal(err)
		}
		if ms, err := s.After(ctx, sim, 0, 10); err != nil || len(ms) != 1 {
			t.Fatalf("after %s = %v, %v", a, ms, err)
		}
	}
	for _, k := range laneKeys(s) { // the lanes' node lost its data
		if err := client.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Recover(ctx); err != nil || n != len(contacts) {
		t.Fatalf("Recover = %d, %v; want %d", n, err, len(contacts))
	}
	ds := mustNext(t, s, "w", 100)
	if len(ds) != len(contacts) {
		t.Fatalf("Next = %d deliveries, want %d", len(ds), len(contacts))
	}
	for _, d := range ds {
		if got, err := s.Take(ctx, d); got != care.Taken || err != nil {
			t.Fatalf("take %s = %v, %v", d.ID, got, err)
		}
		if err := s.Settle(ctx, d, care.Outcome{Verdict: care.Allow, Sent: true}); err != nil {
			t.Fatal(err)
		}
	}
	if ds := mustNext(t, s, "w", 100); len(ds) != 0 {
		t.Errorf("Next after settling = %d deliveries", len(ds))
	}
	if err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Recover(ctx); err != nil || n != 0 {
		t.Errorf("Recover after Purge = %d, %v", n, err)
	}
}
