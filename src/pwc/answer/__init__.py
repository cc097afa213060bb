"""What a password's answer says beyond the model's estimate (docs/strength.md).

- `bound`: the brute-force bound: no estimate exceeds trying every string of the password's
  length over its character classes
- `explain`: zxcvbn's readings of a password (with the caller's user inputs) and its spans
- `feedback`: at most one warning and suggestions, as stable codes
- `messages`: the codes' texts, one JSON file per language
- `crack_times`: zxcvbn's four attack scenarios, seconds and words
- `full`: user inputs applied, the full answer and zxcvbn's result shape
- `records`: the documented shapes of those answers
"""
