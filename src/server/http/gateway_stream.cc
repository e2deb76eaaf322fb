#include "server/http/gateway_stream.h"

#include <vector>

#include "grpcpp/support/client_callback.h"
#include "server/http/json_codec.h"

namespace etcdpp::server::http {
namespace pbuf = ::google::protobuf;

namespace {

std::unique_ptr<pbuf::Message> NewMessage(const pbuf::Descriptor* d) {
  return std::unique_ptr<pbuf::Message>(
      pbuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

constexpr size_t kLowWater = 256 << 10;

// Owns itself from Start until OnDone.
class StreamCall final : public grpc::ClientBidiReactor<pbuf::Message, pbuf::Message> {
 public:
  StreamCall(Gateway* gw, const Route& route, std::vector<std::unique_ptr<pbuf::Message>> reqs,
             std::shared_ptr<Responder> resp)
      : gw_(gw),
        reqs_(std::move(reqs)),
        resp_(std::move(resp)),
        ctx_(std::make_shared<grpc::ClientContext>()),
        reply_(NewMessage(route.method->output_type())),
        path_(route.grpc_path) {}

  grpc::ClientContext* ctx() { return ctx_.get(); }

  void Start() {
    std::weak_ptr<grpc::ClientContext> weak = ctx_;
    resp_->OnGone([weak] {
      if (auto c = weak.lock()) c->TryCancel();
    });
    gw_->stub()->PrepareBidiStreamingCall(ctx_.get(), path_, grpc::StubOptions(), this);
    AddHold();  // a read may start on the HTTP loop thread (OnDrained); OnReadDone(false) ends it
    StartRead(reply_.get());
    WriteNext();
    StartCall();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return;  // the call is ending; OnDone says how
    WriteNext();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      RemoveHold();  // no more reads
      return;
    }
    if (!started_) StartResponse();
    resp_->Write("{\"result\":" + ProtoToJson(*reply_) + "}\n");
    reply_->Clear();
    // The next message is read once the client took all but kLowWater bytes of the output (or
    // left): a slow reader holds the call back (a watch then falls behind as etcd's slow
    // watchers do) instead of its output piling up in memory.
    resp_->OnDrained(kLowWater, [this] { StartRead(reply_.get()); });
  }

  void OnDone(const grpc::Status& st) override {
    if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) {
      if (!started_) {
        started_ = true;
        resp_->StartStream(HttpStatusFromGrpcCode(st.error_code()), "application/json");
      }
      resp_->Write(StreamErrorChunk(st.error_code(), st.error_message()));
    } else if (!started_) {
      StartResponse();
    }
    resp_->Finish();
    Gateway* gw = gw_;
    delete this;
    gw->Release();
    gw->CallEnded();
  }

 private:
  void StartResponse() {
    started_ = true;
    resp_->StartStream(200, "application/json",
                       {{"Grpc-Metadata-Content-Type", "application/grpc"}});
  }

  void WriteNext() {
    if (next_ < reqs_.size()) {
      StartWrite(reqs_[next_++].get());
    } else {
      StartWritesDone();
    }
  }

  Gateway* const gw_;
  std::vector<std::unique_ptr<pbuf::Message>> reqs_;
  size_t next_ = 0;
  std::shared_ptr<Responder> resp_;
  std::shared_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<pbuf::Message> reply_;
  const std::string path_;
  bool started_ = false;  // only touched by the reactor's serialized callbacks
};

}  // namespace

void StartStreamCall(Gateway* gw, const Route& route, Request req,
                     std::shared_ptr<Responder> resp) {
  // As grpc-gateway: a first message that does not parse is a 400; later ones end the sending.
  std::vector<std::unique_ptr<pbuf::Message>> reqs;
  std::vector<std::string> values = SplitJsonValues(req.body);
  for (size_t i = 0; i < values.size(); ++i) {
    auto m = NewMessage(route.method->input_type());
    if (absl::Status st = JsonToProto(values[i], m.get()); !st.ok()) {
      if (i == 0) {
        resp->Reply(400, "application/json", ErrorBody(3, st.message()));
        return;
      }
      break;
    }
    reqs.push_back(std::move(m));
  }
  auto* call = new StreamCall(gw, route, std::move(reqs), resp);
  ForwardHeaders(req, call->ctx());
  gw->CallStarted();
  gw->Acquire([call, resp, gw] {
    if (resp->gone()) {
      delete call;
      gw->Release();
      gw->CallEnded();
      return;
    }
    call->Start();
  });
}

}  // namespace etcdpp::server::http
