"""Generated gRPC stubs for the AuraLink API (see protos/). Do not edit by hand: `make protos`."""
