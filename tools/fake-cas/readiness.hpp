// The readiness contract tests rely on: one stdout line per CAS once every listener accepts,
//   fake-cas: ready site=A cas=cas-a1 url=https://127.0.0.1:PORT/Microsoft-Server-ActiveSync
// then "fake-cas: admin url=http://127.0.0.1:PORT", and with --ready-file a JSON document
//   {"cas":[{"site":..,"name":..,"url":..,"external_url":..}],"admin":"http://127.0.0.1:PORT",
//    "ca":"<--ca-out path or null>","pid":N}
// written atomically (temporary file + rename) so a test can poll for it without sleeping.
#pragma once

#include <string>

#include "request.hpp"

namespace fakecas {

bool announce_ready(const Runtime& rt, const std::string& admin_url, const std::string& ready_file,
                    const std::string& ca_file, std::string& error);

}  // namespace fakecas
