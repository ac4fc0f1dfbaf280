"""Word lists the extractors read (agency heads, comparator words, …), kept as data files with
their sources so that no extractor carries one plan's wording."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@lru_cache(maxsize=None)
def load_vocabulary(name: str) -> dict[str, Any]:
    """The YAML file ``<name>.yml`` of this folder, read once."""
    with open(HERE / f"{name}.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)
