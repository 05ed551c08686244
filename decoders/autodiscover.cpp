#include "autodiscover.hpp"

#include <expat.h>

#include <algorithm>
#include <memory>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "ascii.hpp"

namespace eas {
namespace {

// Never valid in an XML 1.0 document, not even as &#1;, so it cannot occur inside a namespace
// URI and splitting expat's "uri<sep>local" names on it is unambiguous.
constexpr char kNsSeparator = '\x01';

// Autodiscover bodies nest about 6 deep; the element stack costs memory per level, and a
// hostile body of "<a><a><a>..." should not cost more than a few kilobytes of it.
constexpr std::size_t kMaxDepth = 100;

bool icontains(std::string_view haystack, std::string_view needle) {
    return to_lower(haystack).find(to_lower(needle)) != std::string::npos;
}

// Base for the request and response readers: owns the expat parser, the element stack and the
// text of the element being read; subclasses see one start and one end event per element.
class Reader {
  public:
    virtual ~Reader() = default;

    std::optional<DecodeError> parse(std::string_view xml, bool namespaces) {
        // Some servers and proxies put a newline before "<?xml", which XML forbids; skipping it
        // costs nothing and the offsets below account for it.
        std::size_t skip = 0;
        {
            const std::size_t b = xml.find_first_not_of(" \t\r\n");
            if (b != 0 && b != std::string_view::npos && xml.substr(b).starts_with("<?xml")) {
                skip = b;
            }
        }
        const std::string_view body = xml.substr(skip);
        body_ = body;

        namespaces_ = namespaces;
        std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> holder(
            namespaces ? XML_ParserCreateNS(nullptr, kNsSeparator) : XML_ParserCreate(nullptr),
            &XML_ParserFree);
        if (!holder) return DecodeError{0, "could not start the XML parser (out of memory)"};
        parser_ = holder.get();
        XML_SetUserData(parser_, this);
        XML_SetElementHandler(parser_, &Reader::start_cb, &Reader::end_cb);
        XML_SetCharacterDataHandler(parser_, &Reader::text_cb);
        XML_SetStartDoctypeDeclHandler(parser_, &Reader::doctype_cb);
        XML_SetEntityDeclHandler(parser_, &Reader::entity_cb);
        XML_SetParamEntityParsing(parser_, XML_PARAM_ENTITY_PARSING_NEVER);

        // XML_Parse takes an int length.
        constexpr std::size_t kSlice = std::size_t{1} << 30;
        std::size_t pos = 0;
        XML_Status status = XML_STATUS_OK;
        do {
            const std::size_t n = std::min(body.size() - pos, kSlice);
            const bool last = pos + n == body.size();
            status = XML_Parse(parser_, body.data() + pos, static_cast<int>(n), last ? 1 : 0);
            pos += n;
        } while (status == XML_STATUS_OK && pos < body.size());

        std::optional<DecodeError> result;
        if (stop_) {
            result = std::move(stop_);
            result->offset += skip;
        } else if (status != XML_STATUS_OK) {
            const XML_Error code = XML_GetErrorCode(parser_);
            unbound_prefix_ = code == XML_ERROR_UNBOUND_PREFIX;
            const XML_Index index = XML_GetCurrentByteIndex(parser_);
            const std::uint64_t at = (index < 0 ? 0 : static_cast<std::uint64_t>(index)) + skip;
            const char* what = XML_ErrorString(code);
            const std::string where = "line " + std::to_string(XML_GetCurrentLineNumber(parser_)) +
                                      ", column " +
                                      std::to_string(XML_GetCurrentColumnNumber(parser_) + 1) +
                                      " (byte " + std::to_string(at) + ")";
            const bool at_end = at >= xml.size();
            // expat's "no element found" for a cut-off body sends engineers looking for a
            // missing element; say what happened instead.
            if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
                result = DecodeError{at, "empty body: no XML to decode"};
            } else if (at_end &&
                       (code == XML_ERROR_NO_ELEMENTS || code == XML_ERROR_UNCLOSED_TOKEN ||
                        code == XML_ERROR_PARTIAL_CHAR ||
                        code == XML_ERROR_UNCLOSED_CDATA_SECTION)) {
                result = DecodeError{at, "XML ends early at " + where + " with " +
                                             std::to_string(stack_.size()) +
                                             " elements still open (truncated body?)"};
            } else {
                result = DecodeError{at, "malformed XML at " + where + ": " +
                                             (what != nullptr ? what : "unknown error")};
            }
        }
        parser_ = nullptr;
        return result;
    }

