#include "har_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "record.hpp"

namespace eas::trace {

using nlohmann::json;

HarWriter::HarWriter(std::string path) : path_(std::move(path)) {}

HarWriter::~HarWriter() {
    if (file_ && file_ != stdout) std::fclose(file_);
    if (!committed_ && !temp_.empty()) std::remove(temp_.c_str());
}

bool HarWriter::write(std::string_view text, std::string& error) {
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) {
        error = (temp_.empty() ? std::string("stdout") : temp_) + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

bool HarWriter::open(const std::string& creator_version, std::string& error) {
    if (path_ == "-") {
        file_ = stdout;
    } else {
        temp_ = path_ + ".tmp." + std::to_string(::getpid());
        file_ = std::fopen(temp_.c_str(), "wb");
        if (!file_) {
            error = temp_ + ": " + std::strerror(errno);
            temp_.clear();
            return false;
        }
    }
    const json creator = {{"name", "eas-trace"}, {"version", creator_version}};
    return write(
        "{\n  \"log\": {\n    \"version\": \"1.2\",\n    \"creator\": " + dump_json(creator) +
            ",\n    \"comment\": \"Exchange ActiveSync flows from an easproxy trace. "
            "Decoded EAS: _eas (request line), _xml (bodies), _easStatus, _redirect "
            "(HTTP 451), _error.\",\n    \"pages\": [],\n    \"entries\": [",
        error);
}

bool HarWriter::add(const nlohmann::json& entry, std::string& error) {
    const std::string sep = entries_ == 0 ? "\n      " : ",\n      ";
    if (!write(sep + dump_json(entry), error)) return false;
    ++entries_;
    return true;
}

bool HarWriter::commit(std::string& error) {
    if (!write(entries_ == 0 ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n", error)) return false;
    if (file_ == stdout) {
        std::fflush(stdout);
        committed_ = true;
        return true;
    }
    if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) {
        error = temp_ + ": " + std::strerror(errno);
        return false;
    }
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) {
        error = temp_ + ": " + std::strerror(errno);
        return false;
    }
    if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
        error = "cannot rename " + temp_ + " to " + path_ + ": " + std::strerror(errno);
        return false;
    }
    committed_ = true;
    return true;
}

}  // namespace eas::trace
