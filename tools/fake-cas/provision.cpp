// Provision (MS-ASPROV 3.2.5) and the policy-key gate in front of every other command.
//
// Flow per user+DeviceId: Provision without a PolicyKey -> policy document and a temporary
// key; Provision acknowledging that key -> the final key; from then on X-MS-PolicyKey (or the
// base64 query's key) must equal it. Until then, commands get 449 (protocol < 14.0) or
// Status 142/144 (14.0+), as Exchange 2010 and later do.
#include <random>

#include "handlers.hpp"

namespace fakecas {

namespace wb = eas::wbxml;

namespace {

std::uint32_t new_key() {
    static std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<std::uint32_t> dist(1, 0xFFFFFFFFu);
    return dist(rng);
}

// A lenient policy: no PIN, attachments allowed. Enough for clients to accept it.
void write_policy_doc(Xml& x) {
    x.open("EASProvisionDoc")
        .leaf("DevicePasswordEnabled", 0)
        .leaf("AlphanumericDevicePasswordRequired", 0)
        .leaf("PasswordRecoveryEnabled", 0)
        .leaf("RequireStorageCardEncryption", 0)
        .leaf("AttachmentsEnabled", 1)
        .leaf("MinDevicePasswordLength", 4)
        .leaf("MaxInactivityTimeDeviceLock", 900)
        .leaf("MaxDevicePasswordFailedAttempts", 8)
        .leaf("AllowSimpleDevicePassword", 1)
        .leaf("AllowStorageCard", 1)
        .leaf("AllowCamera", 1)
        .leaf("RequireDeviceEncryption", 0)
        .leaf("AllowWiFi", 1)
        .leaf("AllowHTMLEmail", 1)
        .leaf("AllowBrowser", 1)
        .close();
}

// EAS 2.5 carries the policy as a string of MS-WAP-Provisioning-XML.
const char* const kWapPolicy =
    "<wap-provisioningdoc><characteristic type=\"SecurityPolicy\"><parm name=\"4131\" value=\"1\"/>"
    "<parm name=\"4133\" value=\"1\"/></characteristic></wap-provisioningdoc>";

}  // namespace

Response handle_provision(EasRequest& r) {
    const auto& d = r.doc;
    const auto root = d.root_element();
    if (!is(d, root, tag("Provision", "Provision"))) return command_status(r, 2);

    const auto policy =
        child(d, child(d, root, tag("Provision", "Policies")), tag("Provision", "Policy"));
    const bool device_info = child(d, root, tag("Settings", "DeviceInformation")) != wb::kNoNode;
    const bool remote_wipe = child(d, root, tag("Provision", "RemoteWipe")) != wb::kNoNode;
    if (policy == wb::kNoNode) {
        // A RemoteWipe acknowledgement alone is legal; nothing is wiped here.
        if (remote_wipe) {
            Xml x("Provision", "Provision");
            x.leaf("Status", 1);
            return wbxml_response(x.finish(), 1);
        }
        return command_status(r, 2);
    }
    const std::string type = child_text(d, policy, tag("Provision", "PolicyType")).value_or("");
    const bool wap = r.version_x10 < 120;
    const std::string expected_type = wap ? "MS-WAP-Provisioning-XML" : "MS-EAS-Provisioning-WBXML";
    const auto key_text = child_text(d, policy, tag("Provision", "PolicyKey"));

    Xml x("Provision", "Provision", {"settings"});
    if (device_info) {
        x.open("settings:DeviceInformation").leaf("settings:Status", 1).close();
    }
    x.leaf("Status", 1);
    x.open("Policies").open("Policy").leaf("PolicyType", type);
    Device& dev = *r.device;
    int policy_status = 1;

    if (type != expected_type) {
        policy_status = 3;  // unknown PolicyType
        x.leaf("Status", 3);
    } else if (!key_text) {
        // Step 1: hand out the policy with a temporary key.
        dev.policy = Device::Policy::Pending;
        dev.temporary_key = new_key();
        x.leaf("Status", 1).leaf("PolicyKey", dev.temporary_key);
        if (wap) {
            x.leaf("Data", kWapPolicy);
        } else {
            x.open("Data");
            write_policy_doc(x);
            x.close();
        }
        auto resp = wbxml_response(x.finish(), 1);
        resp.note = "temporary PolicyKey " + std::to_string(dev.temporary_key);
        return resp;
    } else {
        // Step 2: the acknowledgement must carry the temporary key we handed out.
        const std::uint32_t key =
            static_cast<std::uint32_t>(std::strtoul(key_text->c_str(), nullptr, 10));
        if (dev.policy == Device::Policy::Pending && key == dev.temporary_key) {
            dev.policy = Device::Policy::Provisioned;
            dev.policy_key = new_key();
            x.leaf("Status", 1).leaf("PolicyKey", dev.policy_key);
        } else if (dev.policy == Device::Policy::Provisioned && key == dev.policy_key) {
            x.leaf("Status", 1).leaf("PolicyKey", dev.policy_key);  // a repeated acknowledgement
        } else {
            policy_status = 5;  // the client acknowledged the wrong policy key
            x.leaf("Status", 5);
        }
    }
    auto resp = wbxml_response(x.finish(), policy_status);
    if (policy_status == 1) resp.note = "final PolicyKey " + std::to_string(dev.policy_key);
    if (policy_status == 5) resp.note = "acknowledged an unknown PolicyKey " + *key_text;
    if (policy_status == 3) resp.note = "unknown PolicyType " + type;
    return resp;
}

std::optional<Response> check_policy(EasRequest& r) {
    if (!r.rt->org.config().eas.require_provisioning) return std::nullopt;
    const Device& dev = *r.device;
    const bool provisioned = dev.policy == Device::Policy::Provisioned;
    const bool key_ok = provisioned && r.policy_key && *r.policy_key == dev.policy_key;
    if (key_ok) return std::nullopt;
    std::string why = !provisioned ? "device not provisioned"
                      : !r.policy_key
                          ? "no X-MS-PolicyKey"
                          : "X-MS-PolicyKey " + std::to_string(*r.policy_key) + " is not current";
    if (r.version_x10 < 140) {
        Response resp;
        resp.status = 449;
        resp.note = why;
        return resp;
    }
    // 142 DeviceNotProvisioned, 144 InvalidPolicyKey (MS-ASCMD 2.2.2).
    auto resp = command_status(r, provisioned && r.policy_key ? 144 : 142);
    resp.note = why;
    return resp;
}

}  // namespace fakecas
