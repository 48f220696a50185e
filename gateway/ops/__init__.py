"""What operations watch: /healthz and /readyz, /metrics, and the count of refused traffic."""
