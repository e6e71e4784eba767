#include "core/snapshot_table.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace kedastral {
namespace {

std::shared_ptr<const WorkloadSpec> Spec(std::string name) {
  auto s = std::make_shared<WorkloadSpec>();
  s->name = std::move(name);
  return s;
}

std::shared_ptr<const Snapshot> Snap(std::string workload, uint64_t seq) {
  auto s = std::make_shared<Snapshot>();
  s->workload = std::move(workload);
  s->sequence = seq;
  // Every value equals the sequence: a torn read would show mixed values.
  s->values.assign(64, static_cast<double>(seq));
  s->replicas.assign(64, static_cast<int>(seq % 1000));
  return s;
}

TEST(SnapshotTableTest, GetUnknownWorkloadIsEmpty) {
  SnapshotTable t;
  EXPECT_FALSE(t.Get("nope").has_value());
  EXPECT_EQ(t.size(), 0u);
}

TEST(SnapshotTableTest, ConfiguredWorkloadHasNoSnapshotUntilPublished) {
  SnapshotTable t;
  t.SetWorkloads({Spec("a")});
  auto e = t.Get("a");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->spec->name, "a");
  EXPECT_EQ(e->snapshot, nullptr);
}

TEST(SnapshotTableTest, PublishReplacesSnapshot) {
  SnapshotTable t;
  t.SetWorkloads({Spec("a")});
  EXPECT_TRUE(t.Publish(Snap("a", 1)));
  EXPECT_TRUE(t.Publish(Snap("a", 2)));
  EXPECT_EQ(t.Get("a")->snapshot->sequence, 2u);
}

TEST(SnapshotTableTest, PublishForUnknownWorkloadIsRefused) {
  SnapshotTable t;
  t.SetWorkloads({Spec("a")});
  EXPECT_FALSE(t.Publish(Snap("b", 1)));
  EXPECT_FALSE(t.Get("b").has_value());
}

TEST(SnapshotTableTest, HeldSnapshotSurvivesReplacement) {
  SnapshotTable t;
  t.SetWorkloads({Spec("a")});
  t.Publish(Snap("a", 1));
  auto held = t.Get("a")->snapshot;
  for (uint64_t i = 2; i < 200; ++i) t.Publish(Snap("a", i));
  EXPECT_EQ(held->sequence, 1u);
  EXPECT_EQ(held->values[63], 1.0);
}

TEST(SnapshotTableTest, SetWorkloadsKeepsSnapshotsOfRemainingWorkloads) {
  SnapshotTable t;
  t.SetWorkloads({Spec("a"), Spec("b")});
  t.Publish(Snap("a", 7));
  t.Publish(Snap("b", 8));
  t.SetWorkloads({Spec("c"), Spec("a")});
  EXPECT_EQ(t.Get("a")->snapshot->sequence, 7u);
  EXPECT_FALSE(t.Get("b").has_value());
  EXPECT_EQ(t.Get("c")->snapshot, nullptr);
  auto list = t.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].spec->name, "c");
  EXPECT_EQ(list[1].spec->name, "a");
}

TEST(SnapshotTableTest, SetWorkloadsReplacesSpecs) {
  SnapshotTable t;
  t.SetWorkloads({Spec("a")});
  auto changed = std::make_shared<WorkloadSpec>();
  changed->name = "a";
  changed->metric_name = "new-metric";
  t.SetWorkloads({changed});
  EXPECT_EQ(t.Get("a")->spec->metric_name, "new-metric");
}

TEST(SnapshotTableTest, VersionAndListenersSeeEveryChange) {
  SnapshotTable t;
  std::vector<std::string> seen;
  int id = t.Subscribe([&](std::string_view w) { seen.emplace_back(w); });
  const uint64_t v0 = t.version();
  t.SetWorkloads({Spec("a")});
  t.Publish(Snap("a", 1));
  EXPECT_EQ(t.version(), v0 + 2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], "");
  EXPECT_EQ(seen[1], "a");
  t.Unsubscribe(id);
  t.Publish(Snap("a", 2));
  EXPECT_EQ(seen.size(), 2u);
}

// Publishers and config changes race with readers; readers check that every
// snapshot they get is whole (all values equal) and that sequences per reader
// never go backwards for a workload. Run under ThreadSanitizer in CI.
TEST(SnapshotTableStressTest, ConcurrentPublishersReadersAndReloads) {
  SnapshotTable t;
  const std::vector<std::string> names = {"w0", "w1", "w2", "w3"};
  std::vector<std::shared_ptr<const WorkloadSpec>> specs;
  for (const auto& n : names) specs.push_back(Spec(n));
  t.SetWorkloads(specs);

  constexpr int kPublishesPerWriter = 4000;
  std::atomic<bool> done{false};
  std::atomic<long> reads{0};
  std::atomic<int> failures{0};

  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (uint64_t i = 1; i <= kPublishesPerWriter; ++i) {
        // Writer w owns workloads w and w+2, so per-workload sequences only grow.
        t.Publish(Snap(names[w + 2 * (i % 2)], i));
      }
    });
  }
  threads.emplace_back([&] {  // reloads: drop and restore w3 repeatedly
    for (int i = 0; i < 200; ++i) {
      auto partial = specs;
      if (i % 2 == 0) partial.pop_back();
      t.SetWorkloads(partial);
    }
    t.SetWorkloads(specs);
  });
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&] {
      std::vector<uint64_t> last(names.size(), 0);
      while (!done.load()) {
        for (size_t k = 0; k < names.size(); ++k) {
          auto e = t.Get(names[k]);
          if (!e || !e->snapshot) continue;
          const Snapshot& s = *e->snapshot;
          for (double v : s.values) {
            if (v != static_cast<double>(s.sequence)) failures.fetch_add(1);
          }
          // A slot dropped and re-added by a reload starts over, so only check while present.
          if (s.sequence < last[k] && names[k] != "w3") failures.fetch_add(1);
          last[k] = s.sequence;
          reads.fetch_add(1, std::memory_order_relaxed);
        }
        for (const auto& e : t.List()) {
          if (e.snapshot && e.snapshot->values.size() != 64) failures.fetch_add(1);
        }
      }
    });
  }
  threads[0].join();
  threads[1].join();
  threads[2].join();
  done.store(true);
  for (size_t i = 3; i < threads.size(); ++i) threads[i].join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(t.Get("w0")->snapshot->sequence, kPublishesPerWriter);
}

}  // namespace
}  // namespace kedastral
