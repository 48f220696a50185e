"""Desk channels (loket, telepon, surat): an operator files a complaint on a citizen's behalf.

The console's filing form (gateway/console/filing.py) is this channel's only door: no
provider, no webhook, no sender. The citizen takes home a printed receipt with the tracking
id and secret code, and hears back at the contact they gave, as a web citizen does.
"""

from adapters.base import ChannelSpec
from adapters.desk.handler import CHANNELS, NAME, parse

__all__ = ["CHANNELS", "NAME", "SPEC", "parse"]

# Built by our own console, never by a provider: its raw payload is ours, so it may carry
# the citizen secret's hash and the operator who entered it.
SPEC = ChannelSpec(name=NAME, raw_is_ours=True)
