/** One password's estimate, the record the password-complexity API answers. */
export interface Result {
  /** log10 of the estimated guesses an attacker needs, 0 to 308, in steps of 1/4096. */
  guesses_log10: number;
  /** 10 ** guesses_log10. */
  guesses: number;
  /** 0 (weakest) to 4, zxcvbn's scale. */
  score: 0 | 1 | 2 | 3 | 4;
  /** "model" (the browser meter has no leak lookup); "brute_force" when trying every string
   * of its length and character classes takes fewer guesses (the largest step at or below
   * that count); "user_input" (advice.js) when a reading built on the user inputs does. */
  source: "model" | "brute_force" | "user_input";
}

/**
 * Score one password in the page. Throws TypeError for a non-string, RangeError for a string
 * with lone surrogates or over `maxLength` characters (Unicode code points), as the API
 * refuses them.
 */
export function score(password: string, userInputGuesses?: number): Result;

/** Throws as `score` does, without scoring. */
export function check(password: string): void;

/** The model's version, "meter-" and 12 hex digits of its file's SHA-256 (the extended
 * model's once loadExtended() has resolved). */
export let version: string;

/** The extended model's version once loadExtended() has swapped it in, else null. */
export let extended: string | null;

/**
 * Import the extended model (model-extended.js: larger n-gram tables, a separate download)
 * and score with it from then on. Resolves to its version; calling again returns the same
 * promise.
 */
export function loadExtended(): Promise<string>;

/** The longest password scored, in characters (code points); the API's limit. */
export const maxLength: number;

/** Python's float formatting, as the API writes JSON numbers. */
export function formatFloat(x: number): string;

export interface Meter {
  score(password: string, userInputGuesses?: number): Result;
  check(password: string): void;
  version: string | null;
  maxLength: number;
  thresholds: number[];
}

/** A meter from another model file: its bytes or their base64 text. */
export function createMeter(data: Uint8Array | string, version?: string | null): Meter;
