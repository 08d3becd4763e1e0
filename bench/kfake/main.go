// kfake-host: an in-memory, one-broker Kafka cluster (franz-go's kfake) holding one topic, for the
// client-bound rounds of bench/run.sh (--client-bound). Built by bench/run.sh with `go build`.
//
//	kfake-host -port 49192 -topic d1 -partitions 6 -n 10000000 -payload .cache/bench/payload-100.txt
//
// It starts the cluster on 127.0.0.1:PORT (kfake listens on loopback only), then produces N records
// to itself with a kgo client, as Kafka's ProducerPerformance does in the real-broker rounds: null
// keys, each value a random line of the payload file (JSON-like lines of exactly 100 or 1024 bytes,
// fixed seed), uncompressed, idempotent, sticky partitioning, batches of at most 16 KiB (batch.size)
// with 5 ms linger. When every record is acknowledged and the end offsets of the topic add up to N,
// it prints on stdout
//
//	bootstrap 127.0.0.1:PORT
//	loaded N records, B batches (R records/batch, K record bytes/batch on average) in S s
//	ready
//
// and serves until SIGTERM or SIGINT. The data lives in kfake's in-memory file system (no DataDir).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kfake-host: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	port := flag.Int("port", 49192, "port of the one broker (127.0.0.1)")
	topic := flag.String("topic", "", "topic to create and fill")
	parts := flag.Int("partitions", 6, "partitions of the topic")
	n := flag.Int64("n", 0, "records to produce before announcing readiness")
	payload := flag.String("payload", "", "file of value lines, one picked at random per record")
	batchBytes := flag.Int("batch-bytes", 16384, "producer batch size limit (Java's batch.size)")
	flag.Parse()
	if *topic == "" || *n <= 0 || *payload == "" {
		die("usage: kfake-host -port P -topic T -partitions K -n N -payload FILE")
	}

	var values [][]byte
	f, err := os.Open(*payload)
	if err != nil {
		die("%v", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		values = append(values, append([]byte(nil), sc.Bytes()...))
	}
	f.Close()
	if len(values) == 0 {
		die("%s holds no lines", *payload)
	}

	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(*port),
		kfake.SeedTopics(int32(*parts), *topic),
	)
	if err != nil {
		die("starting the cluster: %v", err)
	}
	defer c.Close()
	addrs := c.ListenAddrs()

	// Load the data set: the producer's own batch hook counts what was written.
	var batches, batchRecords, batchBytesSum atomic.Int64
	hook := batchHook{func(m kgo.ProduceBatchMetrics) {
		batches.Add(1)
		batchRecords.Add(int64(m.NumRecords))
		batchBytesSum.Add(int64(m.UncompressedBytes))
	}}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addrs...),
		kgo.DefaultProduceTopic(*topic),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerBatchMaxBytes(int32(*batchBytes)),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(200000),
		kgo.WithHooks(hook),
	)
	if err != nil {
		die("producer: %v", err)
	}
	ctx := context.Background()
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	var failed atomic.Int64
	var firstErr sync.Once
	for i := int64(0); i < *n; i++ {
		cl.Produce(ctx, &kgo.Record{Value: values[rng.IntN(len(values))]}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
				firstErr.Do(func() { fmt.Fprintln(os.Stderr, "kfake-host: produce:", err) })
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		die("flush: %v", err)
	}
	if failed.Load() != 0 {
		die("%d records failed to produce", failed.Load())
	}
	secs := time.Since(start).Seconds()

	// Check that the log holds exactly N records from offset 0.
	lreq := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = *topic
	for p := 0; p < *parts; p++ {
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Partition = int32(p)
		lp.Timestamp = -1 // latest
		lt.Partitions = append(lt.Partitions, lp)
	}
	lreq.Topics = append(lreq.Topics, lt)
	lresp, err := lreq.RequestWith(ctx, cl)
	if err != nil {
		die("list offsets: %v", err)
	}
	var total int64
	for _, t := range lresp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				die("list offsets: partition %d: error %d", p.Partition, p.ErrorCode)
			}
			total += p.Offset
		}
	}
	cl.Close()
	if total != *n {
		die("the log holds %d records, not %d", total, *n)
	}

	nb := batches.Load()
	fmt.Printf("bootstrap %s\n", addrs[0])
	fmt.Printf("loaded %d records, %d batches (%.1f records/batch, %.0f record bytes/batch on average) in %.1f s\n",
		*n, nb, float64(batchRecords.Load())/float64(nb), float64(batchBytesSum.Load())/float64(nb), secs)
	fmt.Println("ready")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}

// batchHook sees each batch the producer had acknowledged.
type batchHook struct{ fn func(kgo.ProduceBatchMetrics) }

func (h batchHook) OnProduceBatchWritten(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.ProduceBatchMetrics) {
	h.fn(m)
}
