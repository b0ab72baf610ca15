package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStoreDefaultsToMemory(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != StoreMemory || c.RedisURL != "" || c.RedisKeyPrefix != "swarmbridge:" || c.RedisTimeout != 2*time.Second {
		t.Fatalf("store defaults: %q %q %q %v", c.Store, c.RedisURL, c.RedisKeyPrefix, c.RedisTimeout)
	}
}

func TestRedisStoreTakesEveryURLForm(t *testing.T) {
	for _, url := range []string{
		"redis://127.0.0.1:6379",
		"redis://:secret@redis.internal/2",
		"rediss://user:secret@redis.example.com:6380",
		"redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000",
		"rediss+cluster://[2001:db8::1]:7000",
	} {
		c, err := Load([]string{"SWARMBRIDGE_STORE=redis", "SWARMBRIDGE_REDIS_URL=" + url,
			"SWARMBRIDGE_REDIS_KEY_PREFIX=tracker-eu:", "SWARMBRIDGE_REDIS_TIMEOUT=500ms"})
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if c.Store != StoreRedis || c.RedisURL != url || c.RedisKeyPrefix != "tracker-eu:" || c.RedisTimeout != 500*time.Millisecond {
			t.Fatalf("%s: loaded %q %q %q %v", url, c.Store, c.RedisURL, c.RedisKeyPrefix, c.RedisTimeout)
		}
	}
}

func TestBadStoreSettingsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want []string
	}{
		{[]string{"SWARMBRIDGE_STORE=postgres"}, []string{"SWARMBRIDGE_STORE", "memory or redis"}},
		{[]string{"SWARMBRIDGE_STORE=redis"}, []string{"SWARMBRIDGE_REDIS_URL", "needs a Redis URL"}},
		{[]string{"SWARMBRIDGE_STORE=redis", "SWARMBRIDGE_REDIS_URL=localhost:6379"}, []string{"SWARMBRIDGE_REDIS_URL", "scheme://host"}},
		{[]string{"SWARMBRIDGE_STORE=redis", "SWARMBRIDGE_REDIS_URL=http://localhost"}, []string{"SWARMBRIDGE_REDIS_URL", `scheme "http"`}},
		{[]string{"SWARMBRIDGE_STORE=redis", "SWARMBRIDGE_REDIS_URL=redis://a:1,b:2"}, []string{"SWARMBRIDGE_REDIS_URL", "redis+cluster"}},
		{[]string{"SWARMBRIDGE_REDIS_URL=redis://localhost"}, []string{"SWARMBRIDGE_REDIS_URL", "SWARMBRIDGE_STORE=redis"}},
		{[]string{"SWARMBRIDGE_REDIS_KEY_PREFIX=a{b}"}, []string{"SWARMBRIDGE_REDIS_KEY_PREFIX", "brace"}},
		{[]string{"SWARMBRIDGE_REDIS_TIMEOUT=0s"}, []string{"SWARMBRIDGE_REDIS_TIMEOUT", "positive"}},
		{[]string{"SWARMBRIDGE_REDIS_TIMEOUT=soon"}, []string{"SWARMBRIDGE_REDIS_TIMEOUT", "duration"}},
	} {
		_, err := Load(tc.env)
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("%v: error %v does not wrap ErrInvalid", tc.env, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tc.env, err, w)
			}
		}
	}
}

// A password in the URL never shows in the error that names it.
func TestBadRedisURLErrorsHideThePassword(t *testing.T) {
	_, err := Load([]string{"SWARMBRIDGE_STORE=redis", "SWARMBRIDGE_REDIS_URL=redis://u:hunter2@host:99999"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}
