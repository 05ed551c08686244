#include "tls_socket.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace eas::net {

// The socket lives here, at a fixed address, because OpenSSL's BIO points at it while the
// TlsSocket itself moves (Stream is moved into place after construction).
struct TlsSocket::Impl {
    tcp::socket socket;
    SSL* ssl = nullptr;
    int last_errno = 0;     // of the last failed send/recv, for SSL_ERROR_SYSCALL
    bool peer_eof = false;  // recv returned 0: OpenSSL tells a cut connection by BIO_eof
    explicit Impl(tcp::socket s) : socket(std::move(s)) {}
};

namespace {

// A BIO over the Asio socket's descriptor, looked up at every call: once the socket is closed
// (a watchdog firing) the descriptor number may already belong to another connection, and a
// late SSL call must fail with EBADF instead of writing there. send() with MSG_NOSIGNAL: a
// peer that went away is an error to report, not a SIGPIPE.
int bio_write(BIO* bio, const char* data, size_t size, size_t* written) {
    auto* impl = static_cast<TlsSocket::Impl*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    const ssize_t n = ::send(impl->socket.native_handle(), data, size, MSG_NOSIGNAL);
    if (n >= 0) {
        *written = static_cast<size_t>(n);
        return 1;
    }
    impl->last_errno = errno;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
    return 0;
}

int bio_read(BIO* bio, char* data, size_t size, size_t* read) {
    auto* impl = static_cast<TlsSocket::Impl*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    const ssize_t n = ::recv(impl->socket.native_handle(), data, size, 0);
    if (n > 0) {
        *read = static_cast<size_t>(n);
        return 1;
    }
    if (n == 0) {
        impl->peer_eof = true;
        return 0;
    }
    impl->last_errno = errno;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_read(bio);
    return 0;
}

long bio_ctrl(BIO* bio, int cmd, long, void*) {
    switch (cmd) {
        case BIO_CTRL_FLUSH:  // every byte is handed to the kernel at once
            return 1;
        case BIO_CTRL_EOF:
            return static_cast<TlsSocket::Impl*>(BIO_get_data(bio))->peer_eof ? 1 : 0;
        default:
            return 0;
    }
}

int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

const BIO_METHOD* socket_bio_method() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "asio socket");
        BIO_meth_set_write_ex(m, bio_write);
        BIO_meth_set_read_ex(m, bio_read);
        BIO_meth_set_ctrl(m, bio_ctrl);
        BIO_meth_set_create(m, bio_create);
        return m;
    }();
    return method;
}

[[noreturn]] void throw_code(boost::system::error_code ec) {
    throw boost::system::system_error(ec);
}

// The same codes asio::ssl::stream reports, so callers tell a clean close from a cut one.
boost::system::error_code error_for(int ssl_error, const TlsSocket::Impl& impl) {
    const unsigned long queued = ERR_get_error();
    switch (ssl_error) {
        case SSL_ERROR_ZERO_RETURN:
            return asio::error::eof;
        case SSL_ERROR_SSL:
            if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                return ssl::error::stream_truncated;
            return {static_cast<int>(queued), asio::error::get_ssl_category()};
        case SSL_ERROR_SYSCALL:
            if (queued) return {static_cast<int>(queued), asio::error::get_ssl_category()};
            if (impl.last_errno) return {impl.last_errno, boost::system::system_category()};
            return ssl::error::stream_truncated;
        default:
            return ssl::error::unexpected_result;
    }
}

}  // namespace

TlsSocket::TlsSocket(tcp::socket socket, ssl::context& ctx)
    : impl_(std::make_unique<Impl>(std::move(socket))) {
    impl_->ssl = SSL_new(ctx.native_handle());
    if (!impl_->ssl)
        throw_code({static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()});
    BIO* bio = BIO_new(socket_bio_method());
    BIO_set_data(bio, impl_.get());
    SSL_set_bio(impl_->ssl, bio, bio);  // one BIO for both directions; SSL_free frees it
    // Partial writes: SSL_write returns after each record sent, so a large body goes out as the
    // socket takes it. Read-ahead: one recv() fetches as many records as have arrived, instead
    // of a header and a body read per record.
    SSL_set_mode(impl_->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                 SSL_MODE_RELEASE_BUFFERS);
    SSL_set_read_ahead(impl_->ssl, 1);
}

TlsSocket::~TlsSocket() {
    if (impl_ && impl_->ssl) SSL_free(impl_->ssl);
}

TlsSocket::TlsSocket(TlsSocket&&) noexcept = default;
TlsSocket& TlsSocket::operator=(TlsSocket&& other) noexcept {
    if (this != &other) {
        if (impl_ && impl_->ssl) SSL_free(impl_->ssl);
        impl_ = std::move(other.impl_);
    }
    return *this;
}

tcp::socket& TlsSocket::socket() {
    return impl_->socket;
}
const tcp::socket& TlsSocket::socket() const {
    return impl_->socket;
}
SSL* TlsSocket::native_handle() {
    return impl_->ssl;
}

