// A user's mailbox as EAS sees it: folders with items, and per-device state (provisioning,
// FolderSync and Sync keys, the last Ping and Sync for empty requests). Sans-IO: held requests
// wait on Signal, which the server side turns into cancelled timers.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace fakecas {

// The current UTC time in the form item dates use ("2025-03-14T09:21:07.000Z").
std::string now_iso();

// Wakes every current subscriber; subscribers unsubscribe by dropping their Subscription.
// Single-threaded (one io_context), so no locking.
class Signal {
  public:
    using Callback = std::function<void()>;
    class Subscription {
      public:
        Subscription() = default;
        Subscription(Signal* s, std::list<Callback>::iterator it) : s_(s), it_(it) {}
        Subscription(Subscription&& o) noexcept : s_(std::exchange(o.s_, nullptr)), it_(o.it_) {}
        Subscription& operator=(Subscription&& o) noexcept {
            reset();
            s_ = std::exchange(o.s_, nullptr);
            it_ = o.it_;
            return *this;
        }
        ~Subscription() { reset(); }
        void reset() {
            if (s_) s_->callbacks_.erase(it_);
            s_ = nullptr;
        }

      private:
        Signal* s_ = nullptr;
        std::list<Callback>::iterator it_;
    };

    Subscription subscribe(Callback cb) {
        callbacks_.push_back(std::move(cb));
        return Subscription(this, std::prev(callbacks_.end()));
    }
    void notify() {
        // A callback may unsubscribe (its waiter resumes later, never inside notify, because
        // timers complete through the io_context), but copy anyway to stay safe.
        auto copy = callbacks_;
        for (auto& cb : copy) cb();
    }
    std::size_t size() const { return callbacks_.size(); }

  private:
    std::list<Callback> callbacks_;
};

struct Attachment {
    std::string display_name;
    std::string content_type = "application/octet-stream";
    std::uint64_t size = 0;
    std::string file_reference;  // as sent on the wire (percent-encoded "2%3a7%3a0")
    bool generated = false;      // bytes come from pattern_byte(), never stored
    std::string data;            // small attachments that are stored
};

// Byte i of a generated attachment: cheap, deterministic, and not all zeros, so a proxy that
// corrupts or reorders chunks is caught by a test that recomputes it.
inline unsigned char pattern_byte(std::uint64_t i) {
    return static_cast<unsigned char>((i * 7 + (i >> 16)) & 0xFF);
}

struct Item {
    std::uint32_t id = 0;
    std::string server_id;  // "2:7": folder id, colon, item number
    std::string subject;
    std::string from;
    std::string to;
    std::string cc;
    std::string date;  // 2025-03-14T09:21:07.000Z, as now_iso() writes it
    std::string body;  // plain text
    bool read = false;
    std::vector<Attachment> attachments;
    std::string mime;  // the message as submitted (SendMail), empty for seeded items
};

struct Folder {
    std::string id;
    std::string parent_id = "0";
    std::string name;
    int type = 1;           // MS-ASCMD FolderSync Type: 2 Inbox, 3 Drafts, 8 Calendar...
    std::string eas_class;  // "Email", "Calendar", "Contacts", "Tasks", "Notes"
    std::vector<Item> items;
    std::uint32_t next_item = 1;
    std::uint64_t generation = 0;  // bumped on every change: Ping compares it across a hold
};

// What the client has, per Sync key it was given. Older keys are kept for a while because a
// client that lost a response (or was redirected by a 451 halfway) re-sends the previous key.
struct CollectionState {
    std::map<std::string, std::set<std::uint32_t>> known_by_key;
    std::deque<std::string> key_order;
    std::string latest;
    std::uint64_t counter = 0;

    std::string issue(std::set<std::uint32_t> known);
    const std::set<std::uint32_t>* find(const std::string& key) const;
};

struct Device {
    std::string id;
    std::string type;
    enum class Policy { None, Pending, Provisioned } policy = Policy::None;
    std::uint32_t temporary_key = 0;
    std::uint32_t policy_key = 0;
    std::string folder_sync_key;  // "" until the first FolderSync
    std::uint64_t folder_sync_counter = 0;
    std::map<std::string, CollectionState> collections;  // by CollectionId
    std::string last_sync_request;                       // WBXML, for empty Sync requests
    std::optional<int> last_ping_heartbeat;
    std::vector<std::string> last_ping_folders;
};

class Mailbox {
  public:
    void seed(const std::string& owner_email, const std::string& owner_display, int messages,
              std::optional<std::uint64_t> large_attachment_size);

    std::vector<Folder>& folders() { return folders_; }
    const std::vector<Folder>& folders() const { return folders_; }
    Folder* folder(const std::string& id);
    Folder* folder_by_type(int type);
    Item* item(const std::string& server_id, Folder** in = nullptr);
    // Finds an attachment by FileReference (accepts it percent-encoded or decoded).
    const Attachment* attachment(const std::string& file_reference, const Item** item = nullptr);

    // Adds an item to a folder, bumps its generation and wakes held Ping/Sync requests.
    Item& deliver(Folder& f, Item item);
    bool remove(Folder& f, std::uint32_t id);

    Device& device(const std::string& id, const std::string& type);

    Signal& changed() { return changed_; }

  private:
    std::vector<Folder> folders_;
    std::map<std::string, Device> devices_;
    Signal changed_;
};

}  // namespace fakecas
