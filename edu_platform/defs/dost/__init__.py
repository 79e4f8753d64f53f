"""Dost Education: the call-campaign database (daily audio calls to parents), refreshed weekly."""
