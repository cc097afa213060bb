"""Online scoring: the HTTP API (FastAPI) around pwc.scorer.Scorer."""
