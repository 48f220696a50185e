"""Citizen traffic for drills, demos and the benchmark: `satupintu simulate` and benchmarks/."""
