// FolderSync, Sync and GetItemEstimate (MS-ASCMD 2.2.1.5, 2.2.1.21, 2.2.1.9).
//
// Sync state is per device and collection: each SyncKey handed out remembers which items the
// client then had, so a client that re-sends an older key (a lost response, or a request
// re-sent to another CAS after a 451) gets the same changes again instead of an error.
#include <algorithm>
#include <set>

#include "handlers.hpp"
#include "wbxml_decoder.hpp"

namespace fakecas {

namespace wb = eas::wbxml;

namespace {

constexpr std::size_t kDefaultWindow = 100;

// --- FolderSync ---

void write_folder_add(Xml& x, const Folder& f) {
    x.open("Add")
        .leaf("ServerId", f.id)
        .leaf("ParentId", f.parent_id)
        .leaf("DisplayName", f.name)
        .leaf("Type", static_cast<std::uint64_t>(f.type))
        .close();
}

// --- Sync ---

struct CollectionRequest {
    std::string sync_key;
    std::string collection_id;
    bool get_changes = true;
    std::size_t window = kDefaultWindow;
    BodyPreference body;
    std::uint32_t commands = wb::kNoNode;
};

struct CollectionResult {
    std::string collection_id;
    std::string sync_key;  // new key, or the one to echo
    int status = 1;
    std::string commands_xml;   // <Commands> content (server changes), a fragment
    std::string responses_xml;  // <Responses> content (answers to client commands)
    bool more_available = false;
    std::size_t changes = 0;
};

// Changes the server has for a client that knows `known`: new items in id order, deletions.
struct Pending {
    std::vector<const Item*> adds;
    std::vector<std::uint32_t> deletes;
    bool any() const { return !adds.empty() || !deletes.empty(); }
};

Pending pending_changes(const Folder& f, const std::set<std::uint32_t>& known) {
    Pending p;
    std::set<std::uint32_t> present;
    for (const auto& it : f.items) {
        present.insert(it.id);
        if (!known.count(it.id)) p.adds.push_back(&it);
    }
    for (auto id : known) {
        if (!present.count(id)) p.deletes.push_back(id);
    }
    return p;
}

// Applies the client's Commands (Change, Delete, Add, Fetch) and writes Responses entries.
void apply_client_commands(EasRequest& r, Folder& f, const CollectionRequest& c,
                           std::set<std::uint32_t>& known, Xml& responses) {
    const auto& d = r.doc;
    for (auto cmd : wb::children(d, c.commands)) {
        const auto server_id = child_text(d, cmd, tag("AirSync", "ServerId")).value_or("");
        Item* item = nullptr;
        for (auto& it : f.items) {
            if (it.server_id == server_id) item = &it;
        }
        if (is(d, cmd, tag("AirSync", "Change"))) {
            // Exchange answers a Change only when it fails.
            if (!item) {
                responses.open("Change").leaf("ServerId", server_id).leaf("Status", 8).close();
                continue;
            }
            const auto app = child(d, cmd, tag("AirSync", "ApplicationData"));
            if (auto read = child_text(d, app, tag("Email", "Read"))) item->read = *read == "1";
        } else if (is(d, cmd, tag("AirSync", "Delete"))) {
            if (item) {
                const auto id = item->id;
                known.erase(id);
                r.user->mailbox.remove(f, id);
            }
        } else if (is(d, cmd, tag("AirSync", "Add"))) {
            const auto client_id = child_text(d, cmd, tag("AirSync", "ClientId")).value_or("");
            Item it;
            const auto app = child(d, cmd, tag("AirSync", "ApplicationData"));
            it.subject =
                child_text(d, app, tag("Email", "Subject")).value_or("(added by the device)");
            it.to = child_text(d, app, tag("Email", "To")).value_or("");
            it.from = r.user->config.email;
            it.date = "2025-03-14T12:00:00.000Z";
            const Item& added = r.user->mailbox.deliver(f, std::move(it));
            known.insert(added.id);
            responses.open("Add").leaf("ClientId", client_id).leaf("ServerId", added.server_id);
            responses.leaf("Status", 1).close();
        } else if (is(d, cmd, tag("AirSync", "Fetch"))) {
            responses.open("Fetch").leaf("ServerId", server_id);
            if (!item) {
                responses.leaf("Status", 8).close();
                continue;
            }
            responses.leaf("Status", 1).open("ApplicationData");
            render_email(responses, *item, r, c.body);
            responses.close().close();
        }
    }
}

CollectionRequest read_collection(const wb::Document& d, std::uint32_t col,
                                  std::size_t top_window) {
    CollectionRequest c;
    c.sync_key = child_text(d, col, tag("AirSync", "SyncKey")).value_or("");
    c.collection_id = child_text(d, col, tag("AirSync", "CollectionId")).value_or("");
    // <GetChanges/> and <GetChanges>1</GetChanges> mean yes; absent means yes for keys != 0.
    if (auto g = child_text(d, col, tag("AirSync", "GetChanges"))) c.get_changes = *g != "0";
    c.window = top_window;
    if (auto w = child_text(d, col, tag("AirSync", "WindowSize"))) {
        c.window = static_cast<std::size_t>(std::max(1L, std::atol(w->c_str())));
    }
    c.body = read_body_preference(d, child(d, col, tag("AirSync", "Options")));
    c.commands = child(d, col, tag("AirSync", "Commands"));
    return c;
}

// Whether the collection has anything to answer now. A held Sync asks this on every wake-up
// without issuing keys, so waking often never pushes the client's key out of the state.
bool has_news(EasRequest& r, const CollectionRequest& c) {
    Folder* f = r.user->mailbox.folder(c.collection_id);
    if (!f || c.sync_key == "0" || c.commands != wb::kNoNode) return true;
    const auto st = r.device->collections.find(c.collection_id);
    const auto* known = st == r.device->collections.end() ? nullptr : st->second.find(c.sync_key);
    return !known || (c.get_changes && pending_changes(*f, *known).any());
}

// Answers one collection: applies client commands, sends up to WindowSize changes, issues the
// next key.
CollectionResult sync_collection(EasRequest& r, const CollectionRequest& c) {
    CollectionResult out;
    out.collection_id = c.collection_id;
    Folder* f = r.user->mailbox.folder(c.collection_id);
    if (!f) {
        out.status = 8;  // object not found: the client's folder list is stale
        out.sync_key = c.sync_key;
        return out;
    }
    auto& state = r.device->collections[c.collection_id];
    if (c.sync_key == "0") {
        state = CollectionState{};
        out.sync_key = state.issue({});
        return out;
    }
    const auto* known_ptr = state.find(c.sync_key);
    if (!known_ptr) {
        out.status = 3;  // invalid or mismatched SyncKey: start over with 0
        out.sync_key = "0";
        return out;
    }
    std::set<std::uint32_t> known = *known_ptr;
    if (c.commands != wb::kNoNode) {
        Xml responses;
        apply_client_commands(r, *f, c, known, responses);
        out.responses_xml = responses.finish();
    }
    if (c.get_changes) {
        const Pending p = pending_changes(*f, known);
        std::size_t budget = c.window;
        Xml x;
        for (auto id : p.deletes) {
            if (!budget) break;
            x.open("Delete").leaf("ServerId", f->id + ":" + std::to_string(id)).close();
            known.erase(id);
            --budget;
            ++out.changes;
        }
        for (const Item* it : p.adds) {
            if (!budget) break;
            x.open("Add").leaf("ServerId", it->server_id).open("ApplicationData");
            render_email(x, *it, r, c.body);
            x.close().close();
            known.insert(it->id);
            --budget;
            ++out.changes;
        }
        out.more_available = p.adds.size() + p.deletes.size() > out.changes;
        out.commands_xml = x.finish();
    }
    out.sync_key = state.issue(std::move(known));
    return out;
}

long seconds_since(std::chrono::steady_clock::time_point t) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t)
            .count());
}

}  // namespace

