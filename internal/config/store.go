package config

import (
	"strings"

	"github.com/swarmbridge/swarmbridge/internal/swarm/redis"
)

// Store names SWARMBRIDGE_STORE's values.
const (
	StoreMemory = "memory"
	StoreRedis  = "redis"
)

// validateStore checks what distributed mode relates: a Redis URL that
// parses when the store is Redis, and none when it is not (a URL that
// would be silently ignored is a mistake worth stopping for).
func (c *Config) validateStore(bad func(field, format string, args ...any)) {
	switch {
	case c.Store == StoreRedis && c.RedisURL == "":
		bad("RedisURL", "STORE=redis needs a Redis URL")
	case c.Store == StoreRedis:
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			bad("RedisURL", "%v", err)
		}
	case c.RedisURL != "":
		bad("RedisURL", "it is set, but STORE is %q: set SWARMBRIDGE_STORE=redis to use it", c.Store)
	}
	if strings.ContainsAny(c.RedisKeyPrefix, "{}") {
		bad("RedisKeyPrefix", "%q contains a brace, which would change the keys' Redis Cluster hash tags", c.RedisKeyPrefix)
	}
}
