"""A leaner path for asyncssh's packets in the gateway, the same bytes on the wire.

Every byte the gateway relays crosses asyncssh's packet layer twice (decrypted from one hop,
encrypted to the other), and there asyncssh spends more than the cipher does:
- before every packet it sends an SSH_MSG_IGNORE of its own (a countermeasure for CBC ciphers,
  whose next IV is otherwise known): a second packet to encrypt and a second socket write each
  time, to no purpose under AES-GCM or chacha20-poly1305 (OpenSSH sends none);
- each read from the socket is a new bytes object, appended to an input buffer that is `bytes`
  too: appending copies all of it, taking a packet off its front copies what is left;
- a channel's data received under AES-GCM is copied four more times (joined for the cipher, the
  payload, the string, and whatever the stream's read splits and joins), and a new AESGCM object
  is built for every packet;
- a channel's data sent is copied into the channel's buffer, then nine times on its way out,
  once for each thing put before or after it (its length, the channel number, the packet type,
  the padding, the length in clear, the MAC), with a system call for each packet's padding.
Here: the socket reads into the input buffer (asyncio's BufferedProtocol), a channel's data is
decrypted from it into the bytearray the channel is handed, and sent from the caller's bytes
while the window allows, put together and sealed in two copies.

install() replaces those few methods of asyncssh's classes, in the gateway's process: the packets,
their order, sequence numbers, rekeying and logging are as asyncssh's, and whatever the lean path
does not take (any packet but a channel's data or an IGNORE, compression, a key exchange due,
packet logging) is asyncssh's own code. Measured by tests/benchmarks/bastion_sftp.py: the
gateway's CPU per 200 MB of SFTP fell by half. They are written against the asyncssh release
named in ASYNCSSH; under any other release install() leaves asyncssh as it is and logs why
(re-read the replaced methods there, then update ASYNCSSH).
"""
import asyncio
import logging
import os
import threading
import time
from typing import Optional, Union

import asyncssh
import asyncssh.channel as _channel
import asyncssh.connection as _connection
import asyncssh.encryption as _encryption
from asyncssh.logging import SSHLogger as _SSHLogger
from asyncssh.packet import UInt32
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger("guardzone.bastion.gateway")

ASYNCSSH = "2.24.1"
GCM_ALGS = (b"aes128-gcm@openssh.com", b"aes256-gcm@openssh.com")
_IGNORE_BODY = b"\0\0\0\0"  # what asyncssh puts in its own SSH_MSG_IGNORE: an empty string
_MSG_IGNORE, _MSG_USERAUTH_LAST = _connection.MSG_IGNORE, _connection.MSG_USERAUTH_LAST
_MSG_CHANNEL_DATA, _MSG_CHANNEL_EXTENDED_DATA = _channel.MSG_CHANNEL_DATA, _channel.MSG_CHANNEL_EXTENDED_DATA
_MSG_CHANNEL_EOF = _channel.MSG_CHANNEL_EOF
_PROCESS_DATA = _channel.SSHChannel._packet_handlers[_MSG_CHANNEL_DATA]
_GCM_BLOCK, _GCM_TAG = 16, 16
# One read from the socket takes up to 64 KiB at first, twice as much after each read that
# filled its room, up to 1 MiB: an idle session's buffer stays small, a transfer's reads are few.
_FIRST_READ, _READ = 64 * 1024, 1024 * 1024

_stock = {}                 # (class, method name) -> asyncssh's own, for what the lean path leaves to it
_installing = threading.Lock()  # gateways may start in several threads of one process


