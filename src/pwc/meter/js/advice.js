// The full answer in the page: the meter's estimate with the user's inputs taken into account,
// feedback (codes and texts), crack times and the spans behind the estimate, the record the
// API answers with ?detail=true. The same rules as the API (pwc.answer): zxcvbn 4.4.2's
// matching (zxcvbn.js, the version the Python package ports) over the same word lists
// (advice-data.js, written from the Python modules), and the project's tests compare this
// module's answers with the Python reference's on the same inputs.
import { check, score, maxLength } from "./meter.js";
import { matching, scoring } from "./zxcvbn.js";
import DATA from "./advice-data.js";

/** The languages of the feedback texts, as the API's `lang`. */
export const languages = Object.keys(DATA.messages).sort();
/** The bounds of `userInputs`, as the API's. */
export const maxUserInputs = DATA.maxUserInputs;
export const maxUserInputLength = DATA.maxUserInputLength;

// zxcvbn dates years from the clock; the Python package from a fixed year: that one, so an
// answer does not depend on the day it is asked
scoring.REFERENCE_YEAR = DATA.referenceYear;

// Ranked dictionaries without a prototype: in a plain object "constructor" would be a word
function ranked(words) {
  const dict = Object.create(null);
  words.forEach((word, i) => {
    dict[word] = i + 1;
  });
  return dict;
}
// zxcvbn's table, in the API's order: the user inputs first, then the word lists
const TABLE = matching.RANKED_DICTIONARIES;
TABLE.user_inputs = ranked([]);
for (const [name, words] of Object.entries(DATA.lists)) TABLE[name] = ranked(words.split(","));

// Where a user input and a listed word match the same span, only the user input's ("smith"
// as the user's name, not as the commonest surname), as pwc.answer.explain.omnimatch; a
// repeat's base is read through this too (zxcvbn calls this.omnimatch)
const fromUserInputs = (m) => m.dictionary_name === "user_inputs";
const zxcvbnOmnimatch = matching.omnimatch;
matching.omnimatch = function omnimatch(password) {
  const found = zxcvbnOmnimatch.call(this, password);
  const theirs = new Set(found.filter(fromUserInputs).map((m) => `${m.i},${m.j}`));
  return found.filter(
    (m) => m.pattern !== "dictionary" || fromUserInputs(m) || !theirs.has(`${m.i},${m.j}`),
  );
};

const codePoints = (s) => [...s].length;

function checkUserInputs(userInputs) {
  if (!Array.isArray(userInputs)) throw new TypeError("userInputs must be an array of strings");
  if (userInputs.length > maxUserInputs) {
    throw new RangeError(`user_inputs: at most ${maxUserInputs} strings`);
  }
  userInputs.forEach((value, i) => {
    if (typeof value !== "string") throw new TypeError(`user_inputs[${i}]: not a string`);
    if (!value.isWellFormed()) throw new RangeError(`user_inputs[${i}]: not valid Unicode`);
    if (codePoints(value) > maxUserInputLength) {
      throw new RangeError(`user_inputs[${i}]: over ${maxUserInputLength} characters`);
    }
  });
}

/** zxcvbn's most guessable match sequence, the user inputs (lowercased) as a dictionary. */
function matches(password, userInputs) {
  if (!password) return { guesses: 1, guesses_log10: 0, sequence: [] };
  const [text, ...inputs] = oneUnitEach(password, userInputs.map((u) => u.toLowerCase()));
  TABLE.user_inputs = ranked(inputs);
  return scoring.most_guessable_match_sequence(text, matching.omnimatch(text));
}

function kind(match) {
  if (match.pattern !== "dictionary") return DATA.kinds[match.pattern] ?? "other";
  if (fromUserInputs(match)) return "user_input";
  if (match.l33t) return "l33t";
  return DATA.names.includes(match.dictionary_name) ? "name" : "word";
}

// -- feedback: codes, as pwc.answer.feedback ------------------------------------------------
const START_UPPER = /^[A-Z][^A-Z]+$/;
const ALL_UPPER = /^[^a-z]+$/;
const WORD_WARNINGS = { word: "warning.word", l33t: "warning.word" };

function codes(sequence, source, strength) {
  if (strength > 2) return [null, []];
  if (source === "leak") return ["warning.leaked", ["suggestion.not_leaked", "suggestion.more_words"]];
  if (source === "brute_force") return ["warning.short", ["suggestion.longer"]];
  if (sequence.some((m) => kind(m) === "user_input")) {
    return ["warning.user_input", ["suggestion.avoid_user_inputs", "suggestion.more_words"]];
  }
  if (sequence.length === 0) return [null, ["suggestion.few_words", "suggestion.no_need_for_mixed"]];
  let longest = sequence[0]; // the first of the longest
  for (const m of sequence) if (codePoints(m.token) > codePoints(longest.token)) longest = m;
  const [warning, suggestions] = matchCodes(longest, sequence.length === 1);
  return [warning, ["suggestion.more_words", ...suggestions]];
}

function matchCodes(match, alone) {
  switch (match.pattern) {
    case "dictionary":
      return dictionaryCodes(match, alone);
    case "spatial":
      return [
        match.turns === 1 ? "warning.straight_row" : "warning.keyboard_pattern",
        ["suggestion.longer_keyboard_pattern"],
      ];
    case "repeat":
      return [
        codePoints(match.base_token) === 1 ? "warning.repeat_character" : "warning.repeat_pattern",
        ["suggestion.avoid_repeats"],
      ];
    case "sequence":
      return ["warning.sequence", ["suggestion.avoid_sequences"]];
    case "regex":
      if (match.regex_name !== "recent_year") return [null, []];
      return [
        "warning.recent_year",
        ["suggestion.avoid_recent_years", "suggestion.avoid_associated_years"],
      ];
    case "date":
      return ["warning.date", ["suggestion.avoid_dates"]];
    default:
      return [null, []];
  }
}

