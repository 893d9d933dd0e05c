"""What a member and its clients agree on: the generated gRPC modules, mutual TLS pinning, the
ceremony and recovery request messages, the member's reply, the committed epoch, share backups."""
