"""The mesh network: nodes, heartbeats, failure detection, the routing graph, latency prediction and trust."""