    bool unbound_prefix() const { return unbound_prefix_; }
    // Lower-cased local name of the root element; empty when there was none.
    const std::string& root() const { return root_; }

  protected:
    // The element just opened or about to close is at up == 0, its parent at up == 1.
    std::string_view local(std::size_t up = 0) const {
        return up < stack_.size() ? std::string_view(stack_[stack_.size() - 1 - up].local)
                                  : std::string_view();
    }
    std::string_view ns(std::size_t up = 0) const {
        return up < stack_.size() ? std::string_view(stack_[stack_.size() - 1 - up].ns)
                                  : std::string_view();
    }
    std::size_t depth() const { return stack_.size(); }

    // Value of an attribute by case-insensitive local name; attributes are (name, value) pairs.
    std::string attribute(const XML_Char** attrs, std::string_view wanted) const {
        for (std::size_t i = 0; attrs[i] != nullptr && attrs[i + 1] != nullptr; i += 2) {
            std::string_view ns_part;
            std::string_view name;
            split(attrs[i], ns_part, name);
            if (iequals(name, wanted)) return std::string(trim(attrs[i + 1]));
        }
        return {};
    }

    virtual void on_start(const XML_Char** attrs) = 0;
    // text: the element's own character data, trimmed.
    virtual void on_end(std::string_view text) = 0;

  private:
    struct Frame {
        std::string local;  // lower-cased
        std::string ns;
    };

    void split(std::string_view full, std::string_view& ns_part, std::string_view& name) const {
        const std::size_t cut = full.rfind(namespaces_ ? kNsSeparator : ':');
        if (cut == std::string_view::npos) {
            ns_part = {};
            name = full;
        } else {
            // Without namespace processing "a:Foo" keeps no namespace, only its local part.
            ns_part = namespaces_ ? full.substr(0, cut) : std::string_view();
            name = full.substr(cut + 1);
        }
    }

    void stop(std::string reason, std::string_view starts_with = {}) {
        if (stop_) return;
        const XML_Index index = XML_GetCurrentByteIndex(parser_);
        std::size_t at = index < 0 ? 0 : static_cast<std::size_t>(index);
        // expat reports the DOCTYPE event past its name; point at the declaration itself.
        if (!starts_with.empty()) {
            const std::size_t found = body_.rfind(starts_with, at);
            if (found != std::string_view::npos) at = found;
        }
        stop_ = DecodeError{at, std::move(reason)};
        XML_StopParser(parser_, XML_FALSE);
    }

    static void XMLCALL start_cb(void* user, const XML_Char* name, const XML_Char** attrs) {
        auto* self = static_cast<Reader*>(user);
        if (self->stop_) return;
        if (self->stack_.size() >= kMaxDepth) {
            self->stop("elements nested more than " + std::to_string(kMaxDepth) +
                       " levels deep; an Autodiscover body has about 6");
            return;
        }
        std::string_view ns_part;
        std::string_view local_name;
        self->split(name, ns_part, local_name);
        self->stack_.push_back({to_lower(local_name), std::string(ns_part)});
        if (self->stack_.size() == 1 && self->root_.empty()) self->root_ = self->stack_[0].local;
        self->text_.clear();
        self->on_start(attrs);
    }

    static void XMLCALL end_cb(void* user, const XML_Char* /*name*/) {
        auto* self = static_cast<Reader*>(user);
        if (self->stop_ || self->stack_.empty()) return;
        self->on_end(trim(self->text_));
        self->text_.clear();
        self->stack_.pop_back();
    }

    static void XMLCALL text_cb(void* user, const XML_Char* s, int len) {
        auto* self = static_cast<Reader*>(user);
        if (len > 0) self->text_.append(s, static_cast<std::size_t>(len));
    }

    static void XMLCALL doctype_cb(void* user, const XML_Char* /*name*/, const XML_Char*,
                                   const XML_Char*, int /*has_internal_subset*/) {
        static_cast<Reader*>(user)->stop(
            "the body has a DOCTYPE declaration, which Autodiscover never uses; refused so "
            "that no entity can be declared or expanded (entity-expansion attack?)",
            "<!DOCTYPE");
    }

