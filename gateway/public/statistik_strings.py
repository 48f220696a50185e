"""The public scoreboard's text (issue 20), Bahasa Indonesia first, English second.

Kept beside the page like gateway/console_strings.py beside the console, and merged into
gateway/i18n.STRINGS by the page's module so ``t()`` finds them (the merger may fold these
into the gettext catalogs).
"""

from __future__ import annotations

STATISTIK_STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "stat.nav": "Statistik",
        "stat.title": "Statistik pelayanan pengaduan",
        "stat.lead": (
            "Seberapa cepat setiap unit menanggapi dan menyelesaikan pengaduan warga. "
            "Hari dihitung sebagai hari kerja (tanpa akhir pekan, hari libur nasional, cuti "
            "bersama dan libur daerah)."
        ),
        "stat.period": "Periode",
        "stat.period.recent": "12 bulan terakhir",
        "stat.period.year": "Tahun {year}",
        "stat.show": "Tampilkan",
        "stat.total": "Pengaduan diterima",
        "stat.confidential": (
            "Termasuk {n} pengaduan rahasia, yang hanya dihitung dalam jumlah ini dan tidak "
            "dalam rincian mana pun."
        ),
        "stat.units": "Per unit",
        "stat.units.chart": "Persentase selesai tepat waktu per unit",
        "stat.kecamatan": "Per kecamatan",
        "stat.category": "Per kategori",
        "stat.channel": "Per saluran",
        "stat.months": "Pengaduan masuk per bulan",
        "stat.col.unit": "Unit",
        "stat.col.kecamatan": "Kecamatan",
        "stat.col.category": "Kategori",
        "stat.col.channel": "Saluran",
        "stat.col.month": "Bulan",
        "stat.col.received": "Diterima",
        "stat.col.on_time": "Selesai tepat waktu",
        "stat.col.first_response": "Median hari kerja sampai tanggapan pertama",
        "stat.col.resolution": "Median hari kerja sampai selesai",
        "stat.col.bounces_given": "Dikembalikan (bukan wewenang)",
        "stat.col.bounces_received": "Diterima setelah dikembalikan unit lain",
        "stat.col.overdue": "Terbuka melewati batas waktu",
        "stat.col.rating": "Rata-rata penilaian warga (jumlah)",
        "stat.too_few": "Terlalu sedikit pengaduan (kurang dari {n}) untuk dinilai",
        "stat.none": "Belum ada data pada periode ini.",
        "stat.unknown": "Tidak diketahui",
        "stat.data": "Data terbuka",
        "stat.data.lead": (
            "Angka yang sama dalam CSV dan JSON; arti setiap kolom dijelaskan dalam "
            "dokumentasi. Tidak memuat nama, kontak, isi laporan maupun catatan petugas."
        ),
        "stat.computed": "Dihitung pada {when}; diperbarui paling lama setiap {minutes} menit.",
        "stat.rule": (
            "Tepat waktu: selesai sebelum batas akhir penyelesaian kasus itu. Unit dengan "
            "kurang dari {n} pengaduan tidak diberi peringkat."
        ),
        "stat.bad_period": "Periode tidak dikenal: gunakan YYYY atau YYYY-MM.",
    },
    "en": {
        "stat.nav": "Statistics",
        "stat.title": "Complaint service statistics",
        "stat.lead": (
            "How quickly each unit answers and resolves citizens' complaints. Days are "
            "working days (no weekends, national holidays, joint leave or local holidays)."
        ),
        "stat.period": "Period",
        "stat.period.recent": "Last 12 months",
        "stat.period.year": "Year {year}",
        "stat.show": "Show",
        "stat.total": "Complaints received",
        "stat.confidential": (
            "Including {n} confidential complaints, counted in this total only and in no breakdown."
        ),
        "stat.units": "By unit",
        "stat.units.chart": "Share resolved on time by unit",
        "stat.kecamatan": "By kecamatan",
        "stat.category": "By category",
        "stat.channel": "By channel",
        "stat.months": "Complaints received per month",
        "stat.col.unit": "Unit",
        "stat.col.kecamatan": "Kecamatan",
        "stat.col.category": "Category",
        "stat.col.channel": "Channel",
        "stat.col.month": "Month",
        "stat.col.received": "Received",
        "stat.col.on_time": "Resolved on time",
        "stat.col.first_response": "Median working days to first response",
        "stat.col.resolution": "Median working days to resolution",
        "stat.col.bounces_given": "Sent back (not its authority)",
        "stat.col.bounces_received": "Received after another unit sent it back",
        "stat.col.overdue": "Open past the deadline",
        "stat.col.rating": "Average citizen rating (count)",
        "stat.too_few": "Too few complaints (under {n}) for a fair figure",
        "stat.none": "No data for this period yet.",
        "stat.unknown": "Unknown",
        "stat.data": "Open data",
        "stat.data.lead": (
            "The same figures as CSV and JSON; the documentation explains every field. No "
            "names, contacts, complaint texts or operators' notes."
        ),
        "stat.computed": "Computed at {when}; refreshed at least every {minutes} minutes.",
        "stat.rule": (
            "On time: resolved before that case's final deadline. Units with fewer than {n} "
            "complaints are not ranked."
        ),
        "stat.bad_period": "Unknown period: use YYYY or YYYY-MM.",
    },
}