class GcmPackets(_encryption.Encryption):
    """AES-GCM for SSH packets (RFC 5647, OpenSSH's aes*-gcm@openssh.com) as asyncssh's
    GCMEncryption, with one AESGCM per key rather than one per packet."""

    def __init__(self, key: bytes, iv: bytes) -> None:
        self._aead = AESGCM(key)
        self._fixed = iv[:4]
        self._invocation = int.from_bytes(iv[4:], "big")
        self._pad, self._padded = b"", 0

    @classmethod
    def new(cls, cipher_name: str, key: bytes, iv: bytes, mac_alg: bytes = b"", mac_key: bytes = b"",
            etm: bool = False) -> "GcmPackets":
        return cls(key, iv)

    @classmethod
    def needs_mac(cls) -> bool:
        return False

    @classmethod
    def get_mac_params(cls, mac_alg: bytes):
        return 0, 16, True

    def padding(self, size: int) -> bytes:
        """Random bytes for a packet's padding (RFC 4253 section 6), taken from the OS 4 KiB at a
        time rather than by a system call for every packet."""
        at = self._padded
        if at + size > len(self._pad):
            self._pad, at = os.urandom(4096), 0
        self._padded = at + size
        return self._pad[at:at + size]

    def _nonce(self) -> bytes:
        nonce = self._fixed + self._invocation.to_bytes(8, "big")
        self._invocation = (self._invocation + 1) & 0xFFFFFFFFFFFFFFFF
        return nonce

    def seal(self, header: bytes, plain: bytes) -> bytearray:
        """The packet as sent: the length in clear, then the ciphertext and its tag."""
        packet = bytearray(len(header) + len(plain) + _GCM_TAG)
        packet[:len(header)] = header
        with memoryview(packet) as view:
            self._aead.encrypt_into(self._nonce(), plain, header, view[len(header):])
        return packet

    def encrypt_packet(self, seq: int, header: bytes, packet: bytes):
        return self.seal(header, packet), b""

    def open(self, header, body) -> Optional[bytearray]:
        """A packet's plaintext from its length in clear and the rest (views are fine), or None
        if it is not genuine; the nonce moves on either way."""
        plain = bytearray(len(body) - _GCM_TAG)
        try:
            self._aead.decrypt_into(self._nonce(), body, header, plain)
        except InvalidTag:
            return None
        return plain

    def decrypt_header(self, seq: int, first_block: bytes, header_len: int):
        return first_block, first_block[:header_len]

    def decrypt_packet(self, seq: int, first: bytes, rest, header_len: int, mac) -> bytes:
        try:
            return self._aead.decrypt(self._nonce(), b"".join((first[header_len:], rest, mac)), first[:header_len])
        except InvalidTag:
            return b""      # asyncssh raises MACError on an empty result


class InputBuffer:
    """What asyncssh's connection has received and not yet parsed, with the operations asyncssh
    applies to its `bytes` (+=, len, slices, find), in one bytearray the socket reads straight
    into (room()) and packets are decrypted from. Taking a prefix (`buf = buf[n:]`) moves
    `start`; the bytes held move to the front, or the buffer grows, only when a read needs the
    room. Slices are copies, so nothing refers into the buffer when what it holds moves."""
    __slots__ = ("data", "start", "end", "read")

    def __init__(self, data: bytes = b"") -> None:
        self.data = bytearray(data)
        self.start, self.end = 0, len(self.data)
        self.read = _FIRST_READ     # the room a read from the socket is given

    def room(self, size: int) -> memoryview:
        """The free space after what is held, at least `size` bytes; the caller fills some of it
        and adds what it filled to `end` before it asks again."""
        if self.start == self.end:
            self.start = self.end = 0
        if len(self.data) - self.end < size:
            held = self.end - self.start
            if self.start:
                self.data[:held] = self.data[self.start:self.end]
                self.start, self.end = 0, held
            if len(self.data) - held < size:
                self.data += bytes(size - (len(self.data) - held))
        return memoryview(self.data)[self.end:]

    def __iadd__(self, more: bytes) -> "InputBuffer":
        with self.room(len(more)) as free:
            free[:len(more)] = more
        self.end += len(more)
        return self

    def __len__(self) -> int:
        return self.end - self.start

    def __bool__(self) -> bool:
        return self.end > self.start

    def __getitem__(self, part: slice):
        begin, stop, _ = part.indices(self.end - self.start)    # as `bytes` reads it, negatives too
        if part.stop is None:   # buf[n:]: what is left after the first n bytes
            self.start += begin
            return self
        with memoryview(self.data) as view:
            return bytes(view[self.start + begin:self.start + max(begin, stop)])

    def find(self, sub: bytes, begin: int = 0, end: Optional[int] = None) -> int:
        at = self.data.find(sub, self.start + begin, self.end if end is None else min(self.start + end, self.end))
        return at - self.start if at >= 0 else at