    static void XMLCALL entity_cb(void* user, const XML_Char*, int, const XML_Char*, int,
                                  const XML_Char*, const XML_Char*, const XML_Char*,
                                  const XML_Char*) {
        static_cast<Reader*>(user)->stop("entity declarations are not allowed in Autodiscover");
    }

    XML_Parser parser_ = nullptr;
    std::string_view body_;  // what expat is parsing, for offsets found by search
    bool namespaces_ = true;
    bool unbound_prefix_ = false;
    std::vector<Frame> stack_;
    std::string text_;
    std::string root_;
    std::optional<DecodeError> stop_;
};

AutodiscoverSchema schema_of_namespace(std::string_view ns) {
    if (icontains(ns, "/mobilesync/")) return AutodiscoverSchema::MobileSync;
    if (icontains(ns, "/outlook/")) return AutodiscoverSchema::Outlook;
    return AutodiscoverSchema::Unknown;
}

// Runs a reader with namespaces; a body that uses an undeclared prefix ("a:Autodiscover"
// without xmlns:a) is read again without namespace processing instead of being rejected.
template <class R>
R run(std::string_view xml) {
    R reader;
    std::optional<DecodeError> error = reader.parse(xml, true);
    if (error && reader.unbound_prefix()) {
        R retry;
        std::optional<DecodeError> second = retry.parse(xml, false);
        retry.result.warnings.push_back(
            "the body uses a namespace prefix it never declares; read without namespaces");
        retry.finish(std::move(second));
        return retry;
    }
    reader.finish(std::move(error));
    return reader;
}

class RequestReader : public Reader {
  public:
    AutodiscoverRequest result;

    void finish(std::optional<DecodeError> error) {
        result.error = std::move(error);
        auto& w = result.warnings;
        if (!root().empty() && root() != "autodiscover") {
            w.push_back("root element is <" + root() + ">, not <Autodiscover>");
        }
        if (result.error) return;  // the missing pieces below are explained by the error
        if (result.email_address.empty()) w.push_back("the request has no EMailAddress");
        if (result.acceptable_response_schema.empty()) {
            w.push_back("the request has no AcceptableResponseSchema");
        } else if (!result.mobilesync_response_requested) {
            w.push_back("AcceptableResponseSchema is \"" + result.acceptable_response_schema +
                        "\", not the mobilesync response schema: Exchange answers in that "
                        "schema or with ErrorCode 601");
        }
    }

  protected:
    void on_start(const XML_Char** /*attrs*/) override {
        if (depth() == 1) result.schema = schema_of_namespace(ns());
    }

    void on_end(std::string_view text) override {
        // Matched wherever they sit: some clients leave out the <Request> wrapper.
        const std::string_view l = local();
        if (l == "emailaddress" && result.email_address.empty()) {
            result.email_address = text;
        } else if (l == "acceptableresponseschema" && result.acceptable_response_schema.empty()) {
            result.acceptable_response_schema = text;
            result.mobilesync_response_requested = iequals(text, kMobileSyncResponseSchema);
        } else if (l == "legacydn" && result.legacy_dn.empty()) {
            result.legacy_dn = text;
        }
    }
};

class ResponseReader : public Reader {
  public:
    AutodiscoverResponse result;

