# The service as a container: `docker build -t booking-assistant .`
# Runs `booking-assistant serve` on $PORT (8000) as an unprivileged user; the health
# check asks GET /readyz (database reachable, migrations applied). Configuration is the
# environment (README.md, "Configuration"); compose.yaml runs it with Postgres.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY . /src
RUN python -m venv /venv && /venv/bin/pip install /src

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8000
COPY --from=build /venv /venv
RUN useradd --system --uid 10001 --create-home --home-dir /home/app app
USER app
WORKDIR /home/app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["booking-assistant", "serve"]
