"""Pure domain of the volunteers context: no I/O, no framework, only decisions and folds."""
