"""Device tokens that carry their own identity, so 4 million of them need no lookup table.

Token number `j` of workspace `w` is rendered from a keyed hash of (w, j) and ends with (w, j)
encoded, so the gateway can decode any token it is shown and check it in O(1). Valid tokens are
j < valid_count; tokens from valid_count on are the ones APNs/FCM reject (406).
"""

from __future__ import annotations

import base64
import hashlib

import numpy as np

from portal_dev.sandbox._common import mix64, sub_seed, unit

APN, GCM = 0, 1
PLATFORMS = ("apn", "gcm")
_PAYLOAD_BITS = 24  # token number within a workspace
_M48 = (1 << 48) - 1
_MUL = 0x5DEECE66D  # odd, so multiplying by it mod 2^48 is a bijection (scrambles neighbours)
_MUL_INV = pow(_MUL, -1, 1 << 48)


class TokenCodec:
    """Renders and decodes the sandbox's device tokens for one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._mask = sub_seed(seed, "token-mask") & ((1 << 48) - 1)
        self._platform_key = np.uint64(sub_seed(seed, "token-platform"))

    def _payload(self, ws: int, j: int) -> int:
        return (ws << _PAYLOAD_BITS) | j

    def platform_of(self, ws: np.ndarray, j: np.ndarray, apn_share: np.ndarray) -> np.ndarray:
        """Platform (APN=0, GCM=1) of tokens, vectorised; a token's platform never changes."""
        payload = (ws.astype(np.uint64) << np.uint64(_PAYLOAD_BITS)) | j.astype(np.uint64)
        return (unit(mix64(payload ^ self._platform_key)) >= apn_share).astype(np.uint8)

    def platform_one(self, ws: int, j: int, apn_share: float) -> int:
        """Scalar twin of `platform_of`."""
        return int(self.platform_of(np.array([ws]), np.array([j]), np.array([apn_share]))[0])

    def render(self, ws: int, j: int, platform: int) -> str:
        """The token string: 64 hex chars for APNs, an FCM-shaped registration token for GCM."""
        payload = self._payload(ws, j)
        digest = hashlib.blake2b(f"{self.seed}:{payload}".encode(), digest_size=64).digest()
        tail = f"{((payload * _MUL) & _M48) ^ self._mask:012x}"
        if platform == APN:
            return digest[:26].hex() + tail
        instance = base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
        filler = base64.urlsafe_b64encode(digest[16:64] * 2).decode().rstrip("=")[:122]
        return f"{instance}:APA91b{filler}{tail}"

    def decode(self, token: str) -> tuple[int, int, int] | None:
        """(workspace index, token number, platform) of a token this sandbox issued, else None."""
        if len(token) < 64:
            return None
        try:
            payload = ((int(token[-12:], 16) ^ self._mask) * _MUL_INV) & _M48
        except ValueError:
            return None
        ws, j = payload >> _PAYLOAD_BITS, payload & ((1 << _PAYLOAD_BITS) - 1)
        platform = GCM if ":APA91b" in token else APN
        return (ws, j, platform) if self.render(ws, j, platform) == token else None


def mask_token(token: str) -> str:
    """What the admin API shows of a device token: its first 6 characters and an ellipsis."""
    return token[:6] + "…"
