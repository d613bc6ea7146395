"""Scoring's engine: the intake that checks and journals every source event (intake.py,
journal.py), rebuilds (rebuild.py) and the rulebooks (rulebooks.py). The fold each
replica keeps of the journal is the service's view (../views.py); the nameko dependency
that ties them together for the workers is ../dependencies.py."""
