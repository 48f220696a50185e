"""rq queues and jobs: submit, store, notify, the spool and routing. Only this package knows rq."""
