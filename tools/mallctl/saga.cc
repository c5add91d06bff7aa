// mallctl saga list | show: the sagas cosec coordinates, through its admin API (ListSagas,
// GetSaga), as text for people: one line per saga, and a saga's story with the time of each
// event from its start.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "proto/admin/admin_service.grpc.pb.h"
#include "tools/mallctl/commands.h"

namespace mallctl {
namespace {

using google::protobuf::util::TimeUtil;

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

std::string Age(const google::protobuf::Timestamp& t) {
  const absl::Duration age = absl::Trunc(absl::Now() - ToTime(t), absl::Seconds(1));
  return age <= absl::ZeroDuration() ? "0s" : absl::FormatDuration(age);
}

int Failed(const grpc::Status& s) {
  std::cerr << s.error_code() << ": " << s.error_message() << "\n";
  return kExitFailed;
}

}  // namespace

int Sagas(const SagaArgs& args) {
  auto admin = adminpb::AdminService::NewStub(
      grpc::CreateChannel(args.address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + args.timeout));
  if (!args.admin_token.empty()) ctx.AddMetadata("authorization", "Bearer " + args.admin_token);
  if (args.id.empty()) {
    adminpb::ListSagasRequest req;
    req.set_status(args.status);
    req.set_stuck(args.stuck);
    req.set_limit(args.limit);
    adminpb::ListSagasResponse resp;
    if (grpc::Status s = admin->ListSagas(&ctx, req, &resp); !s.ok()) return Failed(s);
    std::printf("%-36s  %-12s  %-19s  %-34s  %4s  %s\n", "SAGA (ORDER)", "STATUS", "STEP",
                "WAITING FOR", "SENT", "AGE");
    for (const adminpb::SagaSummary& s : resp.sagas()) {
      std::printf("%-36s  %-12s  %-19s  %-34s  %4d  %s%s\n", s.id().c_str(), s.status().c_str(),
                  absl::StrCat(s.step(), " ", s.step_name()).c_str(),
                  s.waiting_for().empty() ? "-" : s.waiting_for().c_str(), s.attempts(),
                  Age(s.created_at()).c_str(), s.stuck() ? "  STUCK" : "");
    }
    std::printf("%lld in flight, %lld stuck (past a step deadline)\n",
                static_cast<long long>(resp.in_flight()), static_cast<long long>(resp.stuck()));
    return 0;
  }
  adminpb::GetSagaRequest req;
  req.set_id(args.id);
  adminpb::GetSagaResponse resp;
  if (grpc::Status s = admin->GetSaga(&ctx, req, &resp); !s.ok()) return Failed(s);
  const adminpb::SagaSummary& s = resp.saga();
  std::printf("saga %s %s: %s", s.name().c_str(), s.id().c_str(), s.status().c_str());
  if (s.stuck()) std::printf(" (STUCK: its step is past its deadline)");
  std::printf("\nstep %d %s", s.step(), s.step_name().c_str());
  if (!s.waiting_for().empty()) {
    std::printf(", waiting for the reply to %s (sent %d time%s)", s.waiting_for().c_str(),
                s.attempts(), s.attempts() == 1 ? "" : "s");
  }
  std::printf("\n");
  if (!s.last_error().empty()) std::printf("last error: %s\n", s.last_error().c_str());
  std::printf("started %s ago\n\n", Age(s.created_at()).c_str());
  const absl::Time start = resp.history().empty() ? absl::Now() : ToTime(resp.history(0).at());
  for (const adminpb::SagaEvent& e : resp.history()) {
    std::string what = e.event();
    if (!e.message().empty()) absl::StrAppend(&what, " ", e.message());
    if (!e.outcome().empty()) absl::StrAppend(&what, " ", e.outcome());
    std::printf("%+10.1f ms  %-22s  %s%s%s\n", absl::ToDoubleMilliseconds(ToTime(e.at()) - start),
                absl::StrCat(e.step(), " ", e.step_name()).c_str(), what.c_str(),
                e.detail().empty() ? "" : ": ", e.detail().c_str());
  }
  return 0;
}

}  // namespace mallctl
