"""The Unix sockets between pivot, its zygote and the workers, on `_socket` alone.

The `socket` module makes four enums of the platform's constants as it is imported (IntEnum
`_convert_`): 1.9 ms measured alone, of the ~100 a cold `pivot run` takes before its first
stage, in pivot and again in the zygote, for names none of these calls uses. Its objects wrap
the same `_socket` ones; the two helpers below are what `socket.send_fds` and `socket.recv_fds`
do.
"""

from __future__ import annotations

import _socket
import array
from collections.abc import Sequence

Socket = _socket.socket
SEQPACKET = _socket.SOCK_SEQPACKET
STREAM = _socket.SOCK_STREAM


def pair(kind: int = STREAM) -> tuple[Socket, Socket]:
    """Two connected Unix sockets, neither inherited by a program started later (as `socket`'s)."""
    return _socket.socketpair(_socket.AF_UNIX, kind)


def adopt(fd: int) -> Socket:
    """The socket on descriptor `fd` (its family and kind read from it), closed with the object."""
    return _socket.socket(fileno=fd)


def send_fds(sock: Socket, message: bytes, fds: Sequence[int]) -> None:
    sock.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", fds))])


def recv_fds(sock: Socket, size: int, max_fds: int) -> tuple[bytes, list[int]]:
    """A message of at most `size` bytes and the descriptors that came with it (empty at end of file)."""
    fds = array.array("i")
    message, ancillary, _, _ = sock.recvmsg(size, _socket.CMSG_LEN(max_fds * fds.itemsize))
    for level, kind, data in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    return message, list(fds)
