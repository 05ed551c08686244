// compact_json must write exactly what nlohmann's dump(-1, ' ', false, replace) writes: traces
// written before and after it are read by the same tools. Checked on chosen cases and on
// many random values, invalid UTF-8 included.
#include <catch2/catch.hpp>

#include <random>

#include "compact_json.hpp"

namespace {

std::string reference(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string random_string(std::mt19937& rng) {
    static const std::vector<std::string> pieces = {"a",
                                                    "Sync",
                                                    " ",
                                                    "\"",
                                                    "\\",
                                                    "\n",
                                                    "\r",
                                                    "\t",
                                                    "\b",
                                                    "\f",
                                                    std::string(1, '\0'),
                                                    "\x01",
                                                    "\x1f",
                                                    "\x7f",
                                                    "é",
                                                    "€",
                                                    "😀",
                                                    "\xc3",
                                                    "\xe2\x82",
                                                    "\xf0\x9f\x98",
                                                    "\x80",
                                                    "\xff",
                                                    "\xc0\xaf",
                                                    "\xed\xa0\x80",
                                                    "\xf4\x90\x80\x80",
                                                    "\xe0\x80\x80",
                                                    "<a>&amp;</a>"};
    std::string s;
    const int n = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int i = 0; i < n; ++i)
        s += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
    return s;
}

nlohmann::json random_value(std::mt19937& rng, int depth) {
    switch (std::uniform_int_distribution<int>(0, depth > 3 ? 5 : 7)(rng)) {
        case 0:
            return nullptr;
        case 1:
            return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
        case 2:
            return std::uniform_int_distribution<std::int64_t>(INT64_MIN, INT64_MAX)(rng);
        case 3:
            return std::uniform_int_distribution<std::uint64_t>(0, UINT64_MAX)(rng);
        case 4:
            return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
        case 5:
            return random_string(rng);
        case 6: {
            auto a = nlohmann::json::array();
            const int n = std::uniform_int_distribution<int>(0, 4)(rng);
            for (int i = 0; i < n; ++i) a.push_back(random_value(rng, depth + 1));
            return a;
        }
        default: {
            auto o = nlohmann::json::object();
            const int n = std::uniform_int_distribution<int>(0, 4)(rng);
            for (int i = 0; i < n; ++i) o[random_string(rng)] = random_value(rng, depth + 1);
            return o;
        }
    }
}

}  // namespace

TEST_CASE("chosen values come out as nlohmann writes them") {
    const std::vector<nlohmann::json> values = {
        nullptr,
        true,
        -0,
        42u,
        -9223372036854775807LL - 1,
        18446744073709551615ULL,
        0.1,
        1e300,
        "",
        nlohmann::json::array(),
        nlohmann::json::object(),
        {{"xml", "<Sync xmlns=\"AirSync:\">\n  <Status>1</Status>\n</Sync>"}, {"bytes", 445}},
        {{"bad utf-8 \xff key", "tail \xe2\x82"}, {"ctl", std::string("\x00\x1f\x7f", 3)}},
        nlohmann::json::array({1, "two", nullptr, {{"three", 3.5}}}),
    };
    for (const auto& v : values) {
        INFO(reference(v));
        CHECK(eas::compact_json(v) == reference(v));
    }
}

TEST_CASE("random values, invalid UTF-8 included, come out as nlohmann writes them") {
    std::mt19937 rng(20261125);
    for (int i = 0; i < 5000; ++i) {
        const auto v = random_value(rng, 0);
        const auto expected = reference(v);
        const auto got = eas::compact_json(v);
        if (got != expected) {
            INFO("value " << i << ": " << expected);
            CHECK(got == expected);
            break;
        }
    }
}
