"""Counting and hashing primitives the feature families build on.

- `hashing`: keyed SipHash-2-4 and the n-gram, Markov and string hashes
- `sorted_counts`: counting with sorted arrays, a chunk at a time
- `keytable`: a hashed table of 64-bit keys (fingerprint + level per slot)
"""
