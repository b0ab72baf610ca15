package redistest

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of masters without replicas, each a
// redis-server process of the test's own.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts n masters (3 is the least Redis Cluster accepts) on
// free loopback ports, joins them with redis-cli --cluster create, waits
// until every node reports the cluster ok, and stops them when t ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	cli := binary(t, "redis-cli")
	c := &Cluster{}
	for range n {
		// The cluster bus gets a port of its own: the default (port+10000)
		// may be taken or past 65535.
		bus := freePort(t)
		c.Nodes = append(c.Nodes, StartServer(t,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(bus),
			"--cluster-node-timeout", "2000"))
	}
	args := []string{"--cluster", "create"}
	for _, s := range c.Nodes {
		args = append(args, s.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, s := range c.Nodes {
		for {
			info, err := command(ctx, s.Addr(), "CLUSTER INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("cluster node %s not ok: %v %q", s.Addr(), err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return c
}

// URL is the cluster's redis+cluster:// URL, naming every node as a seed.
func (c *Cluster) URL() string {
	addrs := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		addrs[i] = s.Addr()
	}
	return "redis+cluster://" + strings.Join(addrs, ",")
}
