"""Interface text in Bahasa Indonesia first, English second; ?lang=en switches per session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, g, request, session

from normalizer.replies import render_reply

STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "site.title": "SatuPintu — Layanan Aspirasi dan Pengaduan",
        "site.tagline": "Satu pintu untuk semua pengaduan pelayanan publik Kabupaten Aceh Tengah",
        "nav.report": "Buat laporan",
        "nav.track": "Lacak laporan",
        "nav.lang": "English",
        "form.title": "Sampaikan laporan Anda",
        "form.description": "Isi laporan",
        "form.description.help": "Apa masalahnya, di mana, dan sejak kapan.",
        "form.name": "Nama (boleh dikosongkan)",
        "form.contact": "Nomor HP atau email (boleh dikosongkan)",
        "form.contact.help": "Untuk kabar perkembangan laporan Anda.",
        "form.kecamatan": "Kecamatan",
        "form.kecamatan.none": "— Pilih kecamatan (boleh dikosongkan) —",
        "form.privacy": "Kerahasiaan",
        "form.privacy.biasa": "Biasa — laporan dan nama Anda dapat dilihat petugas",
        "form.privacy.anonim": "Anonim — identitas Anda disembunyikan dari petugas unit dan publik",
        "form.privacy.rahasia": "Rahasia — laporan tidak pernah ditampilkan ke publik",
        "form.submit": "Kirim laporan",
        "form.errors": "Periksa kembali isian yang ditandai.",
        "done.title": "Laporan diterima",
        "done.body": "Terima kasih. Simpan nomor pelacakan ini untuk melihat perkembangan laporan:",
        "done.track": "Lihat status laporan",
        "track.title": "Status laporan",
        "track.lookup": "Nomor pelacakan",
        "track.go": "Lacak",
        "track.status": "Status",
        "track.unit": "Ditangani oleh",
        "track.received": "Diterima",
        "track.timeline": "Riwayat",
        "track.pending": "Laporan sedang diproses. Muat ulang halaman ini sebentar lagi.",
        "error.404.title": "Tidak ditemukan",
        "error.404.body": "Halaman atau nomor pelacakan tidak ditemukan. Periksa kembali nomornya.",
        "error.413.title": "Kiriman terlalu besar",
        "error.413.body": "Ukuran kiriman melebihi batas. Perpendek laporan atau kurangi lampiran.",
        "error.400.title": "Permintaan tidak valid",
    },
    "en": {
        "site.title": "SatuPintu — Public Service Complaints",
        "site.tagline": "One door for every public-service complaint in Aceh Tengah",
        "nav.report": "New report",
        "nav.track": "Track a report",
        "nav.lang": "Bahasa Indonesia",
        "form.title": "Tell us what happened",
        "form.description": "Your report",
        "form.description.help": "What the problem is, where, and since when.",
        "form.name": "Name (optional)",
        "form.contact": "Mobile number or email (optional)",
        "form.contact.help": "So we can tell you how your report progresses.",
        "form.kecamatan": "Sub-district (kecamatan)",
        "form.kecamatan.none": "— Choose a sub-district (optional) —",
        "form.privacy": "Privacy",
        "form.privacy.biasa": "Normal — officers can see your report and name",
        "form.privacy.anonim": "Anonymous — your identity is hidden from units and the public",
        "form.privacy.rahasia": "Confidential — the report is never shown in public",
        "form.submit": "Send report",
        "form.errors": "Please check the highlighted fields.",
        "done.title": "Report received",
        "done.body": "Thank you. Keep this tracking number to follow your report:",
        "done.track": "See the report's status",
        "track.title": "Report status",
        "track.lookup": "Tracking number",
        "track.go": "Track",
        "track.status": "Status",
        "track.unit": "Handled by",
        "track.received": "Received",
        "track.timeline": "History",
        "track.pending": "Your report is being processed. Reload this page in a moment.",
        "error.404.title": "Not found",
        "error.404.body": "That page or tracking number was not found. Please check the number.",
        "error.413.title": "Too large",
        "error.413.body": "The submission is over the size limit. Shorten it or send fewer files.",
        "error.400.title": "Bad request",
    },
}


def language() -> str:
    return getattr(g, "lang", "id")


def t(key: str) -> str:
    return STRINGS[language()].get(key) or STRINGS["id"].get(key, key)


def status_label(status: str) -> str:
    """The LAPOR! label of a status, from the same reply book the SMS replies use."""
    from gateway.context import runtime

    try:
        return render_reply(runtime().replies, f"status.{status}", language())
    except KeyError:
        return status


def init_app(app: Flask) -> None:
    @app.before_request
    def pick_language() -> None:
        asked = request.args.get("lang")
        if asked in STRINGS:
            session["lang"] = asked
        g.lang = session.get("lang", "id")

    app.jinja_env.globals.update(t=t, status_label=status_label, language=language)
    app.jinja_env.filters["local_time"] = local_time


def local_time(value: datetime | None) -> str:
    """A UTC time as people read it: local zone (WIB for Aceh), day month year hour:minute."""
    if value is None:
        return ""
    from gateway.context import runtime

    zone = ZoneInfo(runtime().settings.timezone)
    local = value.astimezone(zone)
    month = MONTHS[language()][local.month - 1]
    return f"{local.day} {month} {local.year} {local:%H:%M} {local.tzname()}"


MONTHS = {
    "id": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}
