# Batch scoring image (minimal; the serving issue adds the API). The model is baked in at
# build time: run `make repro` (or `dvc pull`) first so models/model.skops exists.
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /app
COPY requirements.txt pyproject.toml ./
COPY src ./src
RUN python -m venv /venv \
    && /venv/bin/pip install --no-cache-dir -r requirements.txt \
    && /venv/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11.7-slim-bookworm
RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY --from=build /venv /venv
COPY params.yaml ./
COPY models/model.skops ./models/model.skops
USER app
ENV PATH=/venv/bin:$PATH
# Scores the file named by predict.input in params.yaml (mount it at /app/data/...).
CMD ["python", "-m", "pwc.stages.predict"]
