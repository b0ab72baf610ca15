package swarm

// Blocking is an optional interface of a Store. A store whose calls wait
// on the network (one shared by several tracker nodes) says so with
// MayBlock, and transports that serve many clients from one goroutine
// then issue its calls from several goroutines at once, instead of one
// round trip after another. A store without it is taken to answer at
// memory speed.
type Blocking interface {
	MayBlock() bool
}

// MayBlock reports whether s says its calls may wait on the network.
func MayBlock(s Store) bool {
	b, ok := s.(Blocking)
	return ok && b.MayBlock()
}
