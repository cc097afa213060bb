"""The neighbour family: what the train split says about the strings one small edit away
from a password (docs/models.md, "The neighbour features").

- `scores`: `NeighbourScores`, counted and scored in batches (numpy)
- `one`: the same features in plain Python for a password or two
- `keys`: the kinds of keys counted, made for a chunk of passwords at a time
"""

from pwc.features.neighbours.scores import NeighbourScores

__all__ = ["NeighbourScores"]
