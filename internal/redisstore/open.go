package redisstore

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Open makes a client for a Redis URL without connecting (call
// Store.Ping to check it answers):
//
//	redis://[user:pass@]host:port/db   one Redis (rediss:// for TLS)
//	unix:///path/to/redis.sock?db=0    one Redis on a Unix socket
//	host:port                          one Redis, same as redis://host:port
//	host1:port,host2:port              a Redis Cluster, from these seed nodes
//	redis://[user:pass@]h1:p,h2:p      a Redis Cluster with credentials
//
// Errors never repeat the URL, which may hold a password.
func Open(rawURL string) (redis.UniversalClient, error) {
	rawURL = strings.TrimSpace(rawURL)
	if rawURL == "" {
		return nil, errors.New("empty Redis URL")
	}
	scheme, rest, hasScheme := strings.Cut(rawURL, "://")
	if !hasScheme {
		if !strings.Contains(rawURL, ",") {
			return Open("redis://" + rawURL)
		}
		addrs := strings.Split(rawURL, ",")
		for _, a := range addrs {
			if h, p, err := net.SplitHostPort(a); err != nil || h == "" || p == "" {
				return nil, fmt.Errorf("cluster node %q: want host:port", a)
			}
		}
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true, Protocol: protocol}), nil
	}
	if auth, hosts, tail := splitHosts(rest); (scheme == "redis" || scheme == "rediss") && strings.Contains(hosts, ",") {
		opt, err := redis.ParseClusterURL(clusterURL(scheme, auth, hosts, tail))
		if err != nil {
			return nil, fmt.Errorf("redis cluster URL: %w", redact(err))
		}
		opt.ContextTimeoutEnabled = true
		opt.Protocol = protocol
		return redis.NewClusterClient(opt), nil
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", redact(err))
	}
	opt.ContextTimeoutEnabled = true
	opt.Protocol = protocol
	return redis.NewClient(opt), nil
}

// protocol is the RESP version Mitra speaks. RESP3 makes go-redis look for
// push notifications on every connection it takes from the pool, a system
// call per command; Mitra uses no push notifications, and RESP2 serves
// every command it sends.
const protocol = 2

// splitHosts cuts a URL without its scheme into the user info (with its
// "@"), the host list, and the path and query.
func splitHosts(rest string) (auth, hosts, tail string) {
	end := len(rest)
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		end = i
	}
	start := strings.LastIndex(rest[:end], "@") + 1
	return rest[:start], rest[start:end], rest[end:]
}

// clusterURL rewrites scheme://auth h1,h2,h3 tail into the form go-redis
// reads: scheme://auth h1 tail, with addr=h2&addr=h3 added to the query.
func clusterURL(scheme, auth, hosts, tail string) string {
	list := strings.Split(hosts, ",")
	var extra []string
	for _, h := range list[1:] {
		extra = append(extra, "addr="+url.QueryEscape(h))
	}
	sep := "?"
	if strings.Contains(tail, "?") {
		sep = "&"
	}
	return scheme + "://" + auth + list[0] + tail + sep + strings.Join(extra, "&")
}

// redact drops the URL that net/url puts in its errors.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
