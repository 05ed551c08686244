// The one place that includes Boost.Asio. GCC 12 + C++20 + Boost 1.74: awaitable.hpp uses
// std::exchange without including <utility>, so it must come first.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace eas::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
template <class T = void>
using awaitable = boost::asio::awaitable<T>;
using boost::asio::use_awaitable;

}  // namespace eas::net
