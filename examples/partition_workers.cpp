// Per-partition concurrent processing with in-order commits, on one thread: each poll's records
// are handed to one coroutine per partition (records of a partition in order, partitions side by
// side); a partition is paused while its worker runs, so its next records wait; once a worker is
// done, the poll loop commits that partition's offset (between polls: one consumer operation at a
// time) and resumes it. A crash replays only what was not yet committed, never skips a record.
// Usage: partition_workers BOOTSTRAP TOPIC GROUP MAX [WORK_MS]
// Prints "partition offset value" per record as its worker finishes it, "commit P OFFSET" per
// commit, and "done N" after MAX records were processed and committed.
#include <kafka/consumer.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

struct manual_commits : kafka::default_policies {
    using offset_commit = kafka::commit::manual;
};
using consumer_type = kafka::KafkaConsumer<std::string, std::string, manual_commits>;
using records_type = consumer_type::records_type;

struct progress {
    std::map<kafka::topic_partition, kafka::offset_and_metadata> finished;  // processed, not committed
    long finished_records = 0;                                              // in `finished`
};

// One partition's records, in order; `batch` keeps the records (and the bytes they view) alive.
asio::awaitable<void> work(std::shared_ptr<const records_type> batch, kafka::topic_partition tp,
                           std::chrono::milliseconds work_time, progress& p) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::int64_t next = -1;
    long n = 0;
    for (auto const& rec : batch->records(tp)) {
        timer.expires_after(work_time);  // the "work": other partitions' workers run meanwhile
        co_await timer.async_wait(asio::use_awaitable);
        std::printf("%d %lld %s\n", rec.partition(), static_cast<long long>(rec.offset()), rec.value().c_str());
        next = rec.offset() + 1;
        ++n;
    }
    p.finished[tp] = {next, ""};
    p.finished_records += n;
}

asio::awaitable<void> run(consumer_type& consumer, long max, std::chrono::milliseconds work_time) {
    progress p;
    long committed = 0;
    while (committed < max) {
        auto batch = std::make_shared<const records_type>(co_await consumer.async_poll(50ms, asio::use_awaitable));
        // Commit what the workers finished since the last poll, then let those partitions go on.
        if (!p.finished.empty()) {
            auto offsets = std::move(p.finished);
            auto records = p.finished_records;
            p.finished.clear();
            p.finished_records = 0;
            co_await consumer.async_commit(offsets, asio::use_awaitable);
            std::vector<kafka::topic_partition> done;
            for (auto const& [tp, om] : offsets) {
                std::printf("commit %d %lld\n", tp.partition, static_cast<long long>(om.offset));
                done.push_back(tp);
            }
            consumer.resume(done);
            committed += records;
        }
        for (auto const& tp : batch->partitions()) {
            consumer.pause({tp});  // its next records wait until this batch is committed
            asio::co_spawn(co_await asio::this_coro::executor, work(batch, tp, work_time, p), asio::detached);
        }
    }
    co_await consumer.async_close(asio::use_awaitable);
    std::printf("done %ld\n", committed);
    std::fflush(stdout);
}

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: partition_workers BOOTSTRAP TOPIC GROUP MAX [WORK_MS]\n");
        return 2;
    }
    long max = std::stol(argv[4]);
    auto work_time = std::chrono::milliseconds(argc > 5 ? std::stol(argv[5]) : 5);
    asio::io_context io;
    consumer_type consumer(
        kafka::consumer_config{std::map<std::string, std::string>{
            {"bootstrap.servers", argv[1]}, {"group.id", argv[3]}, {"auto.offset.reset", "earliest"}}},
        io);
    consumer.subscribe({argv[2]});
    asio::co_spawn(io, run(consumer, max, work_time), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
    io.run();
}
