// Package clientbench compares the two Redis clients the project may use,
// rueidis and go-redis, on the Redis store's announce path: the store's
// own script, with the same keys and arguments, from many goroutines at
// once (what a tracker node does under load). It is a module of its own so
// that only the chosen client is a dependency of the tracker; run it from
// this directory:
//
//	go test -run x -bench . -benchtime 3s -count 3
//
// It starts a redis-server of its own (redis-server must be on PATH), so
// that the Redis CPU time it reports is its own.
package clientbench
