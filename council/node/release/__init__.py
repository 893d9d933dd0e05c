"""The member's release decisions for recovery: policy file, decision, records, cache, service."""
