// Words for what an EAS server answers: HTTP status codes as EAS uses them, and the numeric
// Status elements inside WBXML responses, so logs say "SyncStateNotFound" instead of "132".
#pragma once

#include <string_view>

namespace eas {

// Short EAS meaning for the HTTP status codes EAS gives a meaning (449, 451, 456...), the usual
// reason phrase for other common codes, "" for codes it does not know.
std::string_view http_status_meaning(int code);

// Where a WBXML Status value came from. Most commands have one table for every Status they
// send; Provision has several, told apart by the Status element's parent and by who sent it.
struct StatusContext {
    std::string_view command;  // Cmd of the request: "Sync", "Provision", ... (any case)
    // Parent element of the Status, where it matters: for Provision "Provision" (the default),
    // "Policy", "RemoteWipe" or "AccountOnlyRemoteWipe". Elements a command does not
    // distinguish fall back to that command's table.
    std::string_view element = {};
    bool from_client = false;  // Status sent by the device (Provision acknowledgements)
};

// The word for a Status value: the common codes 101-177 (MS-ASCMD 2.2.2) for every command,
// the command's own table for smaller values, "" when nothing is known.
std::string_view eas_status_name(const StatusContext& context, int status);
std::string_view eas_status_name(std::string_view command, int status);

}  // namespace eas
