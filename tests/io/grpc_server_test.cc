#include "io/grpc_server.h"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "core/config.h"
#include "core/snapshot.h"
#include "core/snapshot_table.h"
#include "externalscaler.grpc.pb.h"
#include "io/scaler_logic.h"

namespace kedastral::io {
namespace {

namespace es = ::externalscaler;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr Duration kStep = 1min;

struct SpecArgs {
  std::string name{};
  std::string ns{};
  std::string metric_name{};
  WorkloadMode mode = WorkloadMode::kActive;
  Duration lead_time = 5min;
  Duration stale_after = 90s;
};

std::shared_ptr<const WorkloadSpec> MakeSpec(SpecArgs args) {
  auto spec = std::make_shared<WorkloadSpec>();
  spec->name = args.name;
  spec->ns = args.ns;
  spec->metric_name =
      args.metric_name.empty() ? "kedastral-" + args.name : args.metric_name;
  spec->mode = args.mode;
  spec->step = kStep;
  spec->lead_time = args.lead_time;
  spec->stale_after = args.stale_after;
  return spec;
}

// A forecast of one value per minute from `start`, planned as `replicas`.
std::shared_ptr<const Snapshot> MakePlan(const std::string& workload, TimePoint generated_at,
                                         TimePoint start, std::vector<int> replicas) {
  auto s = std::make_shared<Snapshot>();
  s->workload = workload;
  s->generated_at = generated_at;
  s->start = start;
  s->step = kStep;
  s->horizon = kStep * static_cast<long>(replicas.size());
  for (int r : replicas) s->values.push_back(100.0 * r);
  s->replicas = std::move(replicas);
  s->model = "test";
  return s;
}

// Steps 0..5 (the next 5 minutes) plan 2 replicas; step 13 plans 9, so the max
// over 15 minutes differs from the max over 5.
std::vector<int> RisingPlan() { return {2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 9, 3, 3, 3, 3, 3, 3}; }

es::ScaledObjectRef MakeRef(const std::string& name, const std::string& ns,
                            const std::map<std::string, std::string>& metadata = {}) {
  es::ScaledObjectRef ref;
  ref.set_name(name);
  ref.set_namespace_(ns);
  for (const auto& [k, v] : metadata) (*ref.mutable_scalermetadata())[k] = v;
  return ref;
}

// ---------------------------------------------------------------------------
// Pure logic (io/scaler_logic.h), without a server.

class ScalerLogicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_.SetWorkloads({MakeSpec({.name = "checkout", .ns = "shop"}),
                         MakeSpec({.name = "search"}),
                         MakeSpec({.name = "shadowed", .mode = WorkloadMode::kShadow})});
  }

  ScalerRef View(std::string_view name, std::string_view ns,
                 std::vector<std::pair<std::string_view, std::string_view>> metadata = {}) {
    return ScalerRef{name, ns, std::move(metadata)};
  }

  const TimePoint t0_ = Now();
  SnapshotTable table_;
};

TEST_F(ScalerLogicTest, ResolvesByWorkloadMetadata) {
  auto entry = ResolveWorkload(table_, View("my-scaledobject", "other", {{"workload", "search"}}));
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->spec->name, "search");
}

TEST_F(ScalerLogicTest, ResolvesByNameWhenWorkloadHasNoNamespace) {
  auto entry = ResolveWorkload(table_, View("search", "anything"));
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->spec->name, "search");
}

TEST_F(ScalerLogicTest, ResolvesByNameAndMatchingNamespace) {
  auto entry = ResolveWorkload(table_, View("checkout", "shop"));
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->spec->name, "checkout");
}

