// franz-bench: franz-go (github.com/twmb/franz-go/pkg/kgo) consuming every partition of a topic
// from the start, counting to N records. Built by bench/run.sh with `go build`.
//
//	franz-bench -b HOST:PORT -t TOPIC -p PARTITIONS -n N            throughput: prints records, bytes, seconds
//	franz-bench -b HOST:PORT -t TOPIC -p PARTITIONS -n N -latency W  latency: values start with the produce
//	     time (decimal ns since the epoch); prints p50/p99/p99.9 of receive-minus-produce, skipping W records
//
// How franz-go is driven (kgo v1.22.3, the newest release; CRCs are checked, kgo's default):
//
//   - ConsumePartitions at the start of the log, PollFetches and EachRecord, as kgo's own
//     examples/bench consumes.
//   - WithPools(pool): kgo's memory pools (v1.21+). pool implements PoolRecords (the []Record slab kgo
//     decodes each batch into) and PoolDecompressBytes (the buffer a compressed batch is decompressed
//     into). Every record is Recycle()d once it has been counted (and, with -latency, its value parsed);
//     the last Recycle of a batch hands its slab and its decompression buffer back. Nothing is touched
//     after Recycle. Both pools keep free slices by size class (quarter powers of two). Decompression
//     buffers are sized from the largest uncompressed/compressed ratio seen so far, which pool learns
//     as a HookFetchBatchRead hook, as kgo's PoolDecompressBytes docs suggest (rolling FetchBatchMetrics);
//     an unsized pool (64 KiB buffers) was no better than no pool on lz4, since a returned buffer is
//     cleared over its whole capacity. PoolKRecords is deprecated and unused since v1.22.1. Nothing
//     else in kgo is poolable on the consume path (the Fetch response buffer is allocated per response).
//     On D1 (10 M x 100 B, 6 partitions, uncompressed, real Kafka 4.3.1) the pools cut kgo's allocations
//     from 3.0 GB to 1.4 GB and GC cycles from 233 to 57. Against franz-go's kfake serving 5 M x 100 B
//     lz4: CPU 1.34 s without pools, 1.16 s with the record pool only, 1.00 s with both.
//   - Fetch sizes: kgo's defaults (FetchMaxBytes 50 MiB, FetchMaxPartitionBytes 1 MiB). Measured on D1
//     with the pools: 512 KiB per partition: same CPU and wall, RSS 46 MiB instead of 77; 1.5, 2, 3, 4 and
//     8 MiB: no steady gain in wall (within the noise of a shared machine), CPU and RSS up with the size
//     (8 MiB: +0.35 s CPU, 414 MiB RSS). MaxConcurrentFetches is left unbounded (kgo's default): kgo keeps
//     one Fetch per broker in flight or buffered whatever the bound, so on one broker any bound >= 1 is the same.
//   - GC: GOGC=400 is set here (debug.SetGCPercent) unless GOGC is in the environment, which then wins
//     (and GOMEMLIMIT, if set, applies as usual). With the pools on D1, medians of 5-7 runs per setting
//     (CPU user+sys s / peak RSS MiB): GOGC=100 1.57-1.68 / 75-82, 200 1.44-1.48 / 102-118,
//     300 1.36 / 142, 400 1.21-1.53 / 153-177, 800 1.36 / 302; GOGC=off with GOMEMLIMIT 128 MiB 1.30 / 133,
//     192 MiB 1.26 / 195, 256 MiB 1.20-1.45 / 258, 512 MiB 1.31 / 500. 400 is the knee (GC cycles 57 ->
//     15; above it fresh memory costs page faults in sys time); a GOGC=off + GOMEMLIMIT setting does as
//     well on D1 but would collect continuously where more is live (lz4, many partitions over 3 brokers).
//
// D1, 7 rounds, the three interleaved, medians (2 shared cores; CPU = user+sys, RSS = peak):
//
//	                              wall s   CPU s   RSS MiB
//	before (no pools, GOGC=100)    2.59     2.75     62
//	pools, GOGC=100                1.79     1.87     69
//	pools, GOGC=400 (this file)    1.71     1.73    155
package main

