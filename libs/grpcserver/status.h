// File: status.h
// absl::Status <-> grpc::Status. Both follow google.rpc.Code, so the code number and the message
// carry over unchanged.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace eda::grpcserver {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace eda::grpcserver
