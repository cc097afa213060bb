"""predict: batch inference over a file of passwords, streamed in chunks."""

from pwc import model
from pwc.config import Params
from pwc.io import sha256_file
from pwc.predict import predict_file
from pwc.stages import log, run


def main(params: Params) -> None:
    paths, cfg = params.paths, params.predict
    fitted = model.load(paths.model)
    version = sha256_file(paths.model)[:12]
    dst = paths.predictions_dir / f"{cfg.input.stem}.parquet"
    rows = predict_file(
        fitted, version, cfg.input, dst, cfg.batch_size, params.strength.score_thresholds
    )
    log.info("scored %s passwords with model %s into %s", f"{rows:,}", version, dst)


if __name__ == "__main__":
    run(main)
