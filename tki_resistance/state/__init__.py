"""The clinical state: what every stage of a call reads, derived once from the snapshot and the knowledge."""
