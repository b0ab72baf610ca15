// Package redistest gives tests a Redis to talk to: the shared server on
// 127.0.0.1:6379, or redis-server processes of their own (one instance,
// or a small Redis Cluster) on free loopback ports, torn down when the
// test ends.
//
// Tests that cannot get a Redis are skipped with a message saying why,
// unless SWARMBRIDGE_REQUIRE_REDIS=1 is set (CI sets it), in which case
// they fail: a missing Redis must never turn CI green by skipping.
//
// It imports "testing": import it only from _test.go files.
package redistest