    void finish(std::optional<DecodeError> error) {
        result.error = std::move(error);
        auto& r = result;
        auto& w = r.warnings;

        r.schema = schema_of_namespace(response_ns_);
        if (r.schema == AutodiscoverSchema::Unknown) {
            if (account_seen_) {
                r.schema = AutodiscoverSchema::Outlook;
            } else if (mobilesync_shape_) {
                r.schema = AutodiscoverSchema::MobileSync;
            }
        }

        for (const auto& s : r.servers) {
            if (iequals(s.type, "MobileSync")) {
                // MS-ASCMD: Name also carries the URL for MobileSync; some servers fill only it.
                r.mobilesync_url = !s.url.empty() ? s.url : s.name;
                break;
            }
        }

        const std::string action = to_lower(r.outlook_action);
        const bool root_ok = root() == "autodiscover";
        if (!root().empty() && !root_ok) {
            w.push_back("root element is <" + root() + ">, not <Autodiscover>");
        }
        if (!root_ok) {
            r.kind = AutodiscoverKind::Unknown;
        } else if (!r.redirect_url.empty() || action == "redirecturl") {
            r.kind = AutodiscoverKind::RedirectUrl;
        } else if (!r.redirect_address.empty() || action == "redirectaddr") {
            r.kind = AutodiscoverKind::RedirectAddress;
        } else if (settings_seen_ || action == "settings") {
            r.kind = AutodiscoverKind::Settings;
        } else if (r.server_error) {
            r.kind = AutodiscoverKind::Error;
        } else {
            r.kind = AutodiscoverKind::Unknown;
        }

        if (!action.empty() && action != "settings" && action != "redirectaddr" &&
            action != "redirecturl") {
            w.push_back("unknown Account Action \"" + r.outlook_action + "\"");
        }
        if (action == "redirecturl" && r.redirect_url.empty()) {
            w.push_back("Action is redirectUrl but there is no RedirectUrl");
        }
        if (action == "redirectaddr" && r.redirect_address.empty()) {
            w.push_back("Action is redirectAddr but there is no RedirectAddr");
        }
        if (r.server_error && r.kind != AutodiscoverKind::Error) {
            w.push_back("the response has an Error as well as an Action result");
        }
        if (extra_errors_ > 0) {
            w.push_back(std::to_string(extra_errors_) +
                        " further Error elements after the first were ignored");
        }
        if (!r.error && r.kind == AutodiscoverKind::Settings &&
            r.schema == AutodiscoverSchema::MobileSync && r.mobilesync_url.empty()) {
            w.push_back("Settings list no MobileSync server URL");
        }
        if (r.schema == AutodiscoverSchema::Outlook) {
            w.push_back(
                "the response uses the Outlook schema, not the mobilesync one mobile "
                "clients ask for");
        }
    }

  protected:
    void on_start(const XML_Char** attrs) override {
        const std::string_view l = local();
        const std::string_view p = local(1);
        if (l == "response" && !response_seen_) {
            response_seen_ = true;
            response_ns_ = ns();
        } else if (l == "server" && p == "settings") {
            result.servers.emplace_back();
            in_server_ = true;
        } else if (l == "protocol" && p == "account") {
            result.servers.emplace_back();
            result.servers.back().type = attribute(attrs, "type");
            in_protocol_ = true;
        } else if (l == "settings" && p == "action") {
            settings_seen_ = true;
            mobilesync_shape_ = true;
        } else if (l == "redirect" && p == "action") {
            mobilesync_shape_ = true;
        } else if (l == "account") {
            account_seen_ = true;
        } else if (l == "error" && (p == "response" || p == "action")) {
            if (error_depth_ != 0 || result.server_error) {
                ++extra_errors_;
            } else {
                error_depth_ = depth();
                current_error_ = AutodiscoverServerError{};
                current_error_.time = attribute(attrs, "time");
                current_error_.id = attribute(attrs, "id");
                current_error_.top_level = p == "response";
            }
        }
    }

    void on_end(std::string_view text) override {
        const std::string_view l = local();
        const std::string_view p = local(1);
        auto& r = result;
        if (p == "response" && l == "culture") {
            r.culture = text;
        } else if (p == "user") {
            if (l == "displayname") {
                r.display_name = text;
            } else if (l == "emailaddress" ||
                       (l == "autodiscoversmtpaddress" && r.email_address.empty())) {
                r.email_address = text;
            }
        } else if (p == "server" && local(2) == "settings" && in_server_) {
            auto& s = r.servers.back();
            if (l == "type") s.type = text;
            if (l == "url") s.url = text;
            if (l == "name") s.name = text;
            if (l == "serverdata") s.server_data = text;
        } else if (l == "server" && p == "settings") {
            in_server_ = false;
        } else if (p == "protocol" && local(2) == "account" && in_protocol_) {
            auto& s = r.servers.back();
            if (l == "type") s.type = text;
            if (l == "server") s.name = text;
            if (l == "ewsurl") s.url = text;
        } else if (l == "protocol" && p == "account") {
            in_protocol_ = false;
        } else if (l == "redirect" && p == "action") {
            r.redirect_address = text;
        } else if (p == "account") {
            if (l == "action") r.outlook_action = text;
            if (l == "redirectaddr") r.redirect_address = text;
            if (l == "redirecturl") r.redirect_url = text;
        } else if (p == "error" && error_depth_ != 0 && depth() == error_depth_ + 1) {
            if (l == "status") current_error_.status = text;
            if (l == "message") current_error_.message = text;
            if (l == "debugdata") current_error_.debug_data = text;
            if (l == "errorcode") current_error_.error_code = text;
        } else if (l == "error" && depth() == error_depth_) {
            r.server_error = std::move(current_error_);
            error_depth_ = 0;
        }
    }

