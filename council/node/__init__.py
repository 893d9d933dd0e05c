"""The member node: data folder, sealed identity and shares, ceremony state, gRPC service."""
