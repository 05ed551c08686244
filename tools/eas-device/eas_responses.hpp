// What the device reads back: the decoded body of a response (kept prefix only for bodies past
// the decode limit), the command's Status, and the few values the device keeps between
// exchanges (policy key, folder and sync keys, the Inbox id).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connection.hpp"
#include "wbxml_document.hpp"

namespace eas::device {

struct DecodedResponse {
    bool has_document = false;
    wbxml::Document doc;
    std::optional<int> status;   // the command's Status: the root's, else the first one below it
    std::string status_element;  // parent of that Status ("Provision", "Collection"...)
    bool multipart = false;
    std::vector<std::uint64_t> part_sizes;  // multipart: declared length of each part
    std::string problem;                    // why the body was not (fully) decoded, in words
};

DecodedResponse decode_response(const Response& r);

// Decoded XML of a WBXML (or multipart) body for --verbose; other bodies are described.
std::string body_for_display(std::string_view content_type, std::string_view content_encoding,
                             std::string_view body, bool complete, std::uint64_t total_bytes,
                             bool from_client);

// Tree helpers by element name (names as the code page table spells them).
std::string_view element_name(const wbxml::Document& d, std::uint32_t node);
std::uint32_t child(const wbxml::Document& d, std::uint32_t parent, std::string_view name);
std::vector<std::uint32_t> children_named(const wbxml::Document& d, std::uint32_t parent,
                                          std::string_view name);
// Follows a path of child names from `from` ("Policies/Policy/PolicyKey" as {..}); kNoNode if
// absent.
std::uint32_t path(const wbxml::Document& d, std::uint32_t from,
                   std::initializer_list<std::string_view> names);
std::string text_at(const wbxml::Document& d, std::uint32_t from,
                    std::initializer_list<std::string_view> names);

}  // namespace eas::device
