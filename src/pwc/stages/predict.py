"""predict: batch inference over a file of passwords, streamed in chunks."""

from pwc.config import Params
from pwc.predict import Scorer, predict_file
from pwc.stages import log, run


def main(params: Params) -> None:
    scorer = Scorer.from_params(params)
    src = params.predict.input
    dst = params.paths.predictions_dir / f"{src.stem}.parquet"
    rows = predict_file(scorer, src, dst, params.predict.batch_size)
    log.info("scored %s passwords with model %s into %s", f"{rows:,}", scorer.version, dst)


if __name__ == "__main__":
    run(main)
