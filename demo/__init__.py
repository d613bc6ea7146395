"""The demo: the whole platform on one machine with made-up data (`bash scripts/demo.sh`).

It sits on top of every layer: it starts the services, opens an account in the gateway's
store and loads data through the services' RPC.
"""
