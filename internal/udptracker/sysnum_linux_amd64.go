package udptracker

// System call numbers the syscall package does not name on every
// architecture.
const (
	sysRecvmmsg = 299
	sysSendmmsg = 307
)
