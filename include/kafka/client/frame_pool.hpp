// Response frames: the bytes of one response body, read straight from the socket.
//
// A Fetch response is one large frame, and the records poll() returns point into it, so a frame
// lives until the last ConsumerRecords holding it is gone, possibly on another thread. Allocating
// each frame afresh costs more than decoding it: std::vector zero-fills the bytes the socket is about
// to overwrite, and glibc serves big blocks with fresh pages (a fault per 4 KiB) and hands them back
// to the system on free. So frames come from a frame_pool: uninitialised storage, given back to the
// pool when the last reference goes and reused by the next response of similar size.
//
// Invariants: a frame's bytes [0, size()) are the body as read (the pool never hands out storage
// still referenced); a pool keeps at most `max_kept` buffers of at most `max_kept_bytes` in total;
// frames keep their pool alive, so they may outlive the connection and the consumer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace kafka::client {

class frame_buffer {
public:
    frame_buffer(std::unique_ptr<std::byte[]> bytes, std::size_t capacity, std::size_t size) noexcept
        : bytes_(std::move(bytes)), capacity_(capacity), size_(size) {}

    std::byte* data() noexcept { return bytes_.get(); }
    const std::byte* data() const noexcept { return bytes_.get(); }
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    bool empty() const noexcept { return size_ == 0; }
    std::byte* begin() noexcept { return data(); }
    std::byte* end() noexcept { return data() + size_; }
    const std::byte* begin() const noexcept { return data(); }
    const std::byte* end() const noexcept { return data() + size_; }

private:
    friend class frame_pool;
    std::unique_ptr<std::byte[]> bytes_;
    std::size_t capacity_;
    std::size_t size_;
};

/// A response body, shared so that views into it (records) stay valid.
using frame_ptr = std::shared_ptr<const frame_buffer>;

class frame_pool : public std::enable_shared_from_this<frame_pool> {
public:
    /// Frames smaller than this are plain allocations (heartbeats, commits): not worth a pooled block.
    static constexpr std::size_t pooled_from = 16 * 1024;
    static constexpr std::size_t max_kept = 4;
    static constexpr std::size_t max_kept_bytes = 256 * 1024 * 1024;

    static std::shared_ptr<frame_pool> create() { return std::shared_ptr<frame_pool>(new frame_pool()); }

    /// A frame of `size` bytes whose contents are unspecified until the caller writes them.
    std::shared_ptr<frame_buffer> get(std::size_t size) {
        if (size < pooled_from)
            return std::make_shared<frame_buffer>(std::make_unique_for_overwrite<std::byte[]>(size), size, size);
        std::unique_ptr<frame_buffer> buf = take(size);
        if (!buf) {
            // Round up so that responses of nearly the same size share blocks.
            auto capacity = (size + (size / 8) + 4095) & ~std::size_t{4095};
            buf = std::make_unique<frame_buffer>(std::make_unique_for_overwrite<std::byte[]>(capacity), capacity, size);
        }
        buf->size_ = size;
        return {buf.release(),
                [pool = shared_from_this()](frame_buffer* b) { pool->give_back(std::unique_ptr<frame_buffer>(b)); }};
    }

    std::size_t kept() const {
        std::lock_guard lock(mutex_);
        return kept_.size();
    }

private:
    frame_pool() { kept_.reserve(max_kept); }  // give_back never allocates

    /// The smallest kept buffer that fits, if any.
    std::unique_ptr<frame_buffer> take(std::size_t size) {
        std::lock_guard lock(mutex_);
        auto best = kept_.end();
        for (auto it = kept_.begin(); it != kept_.end(); ++it)
            if ((*it)->capacity() >= size && (best == kept_.end() || (*it)->capacity() < (*best)->capacity()))
                best = it;
        if (best == kept_.end()) return nullptr;
        auto buf = std::move(*best);
        kept_.erase(best);
        kept_bytes_ -= buf->capacity();
        return buf;
    }

    void give_back(std::unique_ptr<frame_buffer> buf) noexcept {
        std::lock_guard lock(mutex_);
        if (buf->capacity() > max_kept_bytes) return;
        // Full: the smallest kept buffer makes room (the big ones are the costly ones to refault).
        while (!kept_.empty() && (kept_.size() >= max_kept || kept_bytes_ + buf->capacity() > max_kept_bytes)) {
            auto smallest = std::min_element(
                kept_.begin(), kept_.end(), [](auto const& a, auto const& b) { return a->capacity() < b->capacity(); });
            if ((*smallest)->capacity() >= buf->capacity()) return;  // drop the newcomer instead
            kept_bytes_ -= (*smallest)->capacity();
            kept_.erase(smallest);
        }
        kept_bytes_ += buf->capacity();
        kept_.push_back(std::move(buf));
    }

    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<frame_buffer>> kept_;
    std::size_t kept_bytes_ = 0;
};

}  // namespace kafka::client
