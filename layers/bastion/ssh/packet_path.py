"""A leaner path for asyncssh's packets in the gateway, the same bytes on the wire.

Every byte the gateway relays crosses asyncssh's packet layer twice (decrypted from one hop,
encrypted to the other), and there asyncssh spends more than the cipher does:
- before every packet it sends an SSH_MSG_IGNORE of its own (a countermeasure for CBC ciphers,
  whose next IV is otherwise known): a second packet to encrypt and a second socket write each
  time, to no purpose under AES-GCM or chacha20-poly1305 (OpenSSH sends none);
- AES-GCM builds a new AESGCM object, and copies the packet twice more, for every packet;
- the input buffer is `bytes`: appending to it copies all of it, and taking a packet off its
  front copies what is left;
- a channel's data is copied nine times on its way out, once for each thing put before or after
  it (its length, the channel number, the packet type, the padding, the length in clear, the MAC);
  here three times (the packet's slice of the buffer, the packet put together, sealed).

install() replaces those few methods of asyncssh's classes, in the gateway's process, with ones
that do the same work once: the packets, their order, sequence numbers, rekeying and logging are
as asyncssh's. Measured by tests/benchmarks/bastion_sftp.py: the gateway's CPU per 200 MB of
SFTP fell by a fifth to a quarter. They are written against the asyncssh release named in
ASYNCSSH; under any other release install() leaves asyncssh as it is and logs why (re-read the
replaced methods there, then update ASYNCSSH).
"""
import logging
import os
import threading
import time
from typing import Optional

import asyncssh
import asyncssh.channel as _channel
import asyncssh.connection as _connection
import asyncssh.encryption as _encryption
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
_SMALL = 4096               # slices of the input buffer shorter than this are copied; longer ones are views

_stock = {}                 # (class, method name) -> asyncssh's own, for what the lean path leaves to it
_installing = threading.Lock()  # gateways may start in several threads of one process


class GcmPackets(_encryption.Encryption):
    """AES-GCM for SSH packets (RFC 5647, OpenSSH's aes*-gcm@openssh.com) as asyncssh's
    GCMEncryption, with one AESGCM per key and one copy each way."""

    def __init__(self, key: bytes, iv: bytes) -> None:
        self._aead = AESGCM(key)
        self._fixed = iv[:4]
        self._invocation = int.from_bytes(iv[4:], "big")

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

    def _nonce(self) -> bytes:
        nonce = self._fixed + self._invocation.to_bytes(8, "big")
        self._invocation = (self._invocation + 1) & 0xFFFFFFFFFFFFFFFF
        return nonce

    def seal(self, header: bytes, plain: bytes) -> bytes:
        """The packet as sent: the length in clear, then the ciphertext and its tag."""
        return header + self._aead.encrypt(self._nonce(), plain, header)

    def encrypt_packet(self, seq: int, header: bytes, packet: bytes):
        return self.seal(header, packet), b""

    def decrypt_header(self, seq: int, first_block: bytes, header_len: int):
        return first_block, first_block[:header_len]

    def decrypt_packet(self, seq: int, first: bytes, rest, header_len: int, mac) -> bytes:
        try:
            return self._aead.decrypt(self._nonce(), b"".join((first[header_len:], rest, mac)), first[:header_len])
        except InvalidTag:
            return b""      # asyncssh raises MACError on an empty result


class InputBuffer:
    """What asyncssh's connection has received and not yet parsed, with the operations asyncssh
    applies to its `bytes` (+=, len, slices, find), without copying what stays: taking a prefix
    (`buf = buf[n:]`) moves an offset, and appending compacts once. Long slices are views into
    the buffer, alive only while asyncssh decrypts the packet they hold; should one outlive
    that, the next append copies the rest into a new buffer instead of resizing this one."""
    __slots__ = ("data", "start")

    def __init__(self, data: bytes = b"") -> None:
        self.data = bytearray(data)
        self.start = 0

    def __iadd__(self, more: bytes) -> "InputBuffer":
        try:
            if self.start:
                del self.data[:self.start]
                self.start = 0
            self.data += more
        except BufferError:     # a view still held: leave that buffer to it
            self.data = bytearray(memoryview(self.data)[self.start:]) + more
            self.start = 0
        return self

    def __len__(self) -> int:
        return len(self.data) - self.start

    def __bool__(self) -> bool:
        return len(self.data) > self.start

    def __getitem__(self, part: slice):
        begin = self.start + (part.start or 0)
        if part.stop is None:   # buf[n:]: what is left after the first n bytes
            self.start = min(begin, len(self.data))
            return self
        end = min(self.start + part.stop, len(self.data))
        if end - begin < _SMALL:
            return bytes(self.data[begin:end])
        return memoryview(self.data)[begin:end]

    def find(self, sub: bytes, begin: int = 0, end: Optional[int] = None) -> int:
        at = self.data.find(sub, self.start + begin, len(self.data) if end is None else self.start + end)
        return at - self.start if at >= 0 else at


