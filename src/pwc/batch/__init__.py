"""Batch scoring with the `Scorer` the API and the CLI use.

- `predict`: a Parquet or text file into Parquet or CSV, streaming
- `distributed`: Parquet partitions scored on a Dask cluster
"""