function dictionaryCodes(match, alone) {
  const what = kind(match);
  let warning = null;
  if (what === "name") warning = alone ? "warning.name_alone" : "warning.names";
  else if (alone && what in WORD_WARNINGS) warning = WORD_WARNINGS[what];
  const word = match.token;
  const suggestions = [];
  if (START_UPPER.test(word)) suggestions.push("suggestion.capitalization");
  else if (ALL_UPPER.test(word) && word.toLowerCase() !== word) {
    suggestions.push("suggestion.all_uppercase");
  }
  if (match.reversed && codePoints(word) >= 4) suggestions.push("suggestion.reversed");
  if (match.l33t) suggestions.push("suggestion.l33t");
  return [warning, suggestions];
}

function text(code, lang, fields = {}) {
  const own = DATA.messages[lang]?.[code];
  const template = own ?? DATA.messages.en[code];
  return template.replace(/\{(\w+)\}/g, (_, name) => String(fields[name]));
}

// -- crack times, as pwc.answer.crack_times ------------------------------------------------
const YEAR = DATA.units[0][0];

// Python's round(): halves to the even neighbour
function roundHalfEven(x) {
  const whole = Math.floor(x);
  const rest = x - whole;
  if (rest !== 0.5) return rest < 0.5 ? whole : whole + 1;
  return whole % 2 === 0 ? whole : whole + 1;
}

function display(secs, lang) {
  if (secs < 1) return text("time.instant", lang);
  if (secs >= 100 * YEAR) return text("time.centuries", lang);
  const [unit, name] = DATA.units.find(([u]) => secs >= u);
  const n = roundHalfEven(secs / unit);
  return text(n === 1 ? `time.${name}` : `time.${name}s`, lang, { n });
}

// -- characters as Python counts them ---------------------------------------------------------
// zxcvbn indexes UTF-16 units, the Python package code points: an emoji is two characters to
// one and one to the other (its brute-force span 10^2 against 10^1). Matching runs on the
// password with each character outside the BMP as one private-use character, chosen to keep
// their order and every difference of up to 5 (the sequence matcher's limit) and to stay
// more than 5 away from the password's own characters: the same spans, counts and codes.
const PRIVATE_USE = [0xe000, 0xf8ff];
const GAP = 6;

function oneUnitEach(password, userInputs) {
  const texts = [password, ...userInputs];
  const points = [...texts.join("")].map((c) => c.codePointAt(0));
  const astral = [...new Set(points.filter((c) => c > 0xffff))].sort((a, b) => a - b);
  if (astral.length === 0) return texts;
  const own = points.filter((c) => c <= 0xffff);
  let span = 0;
  for (let k = 1; k < astral.length; k++) span += Math.min(astral[k] - astral[k - 1], GAP);
  let base = PRIVATE_USE[0];
  while (own.some((c) => c > base - GAP && c < base + span + GAP)) base += 1;
  if (base + span > PRIVATE_USE[1]) throw new RangeError("too many private-use characters");
  const placed = new Map([[astral[0], base]]);
  for (let k = 1; k < astral.length; k++) {
    placed.set(astral[k], placed.get(astral[k - 1]) + Math.min(astral[k] - astral[k - 1], GAP));
  }
  const one = (c) => (c.length > 1 ? String.fromCharCode(placed.get(c.codePointAt(0))) : c);
  return texts.map((text) => [...text].map(one).join(""));
}

const spans = (sequence) =>
  sequence.map((m) => ({ kind: kind(m), start: m.i, end: m.j + 1, guesses_log10: m.guesses_log10 }));

/**
 * The full answer for one password: the meter's record (with `userInputs`: a password built
 * on the user's name, e-mail or the site's name scores as zxcvbn counts that reading, source
 * "user_input"), `feedback`, `crack_times_seconds`, `crack_times_display` and `sequence`,
 * as the API answers with ?detail=true. Throws as `score` does, and for user inputs outside
 * the API's bounds or a language without messages.
 */
export function advise(password, { userInputs = [], lang = "en" } = {}) {
  checkUserInputs(userInputs);
  if (!languages.includes(lang)) throw new RangeError(`no messages for language ${JSON.stringify(lang)}`);
  check(password); // the password's rules before any matching
  const found = matches(password, userInputs);
  const userInputGuesses = found.sequence.some((m) => kind(m) === "user_input")
    ? Math.max(found.guesses, 1)
    : Infinity;
  const record = score(password, userInputGuesses);
  const [warning, suggestions] = codes(found.sequence, record.source, record.score);
  const seconds = {};
  const shown = {};
  for (const [name, rate] of Object.entries(DATA.scenarios)) {
    seconds[name] = record.guesses / rate;
    shown[name] = display(seconds[name], lang);
  }
  return {
    ...record,
    feedback: {
      warning: warning === null ? null : { code: warning, text: text(warning, lang) },
      suggestions: suggestions.map((code) => ({ code, text: text(code, lang) })),
    },
    crack_times_seconds: seconds,
    crack_times_display: shown,
    sequence: spans(found.sequence),
  };
}

export { maxLength };
