// mallctl rebuild: a service's read models, and one rebuilt from its stream through the admin
// API (ListReadModels, RebuildReadModel), its progress on one line that redraws on a terminal.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "proto/admin/admin_service.grpc.pb.h"
#include "tools/mallctl/commands.h"

namespace mallctl {

int Rebuild(const RebuildArgs& args) {
  auto admin = adminpb::AdminService::NewStub(
      grpc::CreateChannel(args.address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  if (!args.admin_token.empty()) ctx.AddMetadata("authorization", "Bearer " + args.admin_token);
  if (args.read_model.empty()) {
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    adminpb::ListReadModelsResponse resp;
    grpc::Status s = admin->ListReadModels(&ctx, adminpb::ListReadModelsRequest(), &resp);
    if (!s.ok()) {
      std::cerr << s.error_code() << ": " << s.error_message() << "\n";
      return kExitFailed;
    }
    std::printf("%-12s  %-18s  %-24s  %-10s  %s\n", "READ MODEL", "TABLE", "DURABLE", "STREAM",
                "FILTER");
    for (const adminpb::ReadModel& m : resp.read_models()) {
      std::printf("%-12s  %-18s  %-24s  %-10s  %s\n", m.name().c_str(), m.table().c_str(),
                  m.durable().c_str(), m.stream().c_str(), m.filter().c_str());
    }
    return 0;
  }
  adminpb::RebuildReadModelRequest req;
  req.set_read_model(args.read_model);
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  const absl::Time start = absl::Now();
  std::unique_ptr<grpc::ClientReader<adminpb::RebuildReadModelProgress>> reader =
      admin->RebuildReadModel(&ctx, req);
  adminpb::RebuildReadModelProgress p;
  std::string last_phase;
  while (reader->Read(&p)) {
    const std::string line = absl::StrCat(
        args.read_model, ": ", p.phase(), " ", p.applied(), "/", p.total(), " messages (",
        absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1))), ")");
    // On a terminal the line redraws; in a log, a line per phase and per batch.
    if (tty) {
      std::printf("\r%-78s", line.c_str());
      if (p.phase() == "done") std::printf("\n");
    } else {
      std::printf("%s\n", line.c_str());
    }
    std::fflush(stdout);
    last_phase = p.phase();
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) {
    if (tty && !last_phase.empty()) std::printf("\n");
    std::cerr << s.error_code() << ": " << s.error_message() << "\n";
    return kExitFailed;
  }
  return 0;
}

}  // namespace mallctl
