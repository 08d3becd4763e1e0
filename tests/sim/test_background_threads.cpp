// Simulated end to end with the consumer's own thread on: the background heartbeat thread works
// between the user's calls (it runs the network client, so I/O and the fake cluster run on it
// too) while the records of earlier polls are read and released on a third thread (their frames
// go back to the connection's frame_pool from there). Built into thread_tests, which the
// ThreadSanitizer stage of scripts/test.sh runs: the checks below are about behaviour, the
// sanitizer checks that every access shared by those threads is ordered.
#include "sim_support.hpp"

// This consumer type (background heartbeat on) is compiled here.
#include <kafka/impl/consumer.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

using namespace sim_support;

namespace {
struct background_policies : sim_policies {
    static constexpr bool background_heartbeat = true;
};
using bg_consumer = kafka::KafkaConsumer<std::string, std::string, background_policies>;

/// A thread that reads the records handed to it and then drops them (the last reference to their
/// frames goes on this thread).
class record_reader {
public:
    record_reader() : thread_([this] { run(); }) {}
    ~record_reader() {
        {
            std::lock_guard l(m_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    void hand_over(bg_consumer::records_type rs) {
        {
            std::lock_guard l(m_);
            queue_.push_back(std::move(rs));
        }
        cv_.notify_all();
    }
    /// Waits until the reader has dropped everything handed over; the values it read, in order.
    std::vector<std::string> drained() {
        std::unique_lock l(m_);
        cv_.wait(l, [&] { return queue_.empty() && !busy_; });
        return values_;
    }

private:
    void run() {
        std::unique_lock l(m_);
        for (;;) {
            cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;
            auto rs = std::move(queue_.front());
            queue_.pop_front();
            busy_ = true;
            l.unlock();
            std::vector<std::string> values;
            for (auto const& r : rs) values.push_back(r.value());
            rs = {};  // the frames go back to their pool here, on this thread
            l.lock();
            values_.insert(values_.end(), values.begin(), values.end());
            busy_ = false;
            cv_.notify_all();
        }
    }
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<bg_consumer::records_type> queue_;
    std::vector<std::string> values_;
    bool busy_ = false;
    bool stop_ = false;
    std::thread thread_;  // last: started once the members it uses exist
};

/// The threads on which requests of each API were read by the fake brokers.
class request_threads {
public:
    void seen(std::int16_t api_key) {
        std::lock_guard l(m_);
        threads_[api_key].insert(std::this_thread::get_id());
        cv_.notify_all();
    }
    /// Waits (at most `limit` of real time: a bound against a hang, not a measurement) until a
    /// request of `api_key` was read on a thread other than the caller's.
    bool wait_for_other_thread(std::int16_t api_key, std::chrono::seconds limit) {
        std::unique_lock l(m_);
        return cv_.wait_for(l, limit, [&] {
            auto const& ts = threads_[api_key];
            return std::any_of(ts.begin(), ts.end(), [](auto id) { return id != std::this_thread::get_id(); });
        });
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::map<std::int16_t, std::set<std::thread::id>> threads_;
};
}  // namespace

TEST_CASE("engine sim: the heartbeat thread heartbeats between polls while records are released on another thread",
          "[sim][engine][threads]") {
    kt::fake_cluster cluster;
    cluster.create_topic("t", 2);
    // Values of 20 KiB: fetch responses come from the frame pool (pooled from 16 KiB).
    std::vector<std::string> produced;
    for (int p = 0; p < 2; ++p)
        for (int b = 0; b < 5; ++b) {
            std::vector<std::string> values;
            for (int i = 0; i < 4; ++i)
                values.push_back(std::to_string(p) + ":" + std::string(20 * 1024, static_cast<char>('a' + b + i)));
            cluster.produce_values("t", p, values);
            produced.insert(produced.end(), values.begin(), values.end());
        }
    // Each zero-length wait of the heartbeat thread moves simulated time 1 ms: its own heartbeats
    // fall due after heartbeat.interval.ms of its ticks.
    cluster.network().set_busy_poll_cost(1ms);
    request_threads threads;
    cluster.on_request([&](const kt::request_info& info) { threads.seen(info.api_key); });

    std::vector<std::string> read;
    {
        record_reader reader;
        bg_consumer c(config_for(cluster, {{"heartbeat.interval.ms", "40"}}), {}, {}, cluster.transport());
        c.subscribe({"t"});
        std::size_t n = 0;
        for (int i = 0; i < 2000 && n < produced.size(); ++i) {
            auto rs = c.poll(50ms);
            n += rs.size();
            reader.hand_over(std::move(rs));
        }
        REQUIRE(n == produced.size());
        // No call of ours is inside the consumer now: the heartbeat thread keeps the member in
        // its group by itself.
        CHECK(threads.wait_for_other_thread(heartbeat_key, 120s));
        CHECK(c.poll(0ms).empty());
        CHECK(c.assignment().size() == 2);
        read = reader.drained();
        c.close();
    }
    std::multiset<std::string> want(produced.begin(), produced.end()), got(read.begin(), read.end());
    CHECK(got == want);
    CHECK(cluster.committed("g", {"t", 0}) == std::nullopt);  // manual commits: none made
}
