"""Citizen traffic as providers and apps really send it, for drills, demos and the benchmark.

``plan_traffic()`` turns a channel mix into ready-to-send HTTP/1.1 requests (tools/wire.py
builds and signs each one, as Twilio, X, the API client and the browser do). Bodies are
Indonesian complaints as citizens type them; a share of requests repeat an earlier one
exactly, as providers retry and browsers double-submit, and must not make a second case.

Everything is built before the clock starts (signing costs more than sending), so the load
generator (tools/loadgen.py) only writes bytes. Used by `satupintu simulate` and
benchmarks/.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools.wire import (
    CHANNELS,
    FormSession,
    Prepared,
    Target,
    api_request,
    form_request,
    sms_request,
    twitter_request,
)

# What citizens write, in their spelling: abbreviations, no capitals, place names.
TEXTS = (
    "jalan di kampung Bale rusak parah, lubang besar dmn2, tlg segera diperbaiki",
    "Lampu jalan di simpang Kebayakan mati sudah 2 minggu, malam gelap sekali rawan begal",
    "Air PDAM di Kampung Asir-Asir tidak mengalir sejak kemarin pagi, warga kesulitan air bersih",
    "Sampah menumpuk di pasar Takengon, bau busuk dan banyak lalat, mohon diangkut",
    "Antrean di Puskesmas Bebesen dari jam 7 pagi belum dilayani sampai siang",
    "Jembatan gantung di desa Serule sudah miring, anak sekolah takut lewat",
    "Guru honorer SD di Linge belum terima gaji 3 bulan",
    "Pupuk subsidi langka di Pegasing, petani kopi tidak bisa memupuk",
    "Pengurusan KTP elektronik di Disdukcapil lama sekali, sudah 2 bulan belum jadi",
    "Saluran air di Jalan Lebe Kader tersumbat, kalau hujan banjir ke rumah warga",
    "Banjir bandang di Kecamatan Ketol, rumah warga terendam, butuh bantuan segera",
    "Tanah longsor menutup jalan Takengon - Bireuen di km 12, kendaraan tidak bisa lewat",
    "Listrik padam bergilir tiap malam di Silih Nara, usaha warga terganggu",
    "Dana desa di kampung kami tidak jelas penggunaannya, mohon diaudit",
    "Bidan desa di Atu Lintang jarang ada di tempat, ibu hamil susah periksa",
    "Anjing liar berkeliaran di sekitar SD Negeri 2 Takengon, anak-anak takut",
    "Jalan menuju Jagong Jeget belum diaspal, musim hujan jadi kubangan lumpur",
    "Pungli di terminal Paya Ilang, sopir dimintai uang tanpa karcis",
    "Harga gas elpiji 3 kg di Bintang sampai 35 ribu, jauh di atas HET",
    "Sekolah di Rusip Antara atapnya bocor, murid belajar kena tetesan air",
    "Pelayanan di RSUD Datu Beru lambat, pasien IGD menunggu berjam-jam",
    "Irigasi sawah di Celala kering karena bendungan rusak",
    "Kabel listrik menjuntai rendah di Kampung Kenawat, bahaya untuk pejalan kaki",
    "Trotoar di jalan Sengeda dipakai parkir, pejalan kaki terpaksa turun ke jalan",
    "Bantuan sembako untuk korban gempa di Kute Panang belum sampai",
    "Sinyal internet di Kecamatan Linge tidak ada sama sekali, siswa tidak bisa belajar daring",
    "Permohonan izin usaha kami di DPMPTSP tidak ada kabar sejak sebulan",
    "Pohon tumbang menutup jalan di Bies, sudah 3 hari belum dibersihkan",
    "Air danau Lut Tawar tercemar limbah, ikan depik banyak mati",
    "Lapor, ada penebangan hutan liar di pinggir jalan ke Isaq",
)
# Every citizen tells it in their own words: a greeting and a detail around the complaint,
# so no two complaints of a drill are the same text (the same text sent again and again is
# what the gateway's same-text limit stops).
OPENINGS = ("", "", "Assalamualaikum, ", "Selamat pagi pak, ", "Mohon izin lapor, ", "Pak/Bu, ")
DETAILS = (
    "",
    " Sudah {n} hari begini.",
    " Sudah {n} kali kami sampaikan ke kepala kampung.",
    " Kejadian sejak tanggal {n}.",
    " Rumah saya nomor {n}, tolong ditindaklanjuti.",
    " Mohon segera, terima kasih.",
)
# Commands an SMS citizen sends besides new complaints (tracking ids are made up here, so
# the gateway answers "unknown id", which is what a drill should exercise).
COMMANDS = ("BANTUAN", "CEK {id}", "STATUS {id}", "INFO {id} masih belum ada perbaikan")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def load_texts(path: Path) -> tuple[str, ...]:
    """Bodies from a CSV with a ``text`` column, or one body per line of a text file."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        rows = csv.DictReader(raw.splitlines())
        texts = tuple(row["text"].strip() for row in rows if (row.get("text") or "").strip())
    else:
        texts = tuple(line.strip() for line in raw.splitlines() if line.strip())
    if not texts:
        raise ValueError(f"no message texts in {path}")
    return texts


@dataclass
class Plan:
    requests: list[Prepared]
    unique: dict[str, int] = field(default_factory=dict)  # channel -> distinct messages

    @property
    def retries(self) -> int:
        return sum(1 for r in self.requests if r.retry)


