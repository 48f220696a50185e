"""`python -m gateway.cli`: what `satupintu up` starts its children with."""

from gateway.cli.group import main

main()
