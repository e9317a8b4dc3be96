package pipeline

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// reserve is tryReserve that waits out a concurrent delivery of k, for
// tests; the pipeline waits on the callback goroutine instead (see
// processSlow). A ctx error means the caller must give up.
func (d *deduper) reserve(ctx context.Context, k eventKey) (reservation, error) {
	for {
		res, wait := d.tryReserve(k)
		if wait == nil {
			return res, nil
		}
		select {
		case <-wait:
			// Loop: the other delivery was written (duplicate) or failed
			// (claim the key ourselves).
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

func keyN(n int) eventKey {
	var k eventKey
	k[0], k[1], k[2], k[3] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	k[15] = 1
	return k
}

func TestDeduperCommitMakesDuplicate(t *testing.T) {
	t.Parallel()
	d := newDeduper(time.Hour, 1000)
	ctx := t.Context()
	res, err := d.reserve(ctx, keyN(1))
	if err != nil || res != reserved {
		t.Fatalf("first reserve = %v, %v; want reserved", res, err)
	}
	d.commit(keyN(1), d.now())
	if res, _ := d.reserve(ctx, keyN(1)); res != duplicate {
		t.Fatalf("reserve after commit = %v, want duplicate", res)
	}
	if res, _ := d.reserve(ctx, keyN(2)); res != reserved {
		t.Fatalf("reserve of another key = %v, want reserved", res)
	}
}

func TestDeduperReleaseForgetsClaim(t *testing.T) {
	t.Parallel()
	d := newDeduper(time.Hour, 1000)
	d.reserve(t.Context(), keyN(1))
	d.release(keyN(1))
	res, err := d.reserve(t.Context(), keyN(1))
	if err != nil || res != reserved {
		t.Fatalf("reserve after release = %v, %v; want reserved (a failed write must not hide the redelivery)", res, err)
	}
	d.release(keyN(1))
	if n := d.size(); n != 0 {
		t.Fatalf("size = %d, want 0: nothing was written", n)
	}
}

// A second delivery of an in-flight event waits for the first: if the
// first is written the second is a duplicate; if it fails the second
// takes over.
func TestDeduperConcurrentDeliveriesCollapse(t *testing.T) {
	t.Parallel()
	for _, firstWrites := range []bool{true, false} {
		d := newDeduper(time.Hour, 1000)
		d.reserve(t.Context(), keyN(7))
		got := make(chan reservation, 1)
		go func() {
			res, err := d.reserve(t.Context(), keyN(7))
			if err != nil {
				t.Error(err)
			}
			if res == reserved {
				d.release(keyN(7))
			}
			got <- res
		}()
		select {
		case res := <-got:
			t.Fatalf("second reserve returned %v while the first was in flight", res)
		case <-time.After(50 * time.Millisecond):
		}
		if firstWrites {
			d.commit(keyN(7), d.now())
		} else {
			d.release(keyN(7))
		}
		want := reserved
		if firstWrites {
			want = duplicate
		}
		if res := <-got; res != want {
			t.Errorf("firstWrites=%v: second reserve = %v, want %v", firstWrites, res, want)
		}
	}
}

func TestDeduperWaitHonoursContext(t *testing.T) {
	t.Parallel()
	d := newDeduper(time.Hour, 1000)
	d.reserve(t.Context(), keyN(3))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := d.reserve(ctx, keyN(3)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("reserve while in flight with expiring ctx: err = %v, want DeadlineExceeded", err)
	}
}

func TestDeduperTTL(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	d := newDeduper(time.Minute, 1000)
	d.now = func() time.Time { return now }
	d.reserve(t.Context(), keyN(1))
	d.commit(keyN(1), d.now())
	now = now.Add(59 * time.Second)
	if res, _ := d.reserve(t.Context(), keyN(1)); res != duplicate {
		t.Fatalf("within TTL: %v, want duplicate", res)
	}
	now = now.Add(2 * time.Second)
	res, _ := d.reserve(t.Context(), keyN(1))
	if res != reserved {
		t.Fatalf("after TTL: %v, want reserved", res)
	}
	d.commit(keyN(1), d.now()) // re-written after expiry: remembered again
	if res, _ := d.reserve(t.Context(), keyN(1)); res != duplicate {
		t.Fatalf("after re-commit: %v, want duplicate", res)
	}
}

func TestDeduperBoundedMemory(t *testing.T) {
	t.Parallel()
	const maxEntries = 6400
	d := newDeduper(time.Hour, maxEntries)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50_000 {
				k := keyN(w*1_000_000 + i)
				res, err := d.reserve(t.Context(), k)
				if err != nil || res != reserved {
					t.Errorf("reserve %d: %v %v", i, res, err)
					return
				}
				d.commit(k, d.now())
			}
		})
	}
	wg.Wait()
	if n := d.size(); n > maxEntries {
		t.Fatalf("size = %d, want <= %d", n, maxEntries)
	}
	if l := len(d.fifo); l > 2*maxEntries+1100 {
		t.Fatalf("fifo len %d: compaction is not bounding it", l)
	}
	if l := len(d.keys.slots); l > 4*maxEntries {
		t.Fatalf("table of %d slots for at most %d keys: it does not stay bounded", l, maxEntries)
	}
	// The oldest keys were evicted; the newest is remembered.
	if res, _ := d.reserve(t.Context(), keyN(0)); res != reserved {
		t.Fatalf("oldest key still remembered past the bound")
	} else {
		d.release(keyN(0))
	}
	d.reserve(t.Context(), keyN(99_999_999))
	d.commit(keyN(99_999_999), d.now())
	if res, _ := d.reserve(t.Context(), keyN(99_999_999)); res != duplicate {
		t.Fatalf("newest key forgotten")
	}
}

func BenchmarkDedupe(b *testing.B) {
	d := newDeduper(time.Hour, 200_000)
	ctx := context.Background()
	b.ReportAllocs()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1))
			k := keyN(i)
			res, _ := d.reserve(ctx, k)
			if res == reserved {
				d.commit(k, d.now())
			}
		}
	})
}

// A TTL so long that the expiry overflows still means "remembered".
func TestDeduperHugeTTL(t *testing.T) {
	t.Parallel()
	d := newDeduper(time.Duration(math.MaxInt64), 10)
	d.reserve(t.Context(), keyN(1))
	d.commit(keyN(1), d.now())
	if res, _ := d.reserve(t.Context(), keyN(1)); res != duplicate {
		t.Fatalf("reserve after commit with a huge TTL = %v, want duplicate", res)
	}
}
