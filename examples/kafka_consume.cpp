// kafka-consume: a kcat-style consumer built on kafka::KafkaConsumer.
//
//   kafka-consume -b 127.0.0.1:9092 -t orders [-t more] [-g GROUP] [-o beginning|end|OFFSET]
//   (with -g, a topic starting with ^ is a regex, as in kcat: the broker evaluates it under
//   -X group.protocol=consumer, this client under classic)
//                 [-c N] [-e] [-f FORMAT] [-X key=value]... [--assignor NAME]
//                 [--commit auto|sync|async|none] [-q] [-v]... [-d CONTEXTS]
//   kafka-consume -b 127.0.0.1:9092 -t jobs --share GROUP [-c N] [-e] [-f FORMAT] [-X key=value]...
//   (a member of the share group GROUP, KIP-932: each record is acknowledged (ACCEPT) once it is
//   written out; with -c the records past N are released to the group's other members; -e ends
//   after 2 s without records. Where a share group starts is the group's share.auto.offset.reset,
//   set with kafka-configs --entity-type groups, so -o is refused, and so are -g and --commit)
//
// Records go to stdout (FORMAT tokens as kcat: %t topic, %p partition, %o offset, %k key,
// %s value, %T timestamp, %h headers, %S value size, %K key size, \n, \t; default "%s\n").
// They are written out (fflush) after each poll's records, before anything can commit them: the
// explicit commits of --commit sync/async, and the auto-commit and rebalance commits the library
// sends from inside the next poll(). A crash never loses a committed record from the output, and
// a reader at the other end of a pipe sees each poll's records at once.
// Progress, rebalances and a final summary go to stderr, and so do the consumer's own log lines,
// in librdkafka's format ("%4|1733312345.678|WARN|kafka-consume| ..."): warnings and errors
// always, info with -v, debug with -v -v or -d (kcat's librdkafka debug flag; any contexts).
// Every line of the consumer's names it as Java does ("[Consumer clientId=kafka-consume, groupId=g]"):
// a broker that cannot be reached is named with the reason at once (then once per 10 s while it
// stays down), and so are authentication failures, missing topics, rebalances and failed commits.
// SIGINT/SIGTERM: wakeup(), final commit, leave the group, exit 0.
//
// Exit codes (kcat's are 0 and 1; these tell the failures apart):
//   0  done (-c, -e, a signal)        3  a topic does not exist (without -g)
//   1  any other error                4  authentication failed (TLS or SASL)
//   2  bad arguments                  5  cluster unreachable: no metadata within default.api.timeout.ms
//                                     6  not authorized (topic or group ACLs)
#include <kafka/client/network_client.hpp>  // is_authentication_error
#include <kafka/consumer.hpp>
#include <kafka/policy/assignors/roundrobin.hpp>
#include <kafka/policy/assignors/sticky.hpp>
#include <kafka/share_consumer.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
    std::string brokers;
    std::vector<std::string> topics;
    std::string group;
    std::string share_group;  // --share: a share-group member (KafkaShareConsumer)
    std::string offset = "beginning";
    bool offset_set = false;
    long long count = -1;
    bool exit_at_end = false;
    std::string format = "%s\\n";
    std::vector<std::pair<std::string, std::string>> extra;
    std::string assignor = "range";
    bool assignor_set = false;  // --assignor given (refused under group.protocol=consumer: the broker assigns)
    std::string commit = "auto";
    bool commit_set = false;
    bool quiet = false;
    int verbosity = 0;  // log lines on stderr: 0 warnings and errors, 1 (-v) also info, 2 (-v -v, -d) also debug
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "kafka-consume: %s\n"
                 "usage: kafka-consume -b HOST:PORT[,...] -t TOPIC [-t TOPIC]... [-g GROUP]\n"
                 "                     [-o beginning|end|OFFSET] [-c N] [-e] [-f FORMAT] [-X key=value]...\n"
                 "                     [--assignor range|roundrobin|sticky|cooperative-sticky]\n"
                 "                     [--commit auto|sync|async|none] [-q] [-v]... [-d CONTEXTS]\n"
                 "       kafka-consume -b HOST:PORT[,...] -t TOPIC [-t TOPIC]... --share GROUP [-c N] [-e]\n"
                 "                     [-f FORMAT] [-X key=value]... [-q] [-v]... [-d CONTEXTS]\n"
                 "exit codes: 0 done, 1 error, 2 bad arguments, 3 unknown topic (without -g), 4 authentication\n"
                 "            failed, 5 cluster unreachable (no metadata within default.api.timeout.ms; set it\n"
                 "            with -X default.api.timeout.ms=MS), 6 not authorized\n",
                 why);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value after " + a).c_str());
            return argv[++i];
        };
        if (a == "-b")
            o.brokers = next();
        else if (a == "-t")
            o.topics.push_back(next());
        else if (a == "-g")
            o.group = next();
        else if (a == "-o") {
            o.offset = next();
            o.offset_set = true;
        } else if (a == "--share")
            o.share_group = next();
        else if (a == "-c")
            o.count = std::stoll(next());
        else if (a == "-e")
            o.exit_at_end = true;
        else if (a == "-f")
            o.format = next();
        else if (a == "-q")
            o.quiet = true;
        else if (a.size() >= 2 && a.find_first_not_of('v', 1) == std::string::npos && a[0] == '-')
            o.verbosity += static_cast<int>(a.size()) - 1;  // -v, -vv, ...
        else if (a == "-d") {
            next();  // librdkafka's debug contexts: this consumer has one debug level for all
            o.verbosity = std::max(o.verbosity, 2);
        } else if (a == "-X") {
            auto kv = next();
            auto eq = kv.find('=');
            if (eq == std::string::npos) usage("-X needs key=value");
            o.extra.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        } else if (a == "--assignor") {
            o.assignor = next();
            o.assignor_set = true;
        } else if (a == "--commit")
            o.commit = next();
        else if (a == "-h" || a == "--help")
            usage("help");
        else
            usage(("unknown argument " + a).c_str());
    }
    if (o.brokers.empty()) usage("-b is required");
    if (!o.share_group.empty()) {
        if (!o.group.empty()) usage("--share names the share group: -g (a consumer group) does not go with it");
        if (o.offset_set)
            usage(
                "-o does not go with --share: a share group starts where its share.auto.offset.reset says "
                "(kafka-configs --entity-type groups --entity-name GROUP --add-config "
                "share.auto.offset.reset=earliest)");
        if (o.assignor_set) usage("--assignor does not go with --share: the broker assigns a share group's partitions");
        if (o.commit_set)
            usage("--commit does not go with --share: each record is acknowledged once it is written out");
    }
    if (o.topics.empty()) usage("at least one -t is required");
    if (o.commit != "auto" && o.commit != "sync" && o.commit != "async" && o.commit != "none")
        usage("--commit takes auto, sync, async or none");
    if (o.offset != "beginning" && o.offset != "end" && o.offset.find_first_not_of("0123456789") != std::string::npos)
        usage("-o takes beginning, end or an offset");
    return o;
}