_AEAD = (GcmPackets, _encryption.GCMEncryption, _encryption.ChachaEncryption)   # no IGNORE needed before a packet


def _input(self) -> InputBuffer:
    if type(self._inpbuf) is not InputBuffer:     # asyncssh's b"", new or after a close
        self._inpbuf = InputBuffer(self._inpbuf)
    return self._inpbuf


def _get_buffer(self, sizehint: int) -> memoryview:
    """asyncio's BufferedProtocol: the socket reads into the input buffer (no bytes object
    per read, no copy into the buffer)."""
    buf = _input(self)
    return buf.room(buf.read)


def _buffer_updated(self, nbytes: int) -> None:
    buf = self._inpbuf
    buf.end += nbytes
    if nbytes >= buf.read and buf.read < _READ:     # a busy connection: longer reads, fewer of them
        buf.read *= 2
    self._recv_data()


def _data_received(self, data: bytes, datatype=None) -> None:
    """For transports that hand over bytes (asyncssh's tunnels)."""
    _input(self).__iadd__(data)
    self._recv_data()


def _recv_pkthdr(self) -> bool:
    """asyncssh's SSHConnection._recv_pkthdr, which takes a packet's first block; under AES-GCM
    once logged in, a channel's data is taken whole here instead: decrypted straight from the
    input buffer into the bytearray handed to its channel, where asyncssh copies it four times
    more (and builds a packet reader, dispatches and logs); so is an SSH_MSG_IGNORE. Any other
    packet, or data asyncssh would refuse, is left where it is and decrypted again by asyncssh's
    own code, which then does as it always does (its checks, errors and logging)."""
    enc, buf = self._recv_encryption, self._inpbuf
    if type(enc) is GcmPackets and type(buf) is InputBuffer and self._auth_complete and not self._decompressor \
            and _SSHLogger._debug_level < 2:
        data, start = buf.data, buf.start
        if buf.end - start < _GCM_BLOCK:
            return False
        pktlen = int.from_bytes(data[start:start + 4], "big")
        end = start + 4 + pktlen + _GCM_TAG
        if _GCM_BLOCK <= pktlen <= self._max_recv_pktlen:     # else asyncssh's own refusal
            if buf.end < end:
                return False            # the rest of the packet has not come yet
            invocation = enc._invocation
            with memoryview(data) as view:
                plain = enc.open(view[start:start + 4], view[start + 4:end])
            if plain is not None and plain[1] == _MSG_IGNORE and len(plain) >= 6 + plain[0] \
                    and 6 + int.from_bytes(plain[2:6], "big") + plain[0] == len(plain):
                buf.start = end             # asyncssh's peers send one before every packet
                self._finish_recv_packet(_MSG_IGNORE, self._recv_seq)
                return True
            if plain is not None and plain[1] == _MSG_CHANNEL_DATA and len(plain) >= 10 + plain[0]:
                chan = self._channels.get(int.from_bytes(plain[2:6], "big"))
                size = int.from_bytes(plain[6:10], "big")
                if chan is not None and chan._packet_handlers.get(_MSG_CHANNEL_DATA) is _PROCESS_DATA \
                        and chan._recv_state == "open" and size <= chan._recv_window \
                        and 10 + size + plain[0] == len(plain):
                    buf.start = end
                    del plain[:10]          # the data alone, where it was decrypted: these move
                    del plain[size:]        # the bytearray's ends without copying the data
                    chan._accept_data(plain)
                    self._finish_recv_packet(_MSG_CHANNEL_DATA, self._recv_seq)
                    return True
            enc._invocation = invocation    # asyncssh's own code decrypts it again
    return _stock[_connection.SSHConnection, "_recv_pkthdr"](self)