_AEAD = (GcmPackets, _encryption.GCMEncryption, _encryption.ChachaEncryption)   # no IGNORE needed before a packet


def _data_received(self, data: bytes, datatype=None) -> None:
    if type(self._inpbuf) is not InputBuffer and self._recv_encryption:    # past the version lines
        self._inpbuf = InputBuffer(self._inpbuf)
    self._inpbuf += data
    self._recv_data()


def _send_packet(self, pkttype: int, *args: bytes, handler=None) -> None:
    """asyncssh's SSHConnection.send_packet: no IGNORE before each packet under an AEAD cipher,
    and, once keys and login are settled on AES-GCM, the packet built and sealed in one go."""
    enc = self._send_encryption
    if pkttype == _MSG_IGNORE and args == (_IGNORE_BODY,) and isinstance(enc, _AEAD):
        return
    stock = _stock[_connection.SSHConnection, "send_packet"]
    if (type(enc) is not GcmPackets or pkttype <= _MSG_USERAUTH_LAST or self._compressor
            or not (self._kex_complete and self._auth_complete)):
        stock(self, pkttype, *args, handler=handler)
        return
    if self._rekey_bytes_sent >= self._rekey_bytes or (self._rekey_seconds and time.monotonic() >= self._rekey_time):
        stock(self, pkttype, *args, handler=handler)    # starts the key exchange, holds the packet
        return
    size = 1 + sum(map(len, args))
    padlen = -(5 + size) % 16
    if padlen < 4:
        padlen += 16
    pktlen = 1 + size + padlen
    self._send(enc.seal(pktlen.to_bytes(4, "big"), b"".join((bytes((padlen, pkttype)), *args, os.urandom(padlen)))))
    seq = self._send_seq
    self._send_seq = (seq + 1) & 0xFFFFFFFF
    self._rekey_bytes_sent += pktlen
    if self.logger._debug_level >= 3:   # as asyncssh's SSHLogger.packet decides
        (handler or self).log_sent_packet(pkttype, seq, b"".join((bytes((pkttype,)), *args)))


def _channel_send_packet(self, pkttype: int, *args: bytes) -> None:
    if self._send_chan is None:
        return
    self._conn.send_packet(pkttype, UInt32(self._send_chan), *args, handler=self)


def _flush_send_buf(self) -> None:
    """asyncssh's SSHChannel._flush_send_buf, the data passed on with its length rather than
    copied into a string."""
    while self._send_buf and self._send_window:
        pktsize = min(self._send_window, self._send_pktsize)
        buf, datatype = self._send_buf[0]
        if len(buf) > pktsize:
            data = buf[:pktsize]
            del buf[:pktsize]
        else:
            data = buf
            del self._send_buf[0]
        self._send_buf_len -= len(data)
        self._send_window -= len(data)
        if datatype is None:
            self.send_packet(_MSG_CHANNEL_DATA, UInt32(len(data)), data)
        else:
            self.send_packet(_MSG_CHANNEL_EXTENDED_DATA, UInt32(datatype), UInt32(len(data)), data)
    self._pause_resume_writing()
    if not self._send_buf:
        if self._send_state == "eof_pending":
            self.send_packet(_MSG_CHANNEL_EOF)
            self._send_state = "eof"
        elif self._send_state == "close_pending":
            self._close_send()


_REPLACED = ((_connection.SSHConnection, "data_received", _data_received),
             (_connection.SSHConnection, "send_packet", _send_packet),
             (_channel.SSHChannel, "send_packet", _channel_send_packet),
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
            _stock[cls, name] = getattr(cls, name)
            setattr(cls, name, lean)
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
            else:
                setattr(owner, name, stock)
        _stock.clear()
