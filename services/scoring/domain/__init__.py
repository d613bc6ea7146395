"""Pure domain of the scoring context: rulebooks, the facts each county accumulates from the
other services' events, and the scoring and ranking of counties. No I/O, no framework."""
