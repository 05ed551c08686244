// Ping (MS-ASCMD 2.2.1.13): held until HeartbeatInterval passes (Status 1) or a pinged folder
// changes (Status 2 with the folders). Each held Ping is one timer and one coroutine frame, so
// thousands of them cost little.
#include <set>

#include "handlers.hpp"

namespace fakecas {

namespace wb = eas::wbxml;

namespace {

// A folder has news for this device when it holds items the device's latest Sync state lacks
// (or lost items it has). Folders the device never synced count only if they change during
// the Ping: reporting them at once would make a Ping without a Sync return immediately.
bool folder_has_news(const Device& dev, const Folder& f, std::uint64_t generation_at_start) {
    const auto st = dev.collections.find(f.id);
    if (st == dev.collections.end() || st->second.latest.empty())
        return f.generation != generation_at_start;
    const auto* known = st->second.find(st->second.latest);
    if (!known) return true;
    if (known->size() != f.items.size()) return true;
    for (const auto& it : f.items) {
        if (!known->count(it.id)) return true;
    }
    return false;
}

Response ping_status(int status) {
    Xml x("Ping", "Ping");
    x.leaf("Status", static_cast<std::uint64_t>(status));
    return wbxml_response(x.finish(), status);
}

}  // namespace

awaitable<Response> handle_ping(EasRequest& r) {
    const auto& d = r.doc;
    Device& dev = *r.device;
    const auto& eas = r.rt->org.config().eas;
    const auto root = d.root_element();

    int heartbeat = 0;
    std::vector<std::string> folders;
    if (root == wb::kNoNode) {
        // An empty Ping repeats the last one (MS-ASCMD 2.2.1.13.1); without one: Status 3.
        if (!dev.last_ping_heartbeat || dev.last_ping_folders.empty()) {
            auto resp = ping_status(3);
            resp.note = "empty Ping with nothing cached";
            co_return resp;
        }
        heartbeat = *dev.last_ping_heartbeat;
        folders = dev.last_ping_folders;
    } else {
        if (!is(d, root, tag("Ping", "Ping"))) co_return ping_status(4);
        if (auto h = child_text(d, root, tag("Ping", "HeartbeatInterval"))) {
            heartbeat = std::atoi(h->c_str());
        } else if (dev.last_ping_heartbeat) {
            heartbeat = *dev.last_ping_heartbeat;
        } else {
            co_return ping_status(3);
        }
        const auto fs = child(d, root, tag("Ping", "Folders"));
        for (auto f : children(d, fs, tag("Ping", "Folder"))) {
            folders.push_back(child_text(d, f, tag("Ping", "Id")).value_or(""));
        }
        if (fs == wb::kNoNode) folders = dev.last_ping_folders;
        if (folders.empty()) co_return ping_status(3);
    }

    if (heartbeat < eas.min_heartbeat || heartbeat > eas.max_heartbeat) {
        const int limit = heartbeat < eas.min_heartbeat ? eas.min_heartbeat : eas.max_heartbeat;
        Xml x("Ping", "Ping");
        x.leaf("Status", 5).leaf("HeartbeatInterval", static_cast<std::uint64_t>(limit));
        auto resp = wbxml_response(x.finish(), 5);
        resp.note = "HeartbeatInterval " + std::to_string(heartbeat) + " out of range";
        co_return resp;
    }
    if (static_cast<int>(folders.size()) > eas.max_ping_folders) {
        Xml x("Ping", "Ping");
        x.leaf("Status", 6).leaf("MaxFolders", static_cast<std::uint64_t>(eas.max_ping_folders));
        co_return wbxml_response(x.finish(), 6);
    }
    std::vector<std::uint64_t> generations;
    for (const auto& id : folders) {
        const Folder* f = r.user->mailbox.folder(id);
        if (!f) {
            auto resp = ping_status(7);  // folder hierarchy sync required
            resp.note = "unknown folder " + id;
            co_return resp;
        }
        generations.push_back(f->generation);
    }
    dev.last_ping_heartbeat = heartbeat;
    dev.last_ping_folders = folders;

    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + std::chrono::seconds(heartbeat);
    while (true) {
        std::vector<std::string> changed;
        for (std::size_t i = 0; i < folders.size(); ++i) {
            const Folder* f = r.user->mailbox.folder(folders[i]);
            if (f && folder_has_news(dev, *f, generations[i])) changed.push_back(folders[i]);
        }
        auto held = [&] {
            return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::steady_clock::now() - started)
                                      .count());
        };
        if (!changed.empty()) {
            Xml x("Ping", "Ping");
            x.leaf("Status", 2).open("Folders");
            for (const auto& id : changed) x.leaf("Folder", id);
            auto resp = wbxml_response(x.finish(), 2);
            resp.note = "changes after " + held() + " s";
            co_return resp;
        }
        if (!co_await wait_for_change(r, deadline)) {
            auto resp = ping_status(1);
            resp.note = "held " + held() + " s";
            co_return resp;
        }
    }
}

}  // namespace fakecas
