"""Demo: a throw-away source that proves adding a source is adding a folder."""