std::string unescape(const std::string& f) {
    std::string out;
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == '\\' && i + 1 < f.size()) {
            char c = f[++i];
            out += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == '0' ? '\0' : c;
        } else {
            out += f[i];
        }
    }
    return out;
}

template <class Rec>
void print(std::string& buf, const std::string& fmt, const Rec& r) {
    buf.clear();
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] != '%' || i + 1 >= fmt.size()) {
            buf += fmt[i];
            continue;
        }
        switch (fmt[++i]) {
            case 't':
                buf += r.topic();
                break;
            case 'p':
                buf += std::to_string(r.partition());
                break;
            case 'o':
                buf += std::to_string(r.offset());
                break;
            case 'k':
                if (r.key()) buf += kafka::as_string_view(*r.key());
                break;
            case 's':
                if (r.value()) buf += kafka::as_string_view(*r.value());
                break;
            case 'T':
                buf += std::to_string(r.timestamp());
                break;
            case 'S':
                buf += std::to_string(r.serialized_value_size());
                break;
            case 'K':
                buf += std::to_string(r.serialized_key_size());
                break;
            case 'h': {
                bool first = true;
                for (auto const& h : r.headers()) {
                    if (!first) buf += ',';
                    first = false;
                    buf += h.key;
                    buf += '=';
                    if (h.value) buf += kafka::as_string_view(*h.value);
                }
                break;
            }
            case '%':
                buf += '%';
                break;
            default:
                buf += '%';
                buf += fmt[i];
        }
    }
    std::fwrite(buf.data(), 1, buf.size(), stdout);
}

