#include "device.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "status_words.hpp"

namespace eas::device {
namespace {

namespace asio = net::asio;

std::string seconds_text(double s) {
    char out[32];
    std::snprintf(out, sizeof out, "%g s", s);
    return out;
}

std::optional<std::uint32_t> parse_u32(const std::string& text) {
    std::uint32_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

bool provision_status(int s) {
    return s == 142 || s == 143 || s == 144;
}

}  // namespace

Device::Device(asio::any_io_executor ex, const Options& o, net::ssl::context* tls, Reporter& report,
               StopState& stop)
    : o_(o),
      report_(report),
      stop_(stop),
      conn_(ex, Connection::Settings{tls,
                                     std::chrono::milliseconds(
                                         static_cast<std::int64_t>(o.timeout_seconds * 1000)),
                                     o.decode_limit,
                                     o.proxy,
                                     {}}),
      sleep_timer_(ex),
      url_(o.url) {
    conn_.on_note = [this](const std::string& text) { report_.detail(text); };
}

void Device::on_signal() {
    if (sleeping_) sleep_timer_.cancel();
    if (conn_.busy() && (current_hold_.count() > 0 || stop_.signals > 1)) conn_.abort();
}

asio::awaitable<bool> Device::sleep(std::chrono::milliseconds d) {
    if (stop_.requested) co_return false;
    if (d.count() <= 0) co_return true;
    sleep_timer_.expires_after(d);
    sleeping_ = true;
    boost::system::error_code ec;
    co_await sleep_timer_.async_wait(asio::redirect_error(net::use_awaitable, ec));
    sleeping_ = false;
    co_return !stop_.requested;
}

std::string Device::status_words(const std::string& cmd, const Reply& reply) const {
    if (reply.decoded.status) {
        StatusContext context{cmd, reply.decoded.status_element, false};
        return std::string(eas_status_name(context, *reply.decoded.status));
    }
    const int http = reply.http();
    if (http == 200 && cmd == "Options") {
        const auto* versions = reply.sent.response.head.find("MS-ASProtocolVersions");
        return versions ? "versions " + *versions : "no MS-ASProtocolVersions";
    }
    if (http == 200) return reply.sent.response.body_bytes == 0 ? "empty body" : "OK";
    const auto meaning = http_status_meaning(http);
    return meaning.empty() ? reply.sent.response.head.reason : std::string(meaning);
}

Outcome Device::answer_failure(const std::string& cmd, const Reply& reply) const {
    const int http = reply.http();
    if (http != 200)
        return Outcome::failed(cmd + ": HTTP " + std::to_string(http) + " " +
                               status_words(cmd, reply));
    if (!reply.decoded.status) {
        const auto& problem = reply.decoded.problem;
        return Outcome::failed(cmd + ": the answer carries no Status" +
                               (problem.empty() ? std::string() : " (" + problem + ")"));
    }
    const std::string words = status_words(cmd, reply);
    return Outcome::failed(cmd + ": Status " + std::to_string(reply.decoded.status.value_or(0)) +
                           (words.empty() ? "" : " " + words));
}

asio::awaitable<Outcome> Device::exchange(const EasRequest& request, Reply& reply) {
    int hops = 0;
    int retries = 0;
    for (;;) {
        http::MessageHead head;
        std::string error;
        if (!build_head(o_, request, url_, policy_key_, head, error))
            co_return Outcome::failed(request.command + ": " + error);

        current_hold_ = request.hold;
        reply = Reply{};
        reply.sent = co_await conn_.send(url_, head, request.body, request.hold);
        current_hold_ = std::chrono::milliseconds(0);
        const auto& response = reply.sent.response;
        if (reply.sent.ok()) reply.decoded = decode_response(response);

        const std::string* location = reply.sent.ok() && response.head.status == 451
                                          ? response.head.find("X-MS-Location")
                                          : nullptr;
        ExchangeRecord record;
        record.cmd = request.command;
        record.url = url_.scheme + "://" + url_.host_header() + head.target;
        record.http_status = reply.sent.ok() ? response.head.status : 0;
        record.eas_status = reply.decoded.status;
        record.status_words = reply.sent.ok() ? status_words(request.command, reply) : "";
        record.ms = reply.sent.elapsed.count();
        record.bytes_sent = reply.sent.bytes_sent;
        record.bytes_received = response.body_bytes;
        if (location) record.redirect_to = *location;
        record.reused_connection = reply.sent.reused;
        record.error = reply.sent.error;
        record.interrupted = reply.sent.failure == SendResult::Failure::Aborted;
        if (report_.verbose()) {
            record.request_head = &head;
            record.request_body = body_for_display(request.content_type, "", request.body, true,
                                                   request.body.size(), true);
            if (reply.sent.ok()) {
                record.response_head = &response.head;
                record.response_body =
                    body_for_display(response.head.value_or("Content-Type"),
                                     response.head.value_or("Content-Encoding"), response.body,
                                     response.body_complete, response.body_bytes, false);
            }
        }
        report_.exchange(record);

        if (!reply.sent.ok()) {
            if (reply.sent.failure == SendResult::Failure::Aborted || stop_.requested) {
                co_return Outcome{Outcome::Kind::Stopped, request.command + " interrupted"};
            }
            co_return Outcome{Outcome::Kind::ConnectionError,
                              request.command + ": " + reply.sent.error};
        }
        if (stop_.requested) co_return Outcome{Outcome::Kind::Stopped, "after " + request.command};
        if (response.head.status != 451) co_return Outcome{};

        if (o_.behaviour == Behaviour::Compliant) {
            if (!location || location->empty()) {
                co_return Outcome::failed(
                    request.command +
                    ": server error: HTTP 451 without X-MS-Location, so there is nowhere to "
                    "go (real clients crash on this; the server is at fault)");
            }
            std::string why;
            auto target = parse_url(*location, &why);
            if (!target) {
                co_return Outcome::failed(request.command + ": server error: X-MS-Location '" +
                                          *location + "' is unusable: " + why);
            }
            if (hops >= o_.max_redirects) {
                co_return Outcome::failed(
                    request.command + ": too many redirects (" + std::to_string(hops) +
                    " followed, still HTTP 451; last X-MS-Location " + *location + ")");
            }
            ++hops;
            // A location without a path keeps the current one (AOSP takes only the host).
            if (target->path.empty()) target->path = url_.path;
            report_.note("451: moving to " + target->to_string());
            if (target->origin() != url_.origin())
                report_.detail("new origin: a new connection to " + target->origin());
            url_ = *target;
            continue;
        }

        // Legacy: the device does not understand 451 and treats it like any server error.
        if (retries >= o_.retries) {
            co_return Outcome::failed(
                request.command + ": still HTTP 451 after " + std::to_string(retries) +
                (retries == 1 ? " retry of " : " retries of ") + url_.to_string() +
                ": this legacy device ignores redirects" +
                (location ? " (X-MS-Location was " + *location + ")" : std::string()));
        }
        ++retries;
        report_.note("451 ignored (legacy device" +
                     (location ? std::string(", X-MS-Location not used")
                               : std::string(", no X-MS-Location either")) +
                     "): retrying the same URL in " + seconds_text(o_.retry_delay_seconds) +
                     " (retry " + std::to_string(retries) + " of " + std::to_string(o_.retries) +
                     ")");
        if (!co_await sleep(std::chrono::milliseconds(
                static_cast<std::int64_t>(o_.retry_delay_seconds * 1000)))) {
            co_return Outcome{Outcome::Kind::Stopped, "while waiting to retry " + request.command};
        }
    }
}

asio::awaitable<Outcome> Device::command(const EasRequest& request, Reply& reply) {
    Outcome out = co_await exchange(request, reply);
    if (!out.ok()) co_return out;
    auto needs_provision = [&reply] {
        return reply.http() == 449 || (reply.http() == 200 && reply.decoded.status &&
                                       provision_status(*reply.decoded.status));
    };
    if (request.command == "Provision" || !needs_provision()) co_return out;

    report_.note((reply.http() == 449 ? std::string("HTTP 449")
                                      : "Status " + std::to_string(*reply.decoded.status) + " " +
                                            status_words(request.command, reply)) +
                 ": provisioning, then sending " + request.command + " again");
    out = co_await provision();
    if (!out.ok()) co_return out;
    out = co_await exchange(request, reply);
    if (!out.ok()) co_return out;
    if (needs_provision()) {
        co_return Outcome::failed(request.command +
                                  ": the server still asks for provisioning after a successful "
                                  "Provision (" +
                                  status_words(request.command, reply) + ")");
    }
    co_return out;
}

asio::awaitable<Outcome> Device::provision() {
    EasRequest request;
    std::string error;
    if (!provision_request(o_, request, error)) co_return Outcome::failed(error);
    policy_key_.reset();  // MS-ASPROV: the initial Provision carries no policy key
    Reply reply;
    Outcome out = co_await exchange(request, reply);
    if (!out.ok()) co_return out;
    if (reply.http() != 200 || reply.decoded.status != 1)
        co_return answer_failure("Provision", reply);

    const auto& d = reply.decoded.doc;
    const auto root = d.root_element();
    if (path(d, root, {"RemoteWipe"}) != wbxml::kNoNode) {
        report_.note(
            "Provision: the server asks for a remote wipe (the simulator does not wipe; it goes "
            "on)");
    }
    const std::string policy_status = text_at(d, root, {"Policies", "Policy", "Status"});
    if (policy_status == "2") {
        report_.note(
            "Provision: no policy for this device (Policy Status 2): going on without a policy "
            "key");
        co_return Outcome{};
    }
    if (policy_status != "1") {
        co_return Outcome::failed(
            "Provision: Policy Status " + policy_status + " " +
            std::string(eas_status_name(StatusContext{"Provision", "Policy", false},
                                        std::atoi(policy_status.c_str()))));
    }
    const std::string temporary = text_at(d, root, {"Policies", "Policy", "PolicyKey"});
    const auto temporary_key = parse_u32(temporary);
    if (!temporary_key)
        co_return Outcome::failed("Provision: the server sent no usable PolicyKey ('" + temporary +
                                  "')");

    // Phase 2: acknowledge the policy with the temporary key; the answer holds the final key.
    if (!provision_ack(o_, temporary, request, error)) co_return Outcome::failed(error);
    policy_key_ = *temporary_key;
    out = co_await exchange(request, reply);
    if (!out.ok()) co_return out;
    if (reply.http() != 200 || reply.decoded.status != 1)
        co_return answer_failure("Provision", reply);
    const auto& d2 = reply.decoded.doc;
    const std::string final_text =
        text_at(d2, d2.root_element(), {"Policies", "Policy", "PolicyKey"});
    const auto final_key = parse_u32(final_text);
    if (!final_key)
        co_return Outcome::failed("Provision acknowledgement: no usable final PolicyKey ('" +
                                  final_text + "')");
    policy_key_ = *final_key;
    report_.note("provisioned: policy key " + final_text);
    co_return Outcome{};
}

asio::awaitable<Outcome> Device::run(const Step& step) {
    switch (step.kind) {
        case Step::Kind::Options:
            co_return co_await do_options();
        case Step::Kind::Provision:
            co_return co_await provision();
        case Step::Kind::FolderSync:
            co_return co_await do_foldersync();
        case Step::Kind::Sync:
            co_return co_await do_sync(step);
        case Step::Kind::Ping:
            co_return co_await do_ping(step);
        case Step::Kind::SendMail:
            co_return co_await do_sendmail(step);
        case Step::Kind::Fetch:
            co_return co_await do_fetch(step);
    }
    co_return Outcome::failed("unknown step");
}

asio::awaitable<Outcome> Device::do_options() {
    EasRequest request;
    options_request(request);
    Reply reply;
    Outcome out = co_await exchange(request, reply);
    if (!out.ok()) co_return out;
    if (reply.http() != 200) co_return answer_failure("Options", reply);
    const auto& head = reply.sent.response.head;
    const std::string versions = head.value_or("MS-ASProtocolVersions");
    if (versions.empty()) {
        report_.note("Options: the server lists no MS-ASProtocolVersions");
        co_return out;
    }
    bool offered = false;
    std::size_t pos = 0;
    while (pos <= versions.size()) {
        auto comma = versions.find(',', pos);
        if (comma == std::string::npos) comma = versions.size();
        std::string v = versions.substr(pos, comma - pos);
        v.erase(0, v.find_first_not_of(' '));
        v.erase(v.find_last_not_of(' ') + 1);
        if (v == o_.eas_version) offered = true;
        pos = comma + 1;
    }
    report_.detail("Options: server offers EAS " + versions + "; commands " +
                   head.value_or("MS-ASProtocolCommands"));
    if (!offered)
        report_.note("Options: the server does not offer EAS " + o_.eas_version + " (offers " +
                     versions + ")");
    co_return out;
}

asio::awaitable<Outcome> Device::do_foldersync() {
    for (int attempt = 0;; ++attempt) {
        EasRequest request;
        std::string error;
        if (!foldersync_request(folder_sync_key_, request, error)) co_return Outcome::failed(error);
        Reply reply;
        Outcome out = co_await command(request, reply);
        if (!out.ok()) co_return out;
        if (reply.http() != 200) co_return answer_failure("FolderSync", reply);
        if (reply.decoded.status == 9 && attempt == 0 && folder_sync_key_ != "0") {
            report_.note("FolderSync: SyncKey refused (Status 9): starting over with SyncKey 0");
            folder_sync_key_ = "0";
            continue;
        }
        if (reply.decoded.status != 1) co_return answer_failure("FolderSync", reply);
        const auto& d = reply.decoded.doc;
        const auto root = d.root_element();
        const std::string key = text_at(d, root, {"SyncKey"});
        if (!key.empty()) folder_sync_key_ = key;
        const auto changes = path(d, root, {"Changes"});
        int folders = 0;
        for (auto add : children_named(d, changes, "Add")) {
            ++folders;
            // Type 2 is the default Inbox (MS-ASCMD FolderSync Type).
            if (text_at(d, add, {"Type"}) == "2") {
                const std::string id = text_at(d, add, {"ServerId"});
                if (!id.empty() && id != inbox_id_) {
                    inbox_id_ = id;
                    sync_key_ = "0";
                }
            }
        }
        report_.detail("FolderSync: " + std::to_string(folders) + " folders added; Inbox is " +
                       (inbox_id_.empty() ? std::string("unknown") : inbox_id_) +
                       "; FolderSync key " + folder_sync_key_);
        co_return out;
    }
}

asio::awaitable<Outcome> Device::do_sync(const Step& step) {
    if (inbox_id_.empty())
        co_return Outcome::failed("sync: no Inbox collection id yet (run foldersync first)");
    for (int attempt = 0;; ++attempt) {
        SyncParams p;
        p.collection_id = inbox_id_;
        p.sync_key = sync_key_;
        p.wait_minutes = step.sync_wait_minutes;
        p.heartbeat_seconds = step.heartbeat_seconds;
        EasRequest request;
        std::string error;
        if (!sync_request(o_, p, request, error)) co_return Outcome::failed(error);
        Reply reply;
        Outcome out = co_await command(request, reply);
        if (!out.ok()) co_return out;
        if (reply.http() != 200) co_return answer_failure("Sync", reply);
        if (reply.sent.response.body_bytes == 0) {
            // An empty 200 is "nothing changed" (and what a Sync Wait that expired returns).
            report_.detail("Sync: no changes");
            co_return out;
        }
        if (reply.decoded.status == 3 && attempt == 0 && sync_key_ != "0") {
            report_.note("Sync: SyncKey refused (Status 3): starting over with SyncKey 0");
            sync_key_ = "0";
            continue;
        }
        if (reply.decoded.status != 1) co_return answer_failure("Sync", reply);
        const auto& d = reply.decoded.doc;
        const auto collection = path(d, d.root_element(), {"Collections", "Collection"});
        const std::string key = text_at(d, collection, {"SyncKey"});
        if (!key.empty()) sync_key_ = key;
        const auto commands = child(d, collection, "Commands");
        const auto added = children_named(d, commands, "Add").size();
        const auto changed = children_named(d, commands, "Change").size();
        const auto deleted = children_named(d, commands, "Delete").size();
        const bool more = child(d, collection, "MoreAvailable") != wbxml::kNoNode;
        report_.detail("Sync: " + std::to_string(added) + " added, " + std::to_string(changed) +
                       " changed, " + std::to_string(deleted) + " deleted" +
                       (more ? ", more available" : "") + "; SyncKey " + sync_key_);
        co_return out;
    }
}

asio::awaitable<Outcome> Device::do_ping(const Step& step) {
    EasRequest request;
    std::string error;
    if (!ping_request(step.heartbeat_seconds, inbox_id_, request, error))
        co_return Outcome::failed(error);
    Reply reply;
    Outcome out = co_await command(request, reply);
    if (!out.ok()) co_return out;
    if (reply.http() != 200) co_return answer_failure("Ping", reply);
    if (!reply.decoded.status) co_return Outcome::failed("Ping: the answer carries no Status");
    if (*reply.decoded.status == 2) {
        const auto& d = reply.decoded.doc;
        std::string ids;
        for (auto f : children_named(d, path(d, d.root_element(), {"Folders"}), "Folder")) {
            ids += (ids.empty() ? "" : ",") + wbxml::text_of(d, f);
        }
        report_.detail("Ping: changes in folder(s) " + ids);
        co_return out;
    }
    if (*reply.decoded.status != 1) co_return answer_failure("Ping", reply);
    co_return out;
}

asio::awaitable<Outcome> Device::do_sendmail(const Step& step) {
    EasRequest request;
    std::string error;
    if (!sendmail_request(o_, step.argument, ++mail_serial_, request, error))
        co_return Outcome::failed(error);
    Reply reply;
    Outcome out = co_await command(request, reply);
    if (!out.ok()) co_return out;
    if (reply.http() != 200) co_return answer_failure("SendMail", reply);
    // Success is an empty 200; a body only comes with a failure Status.
    if (reply.decoded.status && *reply.decoded.status != 1)
        co_return answer_failure("SendMail", reply);
    co_return out;
}

asio::awaitable<Outcome> Device::do_fetch(const Step& step) {
    EasRequest request;
    std::string error;
    if (!fetch_request(step.argument, request, error)) co_return Outcome::failed(error);
    Reply reply;
    Outcome out = co_await command(request, reply);
    if (!out.ok()) co_return out;
    if (reply.http() != 200) co_return answer_failure("ItemOperations", reply);
    const auto& decoded = reply.decoded;
    if (!decoded.has_document) {
        co_return Outcome::failed(
            "ItemOperations: answer not decoded" +
            (decoded.problem.empty() ? std::string() : ": " + decoded.problem));
    }
    if (decoded.status != 1) co_return answer_failure("ItemOperations", reply);
    const auto& d = decoded.doc;
    const std::string fetch_status = text_at(d, d.root_element(), {"Response", "Fetch", "Status"});
    if (!fetch_status.empty() && fetch_status != "1") {
        co_return Outcome::failed(
            "ItemOperations: Fetch Status " + fetch_status + " " +
            std::string(eas_status_name("ItemOperations", std::atoi(fetch_status.c_str()))));
    }
    std::string parts;
    if (decoded.multipart) {
        parts = ", multipart with " + std::to_string(decoded.part_sizes.size()) + " parts";
        for (std::size_t i = 1; i < decoded.part_sizes.size(); ++i) {
            parts += (i == 1 ? ": " : ", ") + std::string("part ") + std::to_string(i) + " " +
                     std::to_string(decoded.part_sizes[i]) + " bytes";
        }
    }
    report_.note("fetch " + step.argument + ": received " +
                 std::to_string(reply.sent.response.body_bytes) + " bytes" + parts);
    co_return out;
}

}  // namespace eas::device
