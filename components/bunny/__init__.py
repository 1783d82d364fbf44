"""bunny.net: DNS zones and records, pull zones (CDN) and storage zones."""
