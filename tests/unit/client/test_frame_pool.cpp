// frame_pool: response frames are reused once nobody holds them, never while someone does.
#include <catch2/catch.hpp>

#include <cstring>
#include <thread>

#include <kafka/client/frame_pool.hpp>
#include <kafka/protocol/primitives.hpp>

using kafka::client::frame_pool;

TEST_CASE("frame_pool: a released frame's storage serves the next frame of similar size", "[frame_pool]") {
    auto pool = frame_pool::create();
    const std::byte* first_storage = nullptr;
    {
        auto f = pool->get(100'000);
        REQUIRE(f->size() == 100'000);
        CHECK(f->capacity() >= 100'000);
        first_storage = f->data();
        std::memset(f->data(), 0x5a, f->size());
        CHECK(pool->kept() == 0);
    }
    CHECK(pool->kept() == 1);
    auto g = pool->get(90'000);  // smaller: fits the kept block
    CHECK(g->data() == first_storage);
    CHECK(g->size() == 90'000);
    CHECK(pool->kept() == 0);
    // A view over the frame covers exactly its size.
    kafka::bytes_view v(*g);
    CHECK(v.size() == 90'000);
}

TEST_CASE("frame_pool: storage still referenced is never handed out again", "[frame_pool]") {
    auto pool = frame_pool::create();
    auto a = pool->get(64 * 1024);
    auto b = pool->get(64 * 1024);
    CHECK(a->data() != b->data());
    std::memset(a->data(), 1, a->size());
    std::shared_ptr<const void> keep = a;  // as record_storage holds it
    a.reset();
    auto c = pool->get(64 * 1024);
    CHECK(c->data() != b->data());
    CHECK(static_cast<const kafka::client::frame_buffer*>(keep.get())->data() != c->data());
    CHECK(std::to_integer<int>(static_cast<const kafka::client::frame_buffer*>(keep.get())->data()[0]) == 1);
}

TEST_CASE("frame_pool: small frames are not pooled; the pool keeps a bounded number of blocks", "[frame_pool]") {
    auto pool = frame_pool::create();
    {
        auto tiny = pool->get(20);
        CHECK(tiny->size() == 20);
    }
    CHECK(pool->kept() == 0);
    {
        std::vector<std::shared_ptr<kafka::client::frame_buffer>> many;
        for (std::size_t i = 0; i < frame_pool::max_kept + 3; ++i) many.push_back(pool->get(20'000 + i * 10'000));
    }
    CHECK(pool->kept() == frame_pool::max_kept);
    // The biggest blocks are the ones kept: a request for the largest size reuses one.
    auto big = pool->get(20'000 + (frame_pool::max_kept + 2) * 10'000);
    CHECK(pool->kept() == frame_pool::max_kept - 1);
    (void)big;
}

TEST_CASE("frame_pool: frames outlive their pool's owner and may be released on other threads", "[frame_pool]") {
    std::vector<std::shared_ptr<const kafka::client::frame_buffer>> frames;
    std::weak_ptr<frame_pool> watch;
    {
        auto pool = frame_pool::create();
        watch = pool;
        for (int i = 0; i < 8; ++i) frames.push_back(pool->get(32 * 1024));
    }  // the owner (a connection) is gone; the frames keep the pool alive
    CHECK_FALSE(watch.expired());
    std::thread t1([f = std::vector(frames.begin(), frames.begin() + 4)]() mutable { f.clear(); });
    std::thread t2([f = std::vector(frames.begin() + 4, frames.end())]() mutable { f.clear(); });
    frames.clear();
    t1.join();
    t2.join();
    CHECK(watch.expired());  // the last frame took the pool with it (races show under the sanitizers in CI)
}
