// OPTIONS (MS-ASHTTP 2.2.2.1.2.x) and Settings (MS-ASCMD 2.2.1.18): what clients ask right
// after provisioning. Settings answers Oof/Get, UserInformation/Get and accepts
// DeviceInformation/Set and DevicePassword/Set.
#include "handlers.hpp"

namespace fakecas {

namespace wb = eas::wbxml;

Response handle_options(EasRequest&) {
    Response resp;
    resp.header("Allow", "OPTIONS,POST");
    resp.header("Public", "OPTIONS,POST");
    resp.header("MS-ASProtocolVersions", "2.5,12.0,12.1,14.0,14.1,16.0,16.1");
    resp.header("MS-ASProtocolCommands",
                "Sync,SendMail,SmartForward,SmartReply,GetAttachment,GetHierarchy,CreateCollection,"
                "DeleteCollection,MoveCollection,FolderSync,FolderCreate,FolderDelete,FolderUpdate,"
                "MoveItems,"
                "GetItemEstimate,MeetingResponse,Search,Settings,Ping,ItemOperations,Provision,"
                "ResolveRecipients,ValidateCert,Find");
    return resp;
}

Response handle_settings(EasRequest& r) {
    const auto& d = r.doc;
    const auto root = d.root_element();
    if (!is(d, root, tag("Settings", "Settings"))) return command_status(r, 2);
    const User& u = *r.user;
    Xml x("Settings", "Settings");
    x.leaf("Status", 1);
    for (auto c : wb::children(d, root)) {
        const bool get = child(d, c, tag("Settings", "Get")) != wb::kNoNode;
        if (is(d, c, tag("Settings", "Oof"))) {
            x.open("Oof").leaf("Status", 1);
            if (get) x.open("Get").leaf("OofState", 0).close();
            x.close();
        } else if (is(d, c, tag("Settings", "UserInformation"))) {
            x.open("UserInformation").leaf("Status", 1);
            if (get) {
                x.open("Get");
                if (r.version_x10 >= 141) {
                    // 14.1 wraps addresses in Accounts/Account.
                    x.open("Accounts")
                        .open("Account")
                        .leaf("UserDisplayName", u.config.display_name);
                    x.open("EmailAddresses").leaf("PrimarySmtpAddress", u.config.email).close();
                    x.close().close();
                } else {
                    x.open("EmailAddresses").leaf("SMTPAddress", u.config.email).close();
                }
                x.close();
            }
            x.close();
        } else if (is(d, c, tag("Settings", "DeviceInformation"))) {
            x.open("DeviceInformation").leaf("Status", 1).close();
        } else if (is(d, c, tag("Settings", "DevicePassword"))) {
            x.open("DevicePassword").leaf("Status", 1).close();
        } else if (is(d, c, tag("Settings", "RightsManagementInformation"))) {
            x.open("RightsManagementInformation").leaf("Status", 1).close();
        }
    }
    return wbxml_response(x.finish(), 1);
}

}  // namespace fakecas
