// Bytes of one trace file as lines: plain or gzip (recognised by its magic bytes, not its
// name, so rotated files renamed by logrotate still read), from a path or stdin ("-").
// Streaming throughout: a line at a time is in memory, never the file.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace eas::trace {

// A read that cannot go on (I/O error, corrupt or truncated gzip data), in words.
class InputError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class ByteSource {
  public:
    virtual ~ByteSource() = default;
    // Up to `size` bytes into `buffer`; 0 at the end. Throws InputError.
    virtual std::size_t read(char* buffer, std::size_t size) = 0;
};

// The given bytes (tests, and the bytes already peeked from a file).
class MemorySource : public ByteSource {
  public:
    explicit MemorySource(std::string bytes) : bytes_(std::move(bytes)) {}
    std::size_t read(char* buffer, std::size_t size) override;

  private:
    std::string bytes_;
    std::size_t pos_ = 0;
};

// Inflates gzip data from another source; concatenated members (cat a.gz b.gz) read as one.
class GzipSource : public ByteSource {
  public:
    explicit GzipSource(std::unique_ptr<ByteSource> compressed);
    ~GzipSource() override;
    GzipSource(const GzipSource&) = delete;
    GzipSource& operator=(const GzipSource&) = delete;
    std::size_t read(char* buffer, std::size_t size) override;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// True when the bytes start like gzip (1f 8b).
bool looks_like_gzip(std::string_view first_bytes);

// Opens a path ("-" is stdin), inflating it when it is gzip. Throws InputError naming the
// reason (no such file, permission denied...).
std::unique_ptr<ByteSource> open_input(const std::string& path);

// Wraps a source the same way (gzip or not) once its first bytes are known.
std::unique_ptr<ByteSource> detect_compression(std::unique_ptr<ByteSource> source);

struct Line {
    std::string text;           // without the newline (and without a CR before it)
    std::size_t number = 0;     // 1-based
    bool too_long = false;      // over the limit: text is empty, the line was skipped
    bool unterminated = false;  // the last line of the input had no newline
};

// Splits a source into lines. Lines longer than `max_line` are skipped (reported as too_long)
// without being held, so a file without newlines cannot fill memory.
class LineReader {
  public:
    explicit LineReader(ByteSource& source, std::size_t max_line = kDefaultMaxLine);
    // False at the end. Throws InputError from the source.
    bool next(Line& line);

    static constexpr std::size_t kDefaultMaxLine = 256u * 1024 * 1024;

  private:
    bool fill();

    ByteSource& source_;
    std::size_t max_line_;
    std::string buffer_;
    std::size_t pos_ = 0;
    std::size_t line_number_ = 0;
    bool eof_ = false;
};

}  // namespace eas::trace
