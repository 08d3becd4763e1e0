// ConsumeBench: Apache Kafka's own KafkaConsumer (the kafka-clients jar of the broker distribution),
// driven for throughput as a Java user would: a peer in bench/ beside consume_bench, rdkafka_bench
// and franz-bench. Built and started by bench/java/run.sh (bench/java/build.sh compiles it).
//
//   ConsumeBench -b HOST:PORT -t TOPIC -p PARTITIONS -n N [--timeout S] [-X key=value]...
//
// No group: assigns partitions 0..P-1 of TOPIC, seeks to the beginning and polls until N records have
// arrived, counting records and summing value bytes (values are byte[], ByteArrayDeserializer; the
// JVM has to materialise them, that is the Java consumer's cost). check.crcs is left at its default
// (true), max.poll.records is 10000 as in consume_bench, allow.auto.create.topics is off (a typo must
// not create a topic), every other setting is Kafka's default;
// -X key=value sets any consumer property (for experiments; the benchmark passes none).
//
// Two passes in one JVM: a warm-up consumer reads the N records once and is closed (class loading,
// JIT, the broker's page cache), then a second consumer does the timed pass, from its first poll()
// call to the N-th record. Output (stdout), the second line is the figure:
//   java-bench warm-up: R records, B value bytes, S s, X records/s, process CPU C s
//   java-bench: R records, B value bytes, S s, X records/s, process CPU C s
// (C: the CPU time of the whole JVM, every thread, GC and JIT included, over the pass alone; bench/run.sh
// puts it beside ours, since the process's own total also holds start-up and the warm-up pass.)
// Exit 0 when the timed pass read N records; 3 when a pass got fewer within --timeout S (default
// 120, per pass; the line is printed with what was read); 1 on any error (message on stderr), a
// topic with fewer than P partitions or no metadata within the timeout included; 2 on bad arguments.
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class ConsumeBench {
    private static final class Pass {
        long records, valueBytes, nanos, cpuNanos;
    }

    private static void usage(String why) {
        if (why != null) System.err.println("java-bench: " + why);
        System.err.println("usage: ConsumeBench -b HOST:PORT -t TOPIC -p PARTITIONS -n N"
                + " [--timeout S] [-X key=value]...");
        System.exit(why == null ? 0 : 2);
    }

    public static void main(String[] args) {
        String brokers = null, topic = null;
        int partitions = -1;
        long n = -1;
        double timeoutS = 120;
        Properties extra = new Properties();
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) usage(null);
                if (i + 1 >= args.length) usage("missing value after " + a);
                String v = args[++i];
                switch (a) {
                    case "-b": brokers = v; break;
                    case "-t": topic = v; break;
                    case "-p": partitions = Integer.parseInt(v); break;
                    case "-n": n = Long.parseLong(v); break;
                    case "--timeout": timeoutS = Double.parseDouble(v); break;
                    case "-X": {
                        int eq = v.indexOf('=');
                        if (eq <= 0) usage("-X wants key=value, got " + v);
                        extra.setProperty(v.substring(0, eq), v.substring(eq + 1));
                        break;
                    }
                    default: usage("unknown argument " + a);
                }
            }
        } catch (NumberFormatException e) {
            usage("bad number: " + e.getMessage());
        }
        if (brokers == null || topic == null || partitions <= 0 || n <= 0 || !(timeoutS > 0))
            usage("-b, -t, -p > 0 and -n > 0 are required");

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");  // as consume_bench; default 500
        props.put(ConsumerConfig.CHECK_CRCS_CONFIG, "true");         // the default, stated
        // A benchmark never creates topics: a mistyped name with the broker's auto.create.topics.enable
        // (on by default) would otherwise create it on the metadata request. No effect on the fetches.
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        // No group.id: no coordinator, no offset commits (enable.auto.commit is then off by itself).
        // Fetch sizes stay at their defaults (fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB,
        // fetch.min.bytes 1), as for consume_bench, so both ask the broker for the same amounts.
        // receive.buffer.bytes stays at 64 KiB, the default of both KafkaConsumer and consume_bench,
        // although it is the one setting that moves this figure: on the 10 M x 100 B topic over
        // loopback, -X receive.buffer.bytes=-1 (the kernel's autotuned buffer, what librdkafka, kcat and
        // franz-go get) or =2097152 (what ConsumerPerformance sets) read 15-20% faster (2026-12-06).
        props.putAll(extra);

        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
        long timeoutNs = (long) (timeoutS * 1e9);
        try {
            Pass warm = run(props, tps, n, timeoutNs, true);
            print("java-bench warm-up:", warm);
            if (warm.records < n) {
                System.err.printf("java-bench: the warm-up pass read %d of %d records in %s s%n",
                        warm.records, n, seconds(timeoutS));
                System.exit(3);
            }
            Pass timed = run(props, tps, n, timeoutNs, false);
            print("java-bench:", timed);
            if (timed.records < n) {
                System.err.printf("java-bench: read %d of %d records in %s s%n", timed.records, n, seconds(timeoutS));
                System.exit(3);
            }
        } catch (Exception e) {
            System.err.println("java-bench: " + e);
            System.exit(1);
        }
        System.exit(0);
    }

    // One consumer, from the beginning of every partition to the n-th record (or the timeout). The
    // first one checks the topic's partitions first (untimed): a missing one is an error, not a wait.
    private static Pass run(Properties props, List<TopicPartition> tps, long n, long timeoutNs, boolean check) {
        Pass r = new Pass();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            if (check) {
                String topic = tps.get(0).topic();
                List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofNanos(timeoutNs));
                if (infos.size() < tps.size())
                    throw new IllegalArgumentException("topic " + topic + " has " + infos.size()
                            + " partitions, " + tps.size() + " asked for");
                if (infos.size() > tps.size())
                    System.err.printf("java-bench: topic %s has %d partitions; reading the first %d only%n",
                            topic, infos.size(), tps.size());
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            Duration pollTimeout = Duration.ofMillis(100);  // returns as soon as records are there
            long cpuStart = processCpuNanos();
            long start = System.nanoTime(), end = start;
            long records = 0, bytes = 0;
            outer:
            while (end - start < timeoutNs) {
                ConsumerRecords<byte[], byte[]> batch = c.poll(pollTimeout);
                for (ConsumerRecord<byte[], byte[]> rec : batch) {
                    byte[] v = rec.value();
                    if (v != null) bytes += v.length;
                    if (++records == n) {
                        end = System.nanoTime();
                        break outer;
                    }
                }
                end = System.nanoTime();
            }
            r.records = records;
            r.valueBytes = bytes;
            r.nanos = end - start;
            r.cpuNanos = processCpuNanos() - cpuStart;
        }
        return r;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static String seconds(double s) {
        return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
    }

    private static void print(String label, Pass p) {
        double s = p.nanos / 1e9;
        System.out.printf(Locale.ROOT, "%s %d records, %d value bytes, %.3f s, %.0f records/s, process CPU %.3f s%n",
                label, p.records, p.valueBytes, s, s > 0 ? p.records / s : 0.0, p.cpuNanos / 1e9);
        System.out.flush();
    }
}
