#include <gtest/gtest.h>

#include <string>

#include "runtime/config/config.hpp"

namespace aragora::config {
namespace {

const std::string three_nodes = R"(cluster:
  nodes:
    - {name: edge, actor_port: 7400, http_port: 8080, ws_port: 8765, roles: [edge, journal, ranking]}
    - {name: w1, actor_port: 7401, roles: [worker]}
    - {name: w2, actor_port: 7402, roles: [worker]}
)";

std::string refused(const std::string& yaml) {
  auto r = parse_config(yaml);
  if (r.ok()) {
    ADD_FAILURE() << "accepted:\n" << yaml;
    return {};
  }
  EXPECT_EQ(code_of(r.error()), "config_bad_cluster") << r.error().message;
  return r.error().message;
}

TEST(cluster_config, the_shipped_three_node_file_is_valid) {
  auto r = load_config(std::string{ARAGORA_SOURCE_DIR} + "/cluster-config/local-3-node.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& c = r.value().cluster;
  ASSERT_EQ(c.nodes.size(), 3u);
  EXPECT_EQ(c.edge()->name, "edge");
  EXPECT_TRUE(c.edge()->has("journal"));
  EXPECT_EQ(c.find("worker-2")->actor_port, 7402);
  EXPECT_EQ(c.heartbeat_timeout.count(), 1500);
  auto prod = load_config(std::string{ARAGORA_SOURCE_DIR} + "/cluster-config/production-example.yaml");
  ASSERT_TRUE(prod.ok()) << prod.error().message;
  EXPECT_GE(prod.value().cluster.nodes.size(), 3u);
}

TEST(cluster_config, nodes_fields_and_defaults) {
  auto r = parse_config(three_nodes);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& c = r.value().cluster;
  EXPECT_EQ(c.nodes[1].host, "127.0.0.1");
  EXPECT_EQ(c.nodes[1].line, 4);
  EXPECT_EQ(c.replication_factor, 2u);
  EXPECT_EQ(c.heartbeat_interval.count(), 250);
  EXPECT_TRUE(parse_config("debate: {rounds: 2}\n").value().cluster.nodes.empty());
}

TEST(cluster_config, a_bad_file_is_refused_with_its_line_and_field) {
  auto msg = refused(R"(cluster:
  nodes:
    - {name: edge, actor_port: 7400, http_port: 8080, ws_port: 8765, roles: [edge, journal]}
    - {name: w1, actor_port: 7401, roles: [worker, cook]}
)");
  EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cluster.nodes[1].roles"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'cook'"), std::string::npos) << msg;

  msg = refused(R"(cluster:
  nodes:
    - {name: edge, actor_port: 7400, http_port: 8080, ws_port: 8765, roles: [edge, journal]}
    - {name: w1, actor_port: 70000, roles: [worker]}
)");
  EXPECT_NE(msg.find("cluster.nodes[1].actor_port"), std::string::npos) << msg;

  msg = refused(R"(cluster:
  nodes:
    - {name: edge, actor_port: 7400, http_port: 8080, ws_port: 8765, roles: [edge, journal]}
    - {name: w1, actor_port: 7401, roles: [worker], colour: blue}
)");
  EXPECT_NE(msg.find("colour"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;

  msg = refused("cluster:\n  nodes:\n    - {actor_port: 7400, roles: [worker]}\n");
  EXPECT_NE(msg.find(".name is missing"), std::string::npos) << msg;
}

TEST(cluster_config, duplicate_names_and_ports_are_refused) {
  auto msg = refused(R"(cluster:
  nodes:
    - {name: edge, actor_port: 7400, http_port: 8080, ws_port: 8765, roles: [edge, journal]}
    - {name: w1, actor_port: 7401, roles: [worker]}
    - {name: w1, actor_port: 7402, roles: [worker]}
)");
  EXPECT_NE(msg.find("line 5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("name is used"), std::string::npos) << msg;

  msg = refused(R"(cluster:
  nodes:
    - {name: edge, actor_port: 7400, http_port: 8080, ws_port: 8765, roles: [edge, journal]}
    - {name: w1, actor_port: 8080, roles: [worker]}
)");
  EXPECT_NE(msg.find("actor_port 8080 on 127.0.0.1 is already edge's http_port"), std::string::npos) << msg;
  // The same port on two hosts is fine.
  EXPECT_TRUE(parse_config(R"(cluster:
  nodes:
    - {name: edge, host: 10.0.0.1, actor_port: 7400, http_port: 8080, ws_port: 8765, roles: [edge, journal]}
    - {name: w1, host: 10.0.0.2, actor_port: 7400, roles: [worker]}
)").ok());
}

TEST(cluster_config, the_roles_must_make_a_cluster_this_version_runs) {
  EXPECT_NE(refused("cluster:\n  nodes:\n    - {name: w, actor_port: 1, roles: [worker]}\n").find("no node has the edge role"),
            std::string::npos);
  EXPECT_NE(refused("cluster:\n  nodes:\n    - {name: e, actor_port: 1, http_port: 2, ws_port: 3, roles: [edge]}\n"
                    "    - {name: w, actor_port: 4, roles: [worker]}\n")
                .find("no node has the journal role"),
            std::string::npos);
  EXPECT_NE(refused("cluster:\n  nodes:\n    - {name: e, actor_port: 1, http_port: 2, ws_port: 3, roles: [edge, journal]}\n")
                .find("no node has the worker role"),
            std::string::npos);
  EXPECT_NE(refused("cluster:\n  nodes:\n    - {name: e, actor_port: 1, http_port: 2, ws_port: 3, roles: [edge, journal, worker]}\n")
                .find("durable on one node only"),
            std::string::npos);
  EXPECT_NE(refused("cluster:\n  nodes:\n    - {name: e, actor_port: 1, roles: [edge, journal]}\n"
                    "    - {name: w, actor_port: 4, roles: [worker]}\n")
                .find("needs http_port and ws_port"),
            std::string::npos);
  EXPECT_NE(refused("cluster:\n  nodes:\n    - {name: e, actor_port: 1, http_port: 2, ws_port: 3, roles: [edge]}\n"
                    "    - {name: j, actor_port: 5, roles: [journal]}\n    - {name: w, actor_port: 4, roles: [worker]}\n")
                .find("must also hold the journal"),
            std::string::npos);
  EXPECT_NE(refused(three_nodes + "  heartbeat_interval_ms: 1000\n  heartbeat_timeout_ms: 1500\n")
                .find("at least twice"),
            std::string::npos);
}

}  // namespace
}  // namespace aragora::config