import (
	"context"
	"flag"
	"fmt"
	"math/bits"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// freeList keeps free slices by size class: n rounded up to a quarter of its power of two.
type freeList[T any] struct {
	mu sync.Mutex
	m  map[int][][]T
}

func classUp(n int) int {
	if n <= 64 {
		return 64
	}
	step := 1 << (bits.Len(uint(n)) - 3)
	return (n + step - 1) &^ (step - 1)
}

func classDown(n int) int { // the class a slice of capacity n can serve
	if n < 64 {
		return 0
	}
	step := 1 << (bits.Len(uint(n)) - 3)
	return n &^ (step - 1)
}

func (f *freeList[T]) get(n int) []T {
	c := classUp(n)
	f.mu.Lock()
	if l := f.m[c]; len(l) > 0 {
		s := l[len(l)-1]
		l[len(l)-1] = nil
		f.m[c] = l[:len(l)-1]
		f.mu.Unlock()
		return s
	}
	f.mu.Unlock()
	return make([]T, 0, c)
}

func (f *freeList[T]) put(s []T) {
	c := classDown(cap(s))
	if c == 0 {
		return
	}
	f.mu.Lock()
	if f.m == nil {
		f.m = map[int][][]T{}
	}
	f.m[c] = append(f.m[c], s[:0:c])
	f.mu.Unlock()
}

// pool is kgo's kgo.PoolRecords and kgo.PoolDecompressBytes, and a kgo.HookFetchBatchRead that
// learns how large a compressed batch grows. kgo zeroes what it hands back.
type pool struct {
	recs  freeList[kgo.Record]
	bufs  freeList[byte]
	ratio atomic.Int64 // largest uncompressed/compressed size of a batch seen, times 1024
}

func (p *pool) GetRecords(n int) []kgo.Record { return p.recs.get(n) }
func (p *pool) PutRecords(s []kgo.Record)     { p.recs.put(s) }

func (p *pool) GetDecompressBytes(compressed []byte, _ kgo.CompressionCodecType) []byte {
	r := p.ratio.Load()
	if r == 0 {
		r = 4 << 10 // until a batch has been seen
	}
	// +1 KiB: lz4 and gzip stream into a bytes.Buffer, which grows when less than 512 B are left.
	return p.bufs.get(int(int64(len(compressed))*r>>10) + 1024)
}

func (p *pool) PutDecompressBytes(b []byte) { p.bufs.put(b) }

func (p *pool) OnFetchBatchRead(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.FetchBatchMetrics) {
	if m.CompressionType == 0 || m.CompressedBytes == 0 {
		return
	}
	r := int64(m.UncompressedBytes) << 10 / int64(m.CompressedBytes)
	for cur := p.ratio.Load(); r > cur && !p.ratio.CompareAndSwap(cur, r); cur = p.ratio.Load() {
	}
}

func main() {
	brokers := flag.String("b", "127.0.0.1:9092", "bootstrap servers")
	topic := flag.String("t", "", "topic")
	parts := flag.Int("p", 6, "partitions of the topic")
	n := flag.Int64("n", 0, "records to consume")
	warm := flag.Int64("latency", -1, "latency mode: records to skip before measuring")
	timeout := flag.Duration("timeout", 120*time.Second, "give up after")
	flag.Parse()
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
	offsets := map[int32]kgo.Offset{}
	for p := 0; p < *parts; p++ {
		offsets[int32(p)] = kgo.NewOffset().AtStart()
	}
	pl := &pool{}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{*topic: offsets}),
		kgo.WithPools(pl), kgo.WithHooks(pl))
	if err != nil {
		fmt.Fprintln(os.Stderr, "franz-bench:", err)
		os.Exit(1)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var count, bytes int64
	var lat []int64
	start := time.Now()
	for count < *n && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachError(func(t string, p int32, err error) {
			if ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "franz-bench: %s/%d: %v\n", t, p, err)
				os.Exit(1)
			}
		})
		now := time.Now().UnixNano()
		fetches.EachRecord(func(r *kgo.Record) {
			count++
			bytes += int64(len(r.Value))
			if *warm >= 0 && count > *warm && len(r.Value) >= 19 {
				if ts, err := strconv.ParseInt(string(r.Value[:19]), 10, 64); err == nil {
					lat = append(lat, now-ts)
				}
			}
			r.Recycle() // r and its value are not touched again
		})
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("franz-bench: %d records, %d value bytes, %.3f s, %.0f records/s\n", count, bytes, secs, float64(count)/secs)
	if *warm >= 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		q := func(f float64) float64 {
			if len(lat) == 0 {
				return -1
			}
			return float64(lat[int(f*float64(len(lat)-1))]) / 1e6
		}
		fmt.Printf("latency_ms samples=%d p50=%.3f p99=%.3f p99.9=%.3f max=%.3f\n", len(lat), q(0.5), q(0.99), q(0.999), q(1))
	}
	if count < *n {
		os.Exit(3)
	}
}
