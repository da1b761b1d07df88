"""Feishu's HTTP event security: the Encrypt Key's AES-256-CBC envelope and X-Lark-Signature.

An app with an Encrypt Key gets every event as `{"encrypt": "<base64>"}`: the key is the
SHA-256 of the Encrypt Key, the first 16 bytes of the decoded payload are the IV, the rest
is the JSON event in AES-256-CBC with PKCS#7 padding. Each request is signed:
X-Lark-Signature = sha256_hex(timestamp + nonce + encrypt_key + body), with the timestamp
(seconds) and nonce in X-Lark-Request-Timestamp and X-Lark-Request-Nonce.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from collections.abc import Mapping

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TIMESTAMP = "X-Lark-Request-Timestamp"
NONCE = "X-Lark-Request-Nonce"
SIGNATURE = "X-Lark-Signature"


class Refused(Exception):
    """A request that is not from Feishu, or not any more: why, in a few words (no secrets)."""


def _key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode()).digest()


def decrypt(encrypted: str, encrypt_key: str) -> str:
    """The plaintext of an `encrypt` field; Refused when it is not one made with this key."""
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("encrypt is not base64") from None
    if len(raw) < 32 or len(raw) % 16:
        raise Refused("encrypt has the wrong length")
    decryptor = Cipher(algorithms.AES(_key(encrypt_key)), modes.CBC(raw[:16])).decryptor()
    padded = decryptor.update(raw[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode()
    except (ValueError, UnicodeDecodeError):
        raise Refused("encrypt does not decrypt with this key") from None


def encrypt(plaintext: str, encrypt_key: str, iv: bytes | None = None) -> str:
    """`plaintext` as Feishu encrypts it (for the fake platform and tests)."""
    iv = iv or os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key(encrypt_key)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode()


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """X-Lark-Signature of a request body."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def check_signature(
    headers: Mapping[str, str], body: bytes, encrypt_key: str, max_skew: float, now: float | None = None
) -> None:
    """Refused unless the request is signed with this key and its timestamp is recent."""
    timestamp, nonce, signed = (headers.get(h) or "" for h in (TIMESTAMP, NONCE, SIGNATURE))
    if not (timestamp and nonce and signed):
        raise Refused("unsigned request")
    expected = signature(timestamp, nonce, encrypt_key, body)
    if not hmac.compare_digest(expected.encode(), signed.encode()):
        raise Refused("bad signature")
    try:
        sent = float(timestamp)
    except ValueError:
        raise Refused("bad timestamp") from None
    if abs((time.time() if now is None else now) - sent) > max_skew:
        raise Refused("stale timestamp")
