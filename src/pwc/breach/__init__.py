"""Breach checks that never see the password: SHA-1/NTLM digests, the HIBP-format range index
(a pipeline output, served at /range/{prefix}), hash-only corpora ingested out of core, and the
k-anonymity client (docs/breach.md)."""
