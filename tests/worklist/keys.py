"""Client keys for the SMART Backend Services tests: RSA (RS384) and EC P-384 (ES384), as PEM files and JWKs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, RSAKey


def write_key(folder: Path, kind: str) -> tuple[Path, dict[str, Any]]:
    """A private key in PEM at `folder/<kind>.pem`, and the public JWK a server registers (with a kid)."""
    private = rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP384R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = folder / f"{kind}.pem"
    path.write_bytes(pem)
    key: RSAKey | ECKey = RSAKey.import_key(pem) if kind == "rsa" else ECKey.import_key(pem)
    public = key.as_dict(private=False)
    public |= {"kid": f"worklist-{kind}", "alg": "RS384" if kind == "rsa" else "ES384", "use": "sig"}
    (folder / f"{kind}.jwks.json").write_text(json.dumps({"keys": [public]}))
    return path, public
