#include "report.hpp"

#include <iostream>

#include <nlohmann/json.hpp>

namespace eas::device {
namespace {

void print_head(std::ostream& out, const http::MessageHead& head, const char* prefix) {
    if (head.is_request) {
        out << prefix << head.method << ' ' << head.target << " HTTP/" << head.version_major << '.'
            << head.version_minor << '\n';
    } else {
        out << prefix << "HTTP/" << head.version_major << '.' << head.version_minor << ' '
            << head.status << ' ' << head.reason << '\n';
    }
    for (const auto& h : head.headers)
        out << prefix << h.name << ": " << shown_header_value(h) << '\n';
}

}  // namespace

std::string shown_header_value(const http::Header& h) {
    if (http::iequals(h.name, "Authorization") || http::iequals(h.name, "Proxy-Authorization")) {
        const auto space = h.value.find(' ');
        return (space == std::string::npos ? std::string() : h.value.substr(0, space + 1)) +
               "<redacted>";
    }
    return h.value;
}

Reporter::Reporter(const Options& o)
    : tag_("[device " + o.device_id + " " + o.device_type + "]"),
      device_id_(o.device_id),
      json_(o.json),
      verbose_(o.verbose) {}

void Reporter::exchange(const ExchangeRecord& r) {
    if (json_) {
        nlohmann::ordered_json j;
        j["cmd"] = r.cmd;
        j["url"] = r.url;
        j["http_status"] =
            r.http_status ? nlohmann::ordered_json(r.http_status) : nlohmann::ordered_json();
        j["eas_status"] =
            r.eas_status ? nlohmann::ordered_json(*r.eas_status) : nlohmann::ordered_json();
        j["status_words"] = r.status_words;
        j["ms"] = r.ms;
        j["bytes_sent"] = r.bytes_sent;
        j["bytes_received"] = r.bytes_received;
        j["redirect_to"] =
            r.redirect_to ? nlohmann::ordered_json(*r.redirect_to) : nlohmann::ordered_json();
        j["reused_connection"] = r.reused_connection;
        j["device_id"] = device_id_;
        if (!r.error.empty()) j["error"] = r.error;
        if (verbose_) {
            auto headers = [](const http::MessageHead* h) {
                nlohmann::ordered_json a = nlohmann::ordered_json::array();
                if (h) {
                    for (const auto& x : h->headers) a.push_back({x.name, shown_header_value(x)});
                }
                return a;
            };
            j["request_headers"] = headers(r.request_head);
            j["request_body"] = r.request_body;
            j["response_headers"] = headers(r.response_head);
            j["response_body"] = r.response_body;
        }
        // Invalid UTF-8 from a server must not abort the run: replace it.
        std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                  << std::endl;
        return;
    }
    std::cout << tag_ << ' ' << r.cmd << " -> ";
    if (r.http_status == 0) {
        std::cout << (r.interrupted ? "interrupted" : "failed: " + r.error) << ' ' << r.ms << " ms"
                  << std::endl;
    } else {
        std::cout << "HTTP " << r.http_status;
        if (r.eas_status) {
            std::cout << " (Status " << *r.eas_status << (r.status_words.empty() ? "" : " ")
                      << r.status_words << ")";
        } else if (!r.status_words.empty()) {
            std::cout << " (" << r.status_words << ")";
        }
        std::cout << ' ' << r.ms << " ms " << r.bytes_received << " bytes" << std::endl;
    }
    if (verbose_) {
        if (r.request_head) print_head(std::cout, *r.request_head, "  > ");
        if (!r.request_body.empty()) std::cout << r.request_body;
        if (r.response_head) print_head(std::cout, *r.response_head, "  < ");
        if (!r.response_body.empty()) std::cout << r.response_body;
        std::cout << std::flush;
    }
}

void Reporter::note(const std::string& text) {
    (json_ ? std::cerr : std::cout) << tag_ << ' ' << text << std::endl;
}

void Reporter::detail(const std::string& text) {
    if (verbose_) note(text);
}

void Reporter::finish(int exit_status, const std::string& text) {
    (json_ ? std::cerr : std::cout) << tag_ << ' ' << (exit_status == 0 ? "done: " : "failed: ")
                                    << text << " (exit " << exit_status << ")" << std::endl;
}

}  // namespace eas::device
