// Starts a debate on an edge and prints its events as they come, resuming by seq if the
// connection drops. Usage: aragora-client-example [ws://HOST:PORT] [TASK]
// (ARAGORA_TOKEN is sent when set.)
#include <cstdlib>
#include <iostream>

#include "aragora/v1/debate.pb.h"
#include "net/client/client.hpp"

int main(int argc, char** argv) {
  aragora::client::options o;
  if (argc > 1) o.endpoint = argv[1];
  if (const char* t = std::getenv("ARAGORA_TOKEN")) o.token = t;
  aragora::client::client c{o};

  aragora::client::debate_request req;
  req.task = argc > 2 ? argv[2] : "Should we adopt Kubernetes for our internal services?";
  req.agents = {"mock:supportive:alice", "mock:critical:bob", "mock:contrarian:carol"};
  req.rounds = 2;
  auto id = c.start_debate(req);
  if (!id) {
    std::cerr << "cannot start the debate: " << to_string(id.code()) << ": " << id.error().message << "\n";
    return 1;
  }
  std::cout << "debate " << *id << "\n";
  auto end = c.stream(
      *id, 0,
      [](const aragora::v1::Event& e) {
        std::cout << "#" << e.seq() << " " << aragora::v1::EventType::Value_Name(e.type());
        if (e.round()) std::cout << " round " << e.round();
        if (!e.agent().empty()) std::cout << " " << e.agent();
        std::cout << "\n";
      },
      [](std::string_view kind, std::string_view data) { std::cout << kind << " " << data << "\n"; });
  if (!end) {
    std::cerr << "the stream ended: " << to_string(end.code()) << ": " << end.error().message << "\n";
    return 1;
  }
  std::cout << end->events << " events, last seq " << end->last_seq << ", " << end->reconnects
            << " reconnects\n";
  auto result = c.debate(*id);
  if (result) std::cout << result->body << "\n";
  return 0;
}
