package cluster

// Crash makes Run end without leaving the registry, as a killed process
// would: the others see the node only when its registration expires.
func (n *Node) Crash() { n.crash.Store(true) }