TEST_F(ScalerLogicTest, NamespaceMismatchIsNotFound) {
  auto entry = ResolveWorkload(table_, View("checkout", "other"));
  ASSERT_FALSE(entry);
  EXPECT_EQ(entry.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(entry.error().message, HasSubstr("shop"));
}

TEST_F(ScalerLogicTest, UnknownWorkloadIsNotFoundAndNamed) {
  auto entry = ResolveWorkload(table_, View("x", "", {{"workload", "payments"}}));
  ASSERT_FALSE(entry);
  EXPECT_EQ(entry.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(entry.error().message, HasSubstr("payments"));
}

TEST_F(ScalerLogicTest, EmptyWorkloadMetadataIsInvalid) {
  auto entry = ResolveWorkload(table_, View("search", "", {{"workload", ""}}));
  ASSERT_FALSE(entry);
  EXPECT_EQ(entry.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ScalerLogicTest, RejectsNameLongerThan253) {
  const std::string name(254, 'a');
  auto valid = ValidateRef(View(name, ""));
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ScalerLogicTest, AcceptsNameOf253) {
  const std::string name(253, 'a');
  EXPECT_TRUE(ValidateRef(View(name, "")));
}

TEST_F(ScalerLogicTest, RejectsMoreThan64MetadataEntries) {
  std::vector<std::string> keys;
  for (int i = 0; i < 65; ++i) keys.push_back("k" + std::to_string(i));
  ScalerRef ref = View("search", "");
  for (const auto& k : keys) ref.metadata.emplace_back(k, "v");
  auto valid = ValidateRef(ref);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ScalerLogicTest, RejectsWorkloadValueLongerThanAName) {
  const std::string value(254, 'w');
  auto valid = ValidateRef(View("search", "", {{"workload", value}}));
  ASSERT_FALSE(valid);
  EXPECT_THAT(valid.error().message, HasSubstr("workload"));
}

TEST_F(ScalerLogicTest, LeadTimeDefaultsToSpec) {
  auto spec = MakeSpec({.name = "a", .lead_time = 7min});
  auto lead = LeadTimeFor(*spec, View("a", ""));
  ASSERT_TRUE(lead);
  EXPECT_EQ(*lead, 7min);
}

TEST_F(ScalerLogicTest, LeadTimeMetadataOverridesSpec) {
  auto spec = MakeSpec({.name = "a", .lead_time = 7min});
  auto lead = LeadTimeFor(*spec, View("a", "", {{"leadTime", "1h30m"}}));
  ASSERT_TRUE(lead) << lead.error().message;
  EXPECT_EQ(*lead, 90min);
}

TEST_F(ScalerLogicTest, InvalidLeadTimeIsInvalidArgument) {
  auto spec = MakeSpec({.name = "a"});
  auto lead = LeadTimeFor(*spec, View("a", "", {{"leadTime", "soon"}}));
  ASSERT_FALSE(lead);
  EXPECT_EQ(lead.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(lead.error().message, HasSubstr("leadTime"));
}

TEST_F(ScalerLogicTest, MetricNameMetadataOverridesSpec) {
  auto spec = MakeSpec({.name = "a", .metric_name = "from-spec"});
  EXPECT_EQ(MetricNameFor(*spec, View("a", "")), "from-spec");
  EXPECT_EQ(MetricNameFor(*spec, View("a", "", {{"metricName", "from-trigger"}})), "from-trigger");
}

TEST_F(ScalerLogicTest, PlannedReplicasIsMaxOverLeadWindow) {
  SnapshotTable::Entry entry{MakeSpec({.name = "a"}), MakePlan("a", t0_, t0_, RisingPlan())};
  EXPECT_EQ(PlannedReplicas(entry, 5min, t0_), 2);
  EXPECT_EQ(PlannedReplicas(entry, 15min, t0_), 9);
}

TEST_F(ScalerLogicTest, ShadowPlansZeroEvenWhenStale) {
  SnapshotTable::Entry entry{MakeSpec({.name = "a", .mode = WorkloadMode::kShadow}),
                             MakePlan("a", t0_ - 1h, t0_ - 1h, RisingPlan())};
  EXPECT_EQ(PlannedReplicas(entry, 5min, t0_), 0);
}

TEST_F(ScalerLogicTest, MissingSnapshotIsUnavailable) {
  SnapshotTable::Entry entry{MakeSpec({.name = "a"}), nullptr};
  auto replicas = PlannedReplicas(entry, 5min, t0_);
  ASSERT_FALSE(replicas);
  EXPECT_EQ(replicas.error().code, ErrorCode::kUnavailable);
}

TEST_F(ScalerLogicTest, StaleSnapshotIsUnavailableWithAgeAndLimit) {
  SnapshotTable::Entry entry{MakeSpec({.name = "a", .stale_after = 90s}),
                             MakePlan("a", t0_ - 10min, t0_ - 10min, RisingPlan())};
  auto replicas = PlannedReplicas(entry, 5min, t0_);
  ASSERT_FALSE(replicas);
  EXPECT_EQ(replicas.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(replicas.error().message, HasSubstr("stale"));
  EXPECT_THAT(replicas.error().message, HasSubstr(FormatDuration(10min)));
  EXPECT_THAT(replicas.error().message, HasSubstr(FormatDuration(90s)));
}

TEST_F(ScalerLogicTest, WindowPastForecastEndIsUnavailable) {
  // Fresh (generated now) but the plan covers only the two minutes before now.
  SnapshotTable::Entry entry{MakeSpec({.name = "a"}), MakePlan("a", t0_, t0_ - 2min, {3, 3})};
  auto replicas = PlannedReplicas(entry, 5min, t0_);
  ASSERT_FALSE(replicas);
  EXPECT_EQ(replicas.error().code, ErrorCode::kUnavailable);
}

TEST_F(ScalerLogicTest, ActiveWhenFreshPlanIsPositive) {
  SnapshotTable::Entry entry{MakeSpec({.name = "a"}), MakePlan("a", t0_, t0_, RisingPlan())};
  EXPECT_TRUE(ActiveAt(entry, 5min, t0_));
}

TEST_F(ScalerLogicTest, InactiveWhenPlanIsZero) {
  SnapshotTable::Entry entry{MakeSpec({.name = "a"}), MakePlan("a", t0_, t0_, {0, 0, 0, 0, 0, 0, 0})};
  EXPECT_FALSE(ActiveAt(entry, 5min, t0_));
}

TEST_F(ScalerLogicTest, InactiveWhenStale) {
  SnapshotTable::Entry entry{MakeSpec({.name = "a"}),
                             MakePlan("a", t0_ - 10min, t0_, RisingPlan())};
  EXPECT_FALSE(ActiveAt(entry, 5min, t0_));
}

// ---------------------------------------------------------------------------
// The server, through a real gRPC client.

struct RecordedCall {
  std::string method;
  int code;
  double seconds;
};

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GrpcServerOptions options;
    options.address = "127.0.0.1:0";
    options.clock = [this] { return t0_ + Duration(clock_offset_ms_.load()); };
    options.stream_recheck = 20ms;
    options.on_request = [this](std::string_view method, int code, double seconds) {
      std::lock_guard lock(calls_mu_);
      calls_.push_back({std::string(method), code, seconds});
    };
    server_ = std::make_unique<GrpcServer>(table_, options);
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_GT(server_->port(), 0);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                       grpc::InsecureChannelCredentials());
    stub_ = es::ExternalScaler::NewStub(channel);

    table_.SetWorkloads({MakeSpec({.name = "checkout", .ns = "shop", .metric_name = "checkout-rps"}),
                         MakeSpec({.name = "search"}),
                         MakeSpec({.name = "shadowed", .mode = WorkloadMode::kShadow}),
                         MakeSpec({.name = "idle"}), MakeSpec({.name = "empty"}),
                         MakeSpec({.name = "old", .stale_after = 90s})});
    table_.Publish(MakePlan("checkout", t0_, t0_, RisingPlan()));
    table_.Publish(MakePlan("search", t0_, t0_, RisingPlan()));
    table_.Publish(MakePlan("shadowed", t0_, t0_, RisingPlan()));
    table_.Publish(MakePlan("idle", t0_, t0_, std::vector<int>(20, 0)));
    table_.Publish(MakePlan("old", t0_ - 10min, t0_ - 10min, std::vector<int>(30, 4)));
  }

  void TearDown() override {
    if (server_) server_->Shutdown(2s);
  }

  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + 10s);
  }

  grpc::Status GetMetrics(const es::ScaledObjectRef& ref, const std::string& metric_name,
                          es::GetMetricsResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    es::GetMetricsRequest request;
    *request.mutable_scaledobjectref() = ref;
    request.set_metricname(metric_name);
    return stub_->GetMetrics(&context, request, response);
  }

  grpc::Status IsActive(const es::ScaledObjectRef& ref, es::IsActiveResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return stub_->IsActive(&context, ref, response);
  }

  grpc::Status GetMetricSpec(const es::ScaledObjectRef& ref, es::GetMetricSpecResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return stub_->GetMetricSpec(&context, ref, response);
  }

  std::vector<RecordedCall> Calls() {
    std::lock_guard lock(calls_mu_);
    return calls_;
  }

  const TimePoint t0_ = Now();
  std::atomic<long> clock_offset_ms_{0};
  std::mutex calls_mu_;
  std::vector<RecordedCall> calls_;  // guarded by calls_mu_
  SnapshotTable table_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<es::ExternalScaler::Stub> stub_;
};

