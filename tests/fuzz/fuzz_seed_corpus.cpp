// Writes the seed corpora of the fuzz targets:
//   <out>/fuzz_record_set/  the record fixtures of tests/data/records, and record sets
//                           built with record_batch_builder for every codec;
//   <out>/fuzz_responses/   for every message type and valid version, the encoding of a
//                           default and of a filled message (layout: fuzz_common.hpp);
//   <out>/fuzz_engine/      scenarios (group or assign, both group protocols, one or two topics)
//                           without mutations and with one of each kind (layout: engine_input.hpp).
// Usage: fuzz_seed_corpus OUT_DIR [RECORD_FIXTURES_DIR]
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <kafka/protocol/record_batch_builder.hpp>

#include "engine_input.hpp"
#include "fill.hpp"
#include "fuzz_common.hpp"

using namespace kafka;
using namespace kafka::protocol;
using namespace kafka::fuzz;
namespace fs = std::filesystem;

namespace {

int written = 0;

void write_seed(const fs::path& dir, const std::string& name, bytes_view bytes) {
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
    ++written;
}

std::vector<std::string> values(int n, int seed) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i)
        v.push_back("{\"id\":" + std::to_string(seed * 100 + i) + ",\"event\":\"click\",\"page\":\"/p/" +
                    std::to_string(i % 7) + "\"}");
    return v;
}

// A few batches per set: null and present keys, null values (tombstones), headers with
// null values, timestamps that go back in time, several codecs, control and
// transactional batches, log-append time.
void record_set_seeds(const fs::path& dir, const fs::path& fixtures) {
    if (!fixtures.empty() && fs::is_directory(fixtures)) {
        for (auto const& e : fs::directory_iterator(fixtures)) {
            if (e.path().extension() != ".bin") continue;
            std::ifstream in(e.path(), std::ios::binary);
            std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            write_seed(dir, "fixture_" + e.path().stem().string(), as_bytes_view(s));
        }
    } else {
        std::cerr << "fuzz_seed_corpus: no fixture directory " << fixtures << ", builder seeds only\n";
    }

    const compression_type codecs[] = {compression_type::none, compression_type::gzip, compression_type::snappy,
                                       compression_type::lz4, compression_type::zstd};
    for (auto codec : codecs) {
        if (!codec_built(codec)) continue;
        auto name = std::string(to_string(codec));
        auto vals = values(6, static_cast<int>(codec));
        std::vector<record_to_build> recs;
        for (int i = 0; i < 6; ++i) {
            record_to_build r;
            r.value = vals[static_cast<std::size_t>(i)];
            r.timestamp = 1700000000000 + (i == 4 ? -5 : i * 10);
            recs.push_back(r);
        }
        recs[1].key = "k1";
        recs[2].key = "";
        recs[4].key = "key-4";
        recs[3].value.reset();
        recs[4].headers = {{"trace", "t4"}, {"empty", std::nullopt}, {"", ""}};
        recs[5].headers = {{"trace", std::nullopt}};

        byte_buffer set;
        batch_options o;
        o.compression = codec;
        o.base_offset = 100;
        o.partition_leader_epoch = 7;
        if (build_batch(set, recs, o)) continue;
        write_seed(dir, "built_" + name + "_one", set);

        o.base_offset = 106;
        o.timestamp_type = timestamp_type::log_append_time;
        build_batch(set, {recs[0], recs[4]}, o);
        o.base_offset = 108;
        o.timestamp_type = timestamp_type::create_time;
        o.transactional = true;
        o.producer_id = 42;
        o.producer_epoch = 1;
        o.base_sequence = 0;
        build_batch(set, {recs[1], recs[5]}, o);
        build_control_batch(set, 110, 42, 1, control_record::kind::commit, 1700000000100);
        write_seed(dir, "built_" + name + "_mixed", set);

        // A partial batch at the end, as a broker cuts at the fetch size limit.
        byte_buffer cut = set;
        cut.resize(cut.size() - 9);
        write_seed(dir, "built_" + name + "_truncated", cut);

        byte_buffer empty;
        build_batch(empty, {}, o);
        write_seed(dir, "built_" + name + "_empty_batch", empty);

        // Legacy message sets (magic 0 and 1), compressed in a wrapper for the codecs that had one.
        for (int m : {0, 1}) {
            auto magic = static_cast<std::int8_t>(m);
            byte_buffer inner;
            for (int i = 0; i < 3; ++i)
                build_legacy_message(inner, magic, magic == 1 ? i : 200 + i,
                                     i == 1 ? std::optional<std::string_view>{"k"} : std::nullopt,
                                     i == 2 ? std::optional<std::string_view>{} : vals[static_cast<std::size_t>(i)],
                                     1700000000000 + i);
            auto tag = "legacy_v" + std::to_string(magic) + "_" + name;
            if (codec == compression_type::none) {
                write_seed(dir, tag, inner);
                continue;
            }
            if (codec == compression_type::lz4 && magic == 0) continue;
            byte_buffer wrapped;
            if (build_legacy_wrapper(wrapped, magic, 202, codec, inner, 1700000000002)) continue;
            write_seed(dir, tag, wrapped);
        }
    }

    // Boundary values the fuzzer is slow to reach: offsets and timestamps at the ends of
    // int64 (base offset is outside the CRC; the base timestamp is patched and re-CRCed).
    {
        byte_buffer set;
        batch_options o;
        o.base_offset = std::numeric_limits<std::int64_t>::max() - 1;
        build_batch(set, {{std::nullopt, "a", 0, {}}, {std::nullopt, "b", 0, {}}, {std::nullopt, "c", 0, {}}}, o);
        write_seed(dir, "edge_offset_int64_max", set);
        set.clear();
        build_batch(set, {{std::nullopt, "a", 0, {}}, {std::nullopt, "b", 100, {}}});
        to_big_endian(std::numeric_limits<std::int64_t>::max() - 50, set.data() + 27);  // base timestamp
        to_big_endian(crc32c(bytes_view(set).subspan(v2_crc_start)), set.data() + 17);
        write_seed(dir, "edge_timestamp_int64_max", set);
        if (codec_built(compression_type::gzip)) {
            byte_buffer inner;
            for (int i = 0; i < 3; ++i) build_legacy_message(inner, 1, i, std::nullopt, "v", 0);
            set.clear();
            if (!build_legacy_wrapper(set, 1, std::numeric_limits<std::int64_t>::min() + 1, compression_type::gzip,
                                      inner))
                write_seed(dir, "edge_legacy_offset_int64_min", set);
        }
    }
}

