// Metrics as Java's clients keep them: a metric is named (name, group, tags) and described; a
// sensor records events (a value at a time) into a few sample windows, from which windowed
// rates, averages and maxima are read, as Kafka's SampledStat/Rate/Avg/Max compute them since
// Kafka 3.8 (metrics.sample.window.ms per window, metrics.num.samples windows plus the current
// one), beside all-time totals.
//
// Time is in milliseconds on whatever clock the caller uses (the consumer uses its transport's,
// so simulated time gives exact rates in tests). Nothing here is thread-safe: a sensor belongs
// to the thread that drives the consumer.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace kafka {

/// A metric's identity, as Java's MetricName: name, group and tags; the description is carried along.
struct metric_name {
    std::string name;
    std::string group;
    std::map<std::string, std::string> tags;
    std::string description;

    friend bool operator<(const metric_name& a, const metric_name& b) {
        return std::tie(a.group, a.name, a.tags) < std::tie(b.group, b.name, b.tags);
    }
    friend bool operator==(const metric_name& a, const metric_name& b) {
        return std::tie(a.group, a.name, a.tags) == std::tie(b.group, b.name, b.tags);
    }
};

/// One metric's value when it was read. NaN where Java reports NaN (an average or maximum with no
/// event in the window).
struct metric {
    metric_name name;
    double value = 0;
};

/// metrics.sample.window.ms and metrics.num.samples.
struct metric_config {
    std::int64_t window_ms = 30000;
    int samples = 2;
};

/// Events recorded into windows of `window_ms`, plus all-time totals. The windowed figures follow
/// Kafka's SampledStat: a window is complete `window_ms` after it started; samples + 1 windows are
/// kept (the oldest reused when all are taken); on read, a window whose last event is samples x
/// window_ms old is reset; a rate divides by the time since the oldest window started, counted as
/// at least samples - 1 full windows.
class sensor {
public:
    explicit sensor(metric_config c = {}) : cfg_(c) {
        // Bounded so that samples x window_ms cannot overflow (a million windows of 31 years).
        cfg_.samples = std::clamp(cfg_.samples, 1, 1000000);
        cfg_.window_ms = std::clamp<std::int64_t>(cfg_.window_ms, 1, 1000000000000);
    }

    void record(double value, std::int64_t now_ms) {
        if (samples_.empty()) samples_.push_back(fresh(now_ms));
        auto* s = &samples_[current_];
        if (now_ms - s->start_ms >= cfg_.window_ms) {
            current_ = (current_ + 1) % (static_cast<std::size_t>(cfg_.samples) + 1);
            if (current_ >= samples_.size())
                samples_.push_back(fresh(now_ms));
            else
                samples_[current_] = fresh(now_ms);
            s = &samples_[current_];
        }
        ++s->count;
        s->last_ms = now_ms;
        s->sum += value;
        s->max = std::max(s->max, value);
        s->min = std::min(s->min, value);
        ++total_count_;
        total_sum_ += value;
    }

    /// Sum of the values recorded in the windows, per second.
    double rate(std::int64_t now_ms) {
        double sum = 0;
        for_live(now_ms, [&](const sample& s) { sum += s.sum; });
        return sum / window_seconds(now_ms);
    }
    /// Events recorded in the windows, per second (or per `unit_seconds`, e.g. 3600 for per hour).
    double count_rate(std::int64_t now_ms, double unit_seconds = 1) {
        double n = 0;
        for_live(now_ms, [&](const sample& s) { n += static_cast<double>(s.count); });
        return n / (window_seconds(now_ms) / unit_seconds);
    }
    double avg(std::int64_t now_ms) {
        double sum = 0, n = 0;
        for_live(now_ms, [&](const sample& s) {
            sum += s.sum;
            n += static_cast<double>(s.count);
        });
        return n == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / n;
    }
    double max(std::int64_t now_ms) {
        double m = -std::numeric_limits<double>::infinity();
        std::uint64_t n = 0;
        for_live(now_ms, [&](const sample& s) {
            m = std::max(m, s.max);
            n += s.count;
        });
        return n == 0 ? std::numeric_limits<double>::quiet_NaN() : m;
    }
    double min(std::int64_t now_ms) {
        double m = std::numeric_limits<double>::infinity();
        std::uint64_t n = 0;
        for_live(now_ms, [&](const sample& s) {
            m = std::min(m, s.min);
            n += s.count;
        });
        return n == 0 ? std::numeric_limits<double>::quiet_NaN() : m;
    }
    /// All-time figures (Java's CumulativeSum and CumulativeCount).
    double total() const noexcept { return total_sum_; }
    double total_count() const noexcept { return static_cast<double>(total_count_); }

private:
    struct sample {
        std::int64_t start_ms = 0;
        std::int64_t last_ms = 0;  // of the last event (the start while there is none)
        std::uint64_t count = 0;
        double sum = 0;
        double max = -std::numeric_limits<double>::infinity();
        double min = std::numeric_limits<double>::infinity();
    };
    static sample fresh(std::int64_t now_ms) {
        sample s;
        s.start_ms = now_ms;
        s.last_ms = now_ms;
        return s;
    }

