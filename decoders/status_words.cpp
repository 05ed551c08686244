#include "status_words.hpp"
#include "ascii.hpp"

#include <array>
#include <span>

namespace eas {
namespace {

struct Word {
    int code;
    std::string_view text;
};

std::string_view find_word(std::span<const Word> table, int code) {
    for (const Word& w : table) {
        if (w.code == code) return w.text;
    }
    return {};
}

constexpr Word kHttp[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK: processed; check the WBXML Status"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad request: malformed, or a protocol version the server does not offer"},
    {401, "Unauthorized: credentials missing or refused (or OAuth token expired)"},
    {403,
     "Forbidden: user not enabled for EAS, device blocked or quarantined, or client "
     "certificate missing"},
    {404, "Not found: no EAS endpoint at this URL"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {426, "Upgrade Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {449, "Retry after Provision (legacy, EAS 2.5-12.x)"},
    {451, "Redirect: use the URL in X-MS-Location"},
    {456, "Account blocked"},
    {457, "Password expired"},
    {500, "Server error"},
    {501, "Command not implemented"},
    {502, "Proxy error"},
    {503, "Service unavailable or throttled: honour Retry-After"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {507, "Mailbox or server storage full"},
};

// MS-ASCMD 2.2.2, names as the specification spells them; 157-159 are unassigned.
constexpr std::array<std::string_view, 77> kCommon = {
    "InvalidContent",
    "InvalidWBXML",
    "InvalidXML",
    "InvalidDateTime",
    "InvalidCombinationOfIDs",
    "InvalidIDs",
    "InvalidMIME",
    "DeviceIdMissingOrInvalid",
    "DeviceTypeMissingOrInvalid",
    "ServerError",
    "ServerErrorRetryLater",
    "ActiveDirectoryAccessDenied",
    "MailboxQuotaExceeded",
    "MailboxServerOffline",
    "SendQuotaExceeded",
    "MessageRecipientUnresolved",
    "MessageReplyNotAllowed",
    "MessagePreviouslySent",
    "MessageHasNoRecipient",
    "MailSubmissionFailed",
    "MessageReplyFailed",
    "AttachmentIsTooLarge",
    "UserHasNoMailbox",
    "UserCannotBeAnonymous",
    "UserPrincipalCouldNotBeFound",
    "UserDisabledForSync",
    "UserOnNewMailboxCannotSync",
    "UserOnLegacyMailboxCannotSync",
    "DeviceIsBlockedForThisUser",
    "AccessDenied",
    "AccountDisabled",
    "SyncStateNotFound",
    "SyncStateLocked",
    "SyncStateCorrupt",
    "SyncStateAlreadyExists",
    "SyncStateVersionInvalid",
    "CommandNotSupported",
    "VersionNotSupported",
    "DeviceNotFullyProvisionable",
    "RemoteWipeRequested",
    "LegacyDeviceOnStrictPolicy",
    "DeviceNotProvisioned",
    "PolicyRefresh",
    "InvalidPolicyKey",
    "ExternallyManagedDevicesNotAllowed",
    "NoRecurrenceInCalendar",
    "UnexpectedItemClass",
    "RemoteServerHasNoSSL",
    "InvalidStoredRequest",
    "ItemNotFound",
    "TooManyFolders",
    "NoFoldersFound",
    "ItemsLostAfterMove",
    "FailureInMoveOperation",
    "MoveCommandDisallowedForNonPersistentMoveAction",
    "MoveCommandInvalidDestinationFolder",
    "",
    "",
    "",
    "AvailabilityTooManyRecipients",
    "AvailabilityDLLimitReached",
    "AvailabilityTransientFailure",
    "AvailabilityFailure",
    "BodyPartPreferenceTypeNotSupported",
    "DeviceInformationRequired",
    "InvalidAccountId",
    "AccountSendDisabled",
    "IRM_FeatureDisabled",
    "IRM_TransientError",
    "IRM_PermanentError",
    "IRM_InvalidTemplateID",
    "IRM_OperationNotPermitted",
    "NoPicture",
    "PictureTooLarge",
    "PictureLimitReached",
    "BodyPart_ConversationTooLarge",
    "MaximumDevicesReached",
};
constexpr int kFirstCommon = 101;
// A missing or extra name would shift every later code; pin both ends and the gap.
static_assert(kCommon[130 - kFirstCommon] == "AccessDenied");
static_assert(kCommon[156 - kFirstCommon] == "MoveCommandInvalidDestinationFolder");
static_assert(kCommon[160 - kFirstCommon] == "AvailabilityTooManyRecipients");
static_assert(kCommon[177 - kFirstCommon] == "MaximumDevicesReached");

constexpr Word kFolderSync[] = {
    {1, "Success"},
    {6, "Server error (retry)"},
    {9, "Invalid or mismatched SyncKey (restart with SyncKey 0)"},
    {10, "Malformed request"},
    {11, "Unknown error"},
    {12, "Unusual back-end error (code unknown)"},
};

// FolderCreate, FolderUpdate and FolderDelete share values; each uses a subset.
constexpr Word kFolderChange[] = {
    {1, "Success"},
    {2, "A folder with that name already exists"},
    {3, "Special (system) folder cannot be changed"},
    {4, "Folder does not exist"},
    {5, "Parent folder not found"},
    {6, "Server error (retry)"},
    {9, "Invalid or mismatched SyncKey (do FolderSync with SyncKey 0)"},
    {10, "Malformed request"},
    {11, "Unknown error"},
    {12, "Unusual back-end error (code unknown)"},
};

constexpr Word kSync[] = {
    {1, "Success"},
    {3, "Invalid or mismatched SyncKey (restart the collection with SyncKey 0)"},
    {4, "Protocol error"},
    {5, "Server error (retry)"},
    {6, "Error converting a client item (bad data)"},
    {7, "Conflict between client and server item"},
    {8, "Object not found"},
    {9, "Sync cannot be completed (e.g. mailbox full)"},
    {12, "Folder hierarchy changed (do FolderSync)"},
    {13, "Empty or partial Sync request cannot be satisfied (send the full request)"},
    {14, "Wait or HeartbeatInterval out of range (see Limit)"},
    {15, "Too many collections, or invalid request"},
    {16, "Retry"},
};

constexpr Word kPing[] = {
    {1, "Heartbeat expired with no changes (ping again)"},
    {2, "Changes in the listed folders (sync them)"},
    {3, "Required parameters missing (send the full Ping)"},
    {4, "Syntax error in the request"},
    {5, "HeartbeatInterval out of range"},
    {6, "Too many folders (see MaxFolders)"},
    {7, "Folder hierarchy sync required"},
    {8, "Server error (retry)"},
};

// MS-ASPROV 2.2.2.54.2. grommunio also sends 4 for an externally managed device, where
// MS-ASPROV uses the common code 145; 4 is left unnamed rather than guessed.
constexpr Word kProvision[] = {
    {1, "Success"},
    {2, "Protocol error"},
    {3, "Server error"},
};

constexpr Word kPolicyFromServer[] = {
    {1, "Success"},
    {2, "No policy for this client"},
    {3, "Unknown PolicyType"},
    {4, "Policy data on the server is corrupt"},
    {5, "Client acknowledged the wrong policy key"},
};

constexpr Word kPolicyFromClient[] = {
    {1, "Policy applied"},
    {2, "Policy partly applied (at least the PIN)"},
    {3, "Policy not applied"},
    {4, "Provisioned by a third party"},
};

constexpr Word kRemoteWipe[] = {
    {1, "Wipe succeeded"},
    {2, "Wipe failed"},
};

constexpr Word kGetItemEstimate[] = {
    {1, "Success"},
    {2, "Invalid or unknown collection"},
    {3, "Sync state not primed (Sync with SyncKey 0 first)"},
    {4, "Invalid or mismatched SyncKey"},
};

// Success is 3 here, not 1.
constexpr Word kMoveItems[] = {
    {1, "Invalid source collection or item id"},
    {2, "Invalid destination folder"},
    {3, "Success"},
    {4, "Source and destination are the same"},
    {5, "Move failed"},
    {7, "Source or destination locked (retry)"},
};

constexpr Word kItemOperations[] = {
    {1, "Success"},
    {2, "Protocol error"},
    {3, "Server error"},
    {4, "Document library: bad URI"},
    {5, "Document library: access denied"},
    {6, "Document library: not found or access denied"},
    {7, "Document library: cannot connect to the server"},
    {8, "Byte range invalid or too large"},
    {9, "Store unknown or not supported"},
    {10, "File is empty"},
    {11, "Requested data too large"},
    {12, "Download failed (I/O error)"},
    {14, "Item conversion failed"},
    {15, "Invalid attachment or attachment id"},
    {16, "Access to the resource denied"},
    {17, "Partial success"},
    {18, "Credentials required"},
};

// Search and Store elements share values; Search itself only uses 1 and 3.
constexpr Word kSearch[] = {
    {1, "Success"},
    {2, "Invalid request"},
    {3, "Server error"},
    {4, "Bad link"},
    {5, "Access denied"},
    {6, "Not found"},
    {7, "Connection failed"},
    {8, "Query too complex"},
    {10, "Search timed out"},
    {11, "FolderSync required"},
    {12, "End of the retrievable range"},
    {13, "Access blocked"},
    {14, "Credentials required"},
};

constexpr Word kSettings[] = {
    {1, "Success"},           {2, "Protocol error"},
    {3, "Access denied"},     {4, "Server unavailable"},
    {5, "Invalid arguments"}, {6, "Conflicting arguments"},
    {7, "Denied by policy"},
};

// The ResolveRecipients, Response and Certificates elements use disjoint values, so one table
// serves them all; Availability and Picture use common codes (160-163, 173-175).
constexpr Word kResolveRecipients[] = {
    {1, "Success"},
    {2, "Ambiguous recipient: suggestions returned"},
    {3, "Ambiguous recipient: partial list of suggestions"},
    {4, "Recipient not resolved"},
    {5, "Protocol error"},
    {6, "Server error (retry)"},
    {7, "No valid S/MIME certificate"},
    {8, "Certificate limit reached"},
};

constexpr Word kValidateCert[] = {
    {1, "Success"},
    {2, "Protocol error"},
    {3, "Signature could not be validated"},
    {4, "Certificate from an untrusted source"},
    {5, "Certificate chain is not built correctly"},
    {6, "Certificate not valid for signing"},
    {7, "Certificate expired or not yet valid"},
    {8, "Validity periods in the chain do not nest"},
    {9, "Certificate used for the wrong purpose"},
    {10, "Certificate information missing or wrong"},
    {11, "Certificate in the chain used in the wrong role"},
    {12, "Certificate does not match the e-mail address"},
    {13, "Certificate revoked"},
    {14, "Revocation server offline"},
    {15, "A certificate in the chain was revoked"},
    {16, "Revocation status unknown"},
    {17, "Unknown server error"},
};

constexpr Word kMeetingResponse[] = {
    {1, "Success"},
    {2, "Invalid meeting request"},
    {3, "Mailbox error"},
    {4, "Server error"},
};

// Only the values this project could confirm; MS-ASCMD defines more for Find.
constexpr Word kFind[] = {
    {1, "Success"},
    {2, "Invalid request"},
    {3, "FolderSync required"},
};

struct CommandTable {
    std::string_view command;
    std::span<const Word> words;
};

// SendMail, SmartReply and SmartForward answer only with common codes, hence no table.
constexpr CommandTable kCommands[] = {
    {"FolderSync", kFolderSync},
    {"FolderCreate", kFolderChange},
    {"FolderUpdate", kFolderChange},
    {"FolderDelete", kFolderChange},
    {"Sync", kSync},
    {"Ping", kPing},
    {"Provision", kProvision},
    {"GetItemEstimate", kGetItemEstimate},
    {"MoveItems", kMoveItems},
    {"ItemOperations", kItemOperations},
    {"Search", kSearch},
    {"Settings", kSettings},
    {"ResolveRecipients", kResolveRecipients},
    {"ValidateCert", kValidateCert},
    {"MeetingResponse", kMeetingResponse},
    {"Find", kFind},
};

std::span<const Word> table_for(const StatusContext& context) {
    if (iequals(context.command, "Provision")) {
        if (iequals(context.element, "Policy")) {
            return context.from_client ? std::span<const Word>(kPolicyFromClient)
                                       : std::span<const Word>(kPolicyFromServer);
        }
        if (iequals(context.element, "RemoteWipe") ||
            iequals(context.element, "AccountOnlyRemoteWipe")) {
            return kRemoteWipe;
        }
    }
    for (const CommandTable& t : kCommands) {
        if (iequals(context.command, t.command)) return t.words;
    }
    return {};
}

}  // namespace

std::string_view http_status_meaning(int code) {
    return find_word(kHttp, code);
}

std::string_view eas_status_name(const StatusContext& context, int status) {
    if (status >= kFirstCommon && status < kFirstCommon + static_cast<int>(kCommon.size())) {
        return kCommon[static_cast<std::size_t>(status - kFirstCommon)];
    }
    return find_word(table_for(context), status);
}

std::string_view eas_status_name(std::string_view command, int status) {
    return eas_status_name(StatusContext{command}, status);
}

}  // namespace eas