Response handle_folder_sync(EasRequest& r) {
    const auto& d = r.doc;
    const auto root = d.root_element();
    const auto key = child_text(d, root, tag("FolderHierarchy", "SyncKey"));
    if (!is(d, root, tag("FolderHierarchy", "FolderSync")) || !key) return command_status(r, 10);
    Device& dev = *r.device;
    Xml x("FolderSync", "FolderHierarchy");
    if (*key == "0") {
        dev.folder_sync_key = std::to_string(++dev.folder_sync_counter);
        const auto& folders = r.user->mailbox.folders();
        x.leaf("Status", 1).leaf("SyncKey", dev.folder_sync_key);
        x.open("Changes").leaf("Count", folders.size());
        for (const auto& f : folders) write_folder_add(x, f);
        x.close();
        auto resp = wbxml_response(x.finish(), 1);
        resp.note = std::to_string(folders.size()) + " folders";
        return resp;
    }
    if (*key != dev.folder_sync_key) {
        auto resp = command_status(r, 9);
        resp.note = "unknown FolderSync SyncKey " + *key;
        return resp;
    }
    x.leaf("Status", 1)
        .leaf("SyncKey", dev.folder_sync_key)
        .open("Changes")
        .leaf("Count", 0)
        .close();
    return wbxml_response(x.finish(), 1);
}

Response handle_get_item_estimate(EasRequest& r) {
    const auto& d = r.doc;
    const auto root = d.root_element();
    const auto cols = child(d, root, tag("GetItemEstimate", "Collections"));
    if (!is(d, root, tag("GetItemEstimate", "GetItemEstimate")) || cols == wb::kNoNode) {
        return command_status(r, 2);
    }
    Xml x("GetItemEstimate", "GetItemEstimate");
    int last_status = 1;
    for (auto col : children(d, cols, tag("GetItemEstimate", "Collection"))) {
        const auto id = child_text(d, col, tag("GetItemEstimate", "CollectionId")).value_or("");
        const auto key = child_text(d, col, tag("AirSync", "SyncKey")).value_or("");
        x.open("Response");
        Folder* f = r.user->mailbox.folder(id);
        const auto st = r.device->collections.find(id);
        const std::set<std::uint32_t>* known =
            st == r.device->collections.end() ? nullptr : st->second.find(key);
        if (!f) {
            last_status = 2;  // a collection is invalid
            x.leaf("Status", 2);
        } else if (!known) {
            last_status = 4;  // SyncKey invalid
            x.leaf("Status", 4);
        } else {
            const auto p = pending_changes(*f, *known);
            x.leaf("Status", 1).open("Collection").leaf("CollectionId", id);
            x.leaf("Estimate", p.adds.size() + p.deletes.size()).close();
        }
        x.close();
    }
    return wbxml_response(x.finish(), last_status);
}

