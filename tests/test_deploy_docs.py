"""The README's NAS and troubleshooting sections only name commands, flags, services and settings
that exist, so a user following them never meets "no such command"."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from gallery_builder.cli import main
from gallery_builder.config import OPTIONS_BY_NAME

REPO = Path(__file__).resolve().parents[1]


def sections() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("## Run it on a NAS")
    end = text.find("\n## ", text.index("## Troubleshooting") + 1)
    return text[start:] if end == -1 else text[start:end]


def code(text: str) -> list[str]:
    """The code of the text: lines of fenced blocks and `inline` spans."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines()] + re.findall(r"`([^`\n]+)`", prose)


def gallery_commands(text: str) -> list[list[str]]:
    """Every `gallery ...` command in the code of the text, as words."""
    found = []
    for fragment in code(text):
        for match in re.finditer(r"(?<![\w/.-])gallery ([a-z][\w-]*(?: [^#\n\"|)]*)?)", fragment):
            words = match.group(1).split()
            assert words[0] in main.commands, f"README names `gallery {words[0]}`, which is not a command"
            found.append(words)
    return found


def test_every_gallery_command_and_flag_in_the_nas_docs_exists():
    commands = gallery_commands(sections())
    assert {"watch", "serve", "nginx-config", "backup", "models", "index", "errors", "watch-status"} <= {
        words[0] for words in commands}
    runner = CliRunner()
    for words in commands:
        path = [words[0]] + ([words[1]] if words[0] == "models" and len(words) > 1 else [])
        help_text = runner.invoke(main, [*path, "--help"]).output
        for flag in (word for word in words if word.startswith("--")):
            assert flag.split("=")[0] in help_text, f"`gallery {' '.join(words)}`: {flag} unknown"


def test_nas_docs_match_compose_env_and_settings():
    text = sections()
    compose = yaml.safe_load((REPO / "compose.nas.yml").read_text())
    for service in compose["services"]:
        assert f"`{service}`" in text, service
    env = [line.split("=", 1)[0] for line in (REPO / "deploy" / "gallery.env.example").read_text().splitlines()
           if line and not line.startswith("#")]
    for name in env:
        if name not in ("TZ", "GALLERY_WORKERS"):
            assert name in text, name
    for setting in re.findall(r"`(\w+)` in `DATA_DIR/gallery.toml`", text):
        assert setting in OPTIONS_BY_NAME, setting
    for basic_auth in re.findall(r'"(--[\w-]+)",\s*"/data/nginx/htpasswd"', text):
        assert basic_auth in CliRunner().invoke(main, ["nginx-config", "--help"]).output
    for heading in ("database is locked", "inotify watch limit reached", "Permission denied on the photo share",
                    "Model missing"):
        assert heading in text, heading
