// SendMail, SmartReply, SmartForward (MS-ASCMD 2.2.1.17, 2.2.1.19, 2.2.1.18).
//
// 14.0+: WBXML with the message in ComposeMail:Mime (OPAQUE) and SaveInSentItems. 12.x and
// earlier: the raw message as the body (Content-Type: message/rfc822) and SaveInSent=T in the
// query. Success is 200 with an empty body. Messages to configured users land in their Inbox,
// which wakes their held Ping and Sync requests.
#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

#include "handlers.hpp"

namespace fakecas {

namespace wb = eas::wbxml;

namespace {

struct Mime {
    bool ok = false;
    std::vector<std::pair<std::string, std::string>> headers;  // unfolded
    std::string body;

    std::string header(const std::string& name) const {
        for (const auto& [n, v] : headers) {
            if (n.size() == name.size() &&
                std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                })) {
                return v;
            }
        }
        return {};
    }
};

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return s.substr(i);
}

// Header block up to the first empty line; folded lines (leading space or tab) joined.
Mime parse_mime(const std::string& text) {
    Mime m;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        std::string line = text.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        pos = eol + 1;
        if (line.empty()) {
            m.body = pos < text.size() ? text.substr(pos) : "";
            m.ok = !m.headers.empty();
            return m;
        }
        if ((line[0] == ' ' || line[0] == '\t') && !m.headers.empty()) {
            m.headers.back().second += " " + trim(line);
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos || colon == 0) return m;  // not a header: not MIME
        m.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
    }
    m.ok = !m.headers.empty();  // headers only, no body
    return m;
}

// "A <a@x>, \"B, C\" <b@x>, c@x" -> a@x, b@x, c@x
std::vector<std::string> addresses(const std::string& list) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    auto flush = [&] {
        std::string a = trim(cur);
        const auto lt = a.find('<'), gt = a.find('>');
        if (lt != std::string::npos && gt != std::string::npos && gt > lt)
            a = a.substr(lt + 1, gt - lt - 1);
        if (!a.empty()) out.push_back(a);
        cur.clear();
    };
    for (char c : list) {
        if (c == '"') quoted = !quoted;
        if ((c == ',' || c == ';') && !quoted) {
            flush();
        } else {
            cur += c;
        }
    }
    flush();
    return out;
}

// The text shown as the item body: the first text part of a multipart message, else the body.
std::string body_text(const Mime& m) {
    std::string body = m.body;
    const std::string type = m.header("Content-Type");
    const auto b = type.find("boundary=");
    if (type.find("multipart/") != std::string::npos && b != std::string::npos) {
        std::string boundary = type.substr(b + 9);
        if (!boundary.empty() && boundary[0] == '"')
            boundary = boundary.substr(1, boundary.find('"', 1) - 1);
        boundary = boundary.substr(0, boundary.find(';'));
        const auto start = body.find("--" + boundary);
        if (start != std::string::npos) {
            const auto part_end = body.find("--" + boundary, start + boundary.size() + 2);
            const Mime part = parse_mime(body.substr(start + boundary.size() + 2,
                                                     part_end == std::string::npos
                                                         ? std::string::npos
                                                         : part_end - start - boundary.size() - 2));
            if (part.ok) body = part.body;
        }
    }
    constexpr std::size_t kMax = 64 * 1024;
    if (body.size() > kMax) body.resize(kMax);
    return body;
}

}  // namespace

Response handle_send_mail(EasRequest& r) {
    std::string mime_text;
    bool save_in_sent = false;
    const bool wbxml_form = r.body_is_wbxml;
    if (wbxml_form) {
        const auto& d = r.doc;
        const auto root = d.root_element();
        if (!is(d, root, tag("ComposeMail", r.command))) return command_status(r, 103);
        const auto mime = child(d, root, tag("ComposeMail", "Mime"));
        if (mime == wb::kNoNode) return command_status(r, 103);
        mime_text = content_bytes(d, mime);
        save_in_sent = child(d, root, tag("ComposeMail", "SaveInSentItems")) != wb::kNoNode;
    } else {
        mime_text = *r.body;
        save_in_sent = r.save_in_sent;
    }
    auto fail = [&](int eas_status, const std::string& why) {
        Response resp = wbxml_form ? command_status(r, eas_status) : Response{};
        if (!wbxml_form) resp.status = 400;
        resp.note = why;
        return resp;
    };

    const Mime m = parse_mime(mime_text);
    if (!m.ok) return fail(107, "the message is not MIME");
    std::vector<std::string> rcpts;
    for (const char* h : {"To", "Cc", "Bcc"}) {
        for (auto& a : addresses(m.header(h))) rcpts.push_back(std::move(a));
    }
    if (rcpts.empty()) return fail(119, "the message has no recipient");

    Item it;
    it.subject = m.header("Subject");
    it.from = m.header("From").empty() ? r.user->config.email : m.header("From");
    it.to = m.header("To");
    it.cc = m.header("Cc");
    it.date = now_iso();
    it.body = body_text(m);
    it.mime = mime_text;

    std::set<User*> delivered;
    std::string note = "delivered to";
    std::vector<std::string> external;
    for (const auto& a : rcpts) {
        User* u = r.rt->org.user_by_login(a);
        if (!u) {
            external.push_back(a);
            continue;
        }
        if (!delivered.insert(u).second) continue;
        u->mailbox.deliver(*u->mailbox.folder_by_type(2), it);
        note += " " + u->config.name;
    }
    if (delivered.empty()) note = "no configured recipient";
    if (!external.empty())
        note += "; not simulated:" + [&] {
            std::string s;
            for (const auto& a : external) s += " " + a;
            return s;
        }();
    if (save_in_sent) {
        Item sent = it;
        sent.read = true;
        r.user->mailbox.deliver(*r.user->mailbox.folder_by_type(5), std::move(sent));
        note += "; saved in Sent Items";
    }
    Response resp;  // 200, empty body: success
    resp.note = note;
    return resp;
}

}  // namespace fakecas
