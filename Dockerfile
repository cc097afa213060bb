# The scoring API. The model is baked in at build time, so a running container never depends
# on DVC, a remote or credentials, and the image tag pins one model. Before building:
#   make repro            (or: dvc pull)    -> the model, the lookup and the metrics
#   docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) -t password-complexity .
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /build
COPY requirements-serve.txt pyproject.toml ./
COPY src ./src
RUN python -m venv /venv \
    && /venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements-serve.txt \
    && /venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps .

FROM python:3.11.7-slim-bookworm
ARG GIT_COMMIT=unknown
# the registry version and stages of the model baked in (pwc.ops.registry; no Git here)
ARG REGISTRY_VERSION=""
ARG REGISTRY_STAGES=""
RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY --from=build /venv /venv
# The pipeline's output folders; the files in them the server reads are named by params.yaml
# (paths: model, lookup, evaluate_dir, gate, meter), so they are not repeated here.
COPY params.yaml ./
COPY models ./models/
COPY metrics ./metrics/
# the browser meter's bundle (paths.meter), served at /meter/
COPY web ./web/
ENV PATH=/venv/bin:$PATH \
    PWC_PARAMS=/app/params.yaml \
    PWC_HOST=0.0.0.0 \
    PWC_PORT=8000 \
    PWC_GIT_COMMIT=$GIT_COMMIT \
    PWC_REGISTRY_VERSION=$REGISTRY_VERSION \
    PWC_REGISTRY_STAGES=$REGISTRY_STAGES \
    OMP_NUM_THREADS=1
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
CMD ["password-complexity", "serve"]
