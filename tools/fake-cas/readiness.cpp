#include "readiness.hpp"

#include <unistd.h>

#include <iostream>

#include <nlohmann/json.hpp>

#include "tls_setup.hpp"

namespace fakecas {

bool announce_ready(const Runtime& rt, const std::string& admin_url, const std::string& ready_file,
                    const std::string& ca_file, std::string& error) {
    nlohmann::json cas = nlohmann::json::array();
    for (const auto& c : rt.org.cas()) {
        std::cout << "fake-cas: ready site=" << c->site->name << " cas=" << c->name
                  << " url=" << c->url() << "\n";
        cas.push_back({{"site", c->site->name},
                       {"name", c->name},
                       {"url", c->url()},
                       {"external_url", c->external_url}});
    }
    std::cout << "fake-cas: admin url=" << admin_url << std::endl;  // flushed: tests read a pipe
    if (ready_file.empty()) return true;
    nlohmann::json doc = {{"cas", cas}, {"admin", admin_url}, {"pid", ::getpid()}};
    doc["ca"] = ca_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(ca_file);
    return write_file_atomically(ready_file, doc.dump(2) + "\n", error);
}

}  // namespace fakecas
