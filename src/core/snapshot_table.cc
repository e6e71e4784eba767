#include "core/snapshot_table.h"

#include <algorithm>
#include <array>
#include <string>
#include <thread>
#include <unordered_map>

namespace kedastral {

// Reclamation uses hazard pointers (Michael, 2004). Each reader thread owns one
// record from a process-wide array; before dereferencing the index or a cell it
// publishes the pointer in its record and re-checks that the pointer is still
// current. A writer frees a retired object only when no record names it. Records
// are process-wide (not per table) so a thread needs one however many tables exist.
namespace {

constexpr size_t kMaxRecords = 512;
constexpr size_t kReclaimThreshold = 64;

struct alignas(64) HazardRecord {
  std::atomic<bool> owned{false};
  std::atomic<const void*> index{nullptr};
  std::atomic<const void*> cell{nullptr};
};

std::array<HazardRecord, kMaxRecords>& Records() {
  static std::array<HazardRecord, kMaxRecords> records;
  return records;
}

HazardRecord* Acquire() {
  for (;;) {
    for (HazardRecord& r : Records()) {
      bool expected = false;
      if (!r.owned.load(std::memory_order_relaxed) &&
          r.owned.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
        return &r;
      }
    }
    // More than kMaxRecords threads read at once: wait for one to exit.
    std::this_thread::yield();
  }
}

// Gives the thread's record back when the thread exits (gRPC pools come and go).
struct LocalRecord {
  HazardRecord* record = Acquire();
  ~LocalRecord() {
    record->index.store(nullptr);
    record->cell.store(nullptr);
    record->owned.store(false, std::memory_order_release);
  }
};

HazardRecord& Local() {
  thread_local LocalRecord local;
  return *local.record;
}

// Loads `src` and publishes it in `hazard` until the published value is still current.
template <class T>
const T* Protect(std::atomic<const void*>& hazard, const std::atomic<const T*>& src) {
  const T* p = src.load();
  for (;;) {
    hazard.store(p);
    const T* again = src.load();
    if (again == p) return p;
    p = again;
  }
}

bool IsProtected(const void* p) {
  for (const HazardRecord& r : Records()) {
    if (r.index.load() == p || r.cell.load() == p) return true;
  }
  return false;
}

// Clears the calling thread's hazards when a read ends, however it ends.
struct ReadGuard {
  HazardRecord& r = Local();
  ~ReadGuard() {
    r.cell.store(nullptr, std::memory_order_release);
    r.index.store(nullptr, std::memory_order_release);
  }
};

}  // namespace

// What a slot points to: one published snapshot. Immutable.
struct SnapshotTable::Cell {
  std::shared_ptr<const Snapshot> snapshot;
};

// One workload's place. Shared by every index that lists the workload, so a
// config change keeps its snapshot; freed with the last index naming it.
struct SnapshotTable::Slot {
  std::atomic<const Cell*> cell{nullptr};
  ~Slot() { delete cell.load(); }
};

// Name -> slot, plus the specs; immutable, replaced whole.
struct SnapshotTable::Index {
  std::vector<std::shared_ptr<const WorkloadSpec>> specs;  // config order
  std::vector<std::shared_ptr<Slot>> slots;                // parallel to specs
  std::unordered_map<std::string_view, size_t> by_name;    // views into specs' names

  const size_t* Find(std::string_view name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &it->second;
  }
};

SnapshotTable::SnapshotTable() : index_(new Index) {}

SnapshotTable::~SnapshotTable() {
  // No reader may outlive the table, so everything can go at once.
  delete index_.load();
  for (const Index* i : retired_indexes_) delete i;
  for (const Cell* c : retired_cells_) delete c;
}

void SnapshotTable::SetWorkloads(const std::vector<std::shared_ptr<const WorkloadSpec>>& specs) {
  std::lock_guard lock(writer_mu_);
  const Index* old = index_.load();
  auto next = std::make_unique<Index>();
  next->specs.reserve(specs.size());
  next->slots.reserve(specs.size());
  for (const auto& spec : specs) {
    if (next->by_name.contains(spec->name)) continue;  // config validation rejects duplicates
    std::shared_ptr<Slot> slot;
    if (const size_t* i = old->Find(spec->name)) slot = old->slots[*i];
    if (!slot) slot = std::make_shared<Slot>();
    next->specs.push_back(spec);
    next->slots.push_back(std::move(slot));
    next->by_name.emplace(next->specs.back()->name, next->specs.size() - 1);
  }
  index_.store(next.release());
  Retire(old);
  version_.fetch_add(1, std::memory_order_acq_rel);
  Notify("");
}

bool SnapshotTable::Publish(std::shared_ptr<const Snapshot> snapshot) {
  if (!snapshot) return false;
  std::lock_guard lock(writer_mu_);
  // Writers hold writer_mu_, so the index cannot be retired under us.
  const Index* index = index_.load();
  const size_t* i = index->Find(snapshot->workload);
  if (i == nullptr) return false;
  const std::string name = snapshot->workload;
  const Cell* old = index->slots[*i]->cell.exchange(new Cell{std::move(snapshot)});
  if (old != nullptr) Retire(old);
  version_.fetch_add(1, std::memory_order_acq_rel);
  Notify(name);
  return true;
}

std::optional<SnapshotTable::Entry> SnapshotTable::Get(std::string_view name) const {
  ReadGuard guard;
  const Index* index = Protect(guard.r.index, index_);
  const size_t* i = index->Find(name);
  if (i == nullptr) return std::nullopt;
  const Cell* cell = Protect(guard.r.cell, index->slots[*i]->cell);
  return Entry{index->specs[*i], cell ? cell->snapshot : nullptr};
}

std::vector<SnapshotTable::Entry> SnapshotTable::List() const {
  ReadGuard guard;
  const Index* index = Protect(guard.r.index, index_);
  std::vector<Entry> out;
  out.reserve(index->specs.size());
  for (size_t i = 0; i < index->specs.size(); ++i) {
    const Cell* cell = Protect(guard.r.cell, index->slots[i]->cell);
    out.push_back(Entry{index->specs[i], cell ? cell->snapshot : nullptr});
  }
  return out;
}

size_t SnapshotTable::size() const {
  ReadGuard guard;
  return Protect(guard.r.index, index_)->specs.size();
}

int SnapshotTable::Subscribe(Listener listener) {
  std::lock_guard lock(writer_mu_);
  const int id = next_listener_id_++;
  listeners_.emplace_back(id, std::make_shared<Listener>(std::move(listener)));
  return id;
}

void SnapshotTable::Unsubscribe(int id) {
  std::lock_guard lock(writer_mu_);
  std::erase_if(listeners_, [id](const auto& l) { return l.first == id; });
}

void SnapshotTable::Notify(std::string_view workload) {
  // Called with writer_mu_ held, so once Unsubscribe returns a listener is never called again.
  for (const auto& [id, listener] : listeners_) (*listener)(workload);
}

void SnapshotTable::Retire(const Index* index) {
  retired_indexes_.push_back(index);
  Reclaim();
}

void SnapshotTable::Retire(const Cell* cell) {
  retired_cells_.push_back(cell);
  if (retired_cells_.size() >= kReclaimThreshold) Reclaim();
}

void SnapshotTable::Reclaim() {
  auto sweep = [](auto& retired) {
    std::erase_if(retired, [](const auto* p) {
      if (IsProtected(p)) return false;
      delete p;
      return true;
    });
  };
  // Cells first: an index's slots may own cells, but retired cells are already out of their slots.
  sweep(retired_cells_);
  sweep(retired_indexes_);
}

}  // namespace kedastral