// A signal handler may only touch a lock-free atomic; a watcher thread turns it into wakeup().
std::atomic<bool> signalled{false};
void handle_signal(int) { signalled.store(true); }

// SIGINT/SIGTERM become the consumer's wakeup() (the one call safe from another thread), from a
// watcher thread that lives as long as this object.
template <class Consumer>
class wakeup_on_signal {
public:
    explicit wakeup_on_signal(Consumer& consumer)
        : thread_([this, &consumer] {
              while (!done_.load()) {
                  if (signalled.exchange(false)) consumer.wakeup();
                  std::this_thread::sleep_for(std::chrono::milliseconds(50));
              }
          }) {
        std::signal(SIGINT, handle_signal);
        std::signal(SIGTERM, handle_signal);
    }
    wakeup_on_signal(const wakeup_on_signal&) = delete;
    wakeup_on_signal& operator=(const wakeup_on_signal&) = delete;
    ~wakeup_on_signal() {
        done_.store(true);
        thread_.join();
    }

private:
    std::atomic<bool> done_{false};
    std::thread thread_;
};

std::string join(const std::vector<kafka::topic_partition>& v) {
    std::string s;
    for (auto const& tp : v) s += (s.empty() ? "" : " ") + tp.to_string();
    return s;
}

// The consumer's log lines on stderr as librdkafka prints its own, so that what kcat users grep
// for works: "%<syslog level>|<unix seconds>.<ms>|<LEVEL>|kafka-consume| <message>". The handler
// also runs on the consumer's heartbeat thread; one fprintf per line keeps lines whole.
std::function<void(kafka::log_level, const std::string&)> stderr_logger(int verbosity) {
    return [verbosity](kafka::log_level level, const std::string& msg) {
        int syslog_level = 7;
        const char* name = "DEBUG";
        switch (level) {
            case kafka::log_level::error:
                syslog_level = 3;
                name = "ERROR";
                break;
            case kafka::log_level::warn:
                syslog_level = 4;
                name = "WARN";
                break;
            case kafka::log_level::info:
                if (verbosity < 1) return;
                syslog_level = 6;
                name = "INFO";
                break;
            case kafka::log_level::debug:
                if (verbosity < 2) return;
                break;
        }
        auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        std::fprintf(stderr, "%%%d|%lld.%03lld|%s|kafka-consume| %s\n", syslog_level, static_cast<long long>(ms / 1000),
                     static_cast<long long>(ms % 1000), name, msg.c_str());
    };
}

// The exit codes of the usage text.
enum exit_code : int {
    exit_ok = 0,
    exit_error = 1,
    exit_unknown_topic = 3,
    exit_authentication = 4,
    exit_unreachable = 5,
    exit_not_authorized = 6
};

int exit_code_for(const std::exception& e) {
    if (dynamic_cast<const kafka::timeout_error*>(&e)) return exit_unreachable;
    if (auto k = dynamic_cast<const kafka::kafka_error*>(&e)) {
        if (kafka::client::is_authentication_error(k->code())) return exit_authentication;
        if (k->code() == kafka::errc::topic_authorization_failed ||
            k->code() == kafka::errc::group_authorization_failed)
            return exit_not_authorized;
    }
    return exit_error;
}

// Writes out what stdio holds of stdout. Throws when that fails (a full disk, say): the records
// it held must then be neither committed nor skipped.
void flush_records() {
    if (std::fflush(stdout) != 0)
        throw std::runtime_error(std::string("writing records to stdout failed: ") + std::strerror(errno));
}

