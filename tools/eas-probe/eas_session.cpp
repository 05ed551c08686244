#include "eas_session.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <iterator>

#include "ascii.hpp"
#include "http_words.hpp"
#include "status_words.hpp"

namespace eas::probe {
namespace {

using device::children_named;
using device::path;
using device::text_at;

std::optional<std::uint32_t> parse_u32(const std::string& text) {
    std::uint32_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = std::min(text.find(','), text.size());
        const auto item = trim(text.substr(0, comma));
        if (!item.empty()) out.emplace_back(item);
        text.remove_prefix(std::min(comma + 1, text.size()));
    }
    return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
    for (const auto& x : list) {
        if (iequals(x, item)) return true;
    }
    return false;
}

std::string join(const std::vector<std::string>& parts, std::size_t limit = SIZE_MAX) {
    std::string out;
    for (std::size_t i = 0; i < parts.size() && i < limit; ++i) out += (i ? ", " : "") + parts[i];
    if (parts.size() > limit) out += ", ... (" + std::to_string(parts.size()) + " in all)";
    return out;
}

// MS-ASCMD FolderSync Type.
std::string folder_type_name(const std::string& type) {
    static const char* const kNames[] = {
        "",           "user folder",  "Inbox",      "Drafts",        "Deleted Items",
        "Sent Items", "Outbox",       "Tasks",      "Calendar",      "Contacts",
        "Notes",      "Journal",      "user mail",  "user calendar", "user contacts",
        "user tasks", "user journal", "user notes", "unknown",       "recipient cache"};
    const auto n = parse_u32(type);
    if (!n || *n >= std::size(kNames) || *n == 0) return "type " + type;
    return kNames[*n];
}

std::string status_text(const std::string& command, const device::DecodedResponse& d) {
    const int s = d.status.value_or(0);
    const auto words = eas_status_name(StatusContext{command, d.status_element, false}, s);
    return "Status " + std::to_string(s) + (words.empty() ? "" : " " + std::string(words));
}

}  // namespace

net::awaitable<bool> EasSession::send(const device::EasRequest& request, Step& step, Reply& reply) {
    http::MessageHead head;
    std::string error;
    if (!device::build_head(id_, request, url, policy_key_, head, error)) {
        step.fail(request.command + ": " + error);
        co_return false;
    }
    reply = Reply{};
    reply.sent = co_await conn_.send(url, head, request.body, request.hold);
    step.ms += reply.sent.elapsed.count();
    if (!reply.sent.ok()) {
        step.fail(reply.sent.error);
        co_return false;
    }
    reply.decoded = device::decode_response(reply.sent.response);
    step.data["http_status"] = reply.http();
    co_return true;
}

std::string EasSession::provisioning_failure(int http_status, int eas_status) const {
    const std::string words = provisioning_words(http_status, eas_status);
    if (!provision_enabled_) return words + " (run without --no-provision)";
    if (provisioned_) return words + ", even after a successful Provision";
    return words;
}

EasSession::Outcome EasSession::not_ok(const Reply& reply, Step& step) {
    const auto& head = reply.sent.response.head;
    if (head.status == 451) {
        redirect_head_ = head;
        return Outcome::Redirected;
    }
    step.fail(head.status == 449 ? provisioning_failure(449, 0) : http_problem(head, id_.user));
    return Outcome::Stop;
}

EasSession::Outcome EasSession::bad_status(const std::string& command, const Reply& reply,
                                           Step& step) {
    const auto& d = reply.decoded;
    if (!d.status) {
        step.fail(command + " answer carries no Status" +
                  (d.problem.empty() ? std::string() : " (" + d.problem + ")"));
    } else if (asks_for_provisioning(200, *d.status)) {
        step.fail(provisioning_failure(200, *d.status));
    } else {
        step.fail(command + " failed: " + status_text(command, d));
    }
    step.data["eas_status"] = d.status ? nlohmann::ordered_json(*d.status) : nullptr;
    return Outcome::Stop;
}

