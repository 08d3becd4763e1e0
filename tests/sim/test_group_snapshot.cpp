// Simulated end to end: the classic group's leader rejoins when the metadata its assignment was
// made from changes, even when the change arrives before the SyncGroup answer (Java's
// assignmentSnapshot is taken as the leader assigns, not as the assignment arrives).
#include "sim_support.hpp"

using namespace sim_support;

TEST_CASE("group sim: a topic that appears while the leader's SyncGroup is on its way is assigned by a rejoin",
          "[sim][group]") {
    kt::fake_cluster cluster;
    // The coordinator answers slowly; the topic's partitions are led by the other two nodes, so
    // metadata (refreshed every 300 ms) comes back while the SyncGroup waits.
    cluster.move_coordinator("g", 2);
    cluster.set_latency(2, 2s);
    bool created = false;
    cluster.on_request([&](const kt::request_info& info) {
        if (info.api_key == proto::SyncGroupRequest::api_key && !created) {
            created = true;
            cluster.create_topic("t", 3, {0, 1, 0});
            cluster.produce("t", 0, "a");
            cluster.produce("t", 1, "b");
            cluster.produce("t", 2, "c");
        }
    });
    auto c = make_consumer(cluster, {{"metadata.max.age.ms", "300"}});
    listener_log log;
    seen_records seen;
    c->subscribe({"t"}, log.listener());
    // The first assignment is empty (no topic when the leader assigned); the rejoin that the new
    // metadata calls for assigns the three partitions.
    CHECK(poll_until(cluster, *c, seen, [&] { return seen.count() == 3; }));
    CHECK(created);
    CHECK(c->assignment().size() == 3);
}
