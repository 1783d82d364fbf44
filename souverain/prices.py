"""The list prices `souverain cost` uses: `prices.json`, shipped beside this module.

Each entry names the vendor's price page (`source`) and the day its figure was taken
(`as_of`); `souverain prices refresh` rewrites Hetzner's from its Cloud API.
"""

import json
from pathlib import Path
from typing import Any

from components.errors import SouverainError

PRICES_FILE = Path(__file__).with_name("prices.json")
PRICES_FIX = (
    "refresh the price data: `souverain prices refresh` for Hetzner, or add it to "
    "souverain/prices.json from the vendor's price page named there (or pass another "
    "file with --prices)"
)


def load_prices(path: Path | None = None) -> dict[str, Any]:
    """The price data shipped with souverain, or the one in `path`, checked whole."""
    from souverain.prices_model import price_data_problems

    path = path or PRICES_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SouverainError(
            f"cannot read the price data {path}: {err.strerror or err}; pass a "
            "readable file with --prices, or leave it out to use the shipped one"
        ) from err
    except ValueError as err:
        raise SouverainError(f"{path} is not JSON ({err}); {PRICES_FIX}") from err

    problems = price_data_problems(document)
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise SouverainError(
            f"the price data {path} is not usable: {shown}{more}; {PRICES_FIX}"
        )
    return document
