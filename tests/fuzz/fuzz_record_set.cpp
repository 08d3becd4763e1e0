// libFuzzer target: the input is a Fetch partition's record bytes. Every batch is
// decoded and every record iterated, first with CRC checks on (what a consumer
// does), then with them off so that mutations get past the checksums into the
// record parser and the codecs. Every key, value and header byte is read, so
// that ASan reports any view that points outside its buffer.
#include <cstddef>
#include <cstdint>

#include <kafka/protocol/record_batch.hpp>

using namespace kafka;
using namespace kafka::protocol;

namespace {

volatile std::uint64_t sink;

std::uint64_t touch(bytes_view b) {
    std::uint64_t s = b.size();
    for (auto x : b) s += static_cast<std::uint8_t>(x);
    return s;
}

void walk(bytes_view set, bool check_crc) {
    record_set_reader sets(set, check_crc);
    decoded_batch batch;
    byte_buffer scratch;
    codec_context codecs;
    std::uint64_t sum = 0;
    batch_status st;
    while ((st = sets.next(batch, scratch, codecs)) == batch_status::ok) {
        auto const& h = batch.header;
        sum += static_cast<std::uint64_t>(h.base_offset) ^ static_cast<std::uint64_t>(h.records_count);
        sum += static_cast<std::uint64_t>(h.last_offset_delta) + static_cast<std::uint64_t>(h.compression());
        sum += static_cast<std::uint64_t>(h.timestamp_type()) + h.is_control() + h.is_transactional();
        record_cursor cursor(batch, check_crc);
        record_view rec;
        while (cursor.next(rec)) {
            sum += static_cast<std::uint64_t>(rec.offset) + static_cast<std::uint64_t>(rec.timestamp);
            sum += static_cast<std::uint64_t>(rec.timestamp_type) + static_cast<std::uint64_t>(rec.leader_epoch);
            if (rec.key) sum += touch(*rec.key);
            if (rec.value) sum += touch(*rec.value);
            std::int32_t n = 0;
            for (auto const& hdr : rec.headers) {
                sum += touch(as_bytes_view(hdr.key));
                if (hdr.value) sum += touch(*hdr.value);
                ++n;
            }
            if (n != rec.headers.size()) __builtin_trap();  // validated headers must all iterate
            if (auto last = rec.headers.last("trace"); last && *last) sum += touch(**last);
            if (h.is_control())
                if (auto c = parse_control_key(rec.key)) sum += static_cast<std::uint64_t>(c->type);
        }
        if (!cursor.error()) sum += 1;
    }
    if (st == batch_status::truncated) sum += touch(sets.remaining());
    if (st == batch_status::error && !sets.error()) __builtin_trap();  // an error must say which
    sink = sink + sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto set = bytes_view(reinterpret_cast<const std::byte*>(data), size);
    walk(set, true);
    walk(set, false);
    return 0;
}
