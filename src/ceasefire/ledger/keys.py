"""Key files: a private key saved for its owner only, verifier keys read from a file or a string."""

from __future__ import annotations

import os
from pathlib import Path

from ceasefire.errors import (
    ConflictError,
    InputError,
    Problem,
)
from ceasefire.ledger.notes import (
    Signer,
    Verifier,
)

# -- key files ---------------------------------------------------------------------------------


def write_key(signer: Signer, path: Path) -> Path:
    """Save a private key (the C2SP ``PRIVATE+KEY+...`` string) readable by its owner only, and
    its public verifier key beside it as ``<path>.pub``; returns the ``.pub`` path.

    Raises
    ------
    ConflictError
        The file exists: a key is never overwritten.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConflictError(f"{path} exists; a key file is never overwritten") from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(signer.key + "\n")
    public = path.with_name(path.name + ".pub")
    public.write_text(signer.verifier().key + "\n", encoding="ascii")
    return public


def read_signer(path: Path) -> Signer:
    """The private key saved by :func:`write_key`."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), "", f"cannot read the key file: {exc}")) from None
    return Signer.from_key(text)


def read_verifier(value: str) -> Verifier:
    """A verifier key given as the key itself (``name+id+base64``) or as a file holding it."""
    text = value.strip()
    path = Path(text)
    if path.is_file():
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(Problem(value, "", f"cannot read the key file: {exc}")) from None
    return Verifier.from_key(text)
