"""The case store's tables. Only this package knows table names; times are stored
timezone-aware in UTC. ``base`` holds the declarative base and column types, ``case`` the
case and those who touch it, ``work`` the work around it; everything is importable from
``casestore.models`` as before.
"""

from casestore.models.base import Base, UTCDateTime, utcnow
from casestore.models.case import (
    ApiKey,
    Attachment,
    ChannelState,
    Complaint,
    Contact,
    DuplicateLink,
    MediaDownload,
    Message,
    Operator,
    Quarantine,
    StatusEvent,
    Unit,
)
from casestore.models.work import (
    AddressConfirmation,
    AddressOptOut,
    AuditEntry,
    CaseOrigin,
    CaseRead,
    Forward,
    ForwardedInfo,
    LocalHoliday,
    OperatorAlert,
    OperatorNotice,
    OriginPush,
    PushReceipt,
    Rating,
)

__all__ = [
    "AddressConfirmation",
    "AddressOptOut",
    "ApiKey",
    "Attachment",
    "AuditEntry",
    "Base",
    "CaseOrigin",
    "CaseRead",
    "ChannelState",
    "Complaint",
    "Contact",
    "DuplicateLink",
    "Forward",
    "ForwardedInfo",
    "LocalHoliday",
    "MediaDownload",
    "Message",
    "Operator",
    "OperatorAlert",
    "OperatorNotice",
    "OriginPush",
    "PushReceipt",
    "Quarantine",
    "Rating",
    "StatusEvent",
    "UTCDateTime",
    "Unit",
    "utcnow",
]
