"""The topology core: pure Python, no Django. Design schema, YAML, validation, IPAM,
reachability prediction, compilation into host plans, and exports."""
