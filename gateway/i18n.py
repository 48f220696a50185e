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
        # What happens with the contact given, by the channels that are on (issue 18).
        "form.contact.help.both": (
            "Setiap ada perkembangan, kami kirim kabar ke email Anda (dengan tautan untuk "
            "berhenti berlangganan), atau SMS ke nomor HP Anda berisi nomor laporan dan tautan "
            "halaman lacak (balas STOP untuk berhenti)."
        ),
        "form.contact.help.email": (
            "Setiap ada perkembangan, kami kirim kabar ke email Anda (dengan tautan untuk "
            "berhenti berlangganan). Nomor HP tidak dikirimi SMS: kabar ada di halaman lacak."
        ),
        "form.contact.help.sms": (
            "Setiap ada perkembangan, kami kirim SMS ke nomor HP Anda berisi nomor laporan dan "
            "tautan halaman lacak (balas STOP untuk berhenti). Email tidak dikirimi kabar: "
            "kabar ada di halaman lacak."
        ),
        "form.contact.help.none": (
            "Saat ini kabar perkembangan hanya ada di halaman lacak laporan; kontak Anda hanya "
            "dipakai petugas bila perlu menghubungi Anda."
        ),
        "unsubscribe.title": "Berhenti menerima kabar",
        "unsubscribe.ask": "Berhenti menerima kabar perkembangan laporan di alamat ini?",
        "unsubscribe.button": "Ya, berhenti",
        "unsubscribe.done": (
            "Alamat ini tidak akan dikirimi kabar lagi. Perkembangan laporan Anda tetap "
            "dapat dilihat di halaman lacak laporan."
        ),
        "unsubscribe.invalid": "Tautan ini tidak sah atau rusak.",
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
        "track.category": "Kategori",
        "track.received": "Diterima",
        "track.due": "Batas waktu tindak lanjut",
        "track.due.resolved": "Ditutup otomatis pada",
        "track.timeline": "Riwayat",
        "track.pending": "Laporan sedang diproses. Muat ulang halaman ini sebentar lagi.",
        "error.404.title": "Tidak ditemukan",
        "error.404.body": "Halaman atau nomor pelacakan tidak ditemukan. Periksa kembali nomornya.",
        "error.413.title": "Kiriman terlalu besar",
        "error.413.body": "Ukuran kiriman melebihi batas. Perpendek laporan atau kurangi lampiran.",
        "error.400.title": "Permintaan tidak valid",
        # Web form, tracking page and their errors (issue 7).
        "form.place": "Lokasi",
        "form.place.help": "Pilih kecamatan dan desa tempat masalahnya, jika Anda tahu.",
        "form.desa": "Desa/kelurahan",
        "form.desa.none": "— Pilih desa (boleh dikosongkan) —",
        "form.category": "Kategori (boleh dikosongkan)",
        "form.category.none": "— Biarkan petugas yang menentukan —",
        "form.coords": "Koordinat (boleh dikosongkan)",
        "form.coords.help": "Lintang dan bujur titik masalah, misalnya dari peta di HP Anda.",
        "form.latitude": "Lintang",
        "form.longitude": "Bujur",
        "form.coords.button": "Pakai lokasi saya sekarang",
        "form.attachments": "Foto atau dokumen (boleh dikosongkan)",
        "form.attachments.help": (
            "Paling banyak 5 berkas: foto JPEG, PNG atau WebP, atau PDF, masing-masing "
            "paling besar 5 MB. Hanya petugas yang dapat melihatnya."
        ),
        "form.attachments.again": "Pilih lagi lampiran Anda sebelum mengirim ulang.",
        "form.privacy.help": "Siapa yang boleh melihat laporan dan identitas Anda?",
        "form.privacy.biasa.help": (
            "Petugas yang menangani dapat melihat nama dan kontak Anda, agar dapat "
            "menghubungi Anda. Publik hanya melihat status laporan, tidak pernah isi, nama "
            "atau kontak Anda."
        ),
        "form.privacy.anonim.help": (
            "Nama dan kontak Anda disembunyikan dari petugas dinas dan kecamatan; hanya "
            "koordinator yang dapat melihatnya. Kabar perkembangan tetap dikirim kepada Anda."
        ),
        "form.privacy.rahasia.help": (
            "Untuk laporan yang peka, misalnya pungutan liar. Laporan tidak pernah muncul di "
            "daftar publik, dan halaman lacak hanya menampilkan statusnya."
        ),
        "done.secret": "Kode rahasia Anda:",
        "done.secret.help": (
            "Catat atau foto kode ini sekarang: kode ini hanya ditampilkan sekali. Dengan "
            "kode ini Anda dapat menambah keterangan dan menanggapi penyelesaian laporan. "
            "Jangan berikan kepada orang lain."
        ),
        "track.add.title": "Tambah keterangan",
        "track.add.help": "Hanya pelapor, dengan kode rahasia dari halaman terima kasih.",
        "track.text": "Keterangan tambahan",
        "track.code": "Kode rahasia",
        "track.add.submit": "Kirim keterangan",
        "track.answer.title": "Apakah masalahnya sudah selesai?",
        "track.answer.selesai": "Ya, sudah selesai",
        "track.answer.belum": "Belum selesai — minta ditindaklanjuti lagi",
        "track.answer.until": "Anda dapat menanggapi sampai",
        "track.answer.none": "Hanya menambah keterangan",
        "track.code.wrong": "Kode rahasia tidak cocok dengan laporan ini.",
        "track.closed": "Laporan ini sudah ditutup; keterangan tidak dapat ditambahkan lagi.",
        "track.sent.title": "Keterangan diterima",
        "track.sent.body": "Terima kasih. Keterangan Anda akan dibaca petugas yang menangani.",
        "track.sent.answer": (
            "Terima kasih. Tanggapan Anda atas penyelesaian laporan telah dicatat."
        ),
        "track.back": "Kembali ke status laporan",
        "policy.public": (
            "Halaman publik hanya menampilkan status, unit, tanggal dan kategori laporan: "
            "tidak pernah isi laporan, nama, kontak, atau tulisan petugas."
        ),
        "policy.messages": (
            "Catatan petugas bersifat internal. Pesan petugas untuk Anda dikirim lewat SMS, "
            "WhatsApp atau X bila Anda melapor lewat sana; bila Anda melapor lewat situs ini "
            "atau aplikasi, pesan itu hanya dapat dibaca di halaman lacak dengan kode rahasia."
        ),
        "track.messages.title": "Pesan petugas untuk Anda",
        "track.messages.help": "Hanya pelapor, dengan kode rahasia dari halaman terima kasih.",
        "track.messages.submit": "Tampilkan pesan",
        "track.messages.none": "Belum ada pesan petugas untuk Anda.",
        "track.messages.channel": (
            "Pesan petugas untuk laporan ini dikirim lewat kanal yang Anda pakai saat melapor "
            "(SMS, WhatsApp atau X) dan tidak ditampilkan di halaman ini."
        ),
        "attachments.too_many": "Paling banyak 5 lampiran.",
        "attachments.empty": "Berkas {name} kosong.",
        "attachments.too_large": "Berkas {name} lebih dari 5 MB.",
        "attachments.not_allowed": (
            "Berkas {name} bukan foto (JPEG, PNG, WebP) atau PDF yang dapat dibaca."
        ),
        # Limits (issue 13): the form keeps what the citizen wrote and says when to send again.
        "limit.citizen": "Terlalu banyak laporan dari jaringan Anda dalam waktu singkat.",
        "limit.browser": "Terlalu banyak laporan dari perangkat ini dalam waktu singkat.",
        "limit.text": "Laporan yang sama persis sudah terkirim beberapa kali.",
        "limit.again": (
            "Belum terkirim; yang Anda tulis masih ada di formulir. Kirim lagi dalam {when}."
        ),
        "limit.secret": (
            "Terlalu banyak kode rahasia salah untuk laporan ini. Coba lagi dalam {when}."
        ),
        "limit.minute": "1 menit",
        "limit.minutes": "{minutes} menit",
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
        "form.contact.help.both": (
            "Whenever there is news, we email you (with a link to unsubscribe), or send an SMS "
            "to your mobile number with the report's number and a link to its tracking page "
            "(reply STOP to stop)."
        ),
        "form.contact.help.email": (
            "Whenever there is news, we email you (with a link to unsubscribe). Mobile numbers "
            "are not sent SMS: the news is on the tracking page."
        ),
        "form.contact.help.sms": (
            "Whenever there is news, we send an SMS to your mobile number with the report's "
            "number and a link to its tracking page (reply STOP to stop). Emails are not sent "
            "updates: the news is on the tracking page."
        ),
        "form.contact.help.none": (
            "For now, updates are on the report's tracking page only; officers use your "
            "contact only if they need to reach you."
        ),
        "unsubscribe.title": "Stop receiving updates",
        "unsubscribe.ask": "Stop receiving updates about reports at this address?",
        "unsubscribe.button": "Yes, stop",
        "unsubscribe.done": (
            "This address will not be sent updates any more. Your report's progress is still "
            "on its tracking page."
        ),
        "unsubscribe.invalid": "This link is not valid or is damaged.",
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
        "track.category": "Category",
        "track.received": "Received",
        "track.due": "Next step due by",
        "track.due.resolved": "Closes automatically on",
        "track.timeline": "History",
        "track.pending": "Your report is being processed. Reload this page in a moment.",
        "error.404.title": "Not found",
        "error.404.body": "That page or tracking number was not found. Please check the number.",
        "error.413.title": "Too large",
        "error.413.body": "The submission is over the size limit. Shorten it or send fewer files.",
        "error.400.title": "Bad request",
        "form.place": "Location",
        "form.place.help": "Choose the sub-district and village of the problem, if you know them.",
        "form.desa": "Village (desa/kelurahan)",
        "form.desa.none": "— Choose a village (optional) —",
        "form.category": "Category (optional)",
        "form.category.none": "— Let the officers decide —",
        "form.coords": "Coordinates (optional)",
        "form.coords.help": "Latitude and longitude of the problem, e.g. from your phone's map.",
        "form.latitude": "Latitude",
        "form.longitude": "Longitude",
        "form.coords.button": "Use my current location",
        "form.attachments": "Photos or documents (optional)",
        "form.attachments.help": (
            "Up to 5 files: JPEG, PNG or WebP photos, or PDFs, at most 5 MB each. Only "
            "officers can see them."
        ),
        "form.attachments.again": "Choose your attachments again before sending once more.",
        "form.privacy.help": "Who may see your report and who you are?",
        "form.privacy.biasa.help": (
            "The officers handling it can see your name and contact, so they can reach you. "
            "The public only sees the report's status, never its text, your name or contact."
        ),
        "form.privacy.anonim.help": (
            "Your name and contact are hidden from the agency and sub-district officers; only "
            "the coordinator can see them. You still get progress updates."
        ),
        "form.privacy.rahasia.help": (
            "For sensitive reports, such as illegal fees. The report never appears in public "
            "lists, and the tracking page shows only its status."
        ),
        "done.secret": "Your secret code:",
        "done.secret.help": (
            "Write down or photograph this code now: it is shown only once. With it you can "
            "add information and answer when the report is resolved. Do not share it."
        ),
        "track.add.title": "Add information",
        "track.add.help": "Only for the reporter, with the secret code from the thank-you page.",
        "track.text": "Additional information",
        "track.code": "Secret code",
        "track.add.submit": "Send information",
        "track.answer.title": "Is the problem solved?",
        "track.answer.selesai": "Yes, it is solved",
        "track.answer.belum": "Not solved — please follow it up again",
        "track.answer.until": "You can answer until",
        "track.answer.none": "Only add information",
        "track.code.wrong": "The secret code does not match this report.",
        "track.closed": "This report is closed; no more information can be added.",
        "track.sent.title": "Information received",
        "track.sent.body": "Thank you. The officers handling your report will read it.",
        "track.sent.answer": "Thank you. Your answer about the resolution has been recorded.",
        "track.back": "Back to the report's status",
        "policy.public": (
            "Public pages show only the status, unit, dates and category of a report: never "
            "its text, your name, your contact, or what officers wrote."
        ),
        "policy.messages": (
            "Officers' notes are internal. Their messages to you are sent by SMS, WhatsApp or "
            "X if you reported there; if you reported on this site or through an app, you can "
            "read them only on the tracking page with your secret code."
        ),
        "track.messages.title": "Messages from the officers to you",
        "track.messages.help": (
            "Only for the reporter, with the secret code from the thank-you page."
        ),
        "track.messages.submit": "Show messages",
        "track.messages.none": "No message from the officers yet.",
        "track.messages.channel": (
            "The officers' messages about this report are sent on the channel you reported "
            "on (SMS, WhatsApp or X) and are not shown on this page."
        ),
        "attachments.too_many": "At most 5 attachments.",
        "attachments.empty": "The file {name} is empty.",
        "attachments.too_large": "The file {name} is larger than 5 MB.",
        "attachments.not_allowed": (
            "The file {name} is not a readable photo (JPEG, PNG, WebP) or PDF."
        ),
        "limit.citizen": "Too many reports from your network in a short time.",
        "limit.browser": "Too many reports from this device in a short time.",
        "limit.text": "This very report has already been sent several times.",
        "limit.again": (
            "Not sent yet; what you wrote is still in the form. Send it again in {when}."
        ),
        "limit.secret": "Too many wrong secret codes for this report. Try again in {when}.",
        "limit.minute": "1 minute",
        "limit.minutes": "{minutes} minutes",
    },
}


# The operator console keeps its own strings beside it (gateway/console_strings.py).
from gateway.console_strings import CONSOLE_STRINGS  # noqa: E402

for _lang, _strings in CONSOLE_STRINGS.items():
    STRINGS[_lang].update(_strings)


def language() -> str:
    return getattr(g, "lang", "id")


def t(key: str) -> str:
    return STRINGS[language()].get(key) or STRINGS["id"].get(key, key)


def in_minutes(seconds: int) -> str:
    """A wait as people say it: whole minutes, at least one."""
    minutes = max(1, -(-seconds // 60))
    return t("limit.minute") if minutes == 1 else t("limit.minutes").format(minutes=minutes)


def attachment_error(error: Exception) -> str:
    """An AttachmentError in the page's language."""
    code, name = getattr(error, "code", ""), getattr(error, "filename", "")
    return t(f"attachments.{code}").format(name=name)


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
