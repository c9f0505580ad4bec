"""Undoing gzip/zstd compression as bounded, error-preserving streams.

Decompression is bounded (a small compressed chunk can never expand into gigabytes at once);
truncation and corruption are reported as ``InputError`` only after the bytes decoded before the
break have been handed out (:class:`SafeStream`).
"""
from __future__ import annotations

import io
import zlib
from typing import BinaryIO

import zstandard

from newsfold.stages.ingest.errors import InputError

CHUNK = 1 << 16

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ZSTD_STEP = 256


class GzipRaw(io.RawIOBase):
    """Multi-member gzip decompression that reports truncation and corruption (``InputError``)."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._d: zlib._Decompress | None = None
        self._buf = b""
        self._members = 0
        self.out_bytes = 0

    def readable(self) -> bool:
        return True

    _error: InputError | None = None

    def readinto(self, b) -> int:  # type: ignore[override]
        if self._error is not None:  # the stream is broken: say so again on every read
            raise self._error
        try:
            data = self._read_some(len(b))
        except InputError as exc:
            self._error = exc
            raise
        n = len(data)
        b[:n] = data
        return n

    def _read_some(self, n: int) -> bytes:
        while True:
            if self._d is None:  # between members
                if len(self._buf) < 2:
                    more = self._fh.read(CHUNK)
                    if not more and not self._buf:
                        return b""
                    self._buf += more
                    if more:
                        continue
                if self._buf[:2] != GZIP_MAGIC:
                    if not self._buf.strip(b"\0"):  # zero padding after the last member
                        rest = self._fh.read(CHUNK)
                        while rest and not rest.strip(b"\0"):
                            rest = self._fh.read(CHUNK)
                        if not rest:
                            return b""
                    if self._members == 0:
                        raise InputError("corrupt", "not gzip data")
                    raise InputError("corrupt", f"garbage after gzip member {self._members} ({self.out_bytes} bytes read)")
                self._d = zlib.decompressobj(31)
                self._members += 1
            if self._buf:
                data, self._buf = self._buf, b""
            elif self._d.unconsumed_tail:
                data = self._d.unconsumed_tail
            else:
                data = self._fh.read(CHUNK)
                if not data:
                    raise InputError("truncated", f"gzip data ends early, after {self.out_bytes} bytes")
            try:
                out = self._d.decompress(data, n)
            except zlib.error as exc:
                raise InputError("corrupt", f"gzip data error after {self.out_bytes} bytes ({exc})") from None
            if self._d.eof:
                self._buf = self._d.unused_data
                self._d = None
            if out:
                self.out_bytes += len(out)
                return out


class ZstdRaw(io.RawIOBase):
    """Multi-frame zstd decompression that reports truncation and corruption (``InputError``).

    Input is fed in small steps so that a highly compressed chunk cannot expand into more than
    about 8 MB at once.
    """

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._dctx = zstandard.ZstdDecompressor()
        self._d = None
        self._in = b""
        self._out = b""
        self._pos = 0
        self._frames = 0
        self.out_bytes = 0

    def readable(self) -> bool:
        return True

    _error: InputError | None = None

    def readinto(self, b) -> int:  # type: ignore[override]
        if self._pos >= len(self._out):
            if self._error is not None:  # the stream is broken: say so again on every read
                raise self._error
            try:
                self._out, self._pos = self._decompress_more(), 0
            except InputError as exc:
                self._error = exc
                raise
            if not self._out:
                return 0
        n = min(len(b), len(self._out) - self._pos)
        b[:n] = self._out[self._pos:self._pos + n]
        self._pos += n
        return n

    def _corrupt(self, what: str) -> InputError:
        if self._frames == 0:
            return InputError("corrupt", "not zstd data")
        return InputError("corrupt", f"{what} after zstd frame {self._frames} ({self.out_bytes} bytes read)")

    def _decompress_more(self) -> bytes:
        """At least CHUNK bytes of output where there is that much; b"" only at a clean end."""
        pieces = []
        got = 0
        while got < CHUNK:
            try:
                piece = self._piece()
            except InputError as exc:
                if not pieces:
                    raise
                self._error = exc  # hand out what came before the break first
                break
            if not piece:
                break
            pieces.append(piece)
            got += len(piece)
        return b"".join(pieces)

    def _piece(self) -> bytes:
        # Input is taken ZSTD_STEP bytes at a time (from the file's buffer): zstd can expand about
        # 32000:1, so this bounds what one decompress call can return.
        while True:
            if self._d is None:  # at a frame boundary
                if len(self._in) < 4:
                    more = self._fh.read(ZSTD_STEP)
                    if more:
                        self._in += more
                        continue
                if self._in[:4] != ZSTD_MAGIC:
                    while not self._in.strip(b"\0"):  # nothing, or zero padding up to the end
                        self._in = self._fh.read(CHUNK)
                        if not self._in:
                            return b""
                    raise self._corrupt("garbage")
                self._d = self._dctx.decompressobj()
                self._frames += 1
            if self._in:
                chunk, self._in = self._in, b""
            else:
                chunk = self._fh.read(ZSTD_STEP)
                if not chunk:
                    raise InputError("truncated", f"zstd data ends early, after {self.out_bytes} bytes")
            try:
                out = self._d.decompress(chunk)
            except zstandard.ZstdError as exc:
                raise InputError("corrupt", f"zstd data error after {self.out_bytes} bytes ({exc})") from None
            if self._d.eof:
                self._in = self._d.unused_data
                self._d = None
            if out:
                self.out_bytes += len(out)
                return out


class SafeStream:
    """A buffered reader over a (decompressing) raw stream that never loses data to an error.

    ``io.BufferedReader`` drops the bytes it has gathered in a ``read``/``readline`` call when the
    raw stream raises in the middle of it. Here the bytes read before a decompression error are
    handed out first, and the error (``InputError``) is raised by the next call that finds nothing
    left; ``raise_pending()`` raises it at once.
    """

    def __init__(self, raw: BinaryIO, prefix: bytes = b"", error: InputError | None = None) -> None:
        self._raw = raw
        self._buf = bytearray(prefix)
        self._error = error
        self._eof = False

    def _fill(self) -> bool:
        """Append one chunk from the raw stream; False at the end or at an error."""
        if self._error is not None or self._eof:
            return False
        try:
            data = self._raw.read(CHUNK)
        except InputError as exc:
            self._error = exc
            return False
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def raise_pending(self) -> None:
        if self._error is not None and not self._buf:
            raise self._error

    def _take(self, n: int) -> bytes:
        if n == 0:
            self.raise_pending()
        if n == len(self._buf):
            out = bytes(self._buf)
            self._buf = bytearray()
            return out
        with memoryview(self._buf) as view:
            out = bytes(view[:n])
        del self._buf[:n]
        return out

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            while self._fill():
                pass
            return self._take(len(self._buf))
        while len(self._buf) < n and self._fill():
            pass
        return self._take(min(n, len(self._buf)))

    def readline(self, limit: int | None = -1) -> bytes:
        if limit is None:
            limit = -1
        start = 0
        while True:
            i = self._buf.find(b"\n", start)
            if i >= 0 and (limit < 0 or i < limit):
                return self._take(i + 1)
            if 0 <= limit <= len(self._buf):
                return self._take(limit)
            start = len(self._buf)
            if not self._fill():
                return self._take(len(self._buf))

    def close(self) -> None:
        self._buf = bytearray()


def read_up_to(raw: BinaryIO, n: int) -> tuple[bytes, InputError | None]:
    """Up to ``n`` bytes; a decompression error is left for the next read of ``raw`` (the raw
    decompressors raise it again), so that what came before the break can still be used."""
    parts = []
    got = 0
    error = None
    while got < n:
        try:
            data = raw.read(n - got)
        except InputError as exc:
            error = exc
            break
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts), error
