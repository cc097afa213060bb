"""Operations around the pipeline, apart from the ML core: sweeps and experiment ranking
(`experiments`), the scheduled retrain's decision (`retrain`), the merge-request report
(`mr_report`), the dashboard (`dashboard`), make repro's summary and the generated table of
docs/models.md (`report`) and the reproducibility check (`verify`). Nothing in the
pipeline's stages imports them."""