    // Resets the windows whose last event is too old to count, then visits every window.
    template <class F>
    void for_live(std::int64_t now_ms, F&& f) {
        if (samples_.empty()) samples_.push_back(fresh(now_ms));
        auto expire = cfg_.window_ms * cfg_.samples;
        for (auto& s : samples_)
            if (now_ms - s.last_ms >= expire) s = fresh(now_ms);
        for (auto const& s : samples_) f(s);
    }

    double window_seconds(std::int64_t now_ms) const {
        auto oldest = samples_.front().start_ms;
        for (auto const& s : samples_) oldest = std::min(oldest, s.start_ms);
        auto elapsed = now_ms - oldest;
        auto full = elapsed / cfg_.window_ms;
        auto min_full = static_cast<std::int64_t>(cfg_.samples - 1);
        if (full < min_full) elapsed += (min_full - full) * cfg_.window_ms;
        return static_cast<double>(std::max<std::int64_t>(elapsed, 1)) / 1000.0;
    }

    metric_config cfg_;
    std::vector<sample> samples_;
    std::size_t current_ = 0;
    std::uint64_t total_count_ = 0;
    double total_sum_ = 0;
};

/// Finds a metric by name (and, if given, tags that must match) in what metrics() returned.
inline const metric* find_metric(const std::vector<metric>& all, const std::string& name,
                                 const std::map<std::string, std::string>& tags = {}) {
    for (auto const& m : all) {
        if (m.name.name != name) continue;
        bool match = std::all_of(tags.begin(), tags.end(), [&](auto const& t) {
            auto it = m.name.tags.find(t.first);
            return it != m.name.tags.end() && it->second == t.second;
        });
        if (match) return &m;
    }
    return nullptr;
}

/// The metrics in Prometheus' text exposition format: one family per group and name, e.g.
/// consumer-fetch-manager-metrics/records-lag-max becomes kafka_consumer_fetch_manager_records_lag_max,
/// tags become labels (client_id, topic, partition, node_id); "-total" metrics are counters, the
/// rest gauges; NaN stays NaN.
inline std::string to_prometheus(std::vector<metric> all) {
    auto ident = [](std::string s) {
        for (auto& c : s)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '_';
        return s;
    };
    auto family = [&](const metric_name& n) {
        auto g = n.group;
        if (g.size() > 8 && g.compare(g.size() - 8, 8, "-metrics") == 0) g.resize(g.size() - 8);
        return "kafka_" + ident(g) + "_" + ident(n.name);
    };
    auto escape = [](const std::string& v) {
        std::string out;
        for (char c : v) {
            if (c == '\\' || c == '"') out += '\\';
            if (c == '\n') {
                out += "\\n";
                continue;
            }
            out += c;
        }
        return out;
    };
    std::stable_sort(all.begin(), all.end(),
                     [&](const metric& a, const metric& b) { return family(a.name) < family(b.name); });
    std::ostringstream os;
    os.precision(17);
    std::string last;
    for (auto const& m : all) {
        auto f = family(m.name);
        if (f != last) {
            bool counter = m.name.name.size() > 6 && m.name.name.compare(m.name.name.size() - 6, 6, "-total") == 0;
            os << "# HELP " << f << ' ' << m.name.description << '\n'
               << "# TYPE " << f << (counter ? " counter\n" : " gauge\n");
            last = f;
        }
        os << f;
        if (!m.name.tags.empty()) {
            os << '{';
            bool first = true;
            for (auto const& [k, v] : m.name.tags) {
                os << (first ? "" : ",") << ident(k) << "=\"" << escape(v) << '"';
                first = false;
            }
            os << '}';
        }
        os << ' ';
        if (std::isnan(m.value))
            os << "NaN";
        else if (std::isinf(m.value))
            os << (m.value > 0 ? "+Inf" : "-Inf");
        else
            os << m.value;
        os << '\n';
    }
    return os.str();
}

}  // namespace kafka
