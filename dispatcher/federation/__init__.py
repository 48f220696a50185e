"""Federation: cases handed to organizations outside the district, and followed to the end.

``handover`` runs inside the transaction that dispatches a case to an external unit (it
writes the forward row, so a committed dispatch always has one); ``jobs`` sends it
(``forward`` on the intake queue's neighbour, with retries), polls the remote's status,
and reconciles what we sent with what each remote holds; ``follow`` moves our case by what
the remote says (polled or pushed); ``pushes`` receives a peer's pushes and passes the
citizen's later information on; ``origin`` pushes the changes of a case a peer forwarded
to us back to it; ``remotes`` names the unit, connector and token a forward speaks with.
"""
