"""WeCom's callback message crypto (WXBizMsgCrypt), for the HTTP callback mode.

msg_signature is the SHA-1 of [token, timestamp, nonce, ciphertext] sorted and joined. The
ciphertext is AES-256-CBC under key = base64(EncodingAESKey + "="), IV = the key's first 16
bytes, padded PKCS#7 to a 32-byte block, of: 16 random bytes, the message's length (4 bytes,
big-endian), the message, and the receive id it is meant for (checked on decryption).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeCom pads to 32 bytes, not AES's 16


class CryptoError(ValueError):
    """A callback that does not check out: bad signature, undecryptable, wrong receive id."""


def signature(token: str, timestamp: str, nonce: str, ciphertext: str) -> str:
    """msg_signature: SHA-1 hex of the four strings sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, ciphertext])).encode()).hexdigest()


class MsgCrypt:
    """Checks, decrypts and encrypts one bot's callbacks."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        try:
            self.key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            raise CryptoError("EncodingAESKey is not base64") from None
        if len(self.key) != 32:
            raise CryptoError("EncodingAESKey must be 43 characters")
        self.token, self.receive_id = token, receive_id

    def check(self, msg_signature: str, timestamp: str, nonce: str, ciphertext: str) -> None:
        """Raise CryptoError unless msg_signature signs these values."""
        expected = signature(self.token, timestamp, nonce, ciphertext)
        if not hmac.compare_digest(expected, msg_signature.lower()):
            raise CryptoError("bad msg_signature")

    def decrypt(self, ciphertext: str) -> str:
        """The message inside `ciphertext`; CryptoError if it is malformed or meant for another
        receive id."""
        try:
            data = base64.b64decode(ciphertext, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("ciphertext is not base64") from None
        if not data or len(data) % 16:
            raise CryptoError("ciphertext is not whole AES blocks")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CryptoError("bad message length")
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if receive_id.decode("utf-8", "replace") != self.receive_id:
            raise CryptoError("message is for another receive id")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoError("message is not UTF-8") from None

    def encrypt(self, message: str, random: bytes | None = None) -> str:
        """`message` encrypted for this receive id, base64 (`random`: the 16 leading bytes)."""
        body = message.encode()
        plain = (random or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def open(self, msg_signature: str, timestamp: str, nonce: str, ciphertext: str) -> str:
        """Check the signature, then decrypt."""
        self.check(msg_signature, timestamp, nonce, ciphertext)
        return self.decrypt(ciphertext)

    def seal(self, message: str, timestamp: str, nonce: str) -> dict[str, str]:
        """A passive reply: the encrypted message with its signature, as WeCom's JSON wants it."""
        encrypted = self.encrypt(message)
        return {
            "encrypt": encrypted,
            "msgsignature": signature(self.token, timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }


def media_key(aeskey: str) -> bytes:
    """The AES key of a file a user sent: the message's `aeskey` (base64, its padding often
    left off) or the callback's EncodingAESKey; CryptoError unless it is 32 bytes."""
    text = aeskey.strip()
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("media key is not base64") from None
    if len(key) != 32:
        raise CryptoError("media key is not 32 bytes")
    return key


def decrypt_media(data: bytes, key: bytes) -> bytes:
    """A downloaded file's bytes: AES-256-CBC under `key` with IV = its first 16 bytes, padded
    PKCS#7 to 32 bytes (WeCom's media encryption; no random prefix, no receive id)."""
    if not data or len(data) % 16:
        raise CryptoError("media is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise CryptoError("bad media padding")
    return plain[:-pad]