# The citizen's rating on the tracking page (gateway/public/statistik_rating.py).
RATING_STRINGS: dict[str, dict[str, str]] = {
    "id": {
        "rating.title": "Nilai penanganan aduan Anda",
        "rating.help": (
            "Seberapa puas Anda dengan penanganan aduan ini? Penilaian hanya dapat diberikan "
            "sekali. Komentar Anda hanya dibaca petugas, tidak pernah ditampilkan ke publik."
        ),
        "rating.score": "Penilaian",
        "rating.1": "1 — Sangat tidak puas",
        "rating.2": "2 — Tidak puas",
        "rating.3": "3 — Cukup",
        "rating.4": "4 — Puas",
        "rating.5": "5 — Sangat puas",
        "rating.comment": "Komentar (boleh dikosongkan)",
        "rating.submit": "Kirim penilaian",
        "rating.thanks": "Terima kasih atas penilaian Anda.",
        "rating.thanks.low": "Koordinator akan meninjau penanganan aduan ini.",
        "rating.back": "Kembali ke status laporan",
        "rating.error.score": "Pilih penilaian dari 1 sampai 5.",
        "rating.error.comment": "Komentar paling panjang {n} karakter.",
        "rating.error.code": "Masukkan kode rahasia laporan Anda.",
        "rating.error.duplicated": "Isian ini terkirim lebih dari sekali.",
        "rating.error.closed": (
            "Laporan ini tidak dapat dinilai: belum selesai, sudah dinilai, atau batas waktu "
            "tanggapan sudah lewat."
        ),
    },
    "en": {
        "rating.title": "Rate how your complaint was handled",
        "rating.help": (
            "How satisfied are you with how this complaint was handled? You can rate it once. "
            "Only staff read your comment; it is never shown in public."
        ),
        "rating.score": "Rating",
        "rating.1": "1 — Very unsatisfied",
        "rating.2": "2 — Unsatisfied",
        "rating.3": "3 — Fair",
        "rating.4": "4 — Satisfied",
        "rating.5": "5 — Very satisfied",
        "rating.comment": "Comment (optional)",
        "rating.submit": "Send rating",
        "rating.thanks": "Thank you for your rating.",
        "rating.thanks.low": "The coordinator will review how this complaint was handled.",
        "rating.back": "Back to the complaint's status",
        "rating.error.score": "Choose a rating from 1 to 5.",
        "rating.error.comment": "A comment can be at most {n} characters.",
        "rating.error.code": "Enter your complaint's secret code.",
        "rating.error.duplicated": "This field was sent more than once.",
        "rating.error.closed": (
            "This complaint cannot be rated: it is not resolved, it was rated already, or "
            "the time to answer has passed."
        ),
    },
}
