"""Pure domain of the activities context (activities and micro-wishes): no I/O, no
framework, only decisions and folds."""
