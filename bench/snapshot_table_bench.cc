// SnapshotTable read cost, alone and with a publisher swapping snapshots of the
// same workloads as fast as it can on another thread.
#include <atomic>
#include <thread>

#include <benchmark/benchmark.h>

#include "core/snapshot_table.h"

namespace kedastral {
namespace {

constexpr int kWorkloads = 1000;

std::string Name(int i) { return "workload-" + std::to_string(i); }

std::shared_ptr<const Snapshot> Snap(int i, uint64_t seq) {
  auto s = std::make_shared<Snapshot>();
  s->workload = Name(i);
  s->sequence = seq;
  s->values.assign(30, 1.0);
  s->replicas.assign(30, 3);
  return s;
}

SnapshotTable& Table() {
  static SnapshotTable* table = [] {
    auto* t = new SnapshotTable;
    std::vector<std::shared_ptr<const WorkloadSpec>> specs;
    for (int i = 0; i < kWorkloads; ++i) {
      auto spec = std::make_shared<WorkloadSpec>();
      spec->name = Name(i);
      specs.push_back(spec);
    }
    t->SetWorkloads(specs);
    for (int i = 0; i < kWorkloads; ++i) t->Publish(Snap(i, 1));
    return t;
  }();
  return *table;
}

void BM_Get(benchmark::State& state) {
  SnapshotTable& t = Table();
  std::vector<std::string> names;
  for (int i = 0; i < kWorkloads; ++i) names.push_back(Name(i));
  size_t i = static_cast<size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    auto e = t.Get(names[i++ % names.size()]);
    benchmark::DoNotOptimize(e->snapshot->replicas[0]);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Get)->Threads(1)->Threads(2)->UseRealTime();

void BM_GetWhilePublishing(benchmark::State& state) {
  SnapshotTable& t = Table();
  std::atomic<bool> stop{false};
  std::atomic<long> published{0};
  std::thread publisher;
  if (state.thread_index() == 0) {
    publisher = std::thread([&] {
      uint64_t seq = 2;
      while (!stop.load(std::memory_order_relaxed)) {
        t.Publish(Snap(static_cast<int>(seq % kWorkloads), seq));
        ++seq;
        published.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::vector<std::string> names;
  for (int i = 0; i < kWorkloads; ++i) names.push_back(Name(i));
  size_t i = 0;
  for (auto _ : state) {
    auto e = t.Get(names[i++ % names.size()]);
    benchmark::DoNotOptimize(e->snapshot->replicas[0]);
  }
  if (state.thread_index() == 0) {
    stop = true;
    publisher.join();
    state.counters["publishes"] = static_cast<double>(published.load());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetWhilePublishing)->Threads(1)->UseRealTime();

void BM_List(benchmark::State& state) {
  SnapshotTable& t = Table();
  for (auto _ : state) benchmark::DoNotOptimize(t.List().size());
  state.SetItemsProcessed(state.iterations() * kWorkloads);
}
BENCHMARK(BM_List);

}  // namespace
}  // namespace kedastral
