// TLS driven by OpenSSL directly on a non-blocking TCP socket, waiting on the socket's readiness
// through Asio. asio::ssl::stream runs OpenSSL over a memory BIO pair and copies every byte
// through two more 17 KB buffers per connection (four in all, allocated for the connection's
// whole life); with 10 000 held Pings that is most of the proxy's memory, and the extra copies
// show in the CPU time of every request. Here OpenSSL reads and writes the socket itself, and
// with SSL_MODE_RELEASE_BUFFERS an idle connection keeps no record buffer at all.
//
// One read and one write may be pending at the same time (full duplex), on one thread: the
// owner's executor must not run handlers of the same connection in parallel.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "asio.hpp"

namespace eas::net {

class TlsSocket {
  public:
    TlsSocket(tcp::socket socket, ssl::context& ctx);
    ~TlsSocket();
    TlsSocket(TlsSocket&&) noexcept;
    TlsSocket& operator=(TlsSocket&&) noexcept;

    tcp::socket& socket();
    const tcp::socket& socket() const;
    SSL* native_handle();

    // SNI and the name (or address) the peer's certificate must match; before handshake_client.
    void set_server_name(const std::string& name);

    // Errors are thrown as boost::system::system_error with the codes asio::ssl::stream uses:
    // the OpenSSL error in asio's ssl category, asio::error::eof after the peer's close_notify,
    // ssl::error::stream_truncated when the connection ends without one.
    awaitable<void> handshake_server();
    awaitable<void> handshake_client();
    awaitable<std::size_t> read_some(asio::mutable_buffer buffer);
    // Returns when read_some would find something: decrypted bytes OpenSSL holds, or bytes (or
    // the end) on the socket. Lets a reader allocate its buffer only once there is data.
    awaitable<void> wait_readable();
    awaitable<void> write(std::span<const asio::const_buffer> buffers);
    // Sends close_notify; does not wait for the peer's (the socket is closed next anyway).
    awaitable<void> shutdown();

    struct Impl;  // defined in the .cpp, where OpenSSL's BIO callbacks reach it

  private:
    awaitable<void> handshake();
    awaitable<void> write_all(const char* data, std::size_t size);
    // After an SSL call that did not complete: waits until the socket can make progress, or
    // throws the error.
    awaitable<void> wait_or_throw(int ssl_result);
    std::unique_ptr<Impl> impl_;
};

}  // namespace eas::net