template <class Assignor>
int run(const options& o) {
    struct policies : kafka::default_policies {
        using assignor [[maybe_unused]] = Assignor;
    };
    using view = std::optional<kafka::bytes_view>;
    std::map<std::string, std::string> props{{"bootstrap.servers", o.brokers}, {"client.id", "kafka-consume"}};
    // Auto-commit needs a group; without -g there is nothing to commit to.
    props["enable.auto.commit"] = !o.group.empty() && o.commit == "auto" ? "true" : "false";
    if (!o.group.empty()) props["group.id"] = o.group;
    props["auto.offset.reset"] = o.offset == "end" ? "latest" : "earliest";
    for (auto const& [k, v] : o.extra) props[k] = v;
    kafka::KafkaConsumer<view, view, policies> consumer{kafka::consumer_config(props)};
    consumer.set_log_handler(stderr_logger(o.verbosity));
    if (o.assignor_set && consumer.config().group_protocol() == kafka::group_protocol::consumer) {
        std::fprintf(stderr,
                     "kafka-consume: --assignor picks a client-side assignor, which group.protocol=consumer does not "
                     "use (the broker assigns): choose the broker's with -X group.remote.assignor=uniform|range\n");
        return 1;
    }
    wakeup_on_signal<decltype(consumer)> watcher(consumer);

    bool numeric = o.offset != "beginning" && o.offset != "end";
    // The cluster first: an address nobody answers at, refused credentials, a topic that does not
    // exist end here with their own exit codes (the log lines above already said which broker and
    // why). In a group a missing topic is waited for, as Java's consumer does (-e ends the wait).
    std::map<std::string, std::vector<kafka::topic_partition>> partitions;
    try {
        for (auto const& t : o.topics) {
            if (t.rfind('^', 0) == 0) continue;  // a regex (kcat -G): its topics are what the group assigns
            for (auto const& p : consumer.partitionsFor(t)) partitions[t].push_back(p.topic_partition());
        }
    } catch (const kafka::timeout_error& e) {
        std::fprintf(stderr, "kafka-consume: cluster unreachable: %s\n", e.what());
        return exit_unreachable;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kafka-consume: %s\n", e.what());
        return exit_code_for(e);
    }
    // Group mode: whether the last rebalance callback was an assignment (not a revocation or a
    // loss), and how many polls in a row ended with that assignment empty (for -e).
    bool settled = false;
    int empty_assignment_polls = 0;
    auto start_at = numeric ? std::stoll(o.offset) : -1;
    if (o.group.empty()) {
        std::vector<kafka::topic_partition> all;
        for (auto const& t : o.topics) {
            if (t.rfind('^', 0) == 0) {
                std::fprintf(stderr, "kafka-consume: the regex topic '%s' needs a group (-g), as in kcat\n", t.c_str());
                return 1;
            }
            auto const& parts = partitions[t];
            if (parts.empty()) {
                std::fprintf(stderr, "kafka-consume: topic '%s' does not exist\n", t.c_str());
                return exit_unknown_topic;
            }
            all.insert(all.end(), parts.begin(), parts.end());
        }
        consumer.assign(all);
        if (numeric)
            for (auto const& tp : all) consumer.seek(tp, start_at);
        else if (o.offset == "end")
            consumer.seekToEnd(all);
        else
            consumer.seekToBeginning(all);
        if (!o.quiet) std::fprintf(stderr, "%% assigned %s\n", join(all).c_str());
    } else {
        kafka::rebalance_listener l;
        l.on_partitions_assigned = [&](const std::vector<kafka::topic_partition>& parts) {
            settled = true;
            if (!o.quiet) std::fprintf(stderr, "%% group %s: assigned %s\n", o.group.c_str(), join(parts).c_str());
            if (numeric && !parts.empty()) {
                auto committed = consumer.committed({parts.begin(), parts.end()});
                for (auto const& tp : parts)
                    if (!committed[tp]) consumer.seek(tp, start_at);
            }
        };
        l.on_partitions_revoked = [&](const std::vector<kafka::topic_partition>& parts) {
            settled = false;
            empty_assignment_polls = 0;
            if (!o.quiet && !parts.empty())
                std::fprintf(stderr, "%% group %s: revoked %s\n", o.group.c_str(), join(parts).c_str());
        };
        l.on_partitions_lost = [&](const std::vector<kafka::topic_partition>& parts) {
            settled = false;
            empty_assignment_polls = 0;
            if (!o.quiet) std::fprintf(stderr, "%% group %s: lost %s\n", o.group.c_str(), join(parts).c_str());
        };
        // kcat's convention: a topic starting with ^ is a regex. Evaluated by the broker under
        // group.protocol=consumer (Kafka 4.0+), by this client (full match) under classic.
        std::vector<std::string> names;
        std::string regex;
        for (auto const& t : o.topics) {
            if (t.rfind('^', 0) == 0)
                regex += (regex.empty() ? "" : "|") + ("(?:" + t + ")");
            else
                names.push_back(t);
        }
        if (regex.empty()) {
            consumer.subscribe(names, l);
        } else if (!names.empty()) {
            std::fprintf(stderr, "kafka-consume: topic names and ^regex topics cannot be mixed in one subscription\n");
            return 1;
        } else if (consumer.config().group_protocol() == kafka::group_protocol::consumer) {
            consumer.subscribe(kafka::subscription_pattern(regex), l);
        } else {
            consumer.subscribe(kafka::topic_pattern(regex), l);
        }
    }

    auto fmt = unescape(o.format);
    std::string buf;
    long long n = 0;
    auto t0 = std::chrono::steady_clock::now();
    auto last_report = t0;
    int exit_code = 0;
    try {
        for (;;) {
            auto records = consumer.poll(std::chrono::milliseconds(500));
            // Per partition: the first offset printed and the one after the last printed. With -c
            // the batch may be cut, and what was not printed must be neither committed nor skipped,
            // so those partitions seek back to it. Records come in runs per partition: one map
            // lookup per run, not per record.
            std::map<kafka::topic_partition, kafka::offset_and_metadata> printed;
            std::map<kafka::topic_partition, std::int64_t> first_printed, unprinted;
            const std::string* run_topic = nullptr;
            std::int32_t run_partition = -1;
            kafka::offset_and_metadata* next = nullptr;
            for (auto const& r : records) {
                if (o.count >= 0 && n >= o.count) {
                    unprinted.emplace(kafka::topic_partition{r.topic(), r.partition()}, r.offset());
                    continue;
                }
                print(buf, fmt, r);
                ++n;
                if (&r.topic() != run_topic || r.partition() != run_partition) {
                    run_topic = &r.topic();
                    run_partition = r.partition();
                    kafka::topic_partition tp{r.topic(), r.partition()};
                    first_printed.emplace(tp, r.offset());
                    next = &printed[tp];
                }
                next->offset = r.offset() + 1;
                next->leader_epoch = r.leader_epoch();
            }
            for (auto const& [tp, off] : unprinted) consumer.seek(tp, off);
            // The records reach stdout before anything can commit them: the commits below, and
            // the auto-commit and rebalance commits the library sends from inside the next poll().
            // Once per poll, not per record; after an empty poll nothing is left to write, so a
            // reader at the other end of a pipe has every record as soon as its poll returned.
            try {
                flush_records();
            } catch (...) {
                // How much of this poll was written is unknown: its records go back to be
                // consumed again, so that neither close() nor a later commit covers them.
                for (auto const& [tp, off] : first_printed) consumer.seek(tp, off);
                throw;
            }
            if (!printed.empty()) {
                if (o.commit == "sync")
                    consumer.commitSync(printed);
                else if (o.commit == "async")
                    consumer.commitAsync(printed, [](auto const&, std::error_code ec) {
                        if (ec) std::fprintf(stderr, "%% async commit failed: %s\n", ec.message().c_str());
                    });
            }
            if (o.count >= 0 && n >= o.count) break;
            if (o.exit_at_end) {
                // currentLag per partition, not a metrics() snapshot: that one builds every metric
                // with its name, too much to do after each poll.
                auto assigned = consumer.assignment();
                bool all_end = true;
                for (auto const& tp : assigned) {
                    auto lag = consumer.currentLag(tp);
                    all_end = all_end && lag && *lag <= 0;
                }
                // No partition at all: a group member its rebalance gave none (more members than
                // partitions, a topic that does not exist) is at the end of all it has, once that
                // assignment held through a whole poll (a leader whose metadata lagged behind
                // rejoins within one).
                if (assigned.empty())
                    all_end = settled && ++empty_assignment_polls >= 2;
                else
                    empty_assignment_polls = 0;
                if (all_end) break;
            }
            auto now = std::chrono::steady_clock::now();
            if (!o.quiet && now - last_report > std::chrono::seconds(5)) {
                last_report = now;
                std::fprintf(stderr, "%% %lld records so far\n", n);
            }
        }
    } catch (const kafka::wakeup_error&) {
        if (!o.quiet) std::fprintf(stderr, "%% interrupted\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kafka-consume: %s\n", e.what());
        exit_code = exit_code_for(e);
        // A timeout in the middle of consuming is no unreachable cluster at the start.
        if (exit_code == exit_unreachable) exit_code = exit_error;
    }
    std::fflush(stdout);
    auto m = consumer.metrics();
    long long lag = 0;
    for (auto const& [tp, l] : m.lag) lag += std::max<long long>(0, l.lag);
    try {
        if (exit_code == 0 && !o.group.empty() && o.commit != "none" && o.commit != "auto") consumer.commitSync();
        consumer.close();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kafka-consume: close: %s\n", e.what());
    }
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!o.quiet)
        std::fprintf(stderr, "%% consumed %lld records in %.2f s (%.0f records/s), remaining lag %lld\n", n, secs,
                     secs > 0 ? static_cast<double>(n) / secs : 0.0, lag);
    return exit_code;
}

