// Processing a poll's records with range-v3 views: drop what needs no work, shape the rest into
// rows, group them by partition, write each partition's rows in batches of N (a bulk insert into a
// database, here printed), then commit the offsets after the poll. At least once: a crash before
// the commit replays the poll's records on restart.
//
//   record_pipelines BOOTSTRAP TOPIC GROUP [MAX [TIMEOUT_SECONDS [BATCH]]] [key=value]...
//
// Records with an empty value (deletes, tombstones) are skipped; the others become rows
// "OFFSET:KEY=VALUE". ConsumerRecords is a random-access range whose records come partition by
// partition, so ranges::views::chunk_by finds the partitions' runs without copying or sorting
// (records.records(tp) is the same run, found by partition).
//
// Output (stdout, one line each):
//   insert: TOPIC-P n=K OFFSET:KEY=VALUE ...           one batch of at most N rows, all of one partition
//   committed: TOPIC-P=OFFSET ...                      after each poll's batches, commitSync
//   done: R records, I rows in B batches
// Stops after at least MAX records (the poll that reaches MAX is processed and committed whole) or
// after TIMEOUT_SECONDS (default 60). BATCH is N (default 3). A restart with the same GROUP resumes
// at the committed offsets.
#include <kafka/consumer.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <range/v3/view/chunk.hpp>
#include <range/v3/view/chunk_by.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/transform.hpp>

struct manual_policies : kafka::default_policies {
    using offset_commit = kafka::commit::manual;  // this program commits, after its inserts
};
using consumer_type = kafka::KafkaConsumer<std::string, std::string, manual_policies>;
using record = kafka::ConsumerRecord<std::string, std::string>;

struct row {
    long long offset;
    std::string key;
    std::string value;
};

// Stands in for a prepared INSERT of several rows at once.
template <class Rows>
void insert_batch(const kafka::topic_partition& tp, Rows&& rows, long& row_count) {
    std::string line;
    int n = 0;
    for (row const& r : rows) {
        line += " " + std::to_string(r.offset) + ":" + r.key + "=" + r.value;
        ++n;
    }
    row_count += n;
    std::printf("insert: %s n=%d%s\n", tp.to_string().c_str(), n, line.c_str());
}

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    if (argc < 4) {
        std::fprintf(stderr,
                     "usage: record_pipelines BOOTSTRAP TOPIC GROUP [MAX [TIMEOUT_SECONDS [BATCH]]] [key=value]...\n");
        return 2;
    }
    std::map<std::string, std::string> props{{"bootstrap.servers", argv[1]},
                                             {"group.id", argv[3]},
                                             {"enable.auto.commit", "false"},
                                             {"auto.offset.reset", "earliest"}};
    // Positional numbers after GROUP: MAX, TIMEOUT_SECONDS, BATCH; the rest are consumer properties.
    std::vector<long> numbers{-1, 60, 3};
    std::size_t given = 0;
    for (int i = 4; i < argc; ++i) {
        std::string a = argv[i];
        if (auto eq = a.find('='); eq != std::string::npos)
            props[a.substr(0, eq)] = a.substr(eq + 1);
        else if (given < numbers.size())
            numbers[given++] = std::stol(a);
        else
            return std::fprintf(stderr, "record_pipelines: unexpected argument '%s'\n", a.c_str()), 2;
    }
    long max = numbers[0];
    auto timeout = std::chrono::seconds(numbers[1]);
    auto batch_size = static_cast<std::ptrdiff_t>(numbers[2]);
    if (batch_size < 1) return std::fprintf(stderr, "record_pipelines: BATCH must be at least 1\n"), 2;

    // The pipeline's steps, each a plain function of one record.
    auto same_partition = [](const record& a, const record& b) {
        return a.partition() == b.partition() && a.topic() == b.topic();
    };
    auto has_value = [](const record& r) { return !r.value().empty(); };
    auto to_row = [](const record& r) { return row{static_cast<long long>(r.offset()), r.key(), r.value()}; };

    try {
        consumer_type consumer{kafka::consumer_config(props)};
        consumer.subscribe({argv[2]});

        long n = 0, rows = 0, batches = 0;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while ((max < 0 || n < max) && std::chrono::steady_clock::now() < deadline) {
            auto records = consumer.poll(std::chrono::milliseconds(200));
            if (records.empty()) continue;
            n += static_cast<long>(records.size());
            // One run per partition; in each, the rows worth inserting, N at a time. The views
            // are lazy: a row is built as its batch is written, and no record is copied first.
            for (auto run : records | ranges::views::chunk_by(same_partition)) {
                kafka::topic_partition tp{run.front().topic(), run.front().partition()};
                auto partition_rows = run | ranges::views::filter(has_value) | ranges::views::transform(to_row);
                for (auto batch : partition_rows | ranges::views::chunk(batch_size)) {
                    insert_batch(tp, batch, rows);
                    ++batches;
                }
            }
            // Every batch of this poll is written: commit the offsets after its records (the
            // skipped ones included). A failure throws; those records will be seen again.
            auto offsets = records.next_offsets();
            consumer.commitSync(offsets);
            std::string line = "committed:";
            for (auto const& [tp, om] : offsets) line += " " + tp.to_string() + "=" + std::to_string(om.offset);
            std::printf("%s\n", line.c_str());
        }
        std::printf("done: %ld records, %ld rows in %ld batches\n", n, rows, batches);
        consumer.close();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "record_pipelines: %s\n", e.what());
        return 1;
    }
}
