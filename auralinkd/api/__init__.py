"""The gRPC edge: servicers translate proto <-> domain types; interceptors authenticate and map errors."""
