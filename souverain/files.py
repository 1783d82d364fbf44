"""Writing a generated data file so that a reader never sees half of it."""

import json
import os
from pathlib import Path
from typing import Any

from components.errors import SouverainError


def write_json_whole(
    document: dict[str, Any], path: Path, what: str, option: str = "--output"
) -> None:
    """Write `document` to `path` whole or not at all.

    `what` names the document in errors, and `option` the flag that chose `path`.

    Keys are sorted and the text ends with a newline, so a refresh that changes
    nothing leaves the file byte for byte as it was and `git diff` shows only news.
    """
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if not path.parent.is_dir():
        raise SouverainError(
            f"cannot write the {what} to {path}: the folder {path.parent} does not "
            f"exist; create it or choose another {option}"
        )

    # A rename within one folder replaces the file in one step, so a reader (or a
    # refresh that dies halfway) sees the old file or the new one, never a mix.
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with partial.open("w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise SouverainError(
            f"cannot write the {what} to {path}: {err.strerror or err}; check the "
            f"folder's permissions and free space, or choose another {option}"
        ) from err
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
