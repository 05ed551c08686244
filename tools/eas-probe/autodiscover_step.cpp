#include "autodiscover_step.hpp"

#include <chrono>

#include "ascii.hpp"
#include "autodiscover.hpp"
#include "autodiscover_candidates.hpp"
#include "base64.hpp"
#include "http_words.hpp"

namespace eas::probe {
namespace {

using device::Url;

bool is_http_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

http::MessageHead request_head(const std::string& method, const Url& url,
                               const device::Identity& id, std::size_t body_size) {
    http::MessageHead head;
    head.is_request = true;
    head.method = method;
    head.target = url.path.empty() ? "/" : url.path;
    head.headers.push_back({"Host", url.host_header()});
    // The redirect method is unauthenticated: credentials only go to the https POST.
    if (method == "POST")
        head.headers.push_back(
            {"Authorization", "Basic " + base64_encode(id.user + ":" + id.password)});
    head.headers.push_back({"User-Agent", id.user_agent});
    if (method == "POST") {
        head.headers.push_back({"Content-Type", "text/xml; charset=utf-8"});
        head.headers.push_back({"Content-Length", std::to_string(body_size)});
    }
    return head;
}

}  // namespace

void Autodiscover::attempt(const std::string& method, const Url& url, const std::string& result) {
    step_.details.push_back(method + " " + url.to_string() + ": " + result);
    attempts_.push_back({{"method", method}, {"url", url.to_string()}, {"result", result}});
}

bool Autodiscover::too_many_hops(const std::string& last) {
    if (++hops_ <= kMaxAutodiscoverHops) return false;
    stop_reason_ = "more than " + std::to_string(kMaxAutodiscoverHops) +
                   " Autodiscover redirects (the last to " + last + ")";
    return true;
}

Autodiscover::Next Autodiscover::hop(const std::string& kind, Url& url, const std::string& to) {
    const Url from = url;
    std::string why;
    auto target = device::parse_url(to, &why);
    if (!target) {
        attempt("POST", from, kind + " to an unusable URL '" + to + "': " + why);
        return Next::NextCandidate;
    }
    if (target->path.empty()) target->path = std::string(kAutodiscoverPath);
    Redirect record{kind, "Autodiscover", from.to_string(), target->to_string(), false};
    if (!target->tls()) {
        // The next request carries the password: never in clear.
        attempt("POST", from,
                kind + " to " + target->to_string() +
                    ": not followed, it is not https and the password would cross the network "
                    "in clear");
        report_.add_redirect(record);
        return Next::NextCandidate;
    }
    if (too_many_hops(target->to_string())) {
        report_.add_redirect(record);
        return Next::Stop;
    }
    if (seen_.count(address_ + " " + target->to_string())) {
        stop_reason_ = "Autodiscover redirect loop: " + from.to_string() + " sends " + address_ +
                       " back to " + target->to_string();
        report_.add_redirect(record);
        return Next::Stop;
    }
    attempt("POST", from, kind + " to " + target->to_string() + " (followed)");
    warnings_.push_back(kind + " to " + target->to_string() +
                        " (devices that do not follow it, AOSP among them, stop there)");
    record.followed = true;
    report_.add_redirect(record);
    url = *target;
    return Next::Hop;
}

Autodiscover::Next Autodiscover::new_address(const Url& url, const std::string& to) {
    Redirect record{"Autodiscover Redirect", "Autodiscover", address_, to, false};
    if (email_domain(to).empty()) {
        stop_reason_ = "Autodiscover Redirect to '" + to + "', which is not an e-mail address";
    } else if (addresses_.count(to_lower(to))) {
        stop_reason_ = "Autodiscover Redirect loop: " + address_ + " is sent back to " + to;
    }
    if (!stop_reason_.empty() || too_many_hops(to)) {
        report_.add_redirect(record);
        return Next::Stop;
    }
    attempt("POST", url, "Autodiscover Redirect to the address " + to + " (followed)");
    warnings_.push_back("Autodiscover Redirect from " + address_ + " to " + to +
                        " (AOSP only logs it and stops)");
    record.followed = true;
    report_.add_redirect(record);
    address_ = to;
    addresses_.insert(to_lower(to));
    if (user_follows_email_) {
        identity_.user = to;
        step_.details.push_back("the user name follows the address: now " + to);
    }
    return Next::NewAddress;
}

Autodiscover::Next Autodiscover::answer(Url& url, const std::string& body) {
    const auto r = decode_autodiscover_response(body);
    if (!r.ok()) {
        attempt("POST", url, "HTTP 200 but not an Autodiscover answer: " + r.error->reason);
        return Next::NextCandidate;
    }
    switch (r.kind) {
        case AutodiscoverKind::Settings: {
            if (r.mobilesync_url.empty()) {
                attempt("POST", url, "settings without a MobileSync server");
                return Next::NextCandidate;
            }
            std::string why;
            auto eas = device::parse_url(r.mobilesync_url, &why);
            if (!eas) {
                stop_reason_ = "Autodiscover at " + url.to_string() +
                               " gave an unusable EAS URL '" + r.mobilesync_url + "': " + why;
                return Next::Stop;
            }
            if (eas->path.empty()) eas->path = "/Microsoft-Server-ActiveSync";
            attempt("POST", url, "EAS URL " + eas->to_string());
            found_ = *eas;
            return Next::Found;
        }
        case AutodiscoverKind::RedirectAddress:
            return new_address(url, r.redirect_address);
        case AutodiscoverKind::RedirectUrl:
            return hop("Autodiscover redirectUrl", url, r.redirect_url);
        case AutodiscoverKind::Error: {
            const auto& e = *r.server_error;
            const std::string code = e.error_code.empty() ? e.status : e.error_code;
            const auto meaning = autodiscover_error_meaning(e.error_code);
            stop_reason_ = "Autodiscover error " + code +
                           (meaning.empty() ? "" : ": " + std::string(meaning)) +
                           (e.message.empty() ? "" : " (\"" + e.message + "\")") + " from " +
                           url.to_string();
            return Next::Stop;
        }
        case AutodiscoverKind::Unknown:
            break;
    }
    attempt("POST", url, "HTTP 200 without settings, redirect or error");
    return Next::NextCandidate;
}

net::awaitable<Autodiscover::Next> Autodiscover::post(Url& url) {
    seen_.insert(address_ + " " + url.to_string());
    const std::string body = autodiscover_request_body(address_);
    const auto head = request_head("POST", url, identity_, body.size());
    const auto r = co_await conn_.send(url, head, body, std::chrono::milliseconds(0));
    if (!r.ok()) {
        attempt("POST", url, r.error);
        co_return Next::NextCandidate;
    }
    const auto& h = r.response.head;
    if (h.status == 200) {
        if (!r.response.body_complete) {
            attempt("POST", url, "HTTP 200 with a body too large to be an Autodiscover answer");
            co_return Next::NextCandidate;
        }
        co_return answer(url, r.response.body);
    }
    if (is_http_redirect(h.status) || h.status == 451) {
        // 451 during Autodiscover carries the URL in Location (AOSP reads it there) or, like
        // an EAS 451, in X-MS-Location.
        const std::string* location = h.find("Location");
        if (!location && h.status == 451) location = h.find("X-MS-Location");
        if (!location) {
            attempt("POST", url, "HTTP " + std::to_string(h.status) + " without a Location");
            co_return Next::NextCandidate;
        }
        co_return hop("HTTP " + std::to_string(h.status), url, *location);
    }
    if (h.status == 401 && unauthorized_at_.empty()) unauthorized_at_ = url.to_string();
    attempt("POST", url, http_problem(h, identity_.user));
    co_return Next::NextCandidate;
}

net::awaitable<std::optional<Url>> Autodiscover::redirect_method(const Url& url) {
    const auto head = request_head("GET", url, identity_, 0);
    const auto r = co_await conn_.send(url, head, {}, std::chrono::milliseconds(0));
    if (!r.ok()) {
        attempt("GET", url, r.error);
        co_return std::nullopt;
    }
    const auto& h = r.response.head;
    const std::string* location = h.find("Location");
    if (!is_http_redirect(h.status) || !location) {
        attempt("GET", url,
                "HTTP " + std::to_string(h.status) + ", not a redirect to an Autodiscover URL");
        co_return std::nullopt;
    }
    std::string why;
    auto target = device::parse_url(*location, &why);
    if (!target || !target->tls()) {
        attempt("GET", url,
                "HTTP " + std::to_string(h.status) + " to '" + *location +
                    "': " + (target ? "not https, so not trusted with the password" : why));
        co_return std::nullopt;
    }
    if (target->path.empty()) target->path = std::string(kAutodiscoverPath);
    attempt("GET", url, "HTTP " + std::to_string(h.status) + " to " + target->to_string());
    report_.add_redirect({"HTTP " + std::to_string(h.status) + " (redirect method)", "Autodiscover",
                          url.to_string(), target->to_string(), true});
    step_.details.push_back(
        "the redirect method's answer came over plain http: devices ask the user before "
        "trusting " +
        target->host);
    co_return *target;
}

net::awaitable<std::optional<Url>> Autodiscover::run(const std::string& email) {
    step_ = Step{"Autodiscover", email};
    address_ = email;
    addresses_.insert(to_lower(email));
    const auto start = std::chrono::steady_clock::now();
    bool restart = true;
    while (restart && !found_ && stop_reason_.empty()) {
        restart = false;
        const std::string domain = email_domain(address_);
        for (const auto& candidate : autodiscover_candidates(domain)) {
            std::optional<Url> url = device::parse_url(candidate.url);
            if (!url) {
                step_.details.push_back(candidate.url + ": not a URL (odd domain " + domain + ")");
                continue;
            }
            if (candidate.redirect_method) {
                url = co_await redirect_method(*url);
                if (!url) continue;
            }
            Next next = Next::Hop;
            while (next == Next::Hop) next = co_await post(*url);
            if (next == Next::NewAddress) restart = true;
            if (next != Next::NextCandidate) break;
        }
    }
    step_.ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count();
    step_.data["email"] = email;
    step_.data["address"] = address_;
    step_.data["eas_url"] = found_ ? nlohmann::ordered_json(found_->to_string()) : nullptr;
    step_.data["attempts"] = attempts_;

    if (found_) {
        std::string summary = "EAS URL " + found_->to_string();
        for (const auto& w : warnings_) summary += "; after " + w;
        step_.set(warnings_.empty() ? Verdict::Pass : Verdict::Warn, summary);
    } else if (!stop_reason_.empty()) {
        step_.fail(stop_reason_);
    } else {
        step_.details.push_back("DNS SRV _autodiscover._tcp." + email_domain(address_) +
                                ": not tried (eas-probe does not look up SRV records)");
        step_.fail(unauthorized_at_.empty()
                       ? "no Autodiscover URL for " + email_domain(address_) +
                             " gave the EAS settings (each attempt below)"
                       : "wrong user name or password (HTTP 401 from " + unauthorized_at_ + ")");
    }
    report_.add(step_);
    co_return found_;
}

}  // namespace eas::probe
