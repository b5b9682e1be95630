# cml-cds: CDS Hooks service image. Build: docker build -t cml-cds:0.1.0 .
# Runs as a non-root user with a read-only root filesystem: only /tmp (prometheus multiprocess files) and
# /var/lib/cml-cds (the SQLite file, when no database_url is set) need to be writable — mount both.
# The base image by its full version tag: a rebuild gets the same Python, not whatever 3.11 is today.
FROM python:3.11.14-slim-bookworm AS build
WORKDIR /src
# Every dependency, transitive ones included, from the lock with its hashes (requirements/*.txt, `make lock`):
# pip refuses a file whose hash is not in the lock. The project itself is the local source tree.
COPY requirements/service.txt requirements/build.txt ./requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/build.txt \
    && pip install --no-cache-dir --require-hashes --prefix=/install -r requirements/service.txt
COPY pyproject.toml README.md ./
COPY cds_hooks ./cds_hooks
COPY fhir_mapping ./fhir_mapping
COPY tki_resistance ./tki_resistance
COPY smart_app ./smart_app
COPY worklist ./worklist
RUN pip install --no-cache-dir --no-deps --no-build-isolation --prefix=/install ./

FROM python:3.11.14-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CMLCDS_MODE=production \
    CMLCDS_DATABASE_PATH=/var/lib/cml-cds/cml-cds.sqlite3
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin cmlcds \
    && mkdir -p /var/lib/cml-cds \
    && chown 10001:10001 /var/lib/cml-cds \
    && chmod 0700 /var/lib/cml-cds
USER 10001:10001
WORKDIR /var/lib/cml-cds
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["cml-cds", "serve"]
CMD ["--host", "0.0.0.0", "--port", "8080", "--workers", "2"]
