# A local stand-in for the official `python:3.11-slim`, for machines that reach no image registry:
# Debian 12's Python 3.11 in a virtual environment first on PATH (so `python` and `pip` work as in the
# official image). Built from a base image imported from Debian's archive (deploy/podman/prepare-host.sh).
ARG DEBIAN_IMAGE=localhost/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /usr/local/python
ENV PATH=/usr/local/python/bin:$PATH LANG=C.UTF-8
