package clientbench

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// The population: swarms of WebRTC peers, each announce an update from an
// existing peer wanting 10 offer targets (the WebSocket announce).
const (
	swarms   = 200
	perSwarm = 50
	prefix   = "sbclientbench:"
	// parallelism is goroutines per GOMAXPROCS: many announces in flight,
	// as on a busy node.
	parallelism = 32
)

// startRedis starts a redis-server of the benchmark's own on a free
// loopback port, so that its CPU time is the benchmark's alone, and stops
// it when b ends.
func startRedis(b *testing.B) string {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		b.Skip("no redis-server:", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", b.TempDir())
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	a := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 500 {
		if c, err := net.Dial("tcp", a); err == nil {
			c.Close()
			return a
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("redis-server did not start")
	return ""
}

// cpuSeconds is this process's user and system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// redisCPU reads used_cpu_user + used_cpu_sys from INFO cpu, and the
// time spent inside EVALSHA and EVAL (the script alone, without reading
// and writing the connections) from INFO commandstats, in seconds.
func redisCPU(info string) (cpu, script float64) {
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		for _, f := range []string{"used_cpu_user:", "used_cpu_sys:"} {
			if v, ok := strings.CutPrefix(line, f); ok {
				x, _ := strconv.ParseFloat(v, 64)
				cpu += x
			}
		}
		for _, f := range []string{"cmdstat_evalsha:", "cmdstat_eval:"} {
			if v, ok := strings.CutPrefix(line, f); ok {
				for _, kv := range strings.Split(v, ",") {
					if u, ok := strings.CutPrefix(kv, "usec="); ok {
						x, _ := strconv.ParseFloat(u, 64)
						script += x / 1e6
					}
				}
			}
		}
	}
	return cpu, script
}

func script(b *testing.B) (src, sha string) {
	raw, err := os.ReadFile("../swarm.lua")
	if err != nil {
		b.Fatal(err)
	}
	sum := sha1.Sum(raw)
	return string(raw), hex.EncodeToString(sum[:])
}

// call builds the keys and arguments of one announce as the store does
// (see announce.go and keys.go in the parent package).
func call(i, j int, now int64) (keys, args []string) {
	var ih [20]byte
	binary.BigEndian.PutUint64(ih[:], uint64(i)*0x9e3779b97f4a7c15)
	var id [20]byte
	copy(id[:], "-WW0300-")
	binary.BigEndian.PutUint32(id[8:], uint32(i*perSwarm+j))
	var owner [8]byte
	binary.BigEndian.PutUint64(owner[:], uint64(i*perSwarm+j+1))
	bucket := (int(ih[0])<<8 | int(ih[1])) & 1023
	base := prefix + "{" + strconv.FormatInt(int64(bucket), 16) + "}"
	h := string(ih[:])
	keys = []string{base + "h" + h, base + "w" + h, base + "4" + h, base + "6" + h, base + "r", base + "t"}
	args = []string{"a", strconv.FormatInt(now, 10), "3600000", "2",
		strconv.FormatUint(uint64(rand.Uint32()>>1), 10), "0", strconv.Itoa(j % 2),
		"w", string(id[:]), string(owner[:]), "1", "10", "3",
		strconv.FormatInt(now+int64(time.Hour/time.Millisecond), 10)}
	return keys, args
}

type evalFunc func(ctx context.Context, keys, args []string) error

func fill(b *testing.B, eval evalFunc) {
	now := time.Now().UnixMilli()
	for i := range swarms {
		for j := range perSwarm {
			k, a := call(i, j, now)
			if err := eval(b.Context(), k, a); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// run fills the swarms, then times concurrent announces. Besides time per
// announce it reports CPU per announce, of this process (the client) and
// of Redis (read with info), which the machine's other load disturbs far
// less than wall time.
func run(b *testing.B, eval evalFunc, info func() string) {
	fill(b, eval)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(parallelism)
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuSeconds()
	rcpu0, script0 := redisCPU(info())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k, a := call(rand.IntN(swarms), rand.IntN(perSwarm), time.Now().UnixMilli())
			if err := eval(context.Background(), k, a); err != nil {
				b.Error(err)
				return
			}
			n.Add(1)
		}
	})
	elapsed := time.Since(start)
	cpu := cpuSeconds() - cpu0
	rcpu, script := redisCPU(info())
	rcpu, script = rcpu-rcpu0, script-script0
	b.StopTimer()
	ops := float64(n.Load())
	b.ReportMetric(ops/elapsed.Seconds(), "announces/s")
	b.ReportMetric(cpu/ops*1e6, "client-µs/op")
	b.ReportMetric(rcpu/ops*1e6, "redis-µs/op")
	b.ReportMetric(script/ops*1e6, "script-µs/op")
}

func cleanup(b *testing.B, del func(ctx context.Context, keys []string) error, scan func(ctx context.Context, cursor uint64) ([]string, uint64, error)) {
	b.Cleanup(func() {
		ctx := context.Background()
		var cursor uint64
		for {
			keys, next, err := scan(ctx, cursor)
			if err != nil {
				b.Error(err)
				return
			}
			if len(keys) > 0 {
				if err := del(ctx, keys); err != nil {
					b.Error(err)
					return
				}
			}
			if cursor = next; cursor == 0 {
				return
			}
		}
	})
}

func BenchmarkAnnounce(b *testing.B) {
	src, sha := script(b)
	addr := startRedis(b)
	b.Run("rueidis", func(b *testing.B) {
		c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true, ForceSingleClient: true})
		if err != nil {
			b.Skip("no redis:", err)
		}
		b.Cleanup(func() { c.Close() })
		lua := rueidis.NewLuaScript(src)
		cleanup(b, func(ctx context.Context, keys []string) error {
			return c.Do(ctx, c.B().Unlink().Key(keys...).Build()).Error()
		}, func(ctx context.Context, cursor uint64) ([]string, uint64, error) {
			e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
			return e.Elements, e.Cursor, err
		})
		run(b, func(ctx context.Context, keys, args []string) error {
			v, err := lua.Exec(ctx, c, keys, args).ToArray()
			if err == nil && len(v) != 5 {
				err = fmt.Errorf("%d values", len(v))
			}
			return err
		}, func() string {
			v, _ := c.Do(context.Background(), c.B().Info().Section("cpu", "commandstats").Build()).ToString()
			return v
		})
	})
	b.Run("go-redis", func(b *testing.B) {
		c := goredis.NewClient(&goredis.Options{Addr: addr})
		b.Cleanup(func() { c.Close() })
		if err := c.Ping(b.Context()).Err(); err != nil {
			b.Skip("no redis:", err)
		}
		lua := goredis.NewScript(src)
		if lua.Hash() != sha {
			b.Fatal("script hash differs")
		}
		cleanup(b, func(ctx context.Context, keys []string) error {
			return c.Unlink(ctx, keys...).Err()
		}, func(ctx context.Context, cursor uint64) ([]string, uint64, error) {
			return c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		})
		run(b, func(ctx context.Context, keys, args []string) error {
			av := make([]any, len(args))
			for i, a := range args {
				av[i] = a
			}
			v, err := lua.Run(ctx, c, keys, av...).Slice()
			if err == nil && len(v) != 5 {
				err = fmt.Errorf("%d values", len(v))
			}
			return err
		}, func() string {
			return c.Info(context.Background(), "cpu", "commandstats").Val()
		})
	})
}
