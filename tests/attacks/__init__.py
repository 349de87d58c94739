"""Attacks on every route that takes input, against real servers sharing one package-scoped
pair (embedded store and ``oxigraph serve``): outbound requests, XSS, SPARQL injection, writes
without the token or across origins, path traversal, and leaked internals."""
