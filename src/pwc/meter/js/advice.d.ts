import type { Result } from "./index.js";

/** A feedback message: a stable code and its text in the language asked for. */
export interface Message {
  code: string;
  text: string;
}

/** One span behind the estimate, in characters (Unicode code points), end excluded. */
export interface Span {
  kind:
    | "word" | "name" | "l33t" | "user_input" | "keyboard_walk"
    | "repeat" | "sequence" | "date" | "other";
  start: number;
  end: number;
  /** zxcvbn's estimate for the span alone. */
  guesses_log10: number;
}

type Scenario =
  | "online_throttling_100_per_hour"
  | "online_no_throttling_10_per_second"
  | "offline_slow_hashing_1e4_per_second"
  | "offline_fast_hashing_1e10_per_second";

/** The API's answer with ?detail=true: the record, feedback, crack times and spans. */
export interface FullResult extends Result {
  /** At most one warning (none for a score of 3 or 4) and the suggestions. */
  feedback: { warning: Message | null; suggestions: Message[] };
  crack_times_seconds: Record<Scenario, number>;
  /** Plain words: "less than a second", "3 hours", "centuries". */
  crack_times_display: Record<Scenario, string>;
  sequence: Span[];
}

export interface AdviseOptions {
  /** The site's name, the user's name and e-mail: at most `maxUserInputs` strings of at most
   * `maxUserInputLength` characters. Never sent anywhere. */
  userInputs?: string[];
  /** A language of `languages` ("en" unless more are shipped). */
  lang?: string;
}

/**
 * The full answer for one password, as the API answers with ?detail=true. Throws TypeError or
 * RangeError for what the API refuses (the password as `score`; user inputs outside the
 * bounds; a language without messages).
 */
export function advise(password: string, options?: AdviseOptions): FullResult;

export const languages: string[];
export const maxUserInputs: number;
export const maxUserInputLength: number;
export const maxLength: number;
