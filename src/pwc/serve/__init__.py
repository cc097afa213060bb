"""Online scoring: the HTTP API (FastAPI) around pwc.predict.Scorer."""
