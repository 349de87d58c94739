"""How triples get in and out: report sources, the build, the store."""