net::awaitable<EasSession::Outcome> EasSession::options(Step& step) {
    device::EasRequest request;
    device::options_request(request);
    Reply reply;
    if (!co_await send(request, step, reply)) co_return Outcome::Stop;
    if (reply.http() != 200) co_return not_ok(reply, step);

    const auto& head = reply.sent.response.head;
    const auto versions = split_list(head.value_or("MS-ASProtocolVersions"));
    const auto commands = split_list(head.value_or("MS-ASProtocolCommands"));
    step.data["versions"] = versions;
    step.data["commands"] = commands;
    step.data["server"] = head.value_or("MS-Server-ActiveSync");
    if (!versions.empty()) step.details.push_back("versions: " + join(versions));
    if (!commands.empty()) step.details.push_back("commands: " + join(commands));
    if (const auto* server = head.find("MS-Server-ActiveSync"))
        step.details.push_back("server build (MS-Server-ActiveSync): " + *server);

    if (versions.empty()) {
        step.warn(
            "HTTP 200 without MS-ASProtocolVersions: not an ActiveSync server, or something in "
            "between strips the EAS headers");
        co_return Outcome::Done;
    }
    if (!contains(versions, id_.eas_version)) {
        step.warn("EAS " + id_.eas_version + " is not offered (the server offers " +
                  join(versions) + "); the next steps use it anyway");
        co_return Outcome::Done;
    }
    std::vector<std::string> missing;
    for (const char* needed : {"Provision", "FolderSync", "Sync"}) {
        if (!commands.empty() && !contains(commands, needed)) missing.emplace_back(needed);
    }
    if (!missing.empty()) {
        step.warn("EAS " + id_.eas_version + " offered, but MS-ASProtocolCommands lacks " +
                  join(missing));
        co_return Outcome::Done;
    }
    step.pass("EAS " + id_.eas_version + " offered (" + join(versions) + ")");
    co_return Outcome::Done;
}

net::awaitable<EasSession::Outcome> EasSession::provision(Step& step) {
    device::EasRequest request;
    std::string error;
    if (!device::provision_request(id_, request, error)) {
        step.fail(error);
        co_return Outcome::Stop;
    }
    policy_key_.reset();  // MS-ASPROV: the first Provision carries no policy key
    Reply reply;
    if (!co_await send(request, step, reply)) co_return Outcome::Stop;
    if (reply.http() != 200) co_return not_ok(reply, step);
    if (reply.decoded.status != 1) co_return bad_status("Provision", reply, step);

    const auto& d = reply.decoded.doc;
    const auto root = d.root_element();
    const std::string type = text_at(d, root, {"Policies", "Policy", "PolicyType"});
    step.data["policy_type"] = type;
    if (path(d, root, {"RemoteWipe"}) != wbxml::kNoNode) {
        // Acknowledging would tell the server this device wiped itself: never from a probe.
        step.warn(
            "the server asks this device to wipe itself (RemoteWipe); not acknowledged. "
            "Check the partnership of DeviceId " +
            id_.device_id + " on the server");
        co_return Outcome::Done;
    }
    const std::string policy_status = text_at(d, root, {"Policies", "Policy", "Status"});
    if (policy_status == "2") {
        step.pass("no policy for this device (Policy Status 2): no policy key needed");
        co_return Outcome::Done;
    }
    if (policy_status != "1") {
        const int s = std::atoi(policy_status.c_str());
        step.fail("Provision: Policy Status " + policy_status + " " +
                  std::string(eas_status_name(StatusContext{"Provision", "Policy", false}, s)));
        co_return Outcome::Stop;
    }
    const std::string temporary = text_at(d, root, {"Policies", "Policy", "PolicyKey"});
    const auto temporary_key = parse_u32(temporary);
    if (!temporary_key) {
        step.fail("Provision: the server sent no usable PolicyKey ('" + temporary + "')");
        co_return Outcome::Stop;
    }
    nlohmann::ordered_json settings = nlohmann::ordered_json::object();
    const auto doc = path(d, root, {"Policies", "Policy", "Data", "EASProvisionDoc"});
    if (doc != wbxml::kNoNode) {
        for (auto c : wbxml::children(d, doc)) {
            const auto name = device::element_name(d, c);
            if (name.empty()) continue;
            settings[std::string(name)] = wbxml::text_of(d, c);
        }
    }
    std::vector<std::string> shown;
    for (const auto& [name, value] : settings.items())
        shown.push_back(name + "=" + value.get<std::string>());
    if (!shown.empty()) step.details.push_back("policy: " + join(shown, 12));
    step.data["policy"] = std::move(settings);
    step.data["temporary_key"] = temporary;

    // The acknowledgement, with the temporary key; its answer holds the final key.
    if (!device::provision_ack(id_, temporary, request, error)) {
        step.fail(error);
        co_return Outcome::Stop;
    }
    policy_key_ = *temporary_key;
    if (!co_await send(request, step, reply)) co_return Outcome::Stop;
    if (reply.http() != 200) co_return not_ok(reply, step);
    if (reply.decoded.status != 1) co_return bad_status("Provision", reply, step);
    const auto& d2 = reply.decoded.doc;
    const std::string final_text =
        text_at(d2, d2.root_element(), {"Policies", "Policy", "PolicyKey"});
    const auto final_key = parse_u32(final_text);
    if (!final_key) {
        step.fail("Provision acknowledgement: no usable final PolicyKey ('" + final_text + "')");
        co_return Outcome::Stop;
    }
    policy_key_ = *final_key;
    provisioned_ = true;
    step.data["policy_key"] = final_text;
    step.pass("policy key " + final_text + " (policy " + type + " acknowledged)");
    co_return Outcome::Done;
}

