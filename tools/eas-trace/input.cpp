#include "input.hpp"

#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace eas::trace {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

class FileSource : public ByteSource {
  public:
    FileSource(std::FILE* file, bool owned) : file_(file), owned_(owned) {}
    ~FileSource() override {
        if (owned_) std::fclose(file_);
    }
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    std::size_t read(char* buffer, std::size_t size) override {
        const auto n = std::fread(buffer, 1, size, file_);
        if (n == 0 && std::ferror(file_))
            throw InputError("read error: " + std::string(std::strerror(errno)));
        return n;
    }

  private:
    std::FILE* file_;
    bool owned_;  // stdin stays open
};

// The bytes peeked to recognise gzip, then the rest of the source.
class PrefixedSource : public ByteSource {
  public:
    PrefixedSource(std::string prefix, std::unique_ptr<ByteSource> rest)
        : prefix_(std::move(prefix)), rest_(std::move(rest)) {}
    std::size_t read(char* buffer, std::size_t size) override {
        const auto n = prefix_.read(buffer, size);
        return n > 0 ? n : rest_->read(buffer, size);
    }

  private:
    MemorySource prefix_;
    std::unique_ptr<ByteSource> rest_;
};

}  // namespace

std::size_t MemorySource::read(char* buffer, std::size_t size) {
    const auto n = std::min(size, bytes_.size() - pos_);
    std::memcpy(buffer, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
}

struct GzipSource::State {
    std::unique_ptr<ByteSource> in;
    z_stream z{};
    std::array<char, kChunk> input{};
    bool input_ended = false;
    bool member_ended = false;
};

GzipSource::GzipSource(std::unique_ptr<ByteSource> compressed) : state_(std::make_unique<State>()) {
    state_->in = std::move(compressed);
    // 16 + MAX_WBITS: gzip wrapper only; a zlib or raw stream is not a trace file.
    if (inflateInit2(&state_->z, 16 + MAX_WBITS) != Z_OK)
        throw InputError("gzip: cannot initialise zlib");
}

GzipSource::~GzipSource() {
    inflateEnd(&state_->z);
}

std::size_t GzipSource::read(char* buffer, std::size_t size) {
    auto& s = *state_;
    for (;;) {
        if (s.z.avail_in == 0 && !s.input_ended) {
            const auto n = s.in->read(s.input.data(), s.input.size());
            if (n == 0) s.input_ended = true;
            s.z.next_in = reinterpret_cast<Bytef*>(s.input.data());
            s.z.avail_in = static_cast<uInt>(n);
        }
        if (s.member_ended) {
            if (s.z.avail_in == 0) {
                if (s.input_ended) return 0;
                continue;
            }
            // Another member follows (files concatenated with cat), or junk.
            if (s.z.next_in[0] != 0x1f)
                throw InputError("gzip: bytes after the end of the compressed data");
            inflateReset(&s.z);
            s.member_ended = false;
        }
        s.z.next_out = reinterpret_cast<Bytef*>(buffer);
        s.z.avail_out = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
        const auto before = s.z.avail_out;
        const int rc = inflate(&s.z, Z_NO_FLUSH);
        const std::size_t produced = before - s.z.avail_out;
        if (rc == Z_STREAM_END) {
            s.member_ended = true;
        } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR ||
                   rc == Z_STREAM_ERROR) {
            throw InputError(std::string("gzip: corrupt data (") +
                             (s.z.msg ? s.z.msg : "inflate failed") + ")");
        }
        if (produced > 0) return produced;
        if (!s.member_ended && s.z.avail_in == 0 && s.input_ended)
            throw InputError("gzip: the compressed data ends early (truncated file?)");
    }
}

bool looks_like_gzip(std::string_view first_bytes) {
    return first_bytes.size() >= 2 && static_cast<unsigned char>(first_bytes[0]) == 0x1f &&
           static_cast<unsigned char>(first_bytes[1]) == 0x8b;
}

std::unique_ptr<ByteSource> detect_compression(std::unique_ptr<ByteSource> source) {
    std::string head(2, '\0');
    std::size_t got = 0;
    while (got < head.size()) {
        const auto n = source->read(head.data() + got, head.size() - got);
        if (n == 0) break;
        got += n;
    }
    head.resize(got);
    const bool gzip = looks_like_gzip(head);
    auto whole = std::make_unique<PrefixedSource>(std::move(head), std::move(source));
    if (gzip) return std::make_unique<GzipSource>(std::move(whole));
    return whole;
}

std::unique_ptr<ByteSource> open_input(const std::string& path) {
    if (path == "-") return detect_compression(std::make_unique<FileSource>(stdin, false));
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw InputError(std::strerror(errno));
    return detect_compression(std::make_unique<FileSource>(f, true));
}

LineReader::LineReader(ByteSource& source, std::size_t max_line)
    : source_(source), max_line_(max_line) {}

bool LineReader::fill() {
    if (eof_) return false;
    buffer_.resize(kChunk);
    const auto n = source_.read(buffer_.data(), buffer_.size());
    buffer_.resize(n);
    pos_ = 0;
    if (n == 0) eof_ = true;
    return n > 0;
}

bool LineReader::next(Line& line) {
    line.text.clear();
    line.too_long = false;
    line.unterminated = false;
    bool any = false;
    for (;;) {
        if (pos_ == buffer_.size() && !fill()) {
            if (!any) return false;
            line.unterminated = true;
            break;
        }
        any = true;
        const auto nl = buffer_.find('\n', pos_);
        const auto end = nl == std::string::npos ? buffer_.size() : nl;
        if (!line.too_long) line.text.append(buffer_, pos_, end - pos_);
        pos_ = nl == std::string::npos ? end : nl + 1;
        if (!line.too_long && line.text.size() > max_line_) {
            line.too_long = true;
            std::string().swap(line.text);  // give the memory back now
        }
        if (nl != std::string::npos) break;
    }
    if (!line.text.empty() && line.text.back() == '\r') line.text.pop_back();
    line.number = ++line_number_;
    return true;
}

}  // namespace eas::trace
