"""Deterministic payloads shared by client.py and server.py."""
import hashlib

SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 4 << 20]
FRAGMENTED_SIZES = [1, 1000, 300000, 4 << 20]
_WORDS = ["alpha ", "beta ", "gamma ", '{"id":', "42,", "\u03b4\u03ad\u03bb\u03c4\u03b1 ", "\n", "\u2713 "]


def text(n):
    """n characters of compressible, partly non-ASCII text."""
    out, state, length = [], 1, 0
    while length < n:
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        word = _WORDS[state % len(_WORDS)]
        out.append(word)
        length += len(word)
    return "".join(out)[:n]


def binary(n):
    """n bytes: half pseudo-random (incompressible), half repetitive."""
    out = bytearray()
    block = b"seed"
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block + bytes(32)
    return bytes(out[:n])


def fragments(data, count=7):
    """data cut into `count` fragments, with an empty one in the middle."""
    step = max(1, -(-len(data) // count))
    parts = [data[i:i + step] for i in range(0, len(data), step)]
    return parts[:1] + [data[:0]] + parts[1:]