  private:
    std::string response_ns_;
    bool response_seen_ = false;
    bool in_server_ = false;
    bool in_protocol_ = false;
    bool settings_seen_ = false;
    bool account_seen_ = false;
    bool mobilesync_shape_ = false;
    std::size_t error_depth_ = 0;  // depth of the Error being read, 0 when none
    std::size_t extra_errors_ = 0;
    AutodiscoverServerError current_error_;
};

nlohmann::json error_json(const std::optional<DecodeError>& e) {
    if (!e) return nullptr;
    return {{"offset", e->offset}, {"reason", e->reason}};
}

}  // namespace

AutodiscoverRequest decode_autodiscover_request(std::string_view xml) {
    return std::move(run<RequestReader>(xml).result);
}

AutodiscoverResponse decode_autodiscover_response(std::string_view xml) {
    return std::move(run<ResponseReader>(xml).result);
}

std::string_view to_string(AutodiscoverKind kind) {
    switch (kind) {
        case AutodiscoverKind::Settings:
            return "settings";
        case AutodiscoverKind::RedirectAddress:
            return "redirect_address";
        case AutodiscoverKind::RedirectUrl:
            return "redirect_url";
        case AutodiscoverKind::Error:
            return "error";
        case AutodiscoverKind::Unknown:
            return "unknown";
    }
    return "unknown";
}

std::string_view to_string(AutodiscoverSchema schema) {
    switch (schema) {
        case AutodiscoverSchema::MobileSync:
            return "mobilesync";
        case AutodiscoverSchema::Outlook:
            return "outlook";
        case AutodiscoverSchema::Unknown:
            return "unknown";
    }
    return "unknown";
}

std::string_view autodiscover_error_meaning(std::string_view error_code) {
    const std::string_view code = trim(error_code);
    if (code == "500") return "the e-mail address cannot be found";
    if (code == "501") return "the e-mail address is known but has no configuration to offer";
    if (code == "600") return "invalid request: the server could not read the request XML";
    if (code == "601") {
        return "no provider for the requested AcceptableResponseSchema (the client asked for a "
               "schema this server does not serve)";
    }
    if (code == "602") return "the e-mail address is known but its configuration is broken";
    if (code == "603") return "the Autodiscover server had an internal error";
    return {};
}

nlohmann::json to_json(const AutodiscoverRequest& request) {
    return {
        {"schema", to_string(request.schema)},
        {"email_address", request.email_address},
        {"acceptable_response_schema", request.acceptable_response_schema},
        {"mobilesync_response_requested", request.mobilesync_response_requested},
        {"legacy_dn", request.legacy_dn},
        {"warnings", request.warnings},
        {"error", error_json(request.error)},
    };
}

nlohmann::json to_json(const AutodiscoverResponse& response) {
    nlohmann::json servers = nlohmann::json::array();
    for (const auto& s : response.servers) {
        servers.push_back(
            {{"type", s.type}, {"url", s.url}, {"name", s.name}, {"server_data", s.server_data}});
    }
    nlohmann::json server_error = nullptr;
    if (response.server_error) {
        const auto& e = *response.server_error;
        server_error = {
            {"status", e.status},
            {"message", e.message},
            {"debug_data", e.debug_data},
            {"error_code", e.error_code},
            {"meaning", autodiscover_error_meaning(e.error_code)},
            {"time", e.time},
            {"id", e.id},
            {"top_level", e.top_level},
        };
    }
    return {
        {"kind", to_string(response.kind)},
        {"schema", to_string(response.schema)},
        {"culture", response.culture},
        {"display_name", response.display_name},
        {"email_address", response.email_address},
        {"servers", std::move(servers)},
        {"mobilesync_url", response.mobilesync_url},
        {"redirect_address", response.redirect_address},
        {"redirect_url", response.redirect_url},
        {"outlook_action", response.outlook_action},
        {"server_error", std::move(server_error)},
        {"warnings", response.warnings},
        {"error", error_json(response.error)},
    };
}

}  // namespace eas
