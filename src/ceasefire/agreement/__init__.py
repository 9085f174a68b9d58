"""The rulebook: the agreement as data, loading it from YAML and geometry files, its checks."""
