//go:build !linux

package jsonl

// Elsewhere the page cache is left to the kernel (see dropBehind).

func startWriteback(fd uintptr, off, n int64) {}

func dropCache(fd uintptr, off, n int64) {}
