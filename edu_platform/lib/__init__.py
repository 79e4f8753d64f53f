"""Shared helpers every source uses: settings, the warehouse connection, translators, partitions, checks."""
