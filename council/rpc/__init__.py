"""gRPC adapters of the council; generated protobuf modules live in council/rpc/gen/."""
