// Flow events: the one seam where trace, log lines, metrics and the live view hook into the
// proxy. The core calls them in order for each flow; observers must not block (the trace
// writer queues to its own thread) and may be called from any I/O thread.
#pragma once

#include <memory>
#include <vector>

#include "flow.hpp"

namespace eas::proxy {

class FlowObserver {
  public:
    virtual ~FlowObserver() = default;
    // The device's request head has arrived and was decoded; no body yet.
    virtual void request_headers(const Flow&) {}
    // The upstream answered 451 (before the redirect decision is carried out).
    virtual void redirect_seen(const Flow&) {}
    // The exchange finished: the whole response went to the device.
    virtual void response_complete(const Flow&) {}
    // The exchange ended in an error (the flow says where and why); no response_complete.
    virtual void error(const Flow&) {}
};

class FlowEvents {
  public:
    void add(std::shared_ptr<FlowObserver> o) { observers_.push_back(std::move(o)); }
    void request_headers(const Flow& f) const {
        for (auto& o : observers_) o->request_headers(f);
    }
    void redirect_seen(const Flow& f) const {
        for (auto& o : observers_) o->redirect_seen(f);
    }
    void response_complete(const Flow& f) const {
        for (auto& o : observers_) o->response_complete(f);
    }
    void error(const Flow& f) const {
        for (auto& o : observers_) o->error(f);
    }

  private:
    std::vector<std::shared_ptr<FlowObserver>> observers_;
};

}  // namespace eas::proxy
