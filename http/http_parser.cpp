#include "http_parser.hpp"

#include <llhttp.h>

#include <cctype>

namespace eas::http {

const std::string* MessageHead::find(std::string_view name) const {
    for (const auto& h : headers) {
        if (iequals(h.name, name)) return &h.value;
    }
    return nullptr;
}

std::string MessageHead::value_or(std::string_view name, std::string_view fallback) const {
    const auto* v = find(name);
    return v ? *v : std::string(fallback);
}

struct Parser::Impl {
    llhttp_t parser;
    llhttp_settings_t settings;
    Parser* owner = nullptr;
    std::vector<Event>* events = nullptr;
    ParserLimits limits;
    std::size_t head_bytes = 0;
    bool last_was_value = false;
    bool no_body = false;
    int limit_status = 0;  // set when a limit stops the parser: the status a server answers
    std::string limit_reason;
};

struct Callbacks {
    static Parser::Impl& impl(llhttp_t* p) { return *static_cast<Parser::Impl*>(p->data); }

    // Counts head bytes against the limit; false stops the parser with a 431.
    static bool account(Parser::Impl& i, std::size_t n) {
        i.head_bytes += n;
        if (i.head_bytes > i.limits.max_head_bytes) {
            i.limit_status = 431;
            i.limit_reason = "request line and headers exceed " +
                             std::to_string(i.limits.max_head_bytes) + " bytes";
            return false;
        }
        return true;
    }

    static int on_message_begin(llhttp_t* p) {
        auto& i = impl(p);
        auto& o = *i.owner;
        o.head_ = MessageHead{};
        o.head_.is_request = p->type == HTTP_REQUEST;
        o.body_bytes_ = 0;
        o.in_message_ = true;
        i.head_bytes = 0;
        i.last_was_value = false;
        return 0;
    }
    static int on_url(llhttp_t* p, const char* at, std::size_t n) {
        auto& i = impl(p);
        if (!account(i, n)) return -1;
        i.owner->head_.target.append(at, n);
        return 0;
    }
    static int on_status(llhttp_t* p, const char* at, std::size_t n) {
        auto& i = impl(p);
        if (!account(i, n)) return -1;
        i.owner->head_.reason.append(at, n);
        return 0;
    }
    static int on_method(llhttp_t* p, const char* at, std::size_t n) {
        auto& i = impl(p);
        if (!account(i, n)) return -1;
        i.owner->head_.method.append(at, n);
        return 0;
    }
    static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
        auto& i = impl(p);
        if (!account(i, n)) return -1;
        auto& headers = i.owner->head_.headers;
        if (headers.empty() || i.last_was_value) {
            if (headers.size() >= i.limits.max_headers) {
                i.limit_status = 431;
                i.limit_reason =
                    "more than " + std::to_string(i.limits.max_headers) + " header fields";
                return -1;
            }
            headers.emplace_back();
        }
        headers.back().name.append(at, n);
        i.last_was_value = false;
        return 0;
    }
    static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
        auto& i = impl(p);
        if (!account(i, n)) return -1;
        i.owner->head_.headers.back().value.append(at, n);
        i.last_was_value = true;
        return 0;
    }
    static int on_headers_complete(llhttp_t* p) {
        auto& i = impl(p);
        auto& h = i.owner->head_;
        h.version_major = p->http_major;
        h.version_minor = p->http_minor;
        if (h.is_request) {
            h.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
        } else {
            h.status = p->status_code;
        }
        h.keep_alive = llhttp_should_keep_alive(p) != 0;
        h.chunked = (p->flags & F_CHUNKED) != 0;
        if (p->flags & F_CONTENT_LENGTH) h.content_length = p->content_length;
        h.upgrade = p->upgrade != 0;
        i.events->push_back({EventKind::Head, {}});
        // 1: the response has no body (HEAD). For CONNECT requests llhttp pauses on its own.
        return i.no_body && !h.is_request ? 1 : 0;
    }
    static int on_body(llhttp_t* p, const char* at, std::size_t n) {
        auto& i = impl(p);
        i.owner->body_bytes_ += n;
        i.events->push_back({EventKind::Body, std::string_view(at, n)});
        return 0;
    }
    static int on_message_complete(llhttp_t* p) {
        auto& i = impl(p);
        i.owner->in_message_ = false;
        i.no_body = false;
        i.events->push_back({EventKind::End, {}});
        return HPE_PAUSED;  // hand over one message at a time
    }
};

