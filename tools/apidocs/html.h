// File: html.h
// The catalogue as pages for people, self-contained (no script, no download): events.html (the
// streams, channels, messages and their payloads, the envelope, the guarantees) and grpc.html
// (every context's gRPC API: methods, request and response fields, the errors they answer).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/apidocs/asyncapi.h"
#include "tools/apidocs/catalogue.h"

namespace apidocs {

// What each method answers to bad input, as the sweep checks it (tests/sweep/expected.txt:
// "<package.Service>/<Method> <class> <CODE> <message>"): method -> distinct (code, message).
using Answers = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;
absl::StatusOr<Answers> LoadAnswers(const std::string& path);

std::string EventsHtml(const Catalogue& catalogue, const DocumentInfo& info);
std::string GrpcHtml(const Catalogue& catalogue, const DocumentInfo& info, const Answers& answers);

}  // namespace apidocs
