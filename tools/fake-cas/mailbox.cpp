#include "mailbox.hpp"

#include "ascii.hpp"

#include <cstdio>
#include <ctime>

namespace fakecas {

std::string now_iso() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return buf;
}
namespace {

constexpr std::size_t kKeysKept = 4;

std::string seeded_date(int n) {
    // Spread over a morning so clients that sort by date show a stable order.
    char buf[40];
    std::snprintf(buf, sizeof buf, "2025-03-14T%02d:%02d:07.000Z", 8 + (n / 6) % 12, (n * 10) % 60);
    return buf;
}

const char* const kSubjects[] = {
    "Q2 roadmap review & budget draft", "Parking garage closed Friday", "Invoice 2025-0117",
    "Team lunch on Thursday?",          "Re: Floor plan for the move",  "Weekly status report",
};
const char* const kSenders[] = {
    "\"Casey Demo\" <casey.demo@example.com>",
    "\"Morgan Placeholder\" <morgan.placeholder@example.com>",
    "\"Taylor Fixture\" <taylor.fixture@example.com>",
};

}  // namespace

std::string CollectionState::issue(std::set<std::uint32_t> known) {
    latest = std::to_string(++counter);
    known_by_key[latest] = std::move(known);
    key_order.push_back(latest);
    while (key_order.size() > kKeysKept) {
        known_by_key.erase(key_order.front());
        key_order.pop_front();
    }
    return latest;
}

const std::set<std::uint32_t>* CollectionState::find(const std::string& key) const {
    const auto it = known_by_key.find(key);
    return it == known_by_key.end() ? nullptr : &it->second;
}

void Mailbox::seed(const std::string& owner_email, const std::string& owner_display, int messages,
                   std::optional<std::uint64_t> large_attachment_size) {
    // Server ids equal the folder types, so "Inbox is 2" holds in tests and in logs.
    folders_ = {
        {"2", "0", "Inbox", 2, "Email", {}, 1, 0},
        {"3", "0", "Drafts", 3, "Email", {}, 1, 0},
        {"4", "0", "Deleted Items", 4, "Email", {}, 1, 0},
        {"5", "0", "Sent Items", 5, "Email", {}, 1, 0},
        {"6", "0", "Outbox", 6, "Email", {}, 1, 0},
        {"7", "0", "Tasks", 7, "Tasks", {}, 1, 0},
        {"8", "0", "Calendar", 8, "Calendar", {}, 1, 0},
        {"9", "0", "Contacts", 9, "Contacts", {}, 1, 0},
        {"10", "0", "Notes", 10, "Notes", {}, 1, 0},
        {"11", "0", "Journal", 11, "Journal", {}, 1, 0},
    };
    Folder& inbox = *folder("2");
    const std::string to = "\"" + owner_display + "\" <" + owner_email + ">";
    for (int i = 0; i < messages; ++i) {
        Item it;
        it.subject = kSubjects[i % std::size(kSubjects)];
        if (i >= static_cast<int>(std::size(kSubjects)))
            it.subject += " (" + std::to_string(i + 1) + ")";
        it.from = kSenders[i % std::size(kSenders)];
        it.to = to;
        it.date = seeded_date(i);
        it.body = "Hello " + owner_display + ",\r\n\r\nthis is seeded message " +
                  std::to_string(i + 1) + " in your Inbox (" + it.subject +
                  ").\r\n\r\n-- fake-cas\r\n";
        it.read = i % 2 == 1;
        deliver(inbox, std::move(it));
    }
    if (large_attachment_size) {
        Item it;
        it.subject = "Large attachment (" + std::to_string(*large_attachment_size) + " bytes)";
        it.from = kSenders[0];
        it.to = to;
        it.date = seeded_date(messages);
        it.body =
            "The attached file is generated on the fly; byte i is (7*i + (i >> 16)) mod 256.\r\n";
        Attachment a;
        a.display_name = "large-attachment.bin";
        a.size = *large_attachment_size;
        a.generated = true;
        it.attachments.push_back(std::move(a));
        deliver(inbox, std::move(it));
    }
    inbox.generation = 0;  // seeding is not a change anyone waits for
}

Folder* Mailbox::folder(const std::string& id) {
    for (auto& f : folders_) {
        if (f.id == id) return &f;
    }
    return nullptr;
}

Folder* Mailbox::folder_by_type(int type) {
    for (auto& f : folders_) {
        if (f.type == type) return &f;
    }
    return nullptr;
}

Item* Mailbox::item(const std::string& server_id, Folder** in) {
    const auto colon = server_id.find(':');
    if (colon == std::string::npos) return nullptr;
    Folder* f = folder(server_id.substr(0, colon));
    if (!f) return nullptr;
    for (auto& it : f->items) {
        if (it.server_id == server_id) {
            if (in) *in = f;
            return &it;
        }
    }
    return nullptr;
}

const Attachment* Mailbox::attachment(const std::string& file_reference, const Item** item_out) {
    const std::string wanted = eas::percent_decode(file_reference);
    for (const auto& f : folders_) {
        for (const auto& it : f.items) {
            for (const auto& a : it.attachments) {
                if (eas::percent_decode(a.file_reference) == wanted) {
                    if (item_out) *item_out = &it;
                    return &a;
                }
            }
        }
    }
    return nullptr;
}

Item& Mailbox::deliver(Folder& f, Item it) {
    it.id = f.next_item++;
    it.server_id = f.id + ":" + std::to_string(it.id);
    for (std::size_t i = 0; i < it.attachments.size(); ++i) {
        // Exchange percent-encodes the colons of its file references; clients echo them as sent.
        it.attachments[i].file_reference =
            f.id + "%3a" + std::to_string(it.id) + "%3a" + std::to_string(i);
    }
    f.items.push_back(std::move(it));
    ++f.generation;
    changed_.notify();
    return f.items.back();
}

bool Mailbox::remove(Folder& f, std::uint32_t id) {
    for (auto it = f.items.begin(); it != f.items.end(); ++it) {
        if (it->id == id) {
            f.items.erase(it);
            ++f.generation;
            changed_.notify();
            return true;
        }
    }
    return false;
}

Device& Mailbox::device(const std::string& id, const std::string& type) {
    auto& d = devices_[id];
    if (d.id.empty()) d.id = id;
    if (!type.empty()) d.type = type;
    return d;
}

}  // namespace fakecas
