package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The system calls of the pollers and of inline writes never block: the
// sockets are non-blocking and epoll_wait is asked not to wait. So they are
// made with RawSyscall, without telling the scheduler, which unix.Read and
// its kin do: entering and leaving a "blocking" call costs more than these
// calls, and wakes the runtime's monitor thread each time the process turns
// from idle to busy, which under load is every few messages.

func sysRead(fd int, b []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return result(n, e)
}

func sysWrite(fd int, b []byte) (int, error) {
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return result(n, e)
}

// sysEpollPoll collects ready events without waiting.
func sysEpollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(unsafe.SliceData(events))), uintptr(len(events)), 0, 0, 0)
	return result(n, e)
}

func result(n uintptr, e unix.Errno) (int, error) {
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
