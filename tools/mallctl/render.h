// File: render.h
// Turns stored stream messages into mallctl's JSON lines (mallctl.proto).
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <string>

#include "tools/mallctl/mallctl.pb.h"

namespace mallctl {

// A message stored in `stream` at `seq` (stored_ns: nanoseconds since the epoch): its envelope
// and its payload decoded by message name. An undecodable body is described, not rejected.
MessageLine DescribeMessage(const std::string& stream, uint64_t seq, int64_t stored_ns,
                            natsMsg* msg, bool with_headers);

// A message of the DEADLETTER stream (as returned by js_GetMsg).
DeadLetter DescribeDeadLetter(natsMsg* msg, bool with_message);

// JSON in protobuf's mapping with the proto field names; one line unless `pretty`. Fields at their
// zero value are printed when `zero_values` (RPC responses, payloads: `participating: false`
// tells something) and left out otherwise (mallctl's own records).
std::string ToJson(const google::protobuf::Message& m, bool pretty = false,
                   bool zero_values = false);

}  // namespace mallctl
