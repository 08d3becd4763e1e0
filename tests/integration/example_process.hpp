// Child processes and broker helpers for test_examples.cpp and test_mixed_group.cpp: a program
// (an example binary, the librdkafka member) run with its stdout and stderr read line by line on
// a thread of its own; topics created with scripts/kafka-broker.sh (Kafka's TopicCommand);
// records produced by kcat.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../support/shell.hpp"
#include "broker_env.hpp"

namespace kafka::test::proc {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

using shell::command_result;
using shell::run_command;
using shell::unique_name;
inline std::string quote(const std::string& s) { return shell::shell_quote(s); }

using kafka::test::broker_name;
using kafka::test::broker_script;
using kafka::test::create_topic;

/// Produces one record per line with kcat (through scripts/kafka-broker.sh, PLAINTEXT).
inline void produce(const std::string& topic, const std::vector<std::string>& lines,
                    const std::string& kcat_args = "") {
    produce_with_kcat(topic, lines, kcat_args);
}

/// A line a child printed, and when it was read.
struct output_line {
    steady::time_point at;
    std::string text;
};

/// A child process whose stdout and stderr lines are collected as they come. It is SIGKILLed if
/// the test process dies, and by the destructor if it still runs.
class child {
public:
    /// With `own_group`, the child leads a process group of its own, so that signal_group() reaches
    /// the processes it starts too (a script running java, say).
    child(std::string name, const std::vector<std::string>& argv, bool own_group = false)
        : name_(std::move(name)), own_group_(own_group) {
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        std::vector<char*> args;
        for (auto const& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (own_group) ::setpgid(0, 0);
            int devnull = ::open("/dev/null", O_RDONLY);
            ::dup2(devnull, 0);
            ::dup2(out[1], 1);
            ::dup2(err[1], 2);
            ::execvp(args[0], args.data());
            std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
            ::_exit(127);
        }
        if (own_group) ::setpgid(pid_, pid_);  // also here: no race with signal_group()
        ::close(out[1]);
        ::close(err[1]);
        reader_ = std::thread([this, o = out[0], e = err[0]] { read_loop(o, e); });
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;
    ~child() {
        if (own_group_) ::kill(-pid_, SIGKILL);  // whatever it started, too
        if (!status_) {
            ::kill(pid_, SIGKILL);
            wait(5s);
        }
        if (reader_.joinable()) reader_.join();
    }

    const std::string& name() const { return name_; }
    void signal(int sig) const { ::kill(pid_, sig); }
    /// Signals its whole process group (constructed with own_group).
    void signal_group(int sig) const { ::kill(own_group_ ? -pid_ : pid_, sig); }

    /// The wait status once the child exited (waiting up to `timeout`); nullopt while it runs.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        auto deadline = steady::now() + timeout;
        while (!status_) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                status_ = st;
                break;
            }
            if (steady::now() >= deadline) break;
            std::this_thread::sleep_for(20ms);
        }
        if (status_ && reader_.joinable()) reader_.join();  // every line read
        return status_;
    }
    /// Exit status 0..255, or -1 (killed by a signal or still running).
    int exit_code(std::chrono::milliseconds timeout) {
        auto st = wait(timeout);
        return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
    }

    std::vector<std::string> out() const { return texts(timed_out()); }
    std::vector<std::string> err() const { return texts(timed_err()); }
    std::vector<output_line> timed_out() const {
        std::lock_guard<std::mutex> g(m_);
        return out_;
    }
    std::vector<output_line> timed_err() const {
        std::lock_guard<std::mutex> g(m_);
        return err_;
    }
    /// Waits for the child's output to end (after it exited), so that every line was read.
    void drain_output() {
        if (reader_.joinable()) reader_.join();
    }
    /// Its stderr, for failure messages.
    std::string err_text() const {
        std::string s;
        for (auto const& l : err()) s += "    [" + name_ + "] " + l + "\n";
        return s;
    }
    /// stdout lines starting with `prefix`, the prefix removed.
    std::vector<std::string> lines(const std::string& prefix) const {
        std::vector<std::string> v;
        for (auto const& l : out())
            if (l.rfind(prefix, 0) == 0) v.push_back(l.substr(prefix.size()));
        return v;
    }
    /// Everything it printed, for failure messages.
    std::string transcript() const {
        std::lock_guard<std::mutex> g(m_);
        std::string s;
        for (auto const& l : out_) s += "  [" + name_ + "] " + l.text + "\n";
        for (auto const& l : err_) s += "  [" + name_ + " stderr] " + l.text + "\n";
        return s;
    }
    /// Waits until some stdout line satisfies `pred` (or the child exits, or `timeout` passes).
    bool wait_for_line(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout) {
        auto deadline = steady::now() + timeout;
        for (;;) {
            for (auto const& l : out())
                if (pred(l)) return true;
            if (steady::now() >= deadline || wait(0ms)) {
                for (auto const& l : out())
                    if (pred(l)) return true;
                return false;
            }
            std::this_thread::sleep_for(50ms);
        }
    }

private:
    static std::vector<std::string> texts(const std::vector<output_line>& lines) {
        std::vector<std::string> v;
        for (auto const& l : lines) v.push_back(l.text);
        return v;
    }

    void read_loop(int out_fd, int err_fd) {
        std::string partial[2];
        pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
        int open_fds = 2;
        char buf[65536];
        while (open_fds > 0) {
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                break;
            }
            for (int i = 0; i < 2; ++i) {
                if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                auto n = ::read(fds[i].fd, buf, sizeof buf);
                if (n <= 0) {
                    std::lock_guard<std::mutex> g(m_);
                    if (!partial[i].empty()) (i == 0 ? out_ : err_).push_back({steady::now(), partial[i]});
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                    --open_fds;
                    continue;
                }
                partial[i].append(buf, static_cast<std::size_t>(n));
                std::size_t start = 0, nl;
                std::lock_guard<std::mutex> g(m_);
                while ((nl = partial[i].find('\n', start)) != std::string::npos) {
                    (i == 0 ? out_ : err_).push_back({steady::now(), partial[i].substr(start, nl - start)});
                    start = nl + 1;
                }
                partial[i].erase(0, start);
            }
        }
    }

    std::string name_;
    bool own_group_ = false;
    pid_t pid_ = -1;
    std::optional<int> status_;
    mutable std::mutex m_;
    std::vector<output_line> out_, err_;
    std::thread reader_;
};

}  // namespace kafka::test::proc