template <class M>
std::string seed_name(const char* kind, std::int16_t v, const char* what) {
    // The type's name is not available portably; the api key identifies it.
    return std::string(kind) + "_key" + std::to_string(M::api_key) + "_v" + std::to_string(v) + "_" + what;
}

void message_seeds(const fs::path& dir) {
    for_each_type(responses{}, [&]<class Resp>(std::type_identity<Resp>, std::size_t index) {
        for (auto v = Resp::valid.lo; v <= Resp::valid.hi; ++v) {
            for (int variant = 0; variant < 2; ++variant) {
                Resp msg = variant ? filled<Resp>() : Resp{};
                byte_buffer frame;
                encode_response(frame, msg, v, correlation_id);
                byte_buffer seed{static_cast<std::byte>(index), static_cast<std::byte>(v - Resp::valid.lo)};
                seed.insert(seed.end(), frame.begin() + 8, frame.end());  // after size and correlation id
                write_seed(dir, seed_name<Resp>("resp", v, variant ? "filled" : "default"), seed);
            }
        }
    });
    for_each_type(requests{}, [&]<class Req>(std::type_identity<Req>, std::size_t index) {
        for (auto v = Req::valid.lo; v <= Req::valid.hi; ++v) {
            for (int variant = 0; variant < 2; ++variant) {
                Req msg = variant ? filled<Req>() : Req{};
                byte_buffer frame;
                encode_request(frame, msg, v, correlation_id, client_id);
                std::size_t header = 4 + 2 + 2 + 4 + 2 + client_id.size();
                byte_buffer seed{static_cast<std::byte>(index), static_cast<std::byte>(v - Req::valid.lo)};
                seed.insert(seed.end(), frame.begin() + static_cast<std::ptrdiff_t>(header), frame.end());
                write_seed(dir, seed_name<Req>("req", v, variant ? "filled" : "default"), seed);
                if (!variant) continue;
                // The same request as a whole frame (raw mode: header parsing is fuzzed too).
                byte_buffer raw{static_cast<std::byte>(raw_request_bit | index)};
                raw.insert(raw.end(), frame.begin() + 4, frame.end());
                write_seed(dir, seed_name<Req>("rawreq", v, "filled"), raw);
            }
        }
    });
}

