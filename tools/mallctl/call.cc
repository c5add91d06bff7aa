// mallctl call: any unary RPC of a known service, request and response as protobuf JSON, through
// gRPC's generic stub (the method's types come from the catalogue's descriptors).
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "tools/mallctl/catalog.h"
#include "tools/mallctl/commands.h"
#include "tools/mallctl/render.h"

namespace mallctl {
namespace {

const google::protobuf::MethodDescriptor* FindMethod(
    const google::protobuf::ServiceDescriptor* service, const std::string& name) {
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = service->method(i);
    if (absl::EqualsIgnoreCase(m->name(), name)) return m;
  }
  return nullptr;
}

void ListMethods(const google::protobuf::ServiceDescriptor* service) {
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = service->method(i);
    std::cout << m->name() << "(" << m->input_type()->full_name() << ") returns "
              << m->output_type()->full_name() << "\n";
  }
}

}  // namespace

int Call(const CallArgs& args) {
  const google::protobuf::ServiceDescriptor* service =
      args.admin ? AdminService() : FindService(args.service);
  if (service == nullptr) {
    std::cerr << "unknown service '" << args.service
              << "' (known: " << absl::StrJoin(ServiceNames(), ", ") << ")\n";
    return kExitUsage;
  }
  if (args.method.empty()) {
    ListMethods(service);
    return 0;
  }
  const google::protobuf::MethodDescriptor* method = FindMethod(service, args.method);
  if (method == nullptr) {
    std::cerr << "unknown method '" << args.method << "' of " << service->full_name()
              << " (`mallctl " << (args.admin ? "admin " : "call ") << args.service
              << "` lists them)\n";
    return kExitUsage;
  }
  if (method->client_streaming() || method->server_streaming()) {
    std::cerr << method->full_name()
              << " is a streaming method; mallctl calls unary methods only\n";
    return kExitUsage;
  }
  if (args.address.empty()) {
    std::cerr << "no address for service '" << args.service << "': pass --addr host:port\n";
    return kExitUsage;
  }

  std::unique_ptr<google::protobuf::Message> request(Prototype(method->input_type()).New());
  std::unique_ptr<google::protobuf::Message> response(Prototype(method->output_type()).New());
  const std::string json = args.request_json.empty() ? "{}" : args.request_json;
  if (auto s = google::protobuf::util::JsonStringToMessage(json, request.get()); !s.ok()) {
    std::cerr << "invalid request for " << method->input_type()->full_name() << ": " << s.message()
              << "\n";
    return kExitUsage;
  }

  auto channel = grpc::CreateChannel(args.address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + args.timeout));
  if (!args.admin_token.empty()) context.AddMetadata("authorization", "Bearer " + args.admin_token);
  const std::string wire = request->SerializeAsString();
  grpc::Slice slice(wire);
  grpc::ByteBuffer send(&slice, 1);
  grpc::ByteBuffer receive;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/" + service->full_name() + "/" + method->name(), grpc::StubOptions(),
                 &send, &receive, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    std::cerr << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))
              << ": " << status.error_message() << "\n";
    return kExitFailed;
  }
  std::vector<grpc::Slice> slices;
  if (!receive.Dump(&slices).ok()) {
    std::cerr << "INTERNAL: unreadable response\n";
    return kExitFailed;
  }
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (!response->ParseFromString(bytes)) {
    std::cerr << "INTERNAL: the response is not a " << method->output_type()->full_name() << "\n";
    return kExitFailed;
  }
  std::cout << ToJson(*response, /*pretty=*/false, /*zero_values=*/true) << std::endl;
  return 0;
}

}  // namespace mallctl