// --share: a member of a share group. Explicit acknowledgement: a record is accepted once it is
// written out (stdout flushed), so a crash never loses a record nobody printed: the broker
// delivers it again after its acquisition lock expires.
int run_share(const options& o) {
    using view = std::optional<kafka::bytes_view>;
    std::map<std::string, std::string> props{{"bootstrap.servers", o.brokers},
                                             {"client.id", "kafka-consume"},
                                             {"group.id", o.share_group},
                                             {"share.acknowledgement.mode", "explicit"}};
    for (auto const& [k, v] : o.extra) props[k] = v;
    kafka::KafkaShareConsumer<view, view> consumer{kafka::consumer_config(props)};
    consumer.set_log_handler(stderr_logger(o.verbosity));
    consumer.setAcknowledgementCommitCallback([](auto const& offsets, std::error_code ec) {
        if (!ec) return;
        for (auto const& [tp, offs] : offsets)
            std::fprintf(stderr, "%% acknowledging %zu records of %s failed: %s\n", offs.size(), tp.to_string().c_str(),
                         ec.message().c_str());
    });
    wakeup_on_signal<decltype(consumer)> watcher(consumer);
    for (auto const& t : o.topics)
        if (t.rfind('^', 0) == 0) {
            std::fprintf(stderr, "kafka-consume: a share group subscribes by topic names; '%s' is a regex\n",
                         t.c_str());
            return 1;
        }
    auto fmt = unescape(o.format);
    std::string buf;
    long long n = 0;
    auto t0 = std::chrono::steady_clock::now();
    auto last_record = t0;
    int exit_code = 0;
    try {
        consumer.subscribe(o.topics);
        if (!o.quiet) std::fprintf(stderr, "%% share group %s: subscribed\n", o.share_group.c_str());
        for (;;) {
            auto records = consumer.poll(std::chrono::milliseconds(500));
            std::vector<const kafka::ConsumerRecord<view, view>*> printed;
            for (auto const& r : records) {
                if (o.count >= 0 && n >= o.count) {
                    consumer.acknowledge(r, kafka::acknowledge_type::release);  // for another member
                    continue;
                }
                print(buf, fmt, r);
                printed.push_back(&r);
                ++n;
            }
            // Written out first, then accepted: what was not written goes back to the group.
            try {
                flush_records();
            } catch (...) {
                for (auto const* r : printed) consumer.acknowledge(*r, kafka::acknowledge_type::release);
                throw;
            }
            for (auto const* r : printed) consumer.acknowledge(*r, kafka::acknowledge_type::accept);
            auto now = std::chrono::steady_clock::now();
            if (!records.empty()) last_record = now;
            if (o.count >= 0 && n >= o.count) break;
            if (o.exit_at_end && now - last_record > std::chrono::seconds(2)) break;
        }
    } catch (const kafka::wakeup_error&) {
        if (!o.quiet) std::fprintf(stderr, "%% interrupted\n");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kafka-consume: %s\n", e.what());
        exit_code = exit_code_for(e);
        if (exit_code == exit_unreachable) exit_code = exit_error;
    }
    std::fflush(stdout);
    try {
        if (exit_code == 0) consumer.commitSync();
        consumer.close();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kafka-consume: close: %s\n", e.what());
    }
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!o.quiet)
        std::fprintf(stderr, "%% consumed %lld records in %.2f s (%.0f records/s)\n", n, secs,
                     secs > 0 ? static_cast<double>(n) / secs : 0.0);
    return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
    auto o = parse(argc, argv);
    try {
        if (!o.share_group.empty()) return run_share(o);
        if (o.assignor == "range") return run<kafka::assignors::range>(o);
        if (o.assignor == "roundrobin") return run<kafka::assignors::roundrobin>(o);
        if (o.assignor == "sticky") return run<kafka::assignors::sticky>(o);
        if (o.assignor == "cooperative-sticky") return run<kafka::assignors::cooperative_sticky>(o);
        usage("--assignor takes range, roundrobin, sticky or cooperative-sticky");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kafka-consume: %s\n", e.what());
        return 1;
    }
}
