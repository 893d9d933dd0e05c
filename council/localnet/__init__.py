"""A council on loopback for tests, the demo and benchmarks: fresh ports, member folders, member
processes started, waited for and stopped in one place."""
