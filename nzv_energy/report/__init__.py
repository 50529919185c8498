"""Results folders: figures, tables and the written report of a run."""
