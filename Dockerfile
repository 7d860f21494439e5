# Messenger Gateway: one node. Settings from MESSENGER_* variables (docs/configuration.md); data under /data.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE run.py ./
COPY messenger_gateway messenger_gateway
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[postgres]"

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --create-home messenger
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "messenger-gateway[postgres]" && rm -rf /wheels
USER messenger
WORKDIR /data
ENV MESSENGER_HOST=0.0.0.0 \
    MESSENGER_STORAGE_DIR=/data \
    PYTHONUNBUFFERED=1
EXPOSE 6001
VOLUME ["/data"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:6001/ready', timeout=2).status == 200 else 1)"]
CMD ["messenger-gateway"]
