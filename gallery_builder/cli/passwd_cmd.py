"""`gallery passwd`: set (or remove) the password that lets a signed-in browser write."""
from __future__ import annotations

import sys

import click

from gallery_builder.cli.options import home_option, load_or_explain

MIN_LENGTH = 8


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("New password", hide_input=True, confirmation_prompt="Repeat it")


@click.command("passwd")
@home_option
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (no prompt).")
@click.option("--remove", is_flag=True, help="Remove the password: the site becomes read-only, sessions end.")
def passwd_command(home: str, password_stdin: bool, remove: bool) -> None:
    """Set the password for writing from the site (flags, stars, culling) and end old sessions.

    The password is stored as a scrypt hash in <home>/auth.json (mode 0600) with a fresh secret
    for session cookies, so a browser signed in with the old password is signed out. Reading the
    site stays open to whoever reaches it; without a password the site is read-only.

    \b
    Examples:
      gallery passwd --home /data
      printf '%s\\n' "$PASSWORD" | gallery passwd --home /data --password-stdin
      gallery passwd --home /data --remove
    """
    from gallery_builder.core.passwords import make_credentials, remove_credentials, save_credentials

    settings = load_or_explain(home)
    if remove:
        removed = remove_credentials(settings.home)
        click.echo("password removed: the site is read-only, every session has ended" if removed
                   else "no password was set: the site is read-only")
        return
    password = _read_password(password_stdin)
    if len(password) < MIN_LENGTH:
        raise click.ClickException(f"the password needs at least {MIN_LENGTH} characters")
    path = save_credentials(settings.home, make_credentials(password))
    click.echo(f"password set ({path}, mode 0600): sign in at /signin to write; older sessions have ended")


def register(group: click.Group) -> None:
    group.add_command(passwd_command)
