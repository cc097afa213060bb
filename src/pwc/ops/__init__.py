"""Operations around the pipeline, apart from the ML core: sweeps and experiment ranking
(`experiments`), the scheduled retrain's decision (`retrain`), the merge-request report
(`mr_report`), the dashboard (`dashboard`), the README's generated tables (`report`) and the
reproducibility check (`verify`). Nothing in the pipeline's stages imports them."""
