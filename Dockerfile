# The gallery for a NAS: one image for the watcher (`gallery watch`) and the search sidecar
# (`gallery serve`); nginx runs from the official nginx image (see compose.nas.yml).
#
#   docker build -t gallery:local .                      # the runtime image (CPU only, no torch)
#   docker build --target export -t gallery:export .     # + torch/open_clip for `gallery models export`
#
# Stages: base (Python + a non-root user) -> build (a venv with the project; compilers only here)
# -> export (optional, adds torch) -> runtime (the default target: the venv, ffmpeg, nothing else).

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS base
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    GALLERY_HOME=/data \
    HOME=/tmp
RUN groupadd --gid 1000 gallery \
    && useradd --uid 1000 --gid gallery --no-create-home --home-dir /tmp --shell /usr/sbin/nologin gallery


FROM base AS build
# Every dependency ships wheels for amd64 and arm64; the compilers are here only for a platform
# where one does not, and never reach the runtime image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
WORKDIR /app
# Dependencies first (a layer that survives code edits), then the code, installed in place so the
# templates and site assets beside the package are found where the builder looks for them.
COPY pyproject.toml setup.py README.md ./
RUN mkdir -p gallery_builder search_api templates site_assets deploy \
    && touch gallery_builder/__init__.py search_api/__init__.py \
    && pip install . \
    && pip uninstall -y gallery_builder \
    && rm -rf build gallery_builder search_api templates site_assets deploy
COPY gallery_builder ./gallery_builder
COPY search_api ./search_api
COPY templates ./templates
COPY site_assets ./site_assets
COPY deploy ./deploy
RUN pip install --no-deps -e . \
    && python -m compileall -q /app/gallery_builder /app/search_api


FROM build AS export
# Optional: `gallery models export` builds CLIP ONNX models from open_clip with torch (CPU wheels).
# torch comes from the CPU-only index first, so the extra below finds it satisfied (no CUDA build).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.14.1 torchvision==0.29.1 \
    && pip install -e ".[export]"
USER 1000:1000
WORKDIR /data
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["gallery", "models", "export", "--help"]


FROM base AS runtime
# ffmpeg makes video posters; libgl1 and libglib2.0-0 let insightface's OpenCV import; no compiler, no torch.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
RUN mkdir -p /data /photos && chown gallery:gallery /data
USER 1000:1000
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8765
# The watcher's health; compose.nas.yml gives the sidecar its own (GET /api/health).
HEALTHCHECK --interval=60s --timeout=20s --start-period=120s --retries=3 \
    CMD ["gallery", "watch-status", "--home", "/data", "--max-age", "180"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["gallery", "watch", "/photos", "--home", "/data"]