def kecamatan_codes() -> tuple[str, ...]:
    from config.reference import load_gazetteer

    return tuple(p.code for p in load_gazetteer() if p.level == 3)


def _phone(rng: random.Random) -> str:
    # Telkomsel / Indosat / XL mobile prefixes, eight more digits.
    prefix = rng.choice(("812", "813", "821", "822", "852", "853", "856", "857", "877"))
    return f"+62{prefix}{rng.randrange(10**7, 10**8)}"


def _made_up_tracking_id(rng: random.Random) -> str:
    return "".join(rng.choice(_CROCKFORD) for _ in range(10))


def in_own_words(rng: random.Random, text: str) -> str:
    """``text`` as one citizen writes it: an opening and a detail of their own."""
    detail = rng.choice(DETAILS).format(n=rng.randrange(2, 29))
    return f"{rng.choice(OPENINGS)}{text}{detail}"


def _sms_text(rng: random.Random, texts: Sequence[str], commands: float) -> str:
    if rng.random() < commands:
        return rng.choice(COMMANDS).format(id=_made_up_tracking_id(rng))
    text = in_own_words(rng, rng.choice(texts))
    return f"LAPOR {text}" if rng.random() < 0.1 else text


def _api_fields(rng: random.Random, text: str, places: Sequence[str]) -> dict[str, object]:
    fields: dict[str, object] = {"description": text, "language": "id"}
    if places and rng.random() < 0.6:
        fields["kecamatan"] = rng.choice(places)
    if rng.random() < 0.5:
        fields["contact"] = _phone(rng)
    fields["privacy"] = rng.choices(("public", "anonymous", "confidential"), (80, 15, 5))[0]
    return fields


def _form_fields(rng: random.Random, key: str, text: str, places: Sequence[str]) -> dict[str, str]:
    fields = {"submission_key": key, "description": text, "privacy": "biasa"}
    if places and rng.random() < 0.7:
        fields["kecamatan"] = rng.choice(places)
    if rng.random() < 0.4:
        fields["contact"] = "0" + _phone(rng)[3:]
    return fields


def parse_mix(text: str) -> dict[str, float]:
    """ "sms=80,api=15,web=5" -> shares by channel; ValueError for anything else."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        name, _, share = part.strip().partition("=")
        if name not in CHANNELS or not share:
            raise ValueError(f"expected channel=share with a channel of {CHANNELS}: {part!r}")
        mix[name] = float(share)
        if mix[name] < 0:
            raise ValueError(f"a share cannot be negative: {part!r}")
    if not any(mix.values()):
        raise ValueError("the mix sends nothing")
    return mix


def plan_traffic(
    target: Target,
    count: int,
    mix: Mapping[str, float],
    *,
    retries: float = 0.02,
    commands: float = 0.0,
    texts: Sequence[str] = TEXTS,
    form_session: FormSession | None = None,
    browsers: Callable[[], FormSession] | None = None,
    web_per_browser: int = 3,
    places: Iterable[str] | None = None,
    seed: int | None = None,
    senders: Sequence[str] = (),
) -> Plan:
    """``count`` distinct messages across ``mix``, plus about ``retries`` x count repeats.

    A repeat is the same request again (same MessageSid, Idempotency-Key, submission key or
    tweet id) sent a little later, as providers retry and browsers double-submit. Web form
    posts come from ``form_session``, one browser, or from ``browsers()``: a new citizen's
    browser (a fresh form session) every ``web_per_browser`` posts, as a crowd behind one
    address sends them. ``senders``: SMS come from these numbers only (a flood from a few
    phones), else each from a random one.
    """
    rng = random.Random(seed)
    places = tuple(kecamatan_codes() if places is None else places)
    channels = [c for c, share in mix.items() if share > 0]
    weights = [mix[c] for c in channels]
    if "web" in channels and form_session is None and browsers is None:
        raise ValueError("web form traffic needs a form session (fetch_form_session)")
    plan = Plan(requests=[])
    originals: list[Prepared] = []
    web_posts = 0
    for _ in range(count):
        channel = rng.choices(channels, weights)[0]
        text = in_own_words(rng, rng.choice(texts))
        if channel == "sms":
            key = "SM" + uuid.UUID(int=rng.getrandbits(128)).hex
            phone = rng.choice(senders) if senders else _phone(rng)
            wire = sms_request(target, key, phone, _sms_text(rng, texts, commands))
        elif channel == "api":
            key = str(uuid.UUID(int=rng.getrandbits(128)))
            wire = api_request(target, key, _api_fields(rng, text, places))
        elif channel == "web":
            if browsers is not None and web_posts % web_per_browser == 0:
                form_session = browsers()
            web_posts += 1
            assert form_session is not None
            key = uuid.UUID(int=rng.getrandbits(128)).hex
            wire = form_request(target, form_session, _form_fields(rng, key, text, places))
        else:
            key = str(rng.randrange(10**18, 10**19))
            wire = twitter_request(target, key, str(rng.randrange(10**17, 10**18)), text)
        request = Prepared(channel=channel, key=key, wire=wire)
        originals.append(request)
        plan.requests.append(request)
        plan.unique[channel] = plan.unique.get(channel, 0) + 1
        if rng.random() < retries:
            # A retry of a recent message (a provider retries within seconds to minutes).
            earlier = originals[rng.randrange(max(0, len(originals) - 200), len(originals))]
            plan.requests.append(
                Prepared(channel=earlier.channel, key=earlier.key, wire=earlier.wire, retry=True)
            )
    return plan
