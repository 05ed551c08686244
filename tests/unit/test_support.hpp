// Shared helpers for the unit tests: test data paths and corpus loading.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace eas::test {

std::filesystem::path data_dir();  // tests/ in the source tree
std::string read_file(const std::filesystem::path& path);

// Sorted list of files in tests/<subdir> with the extension (".xml", ".hex").
std::vector<std::filesystem::path> files_in(const std::string& subdir,
                                            const std::string& extension);

// The corpus: every tests/corpus/*.xml encoded to WBXML with our encoder (fails the test on
// an encode error). Cached for the process.
struct CorpusDocument {
    std::filesystem::path path;
    std::string xml;
    std::string wbxml;
};
const std::vector<CorpusDocument>& corpus();

// Bytes of a tests/captures/*.hex file ('#' comment lines skipped).
std::string read_hex_capture(const std::filesystem::path& path);

}  // namespace eas::test
