"""Scoring's engine: the intake that checks and journals every source event (intake.py,
journal.py), the in-memory fold each replica keeps of the journal (live.py), rebuilds
(rebuild.py), the rulebooks (rulebooks.py), and the nameko dependency that ties them
together for the service's workers (provider.py)."""
