"""`satupintu mail bounce`: one late bounce (a DSN, RFC 3464) read from stdin, as a mail
server's pipe transport hands it over, recorded on the email it names (issue 18).

Postfix, for example (master.cf and a transport map for the bounce address's domain or
mailbox, see docs/deploy.md):

    satupintu-bounce unix - n n - - pipe
      flags=Rq user=satupintu argv=/opt/satupintu/bin/satupintu mail bounce --recipient ${recipient}

Exit 0 when the message was recorded or is no bounce of ours (the mail server drops it);
75 (EX_TEMPFAIL: the mail server keeps it and tries again) when the database did not answer.
"""

from __future__ import annotations

import sys

import click
from rich.console import Console

from gateway.cli.context import prepared_runtime

console = Console(stderr=True)
EX_TEMPFAIL = 75
MAX_BYTES = 10 * 1024 * 1024  # a DSN is small; a huge message is no bounce of ours


@click.group("mail")
def mail() -> None:
    """Email: bounces that come back after the message was accepted."""


@mail.command("bounce")
@click.option("--recipient", default="", help="The envelope recipient (Postfix: ${recipient}).")
def bounce(recipient: str) -> None:
    """Read one message from stdin; record it when it is a DSN for one of our emails."""
    from adapters.email.bounce import read_bounce
    from dispatcher.address_replies import apply_bounce

    raw = sys.stdin.buffer.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        console.print("not a bounce: message too large, ignored")
        return
    try:
        runtime = prepared_runtime()
    except Exception as exc:  # the mail server keeps the message and tries again
        console.print(f"database not answering ({type(exc).__name__}): try again later")
        sys.exit(EX_TEMPFAIL)
    found = read_bounce(raw, runtime.settings.secret_key, recipient)
    if found is None:
        console.print("not a bounce of ours (no DSN, or no address we sent from): ignored")
        runtime.close()
        return
    try:
        result = apply_bounce(found, runtime)
    except Exception as exc:
        console.print(f"could not record the bounce ({type(exc).__name__}): try again later")
        sys.exit(EX_TEMPFAIL)
    finally:
        runtime.close()
    if not result.get("found"):
        console.print(f"bounce for {found.kind} {found.key}, which is unknown here: ignored")
        return
    stopped = " (address stopped)" if result.get("stopped") else ""
    console.print(f"bounce recorded on {found.kind} {found.key}: {found.status}{stopped}")