// Ends a client stream the test no longer reads.
template <class Reader>
grpc::Status Close(grpc::ClientContext* context, Reader& reader) {
  context->TryCancel();
  return reader->Finish();
}

TEST_F(GrpcServerTest, GetMetricSpecReturnsSpecMetricWithTargetOne) {
  es::GetMetricSpecResponse response;
  grpc::Status status = GetMetricSpec(MakeRef("checkout", "shop"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricspecs_size(), 1);
  EXPECT_EQ(response.metricspecs(0).metricname(), "checkout-rps");
  EXPECT_EQ(response.metricspecs(0).targetsize(), 1);
  EXPECT_DOUBLE_EQ(response.metricspecs(0).targetsizefloat(), 1.0);
}

TEST_F(GrpcServerTest, GetMetricSpecUsesMetricNameMetadata) {
  es::GetMetricSpecResponse response;
  grpc::Status status =
      GetMetricSpec(MakeRef("checkout", "shop", {{"metricName", "custom"}}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricspecs_size(), 1);
  EXPECT_EQ(response.metricspecs(0).metricname(), "custom");
}

TEST_F(GrpcServerTest, GetMetricSpecUnknownWorkloadIsNotFound) {
  es::GetMetricSpecResponse response;
  grpc::Status status = GetMetricSpec(MakeRef("nobody", "shop"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("nobody"));
}

TEST_F(GrpcServerTest, GetMetricsReturnsMaxPlannedReplicasOverLeadTime) {
  es::GetMetricsResponse response;
  grpc::Status status = GetMetrics(MakeRef("checkout", "shop"), "s0-checkout-rps", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricvalues_size(), 1);
  EXPECT_EQ(response.metricvalues(0).metricname(), "s0-checkout-rps");
  EXPECT_EQ(response.metricvalues(0).metricvalue(), 2);
  EXPECT_DOUBLE_EQ(response.metricvalues(0).metricvaluefloat(), 2.0);
}

TEST_F(GrpcServerTest, GetMetricsLeadTimeMetadataOverridesSpec) {
  es::GetMetricsResponse response;
  grpc::Status status =
      GetMetrics(MakeRef("checkout", "shop", {{"leadTime", "15m"}}), "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricvalues_size(), 1);
  EXPECT_EQ(response.metricvalues(0).metricvalue(), 9);
  EXPECT_DOUBLE_EQ(response.metricvalues(0).metricvaluefloat(), 9.0);
}

TEST_F(GrpcServerTest, GetMetricsWithoutRequestedNameUsesSpecMetricName) {
  es::GetMetricsResponse response;
  grpc::Status status = GetMetrics(MakeRef("checkout", "shop"), "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricvalues_size(), 1);
  EXPECT_EQ(response.metricvalues(0).metricname(), "checkout-rps");
}

TEST_F(GrpcServerTest, GetMetricsResolvesByWorkloadMetadata) {
  es::GetMetricsResponse response;
  grpc::Status status = GetMetrics(
      MakeRef("frontend", "web", {{"workload", "search"}, {"leadTime", "15m"}}), "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricvalues_size(), 1);
  EXPECT_EQ(response.metricvalues(0).metricname(), "kedastral-search");
  EXPECT_EQ(response.metricvalues(0).metricvalue(), 9);
}

TEST_F(GrpcServerTest, GetMetricsNamespaceMismatchIsNotFound) {
  es::GetMetricsResponse response;
  grpc::Status status = GetMetrics(MakeRef("checkout", "staging"), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("checkout"));
}

TEST_F(GrpcServerTest, GetMetricsUnknownWorkloadIsNotFound) {
  es::GetMetricsResponse response;
  grpc::Status status = GetMetrics(MakeRef("x", "", {{"workload", "payments"}}), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("payments"));
}

TEST_F(GrpcServerTest, GetMetricsStaleSnapshotIsUnavailable) {
  es::GetMetricsResponse response;
  grpc::Status status = GetMetrics(MakeRef("old", ""), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("stale"));
}

TEST_F(GrpcServerTest, GetMetricsWithoutSnapshotIsUnavailable) {
  es::GetMetricsResponse response;
  grpc::Status status = GetMetrics(MakeRef("empty", ""), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcServerTest, GetMetricsShadowWorkloadAnswersZero) {
  es::GetMetricsResponse response;
  grpc::Status status = GetMetrics(MakeRef("shadowed", ""), "", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.metricvalues_size(), 1);
  EXPECT_EQ(response.metricvalues(0).metricvalue(), 0);
  EXPECT_DOUBLE_EQ(response.metricvalues(0).metricvaluefloat(), 0.0);
}

TEST_F(GrpcServerTest, GetMetricsInvalidLeadTimeIsInvalidArgument) {
  es::GetMetricsResponse response;
  grpc::Status status =
      GetMetrics(MakeRef("checkout", "shop", {{"leadTime", "-5m"}}), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcServerTest, GetMetricsTooManyMetadataEntriesIsInvalidArgument) {
  std::map<std::string, std::string> metadata;
  for (int i = 0; i < 65; ++i) metadata["key" + std::to_string(i)] = "v";
  es::GetMetricsResponse response;
  grpc::Status status = GetMetrics(MakeRef("checkout", "shop", metadata), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcServerTest, IsActiveTrueWhenPlannedReplicasPositive) {
  es::IsActiveResponse response;
  grpc::Status status = IsActive(MakeRef("checkout", "shop"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.result());
}

TEST_F(GrpcServerTest, IsActiveFalseWhenPlannedReplicasZero) {
  es::IsActiveResponse response;
  grpc::Status status = IsActive(MakeRef("idle", ""), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.result());
}

TEST_F(GrpcServerTest, IsActiveFalseWhenStale) {
  es::IsActiveResponse response;
  grpc::Status status = IsActive(MakeRef("old", ""), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.result());
}

TEST_F(GrpcServerTest, IsActiveFalseForShadowWorkload) {
  es::IsActiveResponse response;
  grpc::Status status = IsActive(MakeRef("shadowed", ""), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.result());
}

TEST_F(GrpcServerTest, IsActiveUnknownWorkloadIsNotFound) {
  es::IsActiveResponse response;
  grpc::Status status = IsActive(MakeRef("nobody", ""), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, RecordsEachUnaryCallWithItsCode) {
  es::GetMetricsResponse metrics;
  es::IsActiveResponse active;
  ASSERT_TRUE(GetMetrics(MakeRef("checkout", "shop"), "", &metrics).ok());
  ASSERT_EQ(IsActive(MakeRef("nobody", ""), &active).error_code(), grpc::StatusCode::NOT_FOUND);
  auto calls = Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].method, "GetMetrics");
  EXPECT_EQ(calls[0].code, static_cast<int>(grpc::StatusCode::OK));
  EXPECT_GE(calls[0].seconds, 0.0);
  EXPECT_EQ(calls[1].method, "IsActive");
  EXPECT_EQ(calls[1].code, static_cast<int>(grpc::StatusCode::NOT_FOUND));
}

TEST_F(GrpcServerTest, StreamIsActiveSendsAtOnceAndAgainWhenPublishFlipsIt) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->StreamIsActive(&context, MakeRef("checkout", "shop"));
  es::IsActiveResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_TRUE(response.result());

  table_.Publish(MakePlan("checkout", t0_, t0_, std::vector<int>(20, 0)));
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_FALSE(response.result());
  Close(&context, reader);
}

TEST_F(GrpcServerTest, StreamIsActiveSendsOnlyWhenTheValueChanges) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->StreamIsActive(&context, MakeRef("checkout", "shop"));
  es::IsActiveResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(response.result());

  // Still active: nothing to send. Then inactive: exactly one message, false.
  table_.Publish(MakePlan("checkout", t0_, t0_, std::vector<int>(20, 7)));
  table_.Publish(MakePlan("checkout", t0_, t0_, std::vector<int>(20, 0)));
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_FALSE(response.result());
  Close(&context, reader);
}

TEST_F(GrpcServerTest, StreamIsActiveTurnsFalseWhenTheSnapshotAgesPastItsLimit) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->StreamIsActive(&context, MakeRef("search", ""));
  es::IsActiveResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(response.result());

  // No publish: only the periodic recheck can notice that time has passed.
  clock_offset_ms_ = Duration(2min).count();
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_FALSE(response.result());
  Close(&context, reader);
}

TEST_F(GrpcServerTest, StreamIsActiveUnknownWorkloadEndsWithNotFound) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->StreamIsActive(&context, MakeRef("nobody", ""));
  es::IsActiveResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, StreamMetricSpecSendsAtOnceAndAgainWhenTheSpecChanges) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->StreamMetricSpec(&context, MakeRef("search", ""));
  es::GetMetricSpecResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_EQ(response.metricspecs_size(), 1);
  EXPECT_EQ(response.metricspecs(0).metricname(), "kedastral-search");

  table_.SetWorkloads({MakeSpec({.name = "search", .metric_name = "search-qps"})});
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_EQ(response.metricspecs_size(), 1);
  EXPECT_EQ(response.metricspecs(0).metricname(), "search-qps");
  EXPECT_DOUBLE_EQ(response.metricspecs(0).targetsizefloat(), 1.0);
  Close(&context, reader);
}

TEST_F(GrpcServerTest, StreamMetricSpecEndsWithNotFoundWhenTheWorkloadIsRemoved) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->StreamMetricSpec(&context, MakeRef("search", ""));
  es::GetMetricSpecResponse response;
  ASSERT_TRUE(reader->Read(&response));

  table_.SetWorkloads({MakeSpec({.name = "checkout", .ns = "shop"})});
  EXPECT_FALSE(reader->Read(&response));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("search"));
}

TEST_F(GrpcServerTest, ShutdownWithOpenStreamReturnsWithinTheDeadline) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->StreamIsActive(&context, MakeRef("checkout", "shop"));
  es::IsActiveResponse response;
  ASSERT_TRUE(reader->Read(&response));

  const auto started = std::chrono::steady_clock::now();
  server_->Shutdown(2s);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);

  EXPECT_FALSE(reader->Read(&response));
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.error_code() == grpc::StatusCode::OK ||
              status.error_code() == grpc::StatusCode::CANCELLED)
      << status.error_code();
}

TEST_F(GrpcServerTest, RecordsAStreamWhenItEnds) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto reader = stub_->StreamIsActive(&context, MakeRef("checkout", "shop"));
  es::IsActiveResponse response;
  ASSERT_TRUE(reader->Read(&response));
  server_->Shutdown(2s);
  reader->Finish();

  auto calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "StreamIsActive");
  EXPECT_EQ(calls[0].code, static_cast<int>(grpc::StatusCode::OK));
}

TEST_F(GrpcServerTest, ShutdownTwiceIsHarmless) {
  server_->Shutdown(1s);
  server_->Shutdown(1s);
  es::IsActiveResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 2s);
  EXPECT_FALSE(stub_->IsActive(&context, MakeRef("checkout", "shop"), &response).ok());
}

TEST_F(GrpcServerTest, StartFailsWithUnavailableWhenThePortIsTaken) {
  GrpcServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(server_->port());
  GrpcServer second(table_, options);
  auto started = second.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(second.port(), 0);
}

TEST_F(GrpcServerTest, StartTwiceIsRejected) {
  auto again = server_->Start();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace kedastral::io