awaitable<Response> handle_sync(EasRequest& r) {
    const auto& d = r.doc;
    Device& dev = *r.device;
    const auto root = d.root_element();
    if (root != wb::kNoNode && !is(d, root, tag("AirSync", "Sync"))) co_return command_status(r, 4);

    // An empty Sync, or one without Collections (12.1+ partial Sync), repeats the collections
    // of the last full one from where the client stands now: the latest keys, no commands.
    std::optional<wb::DecodeResult> cached;
    const wb::Document* cd = &d;
    auto cols = child(d, root, tag("AirSync", "Collections"));
    if (cols == wb::kNoNode) {
        if (dev.last_sync_request.empty()) co_return command_status(r, 13);
        cached = wb::decode(dev.last_sync_request);
        cd = &cached->document;
        cols = child(*cd, cd->root_element(), tag("AirSync", "Collections"));
    } else {
        dev.last_sync_request = *r.body;
    }
    // Hold and window settings come from this request, else from the cached one.
    const wb::Document& hd = root != wb::kNoNode ? d : *cd;
    const auto hroot = hd.root_element();

    // Wait is in minutes (12.1), HeartbeatInterval in seconds (14.0); out of range -> 14.
    const auto& eas = r.rt->org.config().eas;
    std::optional<int> hold_seconds;
    if (auto w = child_text(hd, hroot, tag("AirSync", "Wait"))) {
        const int minutes = std::atoi(w->c_str());
        if (minutes < 1 || minutes > 59) {
            Xml x("Sync", "AirSync");
            x.leaf("Status", 14).leaf("Limit", minutes < 1 ? 1 : 59);
            co_return wbxml_response(x.finish(), 14);
        }
        hold_seconds = minutes * 60;
    }
    if (auto h = child_text(hd, hroot, tag("AirSync", "HeartbeatInterval"))) {
        const int seconds = std::atoi(h->c_str());
        if (seconds < eas.min_heartbeat || seconds > eas.max_heartbeat) {
            const int limit = seconds < eas.min_heartbeat ? eas.min_heartbeat : eas.max_heartbeat;
            Xml x("Sync", "AirSync");
            x.leaf("Status", 14).leaf("Limit", static_cast<std::uint64_t>(limit));
            co_return wbxml_response(x.finish(), 14);
        }
        hold_seconds = seconds;
    }
    std::size_t top_window = kDefaultWindow;
    if (auto w = child_text(hd, hroot, tag("AirSync", "WindowSize"))) {
        top_window = static_cast<std::size_t>(std::max(1L, std::atol(w->c_str())));
    }
    std::vector<CollectionRequest> requests;
    for (auto col : children(*cd, cols, tag("AirSync", "Collection"))) {
        auto c = read_collection(*cd, col, top_window);
        if (cached) {
            const auto st = dev.collections.find(c.collection_id);
            if (st != dev.collections.end() && !st->second.latest.empty())
                c.sync_key = st->second.latest;
            c.commands = wb::kNoNode;
        }
        requests.push_back(std::move(c));
    }

    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + std::chrono::seconds(hold_seconds.value_or(0));
    while (hold_seconds) {
        bool news = false;
        for (const auto& c : requests) news = news || has_news(r, c);
        if (news) break;
        if (!co_await wait_for_change(r, deadline)) {
            // The wait ran out (or the server is stopping): an empty 200 says "no changes".
            Response resp;
            resp.note = "held " + std::to_string(seconds_since(started)) + " s, no changes";
            co_return resp;
        }
    }

    Xml x("Sync", "AirSync", {"email", "airsyncbase"});
    x.open("Collections");
    std::size_t changes = 0;
    int status = 1;
    for (const auto& c : requests) {
        const auto res = sync_collection(r, c);
        x.open("Collection").leaf("SyncKey", res.sync_key).leaf("CollectionId", res.collection_id);
        x.leaf("Status", static_cast<std::uint64_t>(res.status));
        if (res.status != 1) status = res.status;
        if (res.more_available) x.empty("MoreAvailable");
        if (!res.commands_xml.empty()) x.open("Commands").raw(res.commands_xml).close();
        if (!res.responses_xml.empty()) x.open("Responses").raw(res.responses_xml).close();
        x.close();
        changes += res.changes;
    }
    auto resp = wbxml_response(x.finish(), status);
    resp.note = std::to_string(changes) + " changes";
    if (hold_seconds) resp.note += ", held " + std::to_string(seconds_since(started)) + " s";
    co_return resp;
}

}  // namespace fakecas
