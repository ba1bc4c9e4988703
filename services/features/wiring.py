"""Process wiring of the features area: settings, the environment's force-off, bus messages."""

from __future__ import annotations

import os
from collections.abc import Mapping

from services.features.catalog import holder
from services.features.checks import settings
from services.features.resolution import maps
from services.features.switches import board
from services.tenancy.bus import bus


def apply_message(message: dict, local: bool) -> None:
    """Bus handler: a newer catalog or switch snapshot exists; 'all' forgets everything."""
    kind = message.get("type")
    if kind == "catalog":
        holder.announce(message.get("version"))
    elif kind == "switches":
        board.announce(message.get("version"))
    elif kind == "all":
        holder.announce(None)
        board.announce(None)
        maps.l1.clear()


def install(config: Mapping, environ: Mapping[str, str] | None = None) -> None:
    settings["strict"] = bool(config.get("FEATURES_STRICT"))
    board.configure(os.environ if environ is None else environ)
    bus.add_handler(apply_message)


def reset_process_state() -> None:
    """Forget every snapshot and map of this process (tests, and `purge` from the CLI)."""
    holder.reset()
    board.reset()
    maps.l1.clear()
