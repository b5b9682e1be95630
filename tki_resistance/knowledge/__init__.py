"""The reviewed knowledge: one row per fact with its source and verified flag, validated at start-up.

`schema.py` types the rows, `loader.py` reads and validates the TOML tables beside it into a `Knowledge`
(`tables.py`: the tables and their look-ups), `markdown.py` exports them for review (docs/knowledge.md),
`interactions.py` indexes the interaction tables once per load.
"""

from .loader import KNOWLEDGE_DIR, Knowledge, KnowledgeError, default_knowledge, load_knowledge

__all__ = ["KNOWLEDGE_DIR", "Knowledge", "KnowledgeError", "default_knowledge", "load_knowledge"]
