package config

import (
	"errors"
	"net/url"
)

// RequireRedis reports a missing Redis URL, for the commands that need
// one from the environment.
func (c Config) RequireRedis() error {
	if c.RedisURL == "" {
		return errors.New("MITRA_REDIS_URL is not set: point it at your Redis, e.g. redis://127.0.0.1:6379/0 (or run `mitra demo` to try Mitra without one)")
	}
	return nil
}

// RedactedRedisURL is the Redis URL fit for a log line: any password is
// replaced by "xxxxx".
func (c Config) RedactedRedisURL() string {
	u, err := url.Parse(c.RedisURL)
	if err != nil || u.User == nil {
		if err != nil {
			return "(unparsable URL)"
		}
		return c.RedisURL
	}
	return u.Redacted()
}
