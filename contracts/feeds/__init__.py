"""The partners' feeds: the public form of events, profiles, feed pages and imports."""
