"""Certificate revocation, checked by the hub itself.

grpcio's Python API offers no CRL check, so the hub reads ``crl.pem`` and looks
up the serial of every caller's certificate. The file is re-read whenever it
changes (by mtime, size and inode), so ``lifeline certs revoke`` takes effect on
the next call without a restart. A CRL that is missing, unreadable or not signed
by the hub's CA is ignored with an error in the log, and the last good one stays
in force: deleting the file never re-admits anyone. Only a hub that has never
read a CRL (started before ``crl.pem`` exists) runs with nothing revoked.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from cryptography import x509

from hub.domain.errors import HubError
from wire import reasons
from wire.signed import CAs

log = logging.getLogger(__name__)


def revoked(party_id: str, serial: str) -> HubError:
    """The refusal of a party whose certificate (serial in hex) is revoked."""
    return HubError(
        reasons.PARTY_REVOKED,
        f"the certificate of party {party_id!r} has been revoked",
        {"party_id": party_id, "serial": serial},
    )


def expired() -> HubError:
    return HubError(
        reasons.PARTY_IDENTITY_INVALID,
        "the client certificate has expired",
    )


class RevocationList:
    def __init__(self, path: Path, cas: CAs) -> None:
        self._path = path
        self._ca_keys = [ca.public_key() for ca in cas]
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self.revoked: frozenset[int] = frozenset()
        """The serials revoked by the last good CRL; replaced (never changed) on each reload."""
        self.problem: str | None = None
        """Why the CRL file as it is now was not loaded (None: it was); the hub is then
        not ready (GET /readyz), though it keeps refusing what the last good CRL revoked."""
        self.refresh()

    def refresh(self) -> None:
        """Re-reads the CRL if the file changed since the last read."""
        try:
            st = os.stat(self._path)
        except OSError:
            stamp: tuple[int, int, int] = (0, 0, 0)
        else:
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            first, self._stamp = self._stamp is None, stamp
            try:
                crl = x509.load_pem_x509_crl(self._path.read_bytes())
            except (OSError, ValueError) as e:
                self.problem = f"cannot read {self._path}: {e}"
                if first and isinstance(e, FileNotFoundError):
                    log.warning("%s does not exist yet: nothing is revoked", self._path)
                else:
                    log.error(
                        "cannot read %s, keeping the last good revocation list (%d revoked): %s",
                        self._path,
                        len(self.revoked),
                        e,
                    )
                return
            # During a CA rollover the CRL is signed by the newest CA; either may sign it.
            if not any(crl.is_signature_valid(key) for key in self._ca_keys):  # type: ignore[arg-type]
                self.problem = f"{self._path} is not signed by the hub's CA"
                log.error("%s; ignored", self.problem)
                return
            self.revoked = frozenset(r.serial_number for r in crl)
            self.problem = None
            log.info("revocation list loaded: %d revoked certificate(s)", len(self.revoked))

    def is_revoked(self, serial: int) -> bool:
        self.refresh()
        return serial in self.revoked
