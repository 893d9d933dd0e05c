"""The fault campaign (`make chaos`): member processes and the driver SIGKILLed at seeded points
during DKG, re-share, log approvals and recovery, restarted at random, invariants checked after
every run. See docs/reliability.md."""
