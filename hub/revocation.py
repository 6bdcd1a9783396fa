"""Certificate revocation, checked by the hub itself.

grpcio's Python API offers no CRL check, so the hub reads ``crl.pem`` and looks
up the serial of every caller's certificate. The file is re-read whenever it
changes (by mtime, size and inode), so ``lifeline certs revoke`` takes effect on
the next call without a restart. A CRL that is not signed by the hub's CA is
ignored with an error in the log, and the last good one stays in force.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from cryptography import x509

log = logging.getLogger(__name__)


class RevocationList:
    def __init__(self, path: Path, ca: x509.Certificate) -> None:
        self._path = path
        self._ca_key = ca.public_key()
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._revoked: frozenset[int] = frozenset()
        self.refresh()

    def refresh(self) -> None:
        """Re-reads the CRL if the file changed since the last read."""
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            # No CRL file means nothing has been revoked yet.
            stamp: tuple[int, int, int] = (0, 0, 0)
        else:
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            if stamp == (0, 0, 0):
                self._revoked, self._stamp = frozenset(), stamp
                return
            try:
                crl = x509.load_pem_x509_crl(self._path.read_bytes())
            except (OSError, ValueError) as e:
                log.error("cannot read %s, keeping the previous revocation list: %s", self._path, e)
                self._stamp = stamp
                return
            if not crl.is_signature_valid(self._ca_key):  # type: ignore[arg-type]
                log.error("%s is not signed by the hub's CA; ignored", self._path)
                self._stamp = stamp
                return
            self._revoked = frozenset(r.serial_number for r in crl)
            self._stamp = stamp
            log.info("revocation list loaded: %d revoked certificate(s)", len(self._revoked))

    def is_revoked(self, serial: int) -> bool:
        self.refresh()
        return serial in self._revoked
