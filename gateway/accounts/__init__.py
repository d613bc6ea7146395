"""Gateway accounts, event-sourced with the kernel so every change is on record."""
