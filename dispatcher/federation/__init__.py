"""Federation: cases handed to organizations outside the district, and followed to the end.

``handover`` runs inside the transaction that dispatches a case to an external unit (it
writes the forward row, so a committed dispatch always has one); ``jobs`` sends it
(``forward`` on the intake queue's neighbour, with retries), polls the remote's status into
our lifecycle, and reconciles what we sent with what each remote holds.
"""
