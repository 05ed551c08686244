// decode-bench: WBXML -> XML throughput of easproxy's decoder against libwbxml's wbxml2xml
// conversion, on the same documents, in the same process and run, interleaved so that machine
// noise hits both alike. Reports MB/s of WBXML input and the ratio, over several repetitions.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "libwbxml_peer.hpp"
#include "wbxml_decoder.hpp"
#include "wbxml_encoder.hpp"
#include "wbxml_xml_writer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Input {
    std::string name;
    std::string wbxml;
};

std::vector<Input> load_corpus(const std::filesystem::path& dir, std::size_t& skipped) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() == ".xml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<Input> out;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        auto encoded = eas::wbxml::encode_xml(ss.str());
        if (!encoded.ok()) {
            std::cerr << "decode-bench: skipping " << f.filename().string() << ": "
                      << encoded.error->reason << "\n";
            ++skipped;
            continue;
        }
        // Same inputs for both: only documents libwbxml can convert at all.
        if (!eas::peer::libwbxml_to_xml(encoded.bytes).ok) {
            ++skipped;
            continue;
        }
        out.push_back({f.filename().string(), std::move(encoded.bytes)});
    }
    return out;
}

// Runs `one_pass` over the whole corpus repeatedly for about `seconds`; returns MB/s.
template <class F>
double measure(const std::vector<Input>& corpus, double seconds, F&& one_doc) {
    std::size_t bytes = 0;
    std::size_t sink = 0;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(seconds);
    do {
        for (const auto& in : corpus) {
            sink += one_doc(in.wbxml);
            bytes += in.wbxml.size();
        }
    } while (Clock::now() < deadline);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (sink == 0) std::cerr << "";  // keeps the work observable to the optimiser
    return static_cast<double>(bytes) / elapsed / 1e6;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    std::string corpus_dir = EASPROXY_DEFAULT_CORPUS;
    double seconds = 1.0;
    int repetitions = 5;
    bool json = false;
    CLI::App app{"Measure WBXML -> XML decode throughput against libwbxml on the same documents.",
                 "decode-bench"};
    app.add_option("--corpus", corpus_dir,
                   "Directory of EAS XML documents (encoded to WBXML first)")
        ->capture_default_str();
    app.add_option("--seconds", seconds, "Time per measurement")->capture_default_str();
    app.add_option("--repetitions", repetitions, "Measurements per decoder (min/median/max)")
        ->capture_default_str();
    app.add_flag("--json", json, "Print one JSON object instead of a table");
    CLI11_PARSE(app, argc, argv);
    if (repetitions < 1) repetitions = 1;

    std::size_t skipped = 0;
    const auto corpus = load_corpus(corpus_dir, skipped);
    if (corpus.empty()) {
        std::cerr << "decode-bench: no usable documents in " << corpus_dir << "\n";
        return 2;
    }
    std::size_t total = 0;
    for (const auto& in : corpus) total += in.wbxml.size();

    auto ours = [](const std::string& wbxml) {
        auto r = eas::wbxml::decode(wbxml);
        std::string xml;
        eas::wbxml::XmlWriteOptions options;
        options.indent = false;  // libwbxml is measured in its compact mode too
        eas::wbxml::write_xml(r.document, xml, options);
        return xml.size();
    };
    auto peer = [](const std::string& wbxml) {
        return eas::peer::libwbxml_to_xml(wbxml).output.size();
    };

    std::vector<double> ours_mbs, peer_mbs, ratios;
    for (int rep = 0; rep < repetitions; ++rep) {
        if (!json)
            std::cerr << "decode-bench: repetition " << rep + 1 << "/" << repetitions << "\r"
                      << std::flush;
        const double a = measure(corpus, seconds, ours);
        const double b = measure(corpus, seconds, peer);
        ours_mbs.push_back(a);
        peer_mbs.push_back(b);
        ratios.push_back(a / b);
    }
    auto stats = [](const std::vector<double>& v) {
        return std::array<double, 3>{*std::min_element(v.begin(), v.end()), median(v),
                                     *std::max_element(v.begin(), v.end())};
    };
    const auto so = stats(ours_mbs), sp = stats(peer_mbs), sr = stats(ratios);
    if (json) {
        std::cout << "{\"documents\": " << corpus.size() << ", \"skipped\": " << skipped
                  << ", \"corpus_bytes\": " << total << ", \"easproxy_mb_s\": [" << so[0] << ", "
                  << so[1] << ", " << so[2] << "]"
                  << ", \"libwbxml_mb_s\": [" << sp[0] << ", " << sp[1] << ", " << sp[2] << "]"
                  << ", \"ratio\": [" << sr[0] << ", " << sr[1] << ", " << sr[2] << "]}\n";
        return 0;
    }
    std::printf(
        "\ncorpus: %zu documents, %zu bytes of WBXML (%zu skipped: not convertible by libwbxml)\n",
        corpus.size(), total, skipped);
    std::printf("%-28s %10s %10s %10s\n", "WBXML -> XML, MB/s", "min", "median", "max");
    std::printf("%-28s %10.1f %10.1f %10.1f\n", "easproxy (eas-decode core)", so[0], so[1], so[2]);
    std::printf("%-28s %10.1f %10.1f %10.1f\n", "libwbxml 0.11 wbxml2xml", sp[0], sp[1], sp[2]);
    std::printf("%-28s %10.1fx %9.1fx %9.1fx\n", "ratio easproxy/libwbxml", sr[0], sr[1], sr[2]);
    return 0;
}
