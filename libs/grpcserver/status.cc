#include "libs/grpcserver/status.h"

#include "absl/strings/str_cat.h"
#include "libs/common/status_macros.h"
#include "libs/observability/logging.h"
#include "libs/observability/trace_context.h"

namespace eda::grpcserver {
namespace {

// Whether the client may see `status` as it is.
bool ForClients(const absl::Status& status) {
  if (status.GetPayload(kSqlStatePayload).has_value()) return false;  // server detail
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  if (ForClients(status)) {
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                        std::string(status.message()));
  }
  const obs::SpanContext* span = obs::CurrentSpan();
  const std::string reference = span != nullptr ? span->TraceIdHex() : "none";
  LOG_ERROR() << "call failed" << KV("error", status);
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("the service is temporarily unavailable; try again (trace ",
                                       reference, ")"));
    case absl::StatusCode::kAborted:
      return grpc::Status(grpc::StatusCode::ABORTED,
                          absl::StrCat("the change conflicted with concurrent changes; try again "
                                       "(trace ",
                                       reference, ")"));
    default:
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          absl::StrCat("internal error (trace ", reference, ")"));
  }
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace eda::grpcserver
