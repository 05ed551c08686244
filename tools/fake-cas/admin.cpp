#include "admin.hpp"

#include <ctime>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "ascii.hpp"
#include "autodiscover_endpoint.hpp"

namespace fakecas {

namespace {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        const auto slash = path.find('/', pos);
        const auto part =
            path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        if (!part.empty()) out.push_back(eas::percent_decode(part));
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
    return out;
}

std::map<std::string, std::string> parse_query(const std::string& query) {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos < query.size()) {
        auto amp = query.find('&', pos);
        if (amp == std::string::npos) amp = query.size();
        std::string pair = query.substr(pos, amp - pos);
        for (auto& ch : pair) {
            if (ch == '+') ch = ' ';
        }
        const auto eq = pair.find('=');
        if (eq == std::string::npos) {
            out[eas::percent_decode(pair)] = "";
        } else {
            out[eas::percent_decode(pair.substr(0, eq))] = eas::percent_decode(pair.substr(eq + 1));
        }
        pos = amp + 1;
    }
    return out;
}

Response json_response(int status, const nlohmann::json& j) {
    Response r;
    r.status = status;
    r.body = j.dump() + "\n";
    r.header("Content-Type", "application/json");
    return r;
}

Response error(int status, const std::string& what) {
    auto r = json_response(status, {{"ok", false}, {"error", what}});
    r.note = what;
    return r;
}

}  // namespace

Admin::Admin(Runtime& rt, std::function<void()> apply_sites)
    : rt_(rt), apply_sites_(std::move(apply_sites)) {}

std::string Admin::autodiscover_location() const {
    if (!autodiscover_redirect_.empty()) return autodiscover_redirect_;
    const Cas& first = *rt_.org.cas().front();
    const std::string url = first.url();
    return url.substr(0, url.rfind('/')) + std::string(kAutodiscoverPath);
}

nlohmann::json Admin::state() const {
    auto& org = rt_.org;
    nlohmann::json sites = nlohmann::json::array();
    for (const auto& s : org.sites()) {
        nlohmann::json cas = nlohmann::json::array();
        for (const Cas* c : s->cas) {
            cas.push_back({{"name", c->name},
                           {"url", c->url()},
                           {"external_url", c->external_url},
                           {"location", c->location()}});
        }
        sites.push_back({{"name", s->name},
                         {"down", s->down},
                         {"internet_facing", s->external_cas() != nullptr},
                         {"cas", cas}});
    }
    nlohmann::json users = nlohmann::json::array();
    for (const auto& u : org.users()) {
        auto& mb = u->mailbox;
        nlohmann::json folders = nlohmann::json::object();
        for (const auto& f : mb.folders()) {
            if (!f.items.empty()) folders[f.name] = f.items.size();
        }
        users.push_back({{"name", u->config.name},
                         {"email", u->config.email},
                         {"site", u->home->name},
                         {"items", folders},
                         {"held_requests", mb.changed().size()}});
    }
    return {{"sites", sites},
            {"users", users},
            {"autodiscover_redirect", autodiscover_location()},
            {"down_mode", rt_.down_mode == DownMode::Refuse ? "refuse" : "503"}};
}

awaitable<Response> Admin::handle(const eas::net::Message& request, asio::any_io_executor) {
    const auto& head = request.head;
    const auto q = head.target.find('?');
    const std::string path = head.target.substr(0, q);
    const std::string query = q == std::string::npos ? "" : head.target.substr(q + 1);
    Response resp;
    try {
        resp = route(head.method, path, query);
    } catch (const std::exception& e) {
        resp = error(500, e.what());
    }
    resp.log_prefix = "admin " + head.method + " " + head.target;
    co_return resp;
}

