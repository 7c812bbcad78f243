"""The demo: a Nordic consultancy's data (`office`), `manage.py demo_data` and `demo_run`.

Local and demo only in spirit, but installed everywhere so its commands exist; it imports the
domain apps, and nothing imports it (core stays free of domain apps). What the office looks
like inside an ERP lives next to that ERP's sandbox (e.g. the sandbox's `demo_world`).
"""
