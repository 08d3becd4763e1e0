// Shell-level helpers shared by the real-broker suites (tests/integration, tests/fault): unique
// names, quoting, running a command, reading the env files the broker scripts write.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace kafka::test::shell {

/// "prefix-<random hex>": topic and group names unique per run, so tests run in any order.
inline std::string unique_name(const std::string& prefix) {
    static std::mt19937_64 rng{std::random_device{}() ^
                               static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
    std::ostringstream o;
    o << prefix << '-' << std::hex << (rng() & 0xffffffffffULL);
    return o.str();
}

/// `s` in single quotes for /bin/sh.
inline std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

struct command_result {
    int status = -1;  // exit status, -1 when the command did not exit normally
    std::string output;
};

/// Runs `cmd` through the shell, stdout and stderr captured together.
inline command_result run_command(const std::string& cmd) {
    command_result r;
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p) throw std::runtime_error("popen failed for: " + cmd);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

/// Runs `cmd` through the shell with `lines` on its stdin, one per line; throws `what` unless it
/// exits 0.
inline void pipe_lines(const std::string& cmd, const std::vector<std::string>& lines, const std::string& what) {
    FILE* p = ::popen(cmd.c_str(), "w");
    if (!p) throw std::runtime_error("popen failed for: " + cmd);
    for (auto const& l : lines) {
        std::fwrite(l.data(), 1, l.size(), p);
        std::fputc('\n', p);
    }
    int st = ::pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) throw std::runtime_error(what);
}

/// KEY=VALUE lines of an env file written by the broker scripts (`export ` prefix and single quotes allowed).
inline std::map<std::string, std::string> read_env_file(const std::string& path) {
    std::map<std::string, std::string> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("export ", 0) == 0) line = line.substr(7);
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        auto value = line.substr(eq + 1);
        if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
            value = value.substr(1, value.size() - 2);
        out[line.substr(0, eq)] = value;
    }
    return out;
}

}  // namespace kafka::test::shell
