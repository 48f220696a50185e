"""What a record brings beside its words: the web citizen's secret and the files it names."""

from __future__ import annotations

from adapters.attachments import stored_file
from adapters.registry import channels_where
from casestore.attachments import add_attachments
from casestore.db import Session
from casestore.models import Complaint
from normalizer.citizen_secret import is_secret_hash
from normalizer.records import ComplaintRecord

# Channels whose raw payload is built by our own gateway code, never copied from a provider:
# on SMS or Twitter a "citizen_secret_hash" field in raw would be the sender's to choose.
SECRET_CHANNELS = channels_where(lambda spec: spec.raw_is_ours)


def citizen_secret_hash(record: ComplaintRecord) -> str | None:
    """The hash of the secret a web/API citizen holds (new case) or showed (follow-up)."""
    if record.channel not in SECRET_CHANNELS:
        return None
    value = record.raw.get("citizen_secret_hash")
    return value if is_secret_hash(value) else None


def attach_files(session: Session, complaint: Complaint, record: ComplaintRecord) -> None:
    """Rows for the files the record names (written under the data dir before submit)."""
    files = [f for f in (stored_file(m) for m in record.media) if f is not None]
    if files:
        add_attachments(session, complaint, files)