net::awaitable<EasSession::Outcome> EasSession::folder_sync(Step& step) {
    device::EasRequest request;
    std::string error;
    if (!device::foldersync_request("0", request, error)) {
        step.fail(error);
        co_return Outcome::Stop;
    }
    Reply reply;
    if (!co_await send(request, step, reply)) co_return Outcome::Stop;
    if (reply.http() != 200) co_return not_ok(reply, step);
    if (reply.decoded.status != 1) co_return bad_status("FolderSync", reply, step);

    const auto& d = reply.decoded.doc;
    const auto changes = path(d, d.root_element(), {"Changes"});
    std::vector<std::string> names;
    nlohmann::ordered_json folders = nlohmann::ordered_json::array();
    inbox_id_.clear();
    for (auto add : children_named(d, changes, "Add")) {
        const std::string name = text_at(d, add, {"DisplayName"});
        const std::string type = text_at(d, add, {"Type"});
        const std::string id = text_at(d, add, {"ServerId"});
        if (type == "2" && inbox_id_.empty()) inbox_id_ = id;
        names.push_back(name);
        const std::string kind = folder_type_name(type);
        step.details.push_back(name + " (" + (kind == name ? "" : kind + ", ") + "id " + id + ")");
        folders.push_back({{"name", name}, {"type", type}, {"id", id}});
    }
    step.data["folders"] = std::move(folders);
    if (names.empty()) {
        step.warn("the server lists no folders");
        co_return Outcome::Done;
    }
    step.pass(std::to_string(names.size()) + " folders: " + join(names, 6));
    co_return Outcome::Done;
}

net::awaitable<EasSession::Outcome> EasSession::sync_inbox(Step& step) {
    if (inbox_id_.empty()) {
        step.fail("the FolderSync answer names no Inbox (folder Type 2): nothing to sync");
        co_return Outcome::Stop;
    }
    // The initial Sync (SyncKey 0) only primes the server's state; the second fetches items.
    device::SyncParams p;
    p.collection_id = inbox_id_;
    p.filter_type = 0;  // every item, not just the last week's
    device::EasRequest request;
    std::string error;
    Reply reply;
    std::string key;
    for (int round = 0; round < 2; ++round) {
        p.sync_key = round == 0 ? "0" : key;
        if (!device::sync_request(id_, p, request, error)) {
            step.fail(error);
            co_return Outcome::Stop;
        }
        if (!co_await send(request, step, reply)) co_return Outcome::Stop;
        if (reply.http() != 200) co_return not_ok(reply, step);
        // An empty 200 is "no changes".
        if (round == 1 && reply.sent.response.body_bytes == 0) {
            step.data["items"] = 0;
            step.pass("the Inbox is empty (no items to send)");
            co_return Outcome::Done;
        }
        if (reply.decoded.status != 1) co_return bad_status("Sync", reply, step);
        const auto& d = reply.decoded.doc;
        const auto collection = path(d, d.root_element(), {"Collections", "Collection"});
        if (round == 0) {
            key = text_at(d, collection, {"SyncKey"});
            if (key.empty() || key == "0") {
                step.fail("the initial Sync gave no SyncKey");
                co_return Outcome::Stop;
            }
            step.details.push_back("initial Sync: SyncKey " + key);
            continue;
        }
        const auto commands = device::child(d, collection, "Commands");
        const auto items = children_named(d, commands, "Add").size();
        const bool more = device::child(d, collection, "MoreAvailable") != wbxml::kNoNode;
        std::vector<std::string> subjects;
        for (auto add : children_named(d, commands, "Add"))
            subjects.push_back(text_at(d, add, {"ApplicationData", "Subject"}));
        if (!subjects.empty()) step.details.push_back("subjects: " + join(subjects, 5));
        step.data["items"] = items;
        step.data["more_available"] = more;
        step.pass(std::to_string(items) + (items == 1 ? " item" : " items") + " in the Inbox" +
                  (more ? " in the first window (more available)" : ""));
    }
    co_return Outcome::Done;
}

}  // namespace eas::probe
