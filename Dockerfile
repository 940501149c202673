# Candor API and worker image: one slim image, two commands (`candor serve`, `candor worker`).
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY service ./service
COPY sql ./sql
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
RUN groupadd --system candor && useradd --system --gid candor --home-dir /app --shell /usr/sbin/nologin candor
WORKDIR /app
COPY --from=build --chown=candor:candor /app /app
ENV PATH="/app/.venv/bin:$PATH" PYTHONUNBUFFERED=1 LOG_FORMAT=json
USER candor
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"]
CMD ["candor", "serve", "--host", "0.0.0.0", "--port", "8000"]
