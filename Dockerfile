# syntax=docker/dockerfile:1
#
# netadvisor: build the wheel in one stage, install it into a virtualenv in a second,
# and copy only that virtualenv into the runtime stage. The runtime image holds the
# interpreter, the app and its dependencies: no compiler, no pip, no build backend.
#
#   docker build -t netadvisor:0.1.0 .
#   docker run --rm -p 8000:8000 --read-only --tmpfs /tmp netadvisor:0.1.0
#
# The base is pinned to a patch release of Python on Debian 13; a release build pins
# it by digest as well (python:3.11.17-slim-trixie@sha256:...), in this one line.
FROM python:3.11.17-slim-trixie AS python

FROM python AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m pip install "build==1.6.1"
COPY pyproject.toml README.md openapi.yaml ./
COPY decision_trees ./decision_trees
COPY service ./service
RUN python -m build --wheel --outdir /wheels .

FROM python AS install
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
COPY --from=build /wheels /wheels
# Every direct dependency is pinned in pyproject.toml. The virtualenv's own pip is
# removed once the install is done, so the runtime image cannot install anything.
RUN python -m venv /opt/netadvisor \
    && /opt/netadvisor/bin/pip install /wheels/netadvisor-*.whl \
    && /opt/netadvisor/bin/pip uninstall --yes pip \
    && /opt/netadvisor/bin/netadvisor check

FROM python AS runtime
LABEL org.opencontainers.image.title="netadvisor" \
      org.opencontainers.image.description="Decision-support REST service for Kubernetes networking choices" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed, unprivileged UID/GID above the range distributions allocate, so it matches
# the pod's runAsUser and never maps to a host user; no home, no login shell.
RUN groupadd --system --gid 10001 netadvisor \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin netadvisor \
    && python -m pip uninstall --yes --root-user-action=ignore pip setuptools wheel \
    && rm -rf /root/.cache
COPY --from=install /opt/netadvisor /opt/netadvisor
# NETADVISOR_HOST: listen on every interface inside the container's network namespace.
# PROMETHEUS_MULTIPROC_DIR: workers' metrics files; /tmp is the one writable mount
# (a tmpfs) when the root filesystem is read-only.
ENV PATH=/opt/netadvisor/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NETADVISOR_HOST=0.0.0.0 \
    NETADVISOR_PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics
USER 10001:10001
# Owned by root, so the app's own files are read-only to it even without a read-only
# root filesystem.
WORKDIR /opt/netadvisor
EXPOSE 8000
# For plain Docker; Kubernetes ignores it and uses the Deployment's probes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('NETADVISOR_PORT', '8000'), timeout=2)"]
# Exec form: gunicorn is PID 1 and receives SIGTERM directly, so a stop drains the
# workers within the graceful timeout instead of being killed by a shell in between.
CMD ["gunicorn", "--config", "python:service.serving.gunicorn_conf", "service.wsgi:app"]
