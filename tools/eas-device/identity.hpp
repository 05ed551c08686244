// Who a simulated client says it is and how it phrases its EAS requests: all the request
// builders need from a command line. eas-device's Options and eas-probe's options extend it, so
// both tools build byte-identical requests.
#pragma once

#include <string>

namespace eas::device {

enum class QueryStyle { Plain, Base64 };

struct Identity {
    std::string user;
    std::string password;  // resolved from the environment or a prompt; never printed
    std::string device_id = "EASDEVICE0001";
    std::string device_type = "SmartPhone";
    std::string user_agent = "eas-device/0.1";
    std::string eas_version = "14.1";
    QueryStyle query = QueryStyle::Plain;
};

}  // namespace eas::device
