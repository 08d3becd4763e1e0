#include <asio.hpp>
#include <iostream>
int main() {
    asio::io_context io;
    asio::post(io, [] { std::cout << "hello\n"; });
    io.run();
}
