"""The reason codes a bounce, a rejection or an archiving takes, with what operators read.

The labels are Bahasa Indonesia, as the LAPOR! lists name them; "other" needs a note.
"""

from __future__ import annotations

from casestore.vocabulary import Action

# Reason codes an action accepts, with what operators read. "other" needs a note.
BOUNCE_REASONS = {
    "not_authority": "Bukan wewenang unit ini",
    "wrong_location": "Lokasi di luar wilayah kerja unit ini",
    "provincial_authority": "Kewenangan pemerintah provinsi",
    "national_authority": "Kewenangan instansi pusat/vertikal atau BUMN (PLN, BPJS, Polri ...)",
    "other": "Alasan lain (lihat catatan)",
}
REJECT_REASONS = {
    "not_a_complaint": "Bukan pengaduan pelayanan publik",
    "insufficient_information": "Informasi tidak cukup untuk ditindaklanjuti",
    "abusive": "Mengandung SARA, fitnah atau kata-kata kasar",
    "spam": "Pesan sampah/promosi",
    "other": "Alasan lain (lihat catatan)",
}
ARCHIVE_REASONS = {
    "withdrawn": "Dicabut oleh pelapor",
    "no_response": "Pelapor tidak dapat dihubungi untuk keterangan tambahan",
    "handled_elsewhere": "Sudah ditangani melalui kanal lain",
    "other": "Alasan lain (lihat catatan)",
}
OTHER = "other"

_BY_ACTION = {
    Action.BOUNCE: BOUNCE_REASONS,
    Action.REJECT: REJECT_REASONS,
    Action.ARCHIVE: ARCHIVE_REASONS,
}


def reason_label(action: Action | str, reason: str | None) -> str:
    """What an operator or citizen reads for a reason code ("" when there is none)."""
    try:
        reasons = _BY_ACTION.get(Action(action), {})
    except ValueError:
        return ""
    return reasons.get(reason or "", "")