Response Admin::route(const std::string& method, const std::string& path,
                      const std::string& query) {
    const auto p = split_path(path);
    auto& org = rt_.org;
    // Autodiscover's redirect method: unauthenticated, plain HTTP, answered with 302 only.
    if (eas::iequals(path, kAutodiscoverPath)) {
        Response r;
        r.status = 302;
        r.header("Location", autodiscover_location());
        r.note = "Autodiscover redirect method: 302 to " + autodiscover_location();
        return r;
    }
    if (p.empty() || p[0] != "admin") return error(404, "unknown admin path " + path);
    if (p.size() == 1 || (p.size() == 2 && p[1] == "state")) {
        if (method != "GET") return error(405, "use GET for " + path);
        return json_response(200, state());
    }
    if (method != "POST") return error(405, "use POST for " + path);

    // Every switch below changes who serves whom: held requests re-check the 451 rule.
    auto changed = [&](const std::string& what) {
        apply_sites_();
        rt_.topology.notify();
        auto r = json_response(200, {{"ok", true}, {"changed", what}, {"state", state()}});
        r.note = what;
        return r;
    };

    // The ExternalUrl a CAS advertises in X-MS-Location: e.g. a proxy in front of it.
    if (p.size() == 4 && p[1] == "cas" && p[3] == "advertise") {
        Cas* c = org.find_cas(p[2]);
        if (!c) return error(404, "no CAS " + p[2]);
        auto args = parse_query(query);
        const std::string url = args.count("url") ? args["url"] : "";
        if (!url.empty() && url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
            return error(400, "url must be http:// or https://");
        }
        c->advertised_url = url;
        return changed("CAS " + c->name + " advertises " + c->location());
    }
    if (p.size() == 4 && p[1] == "site" && (p[3] == "down" || p[3] == "up")) {
        Site* s = org.site(p[2]);
        if (!s) return error(404, "no site " + p[2]);
        s->down = p[3] == "down";
        return changed("site " + s->name + " " + p[3]);
    }
    if (p.size() == 5 && (p[1] == "site" || p[1] == "cas") && p[3] == "external-url" &&
        (p[4] == "on" || p[4] == "off")) {
        std::vector<Cas*> targets;
        if (p[1] == "site") {
            Site* s = org.site(p[2]);
            if (!s) return error(404, "no site " + p[2]);
            targets = s->cas;
        } else {
            Cas* c = org.find_cas(p[2]);
            if (!c) return error(404, "no CAS " + p[2]);
            targets.push_back(c);
        }
        for (Cas* c : targets) c->external_url = p[4] == "on";
        return changed(p[1] + " " + p[2] + " ExternalUrl " + p[4]);
    }
    if (p.size() == 4 && p[1] == "user" && p[3] == "new-mail") {
        User* u = org.user(p[2]);
        if (!u) return error(404, "no user " + p[2]);
        auto args = parse_query(query);
        Folder& inbox = *u->mailbox.folder_by_type(2);
        Item it;
        it.subject = args.count("subject") ? args["subject"]
                                           : "New message " + std::to_string(inbox.next_item);
        it.from = args.count("from") ? args["from"] : "\"Casey Demo\" <casey.demo@example.com>";
        it.to = "\"" + u->config.display_name + "\" <" + u->config.email + ">";
        it.date = now_iso();
        it.body =
            args.count("body") ? args["body"] : "Delivered by the fake-cas admin endpoint.\r\n";
        const std::size_t woken = u->mailbox.changed().size();
        const Item& added = u->mailbox.deliver(inbox, std::move(it));
        auto r = json_response(200, {{"ok", true},
                                     {"server_id", added.server_id},
                                     {"subject", added.subject},
                                     {"woken", woken}});
        r.note = "new mail " + added.server_id + " for " + u->config.name + ", woke " +
                 std::to_string(woken);
        return r;
    }
    if (p.size() == 5 && p[1] == "user" && p[3] == "move") {
        User* u = org.user(p[2]);
        Site* s = org.site(p[4]);
        if (!u) return error(404, "no user " + p[2]);
        if (!s) return error(404, "no site " + p[4]);
        org.move_user(*u, *s);
        return changed("mailbox of " + u->config.name + " moved to site " + s->name);
    }
    if (p.size() == 3 && p[1] == "loop" && (p[2] == "on" || p[2] == "off")) {
        org.redirect_loop = p[2] == "on";
        return changed("redirect loop " + p[2]);
    }
    if (p.size() == 3 && p[1] == "autodiscover" && p[2] == "redirect") {
        auto args = parse_query(query);
        const std::string url = args.count("url") ? args["url"] : "";
        if (!url.empty() && url.rfind("https://", 0) != 0)
            return error(400, "url must be https:// (the redirect method only leads to https)");
        autodiscover_redirect_ = url;
        return changed("Autodiscover redirect method points at " + autodiscover_location());
    }
    if (p.size() == 3 && p[1] == "down-mode" && (p[2] == "503" || p[2] == "refuse")) {
        rt_.down_mode = p[2] == "refuse" ? DownMode::Refuse : DownMode::Http503;
        return changed("down mode " + p[2]);
    }
    return error(404, "unknown admin path " + path);
}

}  // namespace fakecas
