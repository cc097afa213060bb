"""How good the served scorer is (definitions: docs/evaluation.md).

- `evaluate`: metrics of predicted vs true log10 guess rank, the plots' bins
- `frequency`: how often each password occurs in the leak (frequency-weighted metrics)
- `compare`: peers on the same rows (constant, the lecture's baseline, zxcvbn, ours)
- `gate`: model validation on the validation sets
"""
