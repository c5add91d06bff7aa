// apidocs: writes the catalogue of the system's public contract into a directory:
//   asyncapi.yaml  the event streams as an AsyncAPI 3.0 document
//   events.html    the same for people: channels, messages, payloads, envelope, guarantees
//   grpc.html      every context's gRPC API: methods, fields, the errors they answer
// from the descriptor set of the public protos (docs/mallbots.protoset), the messaging topology
// and the bad-input sweep's expectations. The build runs it (target apidocs_docs); it exits 1,
// naming each problem, when a message or a published subject is missing from the catalogue.
//
//   apidocs --protoset=build/debug/docs/mallbots.protoset --topology=deploy/topology.conf
//     --answers=tests/sweep/expected.txt --version=0.1.0 --out=build/debug/docs   (one line)
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "tools/apidocs/asyncapi.h"
#include "tools/apidocs/catalogue.h"
#include "tools/apidocs/html.h"

namespace {

bool Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) std::fprintf(stderr, "apidocs: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags = {{"nats-url", "nats://127.0.0.1:54222"},
                                              {"version", "0.0.0"}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (!absl::StartsWith(arg, "--") || eq == std::string::npos) {
      std::fprintf(stderr, "apidocs: %s is not --name=value\n", arg.c_str());
      return 2;
    }
    flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  for (const char* required : {"protoset", "topology", "answers", "out"}) {
    if (flags[required].empty()) {
      std::fprintf(stderr,
                   "usage: apidocs --protoset=F --topology=F --answers=F --out=DIR "
                   "[--version=V] [--nats-url=U] (--%s is missing)\n",
                   required);
      return 2;
    }
  }
  auto catalogue = apidocs::Catalogue::Load(flags["protoset"], flags["topology"]);
  if (!catalogue.ok()) {
    std::fprintf(stderr, "apidocs: %s\n", std::string(catalogue.status().message()).c_str());
    return 1;
  }
  auto answers = apidocs::LoadAnswers(flags["answers"]);
  if (!answers.ok()) {
    std::fprintf(stderr, "apidocs: %s\n", std::string(answers.status().message()).c_str());
    return 1;
  }
  const apidocs::DocumentInfo info{.version = flags["version"], .nats_url = flags["nats-url"]};
  const std::string& out = flags["out"];
  const bool ok = Write(out + "/asyncapi.yaml", apidocs::AsyncApiYaml(*catalogue, info)) &&
                  Write(out + "/events.html", apidocs::EventsHtml(*catalogue, info)) &&
                  Write(out + "/grpc.html", apidocs::GrpcHtml(*catalogue, info, *answers));
  return ok ? 0 : 1;
}
