package jsonl

import "golang.org/x/sys/unix"

// startWriteback starts writing [off, off+n) to disk without waiting.
func startWriteback(fd uintptr, off, n int64) {
	_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// dropCache drops the clean pages of [off, off+n) from the page cache.
func dropCache(fd uintptr, off, n int64) {
	_ = unix.Fadvise(int(fd), off, n, unix.FADV_DONTNEED)
}
