package redisstore

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		url     string
		addrs   []string // the node, or the cluster's seed nodes
		cluster bool
		db      int
		user    string
		pass    string
		tls     bool
		err     string // part of the error; empty: no error
	}{
		{url: "redis://127.0.0.1:6390/2", addrs: []string{"127.0.0.1:6390"}, db: 2},
		{url: "redis://u:s3cret@db:6390/0", addrs: []string{"db:6390"}, user: "u", pass: "s3cret"},
		{url: "rediss://db:6390", addrs: []string{"db:6390"}, tls: true},
		{url: " redis://db ", addrs: []string{"db:6379"}},
		{url: "unix:///run/redis.sock?db=3", addrs: []string{"/run/redis.sock"}, db: 3},
		{url: "db:6390", addrs: []string{"db:6390"}},
		{url: "h1:7000,h2:7001", addrs: []string{"h1:7000", "h2:7001"}, cluster: true},
		{url: "redis://:s3cret@h1:7000,h2:7001,h3:7002", addrs: []string{"h1:7000", "h2:7001", "h3:7002"}, cluster: true, pass: "s3cret"},
		{url: "rediss://h1:7000,h2:7001/0?max_redirects=2", addrs: []string{"h1:7000", "h2:7001"}, cluster: true, tls: true},
		{url: "", err: "empty Redis URL"},
		{url: "http://db:6390", err: "invalid URL scheme"},
		{url: "redis://:s3cret@db:port/0", err: "invalid port"},
		{url: "redis://db:6390/x", err: "invalid database"},
		{url: "redis://db:6390/0?bogus=1", err: "unexpected option"},
		{url: "h1:7000,h2", err: `cluster node "h2"`},
		{url: "redis://:s3cret@h1:7000,", err: "addr param"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := Open(tt.url)
			if tt.err != "" {
				if err == nil {
					c.Close()
					t.Fatal("Open succeeded")
				}
				if !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error = %q, want it to contain %q and no password", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var addrs []string
			var db int
			var user, pass string
			var tls, timeouts bool
			switch c := c.(type) {
			case *redis.Client:
				o := c.Options()
				addrs, db, user, pass, tls, timeouts = []string{o.Addr}, o.DB, o.Username, o.Password, o.TLSConfig != nil, o.ContextTimeoutEnabled
			case *redis.ClusterClient:
				o := c.Options()
				addrs, user, pass, tls, timeouts = o.Addrs, o.Username, o.Password, o.TLSConfig != nil, o.ContextTimeoutEnabled
			}
			_, isCluster := c.(*redis.ClusterClient)
			if strings.Join(addrs, ",") != strings.Join(tt.addrs, ",") || isCluster != tt.cluster || db != tt.db ||
				user != tt.user || pass != tt.pass || tls != tt.tls || !timeouts {
				t.Errorf("got addrs %v cluster %v db %d user %q pass %q tls %v timeouts %v", addrs, isCluster, db, user, pass, tls, timeouts)
			}
		})
	}
}
