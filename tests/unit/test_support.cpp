#include "test_support.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base64.hpp"
#include "wbxml_encoder.hpp"

namespace eas::test {

std::filesystem::path data_dir() {
    return EASPROXY_TEST_DATA;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::filesystem::path> files_in(const std::string& subdir,
                                            const std::string& extension) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(data_dir() / subdir)) {
        const auto name = e.path().filename().string();
        if (e.is_regular_file() && name.size() > extension.size() &&
            name.compare(name.size() - extension.size(), extension.size(), extension) == 0 &&
            name.find(".expected.") == std::string::npos)
            out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

const std::vector<CorpusDocument>& corpus() {
    static const std::vector<CorpusDocument> docs = [] {
        std::vector<CorpusDocument> v;
        for (const auto& path : files_in("corpus", ".xml")) {
            CorpusDocument d{path, read_file(path), {}};
            auto encoded = wbxml::encode_xml(d.xml);
            if (!encoded.ok()) {
                throw std::runtime_error(path.filename().string() + ": encode failed at byte " +
                                         std::to_string(encoded.error->offset) + ": " +
                                         encoded.error->reason);
            }
            d.wbxml = std::move(encoded.bytes);
            v.push_back(std::move(d));
        }
        return v;
    }();
    return docs;
}

std::string read_hex_capture(const std::filesystem::path& path) {
    std::istringstream in(read_file(path));
    std::string line, hex;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '#') continue;
        hex += line;
        hex += ' ';
    }
    auto bytes = hex_decode(hex);
    if (!bytes) throw std::runtime_error("bad hex in " + path.string());
    return *bytes;
}

}  // namespace eas::test
