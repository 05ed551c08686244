#include <catch2/catch.hpp>

#include <string>

#include "status_words.hpp"

using eas::eas_status_name;
using eas::StatusContext;

TEST_CASE("HTTP status codes in EAS words", "[status_words]") {
    CHECK(eas::http_status_meaning(451) == "Redirect: use the URL in X-MS-Location");
    CHECK(eas::http_status_meaning(449) == "Retry after Provision (legacy, EAS 2.5-12.x)");
    CHECK(eas::http_status_meaning(456) == "Account blocked");
    CHECK(eas::http_status_meaning(457) == "Password expired");
    CHECK_THAT(std::string(eas::http_status_meaning(200)), Catch::Contains("WBXML Status"));
    CHECK_THAT(std::string(eas::http_status_meaning(401)), Catch::Contains("OAuth"));
    CHECK_THAT(std::string(eas::http_status_meaning(403)), Catch::Contains("blocked"));
    CHECK_THAT(std::string(eas::http_status_meaning(503)), Catch::Contains("Retry-After"));
    CHECK_THAT(std::string(eas::http_status_meaning(507)), Catch::Contains("storage full"));
    for (int code : {400, 404, 500, 501, 502}) {
        INFO(code);
        CHECK_FALSE(eas::http_status_meaning(code).empty());
    }
    // generic reason phrases for codes EAS gives no meaning of its own
    CHECK(eas::http_status_meaning(302) == "Found");
    CHECK(eas::http_status_meaning(413) == "Content Too Large");
    CHECK(eas::http_status_meaning(429) == "Too Many Requests");
    CHECK(eas::http_status_meaning(504) == "Gateway Timeout");
    for (int unknown : {0, -1, 199, 299, 450, 452, 458, 506, 508, 599, 600, 99999}) {
        INFO(unknown);
        CHECK(eas::http_status_meaning(unknown).empty());
    }
}

TEST_CASE("common Status codes apply to every command", "[status_words]") {
    for (const char* command :
         {"Sync", "FolderSync", "Ping", "Provision", "SendMail", "Find", "NoSuchCommand", ""}) {
        INFO(command);
        CHECK(eas_status_name(command, 101) == "InvalidContent");
        CHECK(eas_status_name(command, 110) == "ServerError");
        CHECK(eas_status_name(command, 111) == "ServerErrorRetryLater");
        CHECK(eas_status_name(command, 132) == "SyncStateNotFound");
        CHECK(eas_status_name(command, 140) == "RemoteWipeRequested");
        CHECK(eas_status_name(command, 142) == "DeviceNotProvisioned");
        CHECK(eas_status_name(command, 143) == "PolicyRefresh");
        CHECK(eas_status_name(command, 144) == "InvalidPolicyKey");
        CHECK(eas_status_name(command, 156) == "MoveCommandInvalidDestinationFolder");
        CHECK(eas_status_name(command, 160) == "AvailabilityTooManyRecipients");
        CHECK(eas_status_name(command, 168) == "IRM_FeatureDisabled");
        CHECK(eas_status_name(command, 177) == "MaximumDevicesReached");
    }
    CHECK(eas_status_name("Sync", 129) == "DeviceIsBlockedForThisUser");
    CHECK(eas_status_name("Sync", 176) == "BodyPart_ConversationTooLarge");
    for (int unassigned : {100, 157, 158, 159, 178, 200, 255}) {
        INFO(unassigned);
        CHECK(eas_status_name("Sync", unassigned).empty());
    }
}

TEST_CASE("every common code from 101 to 177 has a name except 157-159", "[status_words]") {
    for (int code = 101; code <= 177; ++code) {
        INFO(code);
        const bool unassigned = code >= 157 && code <= 159;
        CHECK(eas_status_name("Sync", code).empty() == unassigned);
    }
}

