"""Quarter data files: the schema, loading, editing in place, rolling forward, staleness and reported outcomes."""