void TlsSocket::set_server_name(const std::string& name) {
    if (name.empty()) return;
    // RFC 6066: SNI carries host names only, never address literals; an address is matched
    // against the certificate's IP SANs instead.
    boost::system::error_code ec;
    asio::ip::make_address(name, ec);
    if (ec) {
        SSL_set_tlsext_host_name(impl_->ssl, name.c_str());
        SSL_set1_host(impl_->ssl, name.c_str());
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(impl_->ssl), name.c_str());
    }
}

awaitable<void> TlsSocket::wait_or_throw(int ssl_result) {
    const int ssl_error = SSL_get_error(impl_->ssl, ssl_result);
    if (ssl_error == SSL_ERROR_WANT_READ) {
        co_await impl_->socket.async_wait(tcp::socket::wait_read, use_awaitable);
    } else if (ssl_error == SSL_ERROR_WANT_WRITE) {
        co_await impl_->socket.async_wait(tcp::socket::wait_write, use_awaitable);
    } else {
        throw_code(error_for(ssl_error, *impl_));
    }
}

awaitable<void> TlsSocket::handshake_server() {
    SSL_set_accept_state(impl_->ssl);
    co_await handshake();
}

awaitable<void> TlsSocket::handshake_client() {
    SSL_set_connect_state(impl_->ssl);
    co_await handshake();
}

awaitable<void> TlsSocket::handshake() {
    // OpenSSL calls recv/send itself and must never block the thread. The socket may still be
    // unconnected at construction (clients connect after), so this is the first safe moment.
    impl_->socket.non_blocking(true);
    for (;;) {
        ERR_clear_error();
        impl_->last_errno = 0;
        const int r = SSL_do_handshake(impl_->ssl);
        if (r == 1) co_return;
        co_await wait_or_throw(r);
    }
}

awaitable<std::size_t> TlsSocket::read_some(asio::mutable_buffer buffer) {
    if (buffer.size() == 0) co_return 0;
    for (;;) {
        ERR_clear_error();
        impl_->last_errno = 0;
        std::size_t n = 0;
        const int r = SSL_read_ex(impl_->ssl, buffer.data(), buffer.size(), &n);
        if (r == 1) co_return n;
        // Nothing to read yet: give back the 17 KB record buffer OpenSSL allocated for this
        // read (RELEASE_BUFFERS does not on this path). A held Ping may wait an hour here.
        // Refused, harmlessly, while a record is half read or a write is under way.
        if (SSL_get_error(impl_->ssl, r) == SSL_ERROR_WANT_READ) (void)SSL_free_buffers(impl_->ssl);
        co_await wait_or_throw(r);
    }
}

awaitable<void> TlsSocket::wait_readable() {
    // A peek, not a bare socket wait: bytes OpenSSL already holds may be records that carry
    // no data (TLS 1.3 session tickets right after the handshake), which must not count as
    // something to read.
    for (;;) {
        ERR_clear_error();
        impl_->last_errno = 0;
        char byte = 0;
        std::size_t n = 0;
        const int r = SSL_peek_ex(impl_->ssl, &byte, 1, &n);
        if (r == 1) co_return;
        if (SSL_get_error(impl_->ssl, r) == SSL_ERROR_WANT_READ) {
            (void)SSL_free_buffers(impl_->ssl);
            co_await impl_->socket.async_wait(tcp::socket::wait_read, use_awaitable);
            continue;  // peek again: what arrived may again be records without data
        }
        co_await wait_or_throw(r);
    }
}

awaitable<void> TlsSocket::write_all(const char* data, std::size_t size) {
    while (size > 0) {
        ERR_clear_error();
        impl_->last_errno = 0;
        std::size_t n = 0;
        const int r = SSL_write_ex(impl_->ssl, data, size, &n);
        if (r == 1) {
            data += n;
            size -= n;
            continue;
        }
        co_await wait_or_throw(r);
    }
}

awaitable<void> TlsSocket::write(std::span<const asio::const_buffer> buffers) {
    // Each SSL_write is a record of its own and a send() of its own: small pieces (a head and
    // the first piece of its body) are gathered into one record, up to a full record's size.
    constexpr std::size_t record = 16 * 1024;
    std::vector<char> gathered;
    for (std::size_t i = 0; i < buffers.size(); ++i) {
        const auto& b = buffers[i];
        const bool small = b.size() < record;
        const bool next_small = i + 1 < buffers.size() && buffers[i + 1].size() < record;
        if (small && (next_small || !gathered.empty())) {
            if (gathered.size() + b.size() > record && !gathered.empty()) {
                co_await write_all(gathered.data(), gathered.size());
                gathered.clear();
            }
            const auto* p = static_cast<const char*>(b.data());
            gathered.insert(gathered.end(), p, p + b.size());
            continue;
        }
        if (!gathered.empty()) {
            co_await write_all(gathered.data(), gathered.size());
            gathered.clear();
        }
        co_await write_all(static_cast<const char*>(b.data()), b.size());
    }
    if (!gathered.empty()) co_await write_all(gathered.data(), gathered.size());
}

awaitable<void> TlsSocket::shutdown() {
    for (;;) {
        ERR_clear_error();
        impl_->last_errno = 0;
        const int r = SSL_shutdown(impl_->ssl);
        if (r >= 0) co_return;  // 0: close_notify sent, the peer's not awaited
        co_await wait_or_throw(r);
    }
}

}  // namespace eas::net