TEST_CASE("per-command tables differ", "[status_words]") {
    SECTION("FolderSync and the folder commands") {
        CHECK(eas_status_name("FolderSync", 1) == "Success");
        CHECK_THAT(std::string(eas_status_name("FolderSync", 9)), Catch::Contains("SyncKey 0"));
        CHECK_THAT(std::string(eas_status_name("FolderSync", 6)), Catch::Contains("Server error"));
        CHECK(eas_status_name("FolderSync", 2).empty());  // only the folder changes use 2-5
        CHECK(eas_status_name("FolderSync", 8).empty());
        CHECK(eas_status_name("FolderCreate", 2) == "A folder with that name already exists");
        CHECK(eas_status_name("FolderDelete", 4) == "Folder does not exist");
        CHECK(eas_status_name("FolderUpdate", 5) == "Parent folder not found");
        CHECK_THAT(std::string(eas_status_name("FolderUpdate", 3)), Catch::Contains("system"));
    }
    SECTION("Sync") {
        CHECK(eas_status_name("Sync", 1) == "Success");
        CHECK_THAT(std::string(eas_status_name("Sync", 3)), Catch::Contains("SyncKey"));
        CHECK_THAT(std::string(eas_status_name("Sync", 12)), Catch::Contains("FolderSync"));
        CHECK(eas_status_name("Sync", 16) == "Retry");
        CHECK(eas_status_name("Sync", 2).empty());
        CHECK(eas_status_name("Sync", 17).empty());
    }
    SECTION("Ping") {
        CHECK_THAT(std::string(eas_status_name("Ping", 1)), Catch::Contains("Heartbeat expired"));
        CHECK_THAT(std::string(eas_status_name("Ping", 2)), Catch::Contains("Changes"));
        CHECK_THAT(std::string(eas_status_name("Ping", 5)), Catch::Contains("HeartbeatInterval"));
        CHECK_THAT(std::string(eas_status_name("Ping", 8)), Catch::Contains("Server error"));
        CHECK(eas_status_name("Ping", 9).empty());
    }
    SECTION("the same number means different things") {
        CHECK(eas_status_name("Sync", 7) != eas_status_name("Ping", 7));
        CHECK(eas_status_name("MoveItems", 3) == "Success");
        CHECK(eas_status_name("MoveItems", 1) != "Success");
        CHECK(eas_status_name("Ping", 1) != "Success");
    }
    SECTION("the other commands") {
        CHECK_THAT(std::string(eas_status_name("GetItemEstimate", 3)), Catch::Contains("primed"));
        CHECK(eas_status_name("MoveItems", 4) == "Source and destination are the same");
        CHECK(eas_status_name("MoveItems", 6).empty());
        CHECK(eas_status_name("ItemOperations", 18) == "Credentials required");
        CHECK(eas_status_name("ItemOperations", 13).empty());
        CHECK(eas_status_name("Search", 8) == "Query too complex");
        CHECK(eas_status_name("Search", 9).empty());
        CHECK(eas_status_name("Settings", 7) == "Denied by policy");
        CHECK(eas_status_name("ResolveRecipients", 4) == "Recipient not resolved");
        CHECK(eas_status_name("ResolveRecipients", 8) == "Certificate limit reached");
        CHECK(eas_status_name("ValidateCert", 13) == "Certificate revoked");
        CHECK(eas_status_name("ValidateCert", 18).empty());
        CHECK(eas_status_name("MeetingResponse", 2) == "Invalid meeting request");
        CHECK(eas_status_name("Find", 1) == "Success");
        CHECK(eas_status_name("Find", 99).empty());
    }
    SECTION("mail submission commands use only the common codes") {
        for (const char* command : {"SendMail", "SmartReply", "SmartForward"}) {
            INFO(command);
            CHECK(eas_status_name(command, 1).empty());
            CHECK(eas_status_name(command, 118) == "MessagePreviouslySent");
        }
    }
    SECTION("command names are matched in any case; unknown commands know nothing") {
        CHECK(eas_status_name("sync", 3) == eas_status_name("Sync", 3));
        CHECK(eas_status_name("FOLDERSYNC", 1) == "Success");
        CHECK(eas_status_name("Synchronize", 1).empty());
        CHECK(eas_status_name("", 1).empty());
        CHECK(eas_status_name("Sync", 0).empty());
        CHECK(eas_status_name("Sync", -3).empty());
    }
}

TEST_CASE("Provision has one table per element and direction", "[status_words]") {
    CHECK(eas_status_name("Provision", 2) == "Protocol error");
    CHECK(eas_status_name(StatusContext{"Provision", "Provision"}, 3) == "Server error");
    CHECK(eas_status_name("Provision", 4).empty());
    CHECK(eas_status_name("Provision", 5).empty());

    const StatusContext policy{"Provision", "Policy"};
    CHECK(eas_status_name(policy, 1) == "Success");
    CHECK(eas_status_name(policy, 2) == "No policy for this client");
    CHECK(eas_status_name(policy, 5) == "Client acknowledged the wrong policy key");
    CHECK(eas_status_name(policy, 6).empty());

    const StatusContext ack{.command = "provision", .element = "policy", .from_client = true};
    CHECK(eas_status_name(ack, 1) == "Policy applied");
    CHECK(eas_status_name(ack, 2) == "Policy partly applied (at least the PIN)");
    CHECK(eas_status_name(ack, 4) == "Provisioned by a third party");
    CHECK(eas_status_name(ack, 5).empty());

    for (const char* element : {"RemoteWipe", "AccountOnlyRemoteWipe"}) {
        INFO(element);
        const StatusContext wipe{"Provision", element, true};
        CHECK(eas_status_name(wipe, 1) == "Wipe succeeded");
        CHECK(eas_status_name(wipe, 2) == "Wipe failed");
        CHECK(eas_status_name(wipe, 3).empty());
    }
    // Common codes win whatever the element.
    CHECK(eas_status_name(ack, 139) == "DeviceNotFullyProvisionable");
    CHECK(eas_status_name(StatusContext{"Provision", "RemoteWipe"}, 145) ==
          "ExternallyManagedDevicesNotAllowed");
    // An element the command does not distinguish falls back to its table.
    CHECK(eas_status_name(StatusContext{"Sync", "Collection"}, 3) == eas_status_name("Sync", 3));
    CHECK(eas_status_name(StatusContext{"Provision", "Policies"}, 2) == "Protocol error");
    // "Policy" means nothing special outside Provision.
    CHECK(eas_status_name(StatusContext{"Sync", "Policy", true}, 16) == "Retry");
}