void engine_seeds(const fs::path& dir) {
    namespace e = kafka::fuzz::engine;
    // scenario, shape, run (engine_input.hpp): subscribe/assign, classic/consumer, commit, topics.
    const std::vector<std::array<std::uint8_t, e::header_size>> scenarios{
        {0x01, 0x25, 0x17},  // subscribe, classic, 1 topic x 2 partitions, 1 batch of 2; 8 polls of 200 ms
        {0x03, 0x46, 0x27},  // subscribe, consumer protocol, 3 partitions, 1 batch of 3; 8 polls of 400 ms
        {0x0d, 0x29, 0x0b},  // subscribe, classic, commit, 2 topics x 2 partitions, 2 batches of 2
        {0x00, 0x26, 0x95},  // assign, 3 partitions, 1 batch of 2; max.poll.records 3
        {0x54, 0x2a, 0x07},  // assign, commit, read_committed, 3 brokers, 3 partitions, 2 batches
    };
    // One mutation of each kind on the second Fetch response (api index 1), and a few aimed at
    // group and metadata answers: error codes (int16), sizes and epochs (int32), offsets (int64).
    struct seed_mutation {
        const char* name;
        std::uint8_t skip, api_index;
        e::mutation_kind kind;
        std::uint16_t pos;
        std::uint32_t value;
    };
    const std::vector<seed_mutation> mutations{
        {"fetch_xor", 1, 1, e::mutation_kind::xor_byte, 90, 0x40},
        {"fetch_error", 0, 1, e::mutation_kind::set_int16, 20, 1},
        {"fetch_size", 1, 1, e::mutation_kind::set_int32, 60, 0x7fffffff},
        {"fetch_offset", 1, 1, e::mutation_kind::set_int64, 70, 0xffffff00},
        {"fetch_truncate", 1, 1, e::mutation_kind::truncate, 80, 0},
        {"fetch_insert", 1, 1, e::mutation_kind::insert, 50, 0xdeadbeef},
        {"fetch_erase", 1, 1, e::mutation_kind::erase, 40, 3},
        {"fetch_frame_size", 1, 1, e::mutation_kind::set_size, 0, 0x7ffffff0},
        {"metadata_epoch", 0, 3, e::mutation_kind::set_int32, 40, 0x7fffffff},
        {"list_offsets_error", 0, 2, e::mutation_kind::set_int16, 14, 6},
        {"join_error", 0, 7, e::mutation_kind::set_int16, 4, 27},
        {"sync_assignment", 0, 9, e::mutation_kind::xor_byte, 12, 0x81},
        {"heartbeat_error", 1, 8, e::mutation_kind::set_int16, 4, 27},
        {"consumer_heartbeat_epoch", 1, 10, e::mutation_kind::set_int32, 30, 0x7fffffff},
        {"offset_fetch_offset", 0, 5, e::mutation_kind::set_int64, 30, 5},
        {"commit_error", 0, 4, e::mutation_kind::set_int16, 16, 25},
        {"coordinator_node", 0, 6, e::mutation_kind::set_int32, 8, 7},
    };
    for (std::size_t s = 0; s < scenarios.size(); ++s) {
        byte_buffer base;
        for (auto b : scenarios[s]) base.push_back(static_cast<std::byte>(b));
        write_seed(dir, "scenario" + std::to_string(s), base);
        for (auto const& m : mutations) {
            byte_buffer seed = base;
            std::uint8_t op = static_cast<std::uint8_t>(m.api_index << 3 | static_cast<std::uint8_t>(m.kind));
            for (auto b : {m.skip, op, static_cast<std::uint8_t>(m.pos >> 8), static_cast<std::uint8_t>(m.pos),
                           static_cast<std::uint8_t>(m.value >> 24), static_cast<std::uint8_t>(m.value >> 16),
                           static_cast<std::uint8_t>(m.value >> 8), static_cast<std::uint8_t>(m.value)})
                seed.push_back(static_cast<std::byte>(b));
            write_seed(dir, "scenario" + std::to_string(s) + "_" + m.name, seed);
        }
    }
    // Inputs fuzz_engine found, kept so that every run replays them (tests/fuzz/RESULTS.md): on
    // each, a Fetch failed before it was sent and poll() spun resending it (fixed: fetcher.hpp,
    // back_off_fetches; regression tests in test_fetcher.cpp and sim/test_faults.cpp).
    const std::vector<std::pair<const char*, const char*>> found{
        {"found_fetch_spin_1", "a0e3f20600e0a80600580026"},     {"found_fetch_spin_2", "1f07070700000900000000000017"},
        {"found_fetch_spin_3", "003d710500000a00bfd2ff0d"},     {"found_fetch_spin_4", "0e00c5050000080eb9905f600800"},
        {"found_fetch_spin_5", "04290302590ba8a8a8a82f000600"},
    };
    for (auto const& [name, hex] : found) {
        byte_buffer input;
        for (std::string h = hex; h.size() >= 2; h.erase(0, 2))
            input.push_back(static_cast<std::byte>(std::stoi(h.substr(0, 2), nullptr, 16)));
        write_seed(dir, name, input);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " OUT_DIR [RECORD_FIXTURES_DIR]\n";
        return 2;
    }
    fs::path out = argv[1];
    fs::path fixtures = argc > 2 ? fs::path(argv[2]) : fs::path(KAFKA_FUZZ_RECORD_FIXTURES);
    static_assert(requests::size < 128 && responses::size < 128, "byte 0 has 7 bits for the type");
    try {
        fs::create_directories(out / "fuzz_record_set");
        fs::create_directories(out / "fuzz_responses");
        fs::create_directories(out / "fuzz_engine");
        record_set_seeds(out / "fuzz_record_set", fixtures);
        message_seeds(out / "fuzz_responses");
        engine_seeds(out / "fuzz_engine");
    } catch (const std::exception& e) {
        std::cerr << "fuzz_seed_corpus: " << e.what() << "\n";
        return 1;
    }
    std::cout << "fuzz_seed_corpus: " << written << " seeds (" << responses::size << " response and " << requests::size
              << " request types) in " << out.string() << "\n";
    return 0;
}