def _sealing(conn) -> bool:
    """Whether the lean path seals the connection's next packet itself: AES-GCM, keys and login
    settled, no compression, no key exchange due (asyncssh's send_packet starts that)."""
    return (type(conn._send_encryption) is GcmPackets and not conn._compressor and conn._kex_complete
            and conn._auth_complete and conn._rekey_bytes_sent < conn._rekey_bytes
            and not (conn._rekey_seconds and time.monotonic() >= conn._rekey_time))


def _seal(conn, pkttype: int, args) -> int:
    """The packet built, sealed and sent as asyncssh's send_packet would: its sequence number."""
    size = 1 + sum(map(len, args))
    padlen = -(5 + size) % 16
    if padlen < 4:
        padlen += 16
    pktlen = 1 + size + padlen
    enc = conn._send_encryption
    conn._send(enc.seal(pktlen.to_bytes(4, "big"), b"".join((bytes((padlen, pkttype)), *args, enc.padding(padlen)))))
    seq = conn._send_seq
    conn._send_seq = (seq + 1) & 0xFFFFFFFF
    conn._rekey_bytes_sent += pktlen
    return seq


def _send_packet(self, pkttype: int, *args: bytes, handler=None) -> None:
    """asyncssh's SSHConnection.send_packet: no IGNORE before each packet under an AEAD cipher,
    and, once keys and login are settled on AES-GCM, the packet built and sealed in one go."""
    if pkttype == _MSG_IGNORE and args == (_IGNORE_BODY,) and isinstance(self._send_encryption, _AEAD):
        return
    if pkttype <= _MSG_USERAUTH_LAST or not _sealing(self):
        # asyncssh may keep the packet for later: a channel's views of its data become bytes
        _stock[_connection.SSHConnection, "send_packet"](
            self, pkttype, *(bytes(arg) if type(arg) is memoryview else arg for arg in args), handler=handler)
        return
    seq = _seal(self, pkttype, args)
    if _SSHLogger._debug_level >= 3:    # as asyncssh's SSHLogger.packet decides
        (handler or self).log_sent_packet(pkttype, seq, b"".join((bytes((pkttype,)), *args)))


def _channel_send_packet(self, pkttype: int, *args: bytes) -> None:
    if self._send_chan is None:
        return
    self._conn.send_packet(pkttype, UInt32(self._send_chan), *args, handler=self)


def _channel_write(self, data, datatype=None) -> None:
    """asyncssh's SSHChannel.write, which copies all the data into the channel's buffer before
    sending any: here what the peer's window lets go now is sent from the caller's bytes, and
    only the rest is copied to wait for the window."""
    if self._send_state != "open":
        raise BrokenPipeError("Channel not open for sending")
    if datatype is not None and datatype not in self._write_datatypes:
        raise OSError("Invalid extended data type")
    if not data:
        return
    if self._encoding:
        data = self._encoder.encode(data)
    if _SSHLogger._debug_level >= 2:
        self.logger.debug2("Sending %d data byte%s", len(data), "s" if len(data) > 1 else "")
    sent = 0
    if not self._send_buf:
        with memoryview(data) as view:
            sent = _send_data(self, view, datatype)
            if sent < len(view):
                self._send_buf.append((bytearray(view[sent:]), datatype))
    else:
        self._send_buf.append((bytearray(data), datatype))
    self._send_buf_len += len(data) - sent
    self._pause_resume_writing()


