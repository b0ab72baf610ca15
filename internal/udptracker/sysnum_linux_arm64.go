package udptracker

// System call numbers the syscall package does not name on every
// architecture.
const (
	sysRecvmmsg = 243
	sysSendmmsg = 269
)
