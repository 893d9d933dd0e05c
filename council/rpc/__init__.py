"""The gRPC edge: generated modules (`gen/`), mutual TLS, the member servicer and server, clients."""
