"""Operations around the pipeline, apart from the ML core: sweeps and experiment ranking
(`experiments`, `sweeps`, `ci_sweep`), the scheduled retrain's decision (`retrain`), the
model registry (`registry`), the merge-request report (`mr_report`) and the GitLab calls
(`gitlab`), the dashboard (`dashboard`, `exp_table`) and `dvc plots` offline
(`offline_plots`), make repro's summary and the generated table of docs/models.md
(`report`) and the reproducibility check (`verify`). Nothing in the pipeline's stages
imports them."""
