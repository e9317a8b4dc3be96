package jsonl

import "syscall"

// dropBehindChunk is how many written bytes the sink lets accumulate
// before it starts their writeback, and how far behind the end of the
// file it drops pages: about 2,000 typical records.
const dropBehindChunk = 1 << 20

// dropBehind keeps the file's written pages from piling up in the page
// cache. Every dropBehindChunk bytes it starts writeback of the new
// bytes (without waiting for it), and advises the kernel to drop the
// pages of the chunk before, whose writeback had a chunk's worth of
// writes to finish. The file is append-only and this process never reads
// it back, so those pages would only crowd out others.
//
// Why the sink bothers: every batch is copied into page-cache pages, and
// on a VM that returns free guest memory to its host (free page
// reporting, as on this project's Firecracker VMs) a page the kernel has
// not used lately costs a host page fault on first touch. In bcload the
// write call cost 1–2.6 µs per record, varying several-fold from round to
// round for the same bytes, and the pages stayed cached after the run.
// With the file's cache kept to a few MiB, the kernel reuses the pages it
// just freed: starting writeback and dropping pages costs ~0.2 µs per
// record, and the worker's system time fell by ~0.8 µs per message in an
// A/B run (docs/benchmarks.md). The writeback it starts early is the
// writeback the kernel's flusher would have done within
// dirty_expire_centisecs anyway.
//
// Both calls are advice: an error (a filesystem or sandbox without them)
// costs only the cache, so it is ignored. Offsets are only ever moved
// forward, by bytes known to be written.
type dropBehind struct {
	conn    syscall.RawConn
	end     int64 // the end of the file: every byte before it was written
	flushed int64 // writeback was started for the bytes before it
	dropped int64 // the pages before it were advised away
}

// newDropBehind starts at the file's current size: what was there before
// is left alone.
func newDropBehind(conn syscall.RawConn, size int64) *dropBehind {
	return &dropBehind{conn: conn, end: size, flushed: size, dropped: size}
}

// wrote notes n bytes appended to the file.
func (d *dropBehind) wrote(n int) {
	d.end += int64(n)
	if d.end-d.flushed < dropBehindChunk {
		return
	}
	_ = d.conn.Control(func(fd uintptr) {
		startWriteback(fd, d.flushed, d.end-d.flushed)
		if d.flushed > d.dropped {
			dropCache(fd, d.dropped, d.flushed-d.dropped)
		}
	})
	d.dropped = d.flushed
	d.flushed = d.end
}
