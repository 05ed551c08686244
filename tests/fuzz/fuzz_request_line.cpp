// Feeds arbitrary bytes to the request-line decoder as text and as an already-decoded base64
// query, and checks what must hold for any input: no crash, error offsets inside the input,
// JSON that serialises, and encode/decode agreeing on everything the encoder accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "request_line.hpp"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

bool is_lower_hex(std::string_view s) {
    for (char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return s.size() % 2 == 0;
}

void check_common(const eas::EasRequestLine& r, std::size_t input_size) {
    // Decoded bytes are never more than the text they came from, so the input size bounds both.
    if (r.error) check(r.error->offset <= input_size);
    if (r.error && r.error->in_decoded_query) check(r.form == eas::QueryForm::Base64);
    if (r.binary_device_id) check(!r.device_id.empty() && is_lower_hex(r.device_id));
    if (r.command_code && !eas::command_name(*r.command_code).empty()) {
        check(eas::command_code(r.command) == r.command_code);
    }
    // Throws (and so aborts) if any string is not valid UTF-8.
    const std::string dumped = eas::to_json(r).dump();
    check(!dumped.empty());
}

// Whatever decoded cleanly must survive encode -> decode unchanged.
void check_round_trip(const eas::EasRequestLine& r) {
    if (!r.ok() || r.form != eas::QueryForm::Base64) return;
    std::string why;
    const std::string text = eas::encode_base64_query(r, &why);
    check(!text.empty());
    const eas::EasRequestLine back = eas::parse_request_line("?" + text);
    check(back.ok());
    check(back.form == eas::QueryForm::Base64);
    check(back.protocol_version == r.protocol_version);
    check(back.command_code == r.command_code);
    check(back.command == r.command);
    check(back.locale == r.locale);
    check(back.device_id == r.device_id);
    check(back.binary_device_id == r.binary_device_id);
    check(back.policy_key == r.policy_key);
    check(back.device_type == r.device_type);
    check(back.user == r.user);
    check(back.parameters == r.parameters);
    check(back.save_in_sent == r.save_in_sent);
    check(back.accept_multipart == r.accept_multipart);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const eas::EasRequestLine as_text = eas::parse_request_line(input);
    check_common(as_text, size);
    check_round_trip(as_text);
    (void)eas::detect_query_form(input);

    const eas::EasRequestLine as_bytes = eas::parse_base64_query_bytes(input);
    check(as_bytes.form == eas::QueryForm::Base64);
    if (as_bytes.error) {
        check(as_bytes.error->in_decoded_query);
        check(as_bytes.error->offset <= size);
    }
    check_common(as_bytes, size);
    check_round_trip(as_bytes);
    return 0;
}
