// Reads the record-set fixtures of tests/data/records (made by an independent encoder).
#pragma once

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <kafka/protocol/primitives.hpp>

namespace kafka::test {

struct expected_record {
    std::int64_t offset;
    std::int64_t timestamp;
    std::optional<std::string> key, value;
    std::string headers;  // "k=v,k=\N"
};

inline std::string data_path(const std::string& rel) { return std::string(KAFKA_TEST_DATA_DIR) + "/" + rel; }

inline byte_buffer read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open test data " + path);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto b = as_bytes_view(s);
    return byte_buffer(b.begin(), b.end());
}

inline std::map<std::string, std::vector<expected_record>> expected_records() {
    std::ifstream in(data_path("records/expected.tsv"));
    std::map<std::string, std::vector<expected_record>> out;
    std::string line;
    auto nullable = [](const std::string& s) -> std::optional<std::string> {
        if (s == "\\N") return std::nullopt;
        return s;
    };
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f;
        std::stringstream ss(line);
        std::string part;
        while (std::getline(ss, part, '\t')) f.push_back(part);
        while (f.size() < 6) f.emplace_back();
        out[f[0]].push_back({std::stoll(f[1]), std::stoll(f[2]), nullable(f[3]), nullable(f[4]), f[5]});
    }
    return out;
}

}  // namespace kafka::test
