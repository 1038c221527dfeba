# fuxian_rules service image: the wheel built from this checkout, with the docs site baked in.
#   docker build -t fuxian-rules .
#   docker run -p 8000:8000 -e FUXIAN_SETTINGS=/etc/fuxian/fuxian.toml -v /etc/fuxian:/etc/fuxian fuxian-rules
# Settings come from FUXIAN_* environment variables or the settings file (docs/deployment.md).

# ---- build: the wheel (durable-rules compiles from source: needs a C compiler) and the docs site ----
FROM python:3.12-slim AS build
# The compiler is only needed in this stage, at whatever version the base image's Debian ships.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc g++ make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir build==1.2.2 \
    && python -m build --wheel --outdir /dist \
    && pip wheel --no-cache-dir --wheel-dir /dist "$(ls /dist/fuxian_rules-*.whl)[service]"
RUN pip install --no-cache-dir -e ".[docs]" \
    && NO_MKDOCS_2_WARNING=1 mkdocs build --strict -d /site

# ---- run: only the wheels and the static site; no compiler, no sources ----
FROM python:3.12-slim
RUN useradd --system --create-home --uid 10001 fuxian
COPY --from=build /dist /tmp/dist
RUN pip install --no-cache-dir --no-index --find-links /tmp/dist "fuxian-rules[service]==0.1.0" \
    && rm -rf /tmp/dist
COPY --from=build /site /srv/fuxian/site
ENV FUXIAN_DOCS_DIR=/srv/fuxian/site \
    PYTHONUNBUFFERED=1
USER 10001
EXPOSE 8000
CMD ["fuxian-rules", "serve", "--host", "0.0.0.0", "--port", "8000"]
