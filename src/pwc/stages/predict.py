"""predict: batch inference over a file of passwords, streamed in chunks."""

from pwc.batch.predict import predict_file
from pwc.config import Params
from pwc.scorer import Scorer
from pwc.stages import log, run


def main(params: Params) -> None:
    scorer = Scorer.from_params(params)
    src = params.predict.input
    dst = params.paths.predictions_dir / f"{src.stem}.parquet"
    counts = predict_file(scorer, src, dst, params.predict.batch_size, params.validate_.max_length)
    log.info(
        "%s rows: %s scored, %s too long (kept, unscored) with model %s into %s",
        f"{counts['rows']:,}",
        f"{counts['scored']:,}",
        f"{counts['too_long']:,}",
        scorer.version,
        dst,
    )


if __name__ == "__main__":
    run(main)
