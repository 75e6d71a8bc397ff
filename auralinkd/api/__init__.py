"""The gRPC edge: servicers translate proto <-> domain types; the call guard authenticates and maps errors."""
