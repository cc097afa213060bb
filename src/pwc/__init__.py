"""password-complexity: how guessable a password is, learned from the RockYou leak."""

__version__ = "0.1.0"