Parser::Parser(Type type, ParserLimits limits) : impl_(std::make_unique<Impl>()) {
    impl_->owner = this;
    impl_->limits = limits;
    llhttp_settings_init(&impl_->settings);
    impl_->settings.on_message_begin = &Callbacks::on_message_begin;
    impl_->settings.on_url = &Callbacks::on_url;
    impl_->settings.on_status = &Callbacks::on_status;
    impl_->settings.on_method = &Callbacks::on_method;
    impl_->settings.on_header_field = &Callbacks::on_header_field;
    impl_->settings.on_header_value = &Callbacks::on_header_value;
    impl_->settings.on_headers_complete = &Callbacks::on_headers_complete;
    impl_->settings.on_body = &Callbacks::on_body;
    impl_->settings.on_message_complete = &Callbacks::on_message_complete;
    llhttp_init(&impl_->parser, type == Type::Request ? HTTP_REQUEST : HTTP_RESPONSE,
                &impl_->settings);
    impl_->parser.data = impl_.get();
}

Parser::~Parser() = default;

void Parser::expect_no_body(bool yes) {
    impl_->no_body = yes;
}

Parser::FeedResult Parser::feed(std::string_view data, std::vector<Event>& events) {
    FeedResult r;
    impl_->events = &events;
    const llhttp_errno_t err = llhttp_execute(&impl_->parser, data.data(), data.size());
    switch (err) {
        case HPE_OK:
            r.consumed = data.size();
            break;
        case HPE_PAUSED:
        case HPE_PAUSED_UPGRADE: {
            const char* pos = llhttp_get_error_pos(&impl_->parser);
            r.consumed = pos ? static_cast<std::size_t>(pos - data.data()) : data.size();
            r.message_complete = true;
            if (err == HPE_PAUSED_UPGRADE) {
                // CONNECT or Upgrade: what follows is not HTTP; the caller takes the rest raw.
                head_.upgrade = true;
                if (in_message_) {
                    in_message_ = false;
                    events.push_back({EventKind::End, {}});
                }
                llhttp_resume_after_upgrade(&impl_->parser);
            } else {
                llhttp_resume(&impl_->parser);
            }
            break;
        }
        default: {
            const char* pos = llhttp_get_error_pos(&impl_->parser);
            const std::size_t at = pos ? static_cast<std::size_t>(pos - data.data()) : 0;
            ParseError e;
            e.offset = offset_ + at;
            if (impl_->limit_status) {
                e.http_status = impl_->limit_status;
                e.reason = impl_->limit_reason;
            } else {
                e.reason = llhttp_get_error_reason(&impl_->parser)
                               ? llhttp_get_error_reason(&impl_->parser)
                               : llhttp_errno_name(err);
            }
            r.consumed = at;
            r.error = std::move(e);
            break;
        }
    }
    offset_ += r.consumed;
    impl_->events = nullptr;
    return r;
}

Parser::FeedResult Parser::finish(std::vector<Event>& events) {
    FeedResult r;
    impl_->events = &events;
    const bool was_in_message = in_message_;
    const llhttp_errno_t err = llhttp_finish(&impl_->parser);
    impl_->events = nullptr;
    if (err == HPE_OK || err == HPE_PAUSED) {
        r.message_complete = was_in_message && !in_message_;
        if (was_in_message && in_message_) {
            // Still inside a message llhttp does not end at EOF.
            in_message_ = false;
        } else {
            return r;
        }
    }
    ParseError e;
    e.offset = offset_;
    if (head_.content_length) {
        e.reason = "connection closed after " + std::to_string(body_bytes_) + " of " +
                   std::to_string(*head_.content_length) + " body bytes";
    } else if (head_.chunked) {
        e.reason = "connection closed inside a chunked body after " + std::to_string(body_bytes_) +
                   " bytes";
    } else {
        e.reason = "connection closed in the middle of a message";
    }
    r.error = std::move(e);
    return r;
}

std::string serialize_head(const MessageHead& head) {
    std::string out;
    out.reserve(256 + head.headers.size() * 48);
    if (head.is_request) {
        out += head.method;
        out += ' ';
        out += head.target;
        out += " HTTP/";
    } else {
        out += "HTTP/";
    }
    out += std::to_string(head.version_major);
    out += '.';
    out += std::to_string(head.version_minor);
    if (!head.is_request) {
        out += ' ';
        out += std::to_string(head.status);
        out += ' ';
        out += head.reason;
    }
    out += "\r\n";
    for (const auto& h : head.headers) {
        out += h.name;
        out += ": ";
        out += h.value;
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

bool is_hop_by_hop(const MessageHead& head, std::string_view name) {
    static constexpr std::string_view kHopByHop[] = {"Connection",
                                                     "Keep-Alive",
                                                     "Proxy-Connection",
                                                     "Proxy-Authenticate",
                                                     "Proxy-Authorization",
                                                     "TE",
                                                     "Trailer",
                                                     "Transfer-Encoding",
                                                     "Upgrade"};
    for (auto h : kHopByHop) {
        if (iequals(h, name)) return true;
    }
    // Connection: close, X-Custom names further headers to drop.
    if (const auto* c = head.find("Connection")) {
        std::string_view list = *c;
        while (!list.empty()) {
            const auto comma = list.find(',');
            auto item = list.substr(0, comma);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
            if (iequals(item, name)) return true;
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    return false;
}

}  // namespace eas::http
