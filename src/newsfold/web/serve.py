"""``newsfold serve``: the app under uvicorn, on 127.0.0.1 unless another address is asked for."""
from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Callable

LOCAL = "127.0.0.1"


def is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_address(host: str | None) -> tuple[str, str | None]:
    """The address to listen on, and a warning when it is not this machine only. Only an address given
    explicitly (``--host``) can be non-local; the default is 127.0.0.1."""
    if host is None:
        return LOCAL, None
    if is_local(host):
        return host, None
    return host, (f"listening on {host} as --host asks: anyone who can reach this machine can read the corpus"
                  " (there is no login)")


def config(folder: Path, port: int = 8000, host: str | None = None):
    import uvicorn

    from newsfold.web.app import create_app

    address, _ = bind_address(host)
    return uvicorn.Config(create_app(folder), host=address, port=port, log_level="warning", access_log=False)


def serve(folder: Path, port: int = 8000, host: str | None = None, say: Callable[[str], None] = print) -> None:
    import uvicorn

    from newsfold.corpus.generation import dbless_generation
    from newsfold.read.handle import missing_db

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no corpus at {folder}: the folder does not exist")
    address, warning = bind_address(host)
    if warning:
        say(f"[yellow]warning:[/] {warning}")
    if dbless_generation(folder):
        say(f"[yellow]warning:[/] {missing_db(folder)}; pages answer 503 until it is built")
    elif not (folder / "newsfold.db").exists():
        say(f"[yellow]warning:[/] {folder} holds no corpus yet; pages answer 503 until `newsfold run` publishes one")
    shown = f"[{address}]" if ":" in address else address
    say(f"serving {folder} read-only at http://{shown}:{port}/  (Ctrl-C to stop)")
    uvicorn.Server(config(folder, port, host)).run()
