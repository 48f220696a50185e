"""One folder per channel: each parses and verifies its provider's requests and sends its replies.

Every folder ends in a ``SPEC`` (``base.ChannelSpec``); ``registry`` lists them by ``Channel``.
Shared: ``base`` (the contracts), ``fields`` (checks of typed-in fields), ``attachments``.
"""
