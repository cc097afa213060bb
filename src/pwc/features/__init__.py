"""Password features, shared by training, batch scoring and online scoring: one module per
family, each a sklearn transformer inside the one saved Pipeline.

- `hand`: lengths, character classes, patterns (`HandFeatures`)
- `knowledge`: words, names, l33t, keyboard walks, dates from zxcvbn's lists
  (`KnowledgeFeatures`)
- `ngrams`: hashed byte n-grams, TF-IDF weighted (`HashedNgrams`)
- `markov`: interpolated Witten-Bell Markov models (`MarkovScores`)
- `pcfg`: a probabilistic context-free grammar (`PcfgScores`)
- `neighbours`: counted strings one small edit away (`NeighbourScores`)
- `leave_one_out`: counted rows scored as if never counted (count models)
- `paths`: each family's batch (`many`) and plain-Python (`few`) paths, and the one switch

`FAMILIES` names each family's transformer; the parity test walks it.
"""

from pwc.features.hand import HandFeatures
from pwc.features.knowledge import KnowledgeFeatures
from pwc.features.markov import MarkovScores
from pwc.features.neighbours import NeighbourScores
from pwc.features.ngrams import HashedNgrams
from pwc.features.pcfg import PcfgScores

FAMILIES = {
    "hand": HandFeatures,
    "knowledge": KnowledgeFeatures,
    "ngrams": HashedNgrams,
    "markov": MarkovScores,
    "pcfg": PcfgScores,
    "neighbours": NeighbourScores,
}

# Model files name each class by its public path, pwc.features.<Class>: moving a module
# inside the package does not change a model file's bytes.
for _cls in FAMILIES.values():
    _cls.__module__ = "pwc.features"

__all__ = ["FAMILIES", *(cls.__name__ for cls in FAMILIES.values())]
