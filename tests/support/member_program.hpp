// What the group-member programs share (tests/integration/commit_policy_member.cpp,
// tests/chaos/chaos_member.cpp): the policies they compile, and their key=value arguments.
#pragma once

#include <kafka/consumer.hpp>

#include <cstdio>
#include <map>
#include <optional>
#include <string>

namespace kafka::test {

/// kafka::default_policies with another offset_commit policy (and assignor).
template <class Commit, class Assignor = kafka::default_policies::assignor>
struct member_policies : kafka::default_policies {
    using offset_commit = Commit;
    using assignor = Assignor;
};

/// The consumer properties of a member program: bootstrap.servers, group.id, auto.offset.reset=earliest,
/// then argv[first..] as key=value (later ones win). Nothing, after a message on stderr naming `program`,
/// when an argument is not key=value.
inline std::optional<std::map<std::string, std::string>> member_properties(const char* program, const char* bootstrap,
                                                                           const char* group, int argc, char** argv,
                                                                           int first) {
    std::map<std::string, std::string> props{
        {"bootstrap.servers", bootstrap}, {"group.id", group}, {"auto.offset.reset", "earliest"}};
    for (int i = first; i < argc; ++i) {
        std::string a = argv[i];
        auto eq = a.find('=');
        if (eq == std::string::npos) {
            std::fprintf(stderr, "%s: expected key=value, got '%s'\n", program, argv[i]);
            return std::nullopt;
        }
        props[a.substr(0, eq)] = a.substr(eq + 1);
    }
    return props;
}

}  // namespace kafka::test
