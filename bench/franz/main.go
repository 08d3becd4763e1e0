// franz-bench: franz-go (github.com/twmb/franz-go/pkg/kgo) consuming every partition of a topic
// from the start, counting to N records. Built by bench/run.sh with `go build`.
//
//	franz-bench -b HOST:PORT -t TOPIC -p PARTITIONS -n N            throughput: prints records, bytes, seconds
//	franz-bench -b HOST:PORT -t TOPIC -p PARTITIONS -n N -latency W  latency: values start with the produce
//	     time (decimal ns since the epoch); prints p50/p99/p99.9 of receive-minus-produce, skipping W records
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := flag.String("b", "127.0.0.1:9092", "bootstrap servers")
	topic := flag.String("t", "", "topic")
	parts := flag.Int("p", 6, "partitions of the topic")
	n := flag.Int64("n", 0, "records to consume")
	warm := flag.Int64("latency", -1, "latency mode: records to skip before measuring")
	timeout := flag.Duration("timeout", 120*time.Second, "give up after")
	flag.Parse()
	offsets := map[int32]kgo.Offset{}
	for p := 0; p < *parts; p++ {
		offsets[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{*topic: offsets}))
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
