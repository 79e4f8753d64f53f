"""Cross-cutting data-quality definitions: freshness of every source's bronze tables."""