def _flush_send_buf(self) -> None:
    """asyncssh's SSHChannel._flush_send_buf, the packets' data taken as views of the buffer
    rather than copied out of it."""
    while self._send_buf and self._send_window:
        buf, datatype = self._send_buf[0]
        with memoryview(buf) as view:
            sent = _send_data(self, view, datatype)
        self._send_buf_len -= sent
        if sent == len(buf):
            del self._send_buf[0]
        else:
            del buf[:sent]
    self._pause_resume_writing()
    if not self._send_buf:
        if self._send_state == "eof_pending":
            self.send_packet(_MSG_CHANNEL_EOF)
            self._send_state = "eof"
        elif self._send_state == "close_pending":
            self._close_send()


def _send_data(self, view: memoryview, datatype) -> int:
    """As much of `view` as the window allows, in packets of at most the peer's size: how much."""
    sent, left = 0, len(view)
    while left and self._send_window:
        size = min(self._send_window, self._send_pktsize, left)
        data = view[sent:sent + size]
        self._send_window -= size
        sent += size
        left -= size
        if datatype is None and self._send_chan is not None and _SSHLogger._debug_level < 3 and _sealing(self._conn):
            _seal(self._conn, _MSG_CHANNEL_DATA, (UInt32(self._send_chan), UInt32(size), data))
        elif datatype is None:
            self.send_packet(_MSG_CHANNEL_DATA, UInt32(size), data)
        else:
            self.send_packet(_MSG_CHANNEL_EXTENDED_DATA, UInt32(datatype), UInt32(size), data)
    return sent


async def read(reader: asyncssh.SSHReader, most: int) -> Union[bytes, bytearray]:
    """`reader.read(most)`, except that data asyncssh has received already is taken as it came,
    a packet's data at a time (bytes, or the bytearray it was decrypted into): asyncssh's read
    takes up to `most` across its packets, splitting the last (a copy of what it takes of it and
    of what it leaves) and joining them (another), and once one packet came short every later
    one is split."""
    session = getattr(reader, "_session", None) if _stock else None
    pending = session._recv_buf.get(reader._datatype) if session is not None else None
    if pending and type(pending[0]) in (bytes, bytearray) and len(pending[0]) <= most:
        return await reader.read(len(pending[0]))
    return await reader.read(most)


_REPLACED = ((_connection.SSHConnection, "data_received", _data_received),
             (_connection.SSHConnection, "get_buffer", _get_buffer),
             (_connection.SSHConnection, "buffer_updated", _buffer_updated),
             (_connection.SSHConnection, "_recv_pkthdr", _recv_pkthdr),
             (_connection.SSHConnection, "send_packet", _send_packet),
             (_channel.SSHChannel, "send_packet", _channel_send_packet),
             (_channel.SSHChannel, "write", _channel_write),
             (_channel.SSHChannel, "_flush_send_buf", _flush_send_buf))


def installed() -> bool:
    return bool(_stock)


def install() -> bool:
    """Puts the lean path in place (once per process); False, with a warning, where the asyncssh
    release is not the one it was written against."""
    with _installing:
        if _stock:
            return True
        if asyncssh.__version__ != ASYNCSSH:
            log.warning("asyncssh %s: the gateway's lean packet path is written for %s; asyncssh's own is used",
                        asyncssh.__version__, ASYNCSSH)
            return False
        for cls, name, lean in _REPLACED:
            _stock[cls, name] = getattr(cls, name, None)
            setattr(cls, name, lean)
        # asyncio's transports read into a protocol's own buffer only if it is a BufferedProtocol
        _stock[_connection.SSHConnection, "__bases__"] = _connection.SSHConnection.__bases__
        _connection.SSHConnection.__bases__ += (asyncio.BufferedProtocol,)
        for alg in GCM_ALGS:
            _stock[_encryption, alg] = _encryption._enc_params[alg]
            _encryption._enc_params[alg] = (GcmPackets, _encryption._enc_params[alg][1])
        return True


def uninstall() -> None:
    """asyncssh as it was (for tests comparing the two)."""
    with _installing:
        for (owner, name), stock in list(_stock.items()):
            if owner is _encryption:
                _encryption._enc_params[name] = stock
            elif stock is None:
                delattr(owner, name)
            else:
                setattr(owner, name, stock)
        _stock.clear()
